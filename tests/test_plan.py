"""Plan facts: what the templates select with is computed (and tested) here, in Python.

Each fact is checked on the plans of the specs in specs/ and on small specs written for the
case; the templates print these facts and never derive them."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

from specc.compiler import front_end
from specc import catalog
from specc.plan import Plan
from specc.render import templates_dir

ROOT = Path(__file__).resolve().parent.parent
SPECS = sorted((ROOT / "specs").glob("*.yaml"))


@functools.lru_cache(maxsize=None)
def spec_plan(name: str) -> Plan:
    return front_end(str(ROOT / "specs" / f"{name}.yaml"), [])[3]


def small_plan(tmp_path: Path, algorithm: str, networks: str, extra: str = "") -> Plan:
    """The plan of a small spec: Pendulum, the given networks block (YAML lines under networks:)."""
    text = (
        f"specc: 1\nname: small\nalgorithm: {algorithm}\nenv:\n  id: Pendulum-v1\n"
        f"networks:\n{networks}{extra}"
    )
    path = tmp_path / "small.yaml"
    path.write_text(text)
    return front_end(str(path), [])[3]


MLP = "  actor: {arch: mlp}\n  critic: {arch: mlp}\n"


# --------------------------------------------------------------------------- algorithms
def test_every_algorithm_template_exists():
    for template in {a.template for a in catalog.ALGORITHM_RECORDS.values()}:
        assert (templates_dir() / template).is_file(), template


@pytest.mark.parametrize("spec", SPECS, ids=lambda p: p.stem)
def test_algo_template_of_every_spec(spec):
    plan = spec_plan(spec.stem)
    expected = {
        "sac": "algorithms/sac.py.jinja",
        "td3": "algorithms/deterministic.py.jinja",
        "ddpg": "algorithms/deterministic.py.jinja",
        "mrq": "algorithms/mrq.py.jinja",
        "mrsac": "algorithms/mrsac.py.jinja",
        "stream_ac": "algorithms/stream_ac.py.jinja",
        "drqv2": "algorithms/drqv2.py.jinja",
        "der": "algorithms/der.py.jinja",
    }[plan.algorithm]
    assert plan.algo.template == expected
    # the loop kind's skeleton: a streaming agent's has no replay buffer
    assert plan.script_template == (
        "streaming.py.jinja" if plan.loop == "streaming" else "script.py.jinja"
    )
    assert plan.buffered == (plan.loop == "replay")


# name -> (twin_critics, target_smoothing, target_actor, next_actor, noisy_losses, actor_first,
#          delayed_modules, critic_loss_hparams)
DETERMINISTIC = {
    "td3_dense": (
        True,
        True,
        True,
        "actor_target",
        False,
        False,
        ("actor",),
        ("policy_noise", "noise_clip"),
    ),
    "ddpg_dense": (False, False, True, "actor_target", False, False, ("actor",), ()),
    "mst_ddpg": (False, False, False, "actor", True, True, ("actor",), ()),
    "tar_td3_synflow": (
        True,
        True,
        True,
        "actor_target",
        False,
        False,
        ("actor",),
        ("policy_noise", "noise_clip"),
    ),
}


@pytest.mark.parametrize("name", sorted(DETERMINISTIC))
def test_deterministic_actor_critic_facts(name):
    a = spec_plan(name).algo
    facts = (
        a.twin_critics,
        a.target_smoothing,
        a.target_actor,
        a.next_actor,
        a.noisy_losses,
        a.actor_first,
        a.delayed_modules,
        a.critic_loss_hparams,
    )
    assert facts == DETERMINISTIC[name]


@pytest.mark.parametrize("spec", SPECS, ids=lambda p: p.stem)
def test_twin_critics_is_the_critic_ensemble(spec):
    """The algorithm's twin critics and the critic network's ensemble are one fact."""
    plan = spec_plan(spec.stem)
    assert plan.algo.twin_critics == (plan.network("critic").ensemble == 2)
    assert plan.network("critic").ensembled == plan.algo.twin_critics
    if "actor" in plan.algo.record.modules:
        assert not plan.network("actor").ensembled


def test_ddpg_variants_in_small_specs(tmp_path):
    cleanrl = small_plan(tmp_path, "ddpg", MLP).algo
    assert (cleanrl.ddpg_variant, cleanrl.target_actor, cleanrl.noisy_losses) == (
        "cleanrl",
        True,
        False,
    )
    simba = small_plan(tmp_path, "ddpg", MLP, "train:\n  ddpg_variant: simba\n").algo
    assert (simba.target_actor, simba.next_actor, simba.noisy_losses, simba.actor_first) == (
        False,
        "actor",
        True,
        True,
    )
    assert simba.targets == {"critic": "critic_target"}


def test_sac_facts():
    a = spec_plan("sac_dense").algo
    assert a.twin_critics and not a.target_smoothing and not a.target_actor
    assert a.delayed_modules == ()  # SAC makes up the delay with policy_delay actor updates
    assert a.critic_loss_hparams == ()
    assert (a.log_std_min, a.log_std_source) == (-5.0, "CleanRL (spinning-up uses -20)")
    assert a.learned_alpha and a.target_entropy_per_dim
    simba = spec_plan("sac_simba").algo
    assert simba.log_std_min == -10.0
    assert simba.log_std_source == "SimBa's NormalTanhPolicy (CleanRL uses -5)"


@pytest.mark.parametrize("spec", SPECS, ids=lambda p: p.stem)
def test_delayed_modules_step_less_often(spec):
    """The actor of TD3 and DDPG is updated every policy_delay-th update; SAC's, MR.Q's and
    MR.SAC's at each (MR.Q has no policy delay: reference 1.1)."""
    a = spec_plan(spec.stem).algo
    assert a.delayed_modules == (("actor",) if a.name in ("td3", "ddpg") else ())


