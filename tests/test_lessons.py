"""The lesson and evidence conventions (CONTRIBUTING.md, "Lessons and evidence")."""

from __future__ import annotations

import re
import statistics

import pytest
from course import BOOK, docname, evidence, lessons, load, notebooks, source, with_claims

from relu_course import claims as claims_api
from relu_course.pages import reading_minutes

LESSONS = lessons()
EVIDENCE = evidence()
LESSON_IDS = [p.stem for p in LESSONS]
EVIDENCE_IDS = [p.stem for p in EVIDENCE]

MAX_CELL_LINES = 20
MAX_MEDIAN_LINES = 8
LESSON_RUN_S = 30
EVIDENCE_RUN_S = 90
MAX_LESSON_MINUTES = 45
SOLUTION_META = {
    "jupyter": {"source_hidden": True, "outputs_hidden": True},
    "mystnb": {"code_prompt_show": "Show solution", "code_prompt_hide": "Hide solution"},
    "cellView": "form",
}


def tags(cell: dict) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []))


def markdown(nb: dict) -> list[str]:
    return [source(c) for c in nb["cells"] if c["cell_type"] == "markdown"]


def code_cells(nb: dict) -> list[dict]:
    return [c for c in nb["cells"] if c["cell_type"] == "code" and "remove-cell" not in tags(c)]


def outputs_text(nb: dict) -> str:
    parts = []
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        parts.append(source(cell))
        for out in cell.get("outputs", []):
            text = out.get("text", "")
            parts.append("".join(text) if isinstance(text, list) else text)
            for key in ("text/plain", "text/markdown"):
                value = out.get("data", {}).get(key, "")
                parts.append("".join(value) if isinstance(value, list) else value)
    return "\n".join(parts)


def test_there_is_a_lesson_and_its_evidence():
    assert LESSONS, "no lesson notebooks (metadata relu_course.kind = 'lesson')"
    for path in LESSONS:
        meta = load(path)["metadata"]["relu_course"]
        assert meta.get("evidence"), f"{path.name}: no evidence notebooks named"
        for rel in meta["evidence"]:
            target = path.parent / rel
            assert target.exists(), f"{path.name} names {rel}, which does not exist"
            back = load(target)["metadata"]["relu_course"]
            assert back.get("kind") == "evidence"
            assert (target.parent / back["lesson"]).resolve() == path.resolve()


@pytest.mark.parametrize("path", LESSONS, ids=LESSON_IDS)
def test_lesson_header_states_goals_prerequisites_and_the_realistic_time(path):
    nb = load(path)
    head = source(nb["cells"][0])
    block = head.split("**You will be able to**", 1)
    assert len(block) == 2, f"{path.name}: no '**You will be able to**' list"
    bullets = re.findall(r"^- ", block[1].split("**Prerequisites", 1)[0], re.M)
    assert len(bullets) == 3, f"{path.name}: {len(bullets)} goals, the header has three"
    assert "**Prerequisites:**" in head
    stated = re.search(r"\*\*Time:\*\* about (\d+) minutes", head)
    assert stated, f"{path.name}: no '**Time:** about M minutes'"
    expected = reading_minutes(nb)
    assert int(stated.group(1)) == expected, (
        f"{path.name} says {stated.group(1)} minutes; the formula gives {expected}"
    )
    assert expected <= MAX_LESSON_MINUTES, f"{path.name} reads in {expected} minutes"


@pytest.mark.parametrize("path", LESSONS, ids=LESSON_IDS)
def test_lesson_cells_are_short(path):
    lengths = [
        len([ln for ln in source(c).splitlines() if ln.strip()]) for c in code_cells(load(path))
    ]
    assert max(lengths) <= MAX_CELL_LINES, f"{path.name}: a code cell of {max(lengths)} lines"
    assert statistics.median(lengths) <= MAX_MEDIAN_LINES, (
        f"{path.name}: median code cell {statistics.median(lengths)} lines"
    )


def _run_time(path) -> float:
    run = load(path)["metadata"].get("relu_course", {}).get("run_time_s")
    assert run is not None, f"{path.name}: no stored run time; run `make notebooks`"
    return run


@pytest.mark.parametrize("path", LESSONS, ids=LESSON_IDS)
def test_lesson_runs_within_its_budget(path):
    assert _run_time(path) <= LESSON_RUN_S


@pytest.mark.parametrize("path", EVIDENCE, ids=EVIDENCE_IDS)
def test_evidence_runs_within_its_budget(path):
    assert _run_time(path) <= EVIDENCE_RUN_S


NO_POINTERS = re.compile(r"(printed|shown|output) (just )?(above|below)", re.I)


@pytest.mark.parametrize("path", [*LESSONS, *EVIDENCE], ids=[*LESSON_IDS, *EVIDENCE_IDS])
def test_results_are_stated_not_pointed_at(path):
    for text in markdown(load(path)):
        assert not NO_POINTERS.search(text), f"{path.name}: {NO_POINTERS.search(text).group(0)!r}"
        assert not re.search(r"\bseed (article )?0\d\d\b", text, re.I), (
            f"{path.name}: sources are named by title or author, not 'seed 00N'"
        )


# numbers a sentence states as a result: decimals, percentages, "N times", "Nx"
MEASURED = re.compile(r"(?<![\w.])(\d+\.\d+|\d+(?:\.\d+)?%|\d+(?= times)|\d+(?=x\b))")
MATH_OR_CODE = re.compile(r"\$\$.*?\$\$|\$[^$]*\$|`[^`]*`|\]\([^)]*\)|\{cite:[^}]*\}`[^`]*`", re.S)


