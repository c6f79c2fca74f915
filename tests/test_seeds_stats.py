"""Base seed, multi-seed training, statistics and verdict rules."""

from __future__ import annotations

import copy
import math
import os

import numpy as np
import pytest
import torch
from scipy import stats as scipy_stats
from torch import nn

from relu_course import data, device, nets, stats, train
from relu_course.claims import ClaimsTable

# ------------------------------------------------------------------ base seed


def test_base_seed_defaults_to_zero(monkeypatch):
    monkeypatch.delenv("RELU_COURSE_SEED", raising=False)
    assert device.base_seed() == 0
    assert device.derive_seed(7) == 7
    monkeypatch.setenv("RELU_COURSE_SEED", "  ")
    assert device.base_seed() == 0


def test_base_seed_shifts_every_seed(monkeypatch):
    monkeypatch.setenv("RELU_COURSE_SEED", "2")
    assert device.base_seed() == 2
    assert device.derive_seed(7) == 7 + 2 * device.SEED_STRIDE
    # seeds of different base seeds never collide for the seeds chapters use
    monkeypatch.setenv("RELU_COURSE_SEED", "1")
    shifted = {device.derive_seed(n) for n in range(1000)}
    monkeypatch.setenv("RELU_COURSE_SEED", "0")
    assert shifted.isdisjoint(device.derive_seed(n) for n in range(1000))


@pytest.mark.parametrize("bad", ["abc", "1.5", "0x10"])
def test_base_seed_rejects_non_integers(monkeypatch, bad):
    monkeypatch.setenv("RELU_COURSE_SEED", bad)
    with pytest.raises(ValueError, match="RELU_COURSE_SEED"):
        device.base_seed()
    with pytest.raises(ValueError, match="RELU_COURSE_SEED"):
        device.seed(0)


def test_negative_and_large_base_seeds_stay_valid_for_numpy(monkeypatch):
    for base in ("-3", "123456789"):
        monkeypatch.setenv("RELU_COURSE_SEED", base)
        s = device.derive_seed(5)
        assert 0 <= s < 2**32
        np.random.default_rng(s)  # accepted
        device.seed(5)


def test_base_seed_changes_torch_draws_data_splits_and_batches(monkeypatch):
    monkeypatch.setenv("RELU_COURSE_SEED", "0")
    device.seed(0)
    a = torch.rand(3)
    split_a = data.digits()
    moons_a = data.moons(100)
    monkeypatch.setenv("RELU_COURSE_SEED", "1")
    device.seed(0)
    b = torch.rand(3)
    split_b = data.digits()
    moons_b = data.moons(100)
    assert not torch.equal(a, b)
    assert not torch.equal(split_a.y_test, split_b.y_test)
    assert not torch.equal(moons_a.x_train, moons_b.x_train)


def test_package_simulations_and_fixed_filters_follow_the_base_seed(monkeypatch):
    """Draws that take a ``seed=`` argument shift with the base seed too (same seed, new draw)."""
    from relu_course import theory

    def draws():
        filters = nets.fixed_filter_net("relu", n_filters=4, seed=3)[0].weight.clone()
        dead = theory.born_dead_fraction(3, [8], n_networks=200, seed=5)
        return filters, dead

    monkeypatch.setenv("RELU_COURSE_SEED", "0")
    filters_0, dead_0 = draws()
    assert torch.equal(filters_0, draws()[0])  # same base seed, same filters
    monkeypatch.setenv("RELU_COURSE_SEED", "1")
    filters_1, dead_1 = draws()
    assert not torch.equal(filters_0, filters_1)
    assert not np.array_equal(dead_0, dead_1)


def test_fit_uses_the_base_seed_for_batches(monkeypatch):
    split = data.moons(200)

    def run():
        device.seed(0)
        return train.fit(nets.mlp(2, [8], 2), split, epochs=1).step_loss

    monkeypatch.setenv("RELU_COURSE_SEED", "0")
    first = run()
    assert run() == first
    monkeypatch.setenv("RELU_COURSE_SEED", "4")
    assert run() != first


