"""Structural variants the plan switches on (fixed vs learned temperature, AdamW, clipping,
LayerNorm, gamma auto, TensorBoard off): each compiles, contains only what it uses, and runs."""

import dataclasses
import math

import pytest

from conftest import ROOT
from generated_utils import import_script, run_script

from specc.compiler import compile_one

VARIANTS = {
    "sac_fixed_alpha_clip_adamw": (
        "sac_dense",
        [
            "train.alpha=0.2",
            "train.grad_clip=1.0",
            "train.optimizer=adamw",
            "train.weight_decay=0.01",
        ],
    ),
    "sac_ln_gamma_auto_entropy": (
        "sac_dense",
        [
            "networks.critic.layer_norm=true",
            "networks.actor.activation=elu",
            "train.gamma=auto",
            "train.target_entropy=-2.5",
            "logging.tensorboard=false",
        ],
    ),
    "td3_clip_block2": (
        "td3_dense",
        [
            "train.grad_clip=0.5",
            "networks.critic={arch: block, type: 2, depth: 2}",
            "logging.tensorboard=true",
        ],
    ),
    "ddpg_simba_actor": (
        "ddpg_dense",
        [
            "networks.actor={arch: simba, width: 32, depth: 1}",
            "networks.critic={arch: block, type: 5, width: 64}",
        ],
    ),
}
# Config's defaults each variant's overrides set
FIELDS = {
    "sac_fixed_alpha_clip_adamw": {"alpha": 0.2, "grad_clip": 1.0, "weight_decay": 0.01},
    "sac_ln_gamma_auto_entropy": {"target_entropy": -2.5},
    "td3_clip_block2": {"grad_clip": 0.5, "tensorboard": True},
    "ddpg_simba_actor": {"actor_width": 32, "actor_depth": 1, "critic_width": 64},
}


def code(path):
    """The script without its docstring and RESOLVED_SPEC (the resolved spec, every key included)."""
    text = path.read_text()
    return text[text.index('"""', 3) + 3 : text.index("RESOLVED_SPEC = ")]


def _compile(tmp_path, spec, overrides):
    c = compile_one(str(ROOT / "specs" / f"{spec}.yaml"), overrides)
    path = tmp_path / c.filename
    path.write_text(c.source)
    return path, c


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_variant_compiles_imports_and_runs(name, tmp_path):
    """Config's defaults are the overrides, and a short run logs finite losses to its last step."""
    spec, overrides = VARIANTS[name]
    path, c = _compile(tmp_path, spec, overrides)
    mod = import_script(path)
    defaults = dataclasses.asdict(mod.Config())
    assert {k: defaults.get(k) for k in FIELDS[name]} == FIELDS[name]
    # tensorboard: true makes TensorBoard required; the test environment need not have it
    no_tb = ["--no-tensorboard"] if "tensorboard" in defaults else []
    r = run_script(
        path,
        "--total-steps",
        "150",
        "--learning-starts",
        "50",
        "--eval-every",
        "150",
        "--eval-episodes",
        "1",
        "--log-every",
        "50",
        "--run-dir",
        str(tmp_path / "run"),
        "--env-id",
        "Pendulum-v1",
        *no_tb,
        cwd=tmp_path,
    )
    assert r.returncode == 0, r.stderr[-3000:]
    rows = _rows(tmp_path / "run")
    assert [int(row["step"]) for row in rows if row["critic_loss"]] == [50, 100, 150]
    assert math.isfinite(float(rows[0]["critic_loss"]))
    for row in rows[1:]:  # the first update (step 50) updates no actor: policy_delay 2
        assert math.isfinite(float(row["critic_loss"])) and math.isfinite(
            float(row["actor_loss"])
        ), row
        if "alpha_lr" in defaults:  # a learned temperature is logged, a fixed one is not
            assert math.isfinite(float(row["alpha"]))
        else:
            assert row.get("alpha", "") == ""
    assert math.isfinite(float(rows[-1]["eval_return"]))


