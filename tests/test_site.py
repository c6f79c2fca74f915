"""Tests of the built website (run `make book` first)."""

from __future__ import annotations

import functools
import re
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
from bs4 import BeautifulSoup
from course import HTML, docname, kind, notebooks, repository_slug, toc_files

pytestmark = pytest.mark.site

PAGES = sorted(HTML.rglob("*.html")) if HTML.exists() else []


@pytest.fixture(scope="module", autouse=True)
def built():
    if not (HTML / "index.html").exists():
        pytest.fail("no built site in _build/html: run `make book` first")


@functools.cache
def soup(path: Path) -> BeautifulSoup:
    """The parsed page (cached: several tests read the same large pages; do not modify)."""
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def test_every_toc_entry_has_a_page():
    for entry in toc_files():
        assert (HTML / f"{entry}.html").exists(), f"no page for {entry}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(HTML)))
def test_images_exist(page):
    for img in soup(page).find_all("img"):
        src = img.get("src", "")
        if src.startswith("data:"):
            continue
        assert not urlparse(src).scheme, f"{page.name} loads an image from another host: {src}"
        target = (page.parent / unquote(urlparse(src).path)).resolve()
        assert target.exists() and target.stat().st_size > 0, f"{page.name}: missing image {src}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(HTML)))
def test_no_traceback_or_error_output(page):
    text = soup(page).get_text()
    assert "Traceback (most recent call last)" not in text
    assert not re.search(r"\b\w+Error: ", text) or page.name in ("api.html",), page.name


def test_chapters_have_math_figures_and_local_mathjax():
    for nb in notebooks():
        page = HTML / f"{docname(nb)}.html"
        s = soup(page)
        assert s.select(".math"), f"{page.name} has no math"
        assert s.select("img"), f"{page.name} has no figure"
        scripts = [t.get("src", "") for t in s.find_all("script")]
        mathjax = [src for src in scripts if "mathjax" in src.lower()]
        assert mathjax and all(not urlparse(src).scheme for src in mathjax), mathjax
        assert (page.parent / urlparse(mathjax[0]).path).resolve().exists()


def test_colab_launch_links_point_at_each_notebook():
    for nb in notebooks():
        s = soup(HTML / f"{docname(nb)}.html")
        links = [
            a.get("href", "")
            for a in s.find_all("a")
            if "colab.research.google.com/github" in a.get("href", "")
        ]
        expected = (
            f"https://colab.research.google.com/github/{repository_slug()}/blob/main/"
            f"{docname(nb)}.ipynb"
        )
        assert links and all(link == expected for link in links), (nb.name, links)


def test_claims_tables_render_as_tables():
    for nb in notebooks():
        if kind(nb) == "lesson":
            continue
        s = soup(HTML / f"{docname(nb)}.html")
        headers = [th.get_text(strip=True) for th in s.find_all("th")]
        assert "Verdict" in headers, f"{nb.stem}: claims table missing"


def test_references_page_lists_papers():
    text = soup(HTML / "book" / "references.html").get_text()
    for name in ("Glorot", "Krizhevsky", "Hahnloser", "Leshno", "Klambauer"):
        assert name in text


def test_claims_ledger_links_reach_their_sections():
    page = HTML / "book" / "claims_ledger.html"
    s = soup(page)
    links = [a["href"] for a in s.select("table.claims-ledger a[href]")]
    assert links, "the claims ledger has no rows"
    for href in links:
        target, _, anchor = href.partition("#")
        target_page = (page.parent / target).resolve()
        assert target_page.exists(), href
        if anchor:
            assert soup(target_page).find(id=anchor), f"{href}: no section with that anchor"


def test_claims_ledger_matches_the_notebooks():
    from relu_course.claims import load

    order = toc_files()  # the ledger reads the notebooks in the table of contents' order
    with_rows = [p for p in notebooks() if kind(p) != "lesson"]
    rows = load(sorted(with_rows, key=lambda p: order.index(docname(p))))
    s = soup(HTML / "book" / "claims_ledger.html")
    ledger_rows = s.select("table.claims-ledger tbody tr")
    assert len(ledger_rows) == len(rows)
    for tr, row in zip(ledger_rows, rows):
        cells = [td.get_text(" ", strip=True) for td in tr.find_all("td")]
        seeds = (
            "-"
            if row["seeds"] is None
            else (str(row["seeds"]) if row["agree"] is None else f"{row['agree']}/{row['seeds']}")
        )
        verdict = f"{row['verdict']} ({row['why']})" if row["why"] else row["verdict"]
        assert cells == [verdict, row["claim"], row["measured"], seeds, row["source"]]
        assert f"verdict-{row['verdict'].replace(' ', '-')}" in tr.get("class", [])


@pytest.mark.parametrize("name", ["practice", "choosing", "glossary", "intro"])
def test_reference_pages_link_to_pages_and_sections_that_exist(name):
    page = HTML / "book" / f"{name}.html"
    links = [a["href"] for a in soup(page).select("article a[href]")]
    internal = [h for h in links if not urlparse(h).scheme and not h.startswith("#")]
    assert internal, f"{name}: no links into the course"
    for href in internal:
        target, _, anchor = href.partition("#")
        target_page = (page.parent / unquote(target)).resolve()
        assert target_page.exists(), f"{name}: {href} leads nowhere"
        if anchor:
            assert soup(target_page).find(id=anchor), f"{name}: {href}: no such section"


def test_learning_path_shows_realistic_times():
    from relu_course.pages import reading_minutes

    s = soup(HTML / "book" / "intro.html")
    rows = s.select("table.learning-path tbody tr")
    assert rows, "no learning path"
    for nb in notebooks():
        title_cells = [r for r in rows if docname(nb).split("/")[-1] in str(r.find("a"))]
        assert title_cells, f"{nb.name} is not in the learning path"
        minutes = reading_minutes(nb)
        assert any(f"{minutes} min" in r.get_text() for r in title_cells), nb.name
