"""fit_seeds cannot be silently wrong: stacked copy k equals fit with seed k (vmap with
Adam, momentum, clipping and the L1 weight penalty; the mse loss); models it cannot
stack take the loop; copies must match; stacked copies are evaluated in eval mode."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from relu_course import data, device, init, nets, train


def _small_cnn():
    return nets.cnn(channels=(4,), hidden=8)


def _check_equal_to_fit(make, split, runs, epochs, **kwargs):
    for s, hist, model in zip(runs.seeds, runs.histories, runs.models, strict=True):
        device.seed(s)
        alone = make()
        ref = train.fit(alone, split, epochs=epochs, seed=s, **kwargs)
        np.testing.assert_allclose(hist.step_loss, ref.step_loss, rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(hist.test_loss, ref.test_loss, rtol=1e-4, atol=1e-5)
        for p, q in zip(model.parameters(), alone.parameters(), strict=True):
            torch.testing.assert_close(p, q, atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(lr=0.003, optimizer="adam", weight_decay=1e-3),
        dict(lr=0.05, momentum=0.9, clip_grad=0.5, l1_weight=1e-3),
    ],
    ids=["adam", "momentum-clip-l1"],
)
def test_vmap_copy_k_equals_fit_with_seed_k(kwargs):
    split = data.digits(image=True)
    split = data.Split(split.x_train[:256], split.y_train[:256], *split[2:])
    runs = train.fit_seeds(_small_cnn, split, seeds=[0, 3], epochs=1, batch_size=32, **kwargs)
    assert runs.strategy == "vmap"
    _check_equal_to_fit(_small_cnn, split, runs, 1, batch_size=32, **kwargs)


@pytest.mark.parametrize("strategy", ["bmm", "vmap"])
def test_mse_loss_stacked_equals_fit(strategy):
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(160, 3, generator=gen)
    y = torch.sin(x).sum(1)
    split = data.Split(x[:120], y[:120], x[120:], y[120:])

    def make():
        return nets.mlp(3, [16], 1, activation="tanh")

    runs = train.fit_seeds(
        make, split, seeds=2, epochs=2, lr=0.05, loss="mse", batch_size=32, strategy=strategy
    )
    assert runs.strategy == strategy
    assert np.isnan(runs.final("test_acc")).all()
    _check_equal_to_fit(make, split, runs, 2, lr=0.05, loss="mse", batch_size=32)


def _dropout_mlp():
    return nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Dropout(0.5), nn.Linear(32, 10))


def test_a_dropout_model_takes_the_loop_and_reproduces_fit():
    split = data.digits()
    runs = train.fit_seeds(_dropout_mlp, split, seeds=[1, 2], epochs=1, lr=0.05)
    assert runs.strategy == "loop"
    for s, hist in zip(runs.seeds, runs.histories, strict=True):
        device.seed(s)  # the masks come from the global stream, seeded per copy
        ref = train.fit(_dropout_mlp(), split, epochs=1, seed=s, lr=0.05)
        assert hist.step_loss == ref.step_loss and hist.test_acc == ref.test_acc
    for strategy in ("vmap", "bmm"):
        with pytest.raises(ValueError, match="Dropout"):
            train.fit_seeds(_dropout_mlp, split, seeds=2, epochs=1, strategy=strategy)


class _Noisy(nn.Module):  # a reader's own module with randomness
    def forward(self, x):
        return x + 0.1 * torch.randn_like(x)


class _Shifted(nn.Module):  # a reader's own deterministic element-wise module
    def forward(self, x):
        return torch.relu(x) - 0.5


def test_a_readers_own_module_is_stacked_only_when_it_is_deterministic():
    split = data.moons(200)
    noisy = train.fit_seeds(lambda: nets.mlp(2, [8], 2, activation=_Noisy), split, seeds=2)
    assert noisy.strategy == "loop"
    plain = train.fit_seeds(lambda: nets.mlp(2, [8], 2, activation=_Shifted), split, seeds=2)
    assert plain.strategy == "vmap"
    model = nets.mlp(2, [8], 2, activation=_Noisy)
    before = torch.get_rng_state()
    assert "randomness" in train._not_stackable(model, split.x_train)
    assert torch.equal(torch.get_rng_state(), before)  # the check draws nothing


class _ModeDependent(nn.Module):
    def forward(self, x):
        return x if self.training else 0.5 * x


def test_stacked_copies_are_evaluated_in_eval_mode_like_fit():
    """A layer that differs in eval mode (batch norm without running statistics
    does not; this one does) cannot be stacked; batch norm on batch statistics can."""
    split = data.moons(200)
    make = lambda: nn.Sequential(nn.Linear(2, 8), _ModeDependent(), nn.Linear(8, 2))  # noqa: E731
    assert train.fit_seeds(make, split, seeds=2, epochs=1).strategy == "loop"

    def bn():
        return nn.Sequential(
            nn.Linear(2, 8),
            nn.BatchNorm1d(8, track_running_stats=False),
            nn.ReLU(),
            nn.Linear(8, 2),
        )

    runs = train.fit_seeds(bn, split, seeds=2, epochs=2, lr=0.1)
    assert runs.strategy == "vmap"
    _check_equal_to_fit(bn, split, runs, 2, lr=0.1)
    bn_stats = lambda: nn.Sequential(nn.Linear(2, 8), nn.BatchNorm1d(8), nn.Linear(8, 2))  # noqa: E731
    assert train.fit_seeds(bn_stats, split, seeds=2, epochs=1).strategy == "loop"


def test_copies_must_have_the_same_layers_and_settings():
    x = torch.linspace(-1, 1, 32).reshape(-1, 1)
    relu_net = nets.mlp(1, [8], 1, activation="relu")
    tanh_net = nets.mlp(1, [8], 1, activation="tanh")
    with pytest.raises(ValueError, match="same layer types and settings.*'1'"):
        train.fit_full_batch([relu_net, tanh_net], x, x.abs(), lr=0.01, steps=1)
    leaky = [nets.mlp(1, [8], 1, activation="leaky_relu", negative_slope=a) for a in (0.01, 0.2)]
    with pytest.raises(ValueError, match="negative_slope"):
        train.fit_full_batch(leaky, x, x.abs(), lr=0.01, steps=1)
    wide = nets.mlp(1, [9], 1)
    with pytest.raises(ValueError, match="same layer types"):
        train.fit_full_batch([relu_net, wide], x, x.abs(), lr=0.01, steps=1)
    # fit_seeds: a factory that builds different models per call
    widths = iter([8, 16, 8, 16])
    with pytest.raises(ValueError, match="same layer types"):
        train.fit_seeds(lambda: nets.mlp(2, [next(widths)], 2), data.moons(100), seeds=2)


def test_the_loop_checks_copies_too():
    widths = iter([8, 16])
    with pytest.raises(ValueError, match="same layer types"):
        train.fit_seeds(
            lambda: nets.mlp(2, [next(widths)], 2), data.moons(100), seeds=2, l1_activity=1e-4
        )


def test_float64_init_draws_float64_numbers():
    gen = torch.Generator().manual_seed(0)
    w64 = init.init_weights_(torch.empty(50, 40, dtype=torch.float64), "he_normal", gen)
    gen = torch.Generator().manual_seed(0)
    w32 = init.init_weights_(torch.empty(50, 40), "he_normal", gen)
    # float64 draws are not float32 draws widened
    assert not torch.equal(w64, w32.double())


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_float64_init_on_the_gpu_equals_the_cpu():
    for dtype in (torch.float32, torch.float64):
        cpu = init.init_weights_(
            torch.empty(30, 20, dtype=dtype), "he_uniform", torch.Generator().manual_seed(1)
        )
        gpu = init.init_weights_(
            torch.empty(30, 20, dtype=dtype, device="cuda"),
            "he_uniform",
            torch.Generator().manual_seed(1),
        )
        assert torch.equal(gpu.cpu(), cpu)


class _FirstBatch(nn.Module):
    """A linear model that records the first mini-batch it is trained on."""

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(2, 2)
        self.seen: list[torch.Tensor] = []

    def forward(self, x):
        if self.training:
            self.seen.append(x.detach().clone())
        return self.linear(x)


def test_batch_order_has_its_own_random_stream():
    """One seed n must not feed one stream of numbers to the weights (``seed(n)``),
    the mini-batch order (``fit(seed=n)``) and the data: the shuffle used to be
    ``randperm`` under ``manual_seed(derive_seed(n))``, the very numbers the
    initialisation drew."""
    split = data.moons(64, seed=5)
    model = _FirstBatch()
    train.fit(model, split, epochs=1, batch_size=16, seed=5)
    first = model.seen[0]
    same_stream = torch.Generator().manual_seed(device.derive_seed(5))
    init_order = torch.randperm(len(split.x_train), generator=same_stream)
    assert not torch.equal(first, split.x_train[init_order[:16]])
    own_stream = torch.Generator().manual_seed(device.stream_seed(5, "batches"))
    order = torch.randperm(len(split.x_train), generator=own_stream)
    torch.testing.assert_close(first, split.x_train[order[:16]])


def test_streams_are_distinct_and_follow_the_base_seed(monkeypatch):
    seeds = {device.stream_seed(7, s) for s in device.STREAMS}
    assert len(seeds) == len(device.STREAMS)
    assert device.stream_seed(7, "init") == device.derive_seed(7)
    monkeypatch.setenv(device.SEED_ENV_VAR, "3")
    assert device.stream_seed(7, "batches") not in seeds
    with pytest.raises(ValueError, match="stream must be one of"):
        device.stream_seed(7, "shuffle")
