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
    "stream_seed",
    "STREAMS",
    "ENV_VAR",
    "SEED_ENV_VAR",
    "SEED_STRIDE",
    "CUBLAS_ENV_VAR",
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

#: cuBLAS is deterministic only with a fixed workspace, which it reads when CUDA starts:
#: set here, at import, unless the user chose one (see :func:`seed`).
CUBLAS_ENV_VAR = "CUBLAS_WORKSPACE_CONFIG"
os.environ.setdefault(CUBLAS_ENV_VAR, ":4096:8")


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def _checked(wanted: str, source: str) -> torch.device:
    """The device named ``wanted``, or ``ValueError`` (naming ``source``) when this
    machine does not have it."""
    try:
        device = torch.device(wanted)
    except RuntimeError as err:
        raise ValueError(f"{source}={wanted!r} is not a device name: {err}") from None
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"{source}={wanted!r} but CUDA is not available")
        count = torch.cuda.device_count()
        if device.index is not None and device.index >= count:
            raise ValueError(
                f"{source}={wanted!r} but this machine has {count} CUDA device(s): "
                f"cuda:0 to cuda:{count - 1}"
            )
    elif device.type == "mps":
        if not _mps_available():
            raise ValueError(f"{source}={wanted!r} but MPS is not available")
        if device.index not in (None, 0):
            raise ValueError(f"{source}={wanted!r}: there is one MPS device, mps or mps:0")
    elif device.type != "cpu":
        raise ValueError(f"{source}={wanted!r}: the course runs on cpu, cuda or mps")
    return device


def get_device(name: str | None = None) -> torch.device:
    """The device the course runs on: CUDA if present, then Apple MPS, then
    the CPU.

    ``name`` (e.g. ``"cpu"``, ``"cuda:1"``) asks for one device; otherwise
    ``RELU_COURSE_DEVICE`` overrides the choice. A name of a device this machine
    does not have (``"cuda:7"`` on a one-GPU machine) raises ``ValueError`` rather
    than falling back silently or failing later.

    Example::

        >>> get_device("cpu")
        device(type='cpu')
    """
    if name is not None:
        if not isinstance(name, (str, torch.device)):
            raise TypeError(f"name must be a device name such as 'cpu', got {name!r}")
        return _checked(str(name).strip(), "name")
    wanted = os.environ.get(ENV_VAR, "").strip()
    if wanted:
        return _checked(wanted, ENV_VAR)
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


#: The independent random streams one course seed ``n`` feeds. ``"init"`` is what
#: :func:`seed` gives the global generators (weights, dropout); the others are
#: spawned from it, so reusing one ``n`` for the weights, the data and the
#: mini-batch order does not reuse one stream of numbers for all three.
STREAMS = ("init", "batches", "data", "split")


def stream_seed(n: int, stream: str) -> int:
    r"""The seed of one named random stream of the course's seed ``n``.

    ``"init"`` is :func:`derive_seed` of ``n`` (what :func:`seed` uses); stream
    :math:`k > 0` of :data:`STREAMS` is the first 32-bit word of NumPy's
    ``SeedSequence(derive_seed(n), spawn_key=(k,))``, a child of the same root
    that is statistically independent of it and of its siblings. The package
    seeds the mini-batch order of :func:`relu_course.train.fit` from
    ``"batches"``, the generated datasets of :mod:`relu_course.data` from
    ``"data"`` and :func:`relu_course.data.validation_split` from ``"split"``.

    Example::

        >>> stream_seed(0, "init") == derive_seed(0)
        True
        >>> len({stream_seed(0, s) for s in STREAMS})
        4
    """
    if stream not in STREAMS:
        raise ValueError(f"stream must be one of {STREAMS}, got {stream!r}")
    root = derive_seed(n)
    k = STREAMS.index(stream)
    if k == 0:
        return root
    state = np.random.SeedSequence(root, spawn_key=(k,)).generate_state(1, np.uint32)
    return int(state[0])


def seed(n: int = 0) -> torch.Generator:
    """Seed Python's ``random``, NumPy's global generator and torch (CPU and
    every CUDA device) with :func:`derive_seed` of ``n``.

    Also asks for reproducible GPU arithmetic: cuDNN in deterministic mode
    with autotuning off, TF32 off for matrix products and convolutions, and, on a
    machine with CUDA, ``torch.use_deterministic_algorithms(True, warn_only=True)``:
    deterministic kernels wherever PyTorch has them, and a warning naming any
    operation that has none (call ``torch.use_deterministic_algorithms(True)``
    yourself to make that an error). cuBLAS
    needs the environment variable ``CUBLAS_WORKSPACE_CONFIG=:4096:8`` for that, set
    before CUDA starts: importing :mod:`relu_course` sets it when it is unset (set
    it yourself if CUDA ran before). Same base seed, same machine, same library
    versions: same numbers. Across devices (CPU vs CUDA vs MPS) and thread counts
    the draws are the same but floating-point sums may differ in the last digits.

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
    if torch.cuda.is_available():
        torch.use_deterministic_algorithms(True, warn_only=True)
    return torch.Generator().manual_seed(n)
