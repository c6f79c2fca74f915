"""The house figure style and the plotting helpers that several chapters share.

White background (legible in the website's dark mode), labelled axes, and the
Okabe-Ito colour-blind-safe palette, with one fixed colour per activation (kept on the
activation's entry in the registry) so a function looks the same in every chapter.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import torch
from torch import nn

from relu_course import activations as _acts

__all__ = [
    "PALETTE",
    "color",
    "use_style",
    "plot_activations",
    "plot_decision_boundary",
]

#: Okabe & Ito (2008), safe for the common forms of colour blindness.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]


def color(name: str) -> str:
    """The colour of an activation in every figure of the course: the registry's
    ``Activation.color`` (aliases such as ``swish`` resolve to their function). Any
    other label gets a fixed colour of :data:`PALETTE`, chosen from its characters."""
    try:
        return _acts.get(name).color
    except (ValueError, TypeError):
        key = str(name).lower().replace("-", "_")
        return PALETTE[sum(map(ord, key)) % len(PALETTE)]


def use_style() -> None:
    """Apply the house style to matplotlib (call once per notebook)."""
    mpl.rcParams.update(
        {
            "figure.figsize": (6.4, 4.0),
            "figure.dpi": 100,
            "savefig.dpi": 110,
            "figure.facecolor": "white",
            "axes.facecolor": "white",
            "savefig.facecolor": "white",
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.prop_cycle": mpl.cycler(color=PALETTE),
            "font.size": 10,
            "axes.titlesize": 11,
            "legend.frameon": False,
            "lines.linewidth": 2.0,
            "figure.constrained_layout.use": True,
        }
    )


def plot_activations(
    names: Sequence[str],
    x: np.ndarray | None = None,
    ax=None,
    derivative: bool = False,
    **line_kwargs,
):
    """Plot the registry's activations (or their derivatives) over ``x`` on ``ax``."""
    x = np.linspace(-5, 5, 501) if x is None else np.asarray(x, dtype=float)
    ax = ax if ax is not None else plt.gca()
    for name in names:
        act = _acts.get(name)
        y = act.grad(x) if derivative else act(x)
        ax.plot(x, y, label=name + ("'" if derivative else ""), color=color(name), **line_kwargs)
    ax.set_xlabel("input $x$")
    ax.set_ylabel("$g'(x)$" if derivative else "$g(x)$")
    ax.legend()
    return ax


@torch.no_grad()
def plot_decision_boundary(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    ax=None,
    resolution: int = 200,
    title: str | None = None,
):
    """Shade the class ``model`` predicts over the plane around 2-D points ``x`` and
    scatter the points coloured by label ``y``."""
    if x.shape[1] != 2:
        raise ValueError(f"need 2-D inputs, got {x.shape[1]} features")
    ax = ax if ax is not None else plt.gca()
    xs = x.detach().cpu().numpy()
    ys = y.detach().cpu().numpy()
    lo, hi = xs.min(axis=0) - 0.5, xs.max(axis=0) + 0.5
    g0, g1 = np.meshgrid(
        np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution)
    )
    grid = torch.tensor(
        np.stack([g0.ravel(), g1.ravel()], 1),
        dtype=torch.float32,
        device=next(model.parameters()).device,
    )
    pred = model(grid).argmax(dim=1).cpu().numpy().reshape(g0.shape)
    cmap = mpl.colors.ListedColormap([PALETTE[1], PALETTE[0]])
    ax.contourf(g0, g1, pred, levels=[-0.5, 0.5, 1.5], cmap=cmap, alpha=0.25)
    for label, marker in ((0, "o"), (1, "s")):
        pts = xs[ys == label]
        ax.scatter(
            pts[:, 0], pts[:, 1], s=10, marker=marker, color=cmap(label), label=f"class {label}"
        )
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    if title:
        ax.set_title(title)
    return ax
