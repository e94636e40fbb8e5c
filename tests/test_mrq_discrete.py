"""generated/mrq_atari.py: MR.Q's discrete branch (facebookresearch/MRQ 8a44a7d: models.Policy
with discrete True, MRQ.py select_action / train_rl / realign, buffer.py one_hot_or_normalize)
and its Atari protocol (env_preprocessing.AtariPreprocessing), against formulas worked out here:
the Gumbel-softmax policy, how it acts and evaluates, the one-hot target action, one-hot
storage, the first frame repeated in the stacks, and the preset's values on suite atari."""

from types import SimpleNamespace

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from conftest import GENERATED
from generated_utils import import_script

M = import_script(GENERATED / "mrq_atari.py")
SIZE, FRAMES, A = 32, 4, 5  # MR.Q's pixel stem needs 31 pixels at least


def test_config_has_mrq_atari_values():
    """The preset's values on suite atari: MR.Q's noise halved for one-hot actions, its Atari
    protocol (env_preprocessing.AtariHyperparameters), tau 10 and eval_eps 1e-3."""
    cfg = M.Config()
    assert (cfg.exploration_noise, cfg.policy_noise, cfg.noise_clip) == (0.1, 0.1, 0.15)
    assert (cfg.gumbel_tau, cfg.eval_epsilon) == (10.0, 0.001)
    assert (cfg.sticky_actions, cfg.terminal_on_life_loss, cfg.clip_rewards) == (0.25, False, False)
    assert (cfg.noop_max, cfg.stack_padding, cfg.frame_stack, cfg.action_repeat) == (
        0,
        "repeat",
        4,
        4,
    )
    assert (cfg.total_steps, cfg.eval_every, cfg.eval_episodes) == (2_500_000, 100_000, 10)


def actor(tau=10.0, zs_dim=8, seed=0):
    torch.manual_seed(seed)
    return M.Actor(zs_dim, A, 16, 2, tau)


def test_actor_is_a_soft_gumbel_softmax_sample_of_its_logits():
    """pi(zs) = softmax((l + g) / tau), g = -log(E), E ~ Exp(1) (F.gumbel_softmax's draw), and the
    logits l come back as the pre-activation."""
    net, zs = actor(tau=10.0), torch.randn(6, 8)
    torch.manual_seed(3)
    sample, logits = net(zs)
    torch.manual_seed(3)
    g = -torch.empty(6, A).exponential_().log()
    torch.testing.assert_close(logits, net.pi(zs))
    torch.testing.assert_close(sample, torch.softmax((logits + g) / 10.0, -1))
    torch.testing.assert_close(sample.sum(-1), torch.ones(6))
    # a soft sample: with tau 10 no entry is near one-hot
    assert sample.max() < 0.9


def test_policy_loss_reads_the_soft_sample():
    """The policy loss feeds the relaxed one-hot sample (not an argmax) to zsa: its gradient
    reaches the logits; plus pre_activation_weight * mean(logits^2)."""
    torch.manual_seed(0)
    enc = M.Encoder((FRAMES, SIZE, SIZE), A, 16, 2, 65)
    net, critic = actor(zs_dim=16), M.Critic(16, 16, 3)
    zs = torch.randn(4, 16)
    cfg = SimpleNamespace(pre_activation_weight=1e-5)
    torch.manual_seed(1)
    loss = M.actor_loss_fn(zs, enc, net, critic, cfg)
    torch.manual_seed(1)
    sample, logits = net(zs)
    expected = -critic(enc.zsa(zs, sample)).mean() + 1e-5 * logits.pow(2).mean()
    torch.testing.assert_close(loss, expected)
    loss.backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in net.parameters())


class FixedZs:
    """An encoder stand-in whose zs is given (Policy reads encoder.zs only)."""

    def __init__(self, zs):
        self.zs_value = zs

    def zs(self, obs):
        return self.zs_value.expand(len(obs), -1)


def frequencies(actions):
    return torch.bincount(actions, minlength=A).double() / len(actions)


