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
    diags = apply_overrides(
        spec,
        ["train.actor_lr=1e-4", "networks.critic.sparsity={regime: dense}", "env.id=Hopper-v5"],
    )
    assert diags == []
    assert spec.data["train"]["actor_lr"] == 1e-4
    assert spec.data["networks"]["critic"]["sparsity"] == {"regime": "dense"}
    assert spec.data["env"]["id"] == "Hopper-v5"


def test_override_applies_in_order_and_last_wins(tmp_path):
    _, _, tree, plan = front_end(
        write(tmp_path, BASE), ["train.batch_size=32", "train.batch_size=64"]
    )
    assert tree["train"]["batch_size"].value == 64
    assert tree["train"]["batch_size"].source == "override"


def test_precedence_spec_over_preset_over_default(tmp_path):
    text = (
        BASE.replace("algorithm: sac", "algorithm: sac\npreset: simba")
        + "train:\n  actor_lr: 0.0005\n"
    )
    _, _, tree, plan = front_end(write(tmp_path, text), [])
    assert (tree["train"]["actor_lr"].value, tree["train"]["actor_lr"].source) == (0.0005, "spec")
    assert (tree["train"]["critic_lr"].value, tree["train"]["critic_lr"].source) == (
        1e-4,
        "preset simba",
    )
    assert (tree["eval"]["episodes"].value, tree["eval"]["episodes"].source) == (10, "default")
    assert tree["networks"]["critic"]["width"].value == 64  # the spec wins over the preset's 512


DMC = BASE.replace("id: Pendulum-v1", "id: dog-run\n  suite: dmc")


def _at(tree, path: str):
    node = tree
    for key in path.split("."):
        node = node[key]
    return node.value, node.source


def test_suite_defaults_come_before_the_preset_with_their_source(tmp_path):
    """suite dmc's protocol replaces the preset's Gymnasium values (tar: 1M steps, an evaluation
    every 2500); a value of the spec or an override wins over it."""
    from specc.catalog import suite

    suite = suite("dmc").defaults_source
    assert suite.startswith("suite dmc ")
    _, _, tree, plan = front_end(
        write(tmp_path, DMC.replace("algorithm: sac", "algorithm: sac\npreset: tar")), []
    )
    assert _at(tree, "env.action_repeat") == (2, suite)
    assert _at(tree, "train.total_steps") == (500_000, suite)
    assert _at(tree, "eval.every") == (5000, suite)
    assert _at(tree, "eval.episodes") == (10, suite)
    assert _at(tree, "checkpoint.every") == (100_000, "preset tar")  # not a suite default
    assert (plan.env.suite, plan.env.action_repeat, plan.env.repeats) == ("dmc", 2, True)

    text = DMC.replace("suite: dmc", "suite: dmc\n  action_repeat: 1")
    text += "train: {total_steps: 1000, learning_starts: 100}\neval: {every: 100}\n"
    _, _, tree, plan = front_end(write(tmp_path, text), [])
    assert _at(tree, "env.action_repeat") == (1, "spec") and not plan.env.repeats
    assert _at(tree, "train.total_steps") == (1000, "spec")
    assert _at(tree, "eval.every") == (100, "spec")
    assert _at(tree, "eval.episodes") == (10, suite)
    _, _, tree, plan = front_end(write(tmp_path, DMC), ["env.action_repeat=4"])
    assert _at(tree, "env.action_repeat") == (4, "override") and plan.env.action_repeat == 4

    # suite gymnasium (the default) has no suite defaults: repeat 1, the preset's total_steps
    _, _, tree, plan = front_end(write(tmp_path, BASE), [])
    assert _at(tree, "env.suite") == ("gymnasium", "default")
    assert _at(tree, "env.action_repeat") == (1, "default") and not plan.env.repeats
    assert _at(tree, "train.total_steps") == (1_000_000, "preset cleanrl")
    assert _at(tree, "eval.every") == (10_000, "default")


