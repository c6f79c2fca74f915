r"""The single registry of activation functions.

Every activation the course uses is registered here once, with

* its formula (LaTeX, for the book),
* a reference forward pass and an analytic derivative, written once against a
  tiny array namespace so that the same lines serve NumPy and PyTorch,
* the fused PyTorch built-in used on tensors (``torch.relu``, ``F.gelu``, ...),
* a factory for the matching ``torch.nn.Module``.

Use it through :func:`get` and :func:`names`::

    >>> from relu_course import activations
    >>> act = activations.get("leaky_relu", negative_slope=0.1)
    >>> act([-2.0, 0.0, 3.0])
    [-0.2, 0.0, 3.0]
    >>> act.grad([-2.0, 0.0, 3.0])
    [0.1, 0.1, 1.0]

Conventions
-----------
* ``act(x)`` and ``act.grad(x)`` accept a NumPy array, a torch tensor, a Python
  number or a list, and return the same kind. Tensors stay on their device, keep
  their dtype and stay differentiable. NumPy arrays keep a floating dtype;
  integer arrays are computed in float64. float16 and bfloat16 are computed in
  float32 internally and rounded back, as PyTorch does on the CPU.
* At a kink the derivative takes the value PyTorch's autograd gives:
  ``relu'(0) = 0``, ``leaky_relu'(0) = negative_slope``, ``prelu'(0) = init``,
  ``shifted_relu'(-shift) = 1``.
* NaN in gives NaN out; no finite input makes NumPy warn about overflow or an
  invalid value, and no finite input gives NaN or inf where the function is
  finite (branches that ``where`` discards are computed on clipped inputs). A
  result too large for its dtype (``selu(3e38)`` in float32) is inf, as in PyTorch.
"""

from __future__ import annotations

import functools
import math
import numbers
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from scipy import special as _sp
from torch import nn

__all__ = [
    "Activation",
    "ShiftedReLU",
    "ActivationLayer",
    "get",
    "names",
    "module_types",
    "is_activation_module",
    "shortcut_doc",
    "SELU_ALPHA",
    "SELU_SCALE",
]

#: SELU constants as PyTorch uses them (Klambauer et al. 2017); chapter 6 derives them.
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946

_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_INV_SQRT_2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


# --------------------------------------------------------------------------
# A tiny array namespace: the formulas below are written once against it.
# --------------------------------------------------------------------------
class _NumpyOps:
    exp = staticmethod(np.exp)
    expm1 = staticmethod(np.expm1)
    log1p = staticmethod(np.log1p)
    abs = staticmethod(np.abs)
    tanh = staticmethod(np.tanh)
    erf = staticmethod(_sp.erf)
    where = staticmethod(np.where)

    @staticmethod
    def clip(x, lo=None, hi=None):
        return np.clip(x, lo, hi)


class _TorchOps:
    exp = staticmethod(torch.exp)
    expm1 = staticmethod(torch.expm1)
    log1p = staticmethod(torch.log1p)
    abs = staticmethod(torch.abs)
    tanh = staticmethod(torch.tanh)
    erf = staticmethod(torch.special.erf)

    @staticmethod
    def where(cond, a, b):
        return torch.where(cond, a, b)

    @staticmethod
    def clip(x, lo=None, hi=None):
        return torch.clamp(x, lo, hi)


# --------------------------------------------------------------------------
# Reference formulas (forward and analytic derivative), one pair per function.
# ``o`` is the namespace, ``x`` a floating array of at least float32.
# --------------------------------------------------------------------------
def _sigmoid(o, x):
    # 1/(1+e^{-x}) for x >= 0 and e^{x}/(1+e^{x}) for x < 0, both via e^{-|x|}.
    z = o.exp(-o.abs(x))
    return o.where(x >= 0, 1.0 / (1.0 + z), z / (1.0 + z))


def _scaled(o, x, beta, threshold):
    """``beta * x`` clipped to [-800, threshold]: softplus is linear above the threshold
    and e^{-800} underflows to 0, so the clip changes no value and prevents overflow."""
    hi = threshold / beta
    return beta * o.clip(x, min(-800.0 / beta, hi), hi)


def _softplus(o, x, beta, threshold):
    bx = _scaled(o, x, beta, threshold)
    smooth = (o.log1p(o.exp(-o.abs(bx))) + o.clip(bx, 0.0, None)) / beta
    return o.where(x > threshold / beta, x, smooth)


def _phi(o, x):
    xc = o.clip(x, -40.0, 40.0)  # exp(-800) underflows to 0 anyway
    return _INV_SQRT_2PI * o.exp(-0.5 * xc * xc)


def _gelu_tanh_inner(o, x):
    xc = o.clip(x, -10.0, 10.0)  # tanh is exactly +-1 beyond |x| = 10
    return _SQRT_2_OVER_PI * (xc + 0.044715 * xc * xc * xc), _SQRT_2_OVER_PI * (
        1.0 + 3 * 0.044715 * xc * xc
    )


def _const(o, x, c):
    """The constant ``c`` in the shape and dtype of ``x``, NaN where ``x`` is NaN."""
    return o.where(x == x, c, x)


