"""The build's own promises: a complete CPU-only lock, a site built from committed outputs."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

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


def test_lock_keeps_cpu_torch_and_no_cuda_packages():
    lock = _requirements(ROOT / "requirements.txt")
    assert lock["torch"].endswith("+cpu"), lock["torch"]
    cuda = [name for name in lock if name.startswith(("nvidia", "triton"))]
    assert not cuda, f"the lock pulls CUDA packages: {cuda}"


def test_site_is_built_from_committed_outputs_without_binder():
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    assert config["execute"]["execute_notebooks"] == "off"
    assert "binderhub_url" not in config.get("launch_buttons", {})
