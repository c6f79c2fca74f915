"""Every public entry point refuses bad input with a message that names the parameter
(one parametrised test per entry point)."""

from __future__ import annotations

import pytest
import torch

from relu_course import activations, data, device, init, nets, train

MOONS = data.moons(100)
X = torch.linspace(-1, 1, 16).reshape(-1, 1)


def _mlp():
    return nets.mlp(2, [4], 2)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(clip_grad=-1.0), ValueError, "clip_grad"),
        (dict(clip_grad=0.0), ValueError, "clip_grad"),
        (dict(lr=0.0), ValueError, "lr"),
        (dict(lr=float("nan")), ValueError, "lr"),
        (dict(lr="0.1"), TypeError, "lr"),
        (dict(epochs=-1), ValueError, "epochs"),
        (dict(epochs=2.5), TypeError, "epochs"),
        (dict(batch_size=0), ValueError, "batch_size"),
        (dict(momentum=-0.9), ValueError, "momentum"),
        (dict(momentum=0.9, optimizer="adam"), ValueError, "momentum"),
        (dict(weight_decay=-1e-3), ValueError, "weight_decay"),
        (dict(l1_weight=-1e-3), ValueError, "l1_weight"),
        (dict(l1_activity=-1e-3), ValueError, "l1_activity"),
        (dict(optimizer="rmsprop"), ValueError, "optimizer"),
        (dict(loss="hinge"), ValueError, "loss"),
        (dict(drop_last=1), TypeError, "drop_last"),
        (dict(callback=3), TypeError, "callback"),
        (dict(seed=1.5), TypeError, "seed"),
    ],
)
def test_fit(kwargs, error, match):
    with pytest.raises(error, match=match):
        train.fit(_mlp(), MOONS, **kwargs)


def test_fit_arguments_after_the_data_are_keywords():
    with pytest.raises(TypeError, match="positional"):
        train.fit(_mlp(), MOONS, 3)
    with pytest.raises(TypeError, match="positional"):
        train.fit_seeds(_mlp, MOONS, 3)
    with pytest.raises(TypeError, match="positional"):
        train.fit_full_batch([nets.mlp(1, [4], 1)], X, X, 0.1, 10)


@pytest.mark.parametrize(
    "make, kwargs, error, match",
    [
        (_mlp(), {}, TypeError, "factory"),  # a model, not a callable returning one
        (lambda: "not a model", {}, TypeError, "nn.Module"),
        (_mlp, dict(seeds=0), ValueError, "seeds"),
        (_mlp, dict(seeds=[]), ValueError, "seeds"),
        (_mlp, dict(seeds="3"), TypeError, "seeds"),
        (_mlp, dict(seeds=[0, -1]), ValueError, "seeds"),
        (_mlp, dict(clip_grad=-1.0), ValueError, "clip_grad"),
        (_mlp, dict(l1_weight=-1.0), ValueError, "l1_weight"),
        (_mlp, dict(strategy="magic"), ValueError, "strategy"),
        (_mlp, dict(strategy="bmm", l1_activity=1e-3), ValueError, "loop"),
        (lambda: nets.cnn(), dict(strategy="bmm"), ValueError, "bmm"),
    ],
)
def test_fit_seeds(make, kwargs, error, match):
    split = (
        data.digits(image=True)
        if kwargs.get("strategy") == "bmm" and not kwargs.get("l1_activity")
        else MOONS
    )
    with pytest.raises(error, match=match):
        train.fit_seeds(make, split, epochs=1, **kwargs)


def test_fit_and_fit_seeds_refuse_data_that_is_not_a_split():
    with pytest.raises(TypeError, match="data must be a relu_course.data.Split"):
        train.fit(_mlp(), (MOONS.x_train, MOONS.y_train))
    with pytest.raises(TypeError, match="data must be"):
        train.fit_seeds(_mlp, [MOONS.x_train, MOONS.y_train])


