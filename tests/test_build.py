"""The build's own promises: a complete CPU-only lock, a site built from committed outputs."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from course import notebooks

ROOT = Path(__file__).resolve().parent.parent


def _requirements(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        name = re.split(r"[<>=!~;\[ ]", line, maxsplit=1)[0]
        pins[name.lower().replace("_", "-")] = line
    return pins


def test_lock_pins_every_package_exactly():
    lock = _requirements(ROOT / "requirements.txt")
    loose = [spec for spec in lock.values() if not re.fullmatch(r"[A-Za-z0-9._-]+==\S+", spec)]
    assert not loose, f"requirements.txt is the lock: every line `name==version`, not {loose}"
    missing = set(_requirements(ROOT / "requirements.in")) - set(lock)
    assert not missing, f"in requirements.in but not in the lock (run `make lock`): {missing}"


def test_lock_pins_the_public_torch_and_no_cuda_packages():
    """The public version (no local label such as +cpu, which exists for Linux and Windows
    only), so that macOS and CUDA machines install the same lock; the CUDA libraries are
    torch's own dependencies where pip picks a CUDA build, never pinned in the lock."""
    lock = _requirements(ROOT / "requirements.txt")
    assert re.fullmatch(r"torch==\d+\.\d+\.\d+", lock["torch"]), lock["torch"]
    cuda = [name for name in lock if name.startswith(("nvidia", "triton"))]
    assert not cuda, f"the lock pulls CUDA packages: {cuda}"


def test_site_is_built_from_committed_outputs_without_binder():
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    assert config["execute"]["execute_notebooks"] == "off"
    assert "binderhub_url" not in config.get("launch_buttons", {})


def _pinned_env() -> dict[str, str]:
    """The variables `make nbval` and `make notebooks` pin (Makefile's PINNED_ENV)."""
    line = re.search(r"^PINNED_ENV := (.*)$", (ROOT / "Makefile").read_text(), re.M)
    assert line, "Makefile: no PINNED_ENV line"
    return dict(item.split("=", 1) for item in line.group(1).split())


def _torch_threads(env: dict[str, str], cores: set[int]) -> int:
    """torch's intra-op thread count in a fresh process limited to ``cores``."""
    out = subprocess.run(
        [sys.executable, "-c", "import torch; print(torch.get_num_threads())"],
        env=env,
        preexec_fn=lambda: os.sched_setaffinity(0, cores),
        capture_output=True,
        text=True,
        check=True,
    )
    return int(out.stdout)


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="needs Linux CPU affinity")
def test_pinned_environment_gives_one_thread_on_any_core_count():
    """Committed outputs are 1-thread sums: the pin wins over the machine and the user's shell.

    A one-core container, this 2-core machine and a user who exported OMP_NUM_THREADS=4 all get
    one thread, so the same reductions run in the same order and nbval compares equal outputs.
    """
    pinned = _pinned_env()
    assert pinned["RELU_COURSE_DEVICE"] == "cpu"
    available = sorted(os.sched_getaffinity(0))
    for cores in ({available[0]}, set(available)):
        for user_threads in (None, "4"):
            env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}
            if user_threads:
                env["OMP_NUM_THREADS"] = user_threads
            env.update(pinned)
            assert _torch_threads(env, cores) == 1, (cores, user_threads)


def test_no_notebook_changes_the_process_thread_count():
    """Timing code sets threads through `bench` (restored afterwards), never for the kernel."""
    offenders = [
        path.name for path in notebooks() if "set_num_threads" in path.read_text(encoding="utf-8")
    ]
    assert not offenders, f"notebooks that call torch.set_num_threads: {offenders}"