def test_fixed_alpha_drops_learned_alpha_keys(tmp_path):
    _, _, tree, plan = front_end(write(tmp_path, BASE + "train:\n  alpha: 0.2\n"), [])
    assert "alpha_lr" not in tree["train"] and "target_entropy" not in tree["train"]
    assert not plan.algo.learned_alpha
    names = [f.name for g in plan.config for f in g.fields]
    assert "alpha" in names and "alpha_lr" not in names


def test_all_errors_of_a_spec_are_reported_together(tmp_path):
    text = (
        BASE.replace("id: Pendulum-v1", "id: Pendulum-v1\n  suite: gym")
        + "seed: -3\ntrain: {tau: 0}\n"
    )
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


def test_resolved_spec_reaches_the_script_verbatim(tmp_path):
    """RESOLVED_SPEC is the resolved YAML, whatever quotes and backslashes the spec holds."""
    import ast

    from ruamel.yaml import YAML

    from specc.compiler import compile_one

    nasty = 'description=\'ends with a quote" and has """triple""" quotes, a \\ and \\"""\''
    compiled = compile_one(write(tmp_path, BASE), [nasty])
    tree = ast.parse(compiled.source)
    (value,) = [
        node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign) and ast.unparse(node.targets[0]) == "RESOLVED_SPEC"
    ]
    assert value == compiled.plan.resolved_yaml
    description = YAML(typ="safe").load(value)["description"]
    assert description == 'ends with a quote" and has """triple""" quotes, a \\ and \\"""'


# --- diagnostics and reset -------------------------------------------------------------------


def _fields(plan):
    return [f.name for g in plan.config for f in g.fields]


def test_diagnostics_plan_columns_and_fields_follow_the_metrics(tmp_path):
    text = BASE + "diagnostics:\n  every: 500\n  metrics: [grad_norm, srank]\n"
    _, _, tree, plan = front_end(write(tmp_path, text), [])
    assert plan.diagnostics.metrics == ("grad_norm", "srank")  # spec order
    assert plan.diagnostics.modules == ("actor", "critic")
    assert plan.runtime.metrics[-4:] == (
        "actor_grad_norm",
        "actor_srank",
        "critic_grad_norm",
        "critic_srank",
    )
    names = _fields(plan)
    assert {"diagnostics_every", "diagnostics_batch_size", "srank_delta"} <= set(names)
    assert not {"dormant_tau", "interference_samples", "reset_every"} & set(names)
    # the resolved tree (specc explain, the docstring) holds only keys that apply
    assert set(tree["diagnostics"]) == {"every", "metrics", "srank_delta", "batch_size"}
    assert (tree["diagnostics"]["every"].value, tree["diagnostics"]["every"].source) == (
        500,
        "spec",
    )
    assert (
        tree["diagnostics"]["srank_delta"].value,
        tree["diagnostics"]["srank_delta"].source,
    ) == (0.01, "default")
    assert plan.probes_activations and plan.reset is None


def test_diagnostics_defaults_every_metric(tmp_path):
    _, _, tree, plan = front_end(write(tmp_path, BASE), ["diagnostics={}"])
    metrics = ("dormant_ratio", "srank", "grad_norm", "param_norm", "grad_interference")
    assert plan.diagnostics.metrics == metrics
    assert plan.runtime.metrics[-10:] == tuple(
        f"{m}_{metric}" for m in ("actor", "critic") for metric in metrics
    )
    fields = {f.name: f for g in plan.config for f in g.fields}
    assert (
        fields["diagnostics_every"].value == 10000 and fields["diagnostics_batch_size"].value == 256
    )
    assert fields["dormant_tau"].value == 0.1 and fields["srank_delta"].value == 0.01
    assert fields["interference_samples"].value == 16


def test_norm_metrics_need_no_batch_and_no_activations(tmp_path):
    _, _, tree, plan = front_end(
        write(tmp_path, BASE), ["diagnostics={metrics: [param_norm, grad_norm]}"]
    )
    assert "batch_size" not in tree["diagnostics"] and "diagnostics_batch_size" not in _fields(plan)
    assert not plan.probes_activations


