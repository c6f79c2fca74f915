"""Tests for the probes chapters 1 and 3 use: local derivatives, activation traces
during training, and the exact-zero counter."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from relu_course import activations, data, nets, probe, train
from relu_course.probe import ActivationTrace, ExactZeroCounter, local_derivatives


def _tiny_split(n: int = 64, seed: int = 0) -> data.Split:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 4, generator=g)
    y = (x[:, 0] > 0).long()
    return data.Split(x[: n // 2], y[: n // 2], x[n // 2 :], y[n // 2 :])


# -- local_derivatives ------------------------------------------------------
@pytest.mark.parametrize(
    "name", ["sigmoid", "tanh", "relu", "leaky_relu", "elu", "gelu", "silu", "softplus"]
)
def test_local_derivatives_match_registry(name):
    torch.manual_seed(0)
    model = nets.mlp(5, [7, 6], 3, activation=name, init="xavier_normal").double()
    x = torch.randn(11, 5, dtype=torch.float64)
    pre = probe.preactivations(model, x)
    act = activations.get(name)
    d = local_derivatives(model, x)
    assert list(d) == list(pre) == ["1", "3"]
    for layer, z in pre.items():
        assert d[layer].shape == z.shape
        torch.testing.assert_close(d[layer], act.grad(z), rtol=0, atol=1e-12)


def test_local_derivatives_relu_kink_and_bounds():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    with torch.no_grad():
        model[0].weight.zero_()
        model[0].bias.copy_(torch.tensor([-1.0, 0.0, 1.0]))
    d = local_derivatives(model, torch.randn(4, 2))["1"]
    # pre-activations are exactly -1, 0, 1: relu' is 0, 0 (PyTorch's convention), 1
    assert d.tolist() == [[0.0, 0.0, 1.0]] * 4


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 6), st.integers(1, 8), st.integers(0, 10_000))
def test_local_derivatives_sigmoid_bounded(depth, width, s):
    torch.manual_seed(s)
    model = nets.mlp(3, [width] * depth, 2, activation="sigmoid", init="he_normal")
    d = local_derivatives(model, torch.randn(5, 3) * 10)
    assert len(d) == depth
    for g in d.values():
        assert bool(((g >= 0) & (g <= 0.25)).all())


def test_local_derivatives_leaves_model_untouched():
    torch.manual_seed(0)
    model = nets.mlp(3, [4], 2, activation="tanh")
    before = [p.detach().clone() for p in model.parameters()]
    local_derivatives(model, torch.randn(5, 3))
    assert all(p.grad is None for p in model.parameters())
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))


def test_local_derivatives_rejects_maxout():
    model = nn.Sequential(nets.Maxout(3, 4), nn.Linear(4, 1))
    with pytest.raises(ValueError, match="Maxout"):
        local_derivatives(model, torch.randn(2, 3))


# -- ActivationTrace --------------------------------------------------------
def test_activation_trace_records_every_training_step_only():
    torch.manual_seed(0)
    split = _tiny_split()
    model = nets.mlp(4, [5, 6], 2, activation="sigmoid")
    with ActivationTrace(model) as trace:
        train.fit(model, split, epochs=3, lr=0.1, batch_size=8)
    steps = 3 * (len(split.x_train) // 8)
    assert trace.steps == steps
    assert trace.layers == ["1", "3"]
    means, stds = trace.mean(), trace.std()
    for layer in trace.layers:
        assert means[layer].shape == stds[layer].shape == (steps,)
        assert np.all((means[layer] > 0) & (means[layer] < 1))  # sigmoid outputs
        assert np.all(stds[layer] >= 0)
    # hooks are removed on exit: a further forward pass records nothing
    model.train()
    model(split.x_train)
    assert trace.steps == steps


def test_activation_trace_matches_direct_statistics():
    torch.manual_seed(1)
    model = nets.mlp(4, [5], 2, activation="tanh")
    x = torch.randn(9, 4)
    with ActivationTrace(model) as trace:
        model.train()
        model(x)
        model.eval()
        model(x)  # evaluation pass: skipped
    assert trace.steps == 1
    h = probe.layer_outputs(model, x)["1"]
    assert trace.mean()["1"][0] == pytest.approx(h.mean().item(), abs=1e-6)
    assert trace.std()["1"][0] == pytest.approx(h.std().item(), abs=1e-6)
    with ActivationTrace(model, training_only=False) as trace_all:
        model.eval()
        model(x)
    assert trace_all.steps == 1


def test_activation_trace_needs_activation_layers():
    with pytest.raises(ValueError, match="no activation layers"):
        ActivationTrace(nn.Linear(2, 2))


# -- ExactZeroCounter -------------------------------------------------------
def test_exact_zero_counter_counts_constructed_zeros():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2), nn.ReLU())
    with torch.no_grad():
        model[0].weight.zero_()
        model[0].bias.copy_(torch.tensor([0.0, -0.0, 1.0, -1.0]))
    x = torch.randn(5, 3)
    with ExactZeroCounter(model) as counter:
        model.train()
        model(x)
        model(x)
        model.eval()
        model(x)  # skipped
    assert counter.steps == 2
    assert counter.zeros["1"] == 2 * 5 * 2  # two exact zeros (0.0 and -0.0) per example
    assert counter.total == {"1": 2 * 5 * 4, "3": 2 * 5 * 2}
    assert counter.count() == counter.zeros["1"] + counter.zeros["3"]
    assert counter.numel() == 60
    assert counter.fraction() == pytest.approx(counter.count() / 60)


def test_exact_zero_counter_outputs_is_sparsity():
    torch.manual_seed(0)
    model = nets.mlp(4, [16], 2, activation="relu")
    x = torch.randn(32, 4)
    with ExactZeroCounter(model, what="output") as counter:
        model.train()
        model(x)
    h = probe.layer_outputs(model, x)["1"]
    assert counter.fraction() == pytest.approx(probe.sparsity(h))


def test_exact_zero_counter_during_fit_counts_training_steps():
    torch.manual_seed(0)
    split = _tiny_split()
    model = nets.mlp(4, [8], 2, activation="relu")
    with ExactZeroCounter(model) as counter:
        train.fit(model, split, epochs=2, lr=0.05, batch_size=16)
    assert counter.steps == 2 * 2
    assert counter.numel() == 2 * len(split.x_train) * 8
    assert 0 <= counter.count() <= counter.numel()


def test_exact_zero_counter_errors():
    model = nets.mlp(2, [3], 1)
    with pytest.raises(ValueError, match="what"):
        ExactZeroCounter(model, what="weights")
    with pytest.raises(ValueError, match="no activation layers"):
        ExactZeroCounter(nn.Linear(2, 2))
    with pytest.raises(ValueError, match="nothing recorded"):
        ExactZeroCounter(model).fraction()