# --------------------------------------------------------------------------- networks
def test_trunk_kwargs():
    assert spec_plan("td3_dense").network("actor").trunk_kwargs == (("activation", "F.relu"),)
    assert spec_plan("td3_dense").network("critic").trunk_kwargs == (
        ("activation", "F.relu"),
        ("ensemble", "2"),
    )
    assert spec_plan("td3_block6").network("actor").trunk_kwargs == (
        ("activation", "F.elu"),
        ("layer_norm", "True"),
        ("residual", "True"),
    )
    # SimBa's trunk has no activation argument (ReLU inside its blocks)
    assert spec_plan("sac_simba").network("actor").trunk_kwargs == ()
    assert spec_plan("sac_simba").network("critic").trunk_kwargs == (("ensemble", "2"),)


def test_trunk_kwargs_in_small_specs(tmp_path):
    ln = small_plan(
        tmp_path,
        "ddpg",
        "  actor: {arch: mlp, activation: elu}\n  critic: {arch: mlp, layer_norm: true}\n",
    )
    assert ln.network("actor").trunk_kwargs == (("activation", "F.elu"),)
    assert ln.network("critic").trunk_kwargs == (("activation", "F.relu"), ("layer_norm", "True"))
    block = small_plan(
        tmp_path, "sac", "  actor: {arch: block, type: 1}\n  critic: {arch: mlp}\n"
    ).network("actor")
    assert dict(block.trunk_kwargs)["layer_norm"] in ("True", "False")
    assert dict(block.trunk_kwargs)["residual"] in ("True", "False")


def test_orthogonal_heads_only_for_simba():
    assert spec_plan("sac_simba").network("actor").orthogonal_heads
    assert not spec_plan("sac_dense").network("actor").orthogonal_heads
    assert not spec_plan("td3_block6").network("actor").orthogonal_heads


def test_rlx2_preset_options_only_on_sac():
    """The rlx2 preset's SAC: one actor output layer of 2|A| (the layout pi / pi.out) and an
    orthogonal init of every mlp Linear; its TD3 and every other spec keep theirs."""
    rlx2 = spec_plan("rlx2_sac")
    assert rlx2.algo.joint_actor_output and rlx2.orthogonal_linears
    assert [n.init for n in rlx2.networks] == ["orthogonal", "orthogonal"]
    actor = rlx2.network("actor").sparsity
    assert actor.output_layers == ("pi.out",) and actor.inputs == ("obs_dim",)
    assert "networks/orthogonal.py.jinja" in rlx2.network_templates
    for name in ("rlx2_td3", "sac_dense", "tar_sac_erk", "ds_td3", "mrsac_dense"):
        plan = spec_plan(name)
        assert not plan.algo.joint_actor_output and not plan.orthogonal_linears, name
        assert all(n.init == "" for n in plan.networks), name
    assert spec_plan("tar_sac_erk").network("actor").sparsity.output_layers == (
        "fc_mean",
        "fc_logstd",
    )
    # SimBa's orthogonal layers need the function, not the preset's init
    simba = spec_plan("sac_simba")
    assert "networks/orthogonal.py.jinja" in simba.network_templates
    assert not simba.orthogonal_linears


