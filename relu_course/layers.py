r"""Layers with weights that play the part of an activation: Maxout, GLU and SwiGLU.

They are not element-wise functions of one input (each holds an affine map), so they
live here rather than in the registry of :mod:`relu_course.activations`; the old
import paths (``relu_course.activations.GLU``, ``relu_course.nets.Maxout``) still
work. Both are :class:`~relu_course.activations.ActivationLayer`\ s, so
:func:`~relu_course.activations.is_activation_module` counts Maxout and GLU (SwiGLU
included) alike: the probes and the L1 activity penalty watch their outputs, and not
the gate module inside a GLU.
"""

from __future__ import annotations

import torch
from torch import nn

from relu_course.activations import ActivationLayer, get

__all__ = ["Maxout", "GLU", "SwiGLU"]


class Maxout(ActivationLayer):
    r"""Maxout layer (Goodfellow et al. 2013): :math:`h_j(x) = \max_{k} (W_{jk} x + b_{jk})`.

    Each of the ``out_features`` units takes the maximum over ``pieces``
    affine functions of the input. Shape: (N, in_features) -> (N, out_features).
    With ``pieces=2`` one unit can be ReLU (pieces x and 0), leaky ReLU (x and
    ax) or the absolute value (x and -x).

    Example::

        >>> Maxout(3, 4, pieces=2)(torch.zeros(5, 3)).shape
        torch.Size([5, 4])
    """

    def __init__(self, in_features: int, out_features: int, pieces: int = 2) -> None:
        super().__init__()
        if pieces < 1:
            raise ValueError(f"pieces must be >= 1, got {pieces}")
        self.out_features, self.pieces = out_features, pieces
        self.linear = nn.Linear(in_features, out_features * pieces)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = self.linear(x).view(*x.shape[:-1], self.out_features, self.pieces)
        return z.amax(dim=-1)


class GLU(ActivationLayer):
    r"""Gated linear unit layer (Dauphin et al. 2017; Shazeer 2020):
    :math:`h(x) = g(x W + b) \odot (x V + c)`.

    Two affine maps of the input; one goes through the gate activation ``g``
    and multiplies the other element by element. Not element-wise in ``x``:
    like :class:`Maxout` it is a layer with its own weights (``2 *
    out_features`` affine outputs). ``gate`` is a registered name:
    ``"sigmoid"`` gives the original GLU (what ``torch.nn.functional.glu``
    computes on the layer's affine outputs), ``"silu"`` gives SwiGLU, the
    feed-forward block of recent transformers (PaLM, LLaMA), ``"gelu"``
    GEGLU, ``"relu"`` ReGLU. Shape: (..., in_features) -> (..., out_features).

    Example::

        >>> GLU(3, 4)(torch.zeros(5, 3)).shape
        torch.Size([5, 4])
        >>> SwiGLU(3, 4).gate_name
        'silu'
    """

    def __init__(self, in_features: int, out_features: int, gate: str = "sigmoid") -> None:
        super().__init__()
        self.out_features = out_features
        self.gate_name = get(gate).name
        self.gate = get(gate).module()
        # One Linear for both maps: the first half is the value, the second the gate
        # (the order of ``torch.nn.functional.glu``).
        self.linear = nn.Linear(in_features, 2 * out_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        value, gate = self.linear(x).chunk(2, dim=-1)
        return value * self.gate(gate)

    def extra_repr(self) -> str:
        return f"gate={self.gate_name!r}"


class SwiGLU(GLU):
    r"""SwiGLU (Shazeer 2020): :math:`h(x) = \mathrm{SiLU}(x W + b) \odot (x V + c)`.

    :class:`GLU` with the SiLU (swish) gate. Shape: (..., in_features) ->
    (..., out_features).

    Example::

        >>> SwiGLU(2, 3)(torch.ones(4, 2)).shape
        torch.Size([4, 3])
    """

    def __init__(self, in_features: int, out_features: int) -> None:
        super().__init__(in_features, out_features, gate="silu")
