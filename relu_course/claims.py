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
import unicodedata
from dataclasses import asdict, dataclass

__all__ = ["VERDICTS", "Claim", "ClaimsTable", "slug", "METADATA_KEY"]

VERDICTS = ("confirmed", "nuanced", "not confirmed")
#: Key under which :meth:`ClaimsTable.show` stores the rows in the output metadata.
METADATA_KEY = "relu_course_claims"


def slug(heading: str) -> str:
    """The anchor Sphinx (docutils) gives a heading: ASCII lower case, every run of other
    characters a hyphen, no leading digits or hyphens: ``"What's new?"`` -> ``"what-s-new"``."""
    text = unicodedata.normalize("NFKD", " ".join(heading.lower().split()))
    text = re.sub(r"[^a-z0-9]+", "-", text.encode("ascii", "ignore").decode())
    return re.sub(r"^[-0-9]+|-+$", "", text)


def _markdown_table(header: list[str], rows: list[list[str]]) -> str:
    """A Markdown table; pipes inside cells are escaped."""
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join("---" for _ in header) + " |"]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |" for cells in rows]
    return "\n".join(lines)


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
              section: str = "") -> None:
        """Add a row; raise ``AssertionError`` if ``evidence`` does not support ``verdict``.

        Returns nothing, so a cell that ends with a check prints nothing; the rows are
        in ``self.rows``."""
        if verdict not in VERDICTS:
            raise ValueError(f"verdict must be one of {VERDICTS}, got {verdict!r}")
        if not bool(evidence):
            raise AssertionError(
                f"[{self.chapter}] the measurement ({measured}) no longer supports the verdict "
                f"{verdict!r} for: {claim}")
        self.rows.append(Claim(claim, source, measured, verdict, section))

    def markdown(self) -> str:
        """The table as Markdown: claim, source, measured, verdict."""
        return _markdown_table(["Claim", "Source", "Measured here", "Verdict"],
                               [[r.claim, r.source, r.measured, f"**{r.verdict}**"] for r in self.rows])

    def show(self):
        """Display the table in the notebook, with the rows attached as output metadata."""
        from IPython.display import Markdown, display

        meta = {METADATA_KEY: {"chapter": self.chapter, "rows": [asdict(r) for r in self.rows]}}
        display(Markdown(self.markdown()), metadata=meta)

    def counts(self) -> dict[str, int]:
        """How many rows carry each verdict."""
        return {v: sum(r.verdict == v for r in self.rows) for v in VERDICTS}


def load(paths) -> list[dict]:
    """Read the claims rows that :meth:`ClaimsTable.show` attached to executed notebooks.

    ``paths``: one path or an iterable of paths to ``.ipynb`` files, read as JSON in
    the order given. In each notebook the last output that carries
    :data:`METADATA_KEY` is used (``show()`` renders the whole table each time).
    Returns one dict per row, in order, with the keys ``chapter`` (the name given to
    :class:`ClaimsTable`), ``notebook`` (the file name), ``claim``, ``source``,
    ``measured``, ``verdict`` and ``section``.

    Raises ``FileNotFoundError`` for a missing file and ``ValueError`` for a file
    that is not a notebook or has no claims output (not executed, or no
    ``claims.show()`` cell).

    Example::

        >>> rows = load(["book/01_saturation.ipynb", "book/02_relu.ipynb"])
        >>> {r["chapter"] for r in rows}
        {'01_saturation', '02_relu'}
    """
    import json
    import os
    from pathlib import Path

    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    rows: list[dict] = []
    for path in map(Path, paths):
        if not path.is_file():
            raise FileNotFoundError(f"no notebook at {path}")
        try:
            nb = json.loads(path.read_text(encoding="utf-8"))
            cells = nb["cells"]
        except (ValueError, KeyError, TypeError) as err:
            raise ValueError(f"{path} is not a Jupyter notebook: {err}") from None
        found = None
        for cell in cells:
            for output in cell.get("outputs", []) if cell.get("cell_type") == "code" else []:
                meta = (output.get("metadata") or {}).get(METADATA_KEY)
                if meta is not None:
                    found = meta
        if found is None:
            raise ValueError(
                f"{path} has no claims table in its outputs: execute it, and check that it "
                f"ends with a cell calling ClaimsTable.show()")
        fields = set(Claim.__dataclass_fields__)
        for row in found.get("rows", []):
            rows.append({"chapter": found.get("chapter", ""), "notebook": path.name,
                         **{k: row.get(k, "") for k in Claim.__dataclass_fields__},
                         **{k: v for k, v in row.items() if k not in fields}})
    return rows


def table(rows: list[dict], columns=("chapter", "claim", "measured", "verdict")) -> str:
    """Rows as returned by :func:`load`, as a Markdown table of the given ``columns``
    (the verdict in bold). Raises ``ValueError`` for a column no row has."""
    columns = list(columns)
    known = set().union(*(r.keys() for r in rows)) if rows else set(columns)
    missing = [c for c in columns if c not in known]
    if missing:
        raise ValueError(f"unknown column(s) {missing}; rows have {sorted(known)}")
    return _markdown_table(
        [c.capitalize() for c in columns],
        [[f"**{r.get(c, '')}**" if c == "verdict" else str(r.get(c, "")) for c in columns] for r in rows])


__all__ += ["load", "table"]