def test_evaluation_samples_softmax_of_logits():
    """Deterministic (evaluation) keeps the Gumbel noise, as MR.Q's select_action without
    exploration: argmax(softmax((l + g) / tau)) = argmax(l + g) is a draw from softmax(l) (the
    Gumbel-max trick), whatever tau."""
    net, zs = actor(), torch.randn(1, 8)
    policy = M.Policy(FixedZs(zs), net, 0.1, 0.0)
    torch.manual_seed(5)
    with torch.no_grad():
        acts = policy.act(torch.zeros(40_000, 1), deterministic=True)
        probs = torch.softmax(net.pi(zs)[0], -1).double()
    assert acts.dtype == torch.int64 and acts.shape == (40_000,)
    torch.testing.assert_close(frequencies(acts), probs, atol=0.01, rtol=0)


def test_evaluation_epsilon_gives_uniform_actions():
    net, zs = actor(), torch.randn(1, 8) * 10
    policy = M.Policy(FixedZs(zs), net, 0.1, 1.0)
    torch.manual_seed(6)
    with torch.no_grad():
        acts = policy.act(torch.zeros(40_000, 1), deterministic=True)
    torch.testing.assert_close(
        frequencies(acts), torch.full((A,), 1 / A).double(), atol=0.01, rtol=0
    )


def test_exploring_adds_gaussian_noise_to_the_sample_before_the_argmax():
    """a = argmax(sample + N(0, exploration_noise^2)): replayed draw by draw (the Gumbel draw,
    then the Gaussian), and a large noise makes the actions near uniform."""
    net, zs = actor(), torch.randn(1, 8)
    policy = M.Policy(FixedZs(zs), net, 0.1, 0.0)
    torch.manual_seed(7)
    with torch.no_grad():
        acts = policy.act(torch.zeros(64, 1))
    torch.manual_seed(7)
    with torch.no_grad():
        sample = net(zs.expand(64, -1))[0]
        expected = (sample + torch.randn_like(sample) * 0.1).argmax(-1)
    assert torch.equal(acts, expected)
    policy.exploration_noise = 100.0
    with torch.no_grad():
        acts = policy.act(torch.zeros(40_000, 1))
    torch.testing.assert_close(
        frequencies(acts), torch.full((A,), 1 / A).double(), atol=0.01, rtol=0
    )


def test_value_target_uses_the_one_hot_argmax_of_the_noisy_target_sample():
    """y = (R + prod(not_done) gamma^H min_j Q'_j(zsa'(zs', one_hot(argmax(pi'(zs') + clip(N(0,
    policy_noise^2), +-noise_clip))))) * target_reward_scale) / reward_scale, worked out here
    with the same draws."""
    torch.manual_seed(0)
    enc = M.Encoder((FRAMES, SIZE, SIZE), A, 16, 2, 65)
    enc_t = M.Encoder((FRAMES, SIZE, SIZE), A, 16, 2, 65)
    net_t, critic, critic_t = actor(zs_dim=16, seed=1), M.Critic(16, 16, 3), M.Critic(16, 16, 3)
    B, H = 6, 3
    obs = torch.randint(0, 256, (B, H + 1, FRAMES, SIZE, SIZE), dtype=torch.uint8).float()
    actions = F.one_hot(torch.randint(0, A, (B, H)), A).float()
    rewards, not_done = torch.randn(B, H), torch.ones(B, H)
    not_done[0, 1] = 0.0
    cfg = SimpleNamespace(value_horizon=H, policy_noise=0.1, noise_clip=0.15)
    rs, trs, gamma = torch.tensor(0.7), torch.tensor(0.9), 0.99
    batch = [obs, actions, rewards, not_done]
    torch.manual_seed(11)
    _, q, target, _ = M.critic_loss_fn(
        batch, enc, enc_t, net_t, critic, critic_t, rs, trs, gamma, cfg
    )
    torch.manual_seed(11)
    with torch.no_grad():
        next_zs = enc_t.zs(obs[:, H])
        sample = net_t(next_zs)[0]
        noise = (torch.randn_like(sample) * 0.1).clamp(-0.15, 0.15)
        next_action = F.one_hot((sample + noise).argmax(-1), A).float()
        assert torch.equal(next_action.sum(-1), torch.ones(B))
        next_q = critic_t(enc_t.zsa(next_zs, next_action)).min(0).values
        ret = M.multi_step_return(rewards, not_done, gamma)
        expected = (ret + not_done.prod(1) * gamma**H * next_q * trs) / rs
        q_expected = critic(enc.zsa(enc.zs(obs[:, 0]), actions[:, 0]))
    torch.testing.assert_close(target, expected)
    torch.testing.assert_close(q, q_expected)
    assert target[0] == pytest.approx(float(ret[0] / rs))  # a termination inside: no bootstrap


