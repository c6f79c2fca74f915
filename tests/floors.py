"""Print the runtime floors that pyproject.toml declares, as exact pins (`make mindeps`).

`numpy>=1.24.4` becomes `numpy==1.24.4`: the oldest versions the package says it
works with are the ones installed and tested. Runs on Python 3.10 (no tomllib).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


def floors(text: str) -> list[str]:
    block = re.search(r"^dependencies\s*=\s*\[(.*?)^\]", text, re.S | re.M)
    if block is None:
        raise SystemExit("pyproject.toml: no [project] dependencies list")
    pins = []
    for spec in re.findall(r'"([^"]+)"', block.group(1)):
        m = re.fullmatch(r"([A-Za-z0-9_.-]+)\s*>=\s*([0-9][0-9A-Za-z.]*)(,.*)?", spec)
        if m is None:
            raise SystemExit(f"pyproject.toml: {spec!r} declares no `>=` floor")
        pins.append(f"{m.group(1)}=={m.group(2)}")
    return pins


if __name__ == "__main__":
    print(" ".join(floors(PYPROJECT.read_text(encoding="utf-8"))))
    sys.exit(0)
