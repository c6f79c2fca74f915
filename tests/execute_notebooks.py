"""Execute notebooks top to bottom in place, as `make notebooks` does, and report each one's time.

Usage: python tests/execute_notebooks.py book/02_relu.ipynb [...]
Exits non-zero if a notebook raises or runs over the per-notebook budget (90 s on a 2-core CPU).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

BUDGET_S = 90.0


def execute(path: Path) -> float:
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    elapsed = time.perf_counter() - start
    nbformat.write(nb, path)
    return elapsed


def main(paths: list[str]) -> int:
    over = []
    total = 0.0
    for p in map(Path, paths):
        elapsed = execute(p)
        total += elapsed
        print(f"{p}: {elapsed:6.1f} s", flush=True)
        if elapsed > BUDGET_S:
            over.append(p)
    print(f"total: {total:.1f} s for {len(paths)} notebooks")
    if over:
        print(f"over the {BUDGET_S:.0f} s budget: {', '.join(map(str, over))}", file=sys.stderr)
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