def buffer(capacity=64, horizon=3, zero_padding=False):
    shape = (FRAMES, SIZE, SIZE)
    return M.ReplayBuffer(
        capacity, shape, A, "cpu", FRAMES, horizon, 1.0, zero_padding=zero_padding
    )


def obs_at(episode, t):
    """The env's stack at step t with the first frame repeated (MR.Q's history at reset): frame
    value 10 * episode + step."""
    return np.stack(
        [
            np.full((SIZE, SIZE), 10 * episode + max(t - k, 0), np.uint8)
            for k in range(FRAMES - 1, -1, -1)
        ]
    )


@pytest.mark.parametrize("kind", [int, np.int64, lambda a: np.array(a, dtype=np.int64)])
def test_actions_are_stored_one_hot(kind):
    """Python ints, numpy int64 scalars (Discrete.sample()) and the policy's 0-d arrays are all
    stored one-hot (MR.Q's buffer stores an np.int64 as [a, a, ..., a]: not copied)."""
    rb = buffer()
    for t, a in enumerate([3, 0, 4, 1]):
        rb.add(obs_at(1, t), kind(a), 1.0, obs_at(1, t + 1), False, False)
    assert torch.equal(rb.data["actions"][:4], F.one_hot(torch.tensor([3, 0, 4, 1]), A).float())


@pytest.mark.parametrize("zero_padding", [False, True])
def test_stacks_rebuilt_as_the_env_pads_them(zero_padding):
    """Sampled stacks equal the env's: the first frame repeated before an episode's start
    (stack_padding repeat, MR.Q), or zero frames (zeros, Dopamine)."""
    rb = buffer(zero_padding=zero_padding)
    for e in (1, 2):
        for t in range(6):
            rb.add(obs_at(e, t), 0, 0.0, obs_at(e, t + 1), False, t == 5)
    slots = torch.arange(rb.size)
    stacks = rb.stack(slots)[:, :, 0, 0].long()
    positions = rb.data["positions"][slots].long()
    for s, p, row in zip(slots.tolist(), positions.tolist(), stacks.tolist()):
        episode = 1 + s // 7  # 6 transitions and the final observation per episode
        want = obs_at(episode, p)[:, 0, 0].astype(int).tolist()
        if zero_padding:
            want = [v if k >= FRAMES - 1 - p else 0 for k, v in enumerate(want)]
        assert row == want, (s, p)


def test_atari_env_repeats_the_first_frame_with_stack_padding_repeat():
    """The env's first stack (and the stack after a reset) is the first frame four times with
    stack_padding repeat, zeros and the frame with zeros; the game itself is the same."""
    pytest.importorskip("ale_py")
    pytest.importorskip("cv2")
    envs = {p: M.make_env("Pong", 1, 4, 84, 4, 0.0, False, 0, p) for p in ("repeat", "zeros")}
    first = {p: env.reset(seed=1)[0] for p, env in envs.items()}
    assert all(np.array_equal(first["repeat"][k], first["repeat"][3]) for k in range(3))
    assert first["repeat"][3].any() and not first["zeros"][:3].any()
    assert np.array_equal(first["zeros"][3], first["repeat"][3])
    for _ in range(5):
        obs = {p: env.step(0)[0] for p, env in envs.items()}
    assert np.array_equal(obs["repeat"], obs["zeros"])  # four real frames on both now


def test_frames_too_small_for_the_pixel_stem_are_refused_as_a_flag(tmp_path):
    """The spec rule (frames of 31 pixels at least for MR.Q's stem) holds for --image-size too:
    one line and exit 2, not a convolution's RuntimeError mid-run."""
    from generated_utils import run_script

    r = run_script(GENERATED / "mrq_atari.py", "--image-size", "30", "--dry-run", cwd=tmp_path)
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.strip() == "mrq_atari.py: --image-size must be >= 31, got 30"