def _f_identity(o, x):
    return x * 1.0


def _g_identity(o, x):
    return _const(o, x, 1.0)


def _f_sigmoid(o, x):
    return _sigmoid(o, x)


def _g_sigmoid(o, x):
    s = _sigmoid(o, x)
    return s * (1.0 - s)


def _f_tanh(o, x):
    return o.tanh(x)


def _g_tanh(o, x):
    t = o.tanh(x)
    return 1.0 - t * t


def _f_softsign(o, x):
    return x / (1.0 + o.abs(x))


def _g_softsign(o, x):
    d = 1.0 + o.abs(x)
    return 1.0 / d / d


def _f_relu(o, x):
    return o.where(x > 0, x, _const(o, x, 0.0))


def _g_relu(o, x):
    return o.where(x > 0, 1.0, _const(o, x, 0.0))


def _f_leaky_relu(o, x, negative_slope):
    return o.where(x > 0, x, negative_slope * x)


def _g_leaky_relu(o, x, negative_slope):
    return o.where(x > 0, 1.0, _const(o, x, negative_slope))


def _f_prelu(o, x, init):
    return _f_leaky_relu(o, x, init)


def _g_prelu(o, x, init):
    return _g_leaky_relu(o, x, init)


def _f_elu(o, x, alpha):
    return o.where(x > 0, x, alpha * o.expm1(o.clip(x, None, 0.0)))


def _g_elu(o, x, alpha):
    return o.where(x > 0, 1.0, alpha * o.exp(o.clip(x, None, 0.0)))


def _f_selu(o, x):
    return SELU_SCALE * _f_elu(o, x, SELU_ALPHA)


def _g_selu(o, x):
    return SELU_SCALE * _g_elu(o, x, SELU_ALPHA)


def _f_gelu(o, x, approximate):
    if approximate == "tanh":
        u, _ = _gelu_tanh_inner(o, x)
        return 0.5 * x * (1.0 + o.tanh(u))
    return 0.5 * x * (1.0 + o.erf(x * _INV_SQRT_2))


def _g_gelu(o, x, approximate):
    if approximate == "tanh":
        u, du = _gelu_tanh_inner(o, x)
        t = o.tanh(u)
        return 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * du
    return 0.5 * (1.0 + o.erf(x * _INV_SQRT_2)) + x * _phi(o, x)


def _f_silu(o, x):
    return x * _sigmoid(o, x)


def _g_silu(o, x):
    s = _sigmoid(o, x)
    return s * (1.0 + x * (1.0 - s))


def _f_softplus(o, x, beta, threshold):
    return _softplus(o, x, beta, threshold)


def _g_softplus(o, x, beta, threshold):
    return o.where(x > threshold / beta, 1.0, _sigmoid(o, _scaled(o, x, beta, threshold)))


def _f_mish(o, x):
    return x * o.tanh(_softplus(o, x, 1.0, 20.0))


def _g_mish(o, x):
    t = o.tanh(_softplus(o, x, 1.0, 20.0))
    return t + x * _sigmoid(o, x) * (1.0 - t * t)


def _f_shifted_relu(o, x, shift):
    return o.where(x >= -shift, x, _const(o, x, -shift))


def _g_shifted_relu(o, x, shift):
    return o.where(x >= -shift, 1.0, _const(o, x, 0.0))


def _f_relu6(o, x):
    return o.where(x > 0, o.where(x < 6.0, x, _const(o, x, 6.0)), _const(o, x, 0.0))


def _g_relu6(o, x):
    return o.where((x > 0) & (x < 6.0), 1.0, _const(o, x, 0.0))


def _f_hardswish(o, x):
    # x * relu6(x + 3) / 6, written piecewise so that autograd through it gives
    # PyTorch's values at the kinks (0 at x = -3, 1 at x = 3).
    return o.where(x <= -3.0, _const(o, x, 0.0), o.where(x < 3.0, x * (x + 3.0) / 6.0, x))


def _g_hardswish(o, x):
    inner = o.where(x < 3.0, (2.0 * x + 3.0) / 6.0, _const(o, x, 1.0))
    return o.where(x <= -3.0, _const(o, x, 0.0), inner)


# --------------------------------------------------------------------------
# Modules that PyTorch does not have.
# --------------------------------------------------------------------------
class ShiftedReLU(nn.Module):
    r"""Shifted ReLU, :math:`\max(x, -s)` (Clevert et al. 2015 call the case s = 1 SReLU).

    Shape: any; element-wise. The derivative at the kink ``x = -s`` is 1, as
    autograd gives for ``torch.clamp_min``.

    Example::

        >>> ShiftedReLU(1.0)(torch.tensor([-3.0, 0.5]))
        tensor([-1.0000,  0.5000])
    """

    def __init__(self, shift: float = 1.0) -> None:
        super().__init__()
        self.shift = float(shift)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.clamp_min(x, -self.shift)

    def extra_repr(self) -> str:
        return f"shift={self.shift}"


