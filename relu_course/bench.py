r"""Timing activation functions forward and backward, next to a plain copy.

An element-wise activation on a tensor of :math:`n` elements reads :math:`n`
values and writes :math:`n` values. A copy of the same tensor moves exactly
those bytes and computes nothing, so its time is the memory-bandwidth limit
for any element-wise operation: an activation can at best match it. Each
:class:`Timing` therefore reports the time, elements and bytes per second, and
the ratio to a copy of the same tensor timed in the same session.

Modes (what one timed call does; ``x`` is the input, ``y`` a preallocated tensor):

* ``"forward"``: ``y = f(x)``, out of place (allocates the result);
* ``"out"``: ``f(x, out=y)``, writes into ``y`` (no allocation);
* ``"inplace"``: ``f(x)`` overwriting ``x`` (e.g. ``torch.relu_``);
* ``"backward"``: forward and backward, ``torch.autograd.grad(f(x), x, g)``;
* baselines ``"copy"`` (``y.copy_(x)``) and ``"clone"`` (``x.clone()``, a copy
  that allocates, the counterpart of ``"forward"``).

Bytes per call follow the minimal traffic model :data:`TRAFFIC`: :math:`2n`
elements for a forward pass or a copy (read ``x``, write ``y``), :math:`5n` for
forward plus backward (the backward pass reads the incoming gradient and one
saved tensor, and writes the input gradient). Caches can beat the model (a
tensor that fits in cache is not read from memory at all); it is a yardstick,
not a measurement of DRAM traffic.

Timing is PyTorch's own ``torch.utils.benchmark.Timer`` (see :func:`time_calls`):
it warms up before every batch, runs the batch with a fixed number of threads
(``threads``, set for the batch only: the process's setting is left alone) and
reads a clock that synchronises CUDA or MPS before and after the batch. What is
this module's own: batches long enough to be timed reliably (at least
``min_time`` seconds), interleaved across all the callables for one size, so a
burst of load from elsewhere on the machine hits them all alike, the median over
``repeat`` batches, the copy baseline, the traffic model and the table.
In-place batches are capped at :data:`INPLACE_MAX_CALLS` calls and start
from a fresh copy of the input, so repeated application (``silu`` of ``silu``
of ...) does not drift into subnormal numbers, which are slow on CPUs. (That
refill runs just before the batch, so for a tensor near the size of the
last-level cache the first in-place call may find part of it still cached.)

From the command line::

    python -m relu_course.bench --names relu sigmoid tanh --sizes 1e3 1e5 1e7
    python -m relu_course.bench --modes out inplace --impl torch package --sizes 1e7

Example::

    >>> from relu_course import bench
    >>> rows = bench.bench(["relu"], sizes=[10_000], modes=["forward"])
    >>> bench.find(rows, name="relu", mode="forward").vs_copy  # doctest: +SKIP
    1.3
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import torch
import torch.utils.benchmark as _benchmark

from relu_course import activations as _acts
from relu_course.device import derive_seed, get_device
from relu_course.progress import progress as _progress

__all__ = [
    "MultiSeedCost",
    "multiseed_cost",
    "MODES",
    "BASELINES",
    "IMPLS",
    "TRAFFIC",
    "CLOCKS",
    "DEFAULT_ACTIVATIONS",
    "DEFAULT_SIZES",
    "INPLACE_MAX_CALLS",
    "Timing",
    "synchronize",
    "time_calls",
    "seconds_per_call",
    "kernel",
    "bench",
    "select",
    "find",
    "format_table",
    "log_sizes",
    "main",
]

MODES = ("forward", "out", "inplace", "backward")
BASELINES = ("copy", "clone")
#: ``"torch"``: PyTorch's own function; ``"package"``: the same through
#: :class:`~relu_course.activations.Activation`.
IMPLS = ("torch", "package")
#: Elements moved per element of the tensor, per call (read + write), by mode.
TRAFFIC = {"forward": 2, "out": 2, "inplace": 2, "backward": 5, "copy": 2, "clone": 2}
DEFAULT_ACTIVATIONS = ("relu", "sigmoid", "tanh", "gelu", "elu", "silu", "softplus")
#: From well inside the caches (4 kB) to far beyond a typical last-level cache (400 MB).
DEFAULT_SIZES = (10**3, 10**4, 10**5, 10**6, 10**7, 10**8)
#: What :func:`time_calls` can read: wall time, or the calling thread's CPU time.
CLOCKS = ("wall", "cpu")
#: The most in-place calls in one timed batch (see the module docstring).
INPLACE_MAX_CALLS = 50


@dataclass(frozen=True)
class Timing:
    """One measurement: median seconds per call and what follows from it.

    ``vs_copy`` is ``seconds`` divided by the time of a copy of the same tensor
    (``copy`` mode); 1.0 means as fast as a copy. ``bandwidth_fraction`` is
    ``bytes_per_s`` divided by the copy's: the share of the copy's memory
    bandwidth the call achieves under the :data:`TRAFFIC` model (for the
    forward modes it equals ``1 / vs_copy``).
    """

    name: str
    mode: str
    impl: str
    size: int
    dtype: str
    device: str
    threads: int
    seconds: float
    elements_per_s: float
    bytes_per_s: float
    vs_copy: float
    bandwidth_fraction: float
    calls: int  # calls per timed batch

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def synchronize(device: torch.device | str) -> None:
    """Wait for queued work on ``device`` to finish (CUDA, MPS); nothing on the CPU.

    Example::

        >>> synchronize("cpu")  # returns at once
    """
    device = torch.device(device)
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def _clock(device: torch.device, clock: str = "wall") -> Callable[[], float]:
    """``time.perf_counter`` that first waits for ``device``: the Timer reads it before and
    after each batch, so a batch's time includes all the work it queued on a GPU.
    ``clock="cpu"``: the calling thread's CPU time (``time.thread_time``), CPU only."""
    if clock not in CLOCKS:
        raise ValueError(f"clock must be one of {CLOCKS}, got {clock!r}")
    if clock == "cpu":
        if device.type != "cpu":
            raise ValueError(f"clock='cpu' times CPU work only, not {device.type}")
        return time.thread_time
    if device.type == "cpu":
        return time.perf_counter

    def clock() -> float:
        synchronize(device)
        return time.perf_counter()

    return clock


