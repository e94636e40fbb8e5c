"""Plan facts: what the templates select with is computed (and tested) here, in Python.

Each fact is checked on the plans of the specs in specs/ and on small specs written for the
case; the templates print these facts and never derive them."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

from specc.compiler import front_end
from specc.plan import ALGORITHM_TEMPLATES, Plan
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
    for template in set(ALGORITHM_TEMPLATES.values()):
        assert (templates_dir() / template).is_file(), template


@pytest.mark.parametrize("spec", SPECS, ids=lambda p: p.stem)
def test_algo_template_of_every_spec(spec):
    plan = spec_plan(spec.stem)
    expected = {
        "sac": "algorithms/sac.py.jinja",
        "td3": "algorithms/deterministic.py.jinja",
        "ddpg": "algorithms/deterministic.py.jinja",
    }[plan.algorithm]
    assert plan.algo.template == expected


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
    simba = spec_plan("sac_simba").algo
    assert simba.log_std_min == -10.0
    assert simba.log_std_source == "SimBa's NormalTanhPolicy (CleanRL uses -5)"
