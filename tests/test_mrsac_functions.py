"""generated/mrsac_dense.py's own functions (MR.SAC, MST paper App. E: MR.Q's encoder with SAC's
actor-critic) against hand computations: the tanh-Gaussian policy's log-probability, the soft
multi-step value target with the reward scales, the value loss, the actor and temperature
losses. What MR.SAC shares with MR.Q (encoder loss, replay, reward scale, multi-step return) is
tested on mrq_dense in test_mrq_functions.py; the two scripts render those functions from the
same template, which the first test checks."""

import copy
import math

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("gymnasium")

from conftest import GENERATED
from generated_utils import import_script

MRSAC = import_script(GENERATED / "mrsac_dense.py")
MRQ = import_script(GENERATED / "mrq_dense.py")

OBS_DIM, ACT_DIM, WIDTH = 3, 2, 16


def test_shared_functions_are_the_same_source_as_mrq():
    import inspect

    for name in (
        "symexp",
        "reward_bins",
        "two_hot",
        "two_hot_cross_entropy",
        "encoder_loss_fn",
        "multi_step_return",
        "lap_priority",
        "hard_update",
    ):
        assert inspect.getsource(getattr(MRSAC, name)) == inspect.getsource(getattr(MRQ, name))
    assert inspect.getsource(MRSAC.ReplayBuffer) == inspect.getsource(MRQ.ReplayBuffer)
    assert inspect.getsource(MRSAC.Encoder) == inspect.getsource(MRQ.Encoder)


def _nets(seed=0):
    torch.manual_seed(seed)
    encoder = MRSAC.Encoder(OBS_DIM, ACT_DIM, WIDTH, 2, 65)
    actor = MRSAC.Actor(WIDTH, ACT_DIM, WIDTH, 2)
    critic = MRSAC.Critic(WIDTH, WIDTH, 3)
    encoder_t, critic_t = (copy.deepcopy(n).requires_grad_(False) for n in (encoder, critic))
    with torch.no_grad():  # targets differ from the online networks
        for p in [*encoder_t.parameters(), *critic_t.parameters()]:
            p.add_(0.2 * torch.randn_like(p))
    return encoder, actor, critic, encoder_t, critic_t


def test_actor_sample_log_prob_is_the_tanh_gaussian_density():
    _, actor, _, _, _ = _nets()
    zs = torch.randn(6, WIDTH)
    torch.manual_seed(3)
    action, log_pi = actor.sample(zs)
    torch.manual_seed(3)
    mean, log_std = actor(zs)
    u = mean + log_std.exp() * torch.randn_like(mean)
    normal = torch.distributions.Normal(mean, log_std.exp())
    # change of variables a = tanh(u), with CleanRL's 1e-6 inside the log
    expected = (normal.log_prob(u) - torch.log(1 - torch.tanh(u) ** 2 + 1e-6)).sum(-1)
    torch.testing.assert_close(action, torch.tanh(u))
    torch.testing.assert_close(log_pi, expected)
    assert log_pi.shape == (6,)
    # log std is squashed into [-5, 2]
    with torch.no_grad():
        actor.pi.out.bias.fill_(100.0)
    assert actor(zs)[1].max().item() == pytest.approx(2.0)
    with torch.no_grad():
        actor.pi.out.bias.fill_(-100.0)
    assert actor(zs)[1].min().item() == pytest.approx(-5.0)


def _batch():
    torch.manual_seed(1)
    obs = torch.randn(3, 6, OBS_DIM)
    actions = torch.rand(3, 5, ACT_DIM) * 2 - 1
    rewards = torch.tensor([[1.0, 2.0, 4.0, 9.0, 9.0], [1.0, 2.0, 4.0, 9.0, 9.0], [3.0] * 5])
    # row 0 runs through the horizon, row 1 terminates at its 2nd step, row 2 at its 3rd
    not_done = torch.tensor([[1.0] * 5, [1.0, 0.0, 1.0, 1.0, 1.0], [1.0, 1.0, 0.0, 1.0, 1.0]])
    return [obs, actions, rewards, not_done, torch.arange(3)]


