"""The descriptive facts on each registry entry (the "Choosing an activation" table),
checked numerically against the functions, not only typed: the output range from a
dense sweep plus the limits, zero-centred from g(0) and the signs of the outputs,
smooth from the derivative's continuity at the registered kinks and everywhere else."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from relu_course import activations, plot

CANONICAL = sorted({activations.get(n).name for n in activations.names()})
SWEEP = np.linspace(-50.0, 50.0, 400_001)  # step 2.5e-4
FAR = np.array([-1e9, 1e9])  # limits: where a bounded function is at its bound


@pytest.mark.parametrize("name", activations.names())
def test_every_entry_has_its_table_fields(name):
    act = activations.get(name)
    assert (
        act.display_name
        and act.used_in
        and act.derivative_formula.startswith(("g'", r"\sigma'", r"\tanh'", r"\mathrm"))
    )
    assert re.fullmatch(r"#[0-9A-F]{6}", act.color)
    assert act.init in ("He", "LeCun", "Xavier (Glorot)", "-")
    lo, hi = act.output_range
    assert isinstance(lo, float) and isinstance(hi, float) and lo < hi
    assert isinstance(act.zero_centred, bool) and isinstance(act.smooth, bool)
    with pytest.raises(AttributeError):
        act.color = "#FFFFFF"  # read-only


def test_colours_and_names_are_distinct_and_plot_reads_them():
    acts = [activations.get(n) for n in CANONICAL]
    assert len({a.color for a in acts}) == len(acts)
    assert len({a.display_name for a in acts}) == len(acts)
    for name in activations.names():  # aliases included: swish is silu's colour
        assert plot.color(name) == activations.get(name).color
    # the colours that used to collide (relu6 = softplus, hardswish = gelu)
    assert plot.color("relu6") != plot.color("softplus")
    assert plot.color("hardswish") != plot.color("gelu")
    assert plot.color("Leaky-ReLU") == activations.get("leaky_relu").color


@pytest.mark.parametrize("name", CANONICAL)
def test_output_range_matches_a_dense_sweep_and_the_limits(name):
    act = activations.get(name)
    lo, hi = act.output_range
    y = np.concatenate([act(SWEEP), act(FAR)])
    assert y.min() >= lo - 1e-12 and y.max() <= hi + 1e-12
    for end, extreme in ((lo, y.min()), (hi, y.max())):
        if math.isinf(end):  # unbounded: the far inputs go far beyond any bound
            assert abs(extreme) > 1e6 and np.sign(extreme) == np.sign(end)
        else:  # bounded: the bound is reached or approached (infimum / supremum)
            assert extreme == pytest.approx(end, abs=1e-6)


@pytest.mark.parametrize("name", CANONICAL)
def test_zero_centred_means_g0_is_0_and_outputs_of_both_signs(name):
    act = activations.get(name)
    y = act(SWEEP)
    measured = abs(act(0.0)) < 1e-15 and bool((y < 0).any() and (y > 0).any())
    assert act.zero_centred == measured


def _jump(act, x0: float, h: float = 1e-7) -> float:
    return float(abs(act.grad(x0 + h) - act.grad(x0 - h)))


@pytest.mark.parametrize("name", CANONICAL)
def test_smooth_means_a_continuous_derivative(name):
    act = activations.get(name)
    # Away from the registered kinks the derivative is continuous for every entry: its
    # change between neighbouring sweep points is of the order of the step (no jump
    # hides at an unregistered point).
    g = act.grad(SWEEP)
    steps = np.abs(np.diff(g))
    near_kink = np.zeros(steps.shape, bool)
    for k in act.kinks:
        near_kink |= np.abs(SWEEP[:-1] - k) < 1e-3
    assert steps[~near_kink].max() < 2e-3
    jumps = [_jump(act, k) for k in act.kinks]
    if act.smooth:
        assert all(j < 1e-5 for j in jumps), jumps
    else:  # a kink the derivative jumps across
        assert jumps and max(jumps) > 1e-2, jumps


def test_a_parameter_can_make_elu_non_smooth():
    assert _jump(activations.get("elu"), 0.0) < 1e-6  # alpha = 1: C^1
    assert _jump(activations.get("elu", alpha=0.5), 0.0) == pytest.approx(0.5, abs=1e-6)
    assert activations.get("shifted_relu", shift=2.0).kinks == (-2.0,)
