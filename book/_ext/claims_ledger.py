"""The ``claims-ledger`` directive: every chapter's "Claims checked" rows in one table.

The rows are read from the executed chapter notebooks (the outputs that
``ClaimsTable.show()`` leaves, via :func:`relu_course.claims.load`), never typed
by hand, so the ledger cannot drift from the chapters. ``make test`` checks with
nbval that the stored outputs match a fresh run. Each row links to the section
of its chapter where the claim is measured.
"""

from __future__ import annotations

from collections import Counter
from docutils import nodes
from sphinx.util.docutils import SphinxDirective

from relu_course.claims import VERDICTS, load, slug

COLUMNS = ("Chapter", "Claim", "Source", "Measured", "Verdict")


def _entry(*children: nodes.Node) -> nodes.entry:
    entry = nodes.entry()
    entry += nodes.paragraph("", "", *children)
    return entry


class ClaimsLedger(SphinxDirective):
    """Render the ledger from the chapter notebooks in the table of contents, in order."""

    def run(self) -> list[nodes.Node]:
        env = self.env
        # the chapters are the notebooks of the book; their NN_ prefixes give the reading order
        chapters = sorted(d for d in env.found_docs if str(env.doc2path(d)).endswith(".ipynb"))
        rows = []
        for doc in chapters:
            env.note_dependency(str(env.doc2path(doc)))
            rows += [(doc, r) for r in load(env.doc2path(doc))]

        counts = Counter(r["verdict"] for _, r in rows)
        summary = nodes.paragraph(text=(
            f"{len(rows)} claims from {len(chapters)} chapters: "
            + ", ".join(f"{counts.get(v, 0)} {v}" for v in VERDICTS) + "."))

        table = nodes.table(classes=["claims-ledger"])
        group = nodes.tgroup(cols=len(COLUMNS))
        table += group
        for width in (12, 38, 10, 28, 12):
            group += nodes.colspec(colwidth=width)
        head, header = nodes.thead(), nodes.row()
        for title in COLUMNS:
            header += _entry(nodes.Text(title))
        head += header
        group += head
        body = nodes.tbody()
        for doc, r in rows:
            uri = self.env.app.builder.get_relative_uri(env.docname, doc)
            if r["section"]:
                uri += "#" + slug(r["section"])
            row = nodes.row()
            title = env.titles[doc].astext() if doc in env.titles else r["chapter"]
            row += _entry(nodes.reference("", title, refuri=uri))
            row += _entry(nodes.Text(r["claim"]))
            row += _entry(nodes.Text(r["source"]))
            row += _entry(nodes.Text(r["measured"]))
            row += _entry(nodes.strong(text=r["verdict"]))
            body += row
        group += body
        return [summary, table]


def setup(app):
    app.add_directive("claims-ledger", ClaimsLedger)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
