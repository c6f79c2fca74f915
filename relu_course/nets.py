"""Network builders with the activation, initialisation and bias as arguments."""

from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from relu_course import activations as _acts
from relu_course.init import initialize

__all__ = ["make_activation", "mlp", "cnn", "Maxout"]



class Maxout(nn.Module):
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


def make_activation(activation, **params) -> nn.Module:
    """A fresh activation module from a name, an ``Activation`` or a module factory."""
    if isinstance(activation, str):
        return _acts.get(activation, **params).module()
    if params:
        raise ValueError("activation parameters are only accepted with an activation name")
    if isinstance(activation, _acts.Activation):
        return activation.module()
    if callable(activation):
        module = activation()
        if not isinstance(module, nn.Module):
            raise TypeError(f"activation factory returned {type(module).__name__}, not an nn.Module")
        return module
    raise TypeError(f"cannot make an activation from {activation!r}")


def mlp(
    in_features: int,
    hidden: Sequence[int],
    out_features: int,
    activation="relu",
    init: str = "he_normal",
    bias: float | None = 0.0,
    **activation_params,
) -> nn.Sequential:
    """A multilayer perceptron: ``Linear -> activation`` for each hidden width, then a linear output.

    ``hidden``: widths of the hidden layers (``[]`` gives logistic regression).
    ``init``: a scheme from :mod:`relu_course.init` for every weight; ``bias``: the
    constant every bias starts at (``None`` keeps PyTorch's default).

    Example::

        >>> mlp(64, [32, 32], 10, activation="leaky_relu", negative_slope=0.1)
        Sequential(
          (0): Linear(in_features=64, out_features=32, bias=True)
          (1): LeakyReLU(negative_slope=0.1)
          (2): Linear(in_features=32, out_features=32, bias=True)
          (3): LeakyReLU(negative_slope=0.1)
          (4): Linear(in_features=32, out_features=10, bias=True)
        )
    """
    widths = [in_features, *hidden]
    if any(int(w) < 1 for w in widths + [out_features]):
        raise ValueError(f"all widths must be positive, got {widths + [out_features]}")
    layers: list[nn.Module] = []
    for n_in, n_out in zip(widths[:-1], widths[1:]):
        layers += [nn.Linear(n_in, n_out), make_activation(activation, **activation_params)]
    layers.append(nn.Linear(widths[-1], out_features))
    return initialize(nn.Sequential(*layers), init, bias)


def cnn(
    in_channels: int = 1,
    n_classes: int = 10,
    channels: Sequence[int] = (16, 32),
    image_size: int = 8,
    activation="relu",
    init: str = "he_normal",
    bias: float | None = 0.0,
    hidden: int = 64,
    **activation_params,
) -> nn.Sequential:
    """A small CNN for 8x8 digits: ``[Conv3x3 -> act -> MaxPool2]`` per entry of ``channels``,
    then ``Linear -> act -> Linear``.

    Shape: (N, in_channels, image_size, image_size) -> (N, n_classes).
    """
    layers: list[nn.Module] = []
    size, c_in = image_size, in_channels
    for c_out in channels:
        layers += [nn.Conv2d(c_in, c_out, 3, padding=1),
                   make_activation(activation, **activation_params), nn.MaxPool2d(2)]
        size, c_in = size // 2, c_out
        if size < 1:
            raise ValueError(f"too many pooling stages for image_size={image_size}")
    layers += [nn.Flatten(), nn.Linear(c_in * size * size, hidden),
               make_activation(activation, **activation_params), nn.Linear(hidden, n_classes)]
    return initialize(nn.Sequential(*layers), init, bias)
