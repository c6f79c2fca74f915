"""Tests of relu_course.figures: each figure draws, and what it computes is right."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from torch import nn

from relu_course import figures, interactive


def _fit(x: np.ndarray, y: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    knots = np.linspace(x[0], x[-1], k + 1)[:-1]
    features = np.column_stack([np.ones_like(x), *[np.maximum(0, x - t) for t in knots]])
    coef, *_ = np.linalg.lstsq(features, y, rcond=None)
    return knots, coef


def test_hinge_sum_is_relu_and_a_line():
    x = np.linspace(-2, 2, 9)
    assert np.array_equal(figures.hinge_sum(x, [0.0], [0.0, 1.0]), np.maximum(0, x))
    # a hinge at the left edge is a straight line on the interval
    assert np.allclose(figures.hinge_sum(x, [-2.0], [1.0, 3.0]), 1 + 3 * (x + 2))
    with pytest.raises(ValueError, match="coefficients"):
        figures.hinge_sum(x, [0.0, 1.0], [0.0, 1.0])


def test_hinge_fit_frames_error_falls_with_k():
    x = np.linspace(-np.pi, np.pi, 401)
    y = np.sin(x)
    errors = []
    for k in (1, 3, 4, 8, 16):
        fig = plt.figure()
        errors.append(figures.hinge_fit_frame(fig, x, y, *_fit(x, y, k)))
        assert len(fig.axes) == 2
        plt.close(fig)
    assert all(a > b for a, b in zip(errors, errors[1:]))
    # piecewise linear: the error falls like 1/k^2, about 4x per doubling
    assert 3.0 < errors[-2] / errors[-1] < 5.0
    assert errors[-1] < 0.02


def test_hinge_fit_frame_in_a_slider():
    x = np.linspace(-np.pi, np.pi, 101)
    y = np.sin(x)
    fits = {k: _fit(x, y, k) for k in (1, 4)}
    view = interactive.slider(
        lambda fig, k: figures.hinge_fit_frame(fig, x, y, *fits[k]), [1, 4], label="k"
    )
    assert view.n_frames == 2 and "anim-slider" in view.html
    assert "anim-slider" not in repr(view)  # the notebook stores the frames once
    plt.close("all")


def _deep_relu(gain: float, depth: int = 12, width: int = 128, n: int = 256):
    torch.manual_seed(0)
    h = torch.randn(n, width)
    acts = []
    for _ in range(depth):
        lin = nn.Linear(width, width, bias=False)
        nn.init.normal_(lin.weight, std=gain / width**0.5)
        h = torch.relu(lin(h))
        h.retain_grad()
        acts.append(h)
    h.backward(torch.randn_like(h))
    return acts, [a.grad for a in acts]


@pytest.mark.parametrize("gain,direction", [(1.0, -1), (2**0.5, 0), (2.0, 1)])
def test_layer_scales_follow_the_gain(gain, direction):
    acts, grads = _deep_relu(gain)
    fig = plt.figure()
    out = figures.layer_scales_frame(fig, acts, grads)
    plt.close(fig)
    rms_a, rms_g = out["activation_rms"], out["gradient_rms"]
    assert rms_a.shape == rms_g.shape == (12,)
    assert np.allclose(rms_a, [a.pow(2).mean().sqrt().item() for a in acts], rtol=1e-5)
    # the mean square changes by gain^2 / 2 per layer, forward and backward
    factor = (rms_a[-1] / rms_a[0]) ** (1 / 11)
    back = (rms_g[0] / rms_g[-1]) ** (1 / 11)
    expected = gain / 2**0.5
    assert abs(factor / expected - 1) < 0.1 and abs(back / expected - 1) < 0.1
    if direction:
        assert np.sign(np.log(factor)) == direction


def test_layer_scales_frame_accepts_arrays_and_zeros():
    fig = plt.figure()
    out = figures.layer_scales_frame(fig, [np.zeros(4), np.ones(4)], [np.ones(4), np.ones(4)])
    plt.close(fig)
    assert out["activation_rms"].tolist() == [0.0, 1.0]


def test_neuron_switch_is_off_on_one_side_of_the_line():
    w, b = (1.0, 2.0), -1.0
    fig = figures.neuron_switch(w=w, b=b)
    image = fig.axes[1].collections[0].get_array().reshape(200, 200)
    plt.close(fig)
    g1, g2 = np.meshgrid(np.linspace(-2, 2, 200), np.linspace(-2, 2, 200))
    z = w[0] * g1 + w[1] * g2 + b
    assert np.all(image[z <= 0] == 0) and np.allclose(image[z > 0], z[z > 0])


def test_additivity_gap_is_min_abs_for_mixed_signs():
    fig = figures.additivity_gap(n=101)
    gap = fig.axes[0].collections[0].get_array().reshape(101, 101)
    plt.close(fig)
    g1, g2 = np.meshgrid(np.linspace(-2, 2, 101), np.linspace(-2, 2, 101))
    mixed = np.sign(g1) * np.sign(g2) < 0
    assert np.all(gap[~mixed] == 0)
    assert np.allclose(gap[mixed], np.minimum(np.abs(g1), np.abs(g2))[mixed])


def test_softplus_family_marks_the_largest_gap():
    fig = figures.softplus_family(betas=(1, 4))
    ax = fig.axes[0]
    markers = [line for line in ax.lines if line.get_marker() == "o"]
    plt.close(fig)
    assert [m.get_ydata()[0] for m in markers] == pytest.approx([np.log(2), np.log(2) / 4])


def test_slider_loads_nothing_from_another_host():
    import matplotlib

    matplotlib.use("Agg")
    from relu_course.interactive import slider

    view = slider(lambda fig, k: fig.subplots().plot([0, k]), [1, 2], label="k")
    assert "http://" not in view.html and "https://" not in view.html
    assert 'class="fa' not in view.html and "\u25b6" in view.html  # play as a symbol
