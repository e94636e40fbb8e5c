"""Structural variants the plan switches on (fixed vs learned temperature, AdamW, clipping,
LayerNorm, gamma auto, TensorBoard off): each compiles, contains only what it uses, and runs."""

import pytest

from conftest import ROOT
from generated_utils import import_script, run_script

from specc.compiler import compile_one

VARIANTS = {
    "sac_fixed_alpha_clip_adamw": ("sac_dense", ["train.alpha=0.2", "train.grad_clip=1.0", "train.optimizer=adamw", "train.weight_decay=0.01"]),
    "sac_ln_gamma_auto_entropy": ("sac_dense", ["networks.critic.layer_norm=true", "networks.actor.activation=elu", "train.gamma=auto", "train.target_entropy=-2.5", "logging.tensorboard=false"]),
    "td3_clip_block2": ("td3_dense", ["train.grad_clip=0.5", "networks.critic={arch: block, type: 2, depth: 2}", "logging.tensorboard=true"]),
    "ddpg_simba_actor": ("ddpg_dense", ["networks.actor={arch: simba, width: 32, depth: 1}", "networks.critic={arch: block, type: 5, width: 64}"]),
}


def code(path):
    """The script without its docstring (which embeds the resolved spec, every key included)."""
    text = path.read_text()
    return text[text.index('"""', 3) + 3 :]


def _compile(tmp_path, spec, overrides):
    c = compile_one(str(ROOT / "specs" / f"{spec}.yaml"), overrides)
    path = tmp_path / c.filename
    path.write_text(c.source)
    return path, c


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_variant_compiles_imports_and_runs(name, tmp_path):
    spec, overrides = VARIANTS[name]
    path, c = _compile(tmp_path, spec, overrides)
    mod = import_script(path)
    # tensorboard: true makes TensorBoard required; the test environment need not have it
    no_tb = ["--no-tensorboard"] if hasattr(mod.Config(), "tensorboard") else []
    r = run_script(path, "--total-steps", "150", "--learning-starts", "50", "--eval-every", "150", "--eval-episodes", "1",
                   "--log-every", "50", "--run-dir", str(tmp_path / "run"), "--env-id", "Pendulum-v1", *no_tb, cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-3000:]
    assert mod.Config() is not None


def test_only_what_the_spec_uses(tmp_path):
    fixed, _ = _compile(tmp_path, "sac_dense", VARIANTS["sac_fixed_alpha_clip_adamw"][1])
    text = code(fixed)
    assert "log_alpha" not in text and "target_entropy" not in text and "alpha_lr" not in text
    assert "clip_grad_norm_" in text and "AdamW" in text and "weight_decay: float = 0.01" in text
    (tmp_path / "b").mkdir()
    plain = (tmp_path / "b" / "sac_dense.py")
    plain.write_text(compile_one(str(ROOT / "specs" / "sac_dense.yaml"), []).source)
    text = code(plain)
    assert "clip_grad_norm_" not in text and "AdamW" not in text and "weight_decay" not in text
    assert "LayerNorm" not in text and "BlockMLP" not in text and "SimbaEncoder" not in text
    assert "RunningObsNorm" not in text and "discount_heuristic" not in text
    (tmp_path / "c").mkdir()
    ln, _ = _compile(tmp_path / "c", "sac_dense", VARIANTS["sac_ln_gamma_auto_entropy"][1])
    text = code(ln)
    assert "EnsembleLayerNorm" in text and "discount_heuristic" in text and "tensorboard" not in text.lower()
    assert "gamma: float" not in text and "target_entropy: float = -2.5" in text


def test_tensorboard_true_requires_the_package(tmp_path):
    path, _ = _compile(tmp_path, "td3_dense", ["logging.tensorboard=true"])
    assert "pip install tensorboard" in path.read_text()