# --------------------------------------------------------------------------
# The Activation object and the registry.
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class _Spec:
    """Everything the course knows about one activation; one home per fact.

    ``out_kernel(x, out, **params)`` and ``inplace_kernel(x, **params)`` are PyTorch's
    kernels that write into a given tensor or over their input (``None`` where PyTorch
    has none). The descriptive fields (``display_name`` to ``used_in``) feed the book's
    "Choosing an activation" table and hold at the default parameters; the tests check
    ``output_range``, ``zero_centred`` and ``smooth`` numerically against the function.
    """

    name: str
    formula: str
    forward: Callable
    derivative: Callable
    torch_forward: Callable  # (x, **params) -> tensor, the fused built-in
    module: Callable  # (**params) -> nn.Module
    module_type: type
    display_name: str
    color: str
    derivative_formula: str
    output_range: tuple[float, float]
    zero_centred: bool
    smooth: bool
    init: str
    used_in: str
    defaults: Mapping[str, Any] = field(default_factory=dict)
    kink: str = "none: smooth everywhere"
    kinks: Callable[..., tuple[float, ...]] = lambda **params: ()
    out_kernel: Callable | None = None
    inplace_kernel: Callable | None = None


def _real(name: str, value: Any) -> float:
    """A real number, not a string, bool, ``None`` or tensor (no silent coercion)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"parameter {name!r} must be a real number, got {type(value).__name__} {value!r}"
        )
    return float(value)


def _positive(name: str, value: Any) -> float:
    value = _real(name, value)
    if not value > 0 or math.isinf(value):
        raise ValueError(f"parameter {name!r} must be finite and > 0, got {value!r}")
    return value


def _nonnegative(name: str, value: Any) -> float:
    value = _real(name, value)
    if not value >= 0 or math.isinf(value):
        raise ValueError(f"parameter {name!r} must be finite and >= 0, got {value!r}")
    return value


def _finite(name: str, value: Any) -> float:
    value = _real(name, value)
    if not math.isfinite(value):
        raise ValueError(f"parameter {name!r} must be finite, got {value!r}")
    return value


def _approximate(name: str, value: Any) -> str:
    if not isinstance(value, str) or value not in ("none", "tanh"):
        raise ValueError(f"parameter {name!r} must be 'none' or 'tanh', got {value!r}")
    return value


_VALIDATORS: dict[str, Callable[[str, Any], Any]] = {
    # PyTorch accepts any slope, negative ones included (F.leaky_relu, nn.PReLU).
    "negative_slope": _finite,
    "init": _finite,
    "alpha": _nonnegative,
    "beta": _positive,
    "threshold": _finite,
    "approximate": _approximate,
    "shift": _nonnegative,
}


def _prelu_torch(x, init):
    return F.prelu(x, torch.tensor([init], dtype=x.dtype, device=x.device))


_SPECS: dict[str, _Spec] = {}


def _register(spec: _Spec) -> None:
    _SPECS[spec.name] = spec


_INF = math.inf
_HE, _LECUN, _XAVIER = "He", "LeCun", "Xavier (Glorot)"

# PyTorch kernels with ``out=`` or in place. ``torch.relu`` takes no ``out=``; PyTorch
# computes it as ``clamp_min(x, 0)``, whose ``out=`` form is the same kernel. Out-of-place
# calls use ``torch_forward``; the kernels serve ``act(x, out=...)``,
# ``act(x, inplace=True)`` and the benchmark (:mod:`relu_course.bench`).
_register(
    _Spec(
        "identity",
        r"g(x) = x",
        _f_identity,
        _g_identity,
        lambda x: x,
        lambda: nn.Identity(),
        nn.Identity,
        display_name="Identity",
        color="#999999",
        derivative_formula=r"g'(x) = 1",
        output_range=(-_INF, _INF),
        zero_centred=True,
        smooth=True,
        init=_XAVIER,
        used_in="output layers of regressions; the linear baseline",
        out_kernel=lambda x, out: out.copy_(x),
        inplace_kernel=lambda x: x,
    )
)
_register(
    _Spec(
        "sigmoid",
        r"\sigma(x) = \frac{1}{1 + e^{-x}}",
        _f_sigmoid,
        _g_sigmoid,
        torch.sigmoid,
        lambda: nn.Sigmoid(),
        nn.Sigmoid,
        display_name="Sigmoid",
        color="#E69F00",
        derivative_formula=r"\sigma'(x) = \sigma(x)\,(1 - \sigma(x))",
        output_range=(0.0, 1.0),
        zero_centred=False,
        smooth=True,
        init=_XAVIER,
        used_in="gates and output probabilities",
        out_kernel=lambda x, out: torch.sigmoid(x, out=out),
        inplace_kernel=torch.sigmoid_,
    )
)
_register(
    _Spec(
        "tanh",
        r"\tanh(x) = \frac{e^{x} - e^{-x}}{e^{x} + e^{-x}}",
        _f_tanh,
        _g_tanh,
        torch.tanh,
        lambda: nn.Tanh(),
        nn.Tanh,
        display_name="Tanh",
        color="#009E73",
        derivative_formula=r"\tanh'(x) = 1 - \tanh^2(x)",
        output_range=(-1.0, 1.0),
        zero_centred=True,
        smooth=True,
        init=_XAVIER,
        used_in="RNN/LSTM cell states",
        out_kernel=lambda x, out: torch.tanh(x, out=out),
        inplace_kernel=torch.tanh_,
    )
)
_register(
    _Spec(
        "softsign",
        r"g(x) = \frac{x}{1 + |x|}",
        _f_softsign,
        _g_softsign,
        F.softsign,
        lambda: nn.Softsign(),
        nn.Softsign,
        display_name="Softsign",
        color="#DDCC77",
        derivative_formula=r"g'(x) = \frac{1}{(1 + |x|)^2}",
        output_range=(-1.0, 1.0),
        zero_centred=True,
        smooth=True,
        init=_XAVIER,
        used_in="rarely: a tanh with polynomial tails (Glorot & Bengio 2010)",
    )
)
_register(
    _Spec(
        "relu",
        r"\mathrm{ReLU}(x) = \max(0, x)",
        _f_relu,
        _g_relu,
        torch.relu,
        lambda: nn.ReLU(),
        nn.ReLU,
        display_name="ReLU",
        color="#0072B2",
        derivative_formula=r"\mathrm{ReLU}'(x) = \begin{cases} 1 & x > 0 \\ 0 & x \le 0"
        r" \end{cases}",
        output_range=(0.0, _INF),
        zero_centred=False,
        smooth=False,
        init=_HE,
        used_in="most CNNs and MLPs",
        kink="x = 0: derivative 0 (PyTorch's convention)",
        kinks=lambda: (0.0,),
        out_kernel=lambda x, out: torch.clamp_min(x, 0.0, out=out),
        inplace_kernel=torch.relu_,
    )
)
_register(
    _Spec(
        "leaky_relu",
        r"g(x) = \max(0, x) + a \min(0, x)",
        _f_leaky_relu,
        _g_leaky_relu,
        lambda x, negative_slope: F.leaky_relu(x, negative_slope),
        lambda negative_slope: nn.LeakyReLU(negative_slope),
        nn.LeakyReLU,
        display_name="Leaky ReLU",
        color="#D55E00",
        derivative_formula=r"g'(x) = \begin{cases} 1 & x > 0 \\ a & x \le 0 \end{cases}",
        output_range=(-_INF, _INF),
        zero_centred=True,
        smooth=False,
        init=_HE,
        used_in="GAN discriminators (DCGAN), YOLOv3",
        defaults={"negative_slope": 0.01},
        kink="x = 0: derivative negative_slope (PyTorch's convention)",
        kinks=lambda negative_slope: (0.0,),
        out_kernel=lambda x, out, negative_slope: torch.ops.aten.leaky_relu.out(
            x, negative_slope, out=out
        ),
        inplace_kernel=lambda x, negative_slope: F.leaky_relu_(x, negative_slope),
    )
)
_register(
    _Spec(
        "prelu",
        r"g(x) = \max(0, x) + a \min(0, x),\ a \text{ learned}",
        _f_prelu,
        _g_prelu,
        _prelu_torch,
        lambda init: nn.PReLU(init=init),
        nn.PReLU,
        display_name="PReLU",
        color="#AA4499",
        derivative_formula=r"g'(x) = \begin{cases} 1 & x > 0 \\ a & x \le 0 \end{cases}",
        output_range=(-_INF, _INF),
        zero_centred=True,
        smooth=False,
        init=_HE,
        used_in="ImageNet CNNs of He et al. (2015)",
        defaults={"init": 0.25},
        kink="x = 0: derivative init (PyTorch's convention)",
        kinks=lambda init: (0.0,),
    )
)
_register(
    _Spec(
        "elu",
        r"g(x) = x \text{ if } x > 0 \text{ else } \alpha (e^{x} - 1)",
        _f_elu,
        _g_elu,
        lambda x, alpha: F.elu(x, alpha),
        lambda alpha: nn.ELU(alpha),
        nn.ELU,
        display_name="ELU",
        color="#CC79A7",
        derivative_formula=r"g'(x) = 1 \text{ if } x > 0 \text{ else } \alpha e^{x}",
        output_range=(-1.0, _INF),
        zero_centred=True,
        smooth=True,  # with the default alpha = 1 the derivative is continuous at 0
        init=_HE,
        used_in="deep CNNs without batch norm (Clevert et al. 2015)",
        defaults={"alpha": 1.0},
        kink="x = 0 (if alpha != 1): derivative alpha (PyTorch's convention)",
        kinks=lambda alpha: (0.0,),
        out_kernel=lambda x, out, alpha: torch.ops.aten.elu.out(x, alpha, out=out),
        inplace_kernel=lambda x, alpha: F.elu_(x, alpha),
    )
)
_register(
    _Spec(
        "selu",
        r"g(x) = \lambda \left(x \text{ if } x > 0 \text{ else } \alpha (e^{x} - 1)\right),"
        r"\ \lambda \approx 1.0507,\ \alpha \approx 1.6733",
        _f_selu,
        _g_selu,
        F.selu,
        lambda: nn.SELU(),
        nn.SELU,
        display_name="SELU",
        color="#882255",
        derivative_formula=r"g'(x) = \lambda \text{ if } x > 0 \text{ else } \lambda \alpha e^{x}",
        output_range=(-SELU_SCALE * SELU_ALPHA, _INF),
        zero_centred=True,
        smooth=False,
        init=_LECUN,
        used_in="self-normalising MLPs (LeCun init, no batch norm)",
        kink="x = 0: derivative lambda * alpha (PyTorch's convention)",
        kinks=lambda: (0.0,),
        out_kernel=lambda x, out: torch.ops.aten.elu.out(x, SELU_ALPHA, SELU_SCALE, out=out),
        inplace_kernel=torch.selu_,
    )
)
_register(
    _Spec(
        "gelu",
        r"\mathrm{GELU}(x) = x\,\Phi(x)",
        _f_gelu,
        _g_gelu,
        lambda x, approximate: F.gelu(x, approximate=approximate),
        lambda approximate: nn.GELU(approximate=approximate),
        nn.GELU,
        display_name="GELU",
        color="#56B4E9",
        derivative_formula=r"\mathrm{GELU}'(x) = \Phi(x) + x\,\varphi(x)",
        output_range=(-0.16997120748, _INF),  # minimum at x = -0.75179
        zero_centred=True,
        smooth=True,
        init=_HE,
        used_in="transformers (BERT, GPT)",
        defaults={"approximate": "none"},
        out_kernel=lambda x, out, approximate: torch.ops.aten.gelu.out(
            x, approximate=approximate, out=out
        ),
    )
)
_register(
    _Spec(
        "silu",
        r"\mathrm{SiLU}(x) = x\,\sigma(x)",
        _f_silu,
        _g_silu,
        F.silu,
        lambda: nn.SiLU(),
        nn.SiLU,
        display_name="SiLU (swish)",
        color="#000000",
        derivative_formula=r"\mathrm{SiLU}'(x) = \sigma(x)\,\bigl(1 + x (1 - \sigma(x))\bigr)",
        output_range=(-0.27846454276, _INF),  # minimum at x = -1.27846
        zero_centred=True,
        smooth=True,
        init=_HE,
        used_in="EfficientNet, YOLO, LLaMA's SwiGLU",
        out_kernel=lambda x, out: torch.ops.aten.silu.out(x, out=out),
        inplace_kernel=lambda x: F.silu(x, inplace=True),
    )
)
_register(
    _Spec(
        "softplus",
        r"g(x) = \frac{1}{\beta} \ln\left(1 + e^{\beta x}\right)",
        _f_softplus,
        _g_softplus,
        lambda x, beta, threshold: F.softplus(x, beta, threshold),
        lambda beta, threshold: nn.Softplus(beta, threshold),
        nn.Softplus,
        display_name="Softplus",
        color="#F0E442",
        derivative_formula=r"g'(x) = \sigma(\beta x)",
        output_range=(0.0, _INF),
        zero_centred=False,
        smooth=True,
        init=_HE,
        used_in="positive outputs (scales, rates); a smooth ReLU",
        defaults={"beta": 1.0, "threshold": 20.0},
        out_kernel=lambda x, out, beta, threshold: torch.ops.aten.softplus.out(
            x, beta, threshold, out=out
        ),
    )
)
_register(
    _Spec(
        "mish",
        r"\mathrm{Mish}(x) = x \tanh\left(\ln(1 + e^{x})\right)",
        _f_mish,
        _g_mish,
        F.mish,
        lambda: nn.Mish(),
        nn.Mish,
        display_name="Mish",
        color="#44AA99",
        derivative_formula=r"\mathrm{Mish}'(x) = \tanh(\zeta(x)) + x\,\sigma(x)"
        r"\,(1 - \tanh^2(\zeta(x))),\ \zeta(x) = \ln(1 + e^{x})",
        output_range=(-0.30884341302, _INF),  # minimum at x = -1.19243
        zero_centred=True,
        smooth=True,
        init=_HE,
        used_in="YOLOv4",
        out_kernel=lambda x, out: torch.ops.aten.mish.out(x, out=out),
        inplace_kernel=lambda x: F.mish(x, inplace=True),
    )
)
_register(
    _Spec(
        "shifted_relu",
        r"g(x) = \max(x, -s)",
        _f_shifted_relu,
        _g_shifted_relu,
        lambda x, shift: torch.clamp_min(x, -shift),
        lambda shift: ShiftedReLU(shift),
        ShiftedReLU,
        display_name="Shifted ReLU",
        color="#117733",
        derivative_formula=r"g'(x) = \begin{cases} 1 & x \ge -s \\ 0 & x < -s \end{cases}",
        output_range=(-1.0, _INF),
        zero_centred=True,
        smooth=False,
        init=_HE,
        used_in="a ReLU with its mean moved toward 0 (SReLU, Clevert et al. 2015)",
        defaults={"shift": 1.0},
        kink="x = -shift: derivative 1 (autograd's convention for clamp)",
        kinks=lambda shift: (-shift,),
        out_kernel=lambda x, out, shift: torch.clamp_min(x, -shift, out=out),
        inplace_kernel=lambda x, shift: x.clamp_min_(-shift),
    )
)
_register(
    _Spec(
        "relu6",
        r"\mathrm{ReLU6}(x) = \min(\max(0, x), 6)",
        _f_relu6,
        _g_relu6,
        F.relu6,
        lambda: nn.ReLU6(),
        nn.ReLU6,
        display_name="ReLU6",
        color="#332288",
        derivative_formula=r"g'(x) = \begin{cases} 1 & 0 < x < 6 \\ 0 & \text{otherwise}"
        r" \end{cases}",
        output_range=(0.0, 6.0),
        zero_centred=False,
        smooth=False,
        init=_HE,
        used_in="MobileNetV2 (bounded for low-precision inference)",
        kink="x = 0 and x = 6: derivative 0 (PyTorch's convention)",
        kinks=lambda: (0.0, 6.0),
    )
)
_register(
    _Spec(
        "hardswish",
        r"\mathrm{hardswish}(x) = x\,\frac{\mathrm{ReLU6}(x + 3)}{6}",
        _f_hardswish,
        _g_hardswish,
        F.hardswish,
        lambda: nn.Hardswish(),
        nn.Hardswish,
        display_name="Hard-swish",
        color="#CC6677",
        derivative_formula=r"g'(x) = \begin{cases} 0 & x \le -3 \\ (2x + 3)/6 & -3 < x < 3"
        r" \\ 1 & x \ge 3 \end{cases}",
        output_range=(-0.375, _INF),  # minimum at x = -1.5
        zero_centred=True,
        smooth=False,
        init=_HE,
        used_in="MobileNetV3",
        kink="x = -3: derivative 0, x = 3: derivative 1 (PyTorch's convention since 2.7; "
        "earlier releases give -0.5 and 1.5)",
        kinks=lambda: (-3.0, 3.0),
    )
)

_ALIASES = {"swish": "silu"}


def names() -> list[str]:
    """The registered activation names (aliases such as ``swish`` included)."""
    return sorted([*_SPECS, *_ALIASES])


def module_types() -> tuple[type, ...]:
    """The ``nn.Module`` classes that the registry's activations produce."""
    return tuple({spec.module_type for spec in _SPECS.values()})


