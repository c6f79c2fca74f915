"""The "Claims checked" table that ends every chapter, and the rules a row
must follow.

Each row states a claim, where it comes from, what the chapter measured, how
many seeds the measurement used and how many of them point the claimed way,
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
   ``agree=`` (how many seeds individually point the claimed way).
3. Learning rates are chosen per arm on a validation split from a grid that
   brackets the best value (:func:`relu_course.stats.select_lr`).
4. Evidence that is true by construction (a dictionary typed in the cell, a
   formula re-derived from itself) is not a verdict: write it as prose, or
   measure something.
5. Every notebook passes with any base seed (``RELU_COURSE_SEED``); run
   ``make robustness`` before committing a chapter.

Computed verdicts (:meth:`ClaimsTable.measure`): the row takes the measured
effect as an interval over seeds (:mod:`relu_course.stats`), the claimed
direction and a *margin* declared before measuring (the smallest effect that
would matter, or the source's own size, e.g. "six times": a ratio margin of
6), and :func:`verdict` derives the verdict. The author states the verdict the
prose relies on (``expect=``); the notebook fails when the derived one
differs, or when the interval sits so close to a boundary that a fresh draw
would flip it (:func:`boundary_distance`). Exact facts (identities,
definitions, float properties, hand-built networks) are not rows: the lesson
demonstrates them with an ``assert``.

Example::

    claims = ClaimsTable("02_relu")
    d = stats.paired_difference(relu_acc, tanh_acc)
    claims.measure("ReLU nets beat tanh nets on digits", source="Glorot 2011",
                   effect=d, margin=0.01, expect="confirmed",
                   section="Accuracy")
    claims.show()

The older :meth:`ClaimsTable.check` (a verdict typed next to a boolean) stays
while the chapters migrate; new notebooks use :meth:`~ClaimsTable.measure`.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import asdict, dataclass

__all__ = [
    "VERDICTS",
    "Claim",
    "ClaimsTable",
    "slug",
    "METADATA_KEY",
    "verdict",
    "boundary_distance",
    "evidence_box",
]

VERDICTS = ("confirmed", "nuanced", "not confirmed", "inconclusive")
#: Key under which :meth:`ClaimsTable.show` stores the rows in the output metadata.
METADATA_KEY = "relu_course_claims"


def slug(heading: str) -> str:
    """The anchor MyST gives a heading for a Markdown link ``page.ipynb#anchor``
    (GitHub's rule, ``myst_heading_anchors``): lower case, each space a hyphen,
    every other character that is not a letter, digit, ``_`` or ``-`` dropped:
    ``"He's gain: 1, 2"`` -> ``"hes-gain-1-2"``. MyST resolves it to the page's
    section id (:func:`section_id`)."""
    return re.sub(r"[^\w\u4e00-\u9fff\- ]", "", heading.strip().lower().replace(" ", "-"))


def section_id(heading: str) -> str:
    """The id Sphinx (docutils) gives a heading in the HTML, for a raw link
    ``page.html#id``: ASCII lower case, every run of other characters a hyphen,
    no leading digits or hyphens: ``"What's new?"`` -> ``"what-s-new"``."""
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
    agree: int | None = None  # how many of those seeds point the claimed way
    why: str = ""  # for "inconclusive": why the measurement could not decide

    def seeds_text(self) -> str:
        """``"agree/seeds"``, ``"seeds"`` or ``"-"`` (no seeds involved)."""
        if self.seeds is None:
            return "-"
        if self.agree is None:
            return str(self.seeds)
        return f"{self.agree}/{self.seeds}"

    interval: list | None = None  # [mean, low, high] of the measured effect
    claimed: str = ""  # the claimed effect, e.g. "> +0.01" or "x >= 6"
    distance: float | None = None  # nearest deciding boundary, in standard errors
    citations: list | None = None  # bibliography keys, for a claim checked by citation


DIRECTIONS = ("above", "below", "within")


def _check_claim(effect, direction: str, margin: float):
    from relu_course.stats import Interval

    if not isinstance(effect, Interval):
        raise TypeError(
            f"effect must be a relu_course.stats.Interval (mean_interval, paired_difference, "
            f"ratio_interval), got {type(effect).__name__}"
        )
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {DIRECTIONS}, got {direction!r}")
    if effect.n < 2:
        raise ValueError("an effect measured on one seed has no interval: use >= 3 seeds")
    if effect.degenerate:
        raise ValueError(
            "every seed gave the same value, so the interval has zero width: a deterministic "
            "outcome is an exact fact (assert it in the lesson, no verdict row), and a measure "
            "too coarse to differ between seeds (e.g. accuracy on a few hundred images) needs "
            "more data before it can carry a verdict"
        )
    margin = float(margin)
    if not math.isfinite(margin):
        raise ValueError(f"margin must be finite, got {margin!r}")
    null = effect.null
    if direction == "above" and not margin > null:
        raise ValueError(f"direction 'above' needs margin > {null:g} (no effect), got {margin:g}")
    if direction == "below" and not margin < null:
        raise ValueError(f"direction 'below' needs margin < {null:g} (no effect), got {margin:g}")
    if direction == "within" and not margin > 0:
        raise ValueError(f"direction 'within' needs a margin > 0, got {margin:g}")
    if direction == "within" and effect.scale == "ratio" and not margin > 1:
        raise ValueError(
            f"direction 'within' on a ratio needs a factor margin > 1 (within [1/m, m]), "
            f"got {margin:g}"
        )
    return margin


def verdict(effect, direction: str, margin: float) -> str:
    r"""The verdict an interval gives a claim, by the course's rules.

    ``effect``: the measured effect, an :class:`relu_course.stats.Interval` whose
    ``null`` is "no effect" (0 for differences, 1 for ratios). The claim says the
    effect lies beyond ``margin`` in ``direction``:

    - ``"above"`` (``margin > null``): the effect is at least ``margin``, e.g. "ReLU
      beats tanh by at least one accuracy point" (``margin=0.01``) or "six times
      fewer steps" (a ratio, ``margin=6``). With the interval :math:`[l, h]`:
      confirmed when :math:`l > \text{null}` and :math:`h \ge m` (a real effect,
      of the claimed size); *nuanced* when :math:`l > \text{null}` but
      :math:`h < m` (real, but smaller than claimed); *not confirmed* when
      :math:`h < m` and :math:`l \le \text{null}` (the claimed size is excluded,
      and the direction too when :math:`h < \text{null}`); *inconclusive* when
      the interval holds both no effect and the claimed size.
    - ``"below"``: the mirror image (``margin < null``).
    - ``"within"``: an equivalence claim ("harmless", "as fast as"), the effect
      lies in :math:`[\text{null} - m, \text{null} + m]` (for a ratio, within a
      factor :math:`m > 1`: :math:`[1/m, m]`): confirmed when the
      interval lies inside, not confirmed when it lies wholly outside on one
      side, inconclusive otherwise.

    Raises ``ValueError`` for a one-seed or zero-width (all values equal)
    interval, a margin on the wrong side of ``null``, or an unknown direction.

    Example::

        >>> from relu_course import stats
        >>> verdict(stats.mean_interval([0.02, 0.03, 0.025]), "above", 0.01)
        'confirmed'
        >>> verdict(stats.mean_interval([0.002, 0.003, 0.004]), "above", 0.01)
        'nuanced'
    """
    margin = _check_claim(effect, direction, margin)
    low, high, null = effect.low, effect.high, effect.null
    if direction == "below":  # mirror onto "above"
        low, high, null, margin = -high, -low, -null, -margin
    if direction == "within":
        low, high, null, margin = _on_scale(effect, direction, margin)
        if null - margin <= low and high <= null + margin:
            return "confirmed"
        if low > null + margin or high < null - margin:
            return "not confirmed"
        return "inconclusive"
    real = low > null
    big_enough = high >= margin
    if real:
        return "confirmed" if big_enough else "nuanced"
    return "inconclusive" if big_enough else "not confirmed"


def _on_scale(effect, direction: str, margin: float) -> tuple[float, float, float, float]:
    """``(low, high, null, margin)`` on the interval's own scale (log for ratios), mirrored
    for ``"below"`` so that the claim always reads "above"."""
    low, high, null = effect.low, effect.high, effect.null
    if effect.scale == "ratio":
        low, high, null, margin = (math.log(v) for v in (low, high, null, margin))
    if direction == "below":
        low, high, null, margin = -high, -low, -null, -margin
    return low, high, null, margin


def boundary_distance(effect, direction: str, margin: float) -> float:
    r"""How far the interval's deciding ends lie from the boundaries that decide the
    verdict, in standard errors (on the interval's own scale: log for ratios).

    A verdict is stable on a fresh draw when this is large: at a distance of
    :math:`d` standard errors a new draw of the same size moves an end by about
    :math:`\sqrt 2` standard errors, so it crosses with probability near
    :math:`\Phi(-d/\sqrt 2)`: about 24% at 1, 8% at 2, 2% at 3.
    """
    low, high, null, margin = _on_scale(effect, direction, _check_claim(effect, direction, margin))
    if direction == "within":
        ends = [abs(low - (null - margin)), abs(high - (null + margin))]
        ends += [abs(low - (null + margin)), abs(high - (null - margin))]
        return min(ends) / effect.se
    return min(abs(low - null), abs(high - margin)) / effect.se


def _margin_distance(effect, direction: str, margin: float) -> float:
    """Standard errors between the interval's far end and the margin (how safely the
    claimed size is excluded)."""
    _, high, _, margin = _on_scale(effect, direction, margin)
    return abs(high - margin) / effect.se


def _claimed_text(effect, direction: str, margin: float) -> str:
    ratio = effect.scale == "ratio"
    if direction == "within":
        if ratio:
            return f"1/{margin:g} <= x <= {margin:g}"
        return f"within {effect.null:g} +- {margin:g}"
    sign = ">=" if direction == "above" else "<="
    return f"x {sign} {margin:g}" if ratio else f"{sign} {margin:+g}"


def _check_verdict(verdict: str, why: str, name: str = "verdict") -> None:
    if verdict not in VERDICTS:
        raise ValueError(f"{name} must be one of {VERDICTS}, got {verdict!r}")
    if verdict == "inconclusive" and not why.strip():
        raise ValueError("an inconclusive verdict needs why=...")


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
        _check_verdict(verdict, why)
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

    def measure(
        self,
        claim: str,
        source: str,
        effect,
        expect: str,
        margin: float,
        direction: str = "above",
        section: str = "",
        measured: str = "",
        why: str = "",
        min_distance: float = 2.0,
        condition: str = "",
        otherwise=None,
        digits: int = 3,
        percent: bool = False,
        n_label: str = "seeds",
    ) -> str:
        """Add a row whose verdict is computed from ``effect`` by :func:`verdict`.

        ``effect``: the measured :class:`~relu_course.stats.Interval` (over seeds);
        ``direction``/``margin``: the claim, declared before measuring (see
        :func:`verdict`); ``expect``: the verdict the prose relies on. Raises
        ``AssertionError`` when the computed verdict differs, or when an end of
        the interval lies within ``min_distance`` standard errors of a deciding
        boundary (a fresh draw would likely flip it: add seeds, or widen the gap).
        ``measured``: a short description of what was measured (the interval
        is appended in words, with ``digits`` decimals, times 100 with ``%`` when
        ``percent``; ``n_label``: what the interval's ``n`` counts, "seeds" or e.g.
        "rounds"); ``why``: required for ``"inconclusive"`` and ``"nuanced"``.

        A *conditional* claim ("under Adam, not under SGD") passes the effect
        under the condition as ``effect``, names it in ``condition``, and passes
        the effect without it as ``otherwise``: the row is ``"nuanced"`` when the
        claim is confirmed under the condition and the claimed size is excluded
        otherwise (the interval ends short of the margin: "not confirmed", or
        "nuanced" when a smaller effect remains).
        Returns the verdict.
        """
        if expect not in VERDICTS:  # its why= is checked once the verdict is known
            raise ValueError(f"expect must be one of {VERDICTS}, got {expect!r}")
        if bool(condition) != (otherwise is not None):
            raise ValueError("a conditional claim needs both condition= and otherwise=")
        got = verdict(effect, direction, margin)
        distance = boundary_distance(effect, direction, margin)
        words = effect.describe(digits, percent=percent, n_label=n_label)
        text = f"{measured}: {words}" if measured else words
        if otherwise is not None:
            # the claimed size must be excluded without the condition (the far end of
            # the interval short of the margin): "not confirmed" or "nuanced" there
            got_else = verdict(otherwise, direction, margin)
            distance = min(distance, _margin_distance(otherwise, direction, margin))
            other = otherwise.describe(digits, percent=percent, n_label=n_label)
            text = f"{text}; otherwise {other}"  # the condition itself goes in why
            holds = got == "confirmed" and got_else in ("not confirmed", "nuanced")
            got = "nuanced" if holds else f"{got} {condition}, {got_else} otherwise"
        if got != expect:
            raise AssertionError(
                f"[{self.chapter}] {claim}: the interval gives {got!r}, the text says "
                f"{expect!r} ({text}; claimed {_claimed_text(effect, direction, margin)})"
            )
        if distance < min_distance:
            raise AssertionError(
                f"[{self.chapter}] {claim}: the verdict {got!r} sits {distance:.2f} standard "
                f"errors from a boundary (< {min_distance:g}); a fresh draw would flip it: "
                f"add seeds or a larger effect before calling it a finding ({text})"
            )
        if got in ("inconclusive", "nuanced") and not (why.strip() or condition):
            raise ValueError(f"a {got} verdict needs why=... (what limits it)")
        agree = (
            effect.count_above(effect.null)
            if direction == "above"
            else effect.count_below(effect.null)
            if direction == "below"
            else effect.count(lambda v: 1 / margin <= v <= margin)
            if effect.scale == "ratio"
            else effect.count(lambda v: abs(v - effect.null) <= margin)
        )
        self.rows.append(
            Claim(
                claim,
                source,
                text,
                got,
                section,
                effect.n,
                agree,
                why.strip() or (f"only {condition}" if condition else ""),
                [effect.mean, effect.low, effect.high],
                _claimed_text(effect, direction, margin),
                round(float(distance), 2),
            )
        )
        return got

    def cite(
        self,
        claim: str,
        source: str,
        verdict: str,
        references: list[str],
        measured: str,
        section: str = "",
        why: str = "",
    ) -> None:
        """Add a row decided by the literature, not by a measurement (a date, who was
        first): ``references`` are keys of ``book/references.bib`` (a test checks that
        they exist), ``measured`` says what they show."""
        _check_verdict(verdict, why)
        if not references or not all(isinstance(k, str) and k for k in references):
            raise ValueError("a claim checked by citation needs references=[bib keys]")
        self.rows.append(
            Claim(
                claim,
                source,
                measured,
                verdict,
                section,
                why=why.strip(),
                citations=list(references),
            )
        )

    def markdown(self) -> str:
        """The table as Markdown: claim, source, measured, verdict."""
        return _markdown_table(
            ["Claim", "Source", "Measured here", "Seeds in the claimed direction", "Verdict"],
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


_OPTIONAL = (
    "section",
    "seeds",
    "agree",
    "why",
    "interval",
    "claimed",
    "distance",
    "citations",
)


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

        >>> rows = load(["book/evidence/01_saturation.ipynb", "book/evidence/02_relu.ipynb"])
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


EVIDENCE_BOX_MARK = "<!-- evidence-box: {path} -->"


def evidence_box(rows: list[dict], path: str) -> str:
    """The *What the evidence says* section of a lesson, generated from the rows of its
    evidence notebook (:func:`load`), so that it cannot drift from them.

    ``path``: the evidence notebook relative to the lesson (e.g.
    ``"evidence/02_relu.ipynb"``); each row links to its section there. The
    first line is a marker (an HTML comment) that ``tests/sync_evidence.py``
    finds the cell by. Returns Markdown: one bullet per claim, the verdict in
    bold, then what was measured.
    """
    lines = [
        EVIDENCE_BOX_MARK.format(path=path),
        "## What the evidence says",
        "",
        "The popular articles about ReLU make claims of their own; here is how they "
        f"hold up in [the evidence notebook]({path}). A measured claim is repeated over "
        "several seeds or timing rounds, and its verdict is computed from the 95% "
        "interval (the range that holds the true value with 95% confidence); a claim "
        "about the literature is checked against the papers.",
        "",
    ]
    for row in rows:
        anchor = f"#{slug(row['section'])}" if row.get("section") else ""
        measured = row["measured"]
        why = f" ({row['why']})" if row.get("why") else ""
        label = "Papers" if row.get("citations") else "Measured"
        lines.append(
            f"- [{row['claim']}]({path}{anchor}): **{row['verdict']}**{why}. {label}: {measured}."
        )
    return "\n".join(lines)


__all__ += ["load", "table", "EVIDENCE_BOX_MARK"]