def test_seed_makes_gpu_arithmetic_deterministic():
    # settings a previous cell (or library) may have changed are set back by seed()
    torch.backends.cudnn.deterministic = False
    torch.backends.cudnn.benchmark = True
    torch.backends.cuda.matmul.allow_tf32 = True
    device.seed(0)
    assert torch.backends.cudnn.deterministic
    assert not torch.backends.cudnn.benchmark
    assert not torch.backends.cuda.matmul.allow_tf32
    assert os.environ[device.CUBLAS_ENV_VAR]  # cuBLAS's fixed workspace, set at import
    assert torch.are_deterministic_algorithms_enabled() == torch.cuda.is_available()


# ------------------------------------------------------- validation split


def test_validation_split_never_touches_the_test_set():
    d = data.digits()
    v = data.validation_split(d, 0.2, seed=1)
    assert len(v.x_train) + len(v.x_test) == len(d.x_train)
    assert len(v.x_test) == round(0.2 * len(d.x_train))
    rows = {tuple(r) for r in d.x_train.tolist()}
    assert all(tuple(r) in rows for r in v.x_test.tolist())
    with pytest.raises(ValueError):
        data.validation_split(d, 1.0)


def test_digits_min_std_floors_the_scale():
    raw = data.digits(scaling="standard")
    floored = data.digits(scaling="standard", min_std=1.0)
    assert floored.x_test.abs().max() < raw.x_test.abs().max()
    assert floored.x_test.abs().max() <= 16.0 + 1e-4
    with pytest.raises(ValueError):
        data.digits(min_std=-1.0)


# -------------------------------------------------------------- statistics


def test_mean_interval_matches_scipy():
    values = [0.91, 0.93, 0.95, 0.92, 0.97]
    iv = stats.mean_interval(values)
    low, high = scipy_stats.t.interval(
        0.95, df=4, loc=np.mean(values), scale=scipy_stats.sem(values)
    )
    assert iv.low == pytest.approx(low)
    assert iv.high == pytest.approx(high)
    assert iv.n == 5 and iv.se == pytest.approx(scipy_stats.sem(values))


def test_mean_interval_of_one_value_decides_nothing():
    iv = stats.mean_interval([0.5])
    assert not iv.above(0.0) and not iv.below(1.0)


def test_mean_interval_rejects_nan_and_empty():
    with pytest.raises(ValueError, match="NaN"):
        stats.mean_interval([1.0, math.nan])
    with pytest.raises(ValueError):
        stats.mean_interval([])


def test_paired_difference_cancels_what_the_pairs_share():
    rng = np.random.default_rng(0)
    shared = rng.normal(0, 1.0, 10)  # large seed-to-seed spread
    a, b = shared + 0.1, shared + rng.normal(0, 0.01, 10)
    assert stats.paired_difference(a, b).above(0.0)
    # unpaired, the spread would swamp the effect
    assert stats.mean_interval(a).contains(np.mean(b))
    with pytest.raises(ValueError, match="same shape"):
        stats.paired_difference([1, 2], [1, 2, 3])


def test_interval_direction_and_counts():
    iv = stats.paired_difference([0.3, 0.25, 0.35], [0.1, 0.1, 0.1])
    assert iv.above(0) and not iv.below(0) and iv.excludes(0)
    assert iv.count_above(0) == 3 and iv.count_below(0) == 0
    assert "3 seeds" in str(iv)


def test_ratio_interval_is_geometric():
    iv = stats.ratio_interval([2.0, 4.0, 8.0], [1.0, 2.0, 4.0])
    assert iv.mean == pytest.approx(2.0)
    with pytest.raises(ValueError):
        stats.ratio_interval([1.0, -1.0], [1.0, 1.0])


def test_select_lr_reports_the_edge():
    split = data.moons(200)

    def peak_at(best):
        return lambda s, lr: [-abs(math.log(lr / best))] * 3

    grid = [0.01, 0.1, 1.0]
    inside = stats.select_lr(peak_at(0.1), split, grid)
    assert inside.best == 0.1 and inside.edge is None and not inside.on_edge
    high = stats.select_lr(peak_at(10.0), split, grid)
    assert high.best == 1.0 and high.edge == "high"
    low = stats.select_lr(peak_at(1e-4), split, grid)
    assert low.edge == "low"
    with pytest.raises(ValueError, match="widen"):
        stats.select_lr(peak_at(10.0), split, grid, require_interior=True)
    assert len(inside.scores) == 3 and len(inside.per_seed[0]) == 3


