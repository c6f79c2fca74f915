"""Tests of the chapter 4 additions: linear regions (probe) and History.steps_to(window=...)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from relu_course import nets, probe
from relu_course.activations import ShiftedReLU
from relu_course.train import History


def tent_net(depth: int) -> nn.Sequential:
    """The tent map t(x) = 2 relu(x) - 4 relu(x - 1/2) on [0, 1], composed ``depth`` times."""
    layers: list[nn.Module] = []
    for i in range(depth):
        lin = nn.Linear(1 if i == 0 else 2, 2)
        with torch.no_grad():
            w = torch.ones(2, 1) if i == 0 else torch.tensor([[2.0, -4.0], [2.0, -4.0]])
            lin.weight.copy_(w)
            lin.bias.copy_(torch.tensor([0.0, -0.5]))
        layers += [lin, nn.ReLU()]
    out = nn.Linear(2, 1)
    with torch.no_grad():
        out.weight.copy_(torch.tensor([[2.0, -4.0]]))
        out.bias.zero_()
    return nn.Sequential(*layers, out)


@pytest.mark.parametrize("depth", [1, 2, 3, 5, 8])
def test_tent_map_has_two_to_the_depth_regions(depth):
    model = tent_net(depth).double()
    # A hair inside [0, 1]: at x = 0 (and x = 1) every unit sits exactly on its kink.
    lo, hi = 1e-4, 1 - 1e-4
    r = probe.linear_regions_along_line(
        model, torch.tensor([lo]), torch.tensor([hi]), points=20_000
    )
    assert r.count == 2**depth
    # the kinks are the dyadic points k / 2^depth
    x = lo + r.boundaries * (hi - lo)
    assert np.allclose(x, np.arange(1, 2**depth) / 2**depth, atol=1.0 / 20_000)


def test_one_unit_regions_and_boundary_position():
    model = nn.Sequential(nn.Linear(1, 1), nn.ReLU())
    with torch.no_grad():
        model[0].weight.fill_(1.0)
        model[0].bias.fill_(-1.0)  # kink at x = 1
    r = probe.linear_regions_along_line(
        model, torch.tensor([-4.0]), torch.tensor([6.0]), points=10_001
    )
    assert r.count == 2 and r.points == 10_001
    assert r.boundaries[0] == pytest.approx(0.5, abs=1e-4)  # x = 1 is halfway from -4 to 6


@given(st.integers(1, 40), st.integers(0, 2**16))
@settings(max_examples=25, deadline=None)
def test_count_at_most_units_plus_one_for_one_layer_1d(width, seed_):
    # A single hidden layer on a line: each unit has at most one kink along the segment.
    torch.manual_seed(seed_)
    model = nn.Sequential(nn.Linear(3, width), nn.ReLU(), nn.Linear(width, 2))
    a, b = torch.randn(3), torch.randn(3)
    r = probe.linear_regions_along_line(model, a, b, points=2000)
    assert 1 <= r.count <= width + 1
    assert np.all(np.diff(r.boundaries) > 0) and np.all((r.boundaries > 0) & (r.boundaries < 1))


def test_batching_does_not_change_the_count():
    torch.manual_seed(0)
    model = nets.mlp(8, [32, 32, 32], 3)
    a, b = torch.randn(8), torch.randn(8)
    full = probe.linear_regions_along_line(model, a, b, points=5000, batch_size=10_000)
    small = probe.linear_regions_along_line(model, a, b, points=5000, batch_size=37)
    assert full.count == small.count
    assert np.allclose(full.boundaries, small.boundaries)


def test_pattern_is_constant_inside_a_region_and_the_affine_map_is_exact():
    torch.manual_seed(1)
    model = nets.mlp(4, [16, 16], 2).double()
    x = torch.randn(4, dtype=torch.float64)
    A, b = probe.local_affine_map(model, x)
    near = x + 1e-7 * torch.randn(20, 4, dtype=torch.float64)
    pat = probe.activation_pattern(model, torch.cat([x[None], near]))
    assert (pat == pat[0]).all()
    with torch.no_grad():
        torch.testing.assert_close(model(near), near @ A.T + b)


def test_activation_pattern_kinds():
    torch.manual_seed(0)
    x = torch.randn(5, 3)
    m = nn.Sequential(
        nn.Linear(3, 4), nn.LeakyReLU(0.1), nn.Linear(4, 4), ShiftedReLU(1.0), nn.Linear(4, 1)
    )
    p = probe.activation_pattern(m, x)
    assert p.shape == (5, 8) and p.dtype == torch.int64 and set(p.unique().tolist()) <= {0, 1}
    pre = probe.preactivations(m, x)
    assert torch.equal(p[:, 4:], (pre["3"] >= -1.0).long())
    mx = nn.Sequential(nets.Maxout(3, 4, pieces=3), nn.Linear(4, 1))
    pm = probe.activation_pattern(mx, x)
    assert pm.shape == (5, 4) and int(pm.max()) <= 2
    conv = nets.cnn(channels=(2,), hidden=3)
    assert probe.activation_pattern(conv, torch.randn(2, 1, 8, 8)).shape == (2, 2 * 8 * 8 + 3)


def test_activation_pattern_rejects_smooth_activations():
    with pytest.raises(ValueError, match="not piecewise linear"):
        probe.activation_pattern(nn.Sequential(nn.Linear(2, 2), nn.Tanh()), torch.zeros(1, 2))
    with pytest.raises(ValueError, match="no piecewise-linear"):
        probe.activation_pattern(nn.Sequential(nn.Linear(2, 2)), torch.zeros(1, 2))


def test_regions_bad_arguments():
    model = nn.Sequential(nn.Linear(2, 2), nn.ReLU())
    with pytest.raises(ValueError, match="points"):
        probe.linear_regions_along_line(model, torch.zeros(2), torch.ones(2), points=1)
    with pytest.raises(ValueError, match="same shape"):
        probe.linear_regions_along_line(model, torch.zeros(2), torch.ones(3))
    with pytest.raises(ValueError, match="batch_size"):
        probe.linear_regions_along_line(model, torch.zeros(2), torch.ones(2), batch_size=0)


def test_steps_to_window():
    h = History()
    h.step_acc = [0.1, 0.5, 0.9, 0.95, 0.2, 1.0, 1.0, 1.0]
    assert h.steps_to(0.9) == 3
    assert h.steps_to(0.9, window=2) == 4  # (0.9 + 0.95) / 2
    assert h.steps_to(0.9, window=3) == 8  # (1 + 1 + 1) / 3
    assert h.steps_to(0.99, window=20) is None
    assert h.steps_to(0.05, window=5) == 1  # fewer than `window` steps at the start
    with pytest.raises(ValueError, match="window"):
        h.steps_to(0.5, window=0)


@given(st.lists(st.floats(0, 1), min_size=1, max_size=60), st.integers(1, 10), st.floats(0, 1))
@settings(max_examples=60, deadline=None)
def test_steps_to_window_matches_running_mean(accs, window, target):
    h = History()
    h.step_acc = accs
    means = [
        math.fsum(accs[max(0, i + 1 - window) : i + 1]) / min(i + 1, window)
        for i in range(len(accs))
    ]
    got = h.steps_to(target, window=window)
    if got is None:
        assert all(m < target for m in means)
    else:
        assert means[got - 1] >= target and all(m < target for m in means[: got - 1])
