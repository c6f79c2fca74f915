"""Network builders with the activation, initialisation and bias as arguments."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from relu_course import activations as _acts
from relu_course.device import derive_seed
from relu_course.init import initialize
from relu_course.layers import Maxout  # re-exported: nets.Maxout is public

__all__ = [
    "Hidden",
    "hidden_widths",
    "make_activation",
    "mlp",
    "cnn",
    "Maxout",
    "autoencoder",
    "relu_interpolant",
]

#: The ``hidden`` argument of every builder: one width (an int) or a sequence of widths.
Hidden = int | Sequence[int]


def hidden_widths(hidden: Hidden, allow_empty: bool = True) -> list[int]:
    """The list of hidden widths that a builder's ``hidden`` argument means.

    Every builder (:func:`mlp`, :func:`cnn`, :func:`autoencoder`, :func:`rnn`,
    :func:`lstm`) takes ``hidden`` the same way: an int is one hidden layer of that
    width, a sequence is one layer per entry (``[]``: none, where the builder allows it).
    Raises ``ValueError`` for a width below 1, ``TypeError`` for anything else.

    Example::

        >>> hidden_widths(64), hidden_widths([32, 16]), hidden_widths(())
        ([64], [32, 16], [])
    """
    if isinstance(hidden, bool) or isinstance(hidden, (str, bytes)):
        raise TypeError(f"hidden must be an int or a sequence of ints, got {hidden!r}")
    if isinstance(hidden, (int, np.integer)):
        widths = [int(hidden)]
    else:
        try:
            widths = [int(w) for w in hidden]
        except TypeError:
            msg = f"hidden must be an int or a sequence of ints, got {hidden!r}"
            raise TypeError(msg) from None
    if any(w < 1 for w in widths):
        raise ValueError(f"hidden widths must be positive, got {widths}")
    if not widths and not allow_empty:
        raise ValueError("hidden must give at least one width")
    return widths


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
            raise TypeError(
                f"activation factory returned {type(module).__name__}, not an nn.Module"
            )
        return module
    raise TypeError(f"cannot make an activation from {activation!r}")


def mlp(
    in_features: int,
    hidden: Hidden,
    out_features: int,
    activation="relu",
    init: str = "he_normal",
    bias: float | None = 0.0,
    **activation_params,
) -> nn.Sequential:
    """A multilayer perceptron: ``Linear -> activation`` for each hidden width,
    then a linear output.

    ``hidden``: widths of the hidden layers, or one int for a single hidden layer
    (``[]`` gives logistic regression; see :func:`hidden_widths`).
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
    widths = [in_features, *hidden_widths(hidden)]
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
    hidden: Hidden = 64,
    **activation_params,
) -> nn.Sequential:
    """A small CNN for 8x8 digits: ``[Conv3x3 -> act -> MaxPool2]`` per entry of ``channels``,
    then ``Linear -> act`` per width in ``hidden`` (an int or a sequence, as in
    :func:`mlp`) and a linear output.

    Shape: (N, in_channels, image_size, image_size) -> (N, n_classes).

    Example::

        >>> cnn(channels=(4,), hidden=[16, 8])(torch.zeros(2, 1, 8, 8)).shape
        torch.Size([2, 10])
    """
    layers: list[nn.Module] = []
    size, c_in = image_size, in_channels
    for c_out in channels:
        layers += [
            nn.Conv2d(c_in, c_out, 3, padding=1),
            make_activation(activation, **activation_params),
            nn.MaxPool2d(2),
        ]
        size, c_in = size // 2, c_out
        if size < 1:
            raise ValueError(f"too many pooling stages for image_size={image_size}")
    layers.append(nn.Flatten())
    width = c_in * size * size
    for w in hidden_widths(hidden):
        layers += [nn.Linear(width, w), make_activation(activation, **activation_params)]
        width = w
    layers.append(nn.Linear(width, n_classes))
    return initialize(nn.Sequential(*layers), init, bias)


