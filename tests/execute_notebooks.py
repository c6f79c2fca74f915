"""Execute notebooks top to bottom, as `make notebooks` does, and report each one's time.

Usage: python tests/execute_notebooks.py [--no-write] book/02_relu.ipynb [...]

By default each notebook is rewritten in place with its new outputs, minus the
metadata that changes on every run (the per-cell ``execution`` timestamps), so
that a re-run diffs only where an output changed. The run time of the whole
notebook, in whole seconds, is kept once, in the notebook's metadata
(``relu_course.run_time_s``), for the intro's learning-path table.
``--no-write`` executes without writing anything (``make mindeps``).

Exits non-zero if a notebook raises or runs over the per-notebook budget (90 s on a 2-core CPU).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

BUDGET_S = 90.0
METADATA_KEY = "relu_course"


def strip_volatile(nb: nbformat.NotebookNode) -> None:
    """Drop what differs between two runs of the same code: per-cell timestamps."""
    for cell in nb.cells:
        cell.get("metadata", {}).pop("execution", None)


def execute(path: Path, write: bool = True) -> float:
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    client = NotebookClient(
        nb,
        timeout=600,
        kernel_name="python3",
        record_timing=False,
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    elapsed = time.perf_counter() - start
    if write:
        strip_volatile(nb)
        nb.metadata.setdefault(METADATA_KEY, {})["run_time_s"] = round(elapsed)
        nbformat.write(nb, path)
    return elapsed


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument(
        "--no-write", action="store_true", help="execute only; leave the files as they are"
    )
    args = parser.parse_args(argv)
    over = []
    total = 0.0
    for p in args.notebooks:
        elapsed = execute(p, write=not args.no_write)
        total += elapsed
        print(f"{p}: {elapsed:6.1f} s", flush=True)
        if elapsed > BUDGET_S:
            over.append(p)
    print(f"total: {total:.1f} s for {len(args.notebooks)} notebooks")
    if over:
        print(f"over the {BUDGET_S:.0f} s budget: {', '.join(map(str, over))}", file=sys.stderr)
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
