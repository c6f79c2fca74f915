"""Where the course's tensors live, and how its runs are made repeatable."""

from __future__ import annotations

import os
import random

import numpy as np
import torch

__all__ = ["get_device", "seed", "ENV_VAR"]

#: Environment variable that overrides :func:`get_device` (``cpu``, ``cuda``, ``cuda:1``, ``mps``).
ENV_VAR = "RELU_COURSE_DEVICE"


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def get_device() -> torch.device:
    """The device the course runs on: CUDA if present, then Apple MPS, then the CPU.

    Set ``RELU_COURSE_DEVICE`` (e.g. ``cpu``) to override. An override naming a
    device that is not available raises ``ValueError`` rather than falling back
    silently.

    Example::

        >>> get_device()
        device(type='cpu')
    """
    wanted = os.environ.get(ENV_VAR, "").strip()
    if wanted:
        try:
            device = torch.device(wanted)
        except RuntimeError as err:
            raise ValueError(f"{ENV_VAR}={wanted!r} is not a device name: {err}") from None
        if device.type == "cuda" and not torch.cuda.is_available():
            raise ValueError(f"{ENV_VAR}={wanted!r} but CUDA is not available")
        if device.type == "mps" and not _mps_available():
            raise ValueError(f"{ENV_VAR}={wanted!r} but MPS is not available")
        return device
    if torch.cuda.is_available():
        return torch.device("cuda")
    if _mps_available():
        return torch.device("mps")
    return torch.device("cpu")


def seed(n: int = 0) -> torch.Generator:
    """Seed Python's ``random``, NumPy's global generator and torch (CPU and CUDA).

    Returns a ``torch.Generator`` seeded with ``n`` for code that prefers an
    explicit generator. Same seed, same machine: same numbers.
    """
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool):
        raise TypeError(f"seed must be an integer, got {type(n).__name__}")
    n = int(n)
    random.seed(n)
    np.random.seed(n % 2**32)
    torch.manual_seed(n)  # also seeds every CUDA device
    return torch.Generator().manual_seed(n)