def test_rlx2_init_is_for_mlp_networks_only(tmp_path):
    spec = "preset: rlx2\n"
    plan = small_plan(tmp_path, "sac", "  actor: {arch: simba}\n  critic: {arch: mlp}\n", spec)
    assert [n.init for n in plan.networks] == ["", "orthogonal"]
    assert plan.algo.joint_actor_output


def test_trunk_facts_of_the_specs():
    mlp = spec_plan("sac_dense").trunk("mlp")
    assert (mlp.ensembled, mlp.layer_norm, mlp.ensemble_layer_norm, mlp.dense_outputs) == (
        True,
        False,
        False,
        False,
    )
    assert not spec_plan("ddpg_dense").trunk("mlp").ensembled  # one critic
    block = spec_plan("td3_block6").trunk("block")
    assert block.ensembled and block.layer_norm and block.ensemble_layer_norm
    simba = spec_plan("diag_sac_wide_dense").trunk("simba")
    assert simba.ensembled and simba.dense_outputs
    assert not spec_plan("sac_simba").trunk("simba").dense_outputs  # no diagnostics
    assert not spec_plan("mst_ddpg").trunk("simba").ensembled
    with pytest.raises(KeyError):
        spec_plan("sac_dense").trunk("simba")


def test_trunk_facts_are_the_union_over_modules(tmp_path):
    """An MLP actor with LayerNorm beside an ensembled MLP critic without: the class takes both
    options, but no ensemble module normalizes."""
    plan = small_plan(
        tmp_path,
        "sac",
        "  actor: {arch: mlp, layer_norm: true}\n  critic: {arch: mlp, layer_norm: false}\n",
    )
    mlp = plan.trunk("mlp")
    assert (mlp.ensembled, mlp.layer_norm, mlp.ensemble_layer_norm) == (True, True, False)
    plan = small_plan(
        tmp_path, "sac", "  actor: {arch: mlp}\n  critic: {arch: mlp, layer_norm: true}\n"
    )
    assert plan.trunk("mlp").ensemble_layer_norm
    assert plan.ensemble_layer_norm


@pytest.mark.parametrize("spec", SPECS, ids=lambda p: p.stem)
def test_trunk_facts_agree_with_the_networks(spec):
    plan = spec_plan(spec.stem)
    for net in plan.networks:
        trunk = plan.trunk(net.arch)
        assert trunk.arch == net.arch
        assert trunk.ensembled >= net.ensembled and trunk.layer_norm >= net.layer_norm
    dormant = plan.diagnostics.dormant_layers if plan.diagnostics else {}
    for arch in {n.arch for n in plan.networks}:
        assert plan.trunk(arch).dense_outputs == (dormant.get(arch) == "dense_outputs")
        assert plan.trunk(arch).active_outputs == plan.active_outputs


@pytest.mark.parametrize(
    "metrics, critic, names, fau_input",
    [
        # fau alone reads the post-activation outputs activations() returns first
        ("[fau]", "simba", ("hidden", "_"), "hidden"),
        ("[fau, srank]", "mlp", ("hidden", "features"), "hidden"),
        # beside dormant_ratio on post-activation outputs (mlp under auto): the same list
        ("[dormant_ratio, fau]", "mlp", ("hidden", "_"), "hidden"),
        # beside dormant_ratio on dense outputs (simba under auto): a third list, in every trunk
        ("[dormant_ratio, fau]", "simba", ("hidden", "_", "active"), "active"),
        ("[dormant_ratio, srank]", "simba", ("hidden", "features"), "hidden"),
    ],
)
def test_fau_reads_post_activation_outputs(tmp_path, metrics, critic, names, fau_input):
    plan = small_plan(
        tmp_path,
        "sac",
        f"  actor: {{arch: mlp}}\n  critic: {{arch: {critic}}}\n",
        f"diagnostics: {{every: 100, metrics: {metrics}}}\n",
    )
    assert plan.diagnostics.activation_names == names
    assert plan.probes_activations
    active = names[-1] == "active"
    assert plan.active_outputs == active and plan.diagnostics.fau_input == fau_input
    assert plan.trunk("mlp").active_outputs == plan.trunk(critic).active_outputs == active


