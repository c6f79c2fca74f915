"""Figures the lessons draw.

Each function draws one figure of a lesson from numbers the lesson computed (or
from a formula it states), so that the notebook shows the computation and the
package keeps the plotting. A function that draws on a given
:class:`matplotlib.figure.Figure` can be one frame of a
:func:`relu_course.interactive.slider`; each returns what it measured from its
inputs (a largest error, per-layer scales), which the tests check.

Example::

    >>> import matplotlib.pyplot as plt
    >>> import numpy as np
    >>> x = np.linspace(-np.pi, np.pi, 101)
    >>> knots = np.array([-np.pi, 0.0])
    >>> coef = np.array([0.0, 1.0, -2.0])  # 0 + relu(x + pi) - 2 relu(x)
    >>> fig = plt.figure()
    >>> err = hinge_fit_frame(fig, x, np.pi - np.abs(x), knots, coef)
    >>> bool(err < 1e-12)
    True
    >>> plt.close(fig)
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.figure import Figure

from relu_course.plot import PALETTE

__all__ = [
    "additivity_gap",
    "hinge_fit_frame",
    "hinge_sum",
    "layer_scales_frame",
    "neuron_switch",
    "softplus_family",
]

#: Colours used by these figures (Okabe-Ito): ReLU and fits, targets, accents.
_BLUE, _ORANGE, _GREEN, _VERMILION, _PINK, _SKY = PALETTE[:6]
_GREY = "#777777"


def _relu(x: np.ndarray) -> np.ndarray:
    return np.maximum(0.0, x)


def neuron_switch(
    units: Sequence[tuple[float, float]] = ((1.0, 0.0), (2.0, -1.0), (-1.0, -0.5)),
    w: Sequence[float] = (1.0, 2.0),
    b: float = -1.0,
) -> Figure:
    r"""One ReLU neuron as a switch, for one input and for two.

    Left: :math:`g(wx + b) = \max(0, wx + b)` against a scalar input :math:`x`
    for each ``(w, b)`` in ``units``: zero on one side of the hinge at
    :math:`x = -b/w` and a straight line of slope :math:`w` on the other (to
    the right for :math:`w > 0`, to the left for :math:`w < 0`). Right: the
    output :math:`\max(0, w^\top x + b)` over the plane of two inputs, for the
    weight vector ``w`` and bias ``b``: zero on the side
    :math:`w^\top x + b \le 0` ("off"), and growing linearly with the distance
    from the line :math:`w^\top x + b = 0` on the other side ("on"), in the
    direction of ``w``.

    Returns the figure; its right axes hold the image of the output (a
    ``(200, 200)`` array, rows along :math:`x_2`).
    """
    fig, (left, right) = plt.subplots(1, 2, figsize=(9.5, 3.6))
    x = np.linspace(-3, 3, 601)
    colours = [_BLUE, _ORANGE, _GREEN, _VERMILION, _PINK]
    for (wi, bi), col in zip(units, colours, strict=False):
        left.plot(x, _relu(wi * x + bi), color=col, label=f"$w={wi:g},\\ b={bi:g}$")
        if wi != 0:
            left.plot([-bi / wi], [0.0], "o", color=col, markersize=5)
    left.set_xlabel("input $x$")
    left.set_ylabel("output $\\max(0,\\ wx + b)$")
    left.set_title("One input: off, or a straight line")
    left.legend(loc="upper center")

    w = np.asarray(w, dtype=float)
    g1, g2 = np.meshgrid(np.linspace(-2, 2, 200), np.linspace(-2, 2, 200))
    out = _relu(w[0] * g1 + w[1] * g2 + b)
    mesh = right.pcolormesh(g1, g2, out, cmap="Blues", shading="auto")
    fig.colorbar(mesh, ax=right, label="output $\\max(0,\\ w^\\top x + b)$")
    right.contour(g1, g2, w[0] * g1 + w[1] * g2 + b, levels=[0.0], colors="black")
    # an arrow along w from the line, and the two halves named
    foot = -b * w / (w @ w)
    right.annotate(
        "",
        xy=foot + 0.6 * w / np.linalg.norm(w),
        xytext=foot,
        arrowprops=dict(arrowstyle="->", color=_VERMILION, lw=2),
    )
    box = dict(boxstyle="round", facecolor="white", edgecolor="none", alpha=0.85)
    right.text(-1.9, -1.8, "off: output 0", fontsize=10, bbox=box)
    right.text(-0.2, 1.7, "on: output $w^\\top x + b$", fontsize=10, bbox=box)
    right.set_xlabel("input $x_1$")
    right.set_ylabel("input $x_2$")
    right.set_title(f"Two inputs: $w = ({w[0]:g}, {w[1]:g})$, $b = {b:g}$")
    right.set_aspect("equal")
    right.grid(False)
    return fig


def hinge_sum(x: np.ndarray, knots: np.ndarray, coef: np.ndarray) -> np.ndarray:
    r"""The sum of hinges :math:`c + \sum_{i=1}^k a_i \max(0, x - t_i)`.

    ``knots`` holds :math:`t_1, \dots, t_k` (shape ``(k,)``) and ``coef`` holds
    :math:`c, a_1, \dots, a_k` (shape ``(k + 1,)``); returns an array shaped
    like ``x``. Example: ``hinge_sum(x, [0.0], [0.0, 1.0])`` is ReLU itself.
    """
    x = np.asarray(x, dtype=float)
    knots = np.asarray(knots, dtype=float)
    coef = np.asarray(coef, dtype=float)
    if coef.shape != (knots.size + 1,):
        raise ValueError(f"need {knots.size + 1} coefficients for {knots.size} knots")
    return coef[0] + _relu(x[..., None] - knots) @ coef[1:]


def hinge_fit_frame(
    fig: Figure,
    x: np.ndarray,
    y: np.ndarray,
    knots: np.ndarray,
    coef: np.ndarray,
    ylim: tuple[float, float] = (-1.6, 1.6),
) -> float:
    r"""One frame of the sum-of-hinges figure; returns the largest error.

    Left: the target ``y`` over ``x``, the fit
    :math:`f(x) = c + \sum_i a_i \max(0, x - t_i)` (see :func:`hinge_sum`) and
    its knots :math:`t_i`. Right: the hinges :math:`a_i \max(0, x - t_i)` one
    by one, each zero left of its knot and a straight line of slope
    :math:`a_i` after it; added up (with :math:`c`) they give the fit.
    Returns :math:`\max_x |f(x) - y(x)|`.
    """
    knots = np.asarray(knots, dtype=float)
    fit = hinge_sum(x, knots, coef)
    err = float(np.max(np.abs(fit - y)))
    left, right = fig.subplots(1, 2)
    left.plot(x, y, color=_GREY, lw=4, alpha=0.6, label="target")
    hinges = "1 hinge" if knots.size == 1 else f"{knots.size} hinges"
    left.plot(x, fit, color=_BLUE, label=f"sum of {hinges}")
    left.plot(
        knots,
        hinge_sum(knots, knots, coef),
        "o",
        color=_VERMILION,
        markersize=4,
        label="knots $t_i$",
    )
    left.set_ylim(*ylim)
    left.set_xlabel("input $x$")
    left.set_ylabel("output")
    left.set_title(f"largest error {err:.3f}")
    left.legend(loc="upper left", fontsize=8)
    for t, a in zip(knots, coef[1:], strict=True):
        right.plot(x, a * _relu(x - t), lw=1.2, color=_BLUE if a >= 0 else _ORANGE)
    right.axhline(coef[0], color=_GREY, lw=1, ls="--", label="constant $c$")
    right.legend(loc="lower left", fontsize=8)
    right.set_xlabel("input $x$")
    right.set_ylabel("$a_i \\max(0,\\ x - t_i)$")
    right.set_title("the hinges (blue $a_i > 0$, orange $a_i < 0$)")
    return err


def _rms(v: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(v, dtype=np.float64))))


def layer_scales_frame(
    fig: Figure,
    activations: Sequence,
    gradients: Sequence,
    log10_range: tuple[float, float] = (-8.0, 6.0),
    bins: int = 48,
) -> dict[str, np.ndarray]:
    r"""One frame of the depth figure: per-layer histograms of activations and gradients.

    ``activations[l]`` and ``gradients[l]`` are the outputs :math:`h_l` of layer
    :math:`l = 1, \dots, L` of a network on a batch and the gradients
    :math:`\partial \text{loss} / \partial h_l` (arrays or tensors of any shape).
    Each panel is a heatmap: layer on the horizontal axis, :math:`\log_{10}|v|`
    on the vertical one, colour the share of the layer's non-zero values in each
    bin (ReLU's exact zeros have no logarithm and are left out); the line is the
    layer's root mean square :math:`\sqrt{\overline{v^2}}` (zeros included).
    Returns ``{"activation_rms": ..., "gradient_rms": ...}``, arrays of shape ``(L,)``.
    """
    edges = np.linspace(*log10_range, bins + 1)
    result = {}
    axes = fig.subplots(1, 2, sharey=True)
    panels = (
        ("activation_rms", activations, "activations $h_l$"),
        ("gradient_rms", gradients, "gradients $\\partial L / \\partial h_l$"),
    )
    for ax, (key, values, name) in zip(axes, panels, strict=True):
        arrays = [
            v.detach().cpu().numpy() if isinstance(v, torch.Tensor) else np.asarray(v)
            for v in values
        ]
        depth = len(arrays)
        hist = np.zeros((bins, depth))
        for layer, v in enumerate(arrays):
            mags = np.abs(v[v != 0]).astype(np.float64)
            if mags.size:
                counts, _ = np.histogram(np.log10(mags), bins=edges)
                hist[:, layer] = counts / mags.size
        rms = np.array([_rms(v) for v in arrays])
        layers = np.arange(1, depth + 1)
        ax.pcolormesh(
            np.arange(0.5, depth + 1),
            edges,
            hist,
            cmap="Blues",
            shading="flat",
            vmin=0,
            vmax=0.35,
        )
        with np.errstate(divide="ignore"):
            ax.plot(layers, np.log10(rms), color=_VERMILION, lw=2, label="root mean square")
        ax.axhline(0.0, color=_GREY, lw=0.8, ls="--")
        ax.set_ylim(*log10_range)
        ax.set_xlabel("layer $l$")
        ax.set_title(name)
        ax.grid(False)
        ax.legend(loc="upper left", fontsize=8)
        result[key] = rms
    axes[0].set_ylabel("$\\log_{10}$ |value|")
    return result


def additivity_gap(lim: float = 2.0, n: int = 201) -> Figure:
    r"""The additivity gap :math:`\max(0,x) + \max(0,y) - \max(0,x+y)` over the plane.

    It is zero where :math:`x` and :math:`y` have the same sign and equals
    :math:`\min(|x|, |y|)` where they have opposite signs. Returns the figure.
    """
    g1, g2 = np.meshgrid(np.linspace(-lim, lim, n), np.linspace(-lim, lim, n))
    gap = _relu(g1) + _relu(g2) - _relu(g1 + g2)
    fig, ax = plt.subplots(figsize=(4.6, 3.8))
    mesh = ax.pcolormesh(g1, g2, gap, cmap="Blues", shading="auto")
    fig.colorbar(mesh, ax=ax, label="gap $g(x) + g(y) - g(x + y)$")
    ax.axhline(0, color="black", lw=0.8)
    ax.axvline(0, color="black", lw=0.8)
    box = dict(boxstyle="round", facecolor="white", edgecolor="none", alpha=0.85)
    for sx, sy in ((1, 1), (-1, -1), (1, -1), (-1, 1)):
        text = "same sign:\ngap 0" if sx == sy else "mixed signs:\ngap $\\min(|x|, |y|)$"
        ax.text(sx * lim / 2, sy * lim / 2, text, ha="center", va="center", fontsize=8, bbox=box)
    ax.set_xlabel("$x$")
    ax.set_ylabel("$y$")
    ax.set_title("Where additivity fails")
    ax.set_aspect("equal")
    ax.grid(False)
    return fig


def softplus_family(betas: Sequence[float] = (1, 2, 5, 20), lim: float = 3.0) -> Figure:
    r"""Softplus :math:`s_\beta(z) = \frac{1}{\beta}\ln(1 + e^{\beta z})` for several
    sharpnesses :math:`\beta`, with ReLU.

    The largest gap :math:`s_\beta(z) - \max(0, z)` is :math:`\ln(2)/\beta`, at
    :math:`z = 0`; each curve is marked there. Computed with
    :func:`torch.nn.functional.softplus` in float64. Returns the figure.
    """
    z = torch.linspace(-lim, lim, 601, dtype=torch.float64)
    fig, ax = plt.subplots(figsize=(5.5, 3.6))
    colours = [_ORANGE, _GREEN, _PINK, _SKY, _VERMILION]
    for beta, col in zip(betas, colours, strict=False):
        s = torch.nn.functional.softplus(z, beta=beta)
        ax.plot(z, s, color=col, label=f"softplus, $\\beta = {beta:g}$")
        ax.plot([0.0], [np.log(2) / beta], "o", color=col, markersize=4)
    ax.plot(z, torch.relu(z), color=_BLUE, ls="--", label="ReLU")
    ax.set_xlabel("pre-activation $z$")
    ax.set_ylabel("output")
    ax.set_title("Softplus sharpens into ReLU")
    ax.legend()
    return fig
