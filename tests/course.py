"""Shared facts about the course's files for the notebook and site tests."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

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
    return sorted(p for p in BOOK.glob("*.ipynb"))


def load(path: Path) -> dict:
    return json.loads(path.read_text())


def source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src
