"""Tables the book assembles from its executed notebooks, never typed by hand.

``claims-ledger``: every chapter's "Claims checked" rows in one table. The rows
are read from the executed chapter notebooks (the outputs that
``ClaimsTable.show()`` leaves, via :func:`relu_course.claims.load`), never typed
by hand, so the ledger cannot drift from the chapters. ``make test`` checks with
nbval that the stored outputs match a fresh run. Each row links to the section
of its chapter where the claim is measured.

``learning-path``: per chapter, the reading time (words at 200 per minute), the
number of code cells, and the execution time of the committed run (the
``relu_course.run_time_s`` that `make notebooks` stores in each notebook's
metadata).
"""

from __future__ import annotations

import json
import math
from collections import Counter
from datetime import datetime
from pathlib import Path

import yaml
from docutils import nodes
from sphinx.util.docutils import SphinxDirective

from relu_course.claims import VERDICTS, load, slug

COLUMNS = (
    "Chapter",
    "Claim",
    "Source",
    "Measured",
    "Seeds agreeing",
    "Verdict",
)


def _entry(*children: nodes.Node) -> nodes.entry:
    entry = nodes.entry()
    entry += nodes.paragraph("", "", *children)
    return entry


def _toc_order(srcdir: str) -> list[str]:
    """Every file _toc.yml names, in reading order (the book's root first)."""
    toc = yaml.safe_load((Path(srcdir) / "_toc.yml").read_text(encoding="utf-8"))
    order = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                order.append(entry["file"])
            walk(entry.get("sections"))

    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    walk(toc.get("chapters"))
    return order


def _chapters(directive: SphinxDirective) -> list[str]:
    """The notebooks of the book, in the table of contents' order, noted as dependencies.

    A chapter split into parts (``05_tips``, ``05_tips_init``, ``05_tips_depth``, ...) is read in
    the order _toc.yml gives, which the alphabet does not.
    """
    env = directive.env
    order = {doc: i for i, doc in enumerate(_toc_order(env.srcdir))}
    docs = sorted(
        (d for d in env.found_docs if str(env.doc2path(d)).endswith(".ipynb")),
        key=lambda d: (order.get(d, len(order)), d),
    )
    for doc in docs:
        env.note_dependency(str(env.doc2path(doc)))
    return docs


def _table(
    widths: tuple[int, ...],
    header: tuple[str, ...],
    rows: list[list[nodes.Node]],
    classes: list[str],
) -> nodes.table:
    table = nodes.table(classes=classes)
    group = nodes.tgroup(cols=len(header))
    table += group
    for width in widths:
        group += nodes.colspec(colwidth=width)
    head, title_row = nodes.thead(), nodes.row()
    for title in header:
        title_row += _entry(nodes.Text(title))
    head += title_row
    group += head
    body = nodes.tbody()
    for cells in rows:
        row = nodes.row()
        for cell in cells:
            row += _entry(cell)
        body += row
    group += body
    return table


def _title_link(directive: SphinxDirective, doc: str, anchor: str = "") -> nodes.reference:
    env = directive.env
    uri = env.app.builder.get_relative_uri(env.docname, doc) + (f"#{anchor}" if anchor else "")
    title = env.titles[doc].astext() if doc in env.titles else doc
    return nodes.reference("", title, refuri=uri)


def _seeds_text(row: dict) -> str:
    """``agree/seeds``, ``seeds`` or ``-``, as in the chapters' tables."""
    seeds, agree = row.get("seeds"), row.get("agree")
    if seeds is None:
        return "-"
    return str(seeds) if agree is None else f"{agree}/{seeds}"


def _verdict(row: dict) -> nodes.Node:
    verdict = nodes.inline()
    verdict += nodes.strong(text=row["verdict"])
    if row.get("why"):
        verdict += nodes.Text(f" ({row['why']})")
    return verdict


class ClaimsLedger(SphinxDirective):
    """Render the ledger from the chapter notebooks in the table of contents, in order."""

    def run(self) -> list[nodes.Node]:
        chapters = _chapters(self)
        rows = [(doc, r) for doc in chapters for r in load(self.env.doc2path(doc))]
        counts = Counter(r["verdict"] for _, r in rows)
        summary = nodes.paragraph(
            text=(
                f"{len(rows)} claims from {len(chapters)} chapters: "
                + ", ".join(f"{counts.get(v, 0)} {v}" for v in VERDICTS)
                + "."
            )
        )
        cells = [
            [
                _title_link(self, doc, slug(r["section"]) if r["section"] else ""),
                nodes.Text(r["claim"]),
                nodes.Text(r["source"]),
                nodes.Text(r["measured"]),
                nodes.Text(_seeds_text(r)),
                _verdict(r),
            ]
            for doc, r in rows
        ]
        return [
            summary,
            _table((11, 34, 9, 26, 8, 12), COLUMNS, cells, ["claims-ledger"]),
        ]


WORDS_PER_MINUTE = 200


def _seconds(cell: dict) -> float:
    stamps = cell.get("metadata", {}).get("execution", {})
    start, end = (
        stamps.get("iopub.execute_input"),
        stamps.get("shell.execute_reply"),
    )
    if not (start and end):
        return 0.0

    def parse(stamp: str) -> datetime:
        return datetime.fromisoformat(stamp.replace("Z", "+00:00"))

    return (parse(end) - parse(start)).total_seconds()


class LearningPath(SphinxDirective):
    """Reading time, code cells and measured execution time of every chapter."""

    def run(self) -> list[nodes.Node]:
        rows, total_read, total_run = [], 0, 0.0
        for doc in _chapters(self):
            nb = json.loads(open(self.env.doc2path(doc), encoding="utf-8").read())

            def text(c: dict) -> str:
                return "".join(c["source"]) if isinstance(c["source"], list) else c["source"]

            words = sum(len(text(c).split()) for c in nb["cells"] if c["cell_type"] == "markdown")
            code = [c for c in nb["cells"] if c["cell_type"] == "code"]
            minutes = math.ceil(words / WORDS_PER_MINUTE)
            # `make notebooks` keeps one run time per notebook (per-cell timestamps are
            # stripped so that re-runs diff cleanly); older notebooks carry the timestamps
            run = nb.get("metadata", {}).get("relu_course", {}).get("run_time_s")
            if run is None:
                run = sum(_seconds(c) for c in code)
            if run <= 0:
                raise ValueError(f"{doc}: no execution timestamps; re-run `make notebooks`")
            total_read, total_run = total_read + minutes, total_run + run
            rows.append(
                [
                    _title_link(self, doc),
                    nodes.Text(f"{minutes} min"),
                    nodes.Text(str(len(code))),
                    nodes.Text(f"{run:.0f} s"),
                ]
            )
        rows.append(
            [
                nodes.strong(text="Whole course"),
                nodes.Text(f"{total_read} min"),
                nodes.Text(""),
                nodes.Text(f"{total_run / 60:.1f} min"),
            ]
        )
        return [
            _table(
                (46, 18, 14, 22),
                (
                    "Chapter",
                    "Reading time",
                    "Code cells",
                    "Run time (2-core CPU)",
                ),
                rows,
                ["learning-path"],
            )
        ]


def setup(app):
    app.add_directive("claims-ledger", ClaimsLedger)
    app.add_directive("learning-path", LearningPath)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