def autoencoder(
    in_features: int,
    code: int,
    hidden: Hidden = (),
    activation="relu",
    init: str = "he_normal",
    bias: float | None = 0.0,
    **activation_params,
) -> nn.Sequential:
    """A fully connected autoencoder with named halves ``encoder`` and ``decoder``.

    Encoder: ``Linear -> activation`` for each width in ``hidden`` and then for the
    ``code`` layer, so the code is the activation's output (a ReLU code can hold
    exact zeros). Decoder: the mirror image, ``Linear -> activation`` for each
    width in ``reversed(hidden)``, then a linear output of ``in_features``.
    Shapes: (N, in_features) -> ``model.encoder`` -> (N, code) -> ``model.decoder``
    -> (N, in_features). With ``hidden=()`` the code layer is the only activation
    layer, so :func:`relu_course.train.fit`'s ``l1_activity`` penalises the code alone.

    Train it as a regression of the input on itself: a ``Split`` whose targets are
    the inputs, with ``loss="mse"``.

    Example::

        >>> ae = autoencoder(64, 32)
        >>> ae.encoder(torch.zeros(5, 64)).shape, ae(torch.zeros(5, 64)).shape
        (torch.Size([5, 32]), torch.Size([5, 64]))
    """
    widths = [int(in_features), *hidden_widths(hidden), int(code)]
    if any(w < 1 for w in widths):
        raise ValueError(f"in_features, hidden and code must be positive, got {widths}")
    encoder: list[nn.Module] = []
    for n_in, n_out in zip(widths[:-1], widths[1:]):
        encoder += [nn.Linear(n_in, n_out), make_activation(activation, **activation_params)]
    back = widths[::-1]
    decoder: list[nn.Module] = []
    for n_in, n_out in zip(back[:-2], back[1:-1]):
        decoder += [nn.Linear(n_in, n_out), make_activation(activation, **activation_params)]
    decoder.append(nn.Linear(back[-2], back[-1]))
    model = nn.Sequential(
        OrderedDict(encoder=nn.Sequential(*encoder), decoder=nn.Sequential(*decoder))
    )
    return initialize(model, init, bias)


def relu_interpolant(knots, values) -> nn.Sequential:
    r"""The piecewise-linear interpolant of ``(knots, values)`` as a one-hidden-layer ReLU network.

    With knots :math:`x_0 < \dots < x_{n-1}`, values :math:`v_k` and segment slopes
    :math:`s_k = (v_{k+1} - v_k) / (x_{k+1} - x_k)`, the network computes

    .. math::

        g(x) = v_0 + s_0\,\mathrm{ReLU}(x - x_0)
               + \sum_{k=1}^{n-2} (s_k - s_{k-1})\,\mathrm{ReLU}(x - x_k),

    which equals :math:`v_k` at every knot and is linear in between; it is constant
    (:math:`v_0`) left of :math:`x_0` and keeps the last slope right of :math:`x_{n-1}`.
    A constructive proof in code that one hidden ReLU layer of width ``n - 1`` can
    follow any continuous curve to within its interpolation error.
    Shapes: (N, 1) -> (N, 1); float32 on the CPU (move it with ``.to(device)``).

    Example::

        >>> net = relu_interpolant([0.0, 1.0, 2.0], [0.0, 1.0, 0.0])  # a hat
        >>> net(torch.tensor([[0.5], [1.0], [1.5]])).flatten().tolist()
        [0.5, 1.0, 0.5]
    """
    x = torch.as_tensor(knots, dtype=torch.float64).detach().cpu()
    v = torch.as_tensor(values, dtype=torch.float64).detach().cpu()
    if x.dim() != 1 or v.dim() != 1 or len(x) != len(v):
        raise ValueError(
            "knots and values must be 1-D of equal length, got shapes "
            f"{tuple(x.shape)}, {tuple(v.shape)}"
        )
    if len(x) < 2:
        raise ValueError(f"need at least 2 knots, got {len(x)}")
    if not (torch.isfinite(x).all() and torch.isfinite(v).all()):
        raise ValueError("knots and values must be finite")
    if not (x[1:] > x[:-1]).all():
        raise ValueError("knots must be strictly increasing")
    slopes = (v[1:] - v[:-1]) / (x[1:] - x[:-1])
    coef = torch.cat([slopes[:1], slopes[1:] - slopes[:-1]])
    width = len(x) - 1
    hidden, out = nn.Linear(1, width), nn.Linear(width, 1)
    with torch.no_grad():
        hidden.weight.fill_(1.0)
        hidden.bias.copy_(-x[:-1])
        out.weight.copy_(coef.reshape(1, -1))
        out.bias.fill_(float(v[0]))
    return nn.Sequential(hidden, nn.ReLU(), out)


# --------------------------------------------------------------------------
# Recurrent networks (chapter 5): sequence-to-one models for the adding problem.
# --------------------------------------------------------------------------
#: Recurrent weight initialisations accepted by :func:`rnn`.
RECURRENT_INITS = ("identity", "orthogonal", "normal", "default")


