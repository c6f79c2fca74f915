r"""One training loop for every experiment in the course, for one seed or
many at once.

:func:`fit` trains a model on a :class:`~relu_course.data.Split` with
mini-batch SGD (or Adam), and records a :class:`History`. The objective is

.. math::

    L = \text{loss}(f(x), y) + \lambda_1 \sum_{\text{weights}} |w|
        + \lambda_a \sum_{\text{activation layers}} \overline{|h|}

where the weights are the weight matrices and kernels
(:func:`relu_course.probe.weight_matrices`: not biases, not PReLU's slope)
and :math:`\overline{|h|}` is the batch mean of the summed absolute
activations of a layer (the L1 activity penalty of Glorot et al. 2011). L2
weight decay is the optimiser's ``weight_decay``.

:func:`fit_seeds` trains :math:`K` independently initialised and
independently shuffled copies of a model at once: their parameters are
stacked along a new leading dimension and one batched forward and backward
pass serves all of them. Copy :math:`k` follows exactly the computation of
``seed(s_k); fit(make_model(), data, seed=s_k)`` (same initialisation, same
mini-batches, same updates; floating-point sums may differ in the last
digits), so its history is that run's history.

Per-step losses and accuracies stay on the device and are copied to the host
once per epoch, so a GPU is not stalled by a synchronisation per step.
"""

from __future__ import annotations

import copy
import math
import numbers
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from relu_course.activations import is_activation_module, module_types
from relu_course.data import Split
from relu_course.device import seed as _seed_everything
from relu_course.device import stream_seed
from relu_course.layers import GLU, Maxout
from relu_course.nets import Abs
from relu_course.probe import capture, weight_matrices
from relu_course.progress import progress as _progress

__all__ = [
    "History",
    "SeedRuns",
    "fit",
    "fit_seeds",
    "evaluate",
    "fit_full_batch",
    "LOSSES",
    "OPTIMIZERS",
    "STRATEGIES",
]

LOSSES = ("cross_entropy", "mse")
OPTIMIZERS = ("sgd", "adam")
#: How :func:`fit_seeds` trains its copies: stacked matrices for MLPs,
#: ``torch.func.vmap`` for other models, or one after the other.
STRATEGIES = ("auto", "bmm", "vmap", "loop")


@dataclass
class History:
    """What :func:`fit` recorded. Epoch lists start with epoch 0 (before
    training)."""

    epoch: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    test_loss: list[float] = field(default_factory=list)
    test_acc: list[float] = field(default_factory=list)
    # wall time of each epoch's training
    seconds: list[float] = field(default_factory=list)
    step_loss: list[float] = field(default_factory=list)  # every step's loss
    step_acc: list[float] = field(default_factory=list)  # every step's acc.
    # stopped early because the loss became NaN or inf
    diverged: bool = False

    def steps_to(self, acc: float, window: int = 1) -> int | None:
        """The first step (1-based) whose mini-batch accuracy reached
        ``acc``, or ``None``.

        With ``window=w > 1`` the test is on the running mean of the last
        ``w`` mini-batch accuracies (over fewer at the start), e.g. one
        epoch's worth, which smooths out lucky batches: the training error a
        training loop reports.
        """
        if int(window) < 1:
            raise ValueError(f"window must be >= 1, got {window}")
        window = int(window)
        for i in range(1, len(self.step_acc) + 1):
            last = self.step_acc[max(0, i - window) : i]
            if math.fsum(last) / len(last) >= acc:
                return i
        return None


@dataclass
class SeedRuns:
    """What :func:`fit_seeds` returns: one trained model and one
    :class:`History` per seed, in the order of ``seeds``.

    ``strategy`` says how they were trained (``"bmm"``, ``"vmap"`` or
    ``"loop"``).
    """

    seeds: tuple[int, ...]
    models: list[nn.Module]
    histories: list[History]
    strategy: str

    def final(self, key: str = "test_acc") -> np.ndarray:
        """The last recorded value of ``key`` (e.g. ``"test_acc"``,
        ``"train_loss"``) for every seed: shape (K,)."""
        return np.array([getattr(h, key)[-1] for h in self.histories])

    def curves(self, key: str = "test_acc") -> np.ndarray:
        """``key`` per epoch for every seed: shape (K, epochs + 1); runs that
        stopped early (diverged) are padded with NaN."""
        rows = [getattr(h, key) for h in self.histories]
        width = max(len(r) for r in rows)
        return np.array([r + [math.nan] * (width - len(r)) for r in rows])

    def steps_to(self, acc: float, window: int = 1) -> list[int | None]:
        """:meth:`History.steps_to` for every seed."""
        return [h.steps_to(acc, window) for h in self.histories]

    @property
    def diverged(self) -> np.ndarray:
        """Which seeds diverged: bool array of shape (K,)."""
        return np.array([h.diverged for h in self.histories])


