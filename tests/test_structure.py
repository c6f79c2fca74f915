"""Package structure and the probes' contracts: import graph, gradients left alone,
weight matrices, the ``layers=`` selector, one meaning of ``hidden``, CPU-drawn
random numbers."""

from __future__ import annotations

import ast
import copy
from pathlib import Path

import pytest
import torch
from torch import nn

import relu_course
from relu_course import activations, init, nets, probe, theory

PACKAGE = Path(relu_course.__file__).parent


# ---- import graph ----------------------------------------------------------------
def import_graph() -> dict[str, set[str]]:
    """``{module: relu_course modules it imports}``, from the source, function-local
    imports included (a late import hides a cycle, it does not remove it)."""
    modules = {p.stem for p in PACKAGE.glob("*.py")}
    graph: dict[str, set[str]] = {}
    for path in PACKAGE.glob("*.py"):
        deps: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                parts = node.module.split(".")
                if parts[0] != "relu_course":
                    continue
                if len(parts) > 1:
                    deps.add(parts[1])
                else:  # from relu_course import a, b
                    deps.update(a.name for a in node.names if a.name in modules)
            elif isinstance(node, ast.ImportFrom) and node.level > 0:
                deps.update(
                    [node.module.split(".")[0]]
                    if node.module
                    else [a.name for a in node.names if a.name in modules]
                )
            elif isinstance(node, ast.Import):
                for a in node.names:
                    parts = a.name.split(".")
                    if parts[0] == "relu_course" and len(parts) > 1:
                        deps.add(parts[1])
        graph[path.stem] = deps - {path.stem}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for dep in sorted(graph.get(node, ())):
            if state.get(dep) == 1:
                return stack[stack.index(dep) :] + [dep]
            if dep not in state and (found := visit(dep)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_import_graph_has_no_cycle():
    graph = import_graph()
    graph.pop("__init__", None)  # the package imports its modules, not the other way round
    graph.pop("__main__", None)
    assert "nets" in graph["probe"] or "activations" in graph["probe"]  # the parser sees imports
    assert find_cycle(graph) is None, f"import cycle: {' -> '.join(find_cycle(graph))}"


def test_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_maxout_and_glu_have_one_home_and_old_paths_reexport_them():
    from relu_course import layers

    assert nets.Maxout is activations.Maxout is layers.Maxout
    assert activations.GLU is layers.GLU and activations.SwiGLU is layers.SwiGLU


def test_maxout_and_glu_are_activation_layers_alike():
    """Both count for the probes and the activity penalty; a GLU's gate is not a layer of
    its own."""
    from relu_course import layers

    for layer in (layers.Maxout(2, 3), layers.GLU(2, 3), layers.SwiGLU(2, 3)):
        assert activations.is_activation_module(layer)
        model = nn.Sequential(nn.Linear(4, 2), layer, nn.Linear(3, 1))
        assert [n for n, _ in probe.activation_layers(model)] == ["1"]
    assert [n for n, _ in probe.activation_layers(model, layers=nn.SiLU)] == ["1.gate"]


# ---- grad_norms leaves every stored gradient as it was ----------------------------
def test_grad_norms_keeps_existing_gradients_of_weights_and_biases():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.PReLU(), nn.Linear(4, 2))
    x, y = torch.randn(8, 3), torch.randint(0, 2, (8,))
    nn.functional.cross_entropy(model(x * 2), y).backward()  # gradients of another batch
    before = {n: p.grad for n, p in model.named_parameters()}
    values = {n: g.clone() for n, g in before.items()}
    norms = probe.grad_norms(model, x, y)
    for n, p in model.named_parameters():
        assert p.grad is before[n], n  # the same tensor object, biases and slope included
        assert torch.equal(p.grad, values[n]), n
    # the norms are those of a fresh pass, not of the stored gradients
    fresh = copy.deepcopy(model)
    fresh.zero_grad(set_to_none=True)
    nn.functional.cross_entropy(fresh(x), y).backward()
    assert norms["0"] == pytest.approx(fresh[0].weight.grad.norm().item())
    assert set(norms) == {"0", "1", "2"}  # PReLU's weight counts as a module with a weight


def test_grad_norms_leaves_none_as_none_and_skips_frozen_weights():
    model = nets.fixed_filter_net(n_filters=2)
    x, y = torch.randn(4, 1, 8, 8), torch.randint(0, 10, (4,))
    norms = probe.grad_norms(model, x, y)
    assert list(norms) == ["4"]  # the frozen convolution has no gradient to report
    assert all(p.grad is None for p in model.parameters())


# ---- weight_matrices ----------------------------------------------------------------
def names_of(model: nn.Module) -> list[str]:
    return [n for n, _ in probe.weight_matrices(model)]


def test_weight_matrices_of_rnn_and_lstm():
    assert names_of(nets.rnn(2, 8)) == [
        "recurrent.weight_ih_l0",
        "recurrent.weight_hh_l0",
        "head.weight",
    ]
    assert names_of(nets.lstm(2, 8)) == [
        "recurrent.weight_ih_l0",
        "recurrent.weight_hh_l0",
        "head.weight",
    ]
    gru = nn.GRU(2, 3, num_layers=2, bidirectional=True)
    assert names_of(gru) == [n for n, _ in gru.named_parameters() if n.startswith("weight")]
    assert len(names_of(gru)) == 8


