"""Progress bars that show when a person is watching and stay quiet otherwise."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable

__all__ = ["ENV_VAR", "enabled", "progress"]

#: ``RELU_COURSE_PROGRESS=0`` silences progress bars, ``=1`` forces them on.
ENV_VAR = "RELU_COURSE_PROGRESS"


def _in_kernel() -> bool:
    shell = sys.modules.get("IPython")
    if shell is None:
        return False
    ip = shell.get_ipython()
    return ip is not None and "IPKernelApp" in getattr(ip, "config", {})


def enabled(progress: bool | None = None) -> bool:
    """Whether to show a bar: the explicit argument, else ``RELU_COURSE_PROGRESS``,
    else only in an interactive terminal or a Jupyter kernel."""
    if progress is not None:
        return bool(progress)
    value = os.environ.get(ENV_VAR, "").strip().lower()
    if value in ("0", "false", "no", "off"):
        return False
    if value in ("1", "true", "yes", "on"):
        return True
    return sys.stderr.isatty() or _in_kernel()


def progress(iterable: Iterable, show: bool | None = None, **kwargs):
    """``tqdm`` over ``iterable`` (the notebook widget where ipywidgets exists), or the
    iterable itself when :func:`enabled` says no."""
    if not enabled(show):
        return iterable
    try:
        import ipywidgets  # noqa: F401
        from tqdm.auto import tqdm
    except ImportError:
        from tqdm import tqdm
    return tqdm(iterable, **kwargs)