def _timer(
    fn: Callable[[], Any], device: torch.device, threads: int, clock: str = "wall"
) -> _benchmark.Timer:
    return _benchmark.Timer(
        stmt="fn()", globals={"fn": fn}, timer=_clock(device, clock), num_threads=threads
    )


def _threads(threads: int | None) -> int:
    if threads is None:
        return torch.get_num_threads()
    if int(threads) < 1:
        raise ValueError(f"threads must be >= 1, got {threads}")
    return int(threads)


def time_calls(
    fns: Mapping[str, Callable[[], Any]],
    device: torch.device | str | None = None,
    repeat: int = 5,
    warmup: int = 2,
    min_time: float = 2e-3,
    max_calls: int | Mapping[str, int] = 10_000,
    setup: Mapping[str, Callable[[], Any]] | None = None,
    threads: int | None = None,
    clock: str = "wall",
) -> dict[str, list[float]]:
    """Seconds per call of each callable in ``fns``, one value per timed batch.

    Timing is done by ``torch.utils.benchmark.Timer``: it runs each batch with
    ``threads`` intra-op threads (default: the current ``torch.get_num_threads()``)
    and restores the process's setting afterwards, warms up before each batch, and
    reads a clock that synchronises ``device`` (CUDA, MPS; default
    :func:`~relu_course.device.get_device`) before and after the batch.

    Each callable is first called ``warmup`` times, then its batch size is chosen so
    a batch lasts at least ``min_time`` seconds (at most ``max_calls`` calls, an int
    or a per-label mapping). The ``repeat`` batches are interleaved across callables,
    so a burst of load from elsewhere hits them all alike. ``setup[label]``, if
    given, runs before each of that label's batches, outside the timed region.
    Returns ``{label: [seconds per call, ...]}`` with ``repeat`` values each; take
    the median (or use :func:`seconds_per_call`).

    ``clock``: ``"wall"`` (default) reads ``time.perf_counter``; ``"cpu"`` reads the
    calling thread's CPU time, ``time.thread_time`` (CPU device and ``threads=1``
    only). On a machine shared with other programs, wall time also counts the time
    the scheduler gives the core to someone else; CPU time counts only the work of
    the call itself (memory stalls, page faults and allocation included), so timings
    taken under load stay comparable.

    Example::

        >>> x = torch.randn(1000)
        >>> out = time_calls({"relu": lambda: torch.relu(x)}, "cpu", repeat=3, threads=1)
        >>> len(out["relu"]), all(t > 0 for t in out["relu"])
        (3, True)
    """
    return _time_calls(fns, device, repeat, warmup, min_time, max_calls, setup, threads, clock)[0]