def _loss_fn(loss: str) -> Callable:
    if loss == "cross_entropy":
        return nn.functional.cross_entropy
    if loss == "mse":
        return lambda out, y: nn.functional.mse_loss(out.reshape(y.shape), y)
    raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}")


def _accuracy_tensor(out: torch.Tensor, y: torch.Tensor, loss: str) -> torch.Tensor:
    """Accuracy over the last-but-one dimension (NaN for regression)."""
    if loss != "cross_entropy":
        return torch.full(out.shape[:-2], math.nan, device=out.device)
    return (out.argmax(dim=-1) == y).float().mean(dim=-1)


@torch.no_grad()
def evaluate(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    loss: str = "cross_entropy",
    batch_size: int = 4096,
) -> tuple[float, float]:
    """Mean loss and accuracy (NaN for regression) of ``model`` on
    ``(x, y)``.

    Example::

        >>> from relu_course import data, nets
        >>> d = data.moons(100)
        >>> loss, acc = evaluate(nets.mlp(2, [8], 2), d.x_test, d.y_test)
        >>> 0.0 <= acc <= 1.0
        True
    """
    was_training = model.training
    model.eval()
    fn = _loss_fn(loss)
    outs = torch.cat([model(x[i : i + batch_size]) for i in range(0, len(x), batch_size)])
    model.train(was_training)
    acc = _accuracy_tensor(outs.unsqueeze(0), y.unsqueeze(0), loss)[0]
    return fn(outs, y).item(), acc.item()


def _real(name: str, value, lo: float, strict: bool = False) -> float:
    """``value`` as a finite real number >= ``lo`` (> ``lo`` if ``strict``); the error
    names the parameter."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} {value!r}")
    value = float(value)
    if not math.isfinite(value) or value < lo or (strict and value == lo):
        raise ValueError(
            f"{name} must be finite and {'>' if strict else '>='} {lo:g}, got {value!r}"
        )
    return value


def _integer(name: str, value, lo: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__} {value!r}")
    if value < lo:
        raise ValueError(f"{name} must be >= {lo}, got {value!r}")
    return int(value)


def _check_args(
    *,
    epochs,
    lr,
    optimizer,
    momentum,
    weight_decay,
    l1_weight,
    l1_activity,
    clip_grad,
    batch_size,
    drop_last,
    loss,
    progress,
    callback,
) -> None:
    """Validate :func:`fit`'s settings; every message names the parameter."""
    _integer("epochs", epochs, 0)
    _integer("batch_size", batch_size, 1)
    _real("lr", lr, 0.0, strict=True)
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {optimizer!r}")
    _real("momentum", momentum, 0.0)
    if optimizer == "adam" and momentum != 0:
        raise ValueError("momentum applies to optimizer='sgd'; Adam has its own (betas)")
    for name, value in (
        ("weight_decay", weight_decay),
        ("l1_weight", l1_weight),
        ("l1_activity", l1_activity),
    ):
        _real(name, value, 0.0)  # a penalty must be >= 0
    if clip_grad is not None:
        _real("clip_grad", clip_grad, 0.0, strict=True)
    if not isinstance(drop_last, bool):
        raise TypeError(f"drop_last must be True or False, got {drop_last!r}")
    if progress is not None and not isinstance(progress, bool):
        raise TypeError(f"progress must be None, True or False, got {progress!r}")
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be callable(model, epoch), got {callback!r}")
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}")


def _check_data(data) -> None:
    if not isinstance(data, Split):
        raise TypeError(
            f"data must be a relu_course.data.Split (x_train, y_train, x_test, y_test), "
            f"got {type(data).__name__}"
        )
    for name, t in zip(Split._fields, data, strict=True):
        if not isinstance(t, torch.Tensor):
            raise TypeError(f"data.{name} must be a tensor, got {type(t).__name__}")
    if len(data.x_train) != len(data.y_train) or len(data.x_test) != len(data.y_test):
        raise ValueError("data: x and y of a part must have the same number of examples")
    if len(data.x_train) == 0:
        raise ValueError("data: the training part is empty")


def _check_model(model, data: Split, what: str = "model") -> None:
    if not isinstance(model, nn.Module):
        raise TypeError(f"{what} must be a torch.nn.Module, got {type(model).__name__}")
    first = next(model.parameters(), None)
    if first is not None and first.device != data.x_train.device:
        raise ValueError(
            f"{what} is on {first.device} but the data on {data.x_train.device}; "
            "move one of them (.to(device))"
        )


def _optimizer(params, optimizer, lr, momentum, weight_decay):
    if optimizer == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay)
    return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)