def test_without_diagnostics_or_reset_nothing_is_planned(tmp_path):
    _, _, tree, plan = front_end(write(tmp_path, BASE), [])
    assert plan.diagnostics is None and plan.reset is None and not plan.probes_activations
    assert "diagnostics" not in tree and "reset" not in tree
    assert not [
        n
        for n in _fields(plan)
        if "diagnostics" in n
        or n in ("dormant_tau", "srank_delta", "interference_samples", "reset_every")
    ]
    assert not [
        c for c in plan.runtime.metrics if c.endswith(("_srank", "_grad_norm", "_param_norm"))
    ]


def test_reset_plan(tmp_path):
    _, _, tree, plan = front_end(
        write(tmp_path, BASE), ["reset={every: 1000, modules: [critic, actor]}"]
    )
    assert (
        plan.reset.modules == ("actor", "critic") and plan.reset.keep_mask is True
    )  # module order; default
    assert "reset_every" in _fields(plan) and plan.diagnostics is None
    _, _, tree, plan = front_end(write(tmp_path, BASE), ["reset={every: 1000}"])
    assert plan.reset.modules == ("actor", "critic")  # default: the whole agent
    assert tree["reset"]["modules"].source == "default"


def test_reset_temperature_defaults_to_resetting_it_with_the_actor(tmp_path):
    _, _, tree, plan = front_end(write(tmp_path, BASE), ["reset={every: 1000}"])
    assert plan.reset.temperature is True and tree["reset"]["temperature"].source == "default"
    _, _, tree, plan = front_end(write(tmp_path, BASE), ["reset={every: 1000, modules: [critic]}"])
    assert plan.reset.temperature is False  # the actor keeps its policy, so its temperature stays
    _, _, tree, plan = front_end(write(tmp_path, BASE), ["reset={every: 1000, temperature: false}"])
    assert plan.reset.temperature is False and tree["reset"]["temperature"].source == "override"
    code = _code(tmp_path, ["reset={every: 1000, temperature: false}"])
    assert "def reset_temperature" not in code and "it keeps its value and optimizer state" in code
    code = _code(tmp_path, ["reset={every: 1000}"])
    assert "def reset_temperature" in code
    assert "reset_temperature(log_alpha, actor_opt, cfg.alpha_init)\n" in code
    # no learned temperature: no key in the tree
    _, _, tree, plan = front_end(write(tmp_path, BASE), ["reset={every: 1000}", "train.alpha=0.2"])
    assert "temperature" not in tree["reset"] and plan.reset.temperature is False


def test_ddpg_variant_chooses_the_targets(tmp_path):
    ddpg = BASE.replace("algorithm: sac", "algorithm: ddpg")
    _, _, tree, plan = front_end(write(tmp_path, ddpg), [])
    assert plan.algo.ddpg_variant == "cleanrl" and plan.algo.targets == {
        "actor": "actor_target",
        "critic": "critic_target",
    }
    _, _, tree, plan = front_end(write(tmp_path, ddpg), ["preset=simba"])
    assert (
        plan.algo.ddpg_variant == "simba"
        and plan.algo.targets == {"critic": "critic_target"}
        and plan.algo.actor_first
    )
    assert tree["train"]["ddpg_variant"].source == "preset simba"
    _, _, tree, plan = front_end(
        write(tmp_path, ddpg), ["preset=simba", "train.ddpg_variant=cleanrl"]
    )
    assert plan.algo.ddpg_variant == "cleanrl" and "actor" in plan.algo.targets
    assert "ddpg_variant" not in _fields(plan)  # structural: no flag


def _code(tmp_path, overrides, base=BASE):
    from specc.compiler import compile_one

    source = compile_one(write(tmp_path, base), overrides).source
    # without the docstring and RESOLVED_SPEC (the resolved spec)
    return source[source.index('"""', 3) + 3 : source.index("RESOLVED_SPEC = ")]


DIAGNOSTICS_NAMES = (
    "def dormant_ratio",
    "def srank",
    "def param_norm",
    "def grad_norm",
    "def grad_interference",
    "class LossProbe",
    "sample_losses",
    "def activations",
    "def diagnose",
    "def reset_",
)


