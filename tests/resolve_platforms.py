"""Resolve the lock (requirements.txt) for other platforms, as an installer there would.

Usage: python tests/resolve_platforms.py [linux mac windows]

For each platform, uv's resolver (``uv pip compile --python-platform ...
--only-binary :all:``, which evaluates environment markers for the target,
unlike ``pip --platform``) resolves the pinned lock on Python 3.11.9, so a
pinned package without a wheel for that platform, or a dependency the lock does
not pin, shows up here instead of on a learner's laptop. Nothing is installed;
only package metadata is read from the registry. Prints, per platform, whether
it resolved, the torch version, and the packages it adds beyond the lock
(PyPI torch's CUDA libraries on Linux, for example). Exits 1 when a platform
fails. `make platforms` installs uv and runs this; it is not part of `make test`.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON_VERSION = "3.11.9"
#: name -> (uv's --python-platform, environment); torch 2.13's macOS wheels need macOS 14
PLATFORMS = {
    "linux": ("x86_64-manylinux_2_28", {}),
    "mac": ("aarch64-apple-darwin", {"MACOSX_DEPLOYMENT_TARGET": "14.0"}),
    "windows": ("x86_64-pc-windows-msvc", {}),
}


def pins(text: str) -> dict[str, str]:
    found = re.findall(r"^([A-Za-z0-9._-]+)==(\S+)", text, re.M)
    return {name.lower().replace("_", "-"): version for name, version in found}


def resolve(name: str) -> tuple[bool, str]:
    target, env = PLATFORMS[name]
    uv = shutil.which("uv") or str(Path(sys.executable).with_name("uv"))
    cmd = [uv, "pip", "compile", str(ROOT / "requirements.txt"), "--python-platform", target,
           "--python-version", PYTHON_VERSION, "--only-binary", ":all:", "--no-header",
           "--no-annotate", "--quiet"]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, **env})
    if done.returncode != 0:
        lines = [ln.strip() for ln in done.stderr.splitlines() if ln.strip()]
        cause = next((ln for ln in lines if ln.startswith("cause:")), lines[-1] if lines else "")
        return False, f"{name} ({target}): FAILED: {cause}"
    resolved, locked = pins(done.stdout), pins((ROOT / "requirements.txt").read_text())
    extra = sorted(set(resolved) - set(locked))
    changed = sorted(n for n in set(resolved) & set(locked) if resolved[n] != locked[n])
    return True, (
        f"{name} ({target}{', ' + str(env) if env else ''}): resolved, {len(resolved)} "
        f"packages, torch {resolved.get('torch', '-')}; changed pins: {changed or 'none'}; "
        f"beyond the lock: {', '.join(extra) or 'none'}"
    )


def main(argv: list[str]) -> int:
    results = [resolve(name) for name in (argv or list(PLATFORMS))]
    for _, line in results:
        print(line)
    return 0 if all(ok for ok, _ in results) else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
