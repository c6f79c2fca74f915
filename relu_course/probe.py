r"""Measurements on a model: what each activation layer outputs, and what flows back.

Activation layers are the modules the registry builds (``nn.ReLU``, ``nn.Tanh``,
...; see :func:`relu_course.activations.is_activation_module`), found in
registration order. Names are the module paths in the model (``"1"``, ``"3"``,
... for an ``nn.Sequential``).
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator, NamedTuple

import numpy as np
import torch
from torch import nn

from relu_course.activations import is_activation_module

__all__ = [
    "activation_layers", "capture", "activations", "preactivations", "sparsity",
    "dead_units", "activation_stats", "grad_norms", "local_affine_map", "local_derivatives",
    "ActivationTrace", "ExactZeroCounter", "activation_pattern", "RegionsAlongLine",
    "linear_regions_along_line",
]


def activation_layers(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """The ``(name, module)`` pairs of the activation layers, in order."""
    return [(n, m) for n, m in model.named_modules() if n and is_activation_module(m)]


@contextmanager
def capture(model: nn.Module, what: str = "output", enabled: bool = True) -> Iterator[dict[str, torch.Tensor]]:
    """Within the block, record every activation layer's ``output`` (or ``input``, the
    pre-activation) into the yielded dict, keeping the autograd graph.

    Example::

        >>> with capture(model) as acts:
        ...     model(x)
        >>> {name: h.shape for name, h in acts.items()}
    """
    if what not in ("output", "input"):
        raise ValueError(f"what must be 'output' or 'input', got {what!r}")
    store: dict[str, torch.Tensor] = {}
    handles = []
    if enabled:
        for name, module in activation_layers(model):
            def hook(mod, inputs, output, name=name):
                store[name] = output if what == "output" else inputs[0]
            handles.append(module.register_forward_hook(hook))
    try:
        yield store
    finally:
        for h in handles:
            h.remove()


@torch.no_grad()
def activations(model: nn.Module, x: torch.Tensor, what: str = "output") -> dict[str, torch.Tensor]:
    """Every activation layer's output (or pre-activation, ``what="input"``) on ``x``, detached."""
    with capture(model, what) as store:
        model(x)
    return {k: v.detach() for k, v in store.items()}


def preactivations(model: nn.Module, x: torch.Tensor) -> dict[str, torch.Tensor]:
    """Every activation layer's input on ``x`` (shorthand for ``activations(..., what="input")``)."""
    return activations(model, x, what="input")


def sparsity(h: torch.Tensor) -> float:
    """Fraction of entries of ``h`` that are exactly 0."""
    if h.numel() == 0:
        raise ValueError("sparsity of an empty tensor is undefined")
    return (h == 0).float().mean().item()


def dead_units(model: nn.Module, x: torch.Tensor) -> dict[str, float]:
    """Per layer, the fraction of units whose output is exactly 0 for every example in ``x``.

    A unit of a fully connected layer is a column of the (N, units) output; for a
    convolution it is a channel over all positions.
    """
    result = {}
    for name, h in activations(model, x).items():
        flat = h.transpose(0, 1).reshape(h.shape[1], -1) if h.dim() > 2 else h.T
        result[name] = (flat == 0).all(dim=1).float().mean().item()
    return result


def activation_stats(model: nn.Module, x: torch.Tensor) -> dict[str, dict[str, float]]:
    """Per layer: ``mean``, ``std``, ``zero_fraction`` (exact zeros) of the outputs on ``x``,
    and ``dead_fraction`` (units zero on every example)."""
    dead = dead_units(model, x)
    return {
        name: {"mean": h.mean().item(), "std": h.std().item(), "zero_fraction": sparsity(h),
               "dead_fraction": dead[name]}
        for name, h in activations(model, x).items()
    }


def grad_norms(model: nn.Module, x: torch.Tensor, y: torch.Tensor,
               loss_fn=nn.functional.cross_entropy) -> dict[str, float]:
    r"""Per layer with a weight, :math:`\lVert \partial L / \partial W \rVert_2` for one
    forward and backward pass on ``(x, y)``, input layer first. The model's
    stored gradients are left as they were."""
    weighted = [(n, m) for n, m in model.named_modules() if isinstance(getattr(m, "weight", None), nn.Parameter)]
    saved = {n: (m.weight.grad.clone() if m.weight.grad is not None else None) for n, m in weighted}
    for _, m in weighted:
        m.weight.grad = None
    loss_fn(model(x), y).backward()
    norms = {n: m.weight.grad.norm().item() for n, m in weighted}
    for p in model.parameters():
        p.grad = None
    for n, m in weighted:
        m.weight.grad = saved[n]
    return norms


