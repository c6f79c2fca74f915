"""The "Claims checked" table that ends every chapter, and the rules a row
must follow.

Each row states a claim, where it comes from, what the chapter measured, how
many seeds the measurement used and how many of them agree with the verdict,
and the verdict. A row is only accepted when the measurement supports its
verdict (``evidence`` is true), so a changed result fails the notebook instead
of leaving a stale verdict in the book. The rows are also attached to the
cell's output as metadata, from which the book's claims ledger is built.

The verdicts (:data:`VERDICTS`):

``confirmed``
    The measurement shows the claimed effect, in the claimed direction, with
    its uncertainty: e.g. the 95% interval of "ReLU minus tanh" over seeds
    lies above 0 (:func:`relu_course.stats.paired_difference`).
``nuanced``
    The effect is there, but smaller, conditional (on size, depth, device,
    learning rate ...) or for another reason than the source gives; the
    measured text says which.
``not confirmed``
    The measurement could have seen the claimed effect and did not: its
    interval excludes the size of effect the source claims (or its
    direction). Give that interval.
``inconclusive``
    The measurement could not have seen the effect (too small a scale, too
    few seeds, an interval that contains both 0 and the claimed effect).
    ``why`` must say why, e.g. "at this scale".

Rules for the evidence, for the next chapter's author:

1. Assert the claim's *direction* with the statistic's uncertainty (an
   interval over seeds from :mod:`relu_course.stats`), never a two-sided band
   around the number one run produced (``0.005 < gain < 0.015`` breaks on the
   next draw and measures nothing).
2. A training comparison uses at least 3 seeds (5 where
   :func:`relu_course.train.fit_seeds` makes it cheap); pass ``seeds=`` and
   ``agree=`` (how many seeds individually agree with the verdict).
3. Learning rates are chosen per arm on a validation split from a grid that
   brackets the best value (:func:`relu_course.stats.select_lr`).
4. Evidence that is true by construction (a dictionary typed in the cell, a
   formula re-derived from itself) is not a verdict: write it as prose, or
   measure something.
5. Every notebook passes with any base seed (``RELU_COURSE_SEED``); run
   ``make robustness`` before committing a chapter.

Example::

    claims = ClaimsTable("02_relu")
    claims.check("relu(-1000) is 0", source="000", measured=f"{value}",
                 verdict="confirmed", evidence=value == 0.0,
                 section="The function")
    claims.show()
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass

__all__ = ["VERDICTS", "Claim", "ClaimsTable", "slug", "METADATA_KEY"]

VERDICTS = ("confirmed", "nuanced", "not confirmed", "inconclusive")
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
    seeds: int | None = None  # how many seeds the measurement used
    agree: int | None = None  # how many of those seeds agree with the verdict
    why: str = ""  # for "inconclusive": why the measurement could not decide

    def seeds_text(self) -> str:
        """``"agree/seeds"``, ``"seeds"`` or ``"-"`` (no seeds involved)."""
        if self.seeds is None:
            return "-"
        if self.agree is None:
            return str(self.seeds)
        return f"{self.agree}/{self.seeds}"

    def verdict_text(self) -> str:
        """The verdict, with the reason when it is ``inconclusive``."""
        return f"{self.verdict} ({self.why})" if self.why else self.verdict


class ClaimsTable:
    """Collects a chapter's checked claims and renders them as a Markdown table."""

    def __init__(self, chapter: str) -> None:
        self.chapter = chapter
        self.rows: list[Claim] = []

    def check(
        self,
        claim: str,
        source: str,
        measured: str,
        verdict: str,
        evidence: bool,
        section: str = "",
        seeds: int | None = None,
        agree: int | None = None,
        why: str = "",
    ) -> None:
        """Add a row; raise ``AssertionError`` if ``evidence`` does not
        support ``verdict``.

        ``seeds``: how many seeds the measurement used (``None`` when it
        involves no randomness); ``agree``: how many of them agree with the
        verdict on their own. ``why`` is required for ``"inconclusive"``
        (what the measurement could not see, e.g. ``"at this scale"``).
        Returns nothing, so a cell that ends with a check prints nothing;
        the rows are in ``self.rows``.
        """
        if verdict not in VERDICTS:
            raise ValueError(f"verdict must be one of {VERDICTS}, got {verdict!r}")
        if verdict == "inconclusive" and not why.strip():
            raise ValueError("an inconclusive verdict needs why=...")
        if seeds is not None and (int(seeds) != seeds or seeds < 1):
            raise ValueError(f"seeds must be a positive integer, got {seeds!r}")
        if agree is not None:
            if seeds is None:
                raise ValueError("agree= needs seeds=")
            if int(agree) != agree or not 0 <= agree <= seeds:
                raise ValueError(f"agree must be an integer in [0, {seeds}], got {agree!r}")
        if not bool(evidence):
            raise AssertionError(
                f"[{self.chapter}] the measurement ({measured}) no longer "
                f"supports the verdict {verdict!r} for: {claim}"
            )
        self.rows.append(
            Claim(
                claim,
                source,
                measured,
                verdict,
                section,
                None if seeds is None else int(seeds),
                None if agree is None else int(agree),
                why.strip(),
            )
        )

    def markdown(self) -> str:
        """The table as Markdown: claim, source, measured, verdict."""
        return _markdown_table(
            ["Claim", "Source", "Measured here", "Seeds agreeing", "Verdict"],
            [
                [
                    r.claim,
                    r.source,
                    r.measured,
                    r.seeds_text(),
                    f"**{r.verdict}**" + (f" ({r.why})" if r.why else ""),
                ]
                for r in self.rows
            ],
        )

    def show(self):
        """Display the table in the notebook, with the rows attached as output metadata."""
        from IPython.display import Markdown, display

        meta = {METADATA_KEY: {"chapter": self.chapter, "rows": [asdict(r) for r in self.rows]}}
        display(Markdown(self.markdown()), metadata=meta)

    def counts(self) -> dict[str, int]:
        """How many rows carry each verdict."""
        return {v: sum(r.verdict == v for r in self.rows) for v in VERDICTS}


