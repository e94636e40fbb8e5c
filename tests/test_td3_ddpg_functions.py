"""generated/td3_dense.py and ddpg_dense.py against the TD3 / DDPG formulas (CleanRL)."""

import pytest

torch = pytest.importorskip("torch")

from conftest import GENERATED
from generated_utils import import_script

TD3 = import_script(GENERATED / "td3_dense.py")
DDPG = import_script(GENERATED / "ddpg_dense.py")


def _actor(mod, noise=0.1):
    torch.manual_seed(0)
    return mod.Actor(3, 2, 16, 2, torch.tensor([-2.0, -1.0]), torch.tensor([2.0, 3.0]), noise)


@pytest.mark.parametrize("mod", [TD3, DDPG], ids=["td3", "ddpg"])
def test_actor_is_scaled_tanh_and_exploration_stays_in_bounds(mod):
    actor = _actor(mod, noise=5.0)  # huge noise: clipping must keep actions in bounds
    obs = torch.randn(256, 3)
    mu = actor(obs)
    torch.testing.assert_close(
        mu, torch.tanh(actor.mu(obs)) * actor.action_scale + actor.action_bias
    )
    torch.testing.assert_close(actor.act(obs, deterministic=True), mu)
    a = actor.act(obs)
    assert (a >= actor.action_low).all() and (a <= actor.action_high).all()
    assert not torch.allclose(a, mu)


def test_exploration_noise_std_is_in_units_of_the_action_scale():
    actor = _actor(TD3, noise=0.1)
    with torch.no_grad():
        for p in actor.mu.parameters():
            p.zero_()  # mu(s) = bias = (0, 1): far from the bounds
    torch.manual_seed(0)
    a = actor.act(torch.zeros(20000, 3))
    std = (a - actor(torch.zeros(1, 3))).std(0)
    torch.testing.assert_close(std, actor.action_scale * 0.1, rtol=0.05, atol=0.0)


def test_td3_target_uses_clipped_smoothing_noise_and_the_min_of_twin_targets():
    torch.manual_seed(0)
    actor_t, critic, critic_t = _actor(TD3), TD3.Critic(3, 2, 16, 2), TD3.Critic(3, 2, 16, 2)
    batch = [
        torch.randn(64, 3),
        torch.rand(64, 2),
        torch.randn(64),
        torch.randn(64, 3),
        (torch.rand(64) < 0.5).float(),
    ]
    torch.manual_seed(3)
    loss = TD3.critic_loss_fn(batch, actor_t, critic, critic_t, 0.99, 0.2, 0.5)
    torch.manual_seed(3)
    with torch.no_grad():
        a2 = actor_t(batch[3])
        noise = (torch.randn_like(a2) * 0.2).clamp(-0.5, 0.5) * actor_t.action_scale
        a2 = torch.max(torch.min(a2 + noise, actor_t.action_high), actor_t.action_low)
        y = batch[2] + 0.99 * (1 - batch[4]) * torch.min(*critic_t(batch[3], a2))
        q1, q2 = critic(batch[0], batch[1])
        expected = ((q1 - y) ** 2).mean() + ((q2 - y) ** 2).mean()
    torch.testing.assert_close(loss.detach(), expected)


def test_td3_actor_loss_is_minus_q1():
    actor, critic = _actor(TD3), TD3.Critic(3, 2, 16, 2)
    opt = torch.optim.SGD(actor.parameters(), lr=0.0)
    obs = torch.randn(32, 3)
    loss = TD3.actor_loss_fn(obs, actor, critic)
    torch.testing.assert_close(loss, -critic(obs, actor(obs))[0].mean())
    TD3.optimizer_step(opt, loss)
    assert all(
        p.grad is None for p in critic.parameters()
    ), "the actor step leaves critic grads alone"


def test_ddpg_single_critic_target():
    torch.manual_seed(0)
    actor_t, critic, critic_t = _actor(DDPG), DDPG.Critic(3, 2, 16, 2), DDPG.Critic(3, 2, 16, 2)
    batch = [
        torch.randn(16, 3),
        torch.rand(16, 2),
        torch.randn(16),
        torch.randn(16, 3),
        (torch.rand(16) < 0.5).float(),
    ]
    loss = DDPG.critic_loss_fn(batch, actor_t, critic, critic_t, 0.9)
    with torch.no_grad():
        y = batch[2] + 0.9 * (1 - batch[4]) * critic_t(batch[3], actor_t(batch[3]))
        expected = ((critic(batch[0], batch[1]) - y) ** 2).mean()
    assert critic(batch[0], batch[1]).shape == (16,)
    torch.testing.assert_close(loss.detach(), expected)


# --- SimBa's DDPG (train.ddpg_variant: simba; ../shared/reference/mrq_simba.md section 2.4) ---


@pytest.fixture(scope="module")
def simba_ddpg(tmp_path_factory):
    from conftest import ROOT
    from specc.compiler import compile_one

    c = compile_one(str(ROOT / "specs" / "ddpg_dense.yaml"), ["train.ddpg_variant=simba"])
    path = tmp_path_factory.mktemp("simba_ddpg") / c.filename
    path.write_text(c.source)
    return import_script(path)


class _SumQ(torch.nn.Module):
    """A stand-in critic: Q(s, a) = sum of the action's entries."""

    def forward(self, _obs, actions):
        return actions.sum(-1)