def test_only_what_the_spec_uses(tmp_path):
    fixed, _ = _compile(tmp_path, "sac_dense", VARIANTS["sac_fixed_alpha_clip_adamw"][1])
    text = code(fixed)
    assert "log_alpha" not in text and "target_entropy" not in text and "alpha_lr" not in text
    assert "clip_grad_norm_" in text and "AdamW" in text
    assert 'weight_decay: Annotated[float, ">= 0"] = 0.01' in text
    (tmp_path / "b").mkdir()
    plain = tmp_path / "b" / "sac_dense.py"
    plain.write_text(compile_one(str(ROOT / "specs" / "sac_dense.yaml"), []).source)
    text = code(plain)
    assert "clip_grad_norm_" not in text and "AdamW" not in text and "weight_decay" not in text
    assert "LayerNorm" not in text and "BlockMLP" not in text and "SimbaEncoder" not in text
    assert "RunningObsNorm" not in text and "discount_heuristic" not in text
    (tmp_path / "c").mkdir()
    ln, _ = _compile(tmp_path / "c", "sac_dense", VARIANTS["sac_ln_gamma_auto_entropy"][1])
    text = code(ln)
    assert (
        "EnsembleLayerNorm" in text
        and "discount_heuristic" in text
        and "tensorboard" not in text.lower()
    )
    # no gamma field in Config (the resolved spec, indented by 2, says "gamma: auto")
    assert "\n    gamma: " not in text and "target_entropy: float = -2.5" in text


def test_tensorboard_true_requires_the_package(tmp_path):
    path, _ = _compile(tmp_path, "td3_dense", ["logging.tensorboard=true"])
    assert "pip install tensorboard" in path.read_text()


def _rows(run_dir):
    import csv

    with open(run_dir / "metrics.csv", newline="") as f:
        return [
            {k: v for k, v in row.items() if k not in ("time", "sps")} for row in csv.DictReader(f)
        ]


@pytest.mark.slow
def test_diagnostics_grad_norm_is_nan_before_a_modules_first_update_and_resume_is_exact(tmp_path):
    """CleanRL's SAC (policy_delay 2, one update per step) updates its actor at every second
    update: at step learning_starts only the critic has been updated, so actor_grad_norm is nan
    (no gradient yet) and every other value is finite; the same after a reset of the actor
    until its next update. Diagnostics draw from the same RNG as training, and a resumed run
    reproduces them."""

    path, _ = _compile(
        tmp_path, "sac_dense", ["diagnostics={every: 50}", "reset={every: 150, modules: [actor]}"]
    )
    common = [
        "--critic-width",
        "32",
        "--actor-width",
        "32",
        "--learning-starts",
        "100",
        "--eval-every",
        "0",
        "--log-every",
        "50",
        "--device",
        "cpu",
        "--threads",
        "1",
        "--env-id",
        "Pendulum-v1",
    ]
    full, part = tmp_path / "full", tmp_path / "part"
    r = run_script(path, "--total-steps", "300", "--run-dir", str(full), *common, cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-3000:]
    rows = [row for row in _rows(full) if row["critic_srank"]]
    assert [int(row["step"]) for row in rows] == [100, 150, 200, 250, 300]
    columns = [
        f"{m}_{metric}"
        for m in ("actor", "critic")
        for metric in ("dormant_ratio", "srank", "grad_norm", "param_norm", "grad_interference")
    ]
    assert list(rows[0])[-10:] == columns
    for row in rows:
        nan = [c for c in columns if math.isnan(float(row[c]))]
        # step 150: the actor was reset, and update 51 updates no actor: no gradient since the reset
        assert nan == (["actor_grad_norm"] if row["step"] in ("100", "150") else []), (
            row["step"],
            nan,
        )
    r = run_script(path, "--total-steps", "250", "--run-dir", str(part), *common, cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-3000:]
    r = run_script(path, "--resume", "--total-steps", "300", "--run-dir", str(part), cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-3000:]
    assert _rows(part) == _rows(full)


