"""Tests for the package helpers that chapter 7 (reader questions) added:
``nets.autoencoder`` and ``nets.relu_interpolant``."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from relu_course.data import Split, digits
from relu_course.nets import autoencoder, relu_interpolant
from relu_course.probe import activation_layers, layer_outputs
from relu_course.train import fit


# --------------------------------------------------------------------------
# autoencoder
# --------------------------------------------------------------------------
def test_autoencoder_shapes_and_halves():
    ae = autoencoder(64, 16, hidden=(32,))
    x = torch.randn(7, 64)
    assert ae.encoder(x).shape == (7, 16)
    assert ae.decoder(ae.encoder(x)).shape == (7, 64)
    assert torch.equal(ae(x), ae.decoder(ae.encoder(x)))
    widths = [(m.in_features, m.out_features) for m in ae.modules() if isinstance(m, nn.Linear)]
    assert widths == [(64, 32), (32, 16), (16, 32), (32, 64)]


def test_autoencoder_code_is_the_only_activation_without_hidden():
    ae = autoencoder(10, 4)
    layers = activation_layers(ae)
    assert [name for name, _ in layers] == ["encoder.1"]
    assert isinstance(ae.decoder[-1], nn.Linear)  # linear output


def test_autoencoder_relu_code_is_nonnegative_with_zeros():
    torch.manual_seed(0)
    ae = autoencoder(20, 50)
    code = ae.encoder(torch.randn(100, 20))
    assert (code >= 0).all()
    assert 0.3 < (code == 0).float().mean().item() < 0.7  # about half at init


def test_autoencoder_activation_params_and_init():
    ae = autoencoder(8, 3, activation="leaky_relu", negative_slope=0.2, bias=0.1)
    assert ae.encoder[1].negative_slope == 0.2
    assert all(torch.all(m.bias == 0.1) for m in ae.modules() if isinstance(m, nn.Linear))


@pytest.mark.parametrize("args", [(0, 3), (8, 0), (8, 3, (4, -1))])
def test_autoencoder_rejects_bad_widths(args):
    with pytest.raises(ValueError):
        autoencoder(*args)


def test_autoencoder_trains_with_fit_on_input_targets():
    d = digits("unit")
    data = Split(d.x_train, d.x_train, d.x_test, d.x_test)
    torch.manual_seed(0)
    ae = autoencoder(64, 16)
    hist = fit(ae, data, epochs=5, lr=1e-2, optimizer="adam", batch_size=128, loss="mse")
    assert hist.test_loss[-1] < 0.5 * hist.test_loss[0]
    assert np.isnan(hist.test_acc[-1])  # no accuracy for a regression
    # the activity penalty reaches the code and makes it sparser
    torch.manual_seed(0)
    sparse = autoencoder(64, 16)
    fit(
        sparse,
        data,
        epochs=5,
        lr=1e-2,
        optimizer="adam",
        batch_size=128,
        loss="mse",
        l1_activity=1e-2,
    )
    zeros = lambda m: (layer_outputs(m, d.x_test)["encoder.1"] == 0).float().mean().item()  # noqa: E731
    assert zeros(sparse) > zeros(ae)


# --------------------------------------------------------------------------
# relu_interpolant
# --------------------------------------------------------------------------
knot_sets = st.lists(
    st.floats(-100, 100, allow_nan=False), min_size=2, max_size=20, unique=True
).filter(lambda xs: np.min(np.diff(np.sort(xs))) > 1e-2)


@settings(max_examples=50, deadline=None)
@given(knots=knot_sets, data=st.data())
def test_interpolant_hits_knots_and_is_linear_between(knots, data):
    x = np.sort(np.array(knots))
    v = np.array(data.draw(st.lists(st.floats(-10, 10), min_size=len(x), max_size=len(x))))
    net = relu_interpolant(x, v)
    assert net[0].out_features == len(x) - 1
    with torch.no_grad():
        at_knots = (
            net(torch.tensor(x, dtype=torch.float32).reshape(-1, 1)).flatten().double().numpy()
        )
        mids = (x[1:] + x[:-1]) / 2
        at_mids = (
            net(torch.tensor(mids, dtype=torch.float32).reshape(-1, 1)).flatten().double().numpy()
        )
    scale = 1e-3 * (1 + np.abs(v).max()) * (1 + np.abs(x).max())
    np.testing.assert_allclose(at_knots, v, atol=scale)
    np.testing.assert_allclose(at_mids, np.interp(mids, x, v), atol=scale)


def test_interpolant_outside_the_knots():
    net = relu_interpolant([0.0, 1.0, 3.0], [2.0, 4.0, 0.0])
    with torch.no_grad():
        out = net(torch.tensor([[-5.0], [5.0]])).flatten().tolist()
    assert out[0] == pytest.approx(2.0)  # constant v0 to the left
    assert out[1] == pytest.approx(-4.0)  # last slope (-2) continues to the right


def test_interpolant_matches_numpy_interp_on_a_curve():
    x = np.linspace(-np.pi, np.pi, 33)
    net = relu_interpolant(x, np.sin(x))
    grid = np.linspace(-np.pi, np.pi, 1001)
    with torch.no_grad():
        out = net(torch.tensor(grid, dtype=torch.float32).reshape(-1, 1)).flatten().numpy()
    assert np.max(np.abs(out - np.interp(grid, x, np.sin(x)))) < 1e-5


@pytest.mark.parametrize(
    "knots, values",
    [
        ([0.0], [1.0]),  # too few
        ([0.0, 1.0], [1.0]),  # lengths differ
        ([1.0, 0.0], [0.0, 1.0]),  # not increasing
        ([0.0, 0.0], [0.0, 1.0]),  # repeated
        ([0.0, float("nan")], [0.0, 1.0]),  # not finite
        ([[0.0, 1.0]], [[0.0, 1.0]]),  # not 1-D
    ],
)
def test_interpolant_rejects_bad_input(knots, values):
    with pytest.raises(ValueError):
        relu_interpolant(knots, values)


# --------------------------------------------------------------------------
# train.fit_full_batch and probe.hessian_top_eigenvalue (chapter 7b)
# --------------------------------------------------------------------------
def _copies(seeds, **kwargs):
    from relu_course import seed

    models = []
    for s in seeds:
        seed(s)
        models.append(mlp_1d(**kwargs))
    return models


def mlp_1d(width=8, activation="relu"):
    from relu_course.nets import mlp

    return mlp(1, [width], 1, activation=activation, bias=None)


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_fit_full_batch_matches_one_optimizer_per_copy(optimizer):
    from relu_course.train import fit_full_batch

    x = torch.linspace(-2, 2, 64).reshape(-1, 1)
    y = torch.sin(3 * x)
    rates = [0.01, 0.03, 0.1]
    stacked = _copies(range(3), activation="tanh")
    mse = fit_full_batch(stacked, x, y, lr=rates, steps=150, optimizer=optimizer)
    for model, lr, got in zip(_copies(range(3), activation="tanh"), rates, mse, strict=True):
        opt_cls = torch.optim.Adam if optimizer == "adam" else torch.optim.SGD
        opt = opt_cls(model.parameters(), lr=lr)
        for _ in range(150):
            opt.zero_grad()
            nn.functional.mse_loss(model(x), y).backward()
            opt.step()
        with torch.no_grad():
            want = nn.functional.mse_loss(model(x), y).item()
        assert got == pytest.approx(want, rel=1e-3, abs=1e-6)
    # the trained weights are written back into the models
    with torch.no_grad():
        assert nn.functional.mse_loss(stacked[0](x), y).item() == pytest.approx(mse[0], rel=1e-5)


def test_fit_full_batch_one_rate_for_all_and_bad_input():
    from relu_course.train import fit_full_batch

    x = torch.linspace(-1, 1, 32).reshape(-1, 1)
    models = _copies(range(2))
    before = fit_full_batch(models, x, x.abs(), lr=0.01, steps=0)
    after = fit_full_batch(models, x, x.abs(), lr=0.01, steps=200)
    assert before.shape == (2,) and (after < before).all()
    with pytest.raises(ValueError):
        fit_full_batch(models, x, x.abs(), lr=0.0, steps=10)
    with pytest.raises(ValueError):
        fit_full_batch([nn.Sequential(nn.Conv1d(1, 1, 1))], x, x, lr=0.1, steps=1)


def test_hessian_top_eigenvalue_matches_the_dense_hessian():
    from torch.func import functional_call

    from relu_course.probe import hessian_top_eigenvalue

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 3))
    x, y = torch.randn(32, 3), torch.randint(0, 3, (32,))
    names = [n for n, _ in model.named_parameters()]
    shapes = [p.shape for p in model.parameters()]
    flat = torch.cat([p.detach().reshape(-1) for p in model.parameters()])

    def loss(theta):
        parts, i = {}, 0
        for n, s in zip(names, shapes, strict=True):
            parts[n] = theta[i : i + s.numel()].reshape(s)
            i += s.numel()
        return nn.functional.cross_entropy(functional_call(model, parts, (x,)), y)

    dense = torch.autograd.functional.hessian(loss, flat)
    want = torch.linalg.eigvalsh(dense).max().item()
    got = hessian_top_eigenvalue(model, x, y, iters=300)
    assert got == pytest.approx(want, rel=1e-3)
    assert all(p.grad is None for p in model.parameters())


def test_hessian_top_eigenvalue_when_the_dominant_one_is_negative():
    from relu_course.probe import hessian_top_eigenvalue

    # out = (w0, w1) for x = I; L = -3 w0^2 + w1^2: H = diag(-6, 2)
    model = nn.Linear(2, 1, bias=False)
    with torch.no_grad():
        model.weight.copy_(torch.tensor([[0.3, -0.2]]))

    def loss_fn(out, _):
        return -3 * out[0, 0] ** 2 + out[1, 0] ** 2

    got = hessian_top_eigenvalue(model, torch.eye(2), None, loss_fn=loss_fn, iters=20)
    assert got == pytest.approx(2.0, abs=1e-4)
