"""Every notebook follows the course's conventions and agrees with _config.yml."""

from __future__ import annotations

import re

import pytest
from course import (
    BOOK,
    ROOT,
    docname,
    kind,
    load,
    notebooks,
    repository_slug,
    repository_url,
    source,
    toc_files,
)

NOTEBOOKS = notebooks()
IDS = [docname(p).removeprefix("book/") for p in NOTEBOOKS]


def test_there_are_notebooks_and_all_are_in_the_toc():
    assert NOTEBOOKS, "no notebooks in book/"
    in_toc = set(toc_files())
    for path in NOTEBOOKS:
        assert docname(path) in in_toc, f"{path.name} is not in _toc.yml"
    for entry in in_toc:
        assert any((ROOT / f"{entry}{ext}").exists() for ext in (".md", ".ipynb")), entry


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_colab_badge_points_at_this_notebook(path):
    first = load(path)["cells"][0]
    assert first["cell_type"] == "markdown" and source(first).startswith("# ")
    expected = (
        f"https://colab.research.google.com/github/{repository_slug()}/blob/main/"
        f"{docname(path)}.ipynb"
    )
    assert expected in source(first), f"badge of {path.name} must link to {expected}"
    assert "colab-badge.svg" in source(first)
    if kind(path) == "lesson":
        assert "**You will be able to**" in source(first)
    elif kind(path) == "legacy":
        assert "What you will learn" in source(first) or path.stem.startswith("07")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_install_cell_uses_configured_repository(path):
    code = [c for c in load(path)["cells"] if c["cell_type"] == "code"]
    install = source(code[0])
    assert "import relu_course" in install and "except ImportError" in install
    urls = re.findall(r"git\+(\S+?)[\"']", install)
    assert urls == [repository_url()], (
        f"install cell installs {urls}, config says {repository_url()}"
    )
    setup = source(code[1])
    assert "seed(" in setup and "get_device()" in setup


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_executed_in_order_without_errors(path):
    code = [c for c in load(path)["cells"] if c["cell_type"] == "code" and source(c).strip()]
    counts = [c.get("execution_count") for c in code]
    assert None not in counts, f"{path.name} has unexecuted cells: run `make notebooks`"
    assert counts == list(range(1, len(counts) + 1)), f"{path.name} was not run top to bottom once"
    for cell in code:
        for out in cell.get("outputs", []):
            assert out["output_type"] != "error", f"{path.name} has a stored error"
            text = "".join(out.get("text", ""))
            assert "Traceback" not in text and "it/s]" not in text, (
                f"{path.name}: traceback or progress bar in output"
            )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_claims_table_and_exercises(path):
    cells = load(path)["cells"]
    md = "\n".join(source(c) for c in cells if c["cell_type"] == "markdown")
    if kind(path) != "lesson":
        assert "## Claims checked" in md
        assert any("claims.show()" in source(c) for c in cells if c["cell_type"] == "code")
    if path.stem.startswith("07") or kind(path) == "evidence":
        return
    assert "## Exercises" in md
    solutions = [c for c in cells if c["cell_type"] == "code" and "hide-cell" in tags(c)]
    assert len(solutions) >= 1, f"{path.name} has no exercise solution tagged hide-cell"
    for cell in solutions:
        assert "assert" in source(cell), f"a solution of {path.name} asserts nothing"


SOLUTION_PROMPTS = {"code_prompt_show": "Show solution", "code_prompt_hide": "Hide solution"}