def test_only_the_diagnostics_functions_a_spec_uses_are_emitted(tmp_path):
    def present(code):
        return {name for name in DIAGNOSTICS_NAMES if name in code}

    assert present(_code(tmp_path, [])) == set()
    assert present(_code(tmp_path, ["diagnostics={metrics: [srank]}"])) == {
        "def srank",
        "def activations",
        "def diagnose",
    }
    code = _code(tmp_path, ["diagnostics={metrics: [grad_norm, param_norm]}"])
    assert present(code) == {"def grad_norm", "def param_norm", "def diagnose"}
    assert "rb.sample(cfg.diagnostics_batch_size)" not in code
    code = _code(tmp_path, ["diagnostics={metrics: [grad_interference]}"])
    assert present(code) == {
        "def grad_interference",
        "class LossProbe",
        "sample_losses",
        "def diagnose",
    }
    assert "activations(obs" not in code and "k_batch = " in code
    code = _code(tmp_path, ["reset={every: 10, modules: [critic]}"])
    flat = "".join(code.split())  # black may wrap the call
    assert (
        present(code) == {"def reset_"}
        and "reset_module(critic,critic_opt,Critic(" in flat
        and "reset_module(actor," not in flat
    )
    # masks reach the metrics only where a module is sparse (masks.get: None for a dense one)
    code = _code(tmp_path, ["diagnostics={}", "networks.actor.sparsity={regime: sst, level: 0.5}"])
    flat = "".join(code.split())
    assert 'masks={"actor":actor_masks}' in flat and "grad_norm(net,masks.get(name))" in flat
    assert "grad_interference(net,sample_losses[name],k_batch,masks.get(name))" in flat
    assert "def grad_norm(net):" in _code(
        tmp_path, ["diagnostics={}"]
    )  # no masks argument in a dense script


MRQ = """specc: 1
name: mrq_demo
algorithm: mrq
env:
  id: HalfCheetah-v5
networks:
  encoder: {}
  actor: {}
  critic: {}
"""


def test_mrq_resolves_to_mrqs_hyperparameters_and_networks(tmp_path):
    """algorithm: mrq resolves to MR.Q's defaults (reference 1.1) and MR.Q's own networks (mlp,
    LayerNorm without parameters); a module whose spec picks block gets the MST paper's Table 2
    (type 4 / 4 / 3, one block)."""
    from specc.resolve import resolve_tree
    from specc.validate import validate

    loaded = load_spec(write(tmp_path, MRQ))
    tree = resolve_tree(validate(loaded), loaded)
    src = "preset mrq"
    expected = {
        "train.learning_starts": 10_000,
        "train.actor_lr": 3e-4,
        "train.critic_lr": 3e-4,
        "train.encoder_lr": 1e-4,
        "train.weight_decay": 1e-4,
        "train.grad_clip": 20.0,
        "train.noise_clip": 0.3,
        "train.target_every": 250,
        "train.encoder_horizon": 5,
        "train.value_horizon": 3,
        "train.lap_alpha": 0.4,
        "train.reward_bins": 65,
        "train.terminal_reward": "dropped",
        "networks.encoder.arch": "mlp",
        "networks.encoder.depth": 2,
        "networks.encoder.activation": "elu",
        "networks.critic.depth": 3,
        "networks.actor.depth": 2,
        "networks.actor.activation": "relu",
        "networks.actor.layer_norm": True,
        "networks.encoder.width": 512,
    }
    for dotted_key, value in expected.items():
        assert _at(tree, dotted_key) == (value, src), dotted_key
    assert "tau" not in tree["train"] and "updates_per_step" not in tree["train"]
    assert _at(tree, "eval.every") == (5000, src)
    plan = front_end(write(tmp_path, MRQ), [])[3]
    assert all(not n.affine_norm and n.layer_norm for n in plan.networks)
    assert (
        plan.algo.encoded and plan.algo.acting == "policy" and plan.network("critic").ensemble == 2
    )
    # on dmc the suite's protocol comes first, as for every algorithm
    loaded = load_spec(
        write(tmp_path, MRQ.replace("id: HalfCheetah-v5", "id: dog-run\n  suite: dmc"))
    )
    tree = resolve_tree(validate(loaded), loaded)
    assert _at(tree, "train.total_steps")[0] == 500_000 and _at(tree, "env.action_repeat")[0] == 2
    # block: the MST paper's MR.Q
    loaded = load_spec(write(tmp_path, MRQ.replace(": {}", ": {arch: block}")))
    tree = resolve_tree(validate(loaded), loaded)
    for module, block_type in (("encoder", 4), ("critic", 4), ("actor", 3)):
        assert _at(tree, f"networks.{module}.type") == (block_type, src)
        assert _at(tree, f"networks.{module}.depth") == (1, src)
        assert _at(tree, f"networks.{module}.width") == (512, src)


