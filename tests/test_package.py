"""device, data, init, nets, train, probe, claims and progress."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from relu_course import claims, data, device, init, nets, probe, progress, train


# ---- device ------------------------------------------------------------------
def test_get_device_default_and_override(monkeypatch):
    monkeypatch.delenv(device.ENV_VAR, raising=False)
    expected = "cuda" if torch.cuda.is_available() else None
    got = device.get_device()
    assert isinstance(got, torch.device)
    if expected:
        assert got.type == expected
    monkeypatch.setenv(device.ENV_VAR, "cpu")
    assert device.get_device() == torch.device("cpu")


def test_get_device_rejects_bad_override(monkeypatch):
    monkeypatch.setenv(device.ENV_VAR, "tpu7")
    with pytest.raises(ValueError, match="not a device"):
        device.get_device()
    if not torch.cuda.is_available():
        monkeypatch.setenv(device.ENV_VAR, "cuda")
        with pytest.raises(ValueError, match="CUDA is not available"):
            device.get_device()


def test_seed_repeats_all_generators():
    import random

    def draw():
        return random.random(), np.random.rand(), torch.rand(1).item()

    device.seed(3)
    a = draw()
    device.seed(3)
    assert draw() == a
    with pytest.raises(TypeError):
        device.seed(1.5)


# ---- data --------------------------------------------------------------------
@pytest.mark.parametrize("scaling", data.SCALINGS)
def test_digits_shapes_and_scaling(scaling):
    d = data.digits(scaling=scaling)
    assert d.x_train.shape[1] == 64 and d.n_classes == 10
    assert len(d.x_train) + len(d.x_test) == 1797
    assert d.x_train.dtype == torch.float32 and d.y_train.dtype == torch.int64
    if scaling == "raw":
        assert d.x_train.max().item() == 16.0
    if scaling == "unit":
        assert d.x_train.max().item() == 1.0
    if scaling == "standard":
        assert abs(d.x_train.mean().item()) < 1e-5


def test_digits_image_and_errors():
    assert data.digits(image=True).x_train.shape[1:] == (1, 8, 8)
    with pytest.raises(ValueError, match="scaling"):
        data.digits(scaling="zscore")
    with pytest.raises(ValueError, match="test_size"):
        data.digits(test_size=1.5)


@pytest.mark.parametrize("loader", [data.moons, data.xor, data.spirals])
def test_synthetic_sets(loader):
    d = loader(n=200, seed=1)
    assert d.n_features == 2 and set(d.y_train.unique().tolist()) == {0, 1}
    again = loader(n=200, seed=1)
    assert torch.equal(d.x_train, again.x_train)
    with pytest.raises(ValueError):
        loader(n=2)


# ---- init --------------------------------------------------------------------
@pytest.mark.parametrize("scheme", [s for s in init.SCHEMES if s != "default"])
def test_init_variance(scheme):
    torch.manual_seed(0)
    w = torch.empty(400, 500)
    init.init_weights_(w, scheme)
    expected = init.variance(scheme, 500, 400)
    assert w.var().item() == pytest.approx(expected, rel=0.02)
    assert abs(w.mean().item()) < 0.01 * expected**0.5 * 10


def test_variance_formulas_and_errors():
    assert init.variance("he_normal", 100, 50) == pytest.approx(0.02)
    assert init.variance("xavier_uniform", 100, 50) == pytest.approx(2 / 150)
    assert init.variance("lecun_normal", 100, 50) == pytest.approx(0.01)
    with pytest.raises(ValueError, match="unknown init"):
        init.variance("kaiming", 1, 1)
    with pytest.raises(ValueError):
        init.init_weights_(torch.empty(3), "he_normal")


def test_initialize_sets_bias():
    model = nets.mlp(4, [8], 2, bias=0.1)
    assert torch.all(model[0].bias == 0.1)


# ---- nets --------------------------------------------------------------------
def test_mlp_structure_and_activation_kinds():
    model = nets.mlp(64, [32, 16], 10, activation="leaky_relu", negative_slope=0.2)
    assert [type(m).__name__ for m in model] == [
        "Linear",
        "LeakyReLU",
        "Linear",
        "LeakyReLU",
        "Linear",
    ]
    assert model[1].negative_slope == 0.2
    assert model(torch.zeros(3, 64)).shape == (3, 10)
    from relu_course import activations

    nets.mlp(2, [3], 1, activation=activations.get("elu"))
    nets.mlp(2, [3], 1, activation=nn.Tanh)
    with pytest.raises(ValueError):
        nets.mlp(2, [0], 1)
    with pytest.raises(ValueError, match="unknown activation"):
        nets.mlp(2, [3], 1, activation="rectifier")


def test_cnn_shapes():
    model = nets.cnn(activation="tanh")
    assert model(torch.zeros(5, 1, 8, 8)).shape == (5, 10)
    with pytest.raises(ValueError, match="pooling"):
        nets.cnn(channels=(4, 4, 4, 4))


def test_maxout_represents_relu_and_abs():
    unit = nets.Maxout(1, 1, pieces=2)
    with torch.no_grad():
        unit.linear.weight.copy_(torch.tensor([[1.0], [-1.0]]))
        unit.linear.bias.zero_()
    x = torch.linspace(-3, 3, 13).unsqueeze(1)
    torch.testing.assert_close(unit(x), x.abs())
    with torch.no_grad():
        unit.linear.weight.copy_(torch.tensor([[1.0], [0.0]]))
    torch.testing.assert_close(unit(x), torch.relu(x))


# ---- train -------------------------------------------------------------------
def _small_fit(seed=0, **kw):
    device.seed(seed)
    model = nets.mlp(64, [16], 10)
    d = data.digits()
    return model, train.fit(
        model, d, epochs=2, lr=0.1, momentum=0.9, seed=seed, progress=False, **kw
    )


def test_fit_records_and_learns():
    model, hist = _small_fit()
    assert hist.epoch == [0, 1, 2] and len(hist.test_acc) == 3
    assert hist.test_acc[-1] > 0.8 > hist.test_acc[0]
    assert len(hist.step_loss) == 2 * int(np.ceil(1347 / 64))
    assert hist.steps_to(0.5) is not None and not hist.diverged


def test_fit_is_deterministic():
    _, a = _small_fit(seed=5)
    _, b = _small_fit(seed=5)
    assert a.train_loss == b.train_loss and a.step_loss == b.step_loss


def test_fit_penalties_and_clipping_run():
    _, hist = _small_fit(l1_activity=1e-3, l1_weight=1e-4, weight_decay=1e-4, clip_grad=1.0)
    assert hist.test_acc[-1] > 0.7


def test_fit_flags_divergence():
    device.seed(0)
    model = nets.mlp(64, [16], 10, activation="identity")
    hist = train.fit(model, data.digits(scaling="raw"), epochs=3, lr=10.0, progress=False)
    assert hist.diverged


def test_fit_rejects_bad_arguments():
    model = nets.mlp(64, [4], 10)
    d = data.digits()
    with pytest.raises(ValueError, match="optimizer"):
        train.fit(model, d, optimizer="rmsprop")
    with pytest.raises(ValueError, match="loss"):
        train.fit(model, d, loss="hinge")
    with pytest.raises(ValueError, match="lr"):
        train.fit(model, d, lr=0)


def test_fit_regression():
    device.seed(0)
    x = torch.randn(200, 3)
    y = x @ torch.tensor([1.0, -2.0, 0.5])
    split = data.Split(x[:150], y[:150], x[150:], y[150:])
    model = nets.mlp(3, [16], 1)
    hist = train.fit(model, split, epochs=20, lr=0.05, loss="mse", progress=False)
    assert hist.test_loss[-1] < 0.2 * hist.test_loss[0]
    assert np.isnan(hist.test_acc[-1])


# ---- probe -------------------------------------------------------------------
def test_probe_activations_and_sparsity():
    device.seed(0)
    model = nets.mlp(64, [100, 100], 10)
    x = data.digits().x_test
    acts = probe.layer_outputs(model, x)
    assert list(acts) == ["1", "3"] and acts["1"].shape == (len(x), 100)
    s = probe.sparsity(acts["1"])
    assert 0.3 < s < 0.7  # about half the units are off at initialisation
    pre = probe.preactivations(model, x)
    torch.testing.assert_close(torch.relu(pre["1"]), acts["1"])
    stats = probe.activation_stats(model, x)
    assert stats["1"]["zero_fraction"] == pytest.approx(s)
    with pytest.raises(ValueError):
        probe.sparsity(torch.empty(0))


def test_dead_units_after_bias_shift():
    model = nets.mlp(64, [20], 10, bias=-100.0)
    dead = probe.dead_units(model, data.digits().x_test)
    assert dead["1"] == 1.0


def test_grad_norms_layers_and_side_effects():
    device.seed(0)
    model = nets.mlp(64, [32, 32], 10)
    d = data.digits()
    norms = probe.grad_norms(model, d.x_test, d.y_test)
    assert list(norms) == ["0", "2", "4"] and all(v > 0 for v in norms.values())
    assert all(p.grad is None for p in model.parameters())


def test_local_affine_map_is_exact_in_region():
    device.seed(0)
    model = nets.mlp(2, [16, 16], 3).double()
    x = torch.tensor([0.3, -0.2], dtype=torch.float64)
    A, b = probe.local_affine_map(model, x)
    assert A.shape == (3, 2)
    near = x + 1e-7
    torch.testing.assert_close(model(near.unsqueeze(0))[0], A @ near + b)


# ---- claims ------------------------------------------------------------------
def test_claims_table_asserts_evidence():
    table = claims.ClaimsTable("test")
    table.check("a holds", "000", "1.0", "confirmed", evidence=True, section="A section")
    with pytest.raises(AssertionError, match="no longer supports"):
        table.check("b holds", "000", "0.0", "confirmed", evidence=False)
    with pytest.raises(ValueError, match="verdict"):
        table.check("c", "000", "1", "true", evidence=True)
    counts = table.counts()
    assert counts["confirmed"] == 1 and sum(counts.values()) == 1
    assert {"confirmed", "nuanced", "not confirmed"} <= set(counts)
    md = table.markdown()
    assert md.count("\n") == 2 and "**confirmed**" in md
    assert claims.slug("Piecewise linear, but not linear!") == "piecewise-linear-but-not-linear"
    # MyST's anchor for Markdown links drops the apostrophe; the HTML id makes it a hyphen
    assert claims.slug("Gain 1 against He's gain") == "gain-1-against-hes-gain"
    assert claims.section_id("Gain 1 against He's gain") == "gain-1-against-he-s-gain"
    assert claims.slug("A dark ReLU, min(0, x)") == "a-dark-relu-min0-x"


# ---- progress ----------------------------------------------------------------
def test_progress_is_quiet_when_told(monkeypatch):
    items = [1, 2, 3]
    monkeypatch.setenv(progress.ENV_VAR, "0")
    assert progress.progress(items) is items
    monkeypatch.setenv(progress.ENV_VAR, "1")
    bar = progress.progress(items, disable=True)
    assert list(bar) == items and bar is not items
