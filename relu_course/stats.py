r"""What a verdict rests on: summaries over seeds, paired differences with
confidence intervals, and learning rates chosen on a validation split.

A training comparison in the course runs each arm with :math:`K` seeds
(:func:`relu_course.train.fit_seeds` makes that cheap) and asserts the claim's
*direction* on an interval, never a band around one run's number::

    >>> relu = [0.95, 0.96, 0.94, 0.95, 0.96]
    >>> tanh = [0.93, 0.95, 0.92, 0.94, 0.93]
    >>> diff = paired_difference(relu, tanh)
    >>> diff.above(0.0)          # the whole 95% interval lies above 0
    True
    >>> print(diff)
    +0.0180 [+0.0076, +0.0284] (5 seeds, 5/5 > 0)

The interval is Student's :math:`t` interval of a mean,

.. math::

    \bar d \pm t_{0.975,\,K-1} \, \frac{s_d}{\sqrt{K}},

with :math:`s_d` the sample standard deviation of the :math:`K` values. For a
paired comparison the values are the per-seed differences, so what the two
arms share (the seed's data order, or the same initialisation) cancels.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import stats as _scipy_stats

__all__ = [
    "Interval",
    "mean_interval",
    "paired_difference",
    "ratio_interval",
    "LRSelection",
    "select_lr",
]


def _values(values, what: str = "values") -> np.ndarray:
    arr = np.asarray(values, dtype=np.float64).reshape(-1)
    if arr.size == 0:
        raise ValueError(f"{what} is empty")
    if np.isnan(arr).any():
        raise ValueError(f"{what} contain NaN (a diverged run?): score it explicitly first")
    if np.isinf(arr).any():
        raise ValueError(f"{what} contain inf (a diverged run?): score it explicitly first")
    return arr


@dataclass(frozen=True)
class Interval:
    """A mean over ``n`` values with a two-sided confidence interval.

    ``low``/``high`` are the interval's ends; ``values`` the values it was
    computed from (per seed). With one value the interval is that value,
    infinitely wide: nothing can be concluded from it.

    ``null`` is the value of "no effect" on the interval's scale: 0 for a
    mean or a difference, 1 for a ratio (:func:`ratio_interval`, whose ``se``
    is the standard error of the mean *log* ratio, ``scale == "ratio"``).
    ``degenerate``: more than one value and all equal, so the interval has
    zero width. Such an interval is no evidence of precision (e.g. paired
    accuracies on a small test set that happen to coincide) and
    :func:`relu_course.claims.verdict` refuses it.
    """

    mean: float
    low: float
    high: float
    n: int
    se: float
    confidence: float = 0.95
    values: tuple[float, ...] = field(default=(), repr=False)
    null: float = 0.0
    scale: str = "difference"

    @property
    def degenerate(self) -> bool:
        """More than one value, all equal: a zero-width interval that proves nothing."""
        return self.n > 1 and self.se == 0.0

    def above(self, threshold: float = 0.0) -> bool:
        """The whole interval lies above ``threshold`` (strictly)."""
        return bool(self.low > threshold)

    def below(self, threshold: float = 0.0) -> bool:
        """The whole interval lies below ``threshold`` (strictly)."""
        return bool(self.high < threshold)

    def excludes(self, value: float) -> bool:
        """``value`` lies outside the interval."""
        return bool(value < self.low or value > self.high)

    def contains(self, value: float) -> bool:
        """``value`` lies inside the interval (ends included)."""
        return not self.excludes(value)

    def count(self, predicate: Callable[[float], bool]) -> int:
        """How many of the values satisfy ``predicate`` (e.g. ``lambda d: d > 0``)."""
        return int(sum(bool(predicate(v)) for v in self.values))

    def count_above(self, threshold: float = 0.0) -> int:
        """How many of the values lie above ``threshold``."""
        return self.count(lambda v: v > threshold)

    def count_below(self, threshold: float = 0.0) -> int:
        """How many of the values lie below ``threshold``."""
        return self.count(lambda v: v < threshold)

    def format(self, digits: int = 4, sign: bool = True) -> str:
        """``mean [low, high]`` with ``digits`` decimals."""
        spec = f"{'+' if sign else ''}.{digits}f"
        return f"{self.mean:{spec}} [{self.low:{spec}}, {self.high:{spec}}]"

    def __str__(self) -> str:
        if self.scale == "ratio":
            text = f"x{self.format(sign=False)} ({self.n} seeds"
        else:
            text = f"{self.format()} ({self.n} seeds"
        if self.values:
            text += f", {self.count_above(self.null)}/{self.n} > {self.null:g}"
        if self.degenerate:
            text += ", all equal"
        return text + ")"

    def describe(
        self, digits: int = 2, unit: str = "", percent: bool = False, n_label: str = "seeds"
    ) -> str:
        """The interval in words, for a sentence: ``"0.028 (95% interval 0.008 to
        0.049, 5 seeds)"``; ``percent=True`` shows values times 100 with ``%``
        (or ``unit``), e.g. for accuracies."""
        k = 100.0 if percent else 1.0
        unit = unit or ("%" if percent else "")
        if self.scale == "ratio":
            mean, low, high, unit = self.mean, self.low, self.high, unit or "x"
        else:
            mean, low, high = self.mean * k, self.low * k, self.high * k

        def num(v: float) -> str:
            return f"{v:.{digits}f}{unit}"

        level = f"{self.confidence * 100:g}%"
        return f"{num(mean)} ({level} interval {num(low)} to {num(high)}, {self.n} {n_label})"


def mean_interval(values: Sequence[float], confidence: float = 0.95) -> Interval:
    r"""Mean of ``values`` with its Student-:math:`t` confidence interval.

    Parameters:
        values: one number per seed (any shape; flattened). NaN is an error:
            a diverged run must be handled before (e.g. scored as chance).
        confidence: the interval's coverage, in (0, 1).

    Returns an :class:`Interval`; its ``se`` is :math:`s/\sqrt{n}`.

    Example::

        >>> iv = mean_interval([1.0, 2.0, 3.0])
        >>> round(iv.mean, 3), round(iv.low, 3), round(iv.high, 3)
        (2.0, -0.484, 4.484)
    """
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}")
    arr = _values(values)
    n, mean = arr.size, float(arr.mean())
    if n == 1:
        return Interval(mean, -math.inf, math.inf, 1, math.inf, confidence, (mean,))
    se = float(arr.std(ddof=1) / math.sqrt(n))
    half = float(_scipy_stats.t.ppf(0.5 + confidence / 2, df=n - 1)) * se
    return Interval(
        mean, mean - half, mean + half, n, se, confidence, tuple(float(v) for v in arr)
    )


def paired_difference(
    a: Sequence[float], b: Sequence[float], confidence: float = 0.95
) -> Interval:
    """The interval of the mean of ``a[k] - b[k]`` over paired seeds ``k``.

    ``a`` and ``b`` must have the same length: run ``k`` of each arm shares
    seed ``k`` (data order, and initialisation where the arms allow it).

    Example::

        >>> paired_difference([3.0, 4.0, 5.0], [1.0, 2.5, 3.0]).mean
        1.8333333333333333
    """
    shape_a, shape_b = np.shape(a), np.shape(b)
    if shape_a != shape_b:
        raise ValueError(f"paired values need the same shape, got {shape_a} and {shape_b}")
    a_arr, b_arr = _values(a, "a"), _values(b, "b")
    return mean_interval(a_arr - b_arr, confidence)


def ratio_interval(a: Sequence[float], b: Sequence[float], confidence: float = 0.95) -> Interval:
    """The interval of the geometric mean of ``a[k] / b[k]`` (paired seeds).

    Computed on logarithms (a ratio's natural scale) and mapped back, so
    ``low``/``high`` are ratios; ``values`` holds the per-seed ratios. Both
    inputs must be positive.

    Example::

        >>> round(ratio_interval([2.0, 4.0, 8.0], [1.0, 2.0, 4.0]).mean, 6)
        2.0
    """
    shape_a, shape_b = np.shape(a), np.shape(b)
    if shape_a != shape_b:
        raise ValueError(f"paired values need the same shape, got {shape_a} and {shape_b}")
    a_arr, b_arr = _values(a, "a"), _values(b, "b")
    if (a_arr <= 0).any() or (b_arr <= 0).any():
        raise ValueError("ratio_interval needs positive values")
    log = paired_difference(np.log(a_arr), np.log(b_arr), confidence)
    return Interval(
        math.exp(log.mean),
        math.exp(log.low),
        math.exp(log.high),
        log.n,
        log.se,
        confidence,
        tuple(float(v) for v in a_arr / b_arr),
        null=1.0,
        scale="ratio",
    )


@dataclass(frozen=True)
class LRSelection:
    """The result of :func:`select_lr`.

    ``grid``: the learning rates tried, ascending; ``scores``: the mean
    validation score of each (NaN-free: a diverged run scores ``worst``);
    ``per_seed``: each rate's per-seed scores; ``best``: the chosen rate;
    ``edge``: ``"low"`` or ``"high"`` when the best rate is the grid's
    smallest or largest value (the grid does not bracket the optimum, so
    widen it), else ``None``.
    """

    grid: tuple[float, ...]
    scores: tuple[float, ...]
    per_seed: tuple[tuple[float, ...], ...]
    best: float
    edge: str | None
    higher_is_better: bool = True

    @property
    def on_edge(self) -> bool:
        """The best rate is the smallest or largest on the grid."""
        return self.edge is not None

    @property
    def best_score(self) -> float:
        return self.scores[self.grid.index(self.best)]

    def __str__(self) -> str:
        cells = ", ".join(f"{lr:g}: {s:.4f}" for lr, s in zip(self.grid, self.scores))
        where = f"on the grid's {self.edge} edge" if self.edge else "inside"
        return f"best lr {self.best:g} ({where}); {cells}"


def select_lr(
    run: Callable[[object, float], Sequence[float] | float],
    data,
    grid: Sequence[float],
    val_fraction: float = 0.2,
    seed: int = 0,
    higher_is_better: bool = True,
    worst: float | None = None,
    require_interior: bool = False,
    widen: int = 0,
) -> LRSelection:
    """Choose a learning rate on a validation split carved from the training
    data; the test set is never seen.

    Parameters:
        run: ``run(split, lr)`` trains on ``split.x_train`` and returns the
            validation score(s) measured on ``split.x_test`` (here the
            validation part): one number or one per seed (averaged).
        data: a :class:`relu_course.data.Split`; only its training part is
            used (see :func:`relu_course.data.validation_split`).
        grid: the learning rates to try (any order; duplicates removed).
        val_fraction, seed: the size and seed of the validation split.
        higher_is_better: accuracy (True) or loss (False).
        worst: the score a NaN (diverged) run gets; default 0 when higher
            is better, ``inf`` otherwise.
        require_interior: raise ``ValueError`` when the best rate is on the
            grid's edge instead of only reporting it in ``edge``.
        widen: while the best rate is on an edge, extend the grid on that
            side by one rate (the edge rate times the ratio of the two
            outermost rates on that side), at most ``widen`` times; rates
            already tried are not rerun. The returned grid holds every rate
            tried.

    Returns an :class:`LRSelection` with every rate's scores.

    Example::

        >>> from relu_course import data
        >>> moons = data.moons(200)
        >>> sel = select_lr(lambda split, lr: -abs(lr - 0.1), moons,
        ...                 [0.01, 0.03, 0.1, 0.3, 1.0])
        >>> sel.best, sel.edge
        (0.1, None)
    """
    from relu_course.data import validation_split

    rates = sorted({float(lr) for lr in grid})
    if len(rates) < 3:
        raise ValueError(f"a grid that can bracket the best needs >= 3 rates, got {rates}")
    if any(lr <= 0 for lr in rates):
        raise ValueError(f"learning rates must be > 0, got {rates}")
    if worst is None:
        worst = 0.0 if higher_is_better else math.inf
    if int(widen) != widen or widen < 0:
        raise ValueError(f"widen must be a non-negative integer, got {widen!r}")
    split = validation_split(data, val_fraction, seed)
    tried: dict[float, np.ndarray] = {}

    def score(lr: float) -> np.ndarray:
        if lr not in tried:
            values = np.asarray(run(split, lr), dtype=np.float64).reshape(-1)
            tried[lr] = np.where(np.isfinite(values), values, worst)
        return tried[lr]

    for attempt in range(int(widen) + 1):
        means = [float(score(lr).mean()) for lr in rates]
        pick = int(np.argmax(means) if higher_is_better else np.argmin(means))
        edge = "low" if pick == 0 else "high" if pick == len(rates) - 1 else None
        if edge is None or attempt == widen:
            break
        if edge == "low":
            rates.insert(0, rates[0] * rates[0] / rates[1])
        else:
            rates.append(rates[-1] * rates[-1] / rates[-2])
    per_seed = [tuple(float(v) for v in score(lr)) for lr in rates]
    sel = LRSelection(
        tuple(rates), tuple(means), tuple(per_seed), rates[pick], edge, higher_is_better
    )
    if require_interior and edge is not None:
        raise ValueError(f"widen the grid: {sel}")
    return sel