def test_normalization_facts():
    """SynFlow scores with normalization skipped: the classes to hook and BlockMLP's function."""
    assert not spec_plan("tar_td3_synflow").normalized  # plain MLPs
    block = spec_plan("td3_block6")
    assert block.block_layer_norm and block.normalized and block.norm_classes == ()
    simba = spec_plan("sst_simba_sac")
    assert not simba.block_layer_norm and simba.normalized
    assert simba.norm_classes == ("nn.LayerNorm", "EnsembleLayerNorm")


def test_block_without_layer_norm(tmp_path):
    plan = small_plan(
        tmp_path, "td3", "  actor: {arch: block, type: 1}\n  critic: {arch: block, type: 1}\n"
    )
    assert plan.block_layer_norm == any(n.layer_norm for n in plan.networks)


# --------------------------------------------------------------------------- sparsity
def test_importance_growth():
    assert spec_plan("dst_importance_td3").sparsity.importance
    assert not spec_plan("dst_set_td3").sparsity.importance
    assert not spec_plan("mst_sac").sparsity.importance


SCHEDULED = """  actor:
    sparsity: {regime: d2s, level: 0.5, distribution: global, schedule: {start: 0.1, end: 0.5}}
  critic:
    sparsity: {regime: d2s, level: 0.5, distribution: er, schedule: {start: 0.1, end: 0.5}}
"""


def test_scheduled_mixed(tmp_path):
    code = small_plan(tmp_path, "sac", SCHEDULED).sparsity
    assert code.scheduled_global and code.scheduled_layerwise and code.scheduled_mixed
    code = spec_plan("d2s_sac").sparsity
    assert code.scheduled and not code.scheduled_mixed


@pytest.mark.parametrize("spec", SPECS, ids=lambda p: p.stem)
def test_scheduled_and_ensembled_facts(spec):
    plan = spec_plan(spec.stem)
    for net in plan.networks:
        assert net.sparsity.scheduled == (net.sparsity.regime in ("d2s", "s2d"))
        assert not net.sparsity.scheduled or net.sparsity.dynamic
    assert plan.ensembled == any(n.ensemble > 1 for n in plan.networks)
    assert ("networks/ensemble.py.jinja" in plan.network_templates) == plan.ensembled
    if plan.sparsity is not None:
        assert plan.sparsity.scheduled == any(n.sparsity.scheduled for n in plan.networks)


@pytest.mark.parametrize("spec", SPECS, ids=lambda p: p.stem)
def test_dynamic_masks_calls_pass_only_its_parameters(spec):
    """Each module's DynamicMasks(...) passes only parameters the script's class has, and the
    class has a topology variant only where some module sets it off its default."""
    plan = spec_plan(spec.stem)
    code = plan.sparsity
    if code is None or not code.dynamic:
        return
    params = [p.split("=")[0] for p in code.masks_params]
    for net in plan.dynamic_networks:
        targets = plan.algo.targets.get(net.module, "")
        names = [name for name, _ in code.masks_kwargs(net.sparsity, net.module, targets)]
        assert set(names) <= set(params[2:]) and len(names) == len(set(names))
    for name, default, _ in code.topology_variants:
        assert any(getattr(n.sparsity, name) != default for n in plan.dynamic_networks), name
    assert code.dense_modules == tuple(n.module for n in plan.networks if not n.sparsity.sparse)


def test_prune_params_and_docstring():
    plan = spec_plan("tar_td3_synflow")
    sp = plan.network("critic").sparsity
    assert sp.prune_params("critic", "critic_target") == (
        "critic_masks",
        "critic_opt",
        "critic_target",
        "critic",
        "obs_dim",
        "act_dim",
        "cfg",
    )
    assert sp.prune_docstring("critic") == (
        "The critic's mask: synflow scores (100 rounds), one global threshold at level "
        "cfg.critic_sparsity_level, then TAR revival."
    )
    sp = spec_plan("d2s_sac").network("critic").sparsity
    assert sp.prune_params("critic", "critic_target") == ("critic_masks", "cfg")
    assert sp.schedule_levels("critic") == ("0.0", "cfg.critic_sparsity_level")
    sp = spec_plan("ds_td3").network("actor").sparsity  # epsilon-ER draws read no level
    assert sp.prune_params("actor", "actor_target") == ("actor_masks", "actor_opt", "actor_target")