class SequenceToOne(nn.Module):
    r"""A recurrent layer that reads a whole sequence, then a linear read-out of its last state.

    Shape: (N, T, input_size) -> (N, out_features) (batch first). ``recurrent`` is an
    ``nn.RNN`` or ``nn.LSTM`` built with ``batch_first=True``; :meth:`hidden_states`
    returns every step's hidden state, (N, T, hidden).
    """

    def __init__(self, recurrent: nn.RNNBase, out_features: int = 1) -> None:
        super().__init__()
        if not isinstance(recurrent, nn.RNNBase) or not recurrent.batch_first:
            raise ValueError("recurrent must be an nn.RNN/nn.LSTM built with batch_first=True")
        if int(out_features) < 1:
            raise ValueError(f"out_features must be positive, got {out_features}")
        self.recurrent = recurrent
        self.head = nn.Linear(recurrent.hidden_size, int(out_features))

    def hidden_states(self, x: torch.Tensor) -> torch.Tensor:
        """Every step's hidden state (the top layer's), shape (N, T, hidden)."""
        if x.dim() != 3:
            raise ValueError(
                f"expected a batch of sequences (N, T, features), got shape {tuple(x.shape)}"
            )
        out, _ = self.recurrent(x)
        return out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.hidden_states(x)[:, -1])


def rnn(
    input_size: int,
    hidden: Hidden,
    out_features: int = 1,
    activation: str = "relu",
    recurrent_init: str = "identity",
    gain: float = 1.0,
    input_std: float | None = None,
    bias: float | None = 0.0,
) -> SequenceToOne:
    r"""A plain (Elman) recurrent network read out at the last step:

    .. math::

        h_t = g(W_x x_t + W_h h_{t-1} + b), \quad h_0 = 0, \qquad \hat y = V h_T + c.

    ``activation``: ``"relu"`` or ``"tanh"`` (PyTorch's fused ``nn.RNN`` kernels).
    ``recurrent_init`` sets :math:`W_h` (hidden x hidden):

    * ``"identity"``: :math:`W_h = \text{gain} \cdot I`. With ReLU and ``bias=0`` this is
      the IRNN of Le, Jaitly & Hinton (2015): with no input the state is copied
      unchanged from step to step.
    * ``"orthogonal"``: ``gain`` times a random orthogonal matrix.
    * ``"normal"``: entries :math:`\mathcal N(0, \text{gain}^2/\text{hidden})`, whose
      spectral radius is close to ``gain`` for a large ``hidden`` (circular law).
    * ``"default"``: PyTorch's
      :math:`U(-1/\sqrt{\text{hidden}}, 1/\sqrt{\text{hidden}})`, times ``gain``.

    ``input_std``: draw :math:`W_x` from :math:`\mathcal N(0, \text{input\_std}^2)`
    (``None`` keeps PyTorch's default). ``bias``: the constant :math:`b` starts at
    (``None`` keeps PyTorch's default). The read-out keeps PyTorch's default.
    Random draws use torch's global generator (seed it first).
    ``hidden``: the state's width, an int or a one-entry sequence (see
    :func:`hidden_widths`; stacked recurrent layers are not built here).
    Shape: (N, T, input_size) -> (N, out_features).

    Example::

        >>> net = rnn(2, 32, activation="relu", recurrent_init="identity")  # an IRNN
        >>> net(torch.zeros(4, 10, 2)).shape
        torch.Size([4, 1])
    """
    if activation not in ("relu", "tanh"):
        raise ValueError(f"activation must be 'relu' or 'tanh' for rnn, got {activation!r}")
    if recurrent_init not in RECURRENT_INITS:
        raise ValueError(
            f"recurrent_init must be one of {RECURRENT_INITS}, got {recurrent_init!r}"
        )
    hidden = _one_width(hidden)
    if int(input_size) < 1:
        raise ValueError(f"input_size must be positive, got {input_size}")
    if not gain > 0:
        raise ValueError(f"gain must be > 0, got {gain}")
    if input_std is not None and not input_std > 0:
        raise ValueError(f"input_std must be > 0 or None, got {input_std}")
    layer = nn.RNN(int(input_size), int(hidden), nonlinearity=activation, batch_first=True)
    with torch.no_grad():
        w = layer.weight_hh_l0
        if recurrent_init == "identity":
            w.copy_(gain * torch.eye(int(hidden)))
        elif recurrent_init == "orthogonal":
            nn.init.orthogonal_(w, gain=gain)
        elif recurrent_init == "normal":
            w.normal_(0.0, gain / int(hidden) ** 0.5)
        else:
            w.mul_(gain)
        if input_std is not None:
            layer.weight_ih_l0.normal_(0.0, input_std)
        if bias is not None:
            layer.bias_ih_l0.fill_(float(bias))
            layer.bias_hh_l0.zero_()
    return SequenceToOne(layer, out_features)


def _one_width(hidden: Hidden) -> int:
    widths = hidden_widths(hidden, allow_empty=False)
    if len(widths) != 1:
        raise ValueError(f"a recurrent builder takes one hidden width, got {widths}")
    return widths[0]


