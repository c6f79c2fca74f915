"""Package parts that chapter 4 (04_advantages) relies on."""

from __future__ import annotations

import time

import pytest
import torch

from relu_course import bench


def test_cpu_clock_ignores_time_off_the_core():
    """clock='cpu' counts the thread's work: a sleep costs (almost) nothing."""
    nap = {"sleep": lambda: time.sleep(0.005)}
    wall = bench.time_calls(nap, "cpu", repeat=1, warmup=0, min_time=1e-3, threads=1)
    cpu = bench.time_calls(nap, "cpu", repeat=1, warmup=0, min_time=1e-3, threads=1, clock="cpu")
    assert wall["sleep"][0] >= 0.005
    assert cpu["sleep"][0] < 0.0025


def test_cpu_clock_times_work_and_bench_passes_it_on():
    x = torch.randn(100_000)
    t = bench.time_calls(
        {"exp": lambda: torch.exp(x)}, "cpu", repeat=2, min_time=1e-3, threads=1, clock="cpu"
    )
    assert all(v > 0 for v in t["exp"])
    rows = bench.bench(
        ["relu"],
        sizes=[1000],
        modes=["out"],
        device="cpu",
        repeat=1,
        min_time=1e-4,
        threads=1,
        clock="cpu",
    )
    assert bench.find(rows, name="relu", mode="out").seconds > 0


def test_cpu_clock_rejects_what_it_cannot_measure():
    fns = {"f": lambda: None}
    with pytest.raises(ValueError, match="threads=1"):
        bench.time_calls(fns, "cpu", repeat=1, threads=2, clock="cpu")
    with pytest.raises(ValueError, match="clock must be one of"):
        bench.time_calls(fns, "cpu", repeat=1, threads=1, clock="gpu")
    with pytest.raises(ValueError, match="CPU work only"):
        bench._clock(torch.device("cuda"), "cpu")
