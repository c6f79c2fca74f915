r"""Closed forms and simulations behind the chapter on variants of the rectifier.

* :func:`selu_constants`: the SELU constants :math:`\alpha \approx 1.6733` and
  :math:`\lambda \approx 1.0507` of Klambauer et al. (2017), from their closed
  form or by solving the fixed-point equations numerically.
* :func:`gaussian_moments` and :func:`moment_propagation`: the mean and variance
  of :math:`g(z)` for Gaussian :math:`z`, and their layer-to-layer recursion in a
  wide random network (the "mean-field" picture).
* :func:`born_dead_fraction` and :func:`born_dead_upper_bound`: how often a deep,
  narrow ReLU network is constant over its input domain at initialisation
  (Lu et al. 2019), simulated for thousands of networks at once in torch.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import torch
from scipy import optimize

from relu_course import activations as _acts
from relu_course.device import derive_seed

__all__ = [
    "selu_constants",
    "gaussian_moments",
    "moment_propagation",
    "born_dead_fraction",
    "born_dead_upper_bound",
]


# --------------------------------------------------------------------------
# SELU
# --------------------------------------------------------------------------
def _selu_alpha_closed_form() -> float:
    # E[elu_alpha(z)] = 1/sqrt(2 pi) + alpha (e^{1/2} Phi(-1) - 1/2) = 0, with
    # Phi(-1) = erfc(1/sqrt 2) / 2.
    e_half_phi = math.exp(0.5) * math.erfc(1.0 / math.sqrt(2.0)) / 2.0
    return (1.0 / math.sqrt(2.0 * math.pi)) / (0.5 - e_half_phi)


def _elu_second_moment_closed_form(alpha: float) -> float:
    # E[elu_alpha(z)^2] = 1/2 + alpha^2 (e^2 Phi(-2) - 2 e^{1/2} Phi(-1) + 1/2) for z ~ N(0, 1).
    phi_m1 = math.erfc(1.0 / math.sqrt(2.0)) / 2.0
    phi_m2 = math.erfc(2.0 / math.sqrt(2.0)) / 2.0
    return 0.5 + alpha**2 * (math.exp(2.0) * phi_m2 - 2.0 * math.exp(0.5) * phi_m1 + 0.5)


def selu_constants(method: str = "closed_form") -> tuple[float, float]:
    r"""The SELU constants ``(alpha, scale)`` that make mean 0, variance 1 a fixed point.

    SELU is :math:`\lambda\,\mathrm{ELU}_\alpha`. Klambauer et al. (2017) choose
    :math:`\alpha` and :math:`\lambda` so that a standard-normal pre-activation
    :math:`z \sim N(0, 1)` gives an output with

    .. math::

        \mathrm{E}[\lambda\,\mathrm{ELU}_\alpha(z)] = 0, \qquad
        \mathrm{E}[(\lambda\,\mathrm{ELU}_\alpha(z))^2] = 1 .

    The first equation does not involve :math:`\lambda` and fixes :math:`\alpha`;
    the second then fixes :math:`\lambda`.

    ``method="closed_form"`` evaluates the Gaussian integrals in closed form
    (with :math:`\Phi(-1)` and :math:`\Phi(-2)`); ``method="numeric"`` integrates
    with :func:`gaussian_moments` and solves the first equation with Brent's
    method. Both agree with PyTorch's constants to about 1e-12.

    Example::

        >>> alpha, scale = selu_constants()
        >>> round(alpha, 4), round(scale, 4)
        (1.6733, 1.0507)
    """
    if method == "closed_form":
        alpha = _selu_alpha_closed_form()
        return alpha, 1.0 / math.sqrt(_elu_second_moment_closed_form(alpha))
    if method == "numeric":

        def mean_of_elu(alpha: float) -> float:
            return gaussian_moments(_acts.get("elu", alpha=alpha), 0.0, 1.0)[0]

        alpha = optimize.brentq(mean_of_elu, 0.5, 5.0, xtol=1e-14, rtol=1e-14)
        mean, var = gaussian_moments(_acts.get("elu", alpha=alpha), 0.0, 1.0)
        return alpha, 1.0 / math.sqrt(var + mean * mean)
    raise ValueError(f"method must be 'closed_form' or 'numeric', got {method!r}")


# --------------------------------------------------------------------------
# Gaussian moments and their propagation through layers
# --------------------------------------------------------------------------
def _as_function(activation: str | Callable) -> Callable[[np.ndarray], np.ndarray]:
    if isinstance(activation, str):
        act = _acts.get(activation)
        return lambda z: np.asarray(act(z), dtype=np.float64)
    if callable(activation):
        return lambda z: np.asarray(activation(z), dtype=np.float64)
    raise TypeError(f"activation must be a registry name or a callable, got {activation!r}")


_GL_NODES, _GL_WEIGHTS = np.polynomial.legendre.leggauss(96)


def gaussian_moments(activation: str | Callable, mean: float, var: float) -> tuple[float, float]:
    r"""Mean and variance of :math:`g(z)` for :math:`z \sim N(\mu, \sigma^2)`.

    ``activation``: a registry name (``"selu"``, ``"relu"``, ...) or a vectorised
    function of a float64 NumPy array. ``mean`` is :math:`\mu`, ``var`` is
    :math:`\sigma^2 \ge 0` (``var = 0`` gives ``(g(mean), 0)``). The Gaussian
    integrals are taken over :math:`\mu \pm 12\sigma` with 96-point
    Gauss-Legendre quadrature on each piece between the cut points 0 (where the
    rectifiers have their kink) and :math:`\mu`; for functions that are smooth
    on each side of 0 the result is accurate to about 1e-12.

    Example::

        >>> m, v = gaussian_moments("relu", 0.0, 1.0)   # 1/sqrt(2 pi), 1/2 - 1/(2 pi)
        >>> round(m, 6), round(v, 6)
        (0.398942, 0.340845)
    """
    g = _as_function(activation)
    mean, var = float(mean), float(var)
    if not (math.isfinite(mean) and math.isfinite(var)):
        raise ValueError(f"mean and var must be finite, got {mean!r}, {var!r}")
    if var < 0:
        raise ValueError(f"var must be >= 0, got {var!r}")
    if var == 0:
        return float(g(np.array([mean]))[0]), 0.0
    sd = math.sqrt(var)
    lo, hi = mean - 12.0 * sd, mean + 12.0 * sd
    cuts = sorted({lo, hi, mean, *([0.0] if lo < 0.0 < hi else [])})
    z_parts, w_parts = [], []
    for a, b in zip(cuts[:-1], cuts[1:]):
        half = 0.5 * (b - a)
        z_parts.append(a + half * (_GL_NODES + 1.0))
        w_parts.append(half * _GL_WEIGHTS)
    z, w = np.concatenate(z_parts), np.concatenate(w_parts)
    u = (z - mean) / sd
    w = w * np.exp(-0.5 * u * u) / (sd * math.sqrt(2.0 * math.pi))
    gz = g(z)
    m1 = float(np.dot(w, gz))
    m2 = float(np.dot(w, gz * gz))
    return m1, max(m2 - m1 * m1, 0.0)


def moment_propagation(
    activation: str | Callable, depth: int, mean: float = 0.0, var: float = 1.0, gain: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    r"""Mean and variance of the activations, layer by layer, in an infinitely wide random network.

    Layer :math:`\ell` computes :math:`h_\ell = g(W_\ell h_{\ell-1})` with zero biases
    and independent weights of mean 0 and variance ``gain / fan_in`` (``gain=1``:
    LeCun, ``gain=2``: He). For a wide layer the pre-activation of a unit is then
    approximately :math:`N(0,\ \mathrm{gain}\cdot q_{\ell-1})`, where
    :math:`q = \mu^2 + \sigma^2` is the second moment of the previous layer's
    outputs: the weights' random signs turn a mean into variance. This function
    iterates that recursion with :func:`gaussian_moments`.

    ``mean``, ``var``: the moments of the input (layer 0). Returns two arrays of
    length ``depth + 1`` (index 0 is the input): the means and the variances.

    Example::

        >>> m, v = moment_propagation("selu", 3, mean=0.0, var=1.0)
        >>> bool(np.abs(m).max() < 1e-9), np.round(v, 6).tolist()
        (True, [1.0, 1.0, 1.0, 1.0])
    """
    if int(depth) != depth or depth < 0:
        raise ValueError(f"depth must be a non-negative integer, got {depth!r}")
    if not gain > 0:
        raise ValueError(f"gain must be > 0, got {gain!r}")
    if var < 0:
        raise ValueError(f"var must be >= 0, got {var!r}")
    means, variances = [float(mean)], [float(var)]
    for _ in range(int(depth)):
        q = means[-1] ** 2 + variances[-1]
        m, v = gaussian_moments(activation, 0.0, gain * q)
        means.append(m)
        variances.append(v)
    return np.array(means), np.array(variances)


# --------------------------------------------------------------------------
# Born-dead ReLU networks (Lu et al. 2019)
# --------------------------------------------------------------------------
def _grid(in_features: int, points_per_axis: int, radius: float) -> torch.Tensor:
    axis = torch.linspace(-radius, radius, points_per_axis, dtype=torch.float64)
    mesh = torch.meshgrid(*([axis] * in_features), indexing="ij")
    return torch.stack([m.reshape(-1) for m in mesh], dim=1)


@torch.no_grad()
def born_dead_fraction(
    width: int,
    depths: Sequence[int],
    in_features: int = 1,
    n_networks: int = 1000,
    weights: str = "normal",
    bias: float = 0.0,
    bias_std: float = 0.0,
    points_per_axis: int = 2,
    radius: float = 1.0,
    seed: int = 0,
    device: torch.device | str = "cpu",
) -> np.ndarray:
    r"""Fraction of random ReLU networks that are *born dead*: constant over the input domain.

    Simulates ``n_networks`` fully connected ReLU networks with ``in_features``
    inputs and hidden layers of ``width`` units, all at once (a batch of weight
    tensors, one ``torch.baddbmm`` per layer), and evaluates them on a grid of
    ``points_per_axis ** in_features`` points covering the input domain
    :math:`[-r, r]^d` (``radius`` is :math:`r`). A network counts as born dead at
    depth :math:`L` if one of its first :math:`L` hidden layers outputs exactly 0
    at every grid point: every later layer, and the output, is then the same
    constant everywhere. (Almost surely this is also the only way a ReLU network
    with continuously distributed weights can be constant.)

    Initialisation, as in Lu et al. (2019): weights from a distribution symmetric
    about 0 with He variance :math:`2/n_\text{in}` (``weights="normal"`` or
    ``"uniform"``); biases :math:`b = \text{bias} + \text{bias\_std}\cdot N(0, 1)`.

    With zero biases a ReLU network is positively homogeneous,
    :math:`f(tx) = t f(x)` for :math:`t \ge 0`, so for ``in_features=1`` the two
    end points :math:`\pm r` (``points_per_axis=2``, the default) decide exactly
    whether it is constant on :math:`[-r, r]`. With non-zero biases, or more
    inputs, use a finer grid; the answer is then a grid estimate (a network alive
    only between grid points would be counted dead).

    With zero biases each network's activations are also rescaled to a maximum
    of 1 after every layer, which changes no zero pattern and keeps float32 from
    overflowing or underflowing over thousands of layers.

    ``depths``: the depths (numbers of hidden layers) to report; one simulation
    to the largest depth gives all of them, because the first :math:`L` layers of
    a deeper network are a depth-:math:`L` network. Returns an array of fractions,
    one per entry of ``depths``; its standard error is
    :math:`\sqrt{p(1-p)/n}`. Random numbers are drawn on the CPU with a generator
    seeded by ``derive_seed(seed)`` and moved to ``device``, so CPU, CUDA and MPS simulate the same
    networks (fractions can still differ in rare ties, from float32 rounding).

    Example::

        >>> born_dead_fraction(2, [1, 10, 50], n_networks=4000).round(2)
        array([0.  , 0.91, 1.  ])
    """
    width, in_features, n_networks = int(width), int(in_features), int(n_networks)
    depths = [int(d) for d in depths]
    if width < 1 or in_features < 1 or n_networks < 1:
        raise ValueError(
            f"width, in_features and n_networks must be >= 1, got "
            f"{width}, {in_features}, {n_networks}"
        )
    if not depths or min(depths) < 1:
        raise ValueError(f"depths must be a non-empty list of integers >= 1, got {depths!r}")
    if weights not in ("normal", "uniform"):
        raise ValueError(f"weights must be 'normal' or 'uniform', got {weights!r}")
    if bias_std < 0 or not math.isfinite(bias) or not math.isfinite(bias_std):
        raise ValueError(f"need a finite bias and bias_std >= 0, got {bias!r}, {bias_std!r}")
    if points_per_axis < 2 or radius <= 0:
        raise ValueError(
            f"need points_per_axis >= 2 and radius > 0, got {points_per_axis}, {radius}"
        )
    device = torch.device(device)
    # Draws come from a CPU generator and are moved, so every device sees the same numbers;
    # the float64 grid is cast to float32 on the CPU (MPS has no float64).
    gen = torch.Generator().manual_seed(derive_seed(int(seed)))  # the base seed shifts the draw
    dtype = torch.float32
    grid = _grid(in_features, int(points_per_axis), float(radius)).to(dtype).to(device)

    def draw(n: int, fan_in: int, uniform: bool = False) -> torch.Tensor:
        sample = torch.rand if uniform else torch.randn
        return sample(n, fan_in, width, generator=gen, dtype=dtype).to(device)

    def draw_weights(n: int, fan_in: int) -> torch.Tensor:
        std = math.sqrt(2.0 / fan_in)
        if weights == "normal":
            return draw(n, fan_in) * std
        bound = math.sqrt(3.0) * std
        return (draw(n, fan_in, uniform=True) * 2 - 1) * bound

    homogeneous = bias == 0 and bias_std == 0
    wanted = set(depths)
    dead_at: dict[int, float] = {}
    h = grid.expand(n_networks, *grid.shape)  # (alive networks, points, features)
    n_dead = 0
    for layer in range(1, max(depths) + 1):
        n_alive = h.shape[0]
        if n_alive:
            w = draw_weights(n_alive, h.shape[2])
            b = torch.full((n_alive, 1, width), float(bias), device=device, dtype=dtype)
            if bias_std > 0:
                b = b + bias_std * draw(n_alive, 1)
            h = torch.relu(torch.baddbmm(b, h, w))
            dead = (h == 0).flatten(1).all(dim=1)
            n_dead += int(dead.sum())
            h = h[~dead]
            if homogeneous and h.shape[0]:
                # Rescaling by a positive number per network changes no sign downstream.
                h = h / h.amax(dim=(1, 2), keepdim=True)
        if layer in wanted:
            dead_at[layer] = n_dead / n_networks
    return np.array([dead_at[d] for d in depths])


def born_dead_upper_bound(width: int, depth: int | np.ndarray) -> float | np.ndarray:
    r"""An upper bound on the born-dead probability: :math:`1 - (1 - 2^{-N})^{L}`.

    Fix one input point :math:`x`. Given the previous layer's output at
    :math:`x`, each of the :math:`N` units of a layer has a pre-activation that is
    symmetric about 0 (weights, and biases if random, drawn from symmetric
    distributions), so all :math:`N` units output 0 at :math:`x` with probability
    :math:`2^{-N}`, whatever happened in earlier layers. So some layer among the
    first :math:`L` is zero at :math:`x` with probability
    :math:`1 - (1 - 2^{-N})^L`. A born-dead network has a layer that is zero
    everywhere, in particular at :math:`x`, hence the bound. For fixed
    :math:`N` it tends to 1 as :math:`L \to \infty`. ``depth`` may be an array.

    Example::

        >>> round(born_dead_upper_bound(2, 10), 4)
        0.9437
    """
    if int(width) != width or width < 1:
        raise ValueError(f"width must be a positive integer, got {width!r}")
    d = np.asarray(depth)
    if np.any(d < 0):
        raise ValueError(f"depth must be >= 0, got {depth!r}")
    value = 1.0 - (1.0 - 2.0 ** (-int(width))) ** d
    return float(value) if np.ndim(value) == 0 else value
