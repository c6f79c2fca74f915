"""Tests of the built website (run `make book` first)."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
from bs4 import BeautifulSoup
from course import HTML, notebooks, repository_slug, toc_files

pytestmark = pytest.mark.site

PAGES = sorted(HTML.rglob("*.html")) if HTML.exists() else []


@pytest.fixture(scope="module", autouse=True)
def built():
    if not (HTML / "index.html").exists():
        pytest.fail("no built site in _build/html: run `make book` first")


def soup(path: Path) -> BeautifulSoup:
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
        page = HTML / "book" / f"{nb.stem}.html"
        s = soup(page)
        assert s.select(".math"), f"{page.name} has no math"
        assert s.select("img"), f"{page.name} has no figure"
        scripts = [t.get("src", "") for t in s.find_all("script")]
        mathjax = [src for src in scripts if "mathjax" in src.lower()]
        assert mathjax and all(not urlparse(src).scheme for src in mathjax), mathjax
        assert (page.parent / urlparse(mathjax[0]).path).resolve().exists()


def test_colab_launch_links_point_at_each_notebook():
    for nb in notebooks():
        s = soup(HTML / "book" / f"{nb.stem}.html")
        links = [
            a.get("href", "")
            for a in s.find_all("a")
            if "colab.research.google.com/github" in a.get("href", "")
        ]
        expected = f"https://colab.research.google.com/github/{repository_slug()}/blob/main/book/{nb.name}"
        assert links and all(link == expected for link in links), (nb.name, links)


def test_claims_tables_render_as_tables():
    for nb in notebooks():
        s = soup(HTML / "book" / f"{nb.stem}.html")
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

    order = toc_files()  # the ledger reads the chapters in the table of contents' order
    rows = load(sorted(notebooks(), key=lambda p: order.index(f"book/{p.stem}")))
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
        assert cells[1:] == [row["claim"], row["source"], row["measured"], seeds, verdict]