def _batches(n: int, batch_size: int, drop_last: bool) -> list[int]:
    stop = n - n % batch_size if drop_last and n >= batch_size else n
    return list(range(0, stop, batch_size))


def fit(
    model: nn.Module,
    data: Split,
    *,
    epochs: int = 10,
    lr: float = 0.1,
    optimizer: str = "sgd",
    momentum: float = 0.0,
    weight_decay: float = 0.0,
    l1_weight: float = 0.0,
    l1_activity: float = 0.0,
    clip_grad: float | None = None,
    batch_size: int = 64,
    drop_last: bool = False,
    loss: str = "cross_entropy",
    seed: int = 0,
    progress: bool | None = None,
    callback: Callable[[nn.Module, int], None] | None = None,
) -> History:
    """Train ``model`` on ``data`` in place and return its :class:`History`.

    All but ``model`` and ``data`` are keyword-only; a bad value raises
    ``ValueError`` or ``TypeError`` naming it.

    Parameters:
        model, data: on the same device.
        epochs, lr, optimizer (``"sgd"`` or ``"adam"``), momentum (SGD only),
        weight_decay: the optimiser's settings (weight decay is L2 on every
            parameter, as in PyTorch).
        l1_weight: :math:`\\lambda_1`, on the weight matrices only.
        l1_activity: :math:`\\lambda_a`, on the activation layers' outputs.
        clip_grad: clip the global gradient norm to this value (> 0).
        batch_size, drop_last: mini-batch size; ``drop_last=True`` skips the
            last, smaller mini-batch of each epoch (e.g. 1,347 digits in
            batches of 64 leave one of 3 examples that would otherwise be a
            full-rate step).
        loss: ``"cross_entropy"`` or ``"mse"``.
        seed: seeds the mini-batch order, from the ``"batches"`` stream of
            :func:`~relu_course.device.stream_seed` (independent of the
            weights that ``seed(n)`` draws); same seed, same machine: same
            history.
        callback: ``callback(model, epoch)`` runs before training (epoch 0)
            and after every epoch.

    A loss that becomes NaN or inf stops training at the end of that epoch
    and sets ``History.diverged``; the step lists end at the first
    non-finite step.

    Example::

        >>> from relu_course import data, nets
        >>> hist = fit(nets.mlp(2, [8], 2), data.moons(200), epochs=2)
        >>> hist.epoch
        [0, 1, 2]
    """
    _check_data(data)
    _check_model(model, data)
    _check_args(
        epochs=epochs,
        lr=lr,
        optimizer=optimizer,
        momentum=momentum,
        weight_decay=weight_decay,
        l1_weight=l1_weight,
        l1_activity=l1_activity,
        clip_grad=clip_grad,
        batch_size=batch_size,
        drop_last=drop_last,
        loss=loss,
        progress=progress,
        callback=callback,
    )
    fn = _loss_fn(loss)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = _optimizer(params, optimizer, lr, momentum, weight_decay)
    weights = [p for _, p in weight_matrices(model)]
    x, y = data.x_train, data.y_train
    starts = _batches(len(x), batch_size, drop_last)
    gen = torch.Generator().manual_seed(stream_seed(seed, "batches"))
    hist = History()

    def record(epoch: int, seconds: float) -> None:
        tr = evaluate(model, x, y, loss)
        te = evaluate(model, data.x_test, data.y_test, loss)
        hist.epoch.append(epoch)
        hist.train_loss.append(tr[0])
        hist.train_acc.append(tr[1])
        hist.test_loss.append(te[0])
        hist.test_acc.append(te[1])
        hist.seconds.append(seconds)
        if callback is not None:
            callback(model, epoch)

    record(0, 0.0)
    bar = _progress(
        range(1, epochs + 1),
        progress,
        desc="training",
        unit="epoch",
        leave=False,
    )
    model.train()
    for epoch in bar:
        start = time.perf_counter()
        order = torch.randperm(len(x), generator=gen).to(x.device)
        losses, accs = [], []
        for i in starts:
            idx = order[i : i + batch_size]
            with capture(model, enabled=l1_activity > 0) as acts:
                out = model(x[idx])
            batch_loss = fn(out, y[idx])
            objective = batch_loss
            if l1_weight > 0:
                objective = objective + l1_weight * sum(w.abs().sum() for w in weights)
            if l1_activity > 0:
                objective = objective + l1_activity * sum(
                    h.abs().sum() / h.shape[0] for h in acts.values()
                )
            opt.zero_grad(set_to_none=True)
            objective.backward()
            if clip_grad is not None:
                nn.utils.clip_grad_norm_(params, clip_grad)
            opt.step()
            losses.append(batch_loss.detach())
            accs.append(_accuracy_tensor(out.detach().unsqueeze(0), y[idx].unsqueeze(0), loss)[0])
        _append_steps(hist, torch.stack(losses), torch.stack(accs))
        record(epoch, time.perf_counter() - start)
        if hasattr(bar, "set_postfix"):
            bar.set_postfix(loss=f"{hist.train_loss[-1]:.3f}")
        if hist.diverged:
            break
    return hist


