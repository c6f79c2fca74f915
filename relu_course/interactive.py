"""Interactive figures that need no running kernel: precomputed frames behind a slider.

A figure is drawn once per value of one parameter (a weight gain, a number of
units); the frames are stored as images in the notebook's output with a slider
to move between them (matplotlib's ``to_jshtml``). The slider works on the
static website, on Colab and in Jupyter (in JupyterLab after the cell has run
once, since it does not execute scripts in outputs it did not produce).

Example::

    >>> import numpy as np
    >>> def draw(fig, k):
    ...     ax = fig.subplots()
    ...     x = np.linspace(-2, 2, 50)
    ...     ax.plot(x, np.maximum(0, x) * k)
    >>> view = slider(draw, [1, 2, 3], label="k")
    >>> view.n_frames
    3
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

__all__ = ["Slider", "slider"]

#: matplotlib's player draws its buttons with Font Awesome icons loaded from a CDN; the
#: course loads nothing from another host (offline readers, the site's tests), so the
#: stylesheet is dropped and each icon becomes a Unicode symbol.
_ICONS = {
    "fa fa-minus": "\u2212",
    "fa fa-fast-backward": "\u2759\u25c0\u25c0",
    "fa fa-step-backward": "\u25c0\u2759",
    "fa fa-play fa-flip-horizontal": "\u25c0",
    "fa fa-pause": "\u2759\u2759",
    "fa fa-play": "\u25b6",
    "fa fa-step-forward": "\u2759\u25b6",
    "fa fa-fast-forward": "\u25b6\u25b6\u2759",
    "fa fa-plus": "+",
}


def _self_contained(html: str) -> str:
    """The player's HTML without the external icon stylesheet (icons as symbols)."""
    html = re.sub(r"<link[^>]*font-awesome[^>]*>", "", html)
    for cls, symbol in _ICONS.items():
        html = html.replace(f'<i class="{cls}"></i>', symbol)
    if '<i class="fa' in html or "https://" in html:
        raise RuntimeError("matplotlib's player changed: it loads from another host")
    return html


@dataclass
class Slider:
    """The HTML of a slider figure; displays itself in a notebook.

    Its plain-text form names the slider without the HTML (which holds every frame), so a
    notebook stores the frames once.
    """

    html: str = field(repr=False)
    values: tuple
    label: str

    @property
    def n_frames(self) -> int:
        return len(self.values)

    def _repr_html_(self) -> str:
        return self.html


def slider(
    draw: Callable[[object, object], None],
    values: Sequence,
    label: str,
    figsize: tuple[float, float] = (8.0, 3.4),
    dpi: int = 80,
    fmt: str = "{}",
) -> Slider:
    """Draw ``draw(fig, value)`` for every value and return them behind one slider.

    ``draw`` receives an empty :class:`matplotlib.figure.Figure` and one of
    ``values``; it adds its own axes. ``label`` and ``fmt`` title each frame
    (``"label = value"``). Raises ``ValueError`` for fewer than two values.
    The frames are PNG images at ``dpi``; keep them few (about 5-12) so the
    notebook stays small.
    """
    import matplotlib.pyplot as plt
    from matplotlib.animation import FuncAnimation

    values = tuple(values)
    if len(values) < 2:
        raise ValueError(f"a slider needs at least two values, got {len(values)}")
    if not label:
        raise ValueError("label must name the parameter the slider moves")
    fig = plt.figure(figsize=figsize, dpi=dpi)

    def frame(i: int):
        fig.clear()
        draw(fig, values[i])
        fig.suptitle(f"{label} = {fmt.format(values[i])}", fontsize=11)
        return []

    anim = FuncAnimation(fig, frame, frames=len(values), blit=False)
    html = anim.to_jshtml(fps=2, embed_frames=True, default_mode="once")
    plt.close(fig)
    html = _self_contained(html)
    names = ", ".join(fmt.format(v) for v in values)
    html = (
        f'<div class="relu-slider" data-label="{label}" data-values="{names}">'
        f"<p><em>Move the slider: {label} = {names}.</em></p>{html}</div>"
    )
    return Slider(html, values, label)
