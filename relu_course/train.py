r"""One training loop for every experiment in the course.

:func:`fit` trains a model on a :class:`~relu_course.data.Split` with mini-batch
SGD (or Adam), and records a :class:`History`. The objective is

.. math::

    L = \text{loss}(f(x), y) + \lambda_1 \sum_{\text{weights}} |w|
        + \lambda_a \sum_{\text{activation layers}} \overline{|h|}

where :math:`\overline{|h|}` is the batch mean of the summed absolute activations
of a layer (the L1 activity penalty of Glorot et al. 2011). L2 weight decay is
the optimiser's ``weight_decay``.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable

import torch
from torch import nn

from relu_course.data import Split
from relu_course.probe import capture
from relu_course.progress import progress as _progress

__all__ = ["History", "fit", "evaluate", "LOSSES", "OPTIMIZERS"]

LOSSES = ("cross_entropy", "mse")
OPTIMIZERS = ("sgd", "adam")


@dataclass
class History:
    """What :func:`fit` recorded. Epoch lists start with epoch 0 (before training)."""

    epoch: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    test_loss: list[float] = field(default_factory=list)
    test_acc: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)  # wall time of each epoch's training
    step_loss: list[float] = field(default_factory=list)  # every mini-batch's loss
    step_acc: list[float] = field(default_factory=list)  # every mini-batch's accuracy
    diverged: bool = False  # stopped early because the loss became NaN or inf

    def steps_to(self, acc: float, window: int = 1) -> int | None:
        """The first step (1-based) whose mini-batch accuracy reached ``acc``, or ``None``.

        With ``window=w > 1`` the test is on the running mean of the last ``w``
        mini-batch accuracies (over fewer at the start), e.g. one epoch's worth,
        which smooths out lucky batches: the training error a training loop reports.
        """
        if int(window) < 1:
            raise ValueError(f"window must be >= 1, got {window}")
        window = int(window)
        for i in range(1, len(self.step_acc) + 1):
            last = self.step_acc[max(0, i - window):i]
            if math.fsum(last) / len(last) >= acc:
                return i
        return None


def _loss_fn(loss: str) -> Callable:
    if loss == "cross_entropy":
        return nn.functional.cross_entropy
    if loss == "mse":
        return lambda out, y: nn.functional.mse_loss(out.reshape(y.shape), y)
    raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}")


def _accuracy(out: torch.Tensor, y: torch.Tensor, loss: str) -> float:
    if loss != "cross_entropy":
        return float("nan")
    return (out.argmax(dim=1) == y).float().mean().item()


@torch.no_grad()
def evaluate(model: nn.Module, x: torch.Tensor, y: torch.Tensor, loss: str = "cross_entropy",
             batch_size: int = 4096) -> tuple[float, float]:
    """Mean loss and accuracy (NaN for regression) of ``model`` on ``(x, y)``."""
    was_training = model.training
    model.eval()
    fn = _loss_fn(loss)
    outs = torch.cat([model(x[i:i + batch_size]) for i in range(0, len(x), batch_size)])
    model.train(was_training)
    return fn(outs, y).item(), _accuracy(outs, y, loss)


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
) -> History:
    """Train ``model`` on ``data`` in place and return its :class:`History`.

    The model and data must be on the same device. Mini-batches are drawn by a
    generator seeded with ``seed``, so the same seed on the same machine gives
    the same history. ``clip_grad`` clips the global gradient norm. ``callback(model,
    epoch)`` runs before training (epoch 0) and after every epoch. A loss that
    becomes NaN or inf stops training and sets ``History.diverged``.
    """
    if epochs < 0 or batch_size < 1:
        raise ValueError(f"need epochs >= 0 and batch_size >= 1, got {epochs}, {batch_size}")
    if lr <= 0:
        raise ValueError(f"lr must be > 0, got {lr}")
    if min(weight_decay, l1_weight, l1_activity) < 0:
        raise ValueError("penalties must be >= 0")
    fn = _loss_fn(loss)
    params = [p for p in model.parameters() if p.requires_grad]
    if optimizer == "sgd":
        opt = torch.optim.SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay)
    elif optimizer == "adam":
        opt = torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
    else:
        raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {optimizer!r}")
    weights = [p for name, p in model.named_parameters() if name.endswith("weight")]
    x, y = data.x_train, data.y_train
    n = len(x)
    gen = torch.Generator().manual_seed(seed)
    hist = History()

    def record(epoch: int, seconds: float) -> None:
        tr = evaluate(model, x, y, loss)
        te = evaluate(model, data.x_test, data.y_test, loss)
        hist.epoch.append(epoch)
        hist.train_loss.append(tr[0]); hist.train_acc.append(tr[1])
        hist.test_loss.append(te[0]); hist.test_acc.append(te[1])
        hist.seconds.append(seconds)
        if callback is not None:
            callback(model, epoch)

    record(0, 0.0)
    bar = _progress(range(1, epochs + 1), progress, desc="training", unit="epoch", leave=False)
    model.train()
    for epoch in bar:
        start = time.perf_counter()
        order = torch.randperm(n, generator=gen).to(x.device)
        for i in range(0, n, batch_size):
            idx = order[i:i + batch_size]
            with capture(model, enabled=l1_activity > 0) as acts:
                out = model(x[idx])
            batch_loss = fn(out, y[idx])
            objective = batch_loss
            if l1_weight > 0:
                objective = objective + l1_weight * sum(w.abs().sum() for w in weights)
            if l1_activity > 0:
                objective = objective + l1_activity * sum(
                    h.abs().sum() / h.shape[0] for h in acts.values())
            opt.zero_grad(set_to_none=True)
            objective.backward()
            if clip_grad is not None:
                nn.utils.clip_grad_norm_(params, clip_grad)
            opt.step()
            value = batch_loss.item()
            hist.step_loss.append(value)
            hist.step_acc.append(_accuracy(out.detach(), y[idx], loss))
            if not math.isfinite(value):
                hist.diverged = True
                break
        record(epoch, time.perf_counter() - start)
        if hasattr(bar, "set_postfix"):
            bar.set_postfix(loss=f"{hist.train_loss[-1]:.3f}")
        if hist.diverged:
            break
    return hist
