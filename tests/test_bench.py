"""Tests of relu_course.bench and of the out=/in-place forms of Activation.__call__."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from relu_course import activations, bench

TINY = dict(repeat=2, warmup=1, min_time=1e-4)


# --------------------------------------------------------------------------
# Activation.__call__(x, out=..., inplace=...)
# --------------------------------------------------------------------------
def _equal(a: torch.Tensor, b: torch.Tensor) -> bool:
    return bool(torch.equal(torch.nan_to_num(a, nan=7.0), torch.nan_to_num(b, nan=7.0)))


@pytest.mark.parametrize("name", activations.names())
def test_out_and_inplace_match_out_of_place(name):
    act = activations.get(name)
    x = torch.linspace(-30, 30, 241)
    x = torch.cat([x, torch.tensor([0.0, -0.0, float("nan"), float("inf"), -float("inf")])])
    expected = act(x)
    y = torch.empty_like(x)
    assert act(x, out=y) is y
    assert _equal(y, expected)
    z = x.clone()
    assert act(z, inplace=True) is z
    assert _equal(z, expected)


@pytest.mark.parametrize(
    "name,params",
    [
        ("leaky_relu", {"negative_slope": 0.2}),
        ("elu", {"alpha": 0.5}),
        ("softplus", {"beta": 2.0, "threshold": 5.0}),
        ("gelu", {"approximate": "tanh"}),
        ("shifted_relu", {"shift": 0.5}),
        ("prelu", {"init": 0.1}),
    ],
)
def test_out_and_inplace_respect_parameters(name, params):
    act = activations.get(name, **params)
    x = torch.randn(100, generator=torch.Generator().manual_seed(1)) * 4
    y = torch.empty_like(x)
    torch.testing.assert_close(act(x, out=y), act(x))
    torch.testing.assert_close(act(x.clone(), inplace=True), act(x))


def test_relu_out_kernel_is_clamp_min_and_keeps_signed_zero():
    x = torch.tensor([-0.0, 0.0, -1.0, 2.0])
    y = torch.empty_like(x)
    activations.get("relu")(x, out=y)
    assert torch.equal(y.signbit(), torch.relu(x).signbit())


@given(st.lists(st.floats(-1e6, 1e6, width=32), min_size=1, max_size=50))
@settings(max_examples=40, deadline=None)
def test_relu_out_and_inplace_property(values):
    x = torch.tensor(values, dtype=torch.float32)
    act = activations.get("relu")
    y = torch.empty_like(x)
    assert torch.equal(act(x, out=y), torch.relu(x))
    assert torch.equal(act(x.clone(), inplace=True), torch.relu(x))


def test_kernels_attribute():
    assert activations.get("relu").kernels == {"out", "inplace"}
    assert activations.get("gelu").kernels == {"out"}
    assert activations.get("softsign").kernels == frozenset()


def test_out_and_inplace_bad_input():
    act = activations.get("relu")
    x = torch.randn(4)
    with pytest.raises(ValueError, match="tensor"):
        act(np.zeros(4), out=torch.empty(4))
    with pytest.raises(ValueError, match="tensor"):
        act([1.0, -1.0], inplace=True)
    with pytest.raises(ValueError, match="not both"):
        act(x, out=torch.empty(4), inplace=True)
    with pytest.raises(ValueError, match="shape"):
        act(x, out=torch.empty(5))
    with pytest.raises(ValueError, match="dtype"):
        act(x, out=torch.empty(4, dtype=torch.float64))
    with pytest.raises(ValueError, match="tensor"):
        act(x, out=np.zeros(4))


def test_inplace_on_leaf_requiring_grad_raises_like_pytorch():
    x = torch.randn(3, requires_grad=True)
    with pytest.raises(RuntimeError):
        activations.get("relu")(x, inplace=True)


# --------------------------------------------------------------------------
# bench
# --------------------------------------------------------------------------
def test_bench_shapes_and_fields():
    names = ["relu", "tanh", "gelu"]
    rows = bench.bench(names, sizes=[300, 10, 1000], modes=bench.MODES, device="cpu", **TINY)
    sizes = [r.size for r in rows]
    assert sizes == sorted(sizes)  # monotone sizes
    assert sorted(set(sizes)) == [10, 300, 1000]
    for size in (10, 300, 1000):
        at = [r for r in rows if r.size == size]
        keys = {(r.name, r.mode) for r in at}
        # baselines, every activation in every mode PyTorch offers; gelu has no in-place kernel
        expected = {("copy", "copy"), ("clone", "clone")} | {
            (n, m) for n in names for m in bench.MODES
        }
        expected -= {("gelu", "inplace")}
        assert keys == expected
        assert len(at) == len(expected)
    for r in rows:
        assert r.seconds > 0 and math.isfinite(r.seconds)
        assert r.dtype == "float32" and r.device == "cpu" and r.impl == "torch" and r.calls >= 1


def test_bench_derived_fields_from_known_timings(monkeypatch):
    """With the timer replaced by known medians, every derived field is a worked number."""
    seconds = {"copy": 2e-6, "clone": 3e-6, "forward": 4e-6, "backward": 1e-5}

    def fake(fns, *args, **kwargs):
        samples = {k: [seconds[k.split("|")[1]]] * 3 for k in fns}
        return samples, dict.fromkeys(fns, 7)

    monkeypatch.setattr(bench, "_time_calls", fake)
    rows = bench.bench(["relu"], sizes=[1000], modes=["forward", "backward"], device="cpu")
    fwd = bench.find(rows, name="relu", mode="forward")
    assert fwd.seconds == 4e-6 and fwd.calls == 7
    assert fwd.elements_per_s == pytest.approx(2.5e8)  # 1000 / 4 us
    assert fwd.bytes_per_s == pytest.approx(2e9)  # read + write of 4 kB in 4 us
    assert fwd.vs_copy == pytest.approx(2.0) and fwd.bandwidth_fraction == pytest.approx(0.5)
    back = bench.find(rows, name="relu", mode="backward")  # 5 tensor passes in 10 us
    assert back.bytes_per_s == pytest.approx(2e9) and back.bandwidth_fraction == pytest.approx(0.5)
    rows64 = bench.bench(["relu"], sizes=[1000], modes=["forward"], device="cpu", dtype="float64")
    assert bench.find(rows64, name="relu", mode="forward").bytes_per_s == pytest.approx(4e9)


def test_bench_sane_ratios_on_a_tiny_size():
    rows = bench.bench(
        ["relu", "softplus"],
        sizes=[1000],
        modes=["forward", "out", "backward"],
        device="cpu",
        repeat=3,
        warmup=1,
        min_time=2e-4,
    )
    for r in rows:
        # nothing is a thousand times faster or slower than a copy of the same small tensor
        assert 1e-3 < r.vs_copy < 1e3


def test_bench_package_impl_and_threads_restored():
    before = torch.get_num_threads()
    rows = bench.bench(
        ["relu"],
        sizes=[64],
        modes=["forward", "out", "inplace"],
        impls=["torch", "package"],
        device="cpu",
        threads=1,
        **TINY,
    )
    assert torch.get_num_threads() == before
    assert {r.impl for r in rows if r.name == "relu"} == {"torch", "package"}
    assert all(r.threads == 1 for r in rows)


def test_bench_float64_bytes():
    rows = bench.bench(
        ["sigmoid"], sizes=[100], modes=["out"], device="cpu", dtype="float64", **TINY
    )
    r = bench.find(rows, name="sigmoid", mode="out")
    assert r.dtype == "float64"


@pytest.mark.parametrize(
    "kwargs,match",
    [
        (dict(sizes=[0]), "sizes"),
        (dict(sizes=[]), "sizes"),
        (dict(modes=["sideways"]), "mode"),
        (dict(impls=["numpy"]), "impl"),
        (dict(names=["nope"]), "unknown activation"),
        (dict(dtype="int32"), "dtype"),
        (dict(threads=0), "threads"),
    ],
)
def test_bench_bad_arguments(kwargs, match):
    args = dict(names=["relu"], sizes=[10], device="cpu", **TINY)
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        bench.bench(**args)


def test_kernel_modes():
    x = torch.randn(10)
    assert bench.kernel("softplus", "inplace", x) is None
    assert bench.kernel("gelu", "inplace", x) is None
    y = torch.empty_like(x)
    bench.kernel("tanh", "out", x, out=y)()
    torch.testing.assert_close(y, torch.tanh(x))
    xi = x.clone()
    bench.kernel("relu", "inplace", xi, impl="package")()
    torch.testing.assert_close(xi, torch.relu(x))
    xg = x.clone().requires_grad_(True)
    (g,) = bench.kernel("relu", "backward", xg)()
    torch.testing.assert_close(g, (x > 0).float())
    with pytest.raises(ValueError, match="requires grad"):
        bench.kernel("relu", "backward", x)
    with pytest.raises(ValueError, match="mode"):
        bench.kernel("relu", "sideways", x)
    with pytest.raises(ValueError, match="impl"):
        bench.kernel("relu", "forward", x, impl="jax")


def test_time_calls_interleaves_and_uses_setup():
    calls: list[str] = []
    state = {"setups": 0}

    def setup():
        state["setups"] += 1

    out = bench.time_calls(
        {"a": lambda: calls.append("a"), "b": lambda: calls.append("b")},
        "cpu",
        repeat=3,
        warmup=1,
        min_time=1e-6,
        max_calls=1,
        setup={"a": setup},
    )
    assert set(out) == {"a", "b"} and all(len(v) == 3 for v in out.values())
    assert all(v > 0 for vs in out.values() for v in vs)
    # Per label a warm-up and calibration run, then the timed batches alternate a, b, a, b,
    # ...: runs of the same label, whatever number of calls torch's Timer makes per batch.
    runs = [label for label, _ in itertools.groupby(calls)]
    assert runs == ["a", "b"] * (1 + 3)
    assert state["setups"] == 1 + 3
    with pytest.raises(ValueError):
        bench.time_calls({}, "cpu")
    with pytest.raises(ValueError):
        bench.time_calls({"a": lambda: None}, "cpu", repeat=0)
    with pytest.raises(ValueError, match="setup"):
        bench.time_calls({"a": lambda: None}, "cpu", setup={"b": lambda: None})
    with pytest.raises(ValueError, match="max_calls"):
        bench.time_calls({"a": lambda: None}, "cpu", max_calls=0)


def test_select_find_and_table():
    rows = bench.bench(["relu"], sizes=[50, 500], modes=["forward"], device="cpu", **TINY)
    assert len(bench.select(rows, name="relu")) == 2
    assert bench.find(rows, name="relu", mode="forward", size=500).size == 500
    with pytest.raises(ValueError, match="exactly one"):
        bench.find(rows, name="relu")
    with pytest.raises(ValueError, match="unknown Timing field"):
        bench.select(rows, colour="red")
    text = bench.format_table(rows)
    lines = text.splitlines()
    assert lines[0].split()[:4] == ["size", "name", "mode", "impl"]
    assert len(lines) == 2 + len(rows)


def test_log_sizes():
    assert bench.log_sizes(1e3, 1e6) == [1000, 10_000, 100_000, 1_000_000]
    s = bench.log_sizes(100, 10_000, per_decade=2)
    assert s[0] == 100 and s[-1] == 10_000 and len(s) == 5 and s == sorted(s)
    with pytest.raises(ValueError):
        bench.log_sizes(10, 1)


def test_cli_prints_a_table(capsys):
    assert (
        bench.main(
            [
                "--names",
                "relu",
                "--sizes",
                "1e2",
                "3e2",
                "--modes",
                "out",
                "inplace",
                "--impl",
                "torch",
                "package",
                "--repeat",
                "2",
                "--min-time",
                "1e-4",
                "--device",
                "cpu",
                "--threads",
                "1",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert (
        "copy" in out
        and "relu" in out
        and "package adds" in out
        and "of the copy's bandwidth" in out
    )
    with pytest.raises(SystemExit):
        bench.main(["--sizes", "0.5"])
    with pytest.raises(SystemExit):
        bench.main(["--names", "nope", "--sizes", "10"])