def seconds_per_call(
    fns: Callable[[], Any] | Mapping[str, Callable[[], Any]],
    device: torch.device | str | None = None,
    repeat: int = 5,
    warmup: int = 2,
    min_time: float = 0.05,
    threads: int | None = None,
) -> float | dict[str, float]:
    """The median time of one call of ``fns`` (a callable), or of each callable of a
    ``{label: callable}`` mapping, in seconds.

    A thin layer over :func:`time_calls` (same arguments; ``min_time`` defaults to
    0.05 s per batch) for timing any code, PyTorch or not: a Python loop, a NumPy
    call, a GPU kernel. Work queued on ``device`` is waited for, so a CUDA or MPS
    call is timed to its end, not to its launch.

    Example::

        >>> import numpy as np
        >>> x = np.random.default_rng(0).standard_normal(10_000)
        >>> t = seconds_per_call({"loop": lambda: [max(v, 0.0) for v in x],
        ...                       "numpy": lambda: np.maximum(x, 0.0)},
        ...                      device="cpu", repeat=3, min_time=1e-3)
        >>> t["loop"] > t["numpy"]
        True
    """
    single = callable(fns) and not isinstance(fns, Mapping)
    table = {"call": fns} if single else dict(fns)
    samples = time_calls(
        table, device, repeat=repeat, warmup=warmup, min_time=min_time, threads=threads
    )
    medians = {label: statistics.median(values) for label, values in samples.items()}
    return medians["call"] if single else medians


def _time_calls(
    fns, device, repeat, warmup, min_time, max_calls, setup, threads=None, clock="wall"
):
    if repeat < 1 or warmup < 0 or not min_time > 0:
        raise ValueError(
            f"need repeat >= 1, warmup >= 0, min_time > 0; got {repeat}, {warmup}, {min_time}"
        )
    if not fns:
        raise ValueError("nothing to time: fns is empty")
    setup = dict(setup or {})
    unknown = set(setup) - set(fns)
    if unknown:
        raise ValueError(f"setup names unknown callables: {sorted(unknown)}")
    device = torch.device(device) if device is not None else get_device()
    n_threads = _threads(threads)
    if clock == "cpu" and n_threads != 1:
        raise ValueError(f"clock='cpu' needs threads=1 (one thread's CPU time), got {n_threads}")
    timers = {label: _timer(fn, device, n_threads, clock) for label, fn in fns.items()}
    numbers: dict[str, int] = {}
    for label, fn in fns.items():
        cap = max_calls[label] if isinstance(max_calls, Mapping) else max_calls
        if int(cap) < 1:
            raise ValueError(f"max_calls must be >= 1, got {cap} for {label!r}")
        if label in setup:
            setup[label]()
        for _ in range(warmup):
            fn()
        once = timers[label].timeit(1).median
        numbers[label] = int(min(cap, max(1, math.ceil(min_time / max(once, 1e-9)))))
    samples: dict[str, list[float]] = {label: [] for label in fns}
    for _ in range(repeat):
        for label in fns:
            if label in setup:
                setup[label]()
            samples[label].append(timers[label].timeit(numbers[label]).median)
    return samples, numbers


