"""Datasets that need no download: scikit-learn's bundled digits and small synthetic sets.

Every loader returns a :class:`Split` of float32 feature tensors and int64 (or
float32, for regression) target tensors on the requested device.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import torch
from sklearn.datasets import load_digits, make_moons
from sklearn.model_selection import train_test_split

from relu_course.device import stream_seed

__all__ = ["Split", "validation_split", "digits", "moons", "xor", "spirals", "SCALINGS"]

#: Input scalings for :func:`digits`: raw pixel values 0..16, [0, 1], or standardised per feature.
SCALINGS = ("raw", "unit", "standard")


class Split(NamedTuple):
    """A train/test split of tensors: ``x_train, y_train, x_test, y_test``."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor

    @property
    def input_shape(self) -> tuple[int, ...]:
        """The shape of one input: ``(features,)``, ``(channels, height, width)`` for
        images, ``(steps, channels)`` for sequences."""
        return tuple(int(n) for n in self.x_train.shape[1:])

    @property
    def n_features(self) -> int:
        r"""Numbers per input, :math:`\prod` ``input_shape``: 64 for the digits as
        vectors and as 1x8x8 images, ``steps * channels`` for a sequence."""
        return math.prod(self.input_shape)

    @property
    def n_classes(self) -> int:
        """The number of classes, 1 + the largest label; ``ValueError`` for a
        regression (floating-point targets)."""
        if self.y_train.is_floating_point():
            raise ValueError("n_classes: this split is a regression (floating-point targets)")
        return int(torch.cat([self.y_train, self.y_test]).max().item()) + 1

    def to(self, device: torch.device | str) -> Split:
        """The same split on another device."""
        return Split(*(t.to(device) for t in self))


def validation_split(data: Split, fraction: float = 0.2, seed: int = 0) -> Split:
    """Carve a validation set out of ``data``'s training part.

    Returns a :class:`Split` whose ``x_train, y_train`` are the rest of the
    training data and whose ``x_test, y_test`` are the validation examples,
    so the same training code tunes on it without ever touching the test set.
    The held-out examples are a seeded random ``fraction`` of the training set
    (from the ``"split"`` stream of :func:`~relu_course.device.stream_seed`).

    Example::

        >>> d = digits()
        >>> v = validation_split(d, 0.2)
        >>> len(v.x_train) + len(v.x_test) == len(d.x_train)
        True
    """
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"fraction must be in (0, 1), got {fraction!r}")
    n = len(data.x_train)
    n_val = int(round(n * fraction))
    if not 1 <= n_val <= n - 1:
        raise ValueError(f"fraction={fraction} of {n} examples leaves an empty part")
    gen = torch.Generator().manual_seed(stream_seed(seed, "split"))
    order = torch.randperm(n, generator=gen).to(data.x_train.device)
    val, rest = order[:n_val], order[n_val:]
    return Split(data.x_train[rest], data.y_train[rest], data.x_train[val], data.y_train[val])


def _as_split(x_tr, x_te, y_tr, y_te, device) -> Split:
    return Split(
        torch.as_tensor(x_tr, dtype=torch.float32, device=device),
        torch.as_tensor(y_tr, dtype=torch.int64, device=device),
        torch.as_tensor(x_te, dtype=torch.float32, device=device),
        torch.as_tensor(y_te, dtype=torch.int64, device=device),
    )


def digits(
    scaling: str = "standard",
    test_size: float = 0.25,
    seed: int = 0,
    device: torch.device | str = "cpu",
    image: bool = False,
    min_std: float = 0.0,
) -> Split:
    """scikit-learn's bundled 8x8 digits (1,797 images, 10 classes), split and scaled.

    ``scaling``: ``"raw"`` keeps pixel values 0..16; ``"unit"`` divides by 16;
    ``"standard"`` subtracts the training mean and divides by the training
    standard deviation per pixel (constant pixels are left at 0). The split is
    stratified and seeded (``seed`` goes through
    :func:`~relu_course.device.stream_seed`'s ``"data"`` stream, so the base seed moves it).
    ``min_std`` floors the per-pixel standard deviation used by
    ``"standard"`` (in raw pixel units, 0..16): a pixel that is nearly constant
    in the training images would otherwise turn a rare test value into a
    feature of tens of standard deviations. ``image=True`` returns inputs of shape (N, 1, 8, 8)
    for convolutional networks, otherwise (N, 64).
    """
    if scaling not in SCALINGS:
        raise ValueError(f"scaling must be one of {SCALINGS}, got {scaling!r}")
    if not 0.0 < test_size < 1.0:
        raise ValueError(f"test_size must be in (0, 1), got {test_size!r}")
    bunch = load_digits()
    x = bunch.data.astype(np.float64)
    x_tr, x_te, y_tr, y_te = train_test_split(
        x,
        bunch.target,
        test_size=test_size,
        random_state=stream_seed(seed, "data"),
        stratify=bunch.target,
    )
    if scaling == "unit":
        x_tr, x_te = x_tr / 16.0, x_te / 16.0
    elif scaling == "standard":
        mean, std = x_tr.mean(axis=0), x_tr.std(axis=0)
        if min_std < 0:
            raise ValueError(f"min_std must be >= 0, got {min_std!r}")
        std = np.where(std > 0, np.maximum(std, min_std), 1.0)
        x_tr, x_te = (x_tr - mean) / std, (x_te - mean) / std
    split = _as_split(x_tr, x_te, y_tr, y_te, device)
    if image:
        split = Split(
            split.x_train.reshape(-1, 1, 8, 8),
            split.y_train,
            split.x_test.reshape(-1, 1, 8, 8),
            split.y_test,
        )
    return split