def _append_steps(hist: History, losses: torch.Tensor, accs: torch.Tensor) -> None:
    """Copy one epoch's step values to the host (one synchronisation); stop
    at the first non-finite loss and mark the run diverged."""
    losses_list, accs_list = losses.tolist(), accs.tolist()
    bad = [i for i, v in enumerate(losses_list) if not math.isfinite(v)]
    if bad:
        losses_list, accs_list = (
            losses_list[: bad[0] + 1],
            accs_list[: bad[0] + 1],
        )
        hist.diverged = True
    hist.step_loss.extend(losses_list)
    hist.step_acc.extend(accs_list)


# ---------------------------------------------------------------- many seeds

#: Module types whose copies :func:`fit_seeds` may stack (``"bmm"``/``"vmap"``): no
#: randomness, the same computation in training and evaluation mode, no state. Anything
#: else of PyTorch's (Dropout, BatchNorm with running statistics, recurrent layers,
#: embeddings, ...) takes the per-seed loop. Batch norm without running statistics
#: (``track_running_stats=False``) uses the batch's statistics in both modes, so it stacks.
STACKABLE: tuple[type, ...] = (
    nn.Linear,
    nn.Bilinear,
    nn.modules.conv._ConvNd,
    nn.modules.pooling._MaxPoolNd,
    nn.modules.pooling._AvgPoolNd,
    nn.modules.pooling._AdaptiveAvgPoolNd,
    nn.modules.pooling._AdaptiveMaxPoolNd,
    nn.modules.pooling._LPPoolNd,
    nn.Flatten,
    nn.Unflatten,
    nn.Identity,
    nn.LayerNorm,
    nn.GroupNorm,
    nn.Sequential,
    nn.ModuleList,
    nn.ModuleDict,
    Abs,
    Maxout,
    GLU,
)


def _is_plain_mlp(model: nn.Module) -> bool:
    """A ``Sequential`` of ``Linear`` layers and parameter-free element-wise
    activations: the shape the stacked-matrix path handles."""
    if not isinstance(model, nn.Sequential) or len(model) == 0:
        return False
    for layer in model:
        if isinstance(layer, nn.Linear):
            continue
        if any(True for _ in layer.parameters()) or any(True for _ in layer.buffers()):
            return False
        if not is_activation_module(layer) or not isinstance(layer, module_types()):
            return False
    return True


def _is_custom(module: nn.Module) -> bool:
    """A module class defined outside PyTorch and this package (a reader's own)."""
    return not type(module).__module__.startswith(("torch.", "relu_course."))


@torch.no_grad()
def _same_in_every_mode(model: nn.Module, x: torch.Tensor) -> bool:
    """Whether ``model`` gives the same outputs on ``x`` twice in training mode and once
    in evaluation mode: no randomness, no mode-dependent behaviour. Draws from no
    random stream that it does not restore."""
    modes = [m.training for m in model.modules()]
    devices = [x.device] if x.device.type == "cuda" else []
    try:
        with torch.random.fork_rng(devices=devices):
            model.train()
            first, second = model(x), model(x)
            model.eval()
            third = model(x)
    finally:
        for m, mode in zip(model.modules(), modes, strict=True):
            m.training = mode
    return bool(torch.equal(first, second) and torch.equal(first, third))


def _not_stackable(model: nn.Module, x: torch.Tensor) -> str | None:
    """Why copies of ``model`` cannot be stacked with the result of :func:`fit`, or
    ``None`` when they can: every module is on :data:`STACKABLE` or a registry
    activation, or is a reader's own module and the whole model computes the same
    thing twice in training mode and in evaluation mode (checked on ``x``)."""
    if any(True for _ in model.buffers()):
        return "it has buffers (state that the forward pass updates, e.g. batch norm)"
    custom = False
    for name, m in model.named_modules():
        if isinstance(m, nn.modules.batchnorm._NormBase) and not m.track_running_stats:
            continue
        if isinstance(m, (*STACKABLE, *module_types())):
            continue
        if _is_custom(m):
            custom = True
            continue
        return f"layer {name or '(the model)'!r} is a {type(m).__name__}, not on train.STACKABLE"
    if custom and not _same_in_every_mode(model, x):
        return (
            "its output differs between two calls or between training and evaluation mode "
            "(randomness such as dropout, or mode-dependent layers)"
        )
    return None