@pytest.mark.parametrize(
    "models, kwargs, error, match",
    [
        ("one", dict(lr=0.1, steps=1), TypeError, "models"),
        ("none", dict(lr=0.1, steps=1), TypeError, "models"),
        ("conv", dict(lr=0.1, steps=1), ValueError, "plain MLPs"),
        ("mixed", dict(lr=0.1, steps=1), ValueError, "same layer types"),
        ("two", dict(lr=0.0, steps=1), ValueError, "lr"),
        ("two", dict(lr=[0.1, 0.2, 0.3], steps=1), ValueError, "lr"),
        ("two", dict(lr=0.1, steps=-1), ValueError, "steps"),
        ("two", dict(lr=0.1, steps=1, optimizer="lbfgs"), ValueError, "optimizer"),
    ],
)
def test_fit_full_batch(models, kwargs, error, match):
    pick = {
        "one": nets.mlp(1, [4], 1),
        "none": [],
        "conv": [torch.nn.Sequential(torch.nn.Conv1d(1, 1, 1))],
        "mixed": [nets.mlp(1, [4], 1), nets.mlp(1, [4], 1, activation="tanh")],
        "two": [nets.mlp(1, [4], 1), nets.mlp(1, [4], 1)],
    }[models]
    with pytest.raises(error, match=match):
        train.fit_full_batch(pick, X, X.abs(), **kwargs)


@pytest.mark.parametrize(
    "name, params, error, match",
    [
        ("leaky_relu", {"negative_slope": "0.1"}, TypeError, "negative_slope"),  # no coercion
        ("leaky_relu", {"negative_slope": None}, TypeError, "negative_slope"),
        ("leaky_relu", {"negative_slope": True}, TypeError, "negative_slope"),
        ("prelu", {"init": torch.tensor(0.1)}, TypeError, "init"),
        ("elu", {"alpha": "1"}, TypeError, "alpha"),
        ("elu", {"alpha": -1.0}, ValueError, "alpha"),
        ("softplus", {"beta": 0.0}, ValueError, "beta"),
        ("softplus", {"threshold": None}, TypeError, "threshold"),
        ("gelu", {"approximate": None}, ValueError, "approximate"),
        ("shifted_relu", {"shift": -1.0}, ValueError, "shift"),
        ("relu", {"negative_slope": 0.1}, ValueError, "negative_slope"),
        ("rleu", {}, ValueError, "valid names"),
        (None, {}, TypeError, "name"),
    ],
)
def test_activations_get(name, params, error, match):
    with pytest.raises(error, match=match):
        activations.get(name, **params)


@pytest.mark.parametrize(
    "name, error, match",
    [
        ("cuda:7" if torch.cuda.device_count() < 8 else "cuda:99", ValueError, "cuda"),
        ("tpu", ValueError, "tpu"),
        ("cpu:nonsense", ValueError, "not a device name"),
        ("mps:3", ValueError, "mps"),
        (7, TypeError, "name"),
    ],
)
def test_get_device(name, error, match):
    with pytest.raises(error, match=match):
        device.get_device(name)


def test_get_device_override_naming_a_missing_device(monkeypatch):
    monkeypatch.setenv(device.ENV_VAR, "cuda:7" if torch.cuda.device_count() < 8 else "cuda:99")
    with pytest.raises(ValueError, match=device.ENV_VAR):
        device.get_device()
    assert device.get_device("cpu").type == "cpu"  # an explicit name wins


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: init.initialize(nets.mlp(2, [3], 1), "he"), ValueError, "scheme"),
        (lambda: init.init_weights_(torch.empty(3), "he_normal"), ValueError, "2 dimensions"),
        (lambda: init.variance("default", 3, 3), ValueError, "default"),
    ],
)
def test_init(call, error, match):
    with pytest.raises(error, match=match):
        call()


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: data.digits(scaling="minmax"), ValueError, "scaling"),
        (lambda: data.digits(test_size=1.5), ValueError, "test_size"),
        (lambda: data.digits(min_std=-1.0), ValueError, "min_std"),
        (lambda: data.validation_split(MOONS, 1.0), ValueError, "fraction"),
        (lambda: data.adding_problem(seq_len=1), ValueError, "seq_len"),
        (lambda: data.adding_problem(20).n_classes, ValueError, "regression"),
        (lambda: data.moons(2), ValueError, "n"),
    ],
)
def test_data(call, error, match):
    with pytest.raises(error, match=match):
        call()
