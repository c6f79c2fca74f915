"""The registry against references that are not PyTorch.

On tensors ``act(x)`` *is* PyTorch's built-in, so comparing it with PyTorch proves
nothing about the package. Here three things are compared with each other and with
an independent reference, in float64:

* the package's own formula on NumPy arrays (``act(np.ndarray)``), and the same lines
  on tensors (``act.reference``);
* the analytic derivative ``act.grad`` against central finite differences of that
  formula, and against autograd through the formula (not through the built-in);
* PyTorch's built-in, against the same independent reference;

where the reference is an explicit formula in SciPy or in arbitrary precision
(mpmath), written from the definition and sharing no code with the package.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import torch
from conftest import OLD_HARDSWISH_KINK
from scipy import special

from relu_course import activations
from relu_course.theory import selu_constants

mpmath.mp.dps = 40

ALPHA, SCALE = selu_constants("closed_form")  # derived in closed form, not copied


def _mp(fn):
    """An element-wise float64 reference from an arbitrary-precision function."""
    return lambda x: np.array([float(fn(mpmath.mpf(float(v)))) for v in np.ravel(x)])


def _softplus(v, beta=1.0):
    return mpmath.log1p(mpmath.exp(beta * v)) / beta


# name, parameters, independent reference (float64 NumPy array -> array).
REFERENCES = {
    "identity": ({}, lambda x: x.copy()),
    "sigmoid": ({}, special.expit),
    "tanh": ({}, _mp(mpmath.tanh)),
    "softsign": ({}, lambda x: x / (1 + np.abs(x))),
    "relu": ({}, lambda x: np.maximum(x, 0.0)),
    "leaky_relu": ({"negative_slope": 0.1}, lambda x: np.maximum(x, 0) + 0.1 * np.minimum(x, 0)),
    "prelu": ({"init": 0.3}, lambda x: np.maximum(x, 0) + 0.3 * np.minimum(x, 0)),
    "elu": ({"alpha": 1.5}, _mp(lambda v: v if v > 0 else 1.5 * mpmath.expm1(v))),
    "selu": ({}, _mp(lambda v: SCALE * (v if v > 0 else ALPHA * mpmath.expm1(v)))),
    # GELU from its definition x * Phi(x), with SciPy's normal CDF.
    "gelu": ({}, lambda x: x * special.ndtr(x)),
    "gelu_tanh": (
        {"approximate": "tanh"},
        _mp(
            lambda v: (
                v
                / 2
                * (
                    1
                    + mpmath.tanh(mpmath.sqrt(2 / mpmath.pi) * (v + mpmath.mpf("0.044715") * v**3))
                )
            )
        ),
    ),
    "silu": ({}, lambda x: x * special.expit(x)),
    # softplus from its definition (PyTorch switches to x above beta * x > threshold;
    # the difference there is below float64 resolution for threshold >= 40 / beta).
    "softplus": ({"beta": 2.0, "threshold": 40.0}, _mp(lambda v: _softplus(v, 2.0))),
    "mish": ({}, _mp(lambda v: v * mpmath.tanh(_softplus(v)))),
    "shifted_relu": ({"shift": 0.5}, lambda x: np.maximum(x, -0.5)),
    "relu6": ({}, lambda x: np.minimum(np.maximum(x, 0.0), 6.0)),
    # hard-swish from its definition x * ReLU6(x + 3) / 6 (Howard et al. 2019).
    "hardswish": ({}, lambda x: x * np.minimum(np.maximum(x + 3.0, 0.0), 6.0) / 6.0),
}
KINKS = {
    "relu": [0.0],
    "leaky_relu": [0.0],
    "prelu": [0.0],
    "elu": [0.0],
    "selu": [0.0],
    "shifted_relu": [-0.5],
    "relu6": [0.0, 6.0],
    "hardswish": [-3.0, 3.0],
}


def make(case: str) -> activations.Activation:
    params, _ = REFERENCES[case]
    return activations.get(case.replace("_tanh", ""), **params)


def test_every_registered_function_has_a_reference():
    covered = {case.replace("_tanh", "") for case in REFERENCES}
    assert covered == {activations.get(n).name for n in activations.names()}


X = np.concatenate([np.linspace(-30, 30, 601), np.linspace(-3, 3, 301), [-1e-8, 1e-8]])


@pytest.mark.parametrize("case", REFERENCES)
def test_numpy_formula_and_builtin_match_an_independent_reference(case):
    act, (_, ref) = make(case), REFERENCES[case]
    expected = ref(X)
    ours = act(X)  # the package's own formula, NumPy
    builtin = act(torch.from_numpy(X)).numpy()  # PyTorch's fused function
    np.testing.assert_allclose(ours, expected, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(builtin, expected, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(
        act.reference(torch.from_numpy(X)).numpy(), ours, rtol=1e-13, atol=1e-15
    )


@pytest.mark.parametrize("case", REFERENCES)
def test_analytic_derivative_matches_finite_differences_of_the_formula(case):
    act = make(case)
    # Stay 1e-3 away from kinks of the function (and of softsign's second derivative,
    # where a central difference has an O(h) error).
    avoid = KINKS.get(case, []) + ([0.0] if case == "softsign" else [])
    x = X[np.all([np.abs(X - k) > 1e-3 for k in avoid], axis=0)] if avoid else X
    h = 1e-6
    # Central differences of the independent reference in float64: error O(h^2 f''') + O(eps/h).
    fd = (REFERENCES[case][1](x + h) - REFERENCES[case][1](x - h)) / (2 * h)
    np.testing.assert_allclose(act.grad(x), fd, rtol=1e-7, atol=1e-8)


@pytest.mark.parametrize("case", REFERENCES)
def test_analytic_derivative_matches_autograd_through_the_formula(case):
    """Autograd through the package's own formula (``act.reference``), not the built-in;
    the kinks included, where the formula's ``where`` picks the documented side."""
    act = make(case)
    kinks = KINKS.get(case, [])
    # The stable formulas use e^{-|x|}; autograd gives |x| the slope 0 at x = 0, so
    # autograd *through the formula* is not the derivative at that one point for smooth
    # functions (sigmoid'(0) would come out 0). The analytic grad is checked there by
    # finite differences above; here 0 is kept only where it is a documented kink.
    x = X[X != 0] if case not in KINKS else X
    x = torch.tensor(np.concatenate([x, kinks]), dtype=torch.float64, requires_grad=True)
    (auto,) = torch.autograd.grad(act.reference(x).sum(), x)
    np.testing.assert_allclose(act.grad(x.detach().numpy()), auto.numpy(), rtol=1e-12, atol=1e-14)
    # and the built-in's autograd at the kinks agrees with the documented convention
    if kinks and not (case == "hardswish" and OLD_HARDSWISH_KINK):
        k = torch.tensor(kinks, dtype=torch.float64, requires_grad=True)
        (at_kink,) = torch.autograd.grad(act(k).sum(), k)
        np.testing.assert_allclose(act.grad(np.array(kinks)), at_kink.numpy(), rtol=1e-15)


def test_kink_values_are_the_documented_ones():
    assert activations.get("relu").grad(0.0) == 0.0
    assert activations.get("leaky_relu", negative_slope=0.1).grad(0.0) == pytest.approx(0.1)
    assert activations.get("prelu", init=0.3).grad(0.0) == pytest.approx(0.3)
    assert activations.get("elu", alpha=1.5).grad(0.0) == pytest.approx(1.5)
    assert activations.get("selu").grad(0.0) == pytest.approx(SCALE * ALPHA)
    assert activations.get("shifted_relu", shift=0.5).grad(-0.5) == 1.0


def test_gelu_derivative_is_phi_plus_x_times_density():
    x = np.linspace(-6, 6, 121)
    expected = special.ndtr(x) + x * np.exp(-x * x / 2) / math.sqrt(2 * math.pi)
    np.testing.assert_allclose(activations.get("gelu").grad(x), expected, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("name", activations.names())
def test_shortcut_doc_states_formula_kink_and_parameters(name):
    doc = activations.shortcut_doc(name)
    spec = activations.get(name)
    assert spec.formula in doc and spec.kink in doc
    for param in spec.params:
        assert f"{param}:" in doc
    assert f">>> relu_course.{name}(" in doc
