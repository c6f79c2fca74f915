"""Rewrite each lesson's *What the evidence says* cell from its evidence notebooks.

Usage: python tests/sync_evidence.py [book/02_relu.ipynb ...]   (default: every lesson)

A lesson's evidence box is a Markdown cell whose first line is
``<!-- evidence-box: evidence/NN_slug.ipynb -->``; its content is
:func:`relu_course.claims.evidence_box` of that notebook's claims rows, so it
cannot drift from them (``tests/test_lessons.py`` checks it). `make notebooks`
runs this after executing; the cell is Markdown, so no execution is needed.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).parent))
from course import lessons  # noqa: E402

from relu_course.claims import evidence_box, load  # noqa: E402


def sync(path: Path) -> bool:
    """Regenerate the boxes of one lesson; True when something changed."""
    nb = nbformat.read(path, as_version=4)
    changed = False
    for cell in nb.cells:
        if cell.cell_type == "markdown" and cell.source.startswith("<!-- evidence-box:"):
            rel = cell.source.splitlines()[0].split("evidence-box:", 1)[1].strip(" ->")
            box = evidence_box(load(path.parent / rel), rel)
            if cell.source != box:
                cell.source, changed = box, True
    if changed:
        nbformat.write(nb, path)
    return changed


def main(argv: list[str]) -> int:
    paths = [Path(a) for a in argv] or lessons()
    for path in paths:
        print(f"{path}: {'updated' if sync(path) else 'up to date'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
