"""Compiler stages: loader positions, overrides, precedence of spec > preset > default."""

from pathlib import Path

import pytest

from specc.compiler import front_end
from specc.diagnostics import SpecError
from specc.loader import load_spec
from specc.overrides import apply_overrides
from specc.render import docstring_text, py_literal

BASE = """specc: 1
name: demo
algorithm: sac
env:
  id: Pendulum-v1
networks:
  actor: {arch: mlp}
  critic: {arch: mlp, width: 64}
"""


def write(tmp_path: Path, text: str) -> str:
    p = tmp_path / "s.yaml"
    p.write_text(text)
    return str(p)


def test_loader_keeps_1_based_positions(tmp_path):
    spec = load_spec(write(tmp_path, BASE))
    assert spec.smap.keys[("env", "id")].line == 5
    assert spec.smap.keys[("env", "id")].col == 3
    v = spec.smap.values[("networks", "critic", "width")]
    assert (v.line, v.col, v.width) == (8, 30, 2)


def test_yaml_1_2_scalars(tmp_path):
    spec = load_spec(write(tmp_path, BASE + "x: [1e-3, yes, 0o10, .inf]\n"))
    assert spec.data["x"][0] == 0.001 and type(spec.data["x"][0]) is float
    assert spec.data["x"][1] == "yes"
    assert spec.data["x"][2] == 8


def test_overrides_parse_values_like_the_file(tmp_path):
    spec = load_spec(write(tmp_path, BASE))
    diags = apply_overrides(spec, ["train.actor_lr=1e-4", "networks.critic.sparsity={regime: dense}", "env.id=Hopper-v5"])
    assert diags == []
    assert spec.data["train"]["actor_lr"] == 1e-4
    assert spec.data["networks"]["critic"]["sparsity"] == {"regime": "dense"}
    assert spec.data["env"]["id"] == "Hopper-v5"


def test_override_applies_in_order_and_last_wins(tmp_path):
    _, _, tree, plan = front_end(write(tmp_path, BASE), ["train.batch_size=32", "train.batch_size=64"])
    assert tree["train"]["batch_size"].value == 64
    assert tree["train"]["batch_size"].source == "override"


def test_precedence_spec_over_preset_over_default(tmp_path):
    text = BASE.replace("algorithm: sac", "algorithm: sac\npreset: simba") + "train:\n  actor_lr: 0.0005\n"
    _, _, tree, plan = front_end(write(tmp_path, text), [])
    assert (tree["train"]["actor_lr"].value, tree["train"]["actor_lr"].source) == (0.0005, "spec")
    assert (tree["train"]["critic_lr"].value, tree["train"]["critic_lr"].source) == (1e-4, "preset simba")
    assert (tree["eval"]["episodes"].value, tree["eval"]["episodes"].source) == (10, "default")
    assert tree["networks"]["critic"]["width"].value == 64  # the spec wins over the preset's 512


def test_fixed_alpha_drops_learned_alpha_keys(tmp_path):
    _, _, tree, plan = front_end(write(tmp_path, BASE + "train:\n  alpha: 0.2\n"), [])
    assert "alpha_lr" not in tree["train"] and "target_entropy" not in tree["train"]
    assert not plan.algo.learned_alpha
    names = [f.name for g in plan.config for f in g.fields]
    assert "alpha" in names and "alpha_lr" not in names


def test_all_errors_of_a_spec_are_reported_together(tmp_path):
    text = BASE.replace("id: Pendulum-v1", "id: Pendulum-v1\n  suite: gym") + "seed: -3\ntrain: {tau: 0}\n"
    with pytest.raises(SpecError) as exc:
        front_end(write(tmp_path, text), ["train.gama=0.9"])
    keys = sorted(d.key for d in exc.value.diagnostics)
    assert keys == ["env.suite", "seed", "train.gama", "train.tau"]


def test_py_literal_is_a_python_literal_of_the_value():
    import ast

    for value in ["a'b\"c\n\\", 1, 1e-4, True, None, [1, "x"], (1,), {"k": 2.5}]:
        assert ast.literal_eval(py_literal(value)) == value


def test_docstring_escaping_round_trips():
    import ast

    text = 'ends with a quote" and has """triple""" quotes and a \\ backslash\nand \\"""'
    module = ast.parse(f'"""{docstring_text(text)}"""')
    assert ast.get_docstring(module, clean=False) == text
