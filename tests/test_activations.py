"""The activation registry: values, derivatives, dtypes, extremes and errors."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from conftest import HARDSWISH_KINK_REASON, OLD_HARDSWISH_KINK
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import relu_course
from relu_course import activations

REQUIRED = [
    "identity",
    "sigmoid",
    "tanh",
    "softsign",
    "relu",
    "leaky_relu",
    "prelu",
    "elu",
    "selu",
    "gelu",
    "silu",
    "softplus",
    "mish",
    "shifted_relu",
    "swish",
]

# Each activation with a parameter setting, and PyTorch's own function for it.
CASES = {
    "identity": ({}, lambda x: x),
    "sigmoid": ({}, torch.sigmoid),
    "tanh": ({}, torch.tanh),
    "softsign": ({}, F.softsign),
    "relu": ({}, torch.relu),
    "leaky_relu": ({"negative_slope": 0.1}, lambda x: F.leaky_relu(x, 0.1)),
    "prelu": ({"init": 0.25}, lambda x: F.prelu(x, torch.tensor([0.25], dtype=x.dtype))),
    "elu": ({"alpha": 1.5}, lambda x: F.elu(x, 1.5)),
    "selu": ({}, F.selu),
    "gelu": ({}, F.gelu),
    "gelu_tanh": ({"approximate": "tanh"}, lambda x: F.gelu(x, approximate="tanh")),
    "silu": ({}, F.silu),
    "softplus": ({"beta": 2.0, "threshold": 10.0}, lambda x: F.softplus(x, 2.0, 10.0)),
    "mish": ({}, F.mish),
    "shifted_relu": ({"shift": 0.5}, lambda x: torch.clamp_min(x, -0.5)),
    "relu6": ({}, F.relu6),
    "hardswish": ({}, F.hardswish),
}


def make(case: str) -> activations.Activation:
    params, _ = CASES[case]
    return activations.get(case.replace("_tanh", ""), **params)


def test_names_cover_the_contract():
    assert set(REQUIRED) <= set(activations.names())
    assert activations.get("swish").name == "silu"


def test_cases_cover_the_registry():
    # Values are checked against references that are not PyTorch in
    # test_activation_references.py; here the built-ins' autograd is the reference.
    assert {c.replace("_tanh", "") for c in CASES} == {
        activations.get(n).name for n in activations.names()
    }


@pytest.mark.parametrize("case", CASES)
def test_analytic_derivative_matches_autograd(case):
    if case == "hardswish" and OLD_HARDSWISH_KINK:
        pytest.skip(HARDSWISH_KINK_REASON)
    act, (_, ref) = make(case), CASES[case]
    # include the kinks: 0 and -shift
    x = torch.cat(
        [
            torch.linspace(-30, 30, 6001, dtype=torch.float64),
            torch.tensor([0.0, -0.5, 10.0 / 2.0], dtype=torch.float64),
        ]
    ).requires_grad_()
    (auto,) = torch.autograd.grad(ref(x).sum(), x)
    torch.testing.assert_close(act.grad(x.detach()), auto, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(act.grad(x.detach().numpy()), auto.numpy(), rtol=1e-10, atol=1e-12)


def test_relu_derivative_at_zero_is_zero_like_autograd():
    assert relu_course.get("relu").grad(0.0) == 0.0
    x = torch.tensor(0.0, requires_grad=True)
    torch.relu(x).backward()
    assert x.grad.item() == 0.0


@pytest.mark.parametrize("case", CASES)
def test_gradcheck_float64_of_the_package_formula(case):
    """Autograd through the package's own formula (not the built-in) against finite
    differences."""
    act = make(case)
    x = torch.linspace(-4, 4, 37, dtype=torch.float64)
    x = (x + 0.013).requires_grad_()  # keep off the kinks, where gradcheck is undefined
    assert torch.autograd.gradcheck(act.reference, (x,))


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float32, torch.float64])
def test_torch_dtypes_kept_and_close(case, dtype):
    act, (_, ref) = make(case), CASES[case]
    x = torch.linspace(-8, 8, 257, dtype=torch.float64)
    y = act(x.to(dtype))
    g = act.grad(x.to(dtype))
    assert y.dtype == dtype and g.dtype == dtype
    tol = {torch.float16: 1e-2, torch.bfloat16: 5e-2, torch.float32: 1e-5, torch.float64: 1e-12}[
        dtype
    ]
    # the value reference is the package's own NumPy formula in float64, not PyTorch
    expected = torch.from_numpy(act(x.numpy()))
    torch.testing.assert_close(y.double(), expected, rtol=tol, atol=tol)
    xg = x.clone().requires_grad_()
    (auto,) = torch.autograd.grad(ref(xg).sum(), xg)
    if case == "hardswish" and OLD_HARDSWISH_KINK:  # torch < 2.7 differs at the kinks x = +-3
        keep = x.abs() != 3
        g, auto = g[keep], auto[keep]
    torch.testing.assert_close(g.double(), auto, rtol=tol, atol=tol)


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_numpy_dtypes_kept(case, dtype):
    act = make(case)
    x = np.linspace(-8, 8, 33).astype(dtype)
    assert act(x).dtype == dtype
    assert act.grad(x).dtype == dtype


@pytest.mark.parametrize("case", CASES)
def test_extremes_no_warning_no_nan(case):
    act = make(case)
    x64 = np.concatenate([np.linspace(-1e4, 1e4, 2001), [-1e4, 1e4, 0.0, -0.0]])
    for dtype in (np.float16, np.float32, np.float64):
        x = x64.astype(dtype)
        x = x[np.isfinite(x)]
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            y, g = act(x), act.grad(x)
        assert np.isfinite(y).all() and np.isfinite(g).all(), dtype
    for dtype in (torch.float16, torch.bfloat16, torch.float32, torch.float64):
        x = torch.tensor(x64).to(dtype)
        x = x[torch.isfinite(x)].requires_grad_()
        y = act(x)
        (auto,) = torch.autograd.grad(y.sum(), x)
        assert torch.isfinite(y).all() and torch.isfinite(act.grad(x.detach())).all(), dtype
        assert torch.isfinite(auto).all(), dtype


@pytest.mark.parametrize("case", CASES)
@settings(max_examples=60, deadline=None)
@given(
    x=arrays(
        np.float32,
        st.integers(1, 50),
        elements=st.floats(width=32, allow_nan=False, allow_infinity=False),
    )
)
def test_any_finite_float32_is_safe(case, x):
    act = make(case)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y, g = act(x), act.grad(x)
    assert np.isfinite(g).all()
    if all(math.isfinite(end) for end in act.output_range):  # bounded
        assert np.isfinite(y).all()
    else:  # unbounded above: finite wherever the input times the largest slope is representable
        assert np.isfinite(y[np.abs(x) < 3e38 / 1.1]).all()


@pytest.mark.parametrize("case", CASES)
def test_nan_in_nan_out(case):
    act = make(case)
    x = np.array([np.nan, 1.0, -1.0])
    assert np.isnan(act(x)[0]) and np.isnan(act.grad(x)[0])
    assert math.isnan(act(float("nan")))
    t = torch.tensor([float("nan"), 1.0])
    assert torch.isnan(act(t)[0]) and torch.isnan(act.grad(t)[0])


@pytest.mark.parametrize("case", CASES)
def test_empty_and_zero_d(case):
    act = make(case)
    assert act(np.array([], dtype=np.float32)).shape == (0,)
    assert act(torch.empty(0)).shape == (0,)
    assert act.grad(torch.empty(0, 3)).shape == (0, 3)
    zero_d = act(np.array(0.5))
    assert isinstance(zero_d, np.ndarray) and zero_d.shape == ()
    assert act(torch.tensor(0.5)).shape == ()
    assert isinstance(act(np.float32(0.5)), np.float32)


def test_input_kinds_round_trip():
    relu = relu_course.get("relu")
    assert relu([1.0, 1000.0, 0.0, -1.0, -1000.0]) == [1.0, 1000.0, 0.0, 0.0, 0.0]
    assert relu(-3) == 0.0 and isinstance(relu(-3), float)
    assert relu(np.array([-1, 2])).dtype == np.float64
    x = torch.tensor([-1.0, 2.0], requires_grad=True)
    y = relu(x)
    assert y.requires_grad and y.device == x.device
    y.sum().backward()
    assert x.grad.tolist() == [0.0, 1.0]
    with pytest.raises(TypeError):
        relu("1.0")


def test_shortcuts():
    assert relu_course.relu(-2.0) == 0.0
    assert relu_course.leaky_relu(-2.0, negative_slope=0.1) == pytest.approx(-0.2)
    assert relu_course.swish(0.0) == 0.0


@pytest.mark.parametrize("case", CASES)
def test_module_matches_function(case):
    act = make(case)
    module = act.module()
    assert isinstance(module, torch.nn.Module) and activations.is_activation_module(module)
    x = torch.linspace(-5, 5, 101, dtype=torch.float64)
    # the module (with its parameters) against the package's NumPy formula
    np.testing.assert_allclose(
        module.double()(x).detach().numpy(), act(x.numpy()), rtol=1e-12, atol=1e-12
    )
    assert act.formula and "\\" in act.formula or act.name in ("identity",)


def test_unknown_name_lists_valid_names():
    with pytest.raises(ValueError, match="valid names:.*relu"):
        activations.get("rleu")


@pytest.mark.parametrize(
    "name, params, word",
    [
        ("leaky_relu", {"negative_slope": float("inf")}, "negative_slope"),
        ("elu", {"alpha": -1.0}, "alpha"),
        ("softplus", {"beta": 0.0}, "beta"),
        ("softplus", {"beta": -2.0}, "beta"),
        ("softplus", {"threshold": float("inf")}, "threshold"),
        ("gelu", {"approximate": "erf"}, "approximate"),
        ("prelu", {"init": float("nan")}, "init"),
        ("shifted_relu", {"shift": -1.0}, "shift"),
        ("relu", {"alpha": 1.0}, "alpha"),
    ],
)
def test_bad_parameters_are_named(name, params, word):
    with pytest.raises(ValueError, match=word):
        activations.get(name, **params)


@pytest.mark.parametrize("name, param", [("leaky_relu", "negative_slope"), ("prelu", "init")])
def test_negative_slopes_are_accepted_as_in_pytorch(name, param):
    act = activations.get(name, **{param: -0.5})
    x = np.array([-2.0, -0.0, 3.0])
    np.testing.assert_array_equal(act(x), np.where(x > 0, x, -0.5 * x))
    np.testing.assert_array_equal(act.grad(x), [-0.5, -0.5, 1.0])
    t = torch.from_numpy(x)
    np.testing.assert_array_equal(act.module().double()(t).detach().numpy(), act(x))


# ---- properties -----------------------------------------------------------
finite = st.floats(-1e6, 1e6, allow_nan=False)


@given(x=finite)
def test_relu_identities(x):
    relu = relu_course.get("relu")
    assert relu(x) - relu(-x) == x
    assert relu(x) + relu(-x) == abs(x)
    assert relu(relu(x)) == relu(x)


@given(x=finite, a=st.floats(0, 1e3, allow_nan=False))
def test_positive_homogeneity(x, a):
    relu = relu_course.get("relu")
    assert relu(a * x) == pytest.approx(a * relu(x), rel=1e-12, abs=1e-300)


@pytest.mark.parametrize("name", activations.names())
def test_monotone_exactly_where_the_derivative_is_nonnegative(name):
    """g and g' agree on monotonicity, and a function that dips (GELU, SiLU, Mish,
    hard-swish) reaches the minimum its ``output_range`` declares."""
    act = relu_course.get(name)
    x = np.linspace(-50, 50, 200_001)
    y, g = act(x), act.grad(x)
    monotone = bool(np.all(g >= 0))
    assert bool(np.all(np.diff(y) >= 0)) == monotone
    if not monotone:
        assert y.min() == pytest.approx(act.output_range[0], abs=1e-6)
        assert y.min() < y[0]  # a dip below the left tail


def test_kink_conventions():
    assert relu_course.get("leaky_relu", negative_slope=0.2).grad(0.0) == pytest.approx(0.2)
    assert relu_course.get("shifted_relu", shift=1.0).grad(-1.0) == 1.0
    assert "0" in relu_course.get("relu").kink


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
@pytest.mark.parametrize("case", CASES)
def test_cuda_tensors_stay_on_device(case):
    act = make(case)
    x = torch.linspace(-5, 5, 101, device="cuda", requires_grad=True)
    y = act(x)
    assert y.device.type == "cuda" and act.grad(x.detach()).device.type == "cuda"
    y.sum().backward()
    assert x.grad.device.type == "cuda"
    torch.testing.assert_close(act.module().cuda()(x), y)