def test_target_entropy_fixed(tmp_path):
    a = small_plan(tmp_path, "sac", MLP, "train:\n  target_entropy: -2.5\n").algo
    assert a.learned_alpha and not a.target_entropy_per_dim
    a = small_plan(tmp_path, "sac", MLP, "train:\n  alpha: 0.2\n").algo
    assert not a.learned_alpha and not a.target_entropy_per_dim
    assert not spec_plan("td3_dense").algo.target_entropy_per_dim


@pytest.mark.parametrize(
    "regime, distribution, scheduled, starts_dense, layerwise",
    [
        ("sst", "er", False, False, False),
        ("dst", "global", False, False, False),
        ("d2s", "er", True, True, True),
        ("d2s", "global", True, True, False),
        ("s2d", "uniform", True, False, True),
        ("s2d", "global", True, False, False),
    ],
)
def test_schedule_facts(tmp_path, regime, distribution, scheduled, starts_dense, layerwise):
    """How a sparse module's prune function is written: a mask taken once (sst, dst) or one
    that follows a schedule from dense (d2s) or to dense (s2d), per layer or globally."""
    criterion = ", criterion: magnitude" if regime in ("sst", "dst") else ""
    topology = ", topology: {method: rigl}" if regime == "dst" else ""
    critic = (
        f"  critic: {{arch: mlp, sparsity: {{regime: {regime}, level: 0.5, "
        f"distribution: {distribution}{criterion}{topology}}}}}\n"
    )
    sp = small_plan(tmp_path, "sac", "  actor: {arch: mlp}\n" + critic).network("critic").sparsity
    assert (sp.scheduled, sp.starts_dense, sp.layerwise_schedule) == (
        scheduled,
        starts_dense,
        layerwise,
    )
    words = {"er": "ER allocation", "uniform": "uniform allocation", "global": "one global"}
    assert sp.allocation_text.startswith(words[distribution])


@pytest.mark.parametrize(
    "metrics, sparse, args",
    [
        ("[param_norm]", False, ("nets",)),
        ("[grad_norm]", False, ("nets",)),
        ("[grad_norm]", True, ("nets", "masks")),
        ("[srank]", True, ("nets", "rb", "cfg")),
        ("[grad_interference]", True, ("nets", "masks", "sample_losses", "rb", "cfg")),
        ("[dormant_ratio, param_norm]", False, ("nets", "rb", "cfg")),
        ("[fau]", True, ("nets", "rb", "cfg")),
    ],
)
def test_diagnose_takes_only_what_its_metrics_use(tmp_path, metrics, sparse, args):
    critic = "  critic: {arch: mlp, sparsity: {regime: sst, level: 0.5}}\n" if sparse else ""
    plan = small_plan(
        tmp_path,
        "sac",
        "  actor: {arch: mlp}\n" + (critic or "  critic: {arch: mlp}\n"),
        f"diagnostics: {{every: 100, metrics: {metrics}}}\n",
    )
    assert plan.diagnose_args == args
    assert plan.diagnose_masks == ("masks" in args)
    assert plan.diagnostics.uses_batch == ("rb" in args)


def test_no_diagnostics_no_diagnose_args(tmp_path):
    plan = small_plan(tmp_path, "sac", MLP)
    assert plan.diagnose_args == () and not plan.diagnose_masks


# --------------------------------------------------------------------------- RLx2 and DS-TD3
# spec -> (n_step, buffer_drop, buffer_extras)
BUFFERS = {
    "rlx2_td3": (True, "once", ("truncated", "policy_action")),
    "rlx2_sac": (True, "once", ("truncated", "policy_action")),
    "importance_rlx2_td3": (True, "once", ("truncated", "policy_action")),
    "ds_td3": (False, "", ()),
    "td3_dense": (False, "", ()),
    "sac_dense": (False, "", ()),
    "mrq_dense": (False, "", ("truncated",)),  # MR.Q's own multi-step windows, not train.n_step
}


@pytest.mark.parametrize("name", sorted(BUFFERS))
def test_multi_step_and_dynamic_buffer_facts(name):
    a = spec_plan(name).algo
    assert (a.n_step, a.buffer_drop, a.buffer_extras) == BUFFERS[name]
    assert a.dynamic_buffer == bool(BUFFERS[name][1])


