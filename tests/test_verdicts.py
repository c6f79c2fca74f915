"""Verdicts computed from intervals (relu_course.claims.verdict / ClaimsTable.measure)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from relu_course import claims, stats
from relu_course.stats import Interval


def iv(low: float, high: float, null: float = 0.0, scale: str = "difference") -> Interval:
    """An interval with its ends where a test wants them (se = quarter width)."""
    mid = (low + high) / 2
    return Interval(mid, low, high, 5, (high - low) / 4, null=null, scale=scale)


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [
        (0.02, 0.05, "confirmed"),  # wholly beyond the margin
        (0.001, 0.02, "confirmed"),  # real, and the claimed size is inside
        (0.001, 0.005, "nuanced"),  # real but smaller than claimed
        (-0.01, 0.005, "not confirmed"),  # the claimed size is excluded
        (-0.05, -0.02, "not confirmed"),  # the direction is excluded
        (-0.01, 0.03, "inconclusive"),  # holds both no effect and the claimed size
    ],
)
def test_each_region_of_an_above_claim(low, high, expected):
    assert claims.verdict(iv(low, high), "above", 0.01) == expected


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [
        (-0.05, -0.02, "confirmed"),
        (-0.005, -0.001, "nuanced"),
        (-0.005, 0.01, "not confirmed"),
        (-0.03, 0.01, "inconclusive"),
    ],
)
def test_below_is_the_mirror_image(low, high, expected):
    assert claims.verdict(iv(low, high), "below", -0.01) == expected


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [
        (-0.004, 0.006, "confirmed"),
        (0.02, 0.03, "not confirmed"),
        (-0.03, -0.02, "not confirmed"),
        (-0.004, 0.02, "inconclusive"),
    ],
)
def test_within_is_an_equivalence_test(low, high, expected):
    assert claims.verdict(iv(low, high), "within", 0.01) == expected


def test_ratio_claims_compare_with_one():
    six_times = iv(5.0, 8.0, null=1.0, scale="ratio")
    assert claims.verdict(six_times, "above", 6.0) == "confirmed"
    tanh_was_faster = iv(0.54, 0.84, null=1.0, scale="ratio")
    assert claims.verdict(tanh_was_faster, "above", 6.0) == "not confirmed"
    measured = stats.ratio_interval([0.6, 0.7, 0.65, 0.62, 0.68], [1.0] * 5)
    assert measured.null == 1.0 and "0/5 > 1" in str(measured)


def test_within_a_factor_on_a_ratio():
    """'Within a factor 2' of 1 is [1/2, 2], decided on the log scale where the
    distances are measured (it used to read [1 - 2, 1 + 2] = [-1, 3])."""
    close = iv(0.9, 1.2, null=1.0, scale="ratio")
    assert claims.verdict(close, "within", 2.0) == "confirmed"
    two_and_a_half = iv(2.3, 2.8, null=1.0, scale="ratio")
    assert claims.verdict(two_and_a_half, "within", 2.0) == "not confirmed"
    a_third = iv(0.3, 0.45, null=1.0, scale="ratio")
    assert claims.verdict(a_third, "within", 2.0) == "not confirmed"
    assert claims.verdict(iv(0.4, 1.5, null=1.0, scale="ratio"), "within", 2.0) == "inconclusive"
    with pytest.raises(ValueError, match="factor margin > 1"):
        claims.verdict(close, "within", 0.5)
    table = claims.ClaimsTable("x")
    table.measure(
        "as fast", "s", effect=stats.ratio_interval([1.0, 1.1, 0.95, 1.05], [1.0] * 4),
        expect="confirmed", margin=2.0, direction="within", section="s",
    )  # fmt: skip
    assert table.rows[-1].claimed == "1/2 <= x <= 2" and table.rows[-1].agree == 4


@given(
    st.floats(-1, 1, allow_nan=False),
    st.floats(0.001, 1),
    st.floats(0.001, 0.5),
)
def test_every_interval_gets_one_verdict_that_follows_the_interval(mid, half, m):
    v = claims.verdict(iv(mid - half, mid + half), "above", m)
    assert v in claims.VERDICTS
    assert (v in ("confirmed", "nuanced")) == (mid - half > 0)
    assert (v in ("confirmed", "inconclusive")) == (mid + half >= m)
    assert claims.verdict(iv(mid - half + 10, mid + half + 10), "above", m) == "confirmed"
    assert claims.verdict(iv(mid - half - 10, mid + half - 10), "above", m) == "not confirmed"


def test_refuses_what_is_no_measurement():
    with pytest.raises(ValueError, match="zero width"):
        claims.verdict(stats.mean_interval([0.01] * 5), "above", 0.0 + 1e-3)
    assert stats.mean_interval([0.01] * 5).degenerate
    with pytest.raises(ValueError, match="one seed"):
        claims.verdict(stats.mean_interval([0.3]), "above", 0.1)
    with pytest.raises(ValueError, match="margin > 0"):
        claims.verdict(iv(0.1, 0.2), "above", -0.1)
    with pytest.raises(ValueError, match="direction"):
        claims.verdict(iv(0.1, 0.2), "sideways", 0.1)
    with pytest.raises(TypeError, match="Interval"):
        claims.verdict((0.1, 0.2), "above", 0.1)


def test_boundary_distance_in_standard_errors():
    d = iv(0.02, 0.06)  # se 0.01; low is 2 se above 0, high 5 se above the margin 0.01
    assert claims.boundary_distance(d, "above", 0.01) == pytest.approx(2.0)
    r = stats.ratio_interval([2.0, 2.2, 1.9, 2.1, 2.0], [1.0] * 5)
    dist = claims.boundary_distance(r, "above", 1.5)
    assert dist == pytest.approx(min(math.log(r.low), abs(math.log(r.high / 1.5))) / r.se)


def test_measure_computes_checks_and_records_the_row():
    table = claims.ClaimsTable("test")
    d = stats.paired_difference([0.95, 0.96, 0.94, 0.95, 0.96], [0.93, 0.95, 0.92, 0.94, 0.93])
    got = table.measure(
        "ReLU beats tanh", "paper", d, expect="confirmed", margin=0.01, measured="accuracy"
    )
    row = table.rows[0]
    assert got == row.verdict == "confirmed"
    assert row.seeds == 5 and row.agree == 5 and row.claimed == ">= +0.01"
    assert row.interval == [d.mean, d.low, d.high]
    assert row.measured.startswith("accuracy: 0.018 (95% interval 0.008 to 0.028, 5 seeds)")


def test_measure_fails_when_the_text_disagrees_or_the_verdict_sits_on_an_edge():
    table = claims.ClaimsTable("test")
    with pytest.raises(AssertionError, match="gives 'not confirmed'"):
        table.measure("six times", "paper", iv(0.54, 0.84, 1.0, "ratio"), "inconclusive", 6.0)
    near = iv(0.0005, 0.04)  # low end 0.05 se above 0
    with pytest.raises(AssertionError, match="standard errors from a boundary"):
        table.measure("edge", "paper", near, "confirmed", 0.01)
    with pytest.raises(ValueError, match="why="):
        table.measure("small", "paper", iv(0.002, 0.006), "nuanced", 0.02)
    assert table.rows == []


def test_conditional_claim_is_nuanced_only_when_it_holds_on_one_side():
    table = claims.ClaimsTable("test")
    adam, sgd = iv(0.2, 0.4), iv(-0.3, -0.1)
    got = table.measure(
        "revives", "x", adam, "nuanced", 0.05, condition="under Adam", otherwise=sgd
    )
    assert got == "nuanced" and table.rows[0].why == "only under Adam"
    smaller = iv(0.01, 0.03)  # real but short of the margin without the condition
    got = table.measure("x", "y", adam, "nuanced", 0.05, condition="under Adam", otherwise=smaller)
    assert got == "nuanced"
    with pytest.raises(AssertionError, match="confirmed under"):
        table.measure(
            "revives", "x", adam, "nuanced", 0.05, condition="under Adam", otherwise=adam
        )


def test_evidence_box_links_each_row_to_its_section():
    table = claims.ClaimsTable("02_relu")
    table.measure("A claim", "src", iv(0.02, 0.06), "confirmed", 0.01, section="Speed, threads")
    rows = [{**vars(r)} for r in table.rows]
    box = claims.evidence_box(rows, "evidence/02_relu.ipynb")
    assert box.splitlines()[0] == "<!-- evidence-box: evidence/02_relu.ipynb -->"
    assert "## What the evidence says" in box
    assert "[A claim](evidence/02_relu.ipynb#speed-threads): **confirmed**" in box
    table.cite("A date", "src", "not confirmed", ["glorot2011deep"], "2011", section="History")
    box = claims.evidence_box([{**vars(r)} for r in table.rows], "evidence/02_relu.ipynb")
    assert "**not confirmed**. Papers: 2011." in box and "**confirmed**. Measured: " in box


def test_cite_records_references_and_refuses_none():
    table = claims.ClaimsTable("02_relu")
    table.cite(
        "first used in a dynamical network in 2000",
        "source",
        "not confirmed",
        ["hartline1958spatial"],
        "threshold-linear units in 1958",
    )
    assert table.rows[0].citations == ["hartline1958spatial"] and table.rows[0].seeds is None
    with pytest.raises(ValueError, match="references"):
        table.cite("x", "y", "confirmed", [], "z")
