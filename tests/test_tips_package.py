"""Tests for the package pieces chapter 5 (tips) added: claims.load/table, the adding
problem, the recurrent builders and the fixed-random-filter network."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from relu_course import claims, data, nets, train
from relu_course.claims import METADATA_KEY


# ----------------------------------------------------------------------------- claims.load
def _notebook(tmp_path, name, outputs_per_cell):
    cells = [{"cell_type": "markdown", "metadata": {}, "source": "# Title"}]
    for outputs in outputs_per_cell:
        cells.append(
            {
                "cell_type": "code",
                "metadata": {},
                "source": "",
                "execution_count": 1,
                "outputs": outputs,
            }
        )
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells}
    path = tmp_path / name
    path.write_text(json.dumps(nb), encoding="utf-8")
    return path


def _claims_output(chapter, rows):
    return {
        "output_type": "display_data",
        "data": {"text/markdown": "| table |"},
        "metadata": {METADATA_KEY: {"chapter": chapter, "rows": rows}},
    }


def _row(claim, verdict="confirmed"):
    return {
        "claim": claim,
        "source": "000",
        "measured": "x = 1",
        "verdict": verdict,
        "section": "S",
    }


def test_load_reads_rows_with_their_chapter(tmp_path):
    a = _notebook(
        tmp_path,
        "01_a.ipynb",
        [
            [{"output_type": "stream", "name": "stdout", "text": "hi"}],
            [_claims_output("01_a", [_row("one"), _row("two", "nuanced")])],
        ],
    )
    b = _notebook(
        tmp_path, "02_b.ipynb", [[_claims_output("02_b", [_row("three", "not confirmed")])]]
    )
    rows = claims.load([a, str(b)])
    assert [r["claim"] for r in rows] == ["one", "two", "three"]
    assert [r["chapter"] for r in rows] == ["01_a", "01_a", "02_b"]
    assert rows[1]["verdict"] == "nuanced" and rows[2]["notebook"] == "02_b.ipynb"
    assert set(rows[0]) >= {
        "chapter",
        "notebook",
        "claim",
        "source",
        "measured",
        "verdict",
        "section",
    }
    assert claims.load(a) == rows[:2]  # a single path is accepted too


def test_load_uses_the_last_claims_output(tmp_path):
    nb = _notebook(
        tmp_path,
        "n.ipynb",
        [[_claims_output("n", [_row("old")])], [_claims_output("n", [_row("old"), _row("new")])]],
    )
    assert [r["claim"] for r in claims.load([nb])] == ["old", "new"]


def test_load_round_trips_a_real_claims_table(tmp_path):
    table = claims.ClaimsTable("99_test")
    table.check(
        "2 > 1", source="maths", measured="2 > 1", verdict="confirmed", evidence=2 > 1, section="S"
    )
    from dataclasses import asdict

    output = _claims_output(table.chapter, [asdict(r) for r in table.rows])
    rows = claims.load([_notebook(tmp_path, "t.ipynb", [[output]])])
    assert rows == [{"chapter": "99_test", "notebook": "t.ipynb", **asdict(table.rows[0])}]


def test_load_errors_are_clear(tmp_path):
    unexecuted = _notebook(tmp_path, "blank.ipynb", [[]])
    with pytest.raises(ValueError, match="no claims table"):
        claims.load([unexecuted])
    with pytest.raises(FileNotFoundError):
        claims.load([tmp_path / "missing.ipynb"])
    bad = tmp_path / "bad.ipynb"
    bad.write_text("not json", encoding="utf-8")
    with pytest.raises(ValueError, match="not a Jupyter notebook"):
        claims.load([bad])


def test_table_renders_markdown():
    rows = [{"chapter": "01", "claim": "a | b", "measured": "1", "verdict": "confirmed"}]
    text = claims.table(rows)
    assert text.splitlines()[0] == "| Chapter | Claim | Measured | Verdict |"
    assert "a \\| b" in text and "**confirmed**" in text
    with pytest.raises(ValueError, match="unknown column"):
        claims.table(rows, columns=("chapter", "nope"))


# ----------------------------------------------------------------------------- adding problem
def test_adding_problem_shapes_and_targets():
    split = data.adding_problem(200, seq_len=30, seed=1)
    assert split.x_train.shape == (150, 30, 2) and split.x_test.shape == (50, 30, 2)
    assert split.y_train.dtype == torch.float32 and split.x_train.dtype == torch.float32
    x = torch.cat([split.x_train, split.x_test])
    y = torch.cat([split.y_train, split.y_test])
    markers = x[:, :, 1]
    assert torch.all(markers.sum(dim=1) == 2)
    assert torch.all(markers[:, :15].sum(dim=1) == 1)  # one marker in each half
    assert torch.allclose((x[:, :, 0] * markers).sum(dim=1), y)
    assert float(x[:, :, 0].min()) >= 0 and float(x[:, :, 0].max()) <= 1


@settings(max_examples=20, deadline=None)
@given(n=st.integers(4, 60), seq_len=st.integers(2, 40), seed=st.integers(0, 2**31 - 1))
def test_adding_problem_is_seeded_and_well_formed(n, seq_len, seed):
    a, b = data.adding_problem(n, seq_len, seed=seed), data.adding_problem(n, seq_len, seed=seed)
    for s, t in zip(a, b):
        assert torch.equal(s, t)
    assert len(a.x_train) + len(a.x_test) == n
    assert torch.all((a.y_train >= 0) & (a.y_train <= 2))


def test_adding_problem_baseline_is_one_sixth():
    y = data.adding_problem(40000, seq_len=4, seed=0).y_train
    assert abs(float(((y - 1.0) ** 2).mean()) - 1 / 6) < 0.005


@pytest.mark.parametrize(
    "kwargs", [dict(seq_len=1), dict(n=1), dict(test_size=0.0), dict(seq_len=2.5)]
)
def test_adding_problem_rejects_bad_input(kwargs):
    with pytest.raises(ValueError):
        data.adding_problem(**{"n": 10, "seq_len": 5, **kwargs})


# ----------------------------------------------------------------------------- recurrent nets
@pytest.mark.parametrize("activation", ["relu", "tanh"])
@pytest.mark.parametrize("init", ["identity", "orthogonal", "normal", "default"])
def test_rnn_shapes(activation, init):
    net = nets.rnn(2, 8, out_features=3, activation=activation, recurrent_init=init)
    assert net(torch.randn(5, 7, 2)).shape == (5, 3)
    assert net.hidden_states(torch.randn(5, 7, 2)).shape == (5, 7, 8)


def test_irnn_copies_its_state_when_the_input_is_zero():
    torch.manual_seed(0)
    net = nets.rnn(1, 6, recurrent_init="identity", bias=0.0)
    x = torch.zeros(3, 20, 1)
    x[:, 0, 0] = torch.tensor([1.0, -2.0, 3.0])
    h = net.hidden_states(x)
    assert torch.allclose(
        h[:, 1:], h[:, :1].expand_as(h[:, 1:])
    )  # identity recurrence, ReLU of h >= 0
    assert torch.equal(net.recurrent.weight_hh_l0, torch.eye(6))


def test_rnn_recurrent_inits():
    torch.manual_seed(0)
    w = nets.rnn(2, 200, recurrent_init="normal", gain=1.5).recurrent.weight_hh_l0.detach()
    assert abs(float(w.std()) - 1.5 / 200**0.5) < 0.01
    radius = torch.linalg.eigvals(w.double()).abs().max().item()
    assert 1.3 < radius < 1.7
    q = nets.rnn(2, 16, recurrent_init="orthogonal", gain=0.5).recurrent.weight_hh_l0.detach()
    assert torch.allclose(q @ q.T, 0.25 * torch.eye(16), atol=1e-5)
    net = nets.rnn(2, 16, input_std=0.001, bias=0.1)
    assert float(net.recurrent.weight_ih_l0.detach().std()) < 0.003
    assert torch.all(net.recurrent.bias_ih_l0 == 0.1) and torch.all(net.recurrent.bias_hh_l0 == 0)


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(activation="sigmoid"),
        dict(recurrent_init="eye"),
        dict(gain=0.0),
        dict(input_std=-1.0),
        dict(hidden=0),
    ],
)
def test_rnn_rejects_bad_input(kwargs):
    with pytest.raises(ValueError):
        nets.rnn(**{"input_size": 2, "hidden": 4, **kwargs})


def test_lstm_forget_bias_and_shape():
    net = nets.lstm(2, 5, forget_bias=1.0)
    assert net(torch.randn(3, 4, 2)).shape == (3, 1)
    b = net.recurrent.bias_ih_l0.detach()
    assert torch.all(b[5:10] == 1.0) and torch.all(b[:5] == 0) and torch.all(b[10:] == 0)
    with pytest.raises(ValueError):
        nets.lstm(0, 5)


def test_sequence_to_one_rejects_flat_input():
    with pytest.raises(ValueError, match="sequences"):
        nets.rnn(2, 4)(torch.zeros(3, 2))
    with pytest.raises(ValueError):
        nets.SequenceToOne(torch.nn.RNN(2, 4), 1)  # not batch_first


def test_rnn_learns_a_short_adding_problem_with_mse_and_clipping():
    torch.manual_seed(0)
    split = data.adding_problem(600, seq_len=6, seed=0)
    net = nets.rnn(2, 16, recurrent_init="identity", input_std=0.1)
    hist = train.fit(
        net,
        split,
        epochs=30,
        lr=0.01,
        optimizer="adam",
        loss="mse",
        clip_grad=1.0,
        batch_size=50,
        progress=False,
    )
    assert not hist.diverged
    assert np.isnan(hist.test_acc[-1])  # no accuracy for a regression
    # well below the predict-the-mean baseline of this test set (about 1/6)
    baseline = torch.mean((split.y_test - split.y_train.mean()) ** 2).item()
    assert hist.test_loss[-1] < 0.3 * baseline


# ----------------------------------------------------------------------------- fixed filters
def test_abs_module():
    assert torch.equal(nets.Abs()(torch.tensor([-2.0, 0.0, 3.0])), torch.tensor([2.0, 0.0, 3.0]))


@pytest.mark.parametrize("rectifier", ["none", "abs", "relu", "tanh", ("tanh", "abs")])
@pytest.mark.parametrize("pool", ["avg", "max"])
def test_fixed_filter_net(rectifier, pool):
    net = nets.fixed_filter_net(rectifier, n_filters=4, pool=pool, pool_size=4, seed=3)
    assert net(torch.randn(2, 1, 8, 8)).shape == (2, 10)
    assert net[-1].in_features == 4 * 2 * 2
    trainable = [n for n, p in net.named_parameters() if p.requires_grad]
    assert trainable == [
        f"{len(net) - 1}.weight",
        f"{len(net) - 1}.bias",
    ]  # only the classifier learns
    again = nets.fixed_filter_net(rectifier, n_filters=4, pool=pool, seed=3)
    assert torch.equal(net[0].weight, again[0].weight)  # the filters depend on seed only


def test_fixed_filter_net_without_rectifier_and_avg_pool_is_linear():
    net = nets.fixed_filter_net("none", n_filters=4, pool="avg")
    for p in net.parameters():
        torch.nn.init.normal_(p)
    a, b = torch.randn(1, 1, 8, 8), torch.randn(1, 1, 8, 8)
    assert torch.allclose(net(a + b) - net(b), net(a) - net(torch.zeros_like(a)), atol=1e-4)


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(rectifier="bogus"),
        dict(rectifier=()),
        dict(pool="median"),
        dict(pool_size=16),
        dict(kernel_size=2),
        dict(n_filters=0),
    ],
)
def test_fixed_filter_net_rejects_bad_input(kwargs):
    with pytest.raises(ValueError):
        nets.fixed_filter_net(**kwargs)
