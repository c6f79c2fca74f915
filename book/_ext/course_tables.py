"""Tables the book assembles from its executed notebooks, never typed by hand.

``claims-ledger``: every "Claims checked" row of the evidence notebooks (and of the
chapters not yet split into lesson and evidence), grouped by chapter, the verdict
first, with buttons that filter by verdict. The rows are read from the executed
notebooks (the outputs that ``ClaimsTable.show()`` leaves, via
:func:`relu_course.claims.load`), never typed by hand, so the ledger cannot drift
from them. Each row links to the section where the claim is measured.

``learning-path``: per page of the course, the realistic time
(:func:`relu_course.pages.reading_minutes`: prose, visible code and figures) and
the execution time of the committed run (the ``relu_course.run_time_s`` that
`make notebooks` stores in each notebook's metadata).

``activation-table``: the registered activations (formula, derivative, range,
zero-centred, smooth, initialisation, where used) with their measured cost, read
from the output metadata ``relu_course_costs`` of the evidence notebook that
times them.
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

from relu_course.claims import VERDICTS, load, section_id

COLUMNS = ("Verdict", "Claim", "Measured", "Seeds in the claimed direction", "Source")


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


def _verdict_class(verdict: str) -> str:
    return "verdict-" + verdict.replace(" ", "-")


FILTER_HTML = (
    '<div class="ledger-filter" role="group" aria-label="Filter the claims by verdict">'
    '<span>Show:</span> <button type="button" data-verdict="all" aria-pressed="true">all</button>'
    + "".join(
        f' <button type="button" data-verdict="{_verdict_class(v)}" aria-pressed="false">{v}'
        "</button>"
        for v in VERDICTS
    )
    + "</div>"
)


class ClaimsLedger(SphinxDirective):
    """The ledger: one table per chapter, in the table of contents' order."""

    def run(self) -> list[nodes.Node]:
        from relu_course.pages import kind

        chapters = [
            doc
            for doc in _chapters(self)
            if kind(self.env.doc2path(doc)) in ("evidence", "legacy")
        ]
        per_doc = [(doc, load(self.env.doc2path(doc))) for doc in chapters]
        rows = [r for _, doc_rows in per_doc for r in doc_rows]
        counts = Counter(r["verdict"] for r in rows)
        out: list[nodes.Node] = [
            nodes.paragraph(
                text=(
                    f"{len(rows)} claims from {len(chapters)} notebooks: "
                    + ", ".join(f"{counts.get(v, 0)} {v}" for v in VERDICTS)
                    + "."
                )
            ),
            nodes.raw("", FILTER_HTML, format="html"),
        ]
        for doc, doc_rows in per_doc:
            if not doc_rows:
                continue
            title = nodes.paragraph(classes=["ledger-chapter"])
            title += nodes.strong("", "", _title_link(self, doc))
            out.append(title)
            cells = [
                [
                    _verdict(r),
                    _claim_link(self, doc, r),
                    nodes.Text(r["measured"]),
                    nodes.Text(_seeds_text(r)),
                    nodes.Text(r["source"]),
                ]
                for r in doc_rows
            ]
            table = _table((14, 34, 34, 8, 10), COLUMNS, cells, ["claims-ledger"])
            for row, r in zip(table.traverse(nodes.row)[1:], doc_rows):
                row["classes"].append(_verdict_class(r["verdict"]))
            out.append(table)
        return out


def _claim_link(directive: SphinxDirective, doc: str, row: dict) -> nodes.reference:
    link = _title_link(directive, doc, section_id(row["section"]) if row["section"] else "")
    link.children = [nodes.Text(row["claim"])]
    return link


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


def _run_seconds(doc: str, nb: dict) -> float:
    # `make notebooks` keeps one run time per notebook (per-cell timestamps are
    # stripped so that re-runs diff cleanly); older notebooks carry the timestamps
    run = nb.get("metadata", {}).get("relu_course", {}).get("run_time_s")
    if run is None:
        run = sum(_seconds(c) for c in nb["cells"] if c["cell_type"] == "code")
    if run <= 0:
        raise ValueError(f"{doc}: no execution timestamps; re-run `make notebooks`")
    return run


#: How the learning path names each kind of page (a chapter not yet split holds both).
KIND_LABELS = {"lesson": "lesson", "evidence": "evidence", "legacy": "lesson + claims"}