def test_select_lr_scores_divergence_as_worst_and_sees_no_test_data():
    d = data.digits()
    seen = []

    def run(split, lr):
        seen.append(len(split.x_test))
        return [math.nan] if lr > 0.5 else [lr]

    sel = stats.select_lr(run, d, [0.1, 0.3, 1.0])
    assert sel.best == 0.3 and sel.scores[-1] == 0.0
    assert set(seen) == {round(0.2 * len(d.x_train))}
    with pytest.raises(ValueError, match=">= 3"):
        stats.select_lr(run, d, [0.1, 0.3])


def test_select_lr_for_losses():
    sel = stats.select_lr(
        lambda s, lr: (lr - 0.3) ** 2,
        data.moons(100),
        [0.1, 0.3, 1.0],
        higher_is_better=False,
    )
    assert sel.best == 0.3


# ----------------------------------------------------------------- verdicts


def test_inconclusive_needs_a_reason():
    table = ClaimsTable("x")
    with pytest.raises(ValueError, match="why"):
        table.check("c", "000", "m", "inconclusive", True)
    table.check("c", "000", "m", "inconclusive", True, why="at this scale")
    assert "**inconclusive** (at this scale)" in table.markdown()
    assert table.counts()["inconclusive"] == 1


def test_seeds_and_agreement_are_recorded_and_validated():
    table = ClaimsTable("x")
    table.check("c", "000", "m", "confirmed", True, seeds=5, agree=4)
    assert "| 4/5 |" in table.markdown()
    table.check("d", "000", "m", "confirmed", True)
    assert "| - |" in table.markdown()
    for bad in (dict(seeds=0), dict(agree=1), dict(seeds=3, agree=4)):
        with pytest.raises(ValueError):
            table.check("e", "000", "m", "confirmed", True, **bad)


def test_a_verdict_the_evidence_does_not_support_fails():
    with pytest.raises(AssertionError, match="no longer supports"):
        ClaimsTable("x").check("c", "000", "m", "confirmed", False, seeds=3)


# ----------------------------------------------------- training, many seeds


def _mlp():
    return nets.mlp(64, [32, 32], 10)


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(lr=0.05),
        dict(lr=0.05, momentum=0.9, clip_grad=0.5, l1_weight=1e-4),
        dict(lr=0.01, optimizer="adam", weight_decay=1e-3, drop_last=True),
    ],
)
def test_batched_copies_equal_separate_runs(kwargs):
    split = data.digits()
    runs = train.fit_seeds(_mlp, split, seeds=[0, 5, 9], epochs=2, **kwargs)
    assert runs.strategy == "bmm"
    for s, hist, model in zip(runs.seeds, runs.histories, runs.models):
        device.seed(s)
        alone = _mlp()
        ref = train.fit(alone, split, epochs=2, seed=s, **kwargs)
        np.testing.assert_allclose(hist.step_loss, ref.step_loss, atol=1e-4)
        np.testing.assert_allclose(hist.test_acc, ref.test_acc, atol=2e-3)
        for p, q in zip(model.parameters(), alone.parameters()):
            torch.testing.assert_close(p, q, atol=1e-4, rtol=1e-4)


def test_vmap_copies_of_a_cnn_equal_separate_runs():
    split = data.digits(image=True)
    make = lambda: nets.cnn(channels=(4,), hidden=16)  # noqa: E731
    runs = train.fit_seeds(make, split, seeds=2, epochs=1, lr=0.05)
    assert runs.strategy == "vmap"
    for s, hist in zip(runs.seeds, runs.histories):
        device.seed(s)
        ref = train.fit(make(), split, epochs=1, seed=s, lr=0.05)
        np.testing.assert_allclose(hist.step_loss, ref.step_loss, atol=1e-4)


def test_recurrent_nets_and_activity_penalties_use_the_loop():
    split = data.adding_problem(64, seq_len=5)
    runs = train.fit_seeds(
        lambda: nets.rnn(2, 8, 1),
        split,
        seeds=2,
        epochs=1,
        loss="mse",
        lr=0.01,
    )
    assert runs.strategy == "loop"
    runs = train.fit_seeds(_mlp, data.digits(), seeds=2, epochs=1, l1_activity=1e-4)
    assert runs.strategy == "loop"
    with pytest.raises(ValueError, match="loop"):
        train.fit_seeds(_mlp, data.digits(), seeds=2, epochs=1, l1_activity=1e-4, strategy="bmm")