_OPTIONAL = ("section", "seeds", "agree", "why")


def load(paths) -> list[dict]:
    """Read the claims rows that :meth:`ClaimsTable.show` attached to executed notebooks.

    ``paths``: one path or an iterable of paths to ``.ipynb`` files, read as JSON in
    the order given. In each notebook the last output that carries
    :data:`METADATA_KEY` is used (``show()`` renders the whole table each time).
    Returns one dict per row, in order, with the keys ``chapter`` (the name given to
    :class:`ClaimsTable`), ``notebook`` (the file name), ``claim``, ``source``,
    ``measured``, ``verdict``, ``section``, ``seeds``, ``agree`` and ``why``
    (``None``/``""`` in rows written before those existed).

    Raises ``FileNotFoundError`` for a missing file and ``ValueError`` for a file
    that is not a notebook or has no claims output (not executed, or no
    ``claims.show()`` cell).

    Example::

        >>> rows = load(["book/01_saturation.ipynb", "book/02_relu.ipynb"])
        >>> sorted({r["chapter"] for r in rows})
        ['01_saturation', '02_relu']
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
                f"ends with a cell calling ClaimsTable.show()"
            )
        fields = set(Claim.__dataclass_fields__)
        for row in found.get("rows", []):
            rows.append(
                {
                    "chapter": found.get("chapter", ""),
                    "notebook": path.name,
                    **{
                        k: row.get(
                            k, Claim.__dataclass_fields__[k].default if k in _OPTIONAL else ""
                        )
                        for k in Claim.__dataclass_fields__
                    },
                    **{k: v for k, v in row.items() if k not in fields},
                }
            )
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
        [
            [f"**{r.get(c, '')}**" if c == "verdict" else str(r.get(c, "")) for c in columns]
            for r in rows
        ],
    )


__all__ += ["load", "table"]