def _signature(model: nn.Module) -> list[tuple]:
    """What must match between copies: each module's type and settings, each
    parameter's and buffer's name, shape, dtype, device and trainability."""
    simple = (bool, int, float, str, tuple, type(None))
    sig: list[tuple] = []
    for name, m in model.named_modules():
        settings = sorted(
            (k, v)
            for k, v in vars(m).items()
            if not k.startswith("_") and k != "training" and isinstance(v, simple)
        )
        sig.append(("module", name, type(m).__qualname__, m.extra_repr(), tuple(settings)))
    for name, t in [*model.named_parameters(), *model.named_buffers()]:
        sig.append(("tensor", name, tuple(t.shape), t.dtype, t.device, t.requires_grad))
    return sig


def _check_same_structure(models: Sequence[nn.Module]) -> None:
    """``ValueError`` unless every copy has the layer types and settings of the first."""
    reference = _signature(models[0])
    for k, model in enumerate(models[1:], start=1):
        sig = _signature(model)
        if sig == reference:
            continue
        for a, b in zip(reference, sig):
            if a != b:
                raise ValueError(
                    "all copies must have the same layer types and settings: copy "
                    f"{k} differs from copy 0 at {b[1] or '(the model)'!r}: {b[2:]} vs {a[2:]}"
                )
        raise ValueError(
            f"all copies must have the same layer types and settings: copy {k} has "
            f"{len(sig)} modules and tensors, copy 0 {len(reference)}"
        )


def _bmm_forward(model: nn.Sequential, stacked: dict[str, torch.Tensor]):
    """Forward pass of K stacked copies of a plain MLP: (K, B, in) ->
    (K, B, out), one ``baddbmm`` per linear layer."""
    layers = list(model)

    def forward(x: torch.Tensor) -> torch.Tensor:
        h = x
        for i, layer in enumerate(layers):
            if isinstance(layer, nn.Linear):
                weight = stacked[f"{i}.weight"].transpose(1, 2)
                bias = stacked.get(f"{i}.bias")
                if bias is None:
                    h = torch.bmm(h, weight)
                else:
                    h = torch.baddbmm(bias.unsqueeze(1), h, weight)
            else:
                h = layer(h)
        return h

    return forward


def _vmap_forward(
    base: nn.Module,
    stacked: dict[str, torch.Tensor],
    buffers: dict[str, torch.Tensor],
):
    from torch.func import functional_call, vmap

    def one(params, bufs, x):
        return functional_call(base, (params, bufs), (x,))

    # A random operation inside would draw other numbers than fit does: an error.
    batched = vmap(one, randomness="error")
    return lambda x: batched(stacked, buffers, x)


def _choose_strategy(strategy: str, model: nn.Module, x: torch.Tensor, kwargs: dict) -> str:
    if strategy not in STRATEGIES:
        raise ValueError(f"strategy must be one of {STRATEGIES}, got {strategy!r}")
    needs_loop = kwargs["l1_activity"] > 0 or kwargs["callback"] is not None
    if strategy == "loop":
        return "loop"
    if needs_loop:
        if strategy == "auto":
            return "loop"
        raise ValueError(
            f"strategy={strategy!r} does not support l1_activity or callback; use strategy='loop'"
        )
    why = _not_stackable(model, x[:16])
    if why is not None:
        if strategy == "auto":
            return "loop"
        raise ValueError(
            f"strategy={strategy!r} cannot reproduce fit for this model: {why}; "
            "use strategy='loop' (or 'auto')"
        )
    if strategy == "bmm" and not _is_plain_mlp(model):
        raise ValueError(
            "strategy='bmm' needs an nn.Sequential of Linear layers and element-wise activations"
        )
    if strategy == "auto":
        return "bmm" if _is_plain_mlp(model) else "vmap"
    return strategy


def _seed_list(seeds) -> tuple[int, ...]:
    if isinstance(seeds, (numbers.Integral, np.integer)) and not isinstance(seeds, bool):
        return tuple(range(_integer("seeds", seeds, 1)))
    if isinstance(seeds, (str, bytes)) or not isinstance(seeds, Sequence | range | np.ndarray):
        raise TypeError(f"seeds must be a count or a sequence of integers, got {seeds!r}")
    seed_list = tuple(_integer("each of seeds", s, 0) for s in seeds)
    if not seed_list:
        raise ValueError("seeds is empty")
    return seed_list