def kernel(
    name: str,
    mode: str,
    x: torch.Tensor,
    impl: str = "torch",
    out: torch.Tensor | None = None,
    grad: torch.Tensor | None = None,
) -> Callable[[], Any] | None:
    """A no-argument callable that runs activation ``name`` on ``x`` in ``mode``,
    or ``None`` when PyTorch has no dedicated kernel for that mode.

    ``impl="torch"`` calls PyTorch directly (``torch.relu``, ``torch.clamp_min(x, 0,
    out=y)``, ``torch.relu_``, ...); ``impl="package"`` calls the same through
    :class:`~relu_course.activations.Activation` (``act(x)``, ``act(x, out=y)``,
    ``act(x, inplace=True)``), to measure the wrapper's overhead. ``out`` (for
    ``"out"``) and ``grad`` (the incoming gradient for ``"backward"``) default to
    fresh tensors like ``x``. For ``"backward"`` ``x`` must require grad; for
    ``"inplace"`` ``x`` is overwritten on every call.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    if impl not in IMPLS:
        raise ValueError(f"impl must be one of {IMPLS}, got {impl!r}")
    act = _acts.get(name)
    spec = act._spec
    params = act.params
    if mode == "forward":
        if impl == "package":
            return lambda: act(x)
        fn = spec.torch_forward
        return (lambda: fn(x)) if not params else (lambda: fn(x, **params))
    if mode == "out":
        if "out" not in act.kernels:
            return None
        y = torch.empty_like(x) if out is None else out
        if impl == "package":
            return lambda: act(x, out=y)
        k = spec.out_kernel
        return lambda: k(x, y, **params)
    if mode == "inplace":
        if "inplace" not in act.kernels:
            return None
        if impl == "package":
            return lambda: act(x, inplace=True)
        k = spec.inplace_kernel
        return lambda: k(x, **params)
    # forward + backward
    if not x.requires_grad:
        raise ValueError("mode 'backward' needs an input that requires grad")
    g = torch.ones_like(x) if grad is None else grad
    fwd = act if impl == "package" else (lambda t: spec.torch_forward(t, **params))
    return lambda: torch.autograd.grad(fwd(x), x, g)


def _dtype(dtype: torch.dtype | str) -> torch.dtype:
    if isinstance(dtype, torch.dtype):
        return dtype
    value = getattr(torch, str(dtype), None)
    if not isinstance(value, torch.dtype) or not value.is_floating_point:
        raise ValueError(f"dtype must be a floating torch dtype, got {dtype!r}")
    return value


def bench(
    names: Sequence[str] = DEFAULT_ACTIVATIONS,
    sizes: Iterable[int] = DEFAULT_SIZES[:-1],
    modes: Sequence[str] = MODES,
    impls: Sequence[str] = ("torch",),
    device: torch.device | str | None = None,
    dtype: torch.dtype | str = torch.float32,
    repeat: int = 5,
    warmup: int = 2,
    min_time: float = 2e-3,
    threads: int | None = None,
    seed: int = 0,
    progress: bool | None = None,
    clock: str = "wall",
) -> list[Timing]:
    """Time each activation in each mode and implementation at each size, with the baselines.

    Inputs are standard normal (half of them negative), 1-D, of ``dtype`` on
    ``device`` (default :func:`~relu_course.device.get_device`). For every size
    the ``copy`` and ``clone`` baselines are timed alongside; modes PyTorch has
    no kernel for (softplus in place, ...) are skipped. ``threads``: intra-op threads
    for the timed calls (default: the current ``torch.get_num_threads()``), set by the
    Timer for each batch only. Tensors are allocated per size and freed before the
    next one; a size of ``1e8`` float32 elements needs about 0.4 GB per tensor (up to
    six tensors when every mode is timed). Returns one :class:`Timing` per
    measurement, sizes in increasing order. ``clock``: as in :func:`time_calls`
    (``"cpu"``: the thread's CPU time, for timings on a loaded CPU with one thread).

    Example::

        >>> rows = bench(["relu"], sizes=[1000], modes=["out"], device="cpu",
        ...              repeat=1, min_time=1e-4, threads=1)
        >>> [(r.name, r.mode) for r in rows]
        [('copy', 'copy'), ('clone', 'clone'), ('relu', 'out')]
    """
    sizes = sorted({int(s) for s in sizes})
    if not sizes or sizes[0] < 1:
        raise ValueError(f"sizes must be positive integers, got {sizes}")
    for m in modes:
        if m not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {m!r}")
    for i in impls:
        if i not in IMPLS:
            raise ValueError(f"impl must be one of {IMPLS}, got {i!r}")
    acts = {n: _acts.get(n).name for n in names}  # validates the names
    dtype = _dtype(dtype)
    device = torch.device(device) if device is not None else get_device()
    n_threads = _threads(threads)
    gen = torch.Generator().manual_seed(derive_seed(int(seed)))
    rows: list[Timing] = []
    for size in _progress(sizes, progress, desc="bench", unit="size", leave=False):
        # Drawn on the CPU and moved, so every device times the same numbers.
        source = torch.randn(size, generator=gen, dtype=torch.float32).to(dtype).to(device)
        x = source.clone()
        y = torch.empty_like(source)
        xg = source.clone().requires_grad_(True) if "backward" in modes else None
        g = torch.ones_like(source) if "backward" in modes else None
        scratch = source.clone() if "inplace" in modes else None
        fns: dict[str, Callable[[], Any]] = {
            "copy|copy|torch": lambda y=y, x=x: y.copy_(x),
            "clone|clone|torch": lambda x=x: x.clone(),
        }
        caps: dict[str, int] = {}
        setup: dict[str, Callable[[], Any]] = {}
        for label, name in acts.items():
            for mode in modes:
                for impl in impls:
                    src = {"inplace": scratch, "backward": xg}.get(mode, x)
                    fn = kernel(name, mode, src, impl, out=y, grad=g)
                    if fn is None:
                        continue
                    key = f"{label}|{mode}|{impl}"
                    fns[key] = fn
                    if mode == "inplace":
                        caps[key] = INPLACE_MAX_CALLS
                        setup[key] = lambda s=scratch, src=source: s.copy_(src)
        max_calls = {key: caps.get(key, 10_000) for key in fns}
        samples, numbers = _time_calls(
            fns, device, repeat, warmup, min_time, max_calls, setup, n_threads, clock
        )
        del fns, setup, x, y, xg, g, scratch, source
        copy_s = statistics.median(samples["copy|copy|torch"])
        itemsize = torch.empty((), dtype=dtype).element_size()
        for key, values in samples.items():
            name, mode, impl = key.split("|")
            seconds = statistics.median(values)
            moved = TRAFFIC[mode] * size * itemsize
            rows.append(
                Timing(
                    name=name,
                    mode=mode,
                    impl=impl,
                    size=size,
                    dtype=str(dtype).replace("torch.", ""),
                    device=str(device),
                    threads=n_threads,
                    seconds=seconds,
                    elements_per_s=size / seconds,
                    bytes_per_s=moved / seconds,
                    vs_copy=seconds / copy_s,
                    bandwidth_fraction=(moved / seconds)
                    / (TRAFFIC["copy"] * size * itemsize / copy_s),
                    calls=numbers[key],
                )
            )
    return rows


def select(rows: Iterable[Timing], **criteria: Any) -> list[Timing]:
    """The rows whose fields equal every ``criteria`` value, e.g. ``select(rows, mode="out")``."""
    fields = Timing.__dataclass_fields__
    bad = set(criteria) - set(fields)
    if bad:
        raise ValueError(f"unknown Timing field(s) {sorted(bad)}; fields: {', '.join(fields)}")
    return [r for r in rows if all(getattr(r, k) == v for k, v in criteria.items())]


def find(rows: Iterable[Timing], **criteria: Any) -> Timing:
    """The one row matching ``criteria`` (``impl`` defaults to ``"torch"``);
    ``ValueError`` otherwise."""
    criteria.setdefault("impl", "torch")
    if criteria.get("mode") in BASELINES:
        criteria.setdefault("name", criteria["mode"])
    found = select(rows, **criteria)
    if len(found) != 1:
        raise ValueError(f"expected exactly one row for {criteria}, found {len(found)}")
    return found[0]


def _si(value: float, unit: str) -> str:
    for factor, prefix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= factor:
            return f"{value / factor:.3g} {prefix}{unit}"
    return f"{value:.3g} {unit}"


def _duration(seconds: float) -> str:
    for factor, unit in ((1.0, "s"), (1e-3, "ms"), (1e-6, "us")):
        if seconds >= factor:
            return f"{seconds / factor:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def format_table(rows: Iterable[Timing]) -> str:
    """A plain-text table of ``rows``: size, name, mode, impl, time, elements/s,
    bytes/s, vs copy."""
    rows = list(rows)
    header = ("size", "name", "mode", "impl", "time", "elem/s", "bytes/s", "x copy", "bw frac")
    body = [
        (
            f"{r.size:.0e}",
            r.name,
            r.mode,
            r.impl,
            _duration(r.seconds),
            _si(r.elements_per_s, "el/s"),
            _si(r.bytes_per_s, "B/s"),
            f"{r.vs_copy:.2f}",
            f"{r.bandwidth_fraction:.2f}",
        )
        for r in rows
    ]
    widths = [
        max(len(h), *(len(b[i]) for b in body)) if body else len(h) for i, h in enumerate(header)
    ]
    lines = [
        "  ".join(h.ljust(w) for h, w in zip(header, widths)),
        "  ".join("-" * w for w in widths),
    ]
    lines += ["  ".join(c.ljust(w) for c, w in zip(b, widths)) for b in body]
    return "\n".join(lines)


def log_sizes(low: float, high: float, per_decade: int = 1) -> list[int]:
    """Tensor sizes spaced evenly in log scale from ``low`` to ``high`` inclusive, as ints."""
    if not 1 <= low <= high or per_decade < 1:
        raise ValueError(
            f"need 1 <= low <= high and per_decade >= 1, got {low}, {high}, {per_decade}"
        )
    steps = round(math.log10(high / low) * per_decade)
    return sorted(
        {int(round(low * 10 ** (i / per_decade))) for i in range(steps + 1)} | {int(high)}
    )


def _parse_size(text: str) -> int:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a size: {text!r}") from None
    if value < 1 or value != int(value):
        raise argparse.ArgumentTypeError(f"a size must be a positive integer, got {text!r}")
    return int(value)


def _summary(rows: list[Timing]) -> list[str]:
    lines = []
    for size in sorted({r.size for r in rows}):
        at = [r for r in rows if r.size == size and r.name == "relu"]
        best = [r for r in at if r.mode in ("out", "inplace") and r.impl == "torch"]
        if best:
            top = max(best, key=lambda r: r.bandwidth_fraction)
            lines.append(
                f"relu at {size:.0e}: best of out=/in-place ({top.mode}) reaches "
                f"{top.bandwidth_fraction:.0%} of the copy's bandwidth"
            )
        for mode in MODES:
            pair = {r.impl: r for r in at if r.mode == mode}
            if {"torch", "package"} <= set(pair):
                extra = pair["package"].seconds / pair["torch"].seconds - 1
                lines.append(f"relu at {size:.0e}, {mode}: package adds {extra:+.1%} over PyTorch")
    return lines


@dataclass(frozen=True)
class MultiSeedCost:
    """Wall time of training one seed with :func:`relu_course.train.fit`
    and ``seeds`` seeds at once with :func:`relu_course.train.fit_seeds`
    (best of ``repeat`` runs each); ``ratio`` = many / one. A loop over the
    seeds would cost ``seeds`` times one."""

    seeds: int
    one_s: float
    many_s: float
    strategy: str
    threads: int
    device: str

    @property
    def ratio(self) -> float:
        return self.many_s / self.one_s

    def __str__(self) -> str:
        return (
            f"{self.seeds} seeds of the digits MLP at once ({self.strategy}): "
            f"{self.many_s:.2f} s against {self.one_s:.2f} s for one seed, "
            f"{self.ratio:.2f}x (a loop: {self.seeds}x); {self.device}, "
            f"{self.threads} thread(s)"
        )


def multiseed_cost(
    seeds: int = 5,
    epochs: int = 5,
    hidden: Sequence[int] = (64, 64),
    device: torch.device | str | None = None,
    threads: int | None = None,
    repeat: int = 3,
) -> MultiSeedCost:
    """Time ``seeds`` copies of an MLP on the digits trained at once against
    one copy trained alone, both with plain SGD for ``epochs`` epochs.

    ``threads`` sets torch's intra-op threads for the measurement only (the
    process's setting is restored). Returns a :class:`MultiSeedCost`.

    Example::

        >>> cost = multiseed_cost(seeds=2, epochs=1, repeat=1)
        >>> cost.ratio > 0
        True
    """
    from relu_course import data as _data
    from relu_course import nets as _nets
    from relu_course import train as _train
    from relu_course.device import seed as _seed

    if seeds < 1 or epochs < 1 or repeat < 1:
        raise ValueError("seeds, epochs and repeat must be >= 1")
    device = torch.device(device) if device is not None else get_device()
    split = _data.digits(device=device)

    def make() -> torch.nn.Module:
        return _nets.mlp(64, list(hidden), 10)

    before = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(int(threads))
    try:
        used = torch.get_num_threads()
        one, many, strategy = math.inf, math.inf, ""
        for _ in range(repeat):
            _seed(0)
            model = make().to(device)
            synchronize(device)
            start = time.perf_counter()
            _train.fit(model, split, epochs=epochs, lr=0.05, progress=False)
            synchronize(device)
            one = min(one, time.perf_counter() - start)
            start = time.perf_counter()
            runs = _train.fit_seeds(
                make, split, seeds=seeds, epochs=epochs, lr=0.05, progress=False
            )
            synchronize(device)
            many = min(many, time.perf_counter() - start)
            strategy = runs.strategy
    finally:
        torch.set_num_threads(before)
    return MultiSeedCost(seeds, one, many, strategy, used, str(device))


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point: ``python -m relu_course.bench --help``."""
    parser = argparse.ArgumentParser(
        prog="python -m relu_course.bench",
        description="Time activation functions forward and backward next to a plain copy.",
    )
    parser.add_argument(
        "--names",
        nargs="+",
        default=list(DEFAULT_ACTIVATIONS),
        help=f"activations (default: {' '.join(DEFAULT_ACTIVATIONS)})",
    )
    parser.add_argument(
        "--sizes",
        nargs="+",
        type=_parse_size,
        default=list(DEFAULT_SIZES[:-1]),
        help="tensor sizes, e.g. 1e3 1e5 1e7 (default: 1e3 to 1e7, one per decade)",
    )
    parser.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES))
    parser.add_argument(
        "--impl",
        nargs="+",
        choices=IMPLS,
        default=["torch"],
        dest="impls",
        help="torch (built-ins) and/or package (through relu_course.activations)",
    )
    parser.add_argument(
        "--device", default=None, help="cpu, cuda, mps (default: relu_course.get_device())"
    )
    parser.add_argument("--dtype", default="float32")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument(
        "--min-time", type=float, default=5e-3, help="seconds per timed batch (default 0.005)"
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="intra-op threads for the timed calls (default: torch's current)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--multiseed",
        type=int,
        default=None,
        metavar="K",
        help="instead: the cost of training K seeds of the digits MLP at once "
        "against one (relu_course.train.fit_seeds)",
    )
    args = parser.parse_args(argv)
    if args.multiseed is not None:
        print(multiseed_cost(args.multiseed, device=args.device, threads=args.threads))
        return 0
    try:
        rows = bench(
            args.names,
            args.sizes,
            args.modes,
            args.impls,
            device=args.device,
            dtype=args.dtype,
            repeat=args.repeat,
            warmup=args.warmup,
            min_time=args.min_time,
            threads=args.threads,
            seed=args.seed,
        )
    except ValueError as err:
        parser.error(str(err))
    first = rows[0]
    print(
        f"device {first.device}, {first.dtype}, {first.threads} thread(s), "
        f"torch {torch.__version__}; "
        f"median of {args.repeat} batches"
    )
    print(format_table(rows))
    for line in _summary(rows):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
