"""Tests for :mod:`relu_course.theory`, the closed forms and simulations of chapter 6
(variants)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import OLD_HARDSWISH_KINK
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import special

from relu_course import theory
from relu_course.activations import SELU_ALPHA, SELU_SCALE


# --------------------------------------------------------------------------
# SELU constants
# --------------------------------------------------------------------------
@pytest.mark.parametrize("method", ["closed_form", "numeric"])
def test_selu_constants_match_pytorch(method):
    alpha, scale = theory.selu_constants(method)
    assert alpha == pytest.approx(SELU_ALPHA, abs=1e-10)
    assert scale == pytest.approx(SELU_SCALE, abs=1e-10)


def test_selu_constants_give_mean_zero_variance_one():
    mean, var = theory.gaussian_moments("selu", 0.0, 1.0)
    assert abs(mean) < 1e-10 and var == pytest.approx(1.0, abs=1e-10)


def test_selu_constants_rejects_unknown_method():
    with pytest.raises(ValueError, match="method"):
        theory.selu_constants("guess")


# --------------------------------------------------------------------------
# Gaussian moments
# --------------------------------------------------------------------------
def test_gaussian_moments_relu_standard_normal():
    mean, var = theory.gaussian_moments("relu", 0.0, 1.0)
    assert mean == pytest.approx(1 / math.sqrt(2 * math.pi), abs=1e-12)
    assert var == pytest.approx(0.5 - 1 / (2 * math.pi), abs=1e-12)


@settings(max_examples=40, deadline=None)
@given(mu=st.floats(-5, 5), var=st.floats(1e-3, 25))
def test_gaussian_moments_identity_and_relu_closed_form(mu, var):
    m, v = theory.gaussian_moments("identity", mu, var)
    assert m == pytest.approx(mu, abs=1e-9) and v == pytest.approx(var, rel=1e-9)
    sd = math.sqrt(var)
    # E[max(0, z)] = mu Phi(mu/sd) + sd phi(mu/sd); E[max(0, z)^2] = (mu^2 + sd^2) Phi + mu sd phi.
    a = mu / sd
    Phi, phi = special.ndtr(a), math.exp(-a * a / 2) / math.sqrt(2 * math.pi)
    m1 = mu * Phi + sd * phi
    m2 = (mu * mu + var) * Phi + mu * sd * phi
    m, v = theory.gaussian_moments("relu", mu, var)
    assert m == pytest.approx(m1, abs=1e-9)
    assert v == pytest.approx(m2 - m1 * m1, abs=1e-8)


def test_gaussian_moments_accepts_callables_and_zero_variance():
    m, v = theory.gaussian_moments(lambda z: 2.0 * z + 1.0, 0.5, 4.0)
    assert m == pytest.approx(2.0) and v == pytest.approx(16.0)
    assert theory.gaussian_moments("tanh", 0.3, 0.0) == (pytest.approx(math.tanh(0.3)), 0.0)


@pytest.mark.parametrize("mean, var", [(0.0, -1.0), (float("nan"), 1.0), (0.0, float("inf"))])
def test_gaussian_moments_rejects_bad_input(mean, var):
    with pytest.raises(ValueError):
        theory.gaussian_moments("relu", mean, var)


def test_gaussian_moments_rejects_bad_activation():
    with pytest.raises(TypeError):
        theory.gaussian_moments(3, 0.0, 1.0)
    with pytest.raises(ValueError, match="unknown activation"):
        theory.gaussian_moments("rectifier", 0.0, 1.0)


# --------------------------------------------------------------------------
# Moment propagation
# --------------------------------------------------------------------------
def test_moment_propagation_selu_converges_to_fixed_point():
    for mu, var in [(2.0, 4.0), (-0.5, 0.1), (0.0, 1.0)]:
        m, v = theory.moment_propagation("selu", 40, mu, var)
        assert m.shape == v.shape == (41,)
        assert (m[0], v[0]) == (mu, var)
        assert abs(m[-1]) < 1e-3 and abs(v[-1] - 1) < 1e-3


def test_moment_propagation_relu_he_preserves_second_moment():
    m, v = theory.moment_propagation("relu", 10, 1.0, 3.0, gain=2.0)
    q = m**2 + v
    assert np.allclose(q, 4.0, rtol=1e-10)


def test_moment_propagation_relu_lecun_halves_second_moment():
    m, v = theory.moment_propagation("relu", 5, 0.0, 1.0, gain=1.0)
    assert np.allclose((m**2 + v)[1:], 0.5 ** np.arange(1, 6), rtol=1e-10)


@pytest.mark.parametrize(
    "kwargs", [dict(depth=-1), dict(depth=2.5), dict(depth=3, gain=0.0), dict(depth=3, var=-1.0)]
)
def test_moment_propagation_rejects_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        theory.moment_propagation("selu", **kwargs)


# --------------------------------------------------------------------------
# Born-dead networks
# --------------------------------------------------------------------------
def test_born_dead_fraction_is_seeded_and_monotone():
    depths = [1, 2, 5, 10, 20, 40]
    a = theory.born_dead_fraction(3, depths, n_networks=1500, seed=7)
    b = theory.born_dead_fraction(3, depths, n_networks=1500, seed=7)
    assert np.array_equal(a, b)
    assert a.shape == (len(depths),)
    assert np.all(np.diff(a) >= 0) and np.all((a >= 0) & (a <= 1))
    # One layer of a zero-bias network with one input cannot be zero at both +1 and -1.
    assert a[0] == 0.0
    # The first L layers of a deeper simulation are a depth-L network: asking for fewer
    # depths changes nothing.
    assert theory.born_dead_fraction(3, [10], n_networks=1500, seed=7)[0] == a[3]


def test_born_dead_fraction_below_bound_and_tends_to_one():
    depths = np.array([2, 5, 10, 20, 50])
    n = 3000
    for width in (2, 4):
        p = theory.born_dead_fraction(width, depths, n_networks=n, seed=1)
        bound = theory.born_dead_upper_bound(width, depths)
        assert np.all(p <= bound + 4 * np.sqrt(bound * (1 - bound) / n) + 1e-3)
    assert theory.born_dead_fraction(2, [60], n_networks=n)[0] > 0.99


def test_born_dead_fraction_zero_bias_endpoints_are_exact():
    # Positive homogeneity: with zero biases, a grid that contains the end points gives the
    # same answer.
    coarse = theory.born_dead_fraction(3, [3, 8, 15], n_networks=1000, seed=2)
    fine = theory.born_dead_fraction(3, [3, 8, 15], n_networks=1000, seed=2, points_per_axis=11)
    assert np.array_equal(coarse, fine)


def test_born_dead_fraction_wide_networks_and_negative_bias():
    assert theory.born_dead_fraction(30, [20], n_networks=500)[0] == 0.0
    assert (
        theory.born_dead_fraction(4, [1], n_networks=200, bias=-100.0, points_per_axis=5)[0] == 1.0
    )
    # A constant positive bias breaks the symmetry and lowers the probability.
    sym = theory.born_dead_fraction(3, [20], n_networks=1500, seed=3)[0]
    pos = theory.born_dead_fraction(
        3, [20], n_networks=1500, seed=3, bias=0.1, points_per_axis=51
    )[0]
    assert pos < sym - 0.1


@pytest.mark.parametrize(
    "options",
    [
        dict(in_features=2, points_per_axis=9),
        dict(weights="uniform"),
        dict(bias_std=0.1, points_per_axis=21),
    ],
)
def test_born_dead_fraction_options_run(options):
    p = theory.born_dead_fraction(3, [5, 30], n_networks=400, **options)
    assert 0 <= p[0] <= p[1] <= 1 and p[1] > 0.5


def test_born_dead_fraction_survives_very_deep_networks():
    # Thousands of layers: the per-layer rescaling keeps float32 finite, the bound is still
    # respected.
    p = theory.born_dead_fraction(8, [1000, 3000], n_networks=500, seed=0)
    bound = theory.born_dead_upper_bound(8, np.array([1000, 3000]))
    assert np.all(p <= bound + 0.08) and p[1] > 0.9


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(width=0, depths=[3]),
        dict(width=3, depths=[]),
        dict(width=3, depths=[0, 2]),
        dict(width=3, depths=[3], weights="cauchy"),
        dict(width=3, depths=[3], bias_std=-1.0),
        dict(width=3, depths=[3], bias=float("nan")),
        dict(width=3, depths=[3], points_per_axis=1),
        dict(width=3, depths=[3], radius=0.0),
        dict(width=3, depths=[3], n_networks=0),
    ],
)
def test_born_dead_fraction_rejects_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        theory.born_dead_fraction(**kwargs)


def test_born_dead_upper_bound_values_and_errors():
    assert theory.born_dead_upper_bound(2, 10) == pytest.approx(1 - 0.75**10)
    assert theory.born_dead_upper_bound(5, 0) == 0.0
    arr = theory.born_dead_upper_bound(3, np.arange(5))
    assert isinstance(arr, np.ndarray) and arr.shape == (5,)
    for bad in [dict(width=0, depth=3), dict(width=2.5, depth=3), dict(width=3, depth=-1)]:
        with pytest.raises(ValueError):
            theory.born_dead_upper_bound(**bad)


@given(width=st.integers(1, 30), depth=st.integers(0, 500))
def test_born_dead_upper_bound_is_a_probability_monotone_in_depth_and_width(width, depth):
    p = theory.born_dead_upper_bound(width, depth)
    assert 0.0 <= p <= 1.0
    assert theory.born_dead_upper_bound(width, depth + 1) >= p
    assert theory.born_dead_upper_bound(width + 1, depth) <= p


# --------------------------------------------------------------------------
# ReLU6, hard-swish and the gated linear units (chapter 6's gallery)
# --------------------------------------------------------------------------
def test_relu6_and_hardswish_are_registered_with_their_formulas():
    import torch

    from relu_course import activations

    x = np.array([-5.0, -3.0, -1.0, 0.0, 2.0, 3.0, 6.0, 9.0])
    np.testing.assert_array_equal(activations.get("relu6")(x), [0, 0, 0, 0, 2, 3, 6, 6])
    np.testing.assert_allclose(activations.get("hardswish")(x), x * np.clip(x + 3, 0, 6) / 6)
    # the derivative at the kinks is autograd's
    for name, kinks in (("relu6", [0.0, 6.0]), ("hardswish", [-3.0, 3.0])):
        if name == "hardswish" and OLD_HARDSWISH_KINK:
            continue
        t = torch.tensor(kinks, dtype=torch.float64, requires_grad=True)
        (g,) = torch.autograd.grad(activations.get(name)(t).sum(), t)
        np.testing.assert_array_equal(activations.get(name).grad(kinks), g.numpy())
    assert isinstance(activations.get("relu6").module(), torch.nn.ReLU6)
    assert isinstance(activations.get("hardswish").module(), torch.nn.Hardswish)


def test_glu_with_sigmoid_gate_is_pytorchs_glu():
    import torch
    import torch.nn.functional as F

    from relu_course.activations import GLU

    layer = GLU(5, 3)
    x = torch.randn(7, 5, generator=torch.Generator().manual_seed(0))
    out = layer(x)
    assert out.shape == (7, 3)
    torch.testing.assert_close(out, F.glu(layer.linear(x), dim=-1))


def test_swiglu_is_silu_gate_times_value_and_not_elementwise():
    import torch
    import torch.nn.functional as F

    from relu_course.activations import GLU, SwiGLU

    layer = SwiGLU(4, 6)
    assert isinstance(layer, GLU) and layer.gate_name == "silu"
    x = torch.randn(3, 2, 4, generator=torch.Generator().manual_seed(1))
    z = layer.linear(x)
    torch.testing.assert_close(layer(x), z[..., :6] * F.silu(z[..., 6:]))
    assert layer(x).shape == (3, 2, 6)
    # every output depends on every input: a layer, not an element-wise function
    xi = x[0, 0].clone().requires_grad_(True)
    (jac,) = torch.autograd.grad(layer(xi)[0], xi)
    assert torch.count_nonzero(jac) == 4
    with pytest.raises(ValueError):
        GLU(2, 2, gate="no_such_gate")