def moons(
    n: int = 1000,
    noise: float = 0.2,
    test_size: float = 0.25,
    seed: int = 0,
    device: torch.device | str = "cpu",
) -> Split:
    """scikit-learn's two interleaving half-moons in 2-D, two classes, seeded."""
    if n < 4:
        raise ValueError(f"n must be at least 4, got {n}")
    seed = stream_seed(seed, "data")
    x, y = make_moons(n_samples=n, noise=noise, random_state=seed)
    return _as_split(
        *train_test_split(x, y, test_size=test_size, random_state=seed), device=device
    )


def xor(
    n: int = 1000,
    noise: float = 0.1,
    test_size: float = 0.25,
    seed: int = 0,
    device: torch.device | str = "cpu",
) -> Split:
    """The XOR problem: four Gaussian blobs at (+-1, +-1); label 1 where the signs differ."""
    if n < 4:
        raise ValueError(f"n must be at least 4, got {n}")
    seed = stream_seed(seed, "data")
    rng = np.random.default_rng(seed)
    centres = rng.choice([-1.0, 1.0], size=(n, 2))
    x = centres + noise * rng.standard_normal((n, 2))
    y = (centres[:, 0] != centres[:, 1]).astype(np.int64)
    return _as_split(
        *train_test_split(x, y, test_size=test_size, random_state=seed), device=device
    )


def spirals(
    n: int = 1000,
    turns: float = 1.5,
    noise: float = 0.05,
    test_size: float = 0.25,
    seed: int = 0,
    device: torch.device | str = "cpu",
) -> Split:
    """Two interleaved spirals in 2-D (radius grows with angle), two classes, seeded."""
    if n < 4:
        raise ValueError(f"n must be at least 4, got {n}")
    seed = stream_seed(seed, "data")
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, size=n)
    t = rng.uniform(0.05, 1.0, size=n)
    angle = 2 * np.pi * turns * t + np.pi * y
    x = np.stack([t * np.cos(angle), t * np.sin(angle)], axis=1)
    x = x + noise * rng.standard_normal(x.shape)
    return _as_split(
        *train_test_split(x, y, test_size=test_size, random_state=seed), device=device
    )


def adding_problem(
    n: int = 2000,
    seq_len: int = 50,
    seed: int = 0,
    device: torch.device | str = "cpu",
    test_size: float = 0.25,
) -> Split:
    r"""The adding problem (Hochreiter & Schmidhuber 1997; Le et al. 2015): a regression
    over long sequences.

    Each sequence has ``seq_len`` steps of two inputs: a value :math:`u_t \sim U(0, 1)`
    and a marker :math:`m_t \in \{0, 1\}` that is 1 at exactly two steps, one drawn
    uniformly from the first half of the sequence and one from the second half. The
    target is the sum of the two marked values, :math:`y = \sum_t m_t u_t \in [0, 2]`.
    Always predicting the mean, 1, gives a mean squared error of
    :math:`\mathrm{Var}[u_a + u_b] = 2/12 = 1/6 \approx 0.167`: the baseline to beat.

    Shapes: ``x`` is (N, seq_len, 2) float32 (batch first, channel 0 the values,
    channel 1 the markers); ``y`` is (N,) float32. ``n`` sequences are drawn with a
    NumPy generator seeded with ``seed``; the last ``round(n * test_size)`` form the
    test set. Train with ``loss="mse"``.

    Example::

        >>> split = adding_problem(100, seq_len=20)
        >>> split.x_train.shape, split.y_train.dtype
        (torch.Size([75, 20, 2]), torch.float32)
    """
    if int(seq_len) != seq_len or seq_len < 2:
        raise ValueError(f"seq_len must be an integer >= 2, got {seq_len!r}")
    if int(n) != n or n < 2:
        raise ValueError(f"n must be an integer >= 2, got {n!r}")
    if not 0.0 < test_size < 1.0:
        raise ValueError(f"test_size must be in (0, 1), got {test_size!r}")
    n, seq_len = int(n), int(seq_len)
    n_test = int(round(n * test_size))
    if not 1 <= n_test <= n - 1:
        raise ValueError(f"n={n} with test_size={test_size} leaves an empty train or test set")
    seed = stream_seed(seed, "data")
    rng = np.random.default_rng(seed)
    values = rng.uniform(0.0, 1.0, size=(n, seq_len))
    half = seq_len // 2
    first = rng.integers(0, half, size=n)
    second = rng.integers(half, seq_len, size=n)
    markers = np.zeros((n, seq_len))
    markers[np.arange(n), first] = 1.0
    markers[np.arange(n), second] = 1.0
    x = torch.as_tensor(np.stack([values, markers], axis=2), dtype=torch.float32, device=device)
    y = torch.as_tensor((values * markers).sum(axis=1), dtype=torch.float32, device=device)
    cut = n - n_test
    return Split(x[:cut], y[:cut], x[cut:], y[cut:])


__all__ += ["adding_problem"]
