"""The "Claims checked" table that ends every chapter.

Each row states a claim, where it comes from, what the chapter measured, and a
verdict. A row is only accepted when the measurement supports its verdict
(``evidence`` is true), so a changed result fails the notebook instead of
leaving a stale verdict in the book. The rows are also attached to the cell's
output as metadata, from which the book's claims ledger is built.

Example::

    claims = ClaimsTable("02_relu")
    claims.check("relu(-1000) is 0", source="000", measured=f"{value}",
                 verdict="confirmed", evidence=value == 0.0, section="The function")
    claims.show()
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

__all__ = ["VERDICTS", "Claim", "ClaimsTable", "slug", "METADATA_KEY"]

VERDICTS = ("confirmed", "nuanced", "not confirmed")
#: Key under which :meth:`ClaimsTable.show` stores the rows in the output metadata.
METADATA_KEY = "relu_course_claims"


def slug(heading: str) -> str:
    """The anchor Sphinx/MyST gives a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\s-]", "", heading.lower()).strip()
    return re.sub(r"[\s_]+", "-", text)


@dataclass(frozen=True)
class Claim:
    claim: str
    source: str
    measured: str
    verdict: str
    section: str = ""


class ClaimsTable:
    """Collects a chapter's checked claims and renders them as a Markdown table."""

    def __init__(self, chapter: str) -> None:
        self.chapter = chapter
        self.rows: list[Claim] = []

    def check(self, claim: str, source: str, measured: str, verdict: str, evidence: bool,
              section: str = "") -> Claim:
        """Add a row; raise ``AssertionError`` if ``evidence`` does not support ``verdict``."""
        if verdict not in VERDICTS:
            raise ValueError(f"verdict must be one of {VERDICTS}, got {verdict!r}")
        if not bool(evidence):
            raise AssertionError(
                f"[{self.chapter}] the measurement ({measured}) no longer supports the verdict "
                f"{verdict!r} for: {claim}")
        row = Claim(claim, source, measured, verdict, section)
        self.rows.append(row)
        return row

    def markdown(self) -> str:
        """The table as Markdown: claim, source, measured, verdict."""
        lines = ["| Claim | Source | Measured here | Verdict |", "| --- | --- | --- | --- |"]
        for r in self.rows:
            cells = [r.claim, r.source, r.measured, f"**{r.verdict}**"]
            lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
        return "\n".join(lines)

    def show(self):
        """Display the table in the notebook, with the rows attached as output metadata."""
        from IPython.display import Markdown, display

        meta = {METADATA_KEY: {"chapter": self.chapter, "rows": [asdict(r) for r in self.rows]}}
        display(Markdown(self.markdown()), metadata=meta)

    def counts(self) -> dict[str, int]:
        """How many rows carry each verdict."""
        return {v: sum(r.verdict == v for r in self.rows) for v in VERDICTS}
