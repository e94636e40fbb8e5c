"""generated/sac_simba.py: SimBa's encoder, initialisations, RSNorm and SAC settings."""

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")
F = torch.nn.functional

from conftest import GENERATED
from generated_utils import import_script

MOD = import_script(GENERATED / "sac_simba.py")


def test_encoder_is_embedding_then_pre_ln_inverted_bottleneck_blocks_then_final_ln():
    torch.manual_seed(0)
    net = MOD.SimbaEncoder(5, 8, 2, 3)
    x = torch.randn(4, 5)
    h = net.embedding(x)
    for block in net.blocks:
        assert block["up"].weight.shape == (32, 8)  # 4x inverted bottleneck
        h = h + block["down"](
            torch.relu(
                block["up"](F.layer_norm(h, (8,), block["norm"].weight, block["norm"].bias, 1e-6))
            )
        )
    h = F.layer_norm(h, (8,), net.final_norm.weight, net.final_norm.bias, 1e-6)
    torch.testing.assert_close(net(x), net.out(h))
    assert net.final_norm.eps == 1e-6


def test_initialisations_follow_simba():
    torch.manual_seed(0)
    net = MOD.SimbaEncoder(64, 128, 1, 64)
    w = net.embedding.weight  # orthogonal, gain 1: (128, 64) has orthonormal columns
    torch.testing.assert_close(w.T @ w, torch.eye(64), atol=1e-4, rtol=0)
    up = net.blocks[0]["up"].weight  # he_normal: std sqrt(2 / fan_in), truncated at 2 std
    assert abs(up.std().item() - math.sqrt(2 / 128)) < 0.05 * math.sqrt(2 / 128)
    assert all((m.bias == 0).all() for m in net.modules() if isinstance(m, torch.nn.Linear))


def test_running_obs_norm_matches_simba_rsnorm():
    rng = np.random.default_rng(0)
    data = rng.normal(3.0, 2.0, size=(500, 4))
    norm = MOD.RunningObsNorm(4)
    mean, var, count = np.zeros(4), np.ones(4), 1e-4  # SimBa's RunningMeanStd initial state
    for o in data:
        norm.update(torch.as_tensor(o, dtype=torch.float32))
        delta = o.astype(np.float32).astype(np.float64) - mean
        tot = count + 1
        mean = mean + delta / tot
        var = (var * count + delta**2 * count / tot) / tot
        count = tot
    np.testing.assert_allclose(norm.mean.numpy(), mean, rtol=1e-10)
    np.testing.assert_allclose(norm.var.numpy(), var, rtol=1e-10)
    x = torch.randn(3, 4)
    expected = (x.double() - torch.as_tensor(mean)) / torch.sqrt(torch.as_tensor(var) + 1e-8)
    torch.testing.assert_close(norm(x), expected.float())


def test_simba_sac_settings():
    cfg = MOD.Config()
    assert (cfg.actor_lr, cfg.critic_lr, cfg.weight_decay, cfg.updates_per_step) == (
        1e-4,
        1e-4,
        1e-2,
        2,
    )
    assert (cfg.alpha_init, cfg.target_entropy_per_dim) == (0.01, -0.5)
    assert (cfg.actor_width, cfg.actor_depth, cfg.critic_width, cfg.critic_depth) == (
        128,
        1,
        512,
        2,
    )
    assert MOD.LOG_STD_MIN == -10.0
    env = type("E", (), {"spec": type("S", (), {"max_episode_steps": 1000})()})()
    assert MOD.discount_heuristic(env) == pytest.approx(0.995)  # clip(199/200, 0.95, 0.995)
    env.spec.max_episode_steps = 200
    assert MOD.discount_heuristic(env) == pytest.approx(39 / 40)
    env.spec.max_episode_steps = 50
    assert MOD.discount_heuristic(env) == pytest.approx(0.95)


def test_adamw_decays_every_parameter_but_the_temperature():
    cfg = MOD.Config()
    p = torch.nn.Parameter(torch.ones(3))
    opt = MOD.make_optimizer([{"params": [p], "lr": 1e-4}], cfg.weight_decay)
    assert isinstance(opt, torch.optim.AdamW) and opt.defaults["weight_decay"] == 1e-2