def test_soft_value_target_and_loss_by_hand():
    encoder, actor, critic, encoder_t, critic_t = _nets()
    batch = _batch()
    obs, actions = batch[0], batch[1]
    cfg = MRSAC.Config(value_horizon=3)
    log_alpha = torch.tensor(math.log(0.5))
    gamma, scale, target_scale = 0.5, torch.tensor(2.0), torch.tensor(4.0)
    torch.manual_seed(7)
    loss, q, y, zs = MRSAC.critic_loss_fn(
        batch,
        encoder,
        encoder_t,
        actor,
        critic,
        critic_t,
        log_alpha,
        scale,
        target_scale,
        gamma,
        cfg,
    )
    torch.manual_seed(7)
    with torch.no_grad():
        next_zs = encoder_t.zs(obs[:, 3])
        a, log_pi = actor.sample(next_zs)  # the online actor: SAC has no target actor
        next_q = critic_t(encoder_t.zsa(next_zs, a)).min(0).values
    # MR.Q's dropped terminal reward: R = r_t * nd_t discounted; rows 1 and 2 do not bootstrap
    ret = torch.tensor([1 + 1 + 1.0, 1.0 + 0 + 1.0, 3.0 + 1.5 + 0.0])
    # the entropy bonus on the value nets' normalised scale: after the division by the scale
    boot = torch.tensor([1.0, 0.0, 0.0]) * 0.125
    expected = (ret + boot * next_q * 4.0) / 2.0 - boot * 0.5 * log_pi
    torch.testing.assert_close(y, expected)
    # no reward seen yet (a sparse-reward task): reward scale 1e-8, the target stays of the
    # order of the entropy bonus and Q' (in reward units it would be divided by 1e-8)
    zero = [batch[0], batch[1], torch.zeros_like(batch[2]), *batch[3:]]
    tiny = torch.tensor(1e-8)
    args = (encoder, encoder_t, actor, critic, critic_t, log_alpha, tiny, tiny, gamma, cfg)
    assert MRSAC.critic_loss_fn(zero, *args)[2].abs().max() < 100
    with torch.no_grad():
        q_hand = critic(encoder.zsa(encoder.zs(obs[:, 0]), actions[:, 0]))
    torch.testing.assert_close(q, q_hand)
    # SAC's value loss: the MSE of each value network, summed over the two
    torch.testing.assert_close(loss, ((q_hand - expected) ** 2).mean(1).sum())
    torch.testing.assert_close(zs, encoder.zs(obs[:, 0]).detach())
    loss.backward()
    assert all(p.grad is None for p in encoder.parameters())  # never trains the encoder
    assert all(p.grad is None for p in actor.parameters())


def test_actor_and_temperature_losses_by_hand():
    encoder, actor, critic, _, _ = _nets(2)
    zs = torch.randn(5, WIDTH)
    log_alpha = torch.tensor(math.log(0.3), requires_grad=True)
    target_entropy = -2.0
    torch.manual_seed(11)
    total, actor_loss = MRSAC.actor_loss_fn(zs, encoder, actor, critic, log_alpha, target_entropy)
    torch.manual_seed(11)
    with torch.no_grad():
        a, log_pi = actor.sample(zs)
        q = critic(encoder.zsa(zs, a)).min(0).values  # the normalised scale, as the target
    expected_actor = (0.3 * log_pi - q).mean()
    expected_alpha = -(0.3 * (log_pi + target_entropy)).mean()
    torch.testing.assert_close(actor_loss, expected_actor)
    torch.testing.assert_close(total.detach(), expected_actor + expected_alpha)
    total.backward()
    # d/d log_alpha of -exp(log_alpha) * mean(log_pi + H): -0.3 * mean(log_pi + H)
    torch.testing.assert_close(log_alpha.grad, -(0.3 * (log_pi + target_entropy)).mean())
    # the critic's gradient flows (it is not stepped: only the actor's optimizer is)
    assert all(p.grad is not None for p in actor.parameters())


def test_config_defaults_are_mrq_with_sacs_temperature():
    c = MRSAC.Config()
    assert (c.alpha_init, c.alpha_lr, c.target_entropy_per_dim) == (1.0, 3e-4, -1.0)
    assert (c.encoder_lr, c.actor_lr, c.critic_lr, c.weight_decay) == (1e-4, 3e-4, 3e-4, 1e-4)
    assert (c.target_every, c.value_horizon, c.encoder_horizon, c.lap_alpha) == (250, 3, 5, 0.4)
    assert not hasattr(c, "exploration_noise") and not hasattr(c, "pre_activation_weight")