@pytest.mark.parametrize(
    "train, n_step, buffer_drop, extras",
    [
        ("  n_step: 1\n", False, "", ()),  # one step: the key's off value, no windows
        ("  n_step: 3\n", True, "", ("truncated",)),
        ("  buffer_check_every: 1000\n", False, "once", ("policy_action",)),
        (
            "  n_step: 2\n  buffer_check_every: 1000\n  buffer_drop: until_below\n",
            True,
            "until_below",
            ("truncated", "policy_action"),
        ),
    ],
)
def test_train_keys_switch_the_buffer_facts(tmp_path, train, n_step, buffer_drop, extras):
    a = small_plan(tmp_path, "td3", MLP, "train:\n" + train).algo
    assert (a.n_step, a.buffer_drop, a.buffer_extras) == (n_step, buffer_drop, extras)


# spec -> the topology variants of its sparsity code (sign_split, keeps_moments,
# unmasked_grads, step_then_topology, count_targets, bernoulli, prunes_last)
VARIANTS = {
    "ds_td3": (True, True, True, True, True, True, True),  # Sokar's SET, as his code does it
    # RLx2: specc's RigL but Adam's moments kept (its reset_momentum handles SGD only)
    "rlx2_td3": (False, True, False, False, False, False, False),
    "mst_sac": (False, False, False, False, False, False, False),
}


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_topology_variant_facts(name):
    code = spec_plan(name).sparsity
    facts = (
        code.sign_split,
        code.keeps_moments,
        code.unmasked_grads,
        code.step_then_topology,
        code.count_targets,
        code.bernoulli,
        code.prunes_last,
    )
    assert facts == VARIANTS[name]
    assert ("epsilon_er_densities" in code.allocations) == code.bernoulli


def test_a_method_preset_carries_the_whole_method(tmp_path):
    """`preset: ds_td3` alone is DS-TD3: sparse modules, Sokar's masks and SET, Fujimoto's
    TD3 (the spec names only the env)."""
    path = tmp_path / "bare.yaml"
    path.write_text("specc: 1\nname: bare\nalgorithm: td3\npreset: ds_td3\nenv:\n  id: Hopper-v5\n")
    plan = front_end(str(path), [])[3]
    for module in ("actor", "critic"):
        sp = plan.network(module).sparsity
        assert sp.sparse and sp.dynamic and sp.bernoulli and sp.drop == "sign_split"
    assert plan.sparsity.sign_split and plan.sparsity.bernoulli
    assert plan.sparsity.prunes_last and not plan.network("actor").sparsity.grow_last
    assert not plan.algo.n_step and not plan.algo.dynamic_buffer


def test_a_spec_key_wins_over_the_method_preset(tmp_path):
    path = tmp_path / "own.yaml"
    path.write_text(
        "specc: 1\nname: own\nalgorithm: td3\npreset: rlx2\nenv:\n  id: Hopper-v5\n"
        "train:\n  n_step: 1\n  buffer_check_every: 0\n"
    )
    a = front_end(str(path), [])[3].algo
    assert not a.n_step and not a.dynamic_buffer and a.buffer_extras == ()


def test_resolved_sha256_is_that_of_the_resolved_yaml_and_follows_it():
    """SPEC_SHA256 (part of a run's identity): the sha256 of the resolved spec's text, which a
    run writes to spec.yaml; another value of any key gives another hash."""
    import hashlib

    plan = spec_plan("sac_dense")
    assert plan.resolved_sha256 == hashlib.sha256(plan.resolved_yaml.encode()).hexdigest()
    tau = front_end(str(ROOT / "specs" / "sac_dense.yaml"), ["train.tau=0.01"])[3]
    assert tau.resolved_sha256 != plan.resolved_sha256


# --------------------------------------------------------------------------- flags: the spec's rules
def _flag(plan: Plan, name: str):
    return next(f for g in plan.config for f in g.fields if f.name == name)