def fit_seeds(
    make_model: Callable[[], nn.Module],
    data: Split,
    *,
    seeds: int | Sequence[int] = 5,
    epochs: int = 10,
    lr: float = 0.1,
    optimizer: str = "sgd",
    momentum: float = 0.0,
    weight_decay: float = 0.0,
    l1_weight: float = 0.0,
    l1_activity: float = 0.0,
    clip_grad: float | None = None,
    batch_size: int = 64,
    drop_last: bool = False,
    loss: str = "cross_entropy",
    progress: bool | None = None,
    callback: Callable[[nn.Module, int], None] | None = None,
    strategy: str = "auto",
) -> SeedRuns:
    """Train one copy of ``make_model()`` per seed, all at once, and return
    a :class:`SeedRuns`.

    ``make_model`` is a factory: a callable with no arguments that returns a new
    model (``lambda: nets.mlp(64, [32], 10)``), not a model. For seed ``s`` the copy
    is built after ``relu_course.seed(s)`` and its mini-batches are drawn as
    ``fit(..., seed=s)`` draws them, so copy ``k`` reproduces ``seed(s);
    fit(make_model(), data, seed=s, ...)``. The other arguments (keyword-only) are
    :func:`fit`'s. ``seeds`` is a count ``K`` (seeds ``0..K-1``) or the seeds
    themselves. Every copy must have the same layer types and settings
    (``ValueError`` otherwise).

    ``strategy``:
        ``"bmm"``: plain MLPs (``Linear`` and element-wise activations):
        the K weight matrices are stacked and every layer is one batched
        matrix product. ``"vmap"``: other models built from the layers on
        :data:`STACKABLE` (e.g. the CNN) and a reader's own modules that compute
        the same thing in every call and mode, through ``torch.func.vmap``.
        ``"loop"``: one :func:`fit` per seed, each after ``seed(s)``; used for
        everything else (dropout, batch norm with running statistics, recurrent
        nets) and for ``l1_activity`` or ``callback``. ``"auto"`` picks in that
        order; asking for ``"bmm"`` or ``"vmap"`` where they would not reproduce
        :func:`fit` raises ``ValueError``. Stacked copies are evaluated in
        evaluation mode, as :func:`fit` evaluates.

    Example::

        >>> from relu_course import data, nets
        >>> runs = fit_seeds(lambda: nets.mlp(2, [8], 2), data.moons(200),
        ...                  seeds=3, epochs=2)
        >>> runs.strategy, runs.final("test_acc").shape
        ('bmm', (3,))
    """
    if isinstance(make_model, nn.Module) or not callable(make_model):
        raise TypeError(
            "make_model must be a factory: a callable with no arguments that returns a new "
            f"model (e.g. lambda: nets.mlp(64, [32], 10)), got {type(make_model).__name__}; "
            "fit_seeds builds one copy per seed"
        )
    _check_data(data)
    kwargs = dict(
        epochs=epochs,
        lr=lr,
        optimizer=optimizer,
        momentum=momentum,
        weight_decay=weight_decay,
        l1_weight=l1_weight,
        l1_activity=l1_activity,
        clip_grad=clip_grad,
        batch_size=batch_size,
        drop_last=drop_last,
        loss=loss,
        callback=callback,
    )
    _check_args(progress=progress, **kwargs)
    seed_list = _seed_list(seeds)
    device = data.x_train.device

    def build(s: int) -> nn.Module:
        _seed_everything(s)
        model = make_model()
        if not isinstance(model, nn.Module):
            raise TypeError(
                f"make_model() must return a torch.nn.Module, got {type(model).__name__}"
            )
        return model.to(device)

    first = build(seed_list[0])
    chosen = _choose_strategy(strategy, first, data.x_train, kwargs)
    if chosen == "loop":
        models, histories = [], []
        for k, s in enumerate(seed_list):
            model = first if k == 0 else build(s)
            if k:
                _check_same_structure([first, model])
            histories.append(fit(model, data, seed=s, progress=False, **kwargs))
            models.append(model)
        return SeedRuns(seed_list, models, histories, "loop")
    models = [first, *(build(s) for s in seed_list[1:])]
    _check_same_structure(models)
    histories = _fit_stacked(models, data, seed_list, chosen, progress=progress, **kwargs)
    return SeedRuns(seed_list, models, histories, chosen)


