r"""Measurements on a model: what each activation layer outputs, and what flows back.

Activation layers are the modules the registry builds (``nn.ReLU``, ``nn.Tanh``,
...; see :func:`relu_course.activations.is_activation_module`), found in
registration order. Names are the module paths in the model (``"1"``, ``"3"``,
... for an ``nn.Sequential``).
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import torch
from torch import nn

from relu_course.activations import is_activation_module

__all__ = [
    "activation_layers", "capture", "activations", "preactivations", "sparsity",
    "dead_units", "activation_stats", "grad_norms", "local_affine_map",
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