def test_mrsac_resolves_to_mrqs_values_and_sacs_temperature(tmp_path):
    _, _, tree, plan = front_end(
        write(tmp_path, MRQ.replace("algorithm: mrq", "algorithm: mrsac")), []
    )
    assert _at(tree, "train.encoder_lr") == (1e-4, "preset mrq")
    assert _at(tree, "train.alpha") == ("auto", "preset mrq")
    assert _at(tree, "train.alpha_lr") == (3e-4, "preset mrq")
    assert "exploration_noise" not in tree["train"] and "policy_noise" not in tree["train"]
    assert plan.algo.learned_alpha and plan.algo.targets == {
        "encoder": "encoder_target",
        "critic": "critic_target",
    }


def test_an_unsupported_value_is_reported_at_its_key_with_nothing_written(tmp_path, monkeypatch):
    """What catalog.SUPPORTED leaves out of a version validates, then is refused at its key
    (every algorithm is generated now: the check is exercised by taking one out)."""
    from specc import catalog

    monkeypatch.setitem(catalog.SUPPORTED, "algorithm", ("sac", "td3", "ddpg"))
    with pytest.raises(SpecError) as exc:
        front_end(write(tmp_path, MRQ), [])
    assert [d.key for d in exc.value.diagnostics] == ["algorithm"]
    assert "not implemented" in exc.value.diagnostics[0].message


def test_mrq_networks_are_mlp_or_block(tmp_path):
    with pytest.raises(SpecError) as exc:
        front_end(write(tmp_path, MRQ.replace("  actor: {}", "  actor: {arch: simba}")), [])
    assert [d.key for d in exc.value.diagnostics] == ["networks.actor.arch"]
    assert "mlp or block" in exc.value.diagnostics[0].message


def test_a_presets_value_for_the_suite_comes_before_the_suites(tmp_path):
    """preset simba runs SAC with one critic on DMC (SimBa's DMC configs, Ma et al. Table 2);
    on Gymnasium, and under other presets, SAC keeps its twin critics; a spec value wins."""
    simba_dmc = DMC.replace("algorithm: sac", "algorithm: sac\npreset: simba")
    _, _, tree, plan = front_end(write(tmp_path, simba_dmc), [])
    assert _at(tree, "train.clipped_double_q") == (False, "preset simba (dmc)")
    assert not plan.algo.twin_critics and plan.network("critic").ensemble == 1
    _, _, tree, plan = front_end(write(tmp_path, DMC), [])
    assert _at(tree, "train.clipped_double_q") == (True, "preset cleanrl")
    assert plan.algo.twin_critics and plan.network("critic").ensemble == 2
    text = BASE.replace("algorithm: sac", "algorithm: sac\npreset: simba")
    _, _, tree, plan = front_end(write(tmp_path, text), [])
    assert _at(tree, "train.clipped_double_q") == (True, "preset simba")
    _, _, tree, plan = front_end(write(tmp_path, simba_dmc), ["train.clipped_double_q=true"])
    assert _at(tree, "train.clipped_double_q") == (True, "override") and plan.algo.twin_critics