class ActivationLayer(nn.Module):
    """Base class of the layers with weights that stand in for an activation
    (:class:`~relu_course.layers.Maxout`, :class:`~relu_course.layers.GLU`): not
    element-wise, so not in the registry, but activation layers for
    :func:`is_activation_module`. A reader's own such layer may subclass it."""


def is_activation_module(module: nn.Module) -> bool:
    """True for an activation layer: a module the registry builds (``nn.ReLU``, ...,
    :class:`ShiftedReLU`), or an :class:`ActivationLayer`, a layer with weights that
    stands in for an activation (Maxout, GLU and SwiGLU, all treated alike: probes and
    the activity penalty watch their outputs, not the gate module inside a GLU)."""
    return isinstance(module, (*module_types(), ActivationLayer))


def _floating(x: np.ndarray) -> tuple[np.ndarray, np.dtype]:
    """Return ``x`` as an array of at least float32 and the dtype to give back."""
    out_dtype = x.dtype if np.issubdtype(x.dtype, np.floating) else np.dtype(np.float64)
    work = np.promote_types(out_dtype, np.float32)
    return x.astype(work, copy=False), out_dtype


_LOW_PRECISION = (torch.float16, torch.bfloat16)


class Activation:
    r"""An element-wise activation function with its derivative and module.

    Obtain one with :func:`get`. Attributes: ``name``, ``params`` (dict),
    ``formula`` (LaTeX), ``kink`` (where it is not differentiable and the value
    used there), ``kinks`` (those points, for these parameters), ``kernels``.
    Read-only facts for the "Choosing an activation" table, at the default
    parameters: ``display_name``, ``color`` (hex, the same in every figure),
    ``derivative_formula`` (LaTeX), ``output_range`` (a pair of floats),
    ``zero_centred`` (:math:`g(0) = 0` and outputs of both signs), ``smooth``
    (continuously differentiable everywhere), ``init`` (``"He"``, ``"LeCun"``,
    ``"Xavier (Glorot)"`` or ``"-"``) and ``used_in`` (where it is used).

    ``act(x)`` evaluates the function and ``act.grad(x)`` its analytic derivative
    on a NumPy array, a torch tensor, a Python number or a list, returning the
    same kind. On tensors the forward pass is PyTorch's fused built-in.
    """

    def __init__(self, spec: _Spec, params: Mapping[str, Any]) -> None:
        self._spec = spec
        self.name = spec.name
        self.params = dict(params)
        self.formula = spec.formula
        self.kink = spec.kink
        #: Which of ``"out"`` and ``"inplace"`` PyTorch has a dedicated kernel for.
        self.kernels = frozenset(
            kind
            for kind, k in (("out", spec.out_kernel), ("inplace", spec.inplace_kernel))
            if k is not None
        )
        # The kernels with this activation's parameters bound, looked up once.
        out_k, in_k = spec.out_kernel, spec.inplace_kernel
        self._out_kernel = (
            functools.partial(out_k, **self.params) if out_k and self.params else out_k
        )
        self._inplace_kernel = (
            functools.partial(in_k, **self.params) if in_k and self.params else in_k
        )
        fwd = spec.torch_forward
        self._torch_forward = functools.partial(fwd, **self.params) if self.params else fwd

    display_name = property(lambda self: self._spec.display_name)
    color = property(lambda self: self._spec.color)
    derivative_formula = property(lambda self: self._spec.derivative_formula)
    output_range = property(lambda self: self._spec.output_range)
    zero_centred = property(lambda self: self._spec.zero_centred)
    smooth = property(lambda self: self._spec.smooth)
    init = property(lambda self: self._spec.init)
    used_in = property(lambda self: self._spec.used_in)

    @property
    def kinks(self) -> tuple[float, ...]:
        """The points where the function is not differentiable (for its parameters;
        empty for a smooth function), e.g. ``(0.0,)`` for ReLU."""
        return tuple(float(k) for k in self._spec.kinks(**self.params))

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"Activation({self.name!r}{', ' if args else ''}{args})"

    # -- evaluation -------------------------------------------------------
    def _apply(self, x: Any, reference: Callable, torch_fn: Callable | None):
        if isinstance(x, torch.Tensor):
            if torch_fn is not None:
                return torch_fn(x, **self.params)
            if x.dtype in _LOW_PRECISION:
                return reference(_TorchOps, x.float(), **self.params).to(x.dtype)
            if not x.is_floating_point():
                x = x.to(torch.get_default_dtype())
            return reference(_TorchOps, x, **self.params)
        if isinstance(x, (bool, np.bool_)) or isinstance(x, str):
            raise TypeError(
                f"{self.name}: expected a number, list, array or tensor, got {type(x).__name__}"
            )
        if isinstance(x, (int, float)):
            return float(self._apply(np.asarray(x, dtype=np.float64), reference, None))
        if isinstance(x, (list, tuple)):
            return self._apply(np.asarray(x, dtype=np.float64), reference, None).tolist()
        if isinstance(x, np.generic):
            return self._apply(np.asarray(x), reference, None)[()]
        if isinstance(x, np.ndarray):
            work, out_dtype = _floating(x)
            # A result beyond the dtype's range (selu(3e38) in float32) becomes inf, as in
            # PyTorch, without a warning; invalid operations (NaN from inf - inf) still warn.
            with np.errstate(over="ignore"):
                return np.asarray(reference(_NumpyOps, work, **self.params), dtype=out_dtype)
        raise TypeError(
            f"{self.name}: expected a number, list, NumPy array or torch tensor, "
            f"got {type(x).__name__}"
        )

    def __call__(self, x: Any, *, out: torch.Tensor | None = None, inplace: bool = False) -> Any:
        """Evaluate the activation; see the class docstring for accepted inputs.

        For tensors only: ``out=y`` writes the result into ``y`` (same shape, dtype
        and device as ``x``) and returns it; ``inplace=True`` overwrites ``x`` and
        returns it. Both skip allocating a result. They use PyTorch's dedicated
        kernel where it has one (listed in ``act.kernels``), otherwise they compute
        out of place and copy, which costs one extra pass over memory. Like PyTorch's
        own ``out=`` and in-place forms they are not for tensors that need gradients.

        Example::

            >>> x = torch.tensor([-1.0, 2.0]); y = torch.empty(2)
            >>> get("relu")(x, out=y)
            tensor([0., 2.])
        """
        if out is None and not inplace:
            if type(x) is torch.Tensor:  # fast path: straight to PyTorch's fused built-in
                return self._torch_forward(x)
            return self._apply(x, self._spec.forward, self._spec.torch_forward)
        if (
            inplace
            and out is None
            and type(x) is torch.Tensor
            and self._inplace_kernel is not None
        ):
            return self._inplace_kernel(x)
        if not isinstance(x, torch.Tensor):
            raise ValueError(
                f"{self.name}: out= and inplace= need a torch tensor, got {type(x).__name__}"
            )
        if out is not None:
            if inplace:
                raise ValueError(f"{self.name}: give either out= or inplace=True, not both")
            # Checked here because PyTorch would silently resize or cast into a mismatched
            # ``out``; the device is checked only on failure, to keep the call cheap.
            if not isinstance(out, torch.Tensor) or out.shape != x.shape or out.dtype != x.dtype:
                got = (
                    f"{tuple(out.shape)} {out.dtype}"
                    if isinstance(out, torch.Tensor)
                    else type(out).__name__
                )
                raise ValueError(
                    f"{self.name}: out must be a tensor of x's shape and dtype "
                    f"{tuple(x.shape)} {x.dtype}, got {got}"
                )
            try:
                if self._out_kernel is not None:
                    return self._out_kernel(x, out)
                return out.copy_(self._spec.torch_forward(x, **self.params))
            except RuntimeError as err:
                if out.device != x.device:
                    raise ValueError(
                        f"{self.name}: out is on {out.device} but x on {x.device}"
                    ) from err
                raise
        if self._inplace_kernel is not None:
            return self._inplace_kernel(x)
        return x.copy_(self._spec.torch_forward(x, **self.params))

    def grad(self, x: Any) -> Any:
        """The analytic derivative :math:`g'(x)`, same input kinds as ``act(x)``.

        At a kink it returns the value PyTorch's autograd uses (see ``kink``).
        """
        return self._apply(x, self._spec.derivative, None)

    def reference(self, x: Any) -> Any:
        """The from-formula forward pass (no fused kernel), for comparison and teaching."""
        return self._apply(x, self._spec.forward, None)

    def module(self) -> nn.Module:
        """A fresh ``torch.nn.Module`` computing this activation (e.g. ``nn.ReLU()``)."""
        return self._spec.module(**self.params)


