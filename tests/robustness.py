"""Execute every notebook with several base seeds and report pass/fail.

Usage: python tests/robustness.py --seeds 1 2 3 [--jobs 2] book/01_saturation.ipynb ...

Each notebook runs top to bottom in a fresh kernel with ``RELU_COURSE_SEED``
set to the seed (on the CPU); outputs are not compared and nothing is
written. Any error, an assertion of a claims check included, is a failure.
Prints one line per run and a table notebook x seed; exits 1 if any failed.
``--jobs N`` runs N kernels at once (each in its own process; with one thread per
kernel, N = the number of cores keeps every core busy).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError


def label(path: Path) -> str:
    """``02_relu.ipynb``, or ``evidence/02_relu.ipynb`` for an evidence notebook."""
    return f"{path.parent.name}/{path.name}" if path.parent.name == "evidence" else path.name


def run(path: Path, seed: int) -> tuple[bool, float, str]:
    """Execute ``path`` with base seed ``seed``: (passed, seconds, error)."""
    nb = nbformat.read(path, as_version=4)
    os.environ["RELU_COURSE_SEED"] = str(seed)
    start = time.perf_counter()
    try:
        NotebookClient(
            nb,
            timeout=600,
            kernel_name="python3",
            resources={"metadata": {"path": str(path.parent)}},
        ).execute()
    except CellExecutionError as err:
        lines = [ln for ln in str(err).splitlines() if ln.strip()]
        return False, time.perf_counter() - start, lines[-1][:300]
    return True, time.perf_counter() - start, ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", nargs="+", default=["1", "2", "3"])
    parser.add_argument("--jobs", type=int, default=1, help="kernels run at once (default 1)")
    parser.add_argument("notebooks", nargs="*", type=Path)
    args = parser.parse_args(argv)
    # `--seeds 1 2 book/x.ipynb` puts the notebooks after the seeds: take them back
    args.notebooks += [Path(t) for t in args.seeds if not t.lstrip("-").isdigit()]
    args.seeds = [int(t) for t in args.seeds if t.lstrip("-").isdigit()]
    if not args.notebooks or not args.seeds:
        parser.error("give at least one notebook and one seed")
    os.environ.setdefault("RELU_COURSE_DEVICE", "cpu")
    os.environ["RELU_COURSE_PROGRESS"] = "0"
    if args.jobs < 1:
        parser.error(f"--jobs must be >= 1, got {args.jobs}")
    runs = [(path, seed) for seed in args.seeds for path in args.notebooks]
    results: dict[tuple[Path, int], tuple[bool, float]] = {}

    def report(path: Path, seed: int, ok: bool, seconds: float, error: str) -> None:
        results[path, seed] = ok, seconds
        status = "pass" if ok else "FAIL"
        detail = f"  {error}" if error else ""
        print(f"seed {seed} {label(path)}: {status} {seconds:5.1f} s{detail}", flush=True)

    if args.jobs == 1:
        for path, seed in runs:
            report(path, seed, *run(path, seed))
    else:
        # one process per kernel, so each sets its own RELU_COURSE_SEED
        with ProcessPoolExecutor(args.jobs, mp_context=get_context("spawn")) as pool:
            futures = {pool.submit(run, path, seed): (path, seed) for path, seed in runs}
            for future in as_completed(futures):
                report(*futures[future], *future.result())
    width = max(len(label(p)) for p in args.notebooks)
    print("\n" + "notebook".ljust(width) + "".join(f"  seed {s:<8}" for s in args.seeds))
    for path in args.notebooks:
        cells = []
        for seed in args.seeds:
            ok, seconds = results[path, seed]
            cells.append(f"  {'pass' if ok else 'FAIL'} {seconds:5.1f}s ")
        print(label(path).ljust(width) + "".join(cells))
    failed = [k for k, (ok, _) in results.items() if not ok]
    print(f"\n{len(results) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