def local_affine_map(model: nn.Module, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    r"""The affine map :math:`f(z) \approx A z + b` that ``model`` applies near one input ``x``.

    ``x`` has the model's input shape without the batch dimension; returns
    ``A`` of shape (outputs, inputs) (the Jacobian at ``x``) and ``b = f(x) - A x``.
    For a piecewise-linear network (ReLU, leaky ReLU, maxout) the map is exact
    throughout the linear region that contains ``x``.
    """
    flat = x.reshape(-1).detach()

    def f(v: torch.Tensor) -> torch.Tensor:
        return model(v.reshape(1, *x.shape)).reshape(-1)

    A = torch.autograd.functional.jacobian(f, flat)
    with torch.no_grad():
        b = f(flat) - A @ flat
    return A, b


# --------------------------------------------------------------------------
# Local derivatives, and what happens during training (chapters 1 and 3).
# --------------------------------------------------------------------------
def local_derivatives(model: nn.Module, x: torch.Tensor) -> dict[str, torch.Tensor]:
    r"""Per activation layer, the derivative :math:`g'(z)` of the layer's function at
    every unit's pre-activation :math:`z` on the input batch ``x``, detached.

    These are the local factors the chain rule multiplies on the way back: a path
    through units :math:`j_1, \dots, j_L` carries :math:`\prod_l g'(z_{l, j_l})` times
    the weights along it. Each tensor has the shape of that layer's pre-activation
    (e.g. (N, units)). The derivative is taken by autograd through the layer itself,
    so kinks follow PyTorch's convention (``relu'(0) = 0``). Only element-wise
    activation layers are allowed; a :class:`~relu_course.nets.Maxout` layer raises
    ``ValueError``.

    Example::

        >>> model = nn.Sequential(nn.Linear(3, 4), nn.Sigmoid(), nn.Linear(4, 1))
        >>> d = local_derivatives(model, torch.randn(5, 3))
        >>> d["1"].shape, bool((d["1"] <= 0.25).all())
        (torch.Size([5, 4]), True)
    """
    from relu_course.nets import Maxout  # late import: nets imports the registry

    layers = activation_layers(model)
    for name, module in layers:
        if isinstance(module, Maxout):
            raise ValueError(f"layer {name!r} is a Maxout layer, which is not element-wise")
    pre = preactivations(model, x)
    result = {}
    with torch.enable_grad():
        for name, module in layers:
            z = pre[name].detach().clone().requires_grad_(True)
            (g,) = torch.autograd.grad(module(z).sum(), z)
            result[name] = g.detach()
    return result


class _LayerRecorder:
    """Base of the recorders below: within a ``with`` block, ``self._record(name, input,
    output)`` runs for every activation layer's forward pass (in training mode only,
    unless ``training_only=False``), on detached tensors."""

    def __init__(self, model: nn.Module, training_only: bool = True) -> None:
        self.layers = [name for name, _ in activation_layers(model)]
        if not self.layers:
            raise ValueError("the model has no activation layers to watch")
        self.model = model
        self.training_only = bool(training_only)
        self._handles: list = []

    def _record(self, name: str, inp: torch.Tensor, out: torch.Tensor) -> None:
        raise NotImplementedError

    def __enter__(self):
        for name, module in activation_layers(self.model):
            def hook(mod, inputs, output, name=name):
                if self.training_only and not mod.training:
                    return
                self._record(name, inputs[0].detach(), output.detach())
            self._handles.append(module.register_forward_hook(hook))
        return self

    def __exit__(self, *exc) -> None:
        for h in self._handles:
            h.remove()
        self._handles = []


class ActivationTrace(_LayerRecorder):
    r"""Per-step statistics of every activation layer's output during training.

    Use it as a context manager around :func:`relu_course.train.fit` (or any
    training loop). Every forward pass in training mode appends, for each
    activation layer, the mini-batch mean and standard deviation of the layer's
    output (over examples and units); evaluation passes (``model.eval()``, as in
    ``fit``'s per-epoch evaluation) are skipped unless ``training_only=False``.
    The values stay on the model's device until read, so recording does not
    synchronise a GPU.

    Attributes after the block: ``steps`` (number of recorded forward passes),
    ``layers`` (layer names, input side first); methods :meth:`mean` and
    :meth:`std` return a dict ``{layer: np.ndarray of shape (steps,)}``.

    Example::

        >>> with ActivationTrace(model) as trace:
        ...     fit(model, data, epochs=2)
        >>> trace.mean()["7"][:3]   # the top layer's mean output, steps 1..3
    """

    def __init__(self, model: nn.Module, training_only: bool = True) -> None:
        super().__init__(model, training_only)
        self._mean: dict[str, list[torch.Tensor]] = {n: [] for n in self.layers}
        self._std: dict[str, list[torch.Tensor]] = {n: [] for n in self.layers}

    def _record(self, name: str, inp: torch.Tensor, out: torch.Tensor) -> None:
        out = out.float()
        self._mean[name].append(out.mean())
        self._std[name].append(out.std() if out.numel() > 1 else torch.zeros((), device=out.device))

    @property
    def steps(self) -> int:
        return len(self._mean[self.layers[0]])

    def _series(self, store: dict[str, list[torch.Tensor]]) -> dict[str, "np.ndarray"]:
        return {n: torch.stack(v).cpu().numpy() if v else np.zeros(0) for n, v in store.items()}

    def mean(self) -> dict[str, "np.ndarray"]:
        """``{layer: per-step mean output}``, as float arrays of shape (steps,)."""
        return self._series(self._mean)

    def std(self) -> dict[str, "np.ndarray"]:
        """``{layer: per-step standard deviation of the output}``, shape (steps,)."""
        return self._series(self._std)


class ExactZeroCounter(_LayerRecorder):
    r"""Count how often each activation layer's pre-activation (its input) is
    exactly ``0.0`` during training: the one point where ReLU has no derivative.

    Use it as a context manager around a training loop. Every forward pass in
    training mode adds, per activation layer, the number of entries of the
    layer's input tensor that equal 0 (``-0.0`` included) to ``zeros[layer]`` and
    the number of entries to ``total[layer]``; evaluation passes are skipped
    unless ``training_only=False``. ``what="output"`` counts exact zeros of the
    outputs instead (ReLU's sparsity). Counts are accumulated on the model's
    device and read as Python ints.

    Example::

        >>> with ExactZeroCounter(model) as counter:
        ...     fit(model, data, epochs=5)
        >>> counter.count(), counter.numel(), counter.fraction()
    """

    def __init__(self, model: nn.Module, what: str = "input", training_only: bool = True) -> None:
        if what not in ("input", "output"):
            raise ValueError(f"what must be 'input' or 'output', got {what!r}")
        super().__init__(model, training_only)
        self.what = what
        self._zeros: dict[str, torch.Tensor | int] = {n: 0 for n in self.layers}
        self._total: dict[str, int] = {n: 0 for n in self.layers}
        self.steps = 0

    def _record(self, name: str, inp: torch.Tensor, out: torch.Tensor) -> None:
        t = inp if self.what == "input" else out
        self._zeros[name] = self._zeros[name] + (t == 0).sum()
        self._total[name] += t.numel()
        if name == self.layers[0]:
            self.steps += 1

    @property
    def zeros(self) -> dict[str, int]:
        """``{layer: number of exact zeros seen}``."""
        return {n: int(v) for n, v in self._zeros.items()}

    @property
    def total(self) -> dict[str, int]:
        """``{layer: number of entries seen}``."""
        return dict(self._total)

    def count(self) -> int:
        """Exact zeros over all layers and steps."""
        return sum(self.zeros.values())

    def numel(self) -> int:
        """Entries inspected over all layers and steps."""
        return sum(self._total.values())

    def fraction(self) -> float:
        """``count() / numel()``; raises ``ValueError`` before anything was recorded."""
        n = self.numel()
        if n == 0:
            raise ValueError("nothing recorded yet: run forward passes in training mode inside the block")
        return self.count() / n




# --------------------------------------------------------------------------
# Linear regions of piecewise-linear networks (chapter 4).
# --------------------------------------------------------------------------
def activation_pattern(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    r"""Which linear piece every unit of every activation layer is on, for each input.

    Returns an int64 tensor of shape (N, units in all activation layers): 1 where a
    unit of a ``ReLU``, ``LeakyReLU`` or ``PReLU`` layer has pre-activation
    :math:`z > 0` and 0 otherwise (``ShiftedReLU``: :math:`z \ge -s`); for a
    :class:`~relu_course.nets.Maxout` unit, the index of the winning piece. Inputs
    with the same pattern lie in the same linear region, where the network is one
    affine map (see :func:`local_affine_map`). ``nn.Identity`` layers contribute
    nothing; any other activation (tanh, GELU, ...) is not piecewise linear and
    raises ``ValueError``.

    Example::

        >>> model = nn.Sequential(nn.Linear(1, 3), nn.ReLU(), nn.Linear(3, 1))
        >>> activation_pattern(model, torch.zeros(2, 1)).shape
        torch.Size([2, 3])
    """
    from relu_course.activations import ShiftedReLU
    from relu_course.nets import Maxout  # late import: nets imports the registry

    layers = activation_layers(model)
    kinked = (nn.ReLU, nn.LeakyReLU, nn.PReLU, ShiftedReLU, Maxout, nn.Identity)
    for name, module in layers:
        if not isinstance(module, kinked):
            raise ValueError(f"layer {name!r} ({type(module).__name__}) is not piecewise linear; "
                             "linear regions need ReLU, LeakyReLU, PReLU, ShiftedReLU or Maxout layers")
    if not any(not isinstance(m, nn.Identity) for _, m in layers):
        raise ValueError("the model has no piecewise-linear activation layers")
    pre = preactivations(model, x)
    parts = []
    with torch.no_grad():
        for name, module in layers:
            z = pre[name]
            if isinstance(module, nn.Identity):
                continue
            if isinstance(module, Maxout):
                pieces = module.linear(z).view(*z.shape[:-1], module.out_features, module.pieces)
                code = pieces.argmax(dim=-1)
            elif isinstance(module, ShiftedReLU):
                code = (z >= -module.shift).long()
            else:
                code = (z > 0).long()
            parts.append(code.reshape(z.shape[0], -1))
    return torch.cat(parts, dim=1)


class RegionsAlongLine(NamedTuple):
    """What :func:`linear_regions_along_line` found: ``count`` regions, separated at
    the positions ``boundaries`` (values of :math:`t \\in (0, 1)`, midpoints of the
    grid steps where the pattern changed), out of ``points`` grid points."""

    count: int
    boundaries: np.ndarray
    points: int


def linear_regions_along_line(model: nn.Module, start: torch.Tensor, end: torch.Tensor,
                              points: int = 10_000, batch_size: int = 8192) -> RegionsAlongLine:
    r"""Count the linear regions of a piecewise-linear network along a segment.

    The segment is :math:`x(t) = \text{start} + t\,(\text{end} - \text{start})` for
    ``points`` evenly spaced :math:`t \in [0, 1]`; ``start`` and ``end`` have the
    model's input shape without the batch dimension. Each change of
    :func:`activation_pattern` between neighbouring grid points is a region boundary,
    so ``count = boundaries + 1`` (Hanin & Rolnick 2019 count regions this way).
    A region narrower than the grid step, or two boundaries inside one step, can be
    missed: the count is a lower bound that grows to the true one as ``points``
    grows. Adjacent regions may carry the same affine map, so the number of pieces
    of the function itself can be smaller. With an even ``points`` the grid avoids
    every dyadic point :math:`k/2^m` inside the segment.

    Example::

        >>> model = nn.Sequential(nn.Linear(1, 2), nn.ReLU(), nn.Linear(2, 1))
        >>> with torch.no_grad():  # kinks where x = 1 and x = -1
        ...     model[0].weight.fill_(1.0); model[0].bias.copy_(torch.tensor([-1.0, 1.0]))
        >>> linear_regions_along_line(model, torch.tensor([-5.0]), torch.tensor([5.0])).count
        3
    """
    if int(points) < 2:
        raise ValueError(f"points must be >= 2, got {points}")
    if int(batch_size) < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    if start.shape != end.shape:
        raise ValueError(f"start and end must have the same shape, got {tuple(start.shape)} and {tuple(end.shape)}")
    param = next(iter(model.parameters()), None)
    device = param.device if param is not None else start.device
    dtype = param.dtype if param is not None else torch.float32
    start = start.detach().to(device=device, dtype=dtype)
    step = end.detach().to(device=device, dtype=dtype) - start
    t = torch.linspace(0.0, 1.0, int(points), dtype=torch.float64)
    changes = []
    previous = None
    for i in range(0, len(t), int(batch_size)):
        tb = t[i:i + int(batch_size)].to(device=device, dtype=dtype)
        xb = start.unsqueeze(0) + tb.view(-1, *([1] * start.dim())) * step.unsqueeze(0)
        pattern = activation_pattern(model, xb)
        if previous is not None:
            pattern = torch.cat([previous, pattern])
        changed = (pattern[1:] != pattern[:-1]).any(dim=1).nonzero().flatten().cpu()
        offset = i - (1 if previous is not None else 0)
        changes.append(changed + offset)
        previous = pattern[-1:]
    idx = torch.cat(changes).numpy()
    tn = t.numpy()
    boundaries = (tn[idx] + tn[idx + 1]) / 2
    return RegionsAlongLine(int(len(idx)) + 1, boundaries, int(points))


