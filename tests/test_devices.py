"""The package on every available device: the CPU always, CUDA and MPS when present
(``conftest.DEVICES``). Results on a GPU are compared with the CPU's within float32
tolerances; random draws must be the same on every device."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from conftest import DEVICES

from relu_course import activations, bench, data, device, nets, probe, theory, train

ACTS = activations.names()


@pytest.fixture(params=DEVICES)
def dev(request) -> torch.device:
    return torch.device(request.param)


@pytest.mark.parametrize("name", ACTS)
def test_kernels_out_and_inplace_on_device(dev, name):
    act = activations.get(name)
    x_cpu = torch.linspace(-4, 4, 101)
    expected = act(x_cpu.numpy().astype(np.float64))
    x = x_cpu.to(dev)
    y = act(x)
    assert y.device.type == dev.type and y.dtype == torch.float32
    np.testing.assert_allclose(y.cpu().numpy(), expected, rtol=1e-5, atol=1e-6)
    out = torch.empty_like(x)
    assert act(x, out=out) is out
    np.testing.assert_allclose(out.cpu().numpy(), expected, rtol=1e-5, atol=1e-6)
    z = x.clone()
    r = act(z, inplace=True)
    assert r is z  # overwritten in place, with or without a dedicated kernel
    np.testing.assert_allclose(z.cpu().numpy(), expected, rtol=1e-5, atol=1e-6)
    g = act.grad(x)
    assert g.device.type == dev.type
    np.testing.assert_allclose(
        g.cpu().numpy(), act.grad(x_cpu.double().numpy()), rtol=1e-5, atol=1e-6
    )


def test_get_device_choice_and_override(dev, monkeypatch):
    monkeypatch.setenv(device.ENV_VAR, dev.type)
    assert device.get_device().type == dev.type
    monkeypatch.delenv(device.ENV_VAR)
    best = "cuda" if "cuda" in DEVICES else "mps" if "mps" in DEVICES else "cpu"
    assert device.get_device().type == best


def test_get_device_prefers_mps_when_it_is_there(monkeypatch):
    """The MPS branch, exercised on any machine by pretending."""
    monkeypatch.delenv(device.ENV_VAR, raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    mps = getattr(torch.backends, "mps", None)
    if mps is None:
        pytest.skip("this torch has no MPS backend module")
    monkeypatch.setattr(mps, "is_available", lambda: True)
    assert device.get_device().type == "mps"


def test_fit_on_device(dev):
    split = data.digits(scaling="unit").to(dev)
    device.seed(0)
    model = nets.mlp(64, [16], 10).to(dev)
    hist = train.fit(model, split, epochs=2, lr=0.1, progress=False)
    assert hist.test_acc[-1] > 0.5 and not hist.diverged
    assert next(model.parameters()).device.type == dev.type


def test_probes_on_device(dev):
    torch.manual_seed(0)
    model = nets.mlp(3, [8, 8], 2).to(dev)
    x = torch.randn(16, 3).to(dev)
    y = torch.randint(0, 2, (16,)).to(dev)
    outs = probe.layer_outputs(model, x)
    assert all(h.device.type == dev.type for h in outs.values())
    assert set(probe.dead_units(model, x)) == {"1", "3"}
    cpu_model, cpu_x, cpu_y = model.cpu(), x.cpu(), y.cpu()
    expected = probe.grad_norms(cpu_model, cpu_x, cpu_y)
    model.to(dev)
    got = probe.grad_norms(model, x, y)
    assert got.keys() == expected.keys()
    for k in got:  # the same gradients on every device, float32 tolerances aside
        assert got[k] == pytest.approx(expected[k], rel=1e-4, abs=1e-6)
    assert set(probe.local_derivatives(model, x)) == {"1", "3"}
    A, b = probe.local_affine_map(model, x[0])
    assert A.shape == (2, 3) and b.shape == (2,)
    assert probe.activation_pattern(model, x).shape == (16, 16)
    line = torch.full((3,), -2.0), torch.full((3,), 2.0)
    regions = probe.linear_regions_along_line(model, *line, points=512, batch_size=100)
    on_cpu = probe.linear_regions_along_line(
        model.cpu(), *(p.cpu() for p in line), points=512, batch_size=100
    )
    assert regions.count == on_cpu.count > 1  # a ReLU net bends along the line


def test_born_dead_fraction_same_draws_on_every_device(dev):
    cpu = theory.born_dead_fraction(2, [1, 5, 20], n_networks=500, seed=3)
    here = theory.born_dead_fraction(2, [1, 5, 20], n_networks=500, seed=3, device=dev)
    np.testing.assert_allclose(here, cpu, atol=0.01)  # identical networks; float32 ties aside


def test_init_same_values_on_every_device(dev):
    gen = torch.Generator()
    a = nets.fixed_filter_net(seed=4)[0].weight
    w = torch.empty(16, 1, 3, 3, device=dev)
    from relu_course.init import init_weights_

    init_weights_(w, "he_normal", generator=gen.manual_seed(4))
    torch.testing.assert_close(w.cpu(), a.detach())


def test_bench_on_device(dev):
    rows = bench.bench(
        ["relu"],
        sizes=[1000],
        modes=["forward", "out", "inplace", "backward"],
        device=dev,
        repeat=1,
        warmup=1,
        min_time=1e-4,
        threads=1,
    )
    assert {r.device for r in rows} == {str(dev)}
    assert {r.mode for r in rows} == {"copy", "clone", "forward", "out", "inplace", "backward"}
    assert all(r.seconds > 0 for r in rows)
    t = bench.seconds_per_call(
        lambda: torch.relu(torch.zeros(10, device=dev)), device=dev, repeat=1, min_time=1e-4
    )
    assert t > 0


def test_bench_leaves_the_process_thread_count_alone():
    before = torch.get_num_threads()
    seen = []
    bench.time_calls(
        {"a": lambda: seen.append(torch.get_num_threads())},
        "cpu",
        repeat=1,
        warmup=0,
        min_time=1e-6,
        max_calls=1,
        threads=max(1, before % 3 + 1),
    )
    assert torch.get_num_threads() == before
    assert seen[-1] == max(1, before % 3 + 1)  # the timed batch ran with the asked count
