"""The course as a Colab reader gets it: newest releases, a random base seed (`make latest`).

Usage (inside the throwaway venv that `make latest` builds):

    python tests/run_latest.py torch-spec [--index-url URL]
        prints ``torch==X.Y.Z+cpu`` for the newest CPU build of torch that the
        index serves for this Python and platform (pip's configured indexes when
        no URL is given); fails rather than fall back to a CUDA build.
    python tests/run_latest.py run book/*.ipynb
        prints the versions the kernel imports, then executes every notebook top
        to bottom with no output comparison and writes nothing back. The base seed
        is ``RELU_COURSE_SEED`` when set and not empty, else drawn at random; it
        is printed first, so a failing draw can be rerun with
        ``make latest SEED=<seed>``. Exits non-zero if any notebook raises.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import subprocess
import sys
import time
from pathlib import Path

SEED_ENV_VAR = "RELU_COURSE_SEED"
PACKAGES = [
    "relu_course",
    "torch",
    "numpy",
    "scipy",
    "matplotlib",
    "sklearn",
    "tqdm",
    "ipykernel",
    "nbclient",
    "nbformat",
]


def torch_spec(index_url: str | None) -> str:
    """``torch==<version>`` for the newest ``+cpu`` build the index lists."""
    cmd = [sys.executable, "-m", "pip", "index", "versions", "torch"]
    if index_url:
        cmd += ["--index-url", index_url]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    listed = next(
        (
            line.split(":", 1)[1]
            for line in out.splitlines()
            if line.startswith("Available versions:")
        ),
        "",
    )
    cpu = []
    for version in (v.strip() for v in listed.split(",")):
        match = re.fullmatch(r"(\d+(?:\.\d+)*)\+cpu", version)
        if match:
            cpu.append((tuple(int(p) for p in match.group(1).split(".")), version))
    if not cpu:
        where = index_url or "pip's configured indexes"
        raise SystemExit(
            f"no CPU build (+cpu) of torch on {where}; "
            f"set LATEST_TORCH_INDEX=https://download.pytorch.org/whl/cpu"
        )
    return f"torch=={max(cpu)[1]}"


def draw_seed() -> str:
    value = os.environ.get(SEED_ENV_VAR, "").strip()
    if value:
        int(value)  # a typo fails here, not inside the first notebook
        return value
    return str(secrets.randbelow(999_999) + 1)


def summary(err: Exception) -> str:
    """``Name: value`` of a notebook's exception and the source line that raised it."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(err))
    arrows = [ln.strip() for ln in text.splitlines() if ln.lstrip().startswith("---->")]
    # The notebook's own line first, then the innermost frame when that is elsewhere.
    lines = list(dict.fromkeys(a[5:].strip() for a in arrows[:1] + arrows[-1:]))
    if not lines:  # no frames shown (e.g. %xmode minimal): the failing cell's last line
        cell = text.split("------------------\n")
        # the last statement's first line (a line that starts at column 0)
        source = [
            ln for ln in (cell[1] if len(cell) > 2 else "").splitlines() if re.match(r"\w", ln)
        ]
        lines = [ln.strip() for ln in source[-1:]]
    where = "".join(f"\n      at: {line}" for line in lines)
    name, value = getattr(err, "ename", type(err).__name__), getattr(err, "evalue", "")
    return f"{name}: {value}".strip() + where


def run(paths: list[Path]) -> int:
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    seed = draw_seed()
    os.environ[SEED_ENV_VAR] = seed  # inherited by every kernel
    # The kernel spec installed into this venv comes before any in the user's home.
    os.environ["JUPYTER_PATH"] = os.pathsep.join(
        filter(None, [str(Path(sys.prefix) / "share" / "jupyter"), os.environ.get("JUPYTER_PATH")])
    )
    print(f"{SEED_ENV_VAR}={seed}  (rerun this draw with: make latest SEED={seed})", flush=True)

    def client(nb, cwd: Path) -> NotebookClient:
        return NotebookClient(
            nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(cwd)}}
        )

    # What the kernel imports, from the kernel itself (the log's record of the draw).
    report = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(
                "import importlib, sys\n"
                "print('python', sys.version.split()[0], sys.executable)\n"
                f"for name in {PACKAGES!r}:\n"
                "    print(name, importlib.import_module(name).__version__)\n"
            )
        ]
    )
    client(report, Path.cwd()).execute()
    versions = "".join(out.get("text", "") for out in report.cells[0].outputs)
    print(versions, end="", flush=True)
    kernel_python = versions.split()[2]
    if not Path(kernel_python).is_relative_to(Path(sys.prefix)):
        print(f"the kernel runs {kernel_python}, not this venv's Python", file=sys.stderr)
        return 1

    failed: dict[Path, str] = {}
    total = 0.0
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        start = time.perf_counter()
        try:
            client(nb, path.parent).execute()
            status = "ok"
        except CellExecutionError as err:
            failed[path] = summary(err)
            status = "FAILED"
        elapsed = time.perf_counter() - start
        total += elapsed
        print(f"{path}: {status} {elapsed:6.1f} s", flush=True)
        if path in failed:
            print(f"    {failed[path]}", flush=True)
    passed = len(paths) - len(failed)
    print(f"{SEED_ENV_VAR}={seed}: {passed} passed, {len(failed)} failed in {total:.0f} s")
    return 1 if failed else 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    spec = sub.add_parser("torch-spec")
    spec.add_argument("--index-url", default="")
    runner = sub.add_parser("run")
    runner.add_argument("notebooks", nargs="+", type=Path)
    args = parser.parse_args(argv)
    if args.command == "torch-spec":
        print(torch_spec(args.index_url or None))
        return 0
    return run(args.notebooks)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