def _fit_stacked(
    models,
    data,
    seed_list,
    strategy,
    epochs,
    lr,
    optimizer,
    momentum,
    weight_decay,
    l1_weight,
    l1_activity,
    clip_grad,
    batch_size,
    loss,
    callback,
    drop_last,
    progress,
) -> list[History]:
    from torch.func import stack_module_state

    del l1_activity, callback  # handled by the loop strategy only
    k_models = len(models)
    stacked, buffers = stack_module_state(models)
    names = [n for n, p in models[0].named_parameters() if p.requires_grad]
    params = [stacked[n] for n in names]
    weight_names = {n for n, _ in weight_matrices(models[0])}
    weights = [stacked[n] for n in names if n in weight_names]
    # ``owner`` holds the layers the stacked forward pass runs through (and their mode)
    if strategy == "bmm":
        owner = models[0]
        forward = _bmm_forward(owner, stacked)
    else:
        owner = copy.deepcopy(models[0])
        forward = _vmap_forward(owner, stacked, buffers)
    opt = _optimizer(params, optimizer, lr, momentum, weight_decay)
    fn = _loss_fn(loss)
    per_example = _per_example_loss(loss)
    x, y = data.x_train, data.y_train
    starts = _batches(len(x), batch_size, drop_last)
    gens = [torch.Generator().manual_seed(stream_seed(s, "batches")) for s in seed_list]
    hists = [History() for _ in models]
    done = [False] * k_models

    @torch.no_grad()
    def stacked_eval(xs, ys):
        owner.eval()  # evaluation mode, as fit's evaluate
        try:
            out = forward(xs.unsqueeze(0).expand(k_models, *xs.shape))
        finally:
            owner.train()
        target = ys.unsqueeze(0).expand(k_models, *ys.shape)
        losses = torch.stack([fn(out[k], ys) for k in range(k_models)])
        return losses.tolist(), _accuracy_tensor(out, target, loss).tolist()

    def record(epoch: int, seconds: float) -> None:
        tr_loss, tr_acc = stacked_eval(x, y)
        te_loss, te_acc = stacked_eval(data.x_test, data.y_test)
        for k, h in enumerate(hists):
            if done[k]:
                continue
            h.epoch.append(epoch)
            h.train_loss.append(tr_loss[k])
            h.train_acc.append(tr_acc[k])
            h.test_loss.append(te_loss[k])
            h.test_acc.append(te_acc[k])
            h.seconds.append(seconds)

    record(0, 0.0)
    bar = _progress(
        range(1, epochs + 1),
        progress,
        desc=f"training {k_models} seeds",
        unit="epoch",
        leave=False,
    )
    owner.train()
    for epoch in bar:
        start = time.perf_counter()
        orders = torch.stack([torch.randperm(len(x), generator=g) for g in gens]).to(x.device)
        losses, accs = [], []
        for i in starts:
            idx = orders[:, i : i + batch_size]
            out = forward(x[idx])
            target = y[idx]
            batch_loss = per_example(out, target).mean(dim=1)  # (K,)
            objective = batch_loss.sum()
            if l1_weight > 0:
                objective = objective + l1_weight * sum(w.abs().sum() for w in weights)
            opt.zero_grad(set_to_none=True)
            objective.backward()
            if clip_grad is not None:
                _clip_per_copy(params, clip_grad)
            opt.step()
            losses.append(batch_loss.detach())
            accs.append(_accuracy_tensor(out.detach(), target, loss))
        step_losses, step_accs = torch.stack(losses, 1), torch.stack(accs, 1)
        for k, h in enumerate(hists):
            if not done[k]:
                _append_steps(h, step_losses[k], step_accs[k])
        record(epoch, time.perf_counter() - start)
        for k, h in enumerate(hists):
            done[k] = done[k] or h.diverged
        if all(done):
            break
    _copy_back(models, stacked)
    return hists


@torch.no_grad()
def _copy_back(models: Sequence[nn.Module], stacked: dict[str, torch.Tensor]) -> None:
    """Write copy k of the stacked parameters back into ``models[k]``."""
    for k, model in enumerate(models):
        for name, p in model.named_parameters():
            if name in stacked:
                p.copy_(stacked[name][k])


def _per_example_loss(loss: str) -> Callable:
    """Loss per example for stacked outputs (K, B, C) and targets (K, B)."""
    if loss == "cross_entropy":

        def cross_entropy(out, y):
            return nn.functional.cross_entropy(out.transpose(1, 2), y, reduction="none")

        return cross_entropy

    def mse(out, y):
        diff = out.reshape(y.shape) - y
        return diff.pow(2).reshape(diff.shape[0], diff.shape[1], -1).mean(-1)

    return mse


@torch.no_grad()
def _clip_per_copy(params: list[torch.Tensor], max_norm: float) -> None:
    """``clip_grad_norm_`` applied to each copy's own gradient norm."""
    grads = [p.grad for p in params if p.grad is not None]
    if not grads:
        return
    squares = sum(g.pow(2).reshape(g.shape[0], -1).sum(1) for g in grads)
    coef = (max_norm / (squares.sqrt() + 1e-6)).clamp(max=1.0)
    for g in grads:
        g.mul_(coef.reshape(-1, *([1] * (g.dim() - 1))))