@pytest.mark.slow
def test_diagnostics_do_not_change_training(tmp_path):
    """diagnose() draws a batch and random actions on a forked RNG: a run with diagnostics every
    50 steps trains exactly as one whose diagnostics never come (same losses, returns, alpha)."""
    path, _ = _compile(tmp_path, "sac_dense", ["diagnostics={every: 50}"])
    common = [
        "--critic-width",
        "32",
        "--actor-width",
        "32",
        "--learning-starts",
        "100",
        "--total-steps",
        "300",
        "--eval-every",
        "300",
        "--eval-episodes",
        "1",
        "--log-every",
        "50",
        "--device",
        "cpu",
        "--threads",
        "1",
        "--env-id",
        "Pendulum-v1",
    ]
    runs = {}
    for every in ("50", "1000"):
        r = run_script(
            path,
            *common,
            "--diagnostics-every",
            every,
            "--run-dir",
            str(tmp_path / every),
            cwd=tmp_path,
        )
        assert r.returncode == 0, r.stderr[-3000:]
        runs[every] = _rows(tmp_path / every)
    training = ("step", "episode_return", "eval_return", "critic_loss", "actor_loss", "alpha")
    assert any(row["critic_srank"] for row in runs["50"]) and not any(
        row["critic_srank"] for row in runs["1000"]
    )
    assert [{k: row[k] for k in training} for row in runs["50"]] == [
        {k: row[k] for k in training} for row in runs["1000"]
    ]


@pytest.mark.slow
def test_reset_without_keep_mask_draws_a_new_mask_and_leaves_other_modules_alone(tmp_path):
    """DDPG, a sparse actor (random masks) reset with keep_mask: false, the critic not reset:
    train to step 200, resume with update phases too far apart to come (update_every 1000) so
    that the final checkpoint holds what the reset at step 300 left."""
    import torch

    path, _ = _compile(
        tmp_path,
        "ddpg_dense",
        [
            "networks.actor.sparsity={regime: sst, level: 0.5}",
            "reset={every: 100, modules: [actor], keep_mask: false}",
        ],
    )
    run_dir = tmp_path / "run"
    common = [
        "--critic-width",
        "32",
        "--actor-width",
        "32",
        "--eval-every",
        "0",
        "--device",
        "cpu",
        "--threads",
        "1",
        "--env-id",
        "Pendulum-v1",
    ]
    r = run_script(
        path,
        *common,
        "--total-steps",
        "200",
        "--learning-starts",
        "100",
        "--reset-every",
        "1000",
        "--run-dir",
        str(run_dir),
        cwd=tmp_path,
    )
    assert r.returncode == 0, r.stderr[-3000:]
    assert "reset:" not in r.stdout
    before = torch.load(run_dir / "checkpoint.pt", weights_only=False)
    r = run_script(
        path,
        "--resume",
        "--run-dir",
        str(run_dir),
        "--total-steps",
        "400",
        "--update-every",
        "1000",
        "--reset-every",
        "300",
        "--checkpoint-every",
        "0",
        cwd=tmp_path,
    )
    assert r.returncode == 0, r.stderr[-3000:]
    assert [l for l in r.stdout.splitlines() if "reset:" in l] == ["step 300  reset: actor"]
    after = torch.load(run_dir / "checkpoint.pt", weights_only=False)
    # a new mask at the same level, applied to the fresh actor and its target (equal)
    new, old = after["actor_masks"]["masks"], before["actor_masks"]["masks"]
    assert not all(torch.equal(a, b) for a, b in zip(new, old))
    assert [float(a.sum()) for a in new] == [float(b.sum()) for b in old]
    assert all(torch.equal(after["actor_target"][k], v) for k, v in after["actor"].items())
    for i, layer in enumerate(("mu.hidden.0", "mu.hidden.1", "mu.out")):
        w = after["actor"][f"{layer}.weight"]
        assert (w[new[i] == 0] == 0).all() and (w[new[i] == 1] != 0).all()
        assert not torch.equal(w, before["actor"][f"{layer}.weight"])
    assert not after["actor_opt"]["state"] and before["actor_opt"]["state"]
    # the critic is not reset
    assert all(torch.equal(after["critic"][k], v) for k, v in before["critic"].items())
    assert all(
        torch.equal(after["critic_target"][k], v) for k, v in before["critic_target"].items()
    )
    assert after["critic_opt"]["state"].keys() == before["critic_opt"]["state"].keys()
