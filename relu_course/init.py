r"""Weight initialisation: He, Xavier (Glorot) and LeCun, normal and uniform.

Each scheme draws weights with mean 0 and variance

* He (He et al. 2015):           :math:`\mathrm{Var}[w] = 2 / n_\text{in}`
* Xavier (Glorot & Bengio 2010): :math:`\mathrm{Var}[w] = 2 / (n_\text{in} + n_\text{out})`
* LeCun:                         :math:`\mathrm{Var}[w] = 1 / n_\text{in}`

from a normal distribution, or from :math:`U(-a, a)` with :math:`a = \sqrt{3\,\mathrm{Var}[w]}`
(a uniform distribution on ``[-a, a]`` has variance :math:`a^2/3`). For a
convolution, :math:`n_\text{in}` is in-channels times kernel size.
"""

from __future__ import annotations

import math

import torch
from torch import nn

__all__ = ["SCHEMES", "variance", "init_weights_", "initialize"]

#: Known schemes; ``"default"`` leaves PyTorch's own initialisation in place.
SCHEMES = (
    "he_normal",
    "he_uniform",
    "xavier_normal",
    "xavier_uniform",
    "lecun_normal",
    "lecun_uniform",
    "default",
)


def _fans(weight: torch.Tensor) -> tuple[int, int]:
    if weight.dim() < 2:
        raise ValueError(
            f"need a weight with at least 2 dimensions, got shape {tuple(weight.shape)}"
        )
    receptive = math.prod(weight.shape[2:]) if weight.dim() > 2 else 1
    return weight.shape[1] * receptive, weight.shape[0] * receptive


def variance(scheme: str, fan_in: int, fan_out: int) -> float:
    """The weight variance a scheme prescribes for a layer with these fans.

    He: ``2 / fan_in``; Xavier: ``2 / (fan_in + fan_out)``; LeCun: ``1 / fan_in``;
    normal and uniform variants alike. ``"default"`` raises ``ValueError``.

    Example::

        >>> variance("he_normal", 100, 50), variance("xavier_uniform", 100, 50)
        (0.02, 0.013333333333333334)
    """
    family = _check(scheme).rsplit("_", 1)[0]
    if family == "he":
        return 2.0 / fan_in
    if family == "xavier":
        return 2.0 / (fan_in + fan_out)
    if family == "lecun":
        return 1.0 / fan_in
    raise ValueError(f"scheme {scheme!r} prescribes no variance")


def _check(scheme: str) -> str:
    if scheme not in SCHEMES:
        raise ValueError(f"unknown init scheme {scheme!r}; valid: {', '.join(SCHEMES)}")
    return scheme


@torch.no_grad()
def init_weights_(
    weight: torch.Tensor, scheme: str, generator: torch.Generator | None = None
) -> torch.Tensor:
    r"""Fill ``weight`` in place according to ``scheme`` and return it.

    ``weight``: a tensor of shape (out, in, \*kernel), at least 2-D. ``scheme``: one of
    :data:`SCHEMES`; the variance is :func:`variance` of the fans
    :math:`n_\text{in} = \text{in} \cdot \prod \text{kernel}`,
    :math:`n_\text{out} = \text{out} \cdot \prod \text{kernel}`. ``generator``: a CPU
    ``torch.Generator`` (default: torch's global CPU generator). The numbers are
    always drawn on the CPU, in ``weight``'s dtype (float64 draws for a float64 weight),
    and copied to ``weight``'s device, so a weight on CUDA or
    MPS gets the same values as one on the CPU.

    Example::

        >>> w = init_weights_(torch.empty(64, 100), "he_uniform")
        >>> bool(w.abs().max() <= (3 * 2 / 100) ** 0.5)
        True
    """
    if _check(scheme) == "default":
        return weight
    fan_in, fan_out = _fans(weight)
    std = math.sqrt(variance(scheme, fan_in, fan_out))
    target = weight
    if weight.device.type != "cpu":
        weight = torch.empty(weight.shape, dtype=weight.dtype)  # draw on the CPU, then move
    if scheme.endswith("_normal"):
        weight.normal_(0.0, std, generator=generator)
    else:
        bound = math.sqrt(3.0) * std
        weight.uniform_(-bound, bound, generator=generator)
    if weight is not target:
        target.copy_(weight)
    return target


@torch.no_grad()
def initialize(model: nn.Module, scheme: str = "he_normal", bias: float | None = 0.0) -> nn.Module:
    """Initialise every ``nn.Linear`` and ``nn.Conv*d`` weight in ``model`` in place.

    ``scheme``: one of :data:`SCHEMES` (see :func:`init_weights_`). ``bias``: the
    constant every bias is set to (``None`` leaves biases alone). Returns the model.

    Example::

        >>> model = initialize(nn.Sequential(nn.Linear(4, 3)), "lecun_normal", bias=0.1)
        >>> model[0].bias.tolist()
        [0.10000000149011612, 0.10000000149011612, 0.10000000149011612]
    """
    _check(scheme)
    for module in model.modules():
        if isinstance(module, (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)):
            init_weights_(module.weight, scheme)
            if bias is not None and module.bias is not None:
                module.bias.fill_(float(bias))
    return model