def fit_full_batch(
    models: Sequence[nn.Module],
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    lr: float | Sequence[float],
    steps: int,
    optimizer: str = "adam",
) -> np.ndarray:
    r"""Train copies of one plain MLP at once on the whole batch
    ``(x, y)`` with the mean squared error, in place, and return each
    copy's final training MSE (NaN for a copy that diverged).

    Copy :math:`k` minimises :math:`\frac1n \sum_i (f_k(x_i) - y_i)^2` for
    ``steps`` full-batch steps of Adam (PyTorch's defaults:
    :math:`\beta = (0.9, 0.999)`, :math:`\epsilon = 10^{-8}`, bias-corrected
    moments :math:`\hat m, \hat v`, update
    :math:`\theta \leftarrow \theta - \eta_k \hat m / (\sqrt{\hat v} +
    \epsilon)`) or of SGD (:math:`\theta \leftarrow \theta - \eta_k g`), as a
    loop of ``torch.optim.Adam(model.parameters(), lr)`` over the copies
    would (both updates are element-wise, so stacking changes nothing but
    the speed). ``lr`` is one rate for all copies or one per copy, so a
    whole learning-rate grid times its seeds trains in one call. No history
    is recorded: this is for the many short fits of a
    curve (learning-rate grids, seeds), where :func:`fit_seeds`'s per-epoch
    bookkeeping costs more than the training. Build the copies after
    :func:`relu_course.seed` so that their seeds go through the package.

    Example::

        >>> from relu_course import nets, seed
        >>> x = torch.linspace(-1, 1, 50).reshape(-1, 1)
        >>> models = []
        >>> for s in range(3):
        ...     _ = seed(s)
        ...     models.append(nets.mlp(1, [8], 1))
        >>> mse = fit_full_batch(models, x, x.abs(), lr=0.01, steps=300)
        >>> mse.shape, bool((mse < 0.01).all())
        ((3,), True)
    """
    from torch.func import stack_module_state

    if isinstance(models, nn.Module) or not isinstance(models, Sequence) or not models:
        raise TypeError("models must be a non-empty list of models (the copies to train)")
    for k, m in enumerate(models):
        if not isinstance(m, nn.Module) or not _is_plain_mlp(m):
            raise ValueError(
                f"models[{k}]: fit_full_batch trains plain MLPs (an nn.Sequential of Linear "
                "layers and registered element-wise activations)"
            )
    _check_same_structure(models)
    for name, t in (("x", x), ("y", y)):
        if not isinstance(t, torch.Tensor):
            raise TypeError(f"{name} must be a tensor, got {type(t).__name__}")
        if t.device != next(models[0].parameters()).device:
            raise ValueError(f"{name} is on {t.device} but the models are not")
    if len(x) != len(y) or len(x) == 0:
        raise ValueError(f"x and y must have the same, non-zero length, got {len(x)}, {len(y)}")
    _integer("steps", steps, 0)
    rate_list = [lr] if isinstance(lr, numbers.Real) else list(lr)
    if len(rate_list) not in (1, len(models)):
        raise ValueError(
            f"lr must be one rate or one per copy ({len(models)}), got {len(rate_list)}"
        )
    for rate in rate_list:
        _real("lr", rate, 0.0, strict=True)
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {optimizer!r}")
    stacked, _ = stack_module_state(list(models))
    names = [n for n, p in models[0].named_parameters() if p.requires_grad]
    params = [stacked[n] for n in names]
    forward = _bmm_forward(models[0], stacked)
    k_models = len(models)
    xs = x.unsqueeze(0).expand(k_models, *x.shape)
    ys = y.reshape(len(y), -1).unsqueeze(0)
    rates = torch.as_tensor(
        np.broadcast_to(np.asarray(lr, dtype=float), (k_models,)).copy(),
        dtype=x.dtype,
        device=x.device,
    )
    shaped = [rates.reshape(-1, *([1] * (p.dim() - 1))) for p in params]
    m = [torch.zeros_like(p) for p in params]
    v = [torch.zeros_like(p) for p in params]
    beta1, beta2, eps = 0.9, 0.999, 1e-8

    def per_copy_mse() -> torch.Tensor:
        return (forward(xs).reshape(k_models, len(y), -1) - ys).pow(2).mean((1, 2))

    for step in range(1, steps + 1):
        grads = torch.autograd.grad(per_copy_mse().sum(), params)
        with torch.no_grad():
            for p, g, m_p, v_p, eta in zip(params, grads, m, v, shaped, strict=True):
                if optimizer == "sgd":
                    p.sub_(eta * g)
                    continue
                m_p.mul_(beta1).add_(g, alpha=1 - beta1)
                v_p.mul_(beta2).addcmul_(g, g, value=1 - beta2)
                m_hat = m_p / (1 - beta1**step)
                denom = (v_p / (1 - beta2**step)).sqrt().add_(eps)
                p.sub_(eta * m_hat / denom)
    with torch.no_grad():
        final = per_copy_mse()
    _copy_back(models, stacked)
    return final.cpu().double().numpy()