def _canonical(name: str) -> str:
    if not isinstance(name, str):
        raise TypeError(f"activation name must be a string, got {type(name).__name__}")
    key = name.strip().lower().replace("-", "_")
    key = _ALIASES.get(key, key)
    if key not in _SPECS:
        raise ValueError(f"unknown activation {name!r}; valid names: {', '.join(names())}")
    return key


def get(name: str, **params: Any) -> Activation:
    """Look up an activation by name, with optional parameters.

    Parameters follow PyTorch's names: ``negative_slope`` (leaky_relu),
    ``init`` (prelu, the initial slope), ``alpha`` (elu), ``beta`` and
    ``threshold`` (softplus), ``approximate`` (gelu: ``"none"`` or ``"tanh"``),
    ``shift`` (shifted_relu: ``max(x, -shift)``).

    Raises ``ValueError`` for an unknown name (listing the valid ones), an
    unknown parameter, or an invalid value (a negative ``alpha``, a
    non-positive ``beta``, ...), and ``TypeError`` for a numeric parameter that
    is not a real number (``"0.1"``, ``None``, ``True``: nothing is coerced);
    each message names the parameter. Slopes may be negative, as in PyTorch.

    Example::

        >>> get("softplus", beta=2.0)(0.0)  # ln(2) / 2
        0.34657359027997264
    """
    spec = _SPECS[_canonical(name)]
    unknown = set(params) - set(spec.defaults)
    if unknown:
        allowed = ", ".join(spec.defaults) or "none"
        raise ValueError(
            f"{spec.name} got unknown parameter(s) {', '.join(sorted(unknown))}; "
            f"allowed: {allowed}"
        )
    merged = {**spec.defaults, **params}
    checked = {k: _VALIDATORS[k](k, v) for k, v in merged.items()}
    return Activation(spec, checked)