def _bias_actor(mod, noise):
    """Bounds [-2, 2] x [-1, 3]: scale (2, 2), bias (0, 1); a zero trunk, so mu(s) = (0, 1)."""
    actor = mod.Actor(3, 2, 16, 1, torch.tensor([-2.0, -1.0]), torch.tensor([2.0, 3.0]), noise)
    with torch.no_grad():
        for p in actor.mu.parameters():
            p.zero_()
    return actor


def test_simba_ddpg_losses_put_the_exploration_noise_in_the_actor_loss_and_the_target(
    simba_ddpg, monkeypatch
):
    mod = simba_ddpg
    monkeypatch.setattr(torch, "randn_like", torch.ones_like)  # every Gaussian draw is +1
    actor, critic, critic_target = _bias_actor(mod, 0.1), _SumQ(), _SumQ()
    # the noisy action: mu(s) + 1 * scale * 0.1 = (0, 1) + (0.2, 0.2) = (0.2, 1.2), inside the bounds
    obs = torch.zeros(2, 3)
    loss = mod.actor_loss_fn(obs, actor, critic)
    assert loss.item() == pytest.approx(-1.4)  # -Q(s, mu(s) + noise), not -Q(s, mu(s)) = -1
    loss.backward()
    assert (
        actor.mu.out.bias.grad is not None and actor.mu.out.bias.grad.abs().sum() > 0
    )  # through mu(s)
    # the TD target's next action is the current actor's noisy action (no target actor):
    # Q'(s', a') = 1.4; r = (1, -1), terminated = (0, 1), gamma 0.5: y = (1 + 0.7, -1) = (1.7, -1)
    # Q(s, a) = (2, 0): delta = (0.3, 1), loss = (0.09 + 1) / 2 = 0.545
    batch = [
        obs,
        torch.tensor([[1.0, 1.0], [0.0, 0.0]]),
        torch.tensor([1.0, -1.0]),
        torch.zeros(2, 3),
        torch.tensor([0.0, 1.0]),
    ]
    torch.testing.assert_close(
        mod.critic_td_errors_fn(batch, actor, critic, critic_target, 0.5), torch.tensor([0.3, 1.0])
    )
    assert mod.critic_loss_fn(batch, actor, critic, critic_target, 0.5).item() == pytest.approx(
        0.545
    )
    # the noisy action is clipped only to the bounds: noise 20 -> (40, 41) clipped to (2, 3)
    actor = _bias_actor(mod, 20.0)
    loss = mod.actor_loss_fn(obs, actor, critic)
    assert loss.item() == pytest.approx(-5.0)
    torch.testing.assert_close(
        mod.critic_td_errors_fn(batch, actor, critic, critic_target, 0.5),
        torch.tensor([2.0 - (1 + 2.5), 1.0]),
    )


def test_simba_ddpg_script_has_no_actor_target_and_updates_the_actor_first():
    source = (GENERATED / "mst_ddpg.py").read_text()
    assert "ddpg_variant: simba" in source and "actor_target" not in source
    phase = source[source.index("in SimBa's order") :]
    assert phase.index("actor_update(batch[0])") < phase.index("critic_update(batch)")
    # the critic's step, then the Polyak step of its target, in one update function; the
    # actor's step has none
    critic_update = source[source.index("def critic_update(") : source.index("def actor_update(")]
    assert critic_update.index("critic_loss_fn(batch, actor,") < critic_update.index(
        "polyak_update"
    )
    actor_update = source[source.index("def actor_update(") : source.index("fast_updates(cfg,")]
    assert "polyak_update" not in actor_update
    assert 'targets = {"critic_target": critic_target}' in source
    cleanrl = (GENERATED / "ddpg_dense.py").read_text()
    assert (
        "ddpg_variant: cleanrl" in cleanrl
        and "actor_target = copy.deepcopy(actor)" in cleanrl
        and "-critic(obs, actor(obs)).mean()" in cleanrl
    )


@pytest.mark.parametrize("name", ["td3_dense", "td3_block6", "ds_td3"])
def test_actor_loss_reads_q1_alone_with_member_zeros_gradients(name):
    """Critic.q1 (TD3's actor loss -Q_1(s, mu(s))) evaluates member 0 alone: the same values
    and the same parameter gradients as member 0 of the twin ensemble's full forward."""
    mod = import_script(GENERATED / f"{name}.py")
    torch.manual_seed(0)
    critic = mod.Critic(3, 2, 16, 2)
    obs, action = torch.randn(8, 3), torch.randn(8, 2)
    q1 = critic.q1(obs, action)
    assert q1.shape == (8,)
    torch.testing.assert_close(q1, critic(obs, action)[0])
    q1.sum().backward()
    grads = [p.grad.clone() for p in critic.parameters()]
    assert all(g[1:].abs().sum() == 0 for g in grads)  # member 1 untouched
    critic.zero_grad()
    critic(obs, action)[0].sum().backward()
    for g, p in zip(grads, critic.parameters()):
        torch.testing.assert_close(g, p.grad)
    actor = _actor(mod) if name == "td3_dense" else None
    if actor is not None:
        torch.testing.assert_close(
            mod.actor_loss_fn(obs, actor, critic), -critic(obs, actor(obs))[0].mean()
        )