def stated_numbers(text: str) -> list[str]:
    """The measured-looking numbers of a Markdown cell, outside math, code and links."""
    text = MATH_OR_CODE.sub(" ", text)
    return MEASURED.findall(text)


def test_stated_numbers_finds_results_and_skips_math():
    text = "ReLU ran 0.42 ms, 12% faster, 3 times less; $x^{2.5}$ `0.77` [a](b1.5.ipynb)"
    assert stated_numbers(text) == ["0.42", "12%", "3"]


@pytest.mark.parametrize("path", LESSONS, ids=LESSON_IDS)
def test_numbers_in_the_prose_come_from_the_run(path):
    nb = load(path)
    runs = outputs_text(nb)
    body = [t for t in markdown(nb)[1:] if not t.startswith("<!-- evidence-box")]
    missing = [n for t in body for n in stated_numbers(t) if n.rstrip("%") not in runs]
    assert not missing, (
        f"{path.name}: the prose states {missing}, which no code or output of the committed "
        f"run contains: print the value, or update the sentence after `make notebooks`"
    )


@pytest.mark.parametrize("path", LESSONS, ids=LESSON_IDS)
def test_lesson_ends_with_takeaways_evidence_and_exercises(path):
    texts = markdown(load(path))
    joined = "\n".join(texts)
    order = [
        joined.find(h) for h in ("## Key takeaways", "## What the evidence says", "## Exercises")
    ]
    assert -1 not in order and order == sorted(order), f"{path.name}: sections {order}"
    takeaways = joined.split("## Key takeaways", 1)[1].split("\n## ", 1)[0]
    bullets = re.findall(r"^- ", takeaways, re.M)
    assert 3 <= len(bullets) <= 5, f"{path.name}: {len(bullets)} takeaways"
    exercises = joined.split("## Exercises", 1)[1]
    assert "<details>" in exercises and "<summary>" in exercises, (
        f"{path.name}: no conceptual self-check with a folded answer"
    )


@pytest.mark.parametrize("path", LESSONS, ids=LESSON_IDS)
def test_evidence_box_is_generated_from_the_evidence(path):
    nb = load(path)
    boxes = [source(c) for c in nb["cells"] if source(c).startswith("<!-- evidence-box:")]
    assert len(boxes) == len(nb["metadata"]["relu_course"]["evidence"]), path.name
    for box in boxes:
        rel = box.splitlines()[0].split("evidence-box:", 1)[1].strip(" ->")
        rows = claims_api.load(path.parent / rel)
        assert box == claims_api.evidence_box(rows, rel), (
            f"{path.name}: the evidence box is stale; run `python tests/sync_evidence.py`"
        )


@pytest.mark.parametrize("path", LESSONS, ids=LESSON_IDS)
def test_solutions_fold_on_the_site_in_jupyter_and_on_colab(path):
    cells = load(path)["cells"]
    solutions = [c for c in cells if c["cell_type"] == "code" and "hide-cell" in tags(c)]
    assert solutions, f"{path.name}: no code exercise solution"
    for n, cell in enumerate(solutions, 1):
        meta = cell["metadata"]
        for key, value in SOLUTION_META.items():
            assert meta.get(key) == value, f"{path.name} solution {n}: {key} = {meta.get(key)}"
        assert source(cell).startswith("# @title Solution"), (
            f"{path.name} solution {n}: Colab's form view needs '# @title Solution N' first"
        )
        assert "assert" in source(cell), f"{path.name} solution {n} asserts nothing"


@pytest.mark.parametrize("path", EVIDENCE, ids=EVIDENCE_IDS)
def test_evidence_bookkeeping_folds_everywhere_and_verdicts_are_computed(path):
    cells = load(path)["cells"]
    code = [c for c in cells if c["cell_type"] == "code"]
    assert not any("claims.check(" in source(c) for c in code), (
        f"{path.name}: a verdict typed beside a boolean; use claims.measure or claims.cite"
    )
    rows = [c for c in code if re.search(r"claims\.(measure|cite)\(", source(c))]
    assert rows, f"{path.name} checks no claim"
    for cell in rows:
        meta = cell["metadata"]
        assert "remove-input" in tags(cell)
        assert meta.get("cellView") == "form" and meta.get("jupyter", {}).get("source_hidden")
        assert source(cell).startswith("# @title"), f"{path.name}: '# @title' first"
    for row in claims_api.load(path):
        assert row["citations"] or row["interval"], (
            f"{path.name}: the row {row['claim']!r} has neither an interval nor citations"
        )


LITERAL_EVIDENCE = re.compile(r"evidence\s*=\s*(True|1|not\s+False)\b")


@pytest.mark.parametrize("path", notebooks(), ids=[docname(p) for p in notebooks()])
def test_no_verdict_rests_on_a_literal(path):
    for cell in load(path)["cells"]:
        if cell["cell_type"] == "code":
            assert not LITERAL_EVIDENCE.search(source(cell)), (
                f"{path.name}: evidence=True is a verdict typed by hand"
            )


def test_literal_scan_catches_literals():
    assert LITERAL_EVIDENCE.search("claims.check('x', evidence=True)")
    assert not LITERAL_EVIDENCE.search("claims.check('x', evidence=d.above(0))")


def test_cited_keys_exist():
    bib = (BOOK / "references.bib").read_text(encoding="utf-8")
    for path in with_claims():
        for row in claims_api.load(path):
            for key in row.get("citations") or []:
                assert f"{{{key}," in bib, f"{path.name}: {key} is not in references.bib"