@pytest.mark.parametrize("spec", SPECS, ids=lambda p: p.stem)
def test_every_config_field_knows_its_spec_key_and_takes_its_range(spec):
    """A flag's range is its spec key's, read from the schema (lower.schema_rules); a relation
    names another field of the same Config."""
    from specc.lower import key_schema, schema_rules

    plan = spec_plan(spec.stem)
    names = {f.name for g in plan.config for f in g.fields}
    for f in (f for g in plan.config for f in g.fields):
        schema = key_schema(f.key)  # the key exists in the spec language
        assert schema.get("description") or f.key.startswith("networks.")
        numeric = tuple(r for r in f.rules if not isinstance(r[1], str))
        if f.type in ("int", "float") and f.name != "target_entropy_per_dim":
            assert numeric, f.name  # every number has a range (at least a sign)
            assert numeric == schema_rules(f.key, f.type) or f.name in NARROWED, f.name
        assert {b for _, b in f.rules if isinstance(b, str)} <= names - {f.name}


# fields whose numeric range the rules narrow beyond the schema's (rules.flag_relations)
NARROWED = {"grad_clip", "buffer_check_every", "interference_samples", "image_size"} | {
    f"{m}_prune_at" for m in ("actor", "critic", "encoder")
}


def test_flag_rules_of_sac_dense():
    plan = spec_plan("sac_dense")
    assert _flag(plan, "seed").rules == ((">=", 0), ("<=", 2**32 - 1))
    assert _flag(plan, "total_steps").rules == ((">=", 1),)
    assert _flag(plan, "learning_starts").rules == ((">=", 0), ("<", "total_steps"))
    assert _flag(plan, "gamma").rules == ((">", 0.0), ("<", 1.0))
    assert _flag(plan, "gamma").rule_texts == ("> 0", "< 1")
    assert _flag(plan, "tau").rule_texts == ("> 0", "<= 1")
    assert _flag(plan, "critic_width").key == "networks.critic.width"
    assert _flag(plan, "env_id").rules == () and _flag(plan, "env_id").key == "env.id"
    assert _flag(plan, "tensorboard").rules == ()
    # derived from train.target_entropy, which takes any finite number
    per_dim = _flag(plan, "target_entropy_per_dim")
    assert per_dim.key == "train.target_entropy" and per_dim.rules == ()


def test_flag_relations_of_the_rules(tmp_path):
    # rules._check_sparsity: schedule.end after schedule.start
    plan = spec_plan("d2s_sac")
    assert _flag(plan, "critic_schedule_end").rules[-1] == (">", "critic_schedule_start")
    # rules._check_diagnostics_reset: 2 <= interference_samples <= batch_size (narrows >= 1)
    k = _flag(spec_plan("diag_sac_wide_sparse"), "interference_samples")
    assert k.rules == ((">=", 2), ("<=", "diagnostics_batch_size"))
    assert k.rule_texts == (">= 2", "<= diagnostics_batch_size")
    # rules._check_prune_at: before the end of training; snip after the warm-up, at a step > 0
    assert _flag(spec_plan("mst_sac"), "critic_prune_at").rules == ((">=", 0), ("<", "total_steps"))
    snip = "    sparsity: {regime: sst, level: 0.5, criterion: snip, prune_at: 5000}\n"
    plan = small_plan(tmp_path, "sac", MLP.replace("critic: {arch: mlp}\n", f"critic:\n{snip}"))
    assert _flag(plan, "critic_prune_at").rules == (
        (">=", 1),
        ("<", "total_steps"),
        (">=", "learning_starts"),
    )
    # 0 means "no such code" in the spec, so where the flag exists 0 is refused
    assert _flag(spec_plan("mrq_dense"), "grad_clip").rules == ((">", 0.0),)


def test_small_float_bounds_keep_their_digits():
    from specc.plan import ConfigField

    f = ConfigField("x", "float", 0.5, "", "", "train.x", ((">", 1e-08), ("<=", 0.5)))
    assert f.rule_texts == ("> 1e-08", "<= 0.5")


def test_dmc_tasks_of_the_env_plan():
    from specc.catalog import DMC_TASKS

    assert spec_plan("mst_sac_dog_run").env.tasks == DMC_TASKS


def test_cudagraphs_refusal(tmp_path):
    """--cudagraphs is refused (by check_config, with the reason) where the script has the flag
    but its updates depend on host-side state; no refusal where it captures or has no flag."""
    assert spec_plan("sac_dense").cudagraphs_refusal == ""  # captures
    assert spec_plan("mrq_dense").cudagraphs_refusal == ""  # no update functions: no flag
    assert "masks change on the host" in spec_plan("mst_sac").cudagraphs_refusal
    reset = small_plan(tmp_path, "sac", MLP, "reset:\n  every: 1000\n")
    assert "resets drop optimizer state" in reset.cudagraphs_refusal
