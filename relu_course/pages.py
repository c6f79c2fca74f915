"""Facts about the course's own notebooks: what kind a page is and how long it takes.

One formula gives the realistic time of every page (the lesson headers, the
intro's learning path and the tests use it):

.. math::

    \\text{minutes} = \\frac{\\text{prose words}}{150}
        + \\frac{\\text{visible code lines}}{15} + \\text{figures},

rounded up to a multiple of 5. Technical prose is read at about 150 words a
minute; a learner who reads code to understand it manages about 15 lines a
minute; a figure takes about a minute to read. Visible code is every code cell
the website shows unfolded (not tagged ``remove-cell``, ``remove-input``,
``hide-input`` or ``hide-cell``); a figure is an output image or an
interactive slider.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

__all__ = ["HIDDEN_TAGS", "kind", "reading_minutes", "reading_parts", "source"]

WORDS_PER_MINUTE = 150
CODE_LINES_PER_MINUTE = 15
MINUTES_PER_FIGURE = 1
#: Code cells with one of these tags are not on the page unfolded.
HIDDEN_TAGS = frozenset({"remove-cell", "remove-input", "hide-input", "hide-cell"})


def source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _notebook(nb: dict | str | Path) -> dict:
    if isinstance(nb, dict):
        return nb
    return json.loads(Path(nb).read_text(encoding="utf-8"))


def kind(nb: dict | str | Path) -> str:
    """``"lesson"``, ``"evidence"`` or ``"legacy"`` (a chapter not yet split)."""
    return _notebook(nb).get("metadata", {}).get("relu_course", {}).get("kind", "legacy")


def _is_figure(output: dict) -> bool:
    data = output.get("data", {})
    html = data.get("text/html", "")
    html = "".join(html) if isinstance(html, list) else html
    return "image/png" in data or "anim-slider" in html


def reading_parts(nb: dict | str | Path) -> dict[str, int]:
    """Prose words, visible code lines and figures of a notebook."""
    cells = _notebook(nb)["cells"]
    words = sum(len(source(c).split()) for c in cells if c["cell_type"] == "markdown")
    code = [
        c
        for c in cells
        if c["cell_type"] == "code"
        and not HIDDEN_TAGS & set(c.get("metadata", {}).get("tags", []))
    ]
    lines = sum(1 for c in code for line in source(c).splitlines() if line.strip())
    figures = sum(
        _is_figure(o)
        for c in cells
        if c["cell_type"] == "code" and "remove-cell" not in c.get("metadata", {}).get("tags", [])
        for o in c.get("outputs", [])
    )
    return {"words": words, "code_lines": lines, "figures": figures}


def reading_minutes(nb: dict | str | Path) -> int:
    """The realistic time of a page in minutes (the formula above), a multiple of 5.

    Example::

        >>> reading_minutes({"cells": [{"cell_type": "markdown", "source": "word " * 1500}]})
        10
    """
    p = reading_parts(nb)
    raw = (
        p["words"] / WORDS_PER_MINUTE
        + p["code_lines"] / CODE_LINES_PER_MINUTE
        + p["figures"] * MINUTES_PER_FIGURE
    )
    return max(5, 5 * math.ceil(raw / 5))
