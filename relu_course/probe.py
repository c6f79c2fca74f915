r"""Measurements on a model: what each activation layer outputs, and what flows back.

Activation layers are the modules the registry builds (``nn.ReLU``, ``nn.Tanh``,
...; see :func:`relu_course.activations.is_activation_module`), found in
registration order. Names are the module paths in the model (``"1"``, ``"3"``,
... for an ``nn.Sequential``).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import NamedTuple

import numpy as np
import torch
from torch import nn

from relu_course.activations import ShiftedReLU, is_activation_module
from relu_course.layers import Maxout

__all__ = [
    "LayerSelector",
    "activation_layers",
    "capture",
    "layer_outputs",
    "activations",
    "preactivations",
    "sparsity",
    "dead_units",
    "activation_stats",
    "grad_norms",
    "weight_matrices",
    "local_affine_map",
    "hessian_top_eigenvalue",
    "local_derivatives",
    "ActivationTrace",
    "ExactZeroCounter",
    "activation_pattern",
    "RegionsAlongLine",
    "linear_regions_along_line",
]

#: Which modules a probe watches: ``None`` (the registry's activation modules and
#: :class:`~relu_course.activations.Maxout`), a module class, a tuple of classes, or a
#: predicate ``module -> bool``.
LayerSelector = None | type | tuple | Callable[[nn.Module], bool]


def _selector(layers: LayerSelector) -> Callable[[nn.Module], bool]:
    if layers is None:
        return is_activation_module
    if isinstance(layers, type) or (
        isinstance(layers, tuple) and all(isinstance(t, type) for t in layers)
    ):
        if isinstance(layers, tuple) and not layers:
            raise ValueError("layers=() selects nothing; give at least one module class")
        return lambda m: isinstance(m, layers)
    if callable(layers):
        return lambda m: bool(layers(m))
    raise TypeError(
        f"layers must be None, a module class, a tuple of classes or a predicate, got {layers!r}"
    )


def activation_layers(
    model: nn.Module, layers: LayerSelector = None
) -> list[tuple[str, nn.Module]]:
    """The ``(name, module)`` pairs of the watched layers of ``model``, in registration order.

    Args:
        model: any ``nn.Module``.
        layers: which submodules count. ``None`` (default): the activation modules the
            registry builds (``nn.ReLU``, ``nn.Tanh``, ..., :class:`ShiftedReLU`) and
            the layers :class:`Maxout` and :class:`~relu_course.layers.GLU`, but not
            the modules inside a watched layer (a GLU's gate); a class or tuple of
            classes (e.g. a reader's own ``DarkReLU``); or a predicate ``module ->
            bool``. Every probe below that watches layers takes the same argument.

    Example::

        >>> model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1), nn.Tanh())
        >>> [name for name, _ in activation_layers(model)]
        ['1', '3']
        >>> [name for name, _ in activation_layers(model, layers=nn.Linear)]
        ['0', '2']
    """
    keep = _selector(layers)
    found = [(n, m) for n, m in model.named_modules() if n and keep(m)]
    if layers is None:  # a GLU's gate is part of the GLU layer, not a layer of its own
        found = [(n, m) for n, m in found if not any(n.startswith(f + ".") for f, _ in found)]
    return found


@contextmanager
def capture(
    model: nn.Module, what: str = "output", enabled: bool = True, layers: LayerSelector = None
) -> Iterator[dict[str, torch.Tensor]]:
    """Within the block, record every watched layer's ``output`` (or ``input``, the
    pre-activation) into the yielded dict, keeping the autograd graph.

    ``layers`` selects the layers as in :func:`activation_layers`; ``enabled=False``
    records nothing (a no-op block). A layer called several times keeps its last call.

    Example::

        >>> model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
        >>> with capture(model) as acts:
        ...     _ = model(torch.zeros(5, 3))
        >>> {name: tuple(h.shape) for name, h in acts.items()}
        {'1': (5, 4)}
    """
    if what not in ("output", "input"):
        raise ValueError(f"what must be 'output' or 'input', got {what!r}")
    store: dict[str, torch.Tensor] = {}
    handles = []
    if enabled:
        for name, module in activation_layers(model, layers):

            def hook(mod, inputs, output, name=name):
                store[name] = output if what == "output" else inputs[0]

            handles.append(module.register_forward_hook(hook))
    try:
        yield store
    finally:
        for h in handles:
            h.remove()


@torch.no_grad()
def layer_outputs(
    model: nn.Module, x: torch.Tensor, what: str = "output", layers: LayerSelector = None
) -> dict[str, torch.Tensor]:
    """Every watched layer's output (or its input, ``what="input"``) on the batch ``x``.

    Runs one forward pass without gradients. Returns ``{layer name: tensor}``, detached,
    each of the shape the layer produces (e.g. (N, units) or (N, C, H, W)), input side
    first. ``layers``: see :func:`activation_layers`.

    Example::

        >>> model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
        >>> out = layer_outputs(model, torch.randn(5, 3))
        >>> list(out), tuple(out["1"].shape), bool((out["1"] >= 0).all())
        (['1'], (5, 4), True)
    """
    with capture(model, what, layers=layers) as store:
        model(x)
    return {k: v.detach() for k, v in store.items()}


def activations(
    model: nn.Module, x: torch.Tensor, what: str = "output", layers: LayerSelector = None
) -> dict[str, torch.Tensor]:
    """Deprecated old name of :func:`layer_outputs` (it shadows the module
    ``relu_course.activations`` when imported by name); warns, then calls it."""
    warnings.warn(
        "relu_course.probe.activations is deprecated; use probe.layer_outputs",
        DeprecationWarning,
        stacklevel=2,
    )
    return layer_outputs(model, x, what, layers)


def preactivations(
    model: nn.Module, x: torch.Tensor, layers: LayerSelector = None
) -> dict[str, torch.Tensor]:
    """Every watched layer's input on ``x``: ``layer_outputs(model, x, "input", layers)``.

    Example::

        >>> model = nn.Sequential(nn.Linear(3, 4), nn.ReLU())
        >>> x = torch.randn(5, 3)
        >>> torch.allclose(preactivations(model, x)["1"], model[0](x))
        True
    """
    return layer_outputs(model, x, what="input", layers=layers)


def sparsity(h: torch.Tensor) -> float:
    """Fraction of entries of ``h`` (any shape, not empty) that are exactly 0.

    Example::

        >>> sparsity(torch.relu(torch.tensor([-1.0, 0.0, 2.0, 3.0])))
        0.5
    """
    if h.numel() == 0:
        raise ValueError("sparsity of an empty tensor is undefined")
    return (h == 0).float().mean().item()


def _dead(h: torch.Tensor) -> float:
    flat = h.transpose(0, 1).reshape(h.shape[1], -1) if h.dim() > 2 else h.T
    return (flat == 0).all(dim=1).float().mean().item()


def dead_units(
    model: nn.Module, x: torch.Tensor, layers: LayerSelector = None
) -> dict[str, float]:
    """Per watched layer, the fraction of units whose output is exactly 0 on every example.

    A unit of a fully connected layer is a column of the (N, units) output; for a
    convolution it is a channel over all positions, (N, C, ...) -> C units.

    Example::

        >>> model = nn.Sequential(nn.Linear(2, 4), nn.ReLU())
        >>> with torch.no_grad():
        ...     _ = model[0].bias.copy_(torch.tensor([-9.0, -9.0, 9.0, 9.0]))
        >>> dead_units(model, torch.rand(10, 2))
        {'1': 0.5}
    """
    return {name: _dead(h) for name, h in layer_outputs(model, x, layers=layers).items()}


def activation_stats(
    model: nn.Module, x: torch.Tensor, layers: LayerSelector = None
) -> dict[str, dict[str, float]]:
    """Per watched layer: ``mean``, ``std``, ``zero_fraction`` (exact zeros) of the
    outputs on ``x``, and ``dead_fraction`` (units zero on every example, as in
    :func:`dead_units`). One forward pass.

    Example::

        >>> model = nn.Sequential(nn.Linear(2, 4), nn.ReLU())
        >>> sorted(activation_stats(model, torch.randn(8, 2))["1"])
        ['dead_fraction', 'mean', 'std', 'zero_fraction']
    """
    return {
        name: {
            "mean": h.mean().item(),
            "std": h.std().item(),
            "zero_fraction": sparsity(h),
            "dead_fraction": _dead(h),
        }
        for name, h in layer_outputs(model, x, layers=layers).items()
    }


_WEIGHTED = (nn.Linear, nn.Bilinear, nn.modules.conv._ConvNd)


def weight_matrices(model: nn.Module) -> Iterator[tuple[str, nn.Parameter]]:
    """The ``(name, parameter)`` pairs of ``model``'s weight matrices and kernels.

    These are the ``weight`` of ``nn.Linear``, ``nn.Bilinear`` and every convolution
    (``nn.Conv1d/2d/3d`` and transposed), and the input-to-hidden and hidden-to-hidden
    matrices of ``nn.RNN``, ``nn.LSTM`` and ``nn.GRU`` (``weight_ih_l0``,
    ``weight_hh_l0``, ..., ``_reverse`` included, LSTM projections ``weight_hr_l0``).
    Not included: biases, PReLU's learned slope, the scale of normalisation layers
    (``BatchNorm``, ``LayerNorm``) and embeddings. Use it for a weight penalty (L1 or
    L2 on the weights only). Names are as in ``model.named_parameters()``; a shared
    parameter is listed once.

    Example::

        >>> model = nn.Sequential(nn.Linear(2, 3), nn.PReLU(), nn.LayerNorm(3))
        >>> [name for name, _ in weight_matrices(model)]
        ['0.weight']
        >>> [name for name, _ in weight_matrices(nn.LSTM(2, 3))]
        ['weight_ih_l0', 'weight_hh_l0']
    """
    seen: set[int] = set()
    for module_name, module in model.named_modules():
        prefix = f"{module_name}." if module_name else ""
        if isinstance(module, _WEIGHTED):
            candidates = [("weight", module.weight)]
        elif isinstance(module, nn.RNNBase):
            candidates = [
                (n, p)
                for n, p in module.named_parameters(recurse=False)
                if n.startswith("weight_")
            ]
        else:
            continue
        for name, param in candidates:
            if isinstance(param, nn.Parameter) and id(param) not in seen:
                seen.add(id(param))
                yield prefix + name, param


def grad_norms(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor, loss_fn=nn.functional.cross_entropy
) -> dict[str, float]:
    r"""Per module with a trainable ``weight`` parameter,
    :math:`\lVert \partial L / \partial W \rVert_2` (Frobenius norm) for one forward
    and backward pass of ``loss_fn(model(x), y)``.

    Keys are module names, input layer first. Every parameter's stored ``.grad``
    (weights, biases and all others) is left exactly as it was: the same tensor
    object, or ``None``.

    Example::

        >>> model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
        >>> norms = grad_norms(model, torch.randn(8, 3), torch.randint(0, 2, (8,)))
        >>> list(norms), model[0].weight.grad is None
        (['0', '2'], True)
    """
    weighted = [
        (n, m)
        for n, m in model.named_modules()
        if isinstance(getattr(m, "weight", None), nn.Parameter) and m.weight.requires_grad
    ]
    params = list(model.parameters())
    saved = [p.grad for p in params]
    try:
        for p in params:
            p.grad = None
        loss_fn(model(x), y).backward()
        norms = {n: m.weight.grad.norm().item() for n, m in weighted}
    finally:
        for p, g in zip(params, saved):
            p.grad = g
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


def hessian_top_eigenvalue(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    loss_fn=nn.functional.cross_entropy,
    iters: int = 50,
    seed: int = 0,
) -> float:
    r"""The largest eigenvalue :math:`\lambda_{\max}` of the Hessian
    :math:`H = \partial^2 L / \partial \theta^2` of
    ``L = loss_fn(model(x), y)`` with respect to every trainable parameter.

    Power iteration :math:`v \leftarrow Hv / \lVert Hv \rVert` on
    Hessian-vector products :math:`Hv = \nabla_\theta (\nabla_\theta L
    \cdot v)` (two backward passes; :math:`H` is never formed), ``iters``
    steps from a normal start vector drawn with
    ``derive_seed(seed)``; the result is the Rayleigh quotient
    :math:`v^\top H v`. Power iteration finds the eigenvalue of largest
    *magnitude*; when that one, :math:`\mu`, is negative, a second run on
    :math:`H - \mu I` (all of whose eigenvalues are :math:`\ge 0`) returns
    :math:`\lambda_{\max} = \mu + \lambda_{\max}(H - \mu I)`. Stored
    ``.grad`` tensors are not touched.

    Example::

        >>> torch.manual_seed(0) and None
        >>> model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
        >>> x, y = torch.randn(16, 3), torch.randint(0, 2, (16,))
        >>> hessian_top_eigenvalue(model, x, y) > 0
        True
    """
    from relu_course.device import derive_seed

    params = [p for p in model.parameters() if p.requires_grad]
    grads = torch.autograd.grad(loss_fn(model(x), y), params, create_graph=True)
    gen = torch.Generator().manual_seed(derive_seed(seed))

    def power(shift: float) -> float:
        v = [torch.randn(p.shape, generator=gen).to(p.device) for p in params]
        eig = 0.0
        for _ in range(max(iters, 1)):
            norm = torch.sqrt(sum((a * a).sum() for a in v))
            v = [a / norm for a in v]
            hv = torch.autograd.grad(grads, params, v, retain_graph=True)
            hv = [h.detach() - shift * a for h, a in zip(hv, v)]
            eig = sum((h * a).sum() for h, a in zip(hv, v)).item()
            v = hv
        return eig

    dominant = power(0.0)
    if dominant >= 0:
        return dominant
    return dominant + power(dominant)


# --------------------------------------------------------------------------
# Local derivatives, and what happens during training (chapters 1 and 3).
# --------------------------------------------------------------------------
def local_derivatives(
    model: nn.Module, x: torch.Tensor, layers: LayerSelector = None
) -> dict[str, torch.Tensor]:
    r"""Per activation layer, the derivative :math:`g'(z)` of the layer's function at
    every unit's pre-activation :math:`z` on the input batch ``x``, detached.

    These are the local factors the chain rule multiplies on the way back: a path
    through units :math:`j_1, \dots, j_L` carries :math:`\prod_l g'(z_{l, j_l})` times
    the weights along it. Each tensor has the shape of that layer's pre-activation
    (e.g. (N, units)). The derivative is taken by autograd through the layer itself,
    so kinks follow PyTorch's convention (``relu'(0) = 0``). Only element-wise
    activation layers are allowed; a :class:`~relu_course.nets.Maxout` layer raises
    ``ValueError``. ``layers``: see :func:`activation_layers` (a reader's own
    element-wise module works too).

    Example::

        >>> model = nn.Sequential(nn.Linear(3, 4), nn.Sigmoid(), nn.Linear(4, 1))
        >>> d = local_derivatives(model, torch.randn(5, 3))
        >>> d["1"].shape, bool((d["1"] <= 0.25).all())
        (torch.Size([5, 4]), True)
    """
    watched = activation_layers(model, layers)
    for name, module in watched:
        if isinstance(module, Maxout):
            raise ValueError(f"layer {name!r} is a Maxout layer, which is not element-wise")
    pre = preactivations(model, x, layers)
    result = {}
    with torch.enable_grad():
        for name, module in watched:
            z = pre[name].detach().clone().requires_grad_(True)
            (g,) = torch.autograd.grad(module(z).sum(), z)
            result[name] = g.detach()
    return result


class _LayerRecorder:
    """Base of the recorders below: within a ``with`` block, ``self._record(name, input,
    output)`` runs for every activation layer's forward pass (in training mode only,
    unless ``training_only=False``), on detached tensors. ``layers`` selects the
    watched modules as in :func:`activation_layers`."""

    def __init__(
        self, model: nn.Module, training_only: bool = True, layers: LayerSelector = None
    ) -> None:
        self._selected = activation_layers(model, layers)
        self.layers = [name for name, _ in self._selected]
        if not self.layers:
            raise ValueError("the model has no activation layers to watch")
        self.model = model
        self.training_only = bool(training_only)
        self._handles: list = []

    def _record(self, name: str, inp: torch.Tensor, out: torch.Tensor) -> None:
        raise NotImplementedError

    def __enter__(self):
        for name, module in self._selected:

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

        >>> model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
        >>> with ActivationTrace(model) as trace:  # around fit(model, data, ...)
        ...     for _ in range(3):
        ...         _ = model(torch.randn(8, 3))  # a training step's forward pass
        >>> trace.steps, trace.mean()["1"].shape
        (3, (3,))
    """

    def __init__(
        self, model: nn.Module, training_only: bool = True, layers: LayerSelector = None
    ) -> None:
        super().__init__(model, training_only, layers)
        self._mean: dict[str, list[torch.Tensor]] = {n: [] for n in self.layers}
        self._std: dict[str, list[torch.Tensor]] = {n: [] for n in self.layers}

    def _record(self, name: str, inp: torch.Tensor, out: torch.Tensor) -> None:
        out = out.float()
        self._mean[name].append(out.mean())
        self._std[name].append(
            out.std() if out.numel() > 1 else torch.zeros((), device=out.device)
        )

    @property
    def steps(self) -> int:
        return len(self._mean[self.layers[0]])

    def _series(self, store: dict[str, list[torch.Tensor]]) -> dict[str, np.ndarray]:
        return {n: torch.stack(v).cpu().numpy() if v else np.zeros(0) for n, v in store.items()}

    def mean(self) -> dict[str, np.ndarray]:
        """``{layer: per-step mean output}``, as float arrays of shape (steps,)."""
        return self._series(self._mean)

    def std(self) -> dict[str, np.ndarray]:
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

        >>> model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
        >>> with torch.no_grad():
        ...     _ = model[0].bias.zero_()
        >>> with ExactZeroCounter(model) as counter:  # around fit(model, data, ...)
        ...     _ = model(torch.zeros(5, 3))  # every pre-activation is exactly 0
        >>> counter.count(), counter.numel(), counter.fraction()
        (20, 20, 1.0)
    """

    def __init__(
        self,
        model: nn.Module,
        what: str = "input",
        training_only: bool = True,
        layers: LayerSelector = None,
    ) -> None:
        if what not in ("input", "output"):
            raise ValueError(f"what must be 'input' or 'output', got {what!r}")
        super().__init__(model, training_only, layers)
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
            raise ValueError(
                "nothing recorded yet: run forward passes in training mode inside the block"
            )
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
    layers = activation_layers(model)
    kinked = (nn.ReLU, nn.LeakyReLU, nn.PReLU, ShiftedReLU, Maxout, nn.Identity)
    for name, module in layers:
        if not isinstance(module, kinked):
            raise ValueError(
                f"layer {name!r} ({type(module).__name__}) is not piecewise linear; "
                "linear regions need ReLU, LeakyReLU, PReLU, ShiftedReLU or Maxout layers"
            )
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


def linear_regions_along_line(
    model: nn.Module,
    start: torch.Tensor,
    end: torch.Tensor,
    points: int = 10_000,
    batch_size: int = 8192,
) -> RegionsAlongLine:
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
        ...     _ = model[0].weight.fill_(1.0)
        ...     _ = model[0].bias.copy_(torch.tensor([-1.0, 1.0]))
        >>> linear_regions_along_line(model, torch.tensor([-5.0]), torch.tensor([5.0])).count
        3
    """
    if int(points) < 2:
        raise ValueError(f"points must be >= 2, got {points}")
    if int(batch_size) < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    if start.shape != end.shape:
        raise ValueError(
            "start and end must have the same shape, got "
            f"{tuple(start.shape)} and {tuple(end.shape)}"
        )
    param = next(iter(model.parameters()), None)
    device = param.device if param is not None else start.device
    dtype = param.dtype if param is not None else torch.float32
    start = start.detach().to(device=device, dtype=dtype)
    step = end.detach().to(device=device, dtype=dtype) - start
    t = torch.linspace(0.0, 1.0, int(points), dtype=torch.float64)
    changes = []
    previous = None
    for i in range(0, len(t), int(batch_size)):
        tb = t[i : i + int(batch_size)].to(dtype).to(device)  # cast on the CPU: MPS has no float64
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