def test_fit_seeds_results_and_divergence():
    split = data.moons(200)
    runs = train.fit_seeds(lambda: nets.mlp(2, [16], 2), split, seeds=3, epochs=3, lr=1e6)
    assert runs.curves("test_acc").shape[0] == 3
    assert runs.final("train_loss").shape == (3,)
    assert runs.diverged.all()
    for h in runs.histories:
        assert not math.isfinite(h.step_loss[-1])
        assert all(math.isfinite(v) for v in h.step_loss[:-1])


def test_fit_seeds_rejects_bad_arguments():
    with pytest.raises(ValueError):
        train.fit_seeds(_mlp, data.digits(), seeds=[], epochs=1)
    with pytest.raises(ValueError, match="strategy"):
        train.fit_seeds(_mlp, data.digits(), seeds=2, strategy="magic")
    with pytest.raises(ValueError, match="bmm"):
        train.fit_seeds(
            lambda: nets.cnn(),
            data.digits(image=True),
            seeds=2,
            strategy="bmm",
        )


def test_drop_last_skips_the_partial_batch():
    split = data.digits()  # 1,347 training images
    keep = train.fit(_mlp(), split, epochs=1, batch_size=64)
    drop = train.fit(_mlp(), split, epochs=1, batch_size=64, drop_last=True)
    assert len(keep.step_loss) == 22 and len(drop.step_loss) == 21


# ----------------------------------------------- the weight penalty (bug fix)


def _one_full_batch_step(model, split, l1):
    start = copy.deepcopy(model)
    train.fit(
        model,
        split,
        epochs=1,
        lr=0.1,
        batch_size=len(split.x_train),
        l1_weight=l1,
        loss="mse" if split.y_train.is_floating_point() else "cross_entropy",
    )
    return {
        n: p.detach() - q.detach()
        for (n, p), (_, q) in zip(model.named_parameters(), start.named_parameters())
    }


def test_l1_weight_penalises_rnn_matrices_but_not_prelu_or_biases():
    split = data.adding_problem(32, seq_len=4)
    torch.manual_seed(0)
    base = nets.rnn(2, 6, 1)
    with_l1 = _one_full_batch_step(copy.deepcopy(base), split, 0.5)
    without = _one_full_batch_step(copy.deepcopy(base), split, 0.0)
    penalised = [n for n in with_l1 if "weight_hh" in n or "weight_ih" in n]
    assert penalised, list(with_l1)
    for name in penalised:
        assert not torch.allclose(with_l1[name], without[name]), name
    for name in with_l1:
        if "bias" in name:
            torch.testing.assert_close(with_l1[name], without[name])

    split = data.moons(100)
    torch.manual_seed(0)
    prelu_net = nn.Sequential(nn.Linear(2, 4), nn.PReLU(), nn.Linear(4, 2))
    with_l1 = _one_full_batch_step(copy.deepcopy(prelu_net), split, 0.5)
    without = _one_full_batch_step(copy.deepcopy(prelu_net), split, 0.0)
    torch.testing.assert_close(with_l1["1.weight"], without["1.weight"])
    assert not torch.allclose(with_l1["0.weight"], without["0.weight"])


def test_select_lr_widens_the_grid_until_the_best_is_inside():
    calls = []

    def run(split, lr):
        calls.append(lr)
        return [-abs(math.log10(lr) - 1.0)]  # best at lr = 10

    sel = stats.select_lr(run, data.moons(100), [0.1, 0.3, 1.0], widen=5)
    assert sel.edge is None and sel.best == pytest.approx(10.0 * 10**0.0, rel=0.5)
    assert sel.grid[0] == 0.1 and len(sel.grid) > 3
    assert len(calls) == len(set(calls)) == len(sel.grid)  # nothing rerun
    capped = stats.select_lr(run, data.moons(100), [0.1, 0.3, 1.0], widen=1)
    assert capped.edge == "high" and len(capped.grid) == 4
    with pytest.raises(ValueError, match="widen"):
        stats.select_lr(run, data.moons(100), [0.1, 0.3, 1.0], widen=-1)