def tags(cell: dict) -> list[str]:
    return cell.get("metadata", {}).get("tags", [])


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_page_shows_the_lesson_not_the_bookkeeping(path):
    """Install cell off the page, checks' code off the page, nbval markers as tags,
    solutions collapsed under their own level-3 heading, no control characters."""
    cells = load(path)["cells"]
    code = [c for c in cells if c["cell_type"] == "code"]
    assert "remove-cell" in tags(code[0]), f"{path.name}: the install cell is on the page"
    for i, cell in enumerate(cells):
        text = source(cell)
        assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", text), (
            f"{path.name} cell {i}: control character"
        )
        if cell["cell_type"] == "markdown":
            assert not text.lstrip().startswith("#### Solution"), (
                f"{path.name} cell {i}: solution headings are level 3"
            )
            continue
        assert "NBVAL" not in text, f"{path.name} cell {i}: nbval markers are tags"
        if re.search(r"claims\.(check|measure|cite)\(", text):
            assert {"remove-input", "remove-cell"} & set(tags(cell)), (
                f"{path.name} cell {i}: claim checks run in remove-input cells"
            )
            # Colab ignores the tags: its form view folds the code under the title
            assert cell["metadata"].get("cellView") == "form" and text.startswith("# @title"), (
                f"{path.name} cell {i}: claims bookkeeping is not folded on Colab"
            )
        if "hide-cell" in tags(cell):
            meta = cell["metadata"]
            assert meta.get("mystnb", {}) == SOLUTION_PROMPTS, f"{path.name} cell {i}"
            assert meta.get("jupyter") == {"source_hidden": True, "outputs_hidden": True}
            assert meta.get("cellView") == "form" and text.startswith("# @title Solution"), (
                f"{path.name} cell {i}: the solution is not folded on Colab"
            )
            before = source(cells[i - 1])
            assert cells[i - 1]["cell_type"] == "markdown" and before.startswith("### Solution"), (
                f"{path.name} cell {i}: a solution follows its '### Solution N' heading"
            )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_code_lines_fit_the_page(path):
    for i, cell in enumerate(load(path)["cells"]):
        if cell["cell_type"] != "code" or "remove-cell" in tags(cell):
            continue
        long = [line for line in source(cell).splitlines() if len(line) > 79]
        assert not long, f"{path.name} cell {i}: lines over 79 characters {long[:2]}"


def test_config_has_one_repository_url():
    text = (ROOT / "_config.yml").read_text()
    assert text.count("github.com/") == 1, "the repository URL must be set once, in repository.url"


def test_references_cover_claims_papers():
    bib = (BOOK / "references.bib").read_text()
    for key in [
        "glorot2010understanding",
        "glorot2011deep",
        "nair2010rectified",
        "jarrett2009best",
        "krizhevsky2012imagenet",
        "maas2013rectifier",
        "goodfellow2013maxout",
        "he2015delving",
        "le2015simple",
        "clevert2015fast",
        "klambauer2017self",
        "hendrycks2016gelu",
        "ramachandran2017searching",
        "misra2019mish",
        "lu2019dying",
        "hanin2019complexity",
        "goodfellow2016deep",
        "fukushima1969visual",
        "hahnloser2000digital",
        "leshno1993multilayer",
    ]:
        assert f"{{{key}," in bib, key


FLOAT64 = re.compile(r"float64|\.double\(\)")
# a conversion to float64 and, later in the same chain, the move to the CPU: the tensor was
# on the device when it became float64 (`.double().cpu()` raises on MPS; `.cpu().double()`)
TO_CPU_AFTER = re.compile(
    r"(\.double\(\)|\.to\([^()]*float64\))"  # the conversion, then in the same chain
    r"(\s*\.\w+(\([^()]*\))?)*?\s*\.(cpu\(\)|to\(\s*[\"']cpu[\"'])"  # .cpu() or .to("cpu")
)


def _statements(code: str) -> list[str]:
    """Code split into logical statements (bracketed continuation lines joined)."""
    statements, current, depth = [], [], 0
    for line in code.splitlines():
        current.append(line.split("#")[0])
        depth += sum(line.count(c) for c in "([{") - sum(line.count(c) for c in ")]}")
        if depth <= 0:
            statements.append(" ".join(current))
            current, depth = [], 0
    return statements + ([" ".join(current)] if current else [])


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_no_float64_reaches_the_device(path):
    """Apple's MPS has no float64: float64 work stays on the CPU (issue: MPS-safe notebooks)."""
    for i, cell in enumerate(load(path)["cells"]):
        if cell["cell_type"] != "code":
            continue
        for statement in _statements(source(cell)):
            if FLOAT64.search(statement):
                assert "DEVICE" not in statement and ".to(device" not in statement, (
                    f"{path.name} cell {i}: float64 on the device: {statement.strip()[:120]}"
                )
                assert not TO_CPU_AFTER.search(statement), (
                    f"{path.name} cell {i}: float64 before .cpu() (write .cpu().double()): "
                    f"{statement.strip()[:120]}"
                )