class LearningPath(SphinxDirective):
    """Realistic time and run time of every page of the course (lessons, and chapters
    not yet split), then of the evidence notebooks."""

    def run(self) -> list[nodes.Node]:
        from relu_course.pages import kind, reading_minutes

        course, evidence = [], []
        for doc in _chapters(self):
            nb = json.loads(open(self.env.doc2path(doc), encoding="utf-8").read())
            (evidence if kind(nb) == "evidence" else course).append(
                (doc, kind(nb), reading_minutes(nb), _run_seconds(doc, nb))
            )
        out = []
        for caption, pages in (("The course", course), ("The evidence", evidence)):
            rows = [
                [
                    _title_link(self, doc),
                    nodes.Text(KIND_LABELS[k]),
                    nodes.Text(f"{minutes} min"),
                    nodes.Text(f"{run:.0f} s"),
                ]
                for doc, k, minutes, run in pages
            ]
            total = sum(m for _, _, m, _ in pages)
            rows.append(
                [
                    nodes.strong(text=f"{caption}: all"),
                    nodes.Text(""),
                    nodes.Text(f"{total // 60} h {total % 60:02d} min"),
                    nodes.Text(f"{sum(r for *_, r in pages) / 60:.1f} min"),
                ]
            )
            out.append(
                _table(
                    (46, 14, 18, 22),
                    ("Page", "Kind", "Realistic time", "Run time (1 CPU thread)"),
                    rows,
                    ["learning-path"],
                )
            )
        return out


COSTS_KEY = "relu_course_costs"


def _costs(path) -> dict:
    nb = json.loads(open(path, encoding="utf-8").read())
    for cell in nb["cells"]:
        for out in cell.get("outputs", []) if cell["cell_type"] == "code" else []:
            found = (out.get("metadata") or {}).get(COSTS_KEY)
            if found:
                return found
    raise ValueError(f"{path} has no {COSTS_KEY} output: execute it")


def _math(latex: str) -> nodes.Node:
    return nodes.math(latex, latex)


def _range_text(low: float, high: float) -> str:
    def end(v: float) -> str:
        return "\\infty" if v == math.inf else "-\\infty" if v == -math.inf else f"{v:.2g}"

    return f"({end(low)}, {end(high)})"


class ActivationTable(SphinxDirective):
    """The registered activations with their measured cost (``:costs:`` names the
    evidence notebook that times them, relative to the source directory), as two
    tables that fit the page: properties and cost, then formulas and derivatives.
    ReLU first, then alphabetically."""

    option_spec = {"costs": str}

    def run(self) -> list[nodes.Node]:
        from relu_course import activations

        path = Path(self.env.srcdir) / self.options["costs"]
        self.env.note_dependency(str(path))
        costs = _costs(path)
        names = [n for n in activations.names() if activations.get(n).name == n]
        names.sort(key=lambda n: (n != "relu", activations.get(n).display_name.lower()))
        props, formulas = [], []
        for name in names:
            act = activations.get(name)
            ratio = costs["ratios"].get(name)
            cost = "-"
            if ratio:
                cost = f"{ratio['mean']:.2g}x [{ratio['low']:.2g}, {ratio['high']:.2g}]"
            props.append(
                [
                    nodes.Text(act.display_name),
                    _math(_range_text(*act.output_range)),
                    nodes.Text("yes" if act.zero_centred else "no"),
                    nodes.Text("yes" if act.smooth else "no"),
                    nodes.Text(cost),
                    nodes.Text(act.init),
                    nodes.Text(act.used_in),
                ]
            )
            formulas.append(
                [nodes.Text(act.display_name), _math(act.formula), _math(act.derivative_formula)]
            )
        note = nodes.paragraph(
            text=(
                f"Cost: time of the {costs['pass']} pass on {costs['size']:,} {costs['dtype']} "
                f"elements ({costs['threads']} CPU thread), as a multiple of copying the same "
                "tensor, with its 95% interval over interleaved repeats."
            )
        )
        header = (
            "Activation",
            "Range",
            "Zero-centred",
            "Smooth",
            "Cost (x copy)",
            "Initialisation",
            "Used in",
        )
        return [
            note,
            _table((14, 12, 9, 8, 15, 14, 28), header, props, ["activation-table"]),
            nodes.paragraph(text="The formulas and their derivatives:"),
            _table(
                (16, 42, 42),
                ("Activation", "g(x)", "g'(x)"),
                formulas,
                ["activation-formulas"],
            ),
        ]


def setup(app):
    app.add_directive("claims-ledger", ClaimsLedger)
    app.add_directive("learning-path", LearningPath)
    app.add_directive("activation-table", ActivationTable)
    app.add_js_file("ledger.js")
    # env_version: bump when a directive changes its output, so a cached build redoes the pages
    return {"env_version": 4, "parallel_read_safe": True, "parallel_write_safe": True}