def shortcut_doc(name: str) -> str:
    r"""The docstring of the top-level shortcut ``relu_course.<name>``, generated from the
    registry: the formula, the convention at the kink, the parameters with their
    defaults, the accepted inputs and a worked example whose output is computed here.

    Example::

        >>> print(shortcut_doc("relu").splitlines()[0])
        Apply ReLU element-wise: :math:`\mathrm{ReLU}(x) = \max(0, x)`.
    """
    spec = _SPECS[_canonical(name)]
    alias = name.strip().lower().replace("-", "_")
    act = get(spec.name)
    lines = [f"Apply {spec.display_name} element-wise: :math:`{spec.formula}`.", ""]
    if alias != spec.name:
        lines += [f"``{alias}`` is another name for ``{spec.name}``.", ""]
    lines += [f"Kink: {spec.kink}.", ""]
    if spec.defaults:
        lines.append("Args:")
        lines.append("    x: a NumPy array, torch tensor, Python float or list (any shape).")
        for key, value in spec.defaults.items():
            lines.append(f"    {key}: {_PARAM_DOCS[key]} (default ``{value!r}``).")
    else:
        lines.append("Args:")
        lines.append("    x: a NumPy array, torch tensor, Python float or list (any shape).")
        lines.append("    (no parameters)")
    lines += [
        "",
        "Shape: any; the result has the shape and kind of ``x`` (a tensor keeps its",
        "device and dtype and stays differentiable). On tensors this is PyTorch's",
        f"built-in; the derivative is ``relu_course.get({spec.name!r}, **params).grad(x)``.",
        "",
        f"Shorthand for ``relu_course.get({spec.name!r}, **params)(x)``.",
        "",
        "Example::",
        "",
        "    >>> import relu_course",
        f"    >>> relu_course.{alias}([-1.0, 0.0, 2.0])",
        f"    {act([-1.0, 0.0, 2.0])!r}",
    ]
    return "\n".join(lines)


_PARAM_DOCS = {
    "negative_slope": "the slope :math:`a` for :math:`x < 0` (any finite value)",
    "init": "the slope :math:`a` for :math:`x < 0` (PReLU's initial value, any finite value)",
    "alpha": r"the scale :math:`\alpha` of the negative part, >= 0",
    "beta": r"the sharpness :math:`\beta` > 0",
    "threshold": r"above :math:`\beta x >` threshold the function is taken as linear",
    "approximate": "``'none'`` (exact, with erf) or ``'tanh'`` (the tanh approximation)",
    "shift": "the floor :math:`s`: the output is at least :math:`-s`, >= 0",
}