def test_weight_matrices_skip_prelu_norms_and_biases():
    model = nn.Sequential(
        nn.Conv2d(1, 2, 3),
        nn.BatchNorm2d(2),
        nn.PReLU(2),
        nn.Flatten(),
        nn.LayerNorm(72),
        nn.Linear(72, 3),
    )
    assert names_of(model) == ["0.weight", "5.weight"]
    params = dict(model.named_parameters())
    for name, p in probe.weight_matrices(model):
        assert p is params[name]


def test_weight_matrices_lists_a_shared_weight_once():
    layer = nn.Linear(3, 3)
    assert names_of(nn.Sequential(layer, nn.ReLU(), layer)) == ["0.weight"]


# ---- layers=: any module the reader names -------------------------------------------
class DarkReLU(nn.Module):
    """min(0, x), chapter 7's mirror image of ReLU: not in the registry."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.clamp_max(x, 0.0)


def dark_model() -> nn.Sequential:
    torch.manual_seed(1)
    return nets.mlp(4, [5, 6], 3, activation=DarkReLU)


def test_default_probes_do_not_see_a_readers_module():
    assert probe.activation_layers(dark_model()) == []


@pytest.mark.parametrize("layers", [DarkReLU, (DarkReLU,), lambda m: isinstance(m, DarkReLU)])
def test_layers_selects_a_readers_module(layers):
    model, x = dark_model(), torch.randn(20, 4)
    outs = probe.layer_outputs(model, x, layers=layers)
    assert list(outs) == ["1", "3"]
    assert outs["1"].shape == (20, 5) and bool((outs["1"] <= 0).all())
    pre = probe.preactivations(model, x, layers=layers)
    torch.testing.assert_close(outs["1"], pre["1"].clamp_max(0.0))
    assert set(probe.dead_units(model, x, layers=layers)) == {"1", "3"}
    assert set(probe.activation_stats(model, x, layers=layers)["3"]) >= {"mean", "dead_fraction"}
    d = probe.local_derivatives(model, x, layers=layers)
    torch.testing.assert_close(d["1"], (pre["1"] < 0).float())
    with probe.ActivationTrace(model, layers=layers) as trace:
        model(x)
    assert trace.layers == ["1", "3"] and trace.steps == 1
    with probe.ExactZeroCounter(model, what="output", layers=layers) as counter:
        model(x)
    assert counter.total == {"1": 100, "3": 120}


def test_layers_rejects_nonsense():
    with pytest.raises(TypeError):
        probe.activation_layers(dark_model(), layers="relu")
    with pytest.raises(ValueError):
        probe.activation_layers(dark_model(), layers=())


def test_probe_activations_is_deprecated_for_layer_outputs():
    model, x = nets.mlp(4, [5], 2), torch.randn(3, 4)
    assert list(probe.layer_outputs(model, x)) == ["1"]
    with pytest.warns(DeprecationWarning, match="layer_outputs"):
        old = probe.activations(model, x)
    assert old.keys() == {"1"} and torch.equal(old["1"], probe.layer_outputs(model, x)["1"])


# ---- hidden: an int or a sequence, in every builder -----------------------------------
def test_hidden_means_the_same_in_every_builder():
    assert nets.hidden_widths(7) == nets.hidden_widths([7]) == [7]
    assert len(nets.mlp(4, 8, 2)) == len(nets.mlp(4, [8], 2)) == 3
    assert [m.out_features for m in nets.cnn(hidden=[16, 8]) if isinstance(m, nn.Linear)] == [
        16,
        8,
        10,
    ]
    assert str(nets.cnn(hidden=32)) == str(nets.cnn(hidden=[32]))
    assert nets.autoencoder(10, 3, hidden=6).encoder[0].out_features == 6
    assert nets.rnn(2, [9]).recurrent.hidden_size == nets.lstm(2, 9).recurrent.hidden_size == 9
    with pytest.raises(ValueError, match="one hidden width"):
        nets.rnn(2, [4, 4])
    with pytest.raises(ValueError):
        nets.mlp(4, [8, 0], 2)
    with pytest.raises(TypeError):
        nets.mlp(4, "8", 2)


# ---- random numbers are drawn on the CPU --------------------------------------------
def test_born_dead_draws_come_from_a_cpu_generator(monkeypatch):
    """The draws do not depend on the device argument: every sample is made on the CPU
    with a CPU generator (checked on the CPU by recording the calls), then moved."""
    seen = []
    for fn in ("randn", "rand"):
        original = getattr(torch, fn)

        def spy(*args, _original=original, **kwargs):
            gen = kwargs.get("generator")
            seen.append(
                (
                    gen.device.type if gen is not None else None,
                    torch.device(kwargs.get("device", "cpu")).type,
                )
            )
            return _original(*args, **kwargs)

        monkeypatch.setattr(torch, fn, spy)
    theory.born_dead_fraction(2, [3], n_networks=50, bias_std=0.1, points_per_axis=3)
    theory.born_dead_fraction(2, [3], n_networks=50, weights="uniform")
    assert seen and all(s == ("cpu", "cpu") for s in seen), seen


def test_init_draws_on_the_cpu_whatever_the_device():
    gen = torch.Generator().manual_seed(5)
    a = init.init_weights_(torch.empty(6, 4), "he_normal", generator=gen)
    gen.manual_seed(5)
    b = init.init_weights_(torch.empty(6, 4, device="meta"), "he_normal", generator=gen)
    assert b.device.type == "meta"  # a non-CPU weight is filled by a copy from the CPU
    gen.manual_seed(5)
    c = torch.empty(6, 4).normal_(0.0, (2 / 4) ** 0.5, generator=gen)
    assert torch.equal(a, c)
