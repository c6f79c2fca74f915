"""Where the course's tensors live, and how its runs are made repeatable.

Every seed the course sets goes through :func:`derive_seed`, which shifts it by
the *base seed* read from the environment variable ``RELU_COURSE_SEED``
(an integer, default 0). The committed notebooks are run with base seed 0; a
reader who sets another base seed draws new initialisations, data splits and
mini-batch orders everywhere at once, which is how the course checks that its
verdicts do not rest on one lucky draw.
"""

from __future__ import annotations

import os
import random

import numpy as np
import torch

__all__ = [
    "get_device",
    "seed",
    "base_seed",
    "derive_seed",
    "ENV_VAR",
    "SEED_ENV_VAR",
    "SEED_STRIDE",
]

#: Environment variable that overrides :func:`get_device` (``cpu``, ``cuda``,
#: ``cuda:1``, ``mps``).
ENV_VAR = "RELU_COURSE_DEVICE"
#: Environment variable holding the base seed (an integer; default 0).
SEED_ENV_VAR = "RELU_COURSE_SEED"
#: How far one step of the base seed moves every derived seed. A prime larger
#: than any seed a chapter uses, so the seeds of two base seeds never collide.
SEED_STRIDE = 1_000_003
_SEED_MODULUS = 2**32  # NumPy and scikit-learn accept seeds in [0, 2**32)


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def get_device() -> torch.device:
    """The device the course runs on: CUDA if present, then Apple MPS, then
    the CPU.

    Set ``RELU_COURSE_DEVICE`` (e.g. ``cpu``) to override. An override naming
    a device that is not available raises ``ValueError`` rather than falling
    back silently.

    Example::

        >>> get_device()  # doctest: +SKIP
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


def base_seed() -> int:
    """The base seed: the integer in ``RELU_COURSE_SEED``, 0 when unset or
    empty.

    Raises ``ValueError`` naming the variable when it is not an integer.

    Example::

        >>> import os
        >>> os.environ.get("RELU_COURSE_SEED", "0") == str(base_seed())
        True
    """
    text = os.environ.get(SEED_ENV_VAR, "").strip()
    if not text:
        return 0
    try:
        return int(text)
    except ValueError:
        raise ValueError(
            f"{SEED_ENV_VAR} must be an integer (e.g. 0, 1, 42), got {text!r}"
        ) from None


def _check_int(n, what: str = "seed") -> int:
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool):
        raise TypeError(f"{what} must be an integer, got {type(n).__name__}")
    return int(n)


def derive_seed(n: int = 0) -> int:
    r"""The seed actually used for the course's seed ``n``:

    .. math:: (n + \text{SEED\_STRIDE} \cdot b) \bmod 2^{32}

    where :math:`b` is :func:`base_seed`. With the default base seed 0 this is
    ``n`` itself (for ``0 <= n < 2**32``). Every seeded function of the
    package (:func:`seed`, the loaders of :mod:`relu_course.data`,
    :func:`relu_course.train.fit`, the simulations) passes its ``seed``
    through here; call it yourself for a seed you hand to another library
    (``random_state=derive_seed(0)`` in scikit-learn).

    Example::

        >>> derive_seed(3) == (3 + SEED_STRIDE * base_seed()) % 2**32
        True
    """
    n = _check_int(n)
    return (n + SEED_STRIDE * base_seed()) % _SEED_MODULUS


def seed(n: int = 0) -> torch.Generator:
    """Seed Python's ``random``, NumPy's global generator and torch (CPU and
    every CUDA device) with :func:`derive_seed` of ``n``.

    Also asks for reproducible GPU arithmetic: cuDNN in deterministic mode
    with autotuning off, and TF32 off for matrix products and convolutions.
    Same base seed, same machine, same library versions: same numbers. Across
    devices (CPU vs CUDA vs MPS) and thread counts the draws are the same but
    floating-point sums may differ in the last digits.

    Returns a CPU ``torch.Generator`` seeded the same way, for code that
    prefers an explicit generator.

    Example::

        >>> g = seed(0)
        >>> a = torch.rand(2)
        >>> _ = seed(0)
        >>> bool((torch.rand(2) == a).all())
        True
    """
    n = derive_seed(n)
    random.seed(n)
    np.random.seed(n)
    torch.manual_seed(n)  # also seeds every CUDA device
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cuda.matmul.allow_tf32 = False
    return torch.Generator().manual_seed(n)
