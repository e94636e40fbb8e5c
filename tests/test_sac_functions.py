"""generated/sac_dense.py's functions against the formulas of SAC (Haarnoja et al. 2018) as
CleanRL implements them."""

import math

import pytest

torch = pytest.importorskip("torch")

from conftest import GENERATED
from generated_utils import import_script

SAC = import_script(GENERATED / "sac_dense.py")


def _actor(obs_dim=3, act_dim=2, low=(-2.0, -1.0), high=(2.0, 3.0)):
    torch.manual_seed(0)
    return SAC.Actor(obs_dim, act_dim, 16, 2, torch.tensor(low), torch.tensor(high))


def test_actor_log_prob_is_the_tanh_squashed_gaussian_density():
    actor = _actor()
    obs = torch.randn(64, 3)
    torch.manual_seed(1)
    action, log_prob = actor.sample(obs)
    mean, log_std = actor(obs)
    torch.manual_seed(1)
    eps = torch.randn_like(mean)
    u = mean + log_std.exp() * eps
    gauss = torch.distributions.Normal(mean, log_std.exp()).log_prob(u).sum(-1)
    # change of variables a = scale * tanh(u) + bias (CleanRL's epsilon 1e-6 included)
    expected = gauss - torch.log(actor.action_scale * (1 - torch.tanh(u) ** 2) + 1e-6).sum(-1)
    torch.testing.assert_close(log_prob, expected, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(action, torch.tanh(u) * actor.action_scale + actor.action_bias)


def test_actions_respect_asymmetric_bounds_and_eval_is_the_mean_action():
    actor = _actor()
    obs = torch.randn(512, 3) * 10
    a = actor.act(obs)
    assert (a[:, 0].abs() <= 2).all() and (a[:, 1] >= -1).all() and (a[:, 1] <= 3).all()
    mean, _ = actor(obs)
    torch.testing.assert_close(
        actor.act(obs, deterministic=True),
        torch.tanh(mean) * actor.action_scale + actor.action_bias,
    )


def test_log_std_stays_in_cleanrl_range():
    actor = _actor()
    with torch.no_grad():
        actor.fc_logstd.bias.fill_(1e3)
    _, log_std = actor(torch.randn(4, 3))
    assert torch.allclose(log_std, torch.full_like(log_std, 2.0))
    with torch.no_grad():
        actor.fc_logstd.bias.fill_(-1e3)
    _, log_std = actor(torch.randn(4, 3))
    assert torch.allclose(log_std, torch.full_like(log_std, -5.0))


def test_batched_twin_critic_equals_two_independent_mlps():
    torch.manual_seed(0)
    critic = SAC.Critic(3, 2, 8, 2)
    obs, act = torch.randn(5, 3), torch.randn(5, 2)
    q = critic(obs, act)
    assert q.shape == (2, 5)
    x = torch.cat([obs, act], -1)
    for e in range(2):
        h = x
        for layer in critic.q.hidden:
            h = torch.relu(h @ layer.weight[e] + layer.bias[e])
        out = h @ critic.q.out.weight[e] + critic.q.out.bias[e]
        torch.testing.assert_close(q[e], out.squeeze(-1))


def test_ensemble_linear_init_matches_nn_linear_bounds():
    torch.manual_seed(0)
    layer = SAC.EnsembleLinear(2, 400, 300)
    bound = 1 / math.sqrt(400)
    assert layer.weight.abs().max() <= bound and layer.weight.abs().max() > 0.95 * bound
    assert layer.bias.abs().max() <= bound
    assert abs(layer.weight.std().item() - bound / math.sqrt(3)) < 0.01 * bound


def test_polyak_update():
    t, o = [torch.zeros(3), torch.ones(2)], [torch.ones(3), torch.full((2,), 3.0)]
    SAC.polyak_update(t, o, 0.25)
    torch.testing.assert_close(t[0], torch.full((3,), 0.25))
    torch.testing.assert_close(t[1], torch.full((2,), 1.0 + 0.25 * 2.0))


def test_critic_loss_is_the_soft_bellman_error_without_bootstrap_at_termination():
    torch.manual_seed(0)
    actor, critic = _actor(), SAC.Critic(3, 2, 16, 2)
    target = SAC.Critic(3, 2, 16, 2)
    log_alpha = torch.tensor(math.log(0.3))
    batch = [
        torch.randn(8, 3),
        torch.rand(8, 2),
        torch.randn(8),
        torch.randn(8, 3),
        torch.tensor([0.0, 1.0] * 4),
    ]
    torch.manual_seed(5)
    loss = SAC.critic_loss_fn(batch, actor, critic, target, log_alpha, 0.9)
    torch.manual_seed(5)
    with torch.no_grad():
        a2, logp2 = actor.sample(batch[3])
        v2 = target(batch[3], a2).min(0).values - 0.3 * logp2
        y = batch[2] + 0.9 * (1 - batch[4]) * v2
        q = critic(batch[0], batch[1])
        expected = ((q[0] - y) ** 2).mean() + ((q[1] - y) ** 2).mean()
    torch.testing.assert_close(loss.detach(), expected)


def test_one_critic_without_clipped_double_q():
    """train.clipped_double_q: false (SimBa on DMC): one Q-network, the soft Bellman target from
    it alone, the mean squared TD error, and the actor loss on that Q."""
    one = import_script(GENERATED / "sac_simba_dog_run.py")
    torch.manual_seed(0)
    actor = one.Actor(3, 2, 16, 1, torch.tensor((-1.0, -1.0)), torch.tensor((1.0, 1.0)))
    critic, target = one.Critic(3, 2, 16, 1), one.Critic(3, 2, 16, 1)
    log_alpha = torch.tensor(math.log(0.3))
    batch = [
        torch.randn(8, 3),
        torch.rand(8, 2),
        torch.randn(8),
        torch.randn(8, 3),
        torch.tensor([0.0, 1.0] * 4),
    ]
    assert critic(batch[0], batch[1]).shape == (8,)
    torch.manual_seed(5)
    loss = one.critic_loss_fn(batch, actor, critic, target, log_alpha, 0.9)
    torch.manual_seed(5)
    with torch.no_grad():
        a2, logp2 = actor.sample(batch[3])
        y = batch[2] + 0.9 * (1 - batch[4]) * (target(batch[3], a2) - 0.3 * logp2)
        expected = ((critic(batch[0], batch[1]) - y) ** 2).mean()
    torch.testing.assert_close(loss.detach(), expected)

    torch.manual_seed(7)
    _, actor_loss = one.actor_loss_fn(batch[0], actor, critic, log_alpha, -1.0)
    torch.manual_seed(7)
    with torch.no_grad():
        a, logp = actor.sample(batch[0])
        expected = (0.3 * logp - critic(batch[0], a)).mean()
    torch.testing.assert_close(actor_loss, expected)


def test_temperature_rises_when_entropy_is_below_target():
    torch.manual_seed(0)
    actor, critic = _actor(), SAC.Critic(3, 2, 16, 2)
    with torch.no_grad():
        actor.fc_logstd.bias.fill_(-50.0)  # nearly deterministic: entropy far below -|A|
    log_alpha = torch.tensor(0.0, requires_grad=True)
    opt = torch.optim.SGD(
        [{"params": list(actor.parameters()), "lr": 0.0}, {"params": [log_alpha], "lr": 0.1}]
    )
    loss, actor_loss = SAC.actor_loss_fn(torch.randn(32, 3), actor, critic, log_alpha, -2.0)
    SAC.optimizer_step(opt, loss)
    assert log_alpha.item() > 0.0
    assert all(
        p.grad is None for p in critic.parameters()
    ), "the actor step leaves critic grads alone"


def test_replay_buffer_round_trip():
    rb = SAC.ReplayBuffer(4, 3, 2, torch.device("cpu"))
    for i in range(6):  # wraps around
        rb.add([i] * 3, [i, -i], float(i), [i + 1] * 3, i == 5)
    assert rb.size == 4 and rb.ptr == 2
    assert rb.data["rewards"].tolist() == [4.0, 5.0, 2.0, 3.0]
    assert rb.data["terminations"].tolist() == [0.0, 1.0, 0.0, 0.0]
    other = SAC.ReplayBuffer(4, 3, 2, torch.device("cpu"))
    other.load_state_dict(rb.state_dict())
    for k in rb.KEYS:
        torch.testing.assert_close(other.data[k], rb.data[k])
    obs, actions, rewards, next_obs, term = rb.sample(100)
    assert set(rewards.tolist()) <= {2.0, 3.0, 4.0, 5.0}
    torch.testing.assert_close(next_obs[:, 0], obs[:, 0] + 1)