def lstm(
    input_size: int, hidden: Hidden, out_features: int = 1, forget_bias: float = 1.0
) -> SequenceToOne:
    r"""A one-layer LSTM (Hochreiter & Schmidhuber 1997) read out at the last step.

    Weights keep PyTorch's default :math:`U(-1/\sqrt{\text{hidden}}, 1/\sqrt{\text{hidden}})`;
    the gate biases start at 0 except the forget gate's, which starts at
    ``forget_bias`` (1 by default, a common choice that lets the cell remember at
    first). ``hidden``: an int or a one-entry sequence, as in :func:`rnn`.
    Shape: (N, T, input_size) -> (N, out_features).

    Example::

        >>> lstm(2, 32)(torch.zeros(4, 10, 2)).shape
        torch.Size([4, 1])
    """
    hidden = _one_width(hidden)
    if int(input_size) < 1:
        raise ValueError(f"input_size must be positive, got {input_size}")
    layer = nn.LSTM(int(input_size), int(hidden), batch_first=True)
    h = int(hidden)
    with torch.no_grad():
        layer.bias_ih_l0.zero_()
        layer.bias_hh_l0.zero_()
        layer.bias_ih_l0[h : 2 * h] = float(
            forget_bias
        )  # PyTorch's gate order: input, forget, cell, output
    return SequenceToOne(layer, out_features)


# --------------------------------------------------------------------------
# Fixed random filters (chapter 5): Jarrett et al. 2009's one-stage system.
# --------------------------------------------------------------------------
class Abs(nn.Module):
    """Absolute-value rectification :math:`|x|` (the ``R_abs`` of Jarrett et al. 2009)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.abs()


def _rectifier(name: str) -> nn.Module:
    if name == "none":
        return nn.Identity()
    if name == "abs":
        return Abs()
    return make_activation(name)


def fixed_filter_net(
    rectifier: str | Sequence[str] = "abs",
    n_filters: int = 16,
    kernel_size: int = 3,
    pool: str = "avg",
    pool_size: int = 4,
    image_size: int = 8,
    in_channels: int = 1,
    n_classes: int = 10,
    seed: int = 0,
) -> nn.Sequential:
    r"""One feature-extraction stage with fixed random filters and a trainable linear classifier:

    ``Conv(kernel_size, random, frozen) -> rectifier -> pool(pool_size) -> Flatten -> Linear``.

    The filters are drawn from :math:`\mathcal N(0, 2/n_\text{in})` (He normal) with a
    generator seeded by ``derive_seed(seed)`` (the base seed shifts the draw) and never
    trained (``requires_grad=False``), so only the classifier learns, as in the random-filter
    experiments of Jarrett et al. (2009).
    ``rectifier``: ``"none"`` (the stage is linear up to the pooling), ``"abs"``
    (:math:`|x|`), a registered activation name (``"relu"``, ``"tanh"``, ...) or a
    sequence of these applied in order (e.g. ``("tanh", "abs")``). ``pool``: ``"avg"``
    or ``"max"``, non-overlapping windows of ``pool_size``.
    Shape: (N, in_channels, image_size, image_size) -> (N, n_classes); the classifier
    sees ``n_filters * (image_size // pool_size) ** 2`` features.
    """
    names = [rectifier] if isinstance(rectifier, str) else list(rectifier)
    if not names:
        raise ValueError("rectifier must name at least one step ('none' for no rectification)")
    if pool not in ("avg", "max"):
        raise ValueError(f"pool must be 'avg' or 'max', got {pool!r}")
    if min(n_filters, kernel_size, pool_size, image_size, in_channels, n_classes) < 1:
        raise ValueError(
            "n_filters, kernel_size, pool_size, image_size, in_channels and n_classes "
            "must be positive"
        )
    if kernel_size % 2 == 0:
        raise ValueError(f"kernel_size must be odd (same padding), got {kernel_size}")
    side = image_size // pool_size
    if side < 1:
        raise ValueError(f"pool_size {pool_size} is larger than image_size {image_size}")
    conv = nn.Conv2d(in_channels, n_filters, kernel_size, padding=kernel_size // 2)
    from relu_course.init import init_weights_

    gen = torch.Generator().manual_seed(derive_seed(int(seed)))  # base seed shifts the draw
    init_weights_(conv.weight, "he_normal", generator=gen)
    with torch.no_grad():
        conv.bias.zero_()
    conv.requires_grad_(False)
    pooling = nn.AvgPool2d(pool_size) if pool == "avg" else nn.MaxPool2d(pool_size)
    return nn.Sequential(
        conv,
        *(_rectifier(n) for n in names),
        pooling,
        nn.Flatten(),
        nn.Linear(n_filters * side * side, n_classes),
    )


__all__ += ["RECURRENT_INITS", "SequenceToOne", "rnn", "lstm", "Abs", "fixed_filter_net"]
