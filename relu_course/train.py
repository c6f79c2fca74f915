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
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from relu_course.activations import is_activation_module
from relu_course.data import Split
from relu_course.device import derive_seed
from relu_course.device import seed as _seed_everything
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


def _check_args(epochs, batch_size, lr, optimizer, penalties, loss) -> None:
    if epochs < 0 or batch_size < 1:
        raise ValueError(f"need epochs >= 0 and batch_size >= 1, got {epochs}, {batch_size}")
    if not lr > 0:
        raise ValueError(f"lr must be > 0, got {lr}")
    if min(penalties) < 0:
        raise ValueError("penalties must be >= 0")
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {optimizer!r}")
    _loss_fn(loss)


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
    epochs: int = 10,
    lr: float = 0.1,
    optimizer: str = "sgd",
    momentum: float = 0.0,
    weight_decay: float = 0.0,
    l1_weight: float = 0.0,
    l1_activity: float = 0.0,
    clip_grad: float | None = None,
    batch_size: int = 64,
    loss: str = "cross_entropy",
    seed: int = 0,
    progress: bool | None = None,
    callback: Callable[[nn.Module, int], None] | None = None,
    drop_last: bool = False,
) -> History:
    """Train ``model`` on ``data`` in place and return its :class:`History`.

    Parameters:
        model, data: on the same device.
        epochs, lr, optimizer (``"sgd"`` or ``"adam"``), momentum,
        weight_decay: the optimiser's settings (weight decay is L2 on every
            parameter, as in PyTorch).
        l1_weight: :math:`\\lambda_1`, on the weight matrices only.
        l1_activity: :math:`\\lambda_a`, on the activation layers' outputs.
        clip_grad: clip the global gradient norm to this value.
        batch_size, drop_last: mini-batch size; ``drop_last=True`` skips the
            last, smaller mini-batch of each epoch (e.g. 1,347 digits in
            batches of 64 leave one of 3 examples that would otherwise be a
            full-rate step).
        loss: ``"cross_entropy"`` or ``"mse"``.
        seed: seeds the mini-batch order (through
            :func:`~relu_course.device.derive_seed`); same seed, same
            machine: same history.
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
    _check_args(
        epochs,
        batch_size,
        lr,
        optimizer,
        (weight_decay, l1_weight, l1_activity),
        loss,
    )
    fn = _loss_fn(loss)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = _optimizer(params, optimizer, lr, momentum, weight_decay)
    weights = [p for _, p in weight_matrices(model)]
    x, y = data.x_train, data.y_train
    starts = _batches(len(x), batch_size, drop_last)
    gen = torch.Generator().manual_seed(derive_seed(seed))
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
        if not is_activation_module(layer):
            return False
    return True


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

    batched = vmap(one, randomness="different")
    return lambda x: batched(stacked, buffers, x)


def _choose_strategy(strategy: str, model: nn.Module, kwargs: dict) -> str:
    if strategy not in STRATEGIES:
        raise ValueError(f"strategy must be one of {STRATEGIES}, got {strategy!r}")
    needs_loop = kwargs["l1_activity"] > 0 or kwargs["callback"] is not None
    has_buffers = any(True for _ in model.buffers())
    if strategy == "auto":
        if (
            needs_loop
            or has_buffers
            or isinstance(model, nn.RNNBase)
            or any(isinstance(m, nn.RNNBase) for m in model.modules())
        ):
            return "loop"
        return "bmm" if _is_plain_mlp(model) else "vmap"
    if strategy != "loop" and needs_loop:
        raise ValueError(
            f"strategy={strategy!r} does not support l1_activity or callback; use strategy='loop'"
        )
    if strategy == "bmm" and not _is_plain_mlp(model):
        raise ValueError(
            "strategy='bmm' needs an nn.Sequential of Linear layers and element-wise activations"
        )
    return strategy


def fit_seeds(
    make_model: Callable[[], nn.Module],
    data: Split,
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
    loss: str = "cross_entropy",
    progress: bool | None = None,
    callback: Callable[[nn.Module, int], None] | None = None,
    drop_last: bool = False,
    strategy: str = "auto",
) -> SeedRuns:
    """Train one copy of ``make_model()`` per seed, all at once, and return
    a :class:`SeedRuns`.

    For seed ``s`` the copy is built after ``relu_course.seed(s)`` and its
    mini-batches are drawn as ``fit(..., seed=s)`` draws them, so copy ``k``
    reproduces ``seed(s); fit(make_model(), data, seed=s, ...)``. The other
    arguments are :func:`fit`'s. ``seeds`` is a count ``K`` (seeds
    ``0..K-1``) or the seeds themselves.

    ``strategy``:
        ``"bmm"``: plain MLPs (``Linear`` and element-wise activations):
        the K weight matrices are stacked and every layer is one batched
        matrix product. ``"vmap"``: other models without buffers (e.g. the
        CNN), through ``torch.func.vmap``. ``"loop"``: one :func:`fit` per
        seed; used for recurrent nets, models with buffers (batch norm), and
        for ``l1_activity`` or ``callback``. ``"auto"`` picks in that order.

    Example::

        >>> from relu_course import data, nets
        >>> runs = fit_seeds(lambda: nets.mlp(2, [8], 2), data.moons(200),
        ...                  seeds=3, epochs=2)
        >>> runs.strategy, runs.final("test_acc").shape
        ('bmm', (3,))
    """
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
        loss=loss,
        callback=callback,
        drop_last=drop_last,
    )
    _check_args(
        epochs,
        batch_size,
        lr,
        optimizer,
        (weight_decay, l1_weight, l1_activity),
        loss,
    )
    seed_list = tuple(range(seeds) if isinstance(seeds, (int, np.integer)) else seeds)
    if not seed_list:
        raise ValueError("seeds is empty")
    device = data.x_train.device
    models = []
    for s in seed_list:
        _seed_everything(s)
        models.append(make_model().to(device))
    chosen = _choose_strategy(strategy, models[0], kwargs)
    if chosen == "loop":
        histories = [
            fit(m, data, seed=s, progress=False, **kwargs) for m, s in zip(models, seed_list)
        ]
        return SeedRuns(seed_list, models, histories, "loop")
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
    if strategy == "bmm":
        forward = _bmm_forward(models[0], stacked)
    else:
        base = copy.deepcopy(models[0])
        forward = _vmap_forward(base, stacked, buffers)
    opt = _optimizer(params, optimizer, lr, momentum, weight_decay)
    fn = _loss_fn(loss)
    per_example = _per_example_loss(loss)
    x, y = data.x_train, data.y_train
    starts = _batches(len(x), batch_size, drop_last)
    gens = [torch.Generator().manual_seed(derive_seed(s)) for s in seed_list]
    hists = [History() for _ in models]
    done = [False] * k_models

    @torch.no_grad()
    def stacked_eval(xs, ys):
        out = forward(xs.unsqueeze(0).expand(k_models, *xs.shape))
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

    if not models or not all(_is_plain_mlp(m) for m in models):
        raise ValueError("fit_full_batch trains plain MLPs (Linear + activations)")
    if steps < 0 or not np.all(np.asarray(lr, dtype=float) > 0):
        raise ValueError("steps must be >= 0 and every lr > 0")
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {OPTIMIZERS}")
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
