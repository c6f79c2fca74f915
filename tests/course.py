"""Shared facts about the course's files for the notebook and site tests."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from relu_course.pages import source  # noqa: F401  (re-exported for the tests)

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
HTML = ROOT / "_build" / "html"


def config() -> dict:
    return yaml.safe_load((ROOT / "_config.yml").read_text())


def repository_url() -> str:
    return config()["repository"]["url"].rstrip("/")


def repository_slug() -> str:
    """``owner/name`` from the configured GitHub URL."""
    url = repository_url()
    prefix = "https://github.com/"
    assert url.startswith(prefix), f"repository.url must be a GitHub URL, got {url}"
    return url[len(prefix) :]


def toc_files() -> list[str]:
    """Every file named in _toc.yml (root first), without extension."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                files.append(entry["file"])
            walk(entry.get("sections"))

    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    walk(toc.get("chapters"))
    return files


def notebooks() -> list[Path]:
    """Every notebook of the book: lessons and legacy chapters in book/, evidence in
    book/evidence/."""
    return sorted([*BOOK.glob("*.ipynb"), *BOOK.glob("evidence/*.ipynb")])


def docname(path: Path) -> str:
    """The notebook's name in _toc.yml and on the site: ``book/evidence/02_relu``."""
    return path.relative_to(ROOT).with_suffix("").as_posix()


def kind(path: Path) -> str:
    """``lesson``, ``evidence`` or ``legacy`` (see relu_course.pages.kind)."""
    from relu_course.pages import kind as page_kind

    return page_kind(load(path))


def lessons() -> list[Path]:
    return [p for p in notebooks() if kind(p) == "lesson"]


def evidence() -> list[Path]:
    return [p for p in notebooks() if kind(p) == "evidence"]


def with_claims() -> list[Path]:
    """Notebooks that end with a claims table: evidence and legacy chapters."""
    return [p for p in notebooks() if kind(p) != "lesson"]


def load(path: Path) -> dict:
    return json.loads(path.read_text())
