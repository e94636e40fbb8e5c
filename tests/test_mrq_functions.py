"""generated/mrq_dense.py's functions against MR.Q (Fujimoto et al. 2025) as its code at 8a44a7d
computes them (shared/reference/mrq_simba.md section 1): reward bins and two-hot, the multi-step
return (dropped and kept terminal reward), the value target and loss, the reward scale, LAP
sampling, the sub-trajectory mask, the encoder's unroll mask, the policy loss and the
target-copy / encoder-burst schedule of a short run. Expected values are computed by hand."""

import copy
import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")
gym = pytest.importorskip("gymnasium")

from conftest import GENERATED, run_specc
from generated_utils import import_script, run_main, run_script

MRQ = import_script(GENERATED / "mrq_dense.py")

E10 = math.exp(10.0) - 1.0  # symexp(10) = 22025.4658
STEP = 20.0 / 64  # linspace(-10, 10, 65): 0.3125 between bins


# ---------------------------------------------------------------------------
# 1. symexp and the reward bins
# ---------------------------------------------------------------------------
def test_symexp_by_hand():
    x = torch.tensor([-2.0, -0.5, 0.0, 0.5, 3.0])
    expected = torch.tensor(
        [-(math.e**2 - 1), -(math.exp(0.5) - 1), 0.0, math.exp(0.5) - 1, math.e**3 - 1]
    )
    torch.testing.assert_close(MRQ.symexp(x), expected)


def test_reward_bins_are_symexp_of_65_points_over_plus_minus_10():
    bins = MRQ.reward_bins(65, 10.0, "cpu")
    assert bins.shape == (65,)
    assert bins[32].item() == 0.0
    torch.testing.assert_close(bins[-1], torch.tensor(E10))
    torch.testing.assert_close(bins[0], torch.tensor(-E10))
    assert abs(bins[-1].item() - 22025.4658) < 1e-2
    torch.testing.assert_close(bins, -bins.flip(0))  # symmetric around bin 32
    # bin 33 is symexp(0.3125) = e^0.3125 - 1 = 0.366838; bin 48 is symexp(5) = 147.41316
    assert abs(bins[33].item() - 0.366838) < 1e-5
    torch.testing.assert_close(bins[33], torch.tensor(math.exp(STEP) - 1))
    torch.testing.assert_close(bins[48], torch.tensor(math.exp(5.0) - 1))
    torch.testing.assert_close(bins[31], torch.tensor(-(math.exp(STEP) - 1)))
    assert (bins[1:] > bins[:-1]).all()


# ---------------------------------------------------------------------------
# 2. two-hot encoding and its cross-entropy
# ---------------------------------------------------------------------------
BINS5 = torch.tensor([-4.0, -1.0, 0.0, 2.0, 6.0])


def test_two_hot_between_bins_on_hand_built_bins():
    x = torch.tensor([1.0, 5.0, -2.5, -0.25])
    lower, w = MRQ.two_hot(x, BINS5)
    # 1.0 in [0, 2]: w = 1/2; 5.0 in [2, 6]: w = 3/4; -2.5 in [-4, -1]: w = 1.5/3; -0.25 in [-1, 0]
    assert lower.tolist() == [2, 3, 0, 1]
    torch.testing.assert_close(w, torch.tensor([0.5, 0.75, 0.5, 0.75]))


def test_two_hot_exact_hit_falls_to_the_bin_below_with_weight_one():
    lower, w = MRQ.two_hot(torch.tensor([0.0, 2.0, 6.0, -4.0]), BINS5)
    # MR.Q: the lower bin is the largest one strictly below x; the lowest bin has none below it
    assert lower.tolist() == [1, 2, 3, 0]
    torch.testing.assert_close(w, torch.tensor([1.0, 1.0, 1.0, 0.0]))


def test_two_hot_on_mrq_bins():
    bins = MRQ.reward_bins(65, 10.0, "cpu")
    x = torch.stack([torch.tensor(0.0), bins[40], torch.tensor(1.0), torch.tensor(-1.0)])
    lower, w = MRQ.two_hot(x, bins)
    # 0 = bin 32 and bins[40] are hits: lower 31 and 39, weight 1 on the hit bin
    # 1.0 lies between bin 34 = e^0.625 - 1 = 0.868246 and bin 35 = e^0.9375 - 1 = 1.553541
    b34, b35 = math.exp(2 * STEP) - 1, math.exp(3 * STEP) - 1
    w1 = (1.0 - b34) / (b35 - b34)  # = 0.19226
    assert abs(w1 - 0.19226) < 1e-4
    assert lower.tolist() == [31, 39, 34, 29]
    torch.testing.assert_close(w, torch.tensor([1.0, 1.0, w1, 1.0 - w1]))
    # beyond the outer bins (MR.Q's own transform would divide by 0 there): clipped to them
    lower, w = MRQ.two_hot(torch.tensor([1e6, -1e6]), bins)
    assert lower.tolist() == [63, 0]
    torch.testing.assert_close(w, torch.tensor([1.0, 0.0]))


def test_two_hot_cross_entropy_by_hand():
    logits = torch.tensor([[0.0, 1.0, 2.0, 0.0, -1.0], [0.0, 1.0, 2.0, 0.0, -1.0]])
    # log_softmax_k = logits_k - log(e^0 + e^1 + e^2 + e^0 + e^-1)
    lse = math.log(2.0 + math.e + math.e**2 + math.exp(-1.0))  # = 2.523744
    x = torch.tensor([1.0, 5.0])
    # x = 1: (0.5, 0.5) on bins (2, 3): -(0.5 (2 - lse) + 0.5 (0 - lse)) = lse - 1
    # x = 5: (0.25, 0.75) on bins (3, 4): -(0.25 (0 - lse) + 0.75 (-1 - lse)) = lse + 0.75
    expected = torch.tensor([lse - 1.0, lse + 0.75])
    torch.testing.assert_close(MRQ.two_hot_cross_entropy(logits, x, BINS5), expected)


# ---------------------------------------------------------------------------
# 3. multi-step return: MR.Q's dropped terminal reward, and the kept variant
# ---------------------------------------------------------------------------
# rows: termination at step 1, at step 0, none, at step 2
R3 = torch.tensor([[1.0, 2.0, 4.0], [1.0, 2.0, 4.0], [1.0, 2.0, 4.0], [3.0, -2.0, 8.0]])
ND3 = torch.tensor([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0], [1.0, 1.0, 1.0], [1.0, 1.0, 0.0]])


@pytest.fixture(scope="module")
def kept(tmp_path_factory):
    """mrq_dense compiled with train.terminal_reward=kept (by the command line), imported."""
    out = tmp_path_factory.mktemp("kept")
    r = run_specc(
        "compile",
        "specs/mrq_dense.yaml",
        "-s",
        "train.terminal_reward=kept",
        "-o",
        str(out),
    )
    assert r.returncode == 0, r.stderr
    path = out / "mrq_kept.py"  # a module name of its own (import_script keys on the stem)
    (out / "mrq_dense.py").rename(path)
    return import_script(path)


def test_multi_step_return_dropped_terminal_reward():
    # R = sum_t 0.5^t r_t nd_t: the terminal transition's reward is dropped, what follows it is not
    # [1,0,1]: 1 + 0 + 0.25*4 = 2;  [0,1,1]: 0 + 0.5*2 + 0.25*4 = 2;  [1,1,1]: 1 + 1 + 1 = 3
    # [1,1,0] on (3, -2, 8): 3 - 1 + 0 = 2
    got = MRQ.multi_step_return(R3, ND3, 0.5)
    torch.testing.assert_close(got, torch.tensor([2.0, 2.0, 3.0, 2.0]))
    assert "terminal_reward: dropped" in MRQ.RESOLVED_SPEC


def test_multi_step_return_kept_terminal_reward(kept):
    # R = sum_t 0.5^t r_t nd_0..nd_(t-1): the terminal reward counts, nothing after it does
    # [1,0,1]: 1 + 0.5*2 = 2;  [0,1,1]: 1;  [1,1,1]: 3;  [1,1,0] on (3, -2, 8): 3 - 1 + 2 = 4
    got = kept.multi_step_return(R3, ND3, 0.5)
    torch.testing.assert_close(got, torch.tensor([2.0, 1.0, 3.0, 4.0]))
    assert "terminal_reward: kept" in kept.RESOLVED_SPEC


# ---------------------------------------------------------------------------
# 4. the value target and loss
# ---------------------------------------------------------------------------
OBS_DIM, ACT_DIM, WIDTH = 3, 2, 16


def _nets(seed=0):
    """Online encoder, actor, critic and their targets (perturbed: online and target differ)."""
    torch.manual_seed(seed)
    encoder = MRQ.Encoder(OBS_DIM, ACT_DIM, WIDTH, 2, 65)
    actor = MRQ.Actor(WIDTH, ACT_DIM, WIDTH, 2)
    critic = MRQ.Critic(WIDTH, WIDTH, 3)
    targets = []
    for net in (encoder, actor, critic):
        target = copy.deepcopy(net).requires_grad_(False)
        with torch.no_grad():
            for p in target.parameters():
                p.add_(0.2 * torch.randn_like(p))
        targets.append(target)
    return (encoder, actor, critic, *targets)


def _value_batch():
    torch.manual_seed(1)
    obs = torch.randn(4, 6, OBS_DIM)
    actions = torch.rand(4, 5, ACT_DIM) * 2 - 1
    # steps 3 and 4 lie beyond the value horizon (3): their rewards and not_done must not count
    rewards = torch.tensor(
        [
            [1.0, 2.0, 4.0, 50.0, 50.0],
            [1.0, 2.0, 4.0, 50.0, 50.0],
            [1.0, 2.0, 4.0, 50.0, 50.0],
            [30.0, -2.0, 8.0, 50.0, 50.0],
        ]
    )
    not_done = torch.tensor(
        [
            [1.0, 1.0, 1.0, 0.0, 0.0],
            [1.0, 0.0, 1.0, 1.0, 1.0],
            [0.0, 1.0, 1.0, 1.0, 1.0],
            [1.0, 1.0, 0.0, 1.0, 1.0],
        ]
    )
    return [obs, actions, rewards, not_done, torch.arange(4)]


def _huber(d):
    return torch.where(d.abs() < 1.0, 0.5 * d**2, d.abs() - 0.5)


def test_critic_target_and_loss_by_hand():
    encoder, actor, critic, encoder_t, actor_t, critic_t = _nets()
    batch = _value_batch()
    obs, actions = batch[0], batch[1]
    cfg = MRQ.Config(value_horizon=3, policy_noise=0.0, noise_clip=0.3)
    gamma, scale, target_scale = 0.5, torch.tensor(2.0), torch.tensor(3.0)
    loss, q, y, zs = MRQ.critic_loss_fn(
        batch, encoder, encoder_t, actor_t, critic, critic_t, scale, target_scale, gamma, cfg
    )
    with torch.no_grad():  # the target networks at s_3 (the state after the 3rd transition)
        next_zs = encoder_t.zs(obs[:, 3])
        next_q = critic_t(encoder_t.zsa(next_zs, actor_t(next_zs)[0]))
        assert (next_q[0] - next_q[1]).abs().min() > 1e-4  # the min picks a head
        q_min = torch.minimum(next_q[0], next_q[1])
    # R = [3, 2, 2, 29] (gamma 0.5), prod(nd over 3 steps) = [1, 0, 0, 0], gamma^3 = 0.125:
    # y_0 = (3 + 0.125 * Q'_0 * 3) / 2; the others do not bootstrap: 2/2, 2/2, 29/2
    expected_y = torch.stack(
        [(3.0 + 0.125 * q_min[0] * 3.0) / 2.0, *torch.tensor([1.0, 1.0, 14.5])]
    )
    torch.testing.assert_close(y, expected_y)
    with torch.no_grad():  # Q of (s_0, a_0) from the online encoder and both value networks
        q_hand = critic(encoder.zsa(encoder.zs(obs[:, 0]), actions[:, 0]))
    torch.testing.assert_close(q, q_hand)
    assert q.shape == (2, 4)
    d = q_hand - expected_y
    assert (d.abs() < 1).any() and (d.abs() > 1).any()  # both branches of the Huber loss
    torch.testing.assert_close(loss, _huber(d).mean())
    torch.testing.assert_close(zs, encoder.zs(obs[:, 0]).detach())
    assert not zs.requires_grad
    # the value loss trains the value networks only, never the encoder
    loss.backward()
    assert all(p.grad is None for p in encoder.parameters())
    assert all(p.grad is not None for p in critic.parameters())


def test_critic_target_smoothing_noise_is_clipped():
    encoder, actor, critic, encoder_t, actor_t, critic_t = _nets()
    batch = _value_batch()
    cfg = MRQ.Config(value_horizon=3, policy_noise=100.0, noise_clip=0.3)
    args = (encoder, encoder_t, actor_t, critic, critic_t, torch.tensor(2.0), torch.tensor(3.0))
    torch.manual_seed(5)
    y = MRQ.critic_loss_fn(batch, *args, 0.5, cfg)[2]
    torch.manual_seed(5)
    with torch.no_grad():
        next_zs = encoder_t.zs(batch[0][:, 3])
        a = actor_t(next_zs)[0]
        a = (a + (torch.randn_like(a) * 100.0).clamp(-0.3, 0.3)).clamp(-1.0, 1.0)
        next_q = critic_t(encoder_t.zsa(next_zs, a)).min(0).values
    torch.testing.assert_close(y[0], (3.0 + 0.125 * next_q[0] * 3.0) / 2.0)
    y0 = MRQ.critic_loss_fn(batch, *args, 0.5, MRQ.Config(policy_noise=0.0))[2]
    assert abs(y[0] - y0[0]) > 1e-5  # the noise does move the target


# ---------------------------------------------------------------------------
# 5. the reward scale
# ---------------------------------------------------------------------------
BOX1 = gym.spaces.Box(-1.0, 1.0, (1,), dtype=np.float32)


def _add(rb, obs, action, reward, next_obs, terminated=False, truncated=False):
    rb.add(
        np.asarray(obs, dtype=np.float32),
        np.asarray(action, dtype=np.float32),
        reward,
        np.asarray(next_obs, dtype=np.float32),
        terminated,
        truncated,
    )


def test_reward_scale_is_mean_abs_reward_with_the_final_observation_slots():
    rb = MRQ.ReplayBuffer(16, 2, 1, "cpu", 2, BOX1, 1.0)
    _add(rb, [0, 0], [0.5], 0.0, [1, 1])
    assert rb.reward_scale().item() == pytest.approx(1e-8)  # all zero: clamped at 1e-8
    _add(rb, [1, 1], [0.5], -3.0, [2, 2])
    _add(rb, [2, 2], [0.5], 1.5, [3, 3], terminated=True)  # slots 0-2, final obs in slot 3
    # size counts the transitions written so far (MR.Q: max(size, ind + 1) in add only)
    assert rb.size == 3 and rb.ptr == 4
    assert rb.reward_scale().item() == pytest.approx(4.5 / 3)
    _add(rb, [5, 5], [0.5], 2.5, [6, 6])  # slot 4
    # (0 + 3 + 1.5 + 0 + 2.5) / 5: the final observation's slot 3 (reward 0) counts
    assert rb.size == 5
    assert rb.reward_scale().item() == pytest.approx(7.0 / 5)


def test_reward_scale_counts_a_stale_reward_in_a_final_observation_slot():
    rb = MRQ.ReplayBuffer(5, 2, 1, "cpu", 2, BOX1, 1.0)
    for t, r in enumerate([1.0, 2.0, 3.0]):  # slots 0, 1, 2; final observation in slot 3
        _add(rb, [t, t], [0.0], r, [t + 1, t + 1], truncated=t == 2)
    _add(rb, [9, 9], [0.0], 4.0, [9, 9])  # slot 4
    _add(rb, [9, 9], [0.0], 5.0, [9, 9])  # wrapped: slot 0
    _add(rb, [9, 9], [0.0], -7.0, [9, 9], terminated=True)  # slot 1; final observation in slot 2
    # slot 2 keeps its old reward 3 (MR.Q), slot 3 its 0: (5 + 7 + 3 + 0 + 4) / 5
    assert rb.ptr == 3 and rb.size == 5
    assert rb.rewards.tolist() == [5.0, -7.0, 3.0, 0.0, 4.0]
    assert rb.reward_scale().item() == pytest.approx(3.8)


# ---------------------------------------------------------------------------
# 6. LAP sampling and priorities
# ---------------------------------------------------------------------------
def test_lap_sampling_is_proportional_to_priority_over_unmasked_starts():
    rb = MRQ.ReplayBuffer(8, 1, 1, "cpu", 2, BOX1, 1.0)
    rb.size = 6
    rb.priority[:] = torch.tensor([1.0, 7.0, 2.0, 3.0, 4.0, 9.0, 5.0, 5.0])
    rb.mask[:] = torch.tensor([1.0, 0.0, 1.0, 1.0, 1.0, 0.0, 1.0, 1.0])  # 6, 7: beyond size
    torch.manual_seed(0)
    n = 200_000
    counts = torch.bincount(rb.sample_indices(n), minlength=8).double() / n
    assert counts[[1, 5, 6, 7]].sum() == 0  # masked starts and slots beyond size: never
    # valid starts 0, 2, 3, 4 with priorities 1, 2, 3, 4: 0.1, 0.2, 0.3, 0.4 (std <= 0.0011)
    torch.testing.assert_close(
        counts[[0, 2, 3, 4]],
        torch.tensor([0.1, 0.2, 0.3, 0.4], dtype=torch.float64),
        atol=0.005,
        rtol=0,
    )


def test_update_priority_and_running_max_priority():
    rb = MRQ.ReplayBuffer(8, 1, 1, "cpu", 2, BOX1, 1.0)
    for t in range(3):
        _add(rb, [t], [0.0], 0.0, [t + 1])
    assert rb.priority[:3].tolist() == [1.0, 1.0, 1.0]  # the initial max priority
    rb.update_priority(torch.tensor([0, 2]), torch.tensor([2.5, 0.7]))
    torch.testing.assert_close(rb.priority[:3], torch.tensor([2.5, 1.0, 0.7]))
    assert rb.max_priority.item() == 2.5
    _add(rb, [3], [0.0], 0.0, [4])
    assert rb.priority[3].item() == 2.5  # new transitions get the max seen so far
    rb.update_priority(torch.tensor([1]), torch.tensor([1.5]))
    assert rb.max_priority.item() == 2.5  # a running max: smaller values leave it
    assert rb.priority[1].item() == 1.5
    _add(rb, [4], [0.0], 0.0, [5])
    assert rb.priority[4].item() == 2.5


def test_lap_priority_by_hand():
    # two value nets, four samples: |Q - y| = [0.5, 2, 2, 8] and [0.5, 3, 3, 7.5]
    q = torch.tensor([[0.5, 3.0, -1.0, 2.0], [1.5, -2.0, 4.0, 2.5]])
    target = torch.tensor([1.0, 1.0, 1.0, 10.0])
    # max over the nets [0.5, 3, 3, 8], at least 1, ^ 0.4: 1, 3^0.4, 3^0.4, 8^0.4
    torch.testing.assert_close(
        MRQ.lap_priority(q, target, 1.0, 0.4),
        torch.tensor([1.0, 1.5518455739, 1.5518455739, 2.2973967100]),
    )
    # a lower floor keeps the small error: 0.5^0.4
    torch.testing.assert_close(
        MRQ.lap_priority(q, target, 0.25, 0.4)[0], torch.tensor(0.7578582833)
    )


def test_priorities_are_the_value_losss_td_errors_of_the_stored_actions(tmp_path, monkeypatch):
    """MR.Q's Agent.train (facebookresearch/MRQ since b1f387e): each RL update sets the sampled
    priorities from the Q that train_rl's value loss computed, Q(s_0, a_0) of the stored action
    before the value step, not from the policy loss's Q(s_0, pi(s_0)) after it."""
    calls, updates = [], []
    critic_loss_fn, update_priority = MRQ.critic_loss_fn, MRQ.ReplayBuffer.update_priority

    def recording_critic_loss(batch, encoder, encoder_target, actor_target, critic, *rest):
        with torch.no_grad():  # the online networks as they are now (before the step), on a_0
            q_stored = critic(encoder.zsa(encoder.zs(batch[0][:, 0]), batch[1][:, 0]))
        out = critic_loss_fn(batch, encoder, encoder_target, actor_target, critic, *rest)
        calls.append((batch[4].clone(), q_stored, out[1].clone(), out[2].clone()))
        return out

    def recording_update_priority(rb, idx, priority):
        updates.append((idx.clone(), priority.clone()))
        return update_priority(rb, idx, priority)

    monkeypatch.setattr(MRQ, "critic_loss_fn", recording_critic_loss)
    monkeypatch.setattr(MRQ.ReplayBuffer, "update_priority", recording_update_priority)
    args = "--env-id Pendulum-v1 --total-steps 230 --learning-starts 200 --target-every 10"
    args += " --encoder-width 32 --actor-width 32 --critic-width 32 --batch-size 16"
    args += " --buffer-size 1000 --eval-every 0 --log-every 100 --device cpu --threads 1"
    args += " --lap-min-priority 0.01 --no-tensorboard --run-dir"
    run_main(MRQ, [*args.split(), str(tmp_path / "run")])
    assert len(calls) == len(updates) == 30  # one RL update per step after learning_starts
    for (idx, q_stored, q, target), (got_idx, priority) in zip(calls, updates):
        assert torch.equal(got_idx, idx)
        torch.testing.assert_close(q, q_stored)  # the value loss's Q: the stored action
        expected = (q_stored - target).abs().max(0).values.clamp(min=0.01).pow(0.4)
        assert (expected > 0.01**0.4).all()  # the floor hides no sample
        torch.testing.assert_close(priority, expected)


# ---------------------------------------------------------------------------
# 7. the sub-trajectory mask near episode ends, slot order, stored actions
# ---------------------------------------------------------------------------
BOX2 = gym.spaces.Box(
    np.array([-2.0, 0.0], dtype=np.float32), np.array([2.0, 4.0], dtype=np.float32)
)
# actions cycled over the steps, and the same in [-1, 1]: scale (2, 2), offset (0, 2)
ACTIONS = [[-2.0, 4.0], [0.0, 2.0], [1.0, 1.0], [2.0, 0.0]]
SCALED = [[-1.0, 1.0], [0.0, 0.0], [0.5, -0.5], [1.0, -1.0]]


def _episode(rb, first_obs, steps, reward0, end):
    for t in range(steps):
        last = t == steps - 1
        _add(
            rb,
            [first_obs + t],
            ACTIONS[t % 4],
            reward0 + t,
            [first_obs + t + 1],
            terminated=last and end == "terminated",
            truncated=last and end == "truncated",
        )


def test_sample_mask_after_truncation_and_termination():
    rb = MRQ.ReplayBuffer(32, 1, 2, "cpu", 5, BOX2, 1.0)
    _episode(rb, 0.0, 8, 1.0, "truncated")  # slots 0-7, final observation (8) in slot 8
    _episode(rb, 100.0, 8, 10.0, "terminated")  # slots 9-16, final observation (108) in slot 17
    mask = [0.0] * 32
    for s in [0, 1, 2]:  # truncation: starts with 5 transitions and their next obs inside
        mask[s] = 1.0
    for s in range(9, 17):  # termination: every start of the episode
        mask[s] = 1.0
    assert rb.mask.tolist() == mask
    assert rb.ptr == 18 and rb.size == 17  # slot 17 counts once a transition follows it
    assert rb.obs[8].item() == 8.0 and rb.obs[17].item() == 108.0  # final observations
    # not_done: 1 in both episodes but at the termination (16); the extra slot 8 is never written
    assert rb.not_done[:17].tolist() == [1.0] * 8 + [0.0] + [1.0] * 7 + [0.0]
    assert rb.terminates.item() == 1.0
    for slot, t in [*((s, s) for s in range(8)), *((s, s - 9) for s in range(9, 17))]:
        assert rb.actions[slot].tolist() == SCALED[t % 4]

    torch.manual_seed(0)
    obs, actions, rewards, not_done, idx = rb.sample(400)
    assert obs.shape == (400, 6, 1) and actions.shape == (400, 5, 2) and rewards.shape == (400, 5)
    assert set(idx.tolist()) == {0, 1, 2, *range(9, 17)}
    for b, s in enumerate(idx.tolist()):
        if s <= 2:  # episode 1: observations s..s+5, rewards s+1..s+5, never done
            assert obs[b, :, 0].tolist() == [s + k for k in range(6)]
            assert rewards[b].tolist() == [s + 1 + k for k in range(5)]
            assert not_done[b].tolist() == [1.0] * 5
        else:  # episode 2 from its step t: its observations up to the final one (108), then zeros
            t = s - 9
            assert obs[b, :, 0].tolist() == [100 + t + k if t + k <= 8 else 0 for k in range(6)]
            assert rewards[b].tolist() == [10 + t + k if t + k <= 7 else 0 for k in range(5)]
            assert not_done[b].tolist() == [1.0 if t + k < 7 else 0.0 for k in range(5)]
        assert actions[b, 0].tolist() == SCALED[(s if s <= 2 else s - 9) % 4]

    # episodes shorter than the horizon: a termination opens all of its starts, a truncation none
    _episode(rb, 200.0, 3, 0.0, "terminated")  # slots 18-20, final observation in slot 21
    _episode(rb, 300.0, 3, 0.0, "truncated")  # slots 22-24, final observation in slot 25
    mask[18:21] = [1.0, 1.0, 1.0]
    assert rb.mask.tolist() == mask


# ---------------------------------------------------------------------------
# 8. the encoder loss: unroll mask, done term, sum over the steps
# ---------------------------------------------------------------------------
def _encoder_batch(horizon, not_done, seed=2):
    torch.manual_seed(seed)
    b = not_done.shape[0]
    obs = torch.randn(b, horizon + 1, OBS_DIM)
    actions = torch.rand(b, horizon, ACT_DIM) * 2 - 1
    rewards = torch.randn(b, horizon) * 3
    return [obs, actions, rewards, not_done.clone(), torch.arange(b)]


def test_encoder_loss_ignores_the_steps_after_a_termination():
    encoder, _, _, encoder_t, _, _ = _nets()
    bins = MRQ.reward_bins(65, 10.0, "cpu")
    cfg = MRQ.Config(encoder_horizon=5)
    nd = torch.tensor([[1.0, 0.0, 1.0, 1.0, 1.0], [1.0] * 5, [1.0] * 5])
    batch = _encoder_batch(5, nd)
    loss, parts = MRQ.encoder_loss_fn(batch, encoder, encoder_t, bins, torch.tensor(1.0), cfg)

    after = [t.clone() for t in batch]  # sample 0 changed after its terminal step (step 1) only
    after[0][0, 3:] = torch.randn(3, OBS_DIM) * 5  # targets of steps 2-4
    after[1][0, 2:] = -after[1][0, 2:]  # actions of steps 2-4
    after[2][0, 2:] = torch.tensor([100.0, -7.0, 0.3])
    after[3][0, 2:] = torch.tensor([0.0, 1.0, 0.0])
    loss_after, parts_after = MRQ.encoder_loss_fn(
        after, encoder, encoder_t, bins, torch.tensor(1.0), cfg
    )
    torch.testing.assert_close(loss_after, loss)
    for a, b in zip(parts_after, parts):
        torch.testing.assert_close(a, b)

    # the terminal step itself counts: its target obs, its reward, its done
    for k, where in [(0, (0, 2)), (2, (0, 1))]:
        changed = [t.clone() for t in batch]
        changed[k][where] += 3.0
        other = MRQ.encoder_loss_fn(changed, encoder, encoder_t, bins, torch.tensor(1.0), cfg)[0]
        assert abs(other.item() - loss.item()) > 1e-4
    changed = [t.clone() for t in batch]
    changed[3][0, 1] = 1.0  # no termination at step 1: its done target and the later steps change
    other = MRQ.encoder_loss_fn(changed, encoder, encoder_t, bins, torch.tensor(1.0), cfg)
    assert abs(other[1][2].item() - parts[2].item()) > 1e-4

    # done term only once the buffer holds a terminal transition
    loss0, parts0 = MRQ.encoder_loss_fn(batch, encoder, encoder_t, bins, torch.tensor(0.0), cfg)
    assert parts0[2].item() == 0.0 and parts[2].item() > 0.0
    torch.testing.assert_close(parts0[:2], parts[:2])
    torch.testing.assert_close(loss0, loss - cfg.done_weight * parts[2])


def test_encoder_loss_by_hand_over_two_steps():
    encoder, _, _, encoder_t, _, _ = _nets()
    bins = MRQ.reward_bins(65, 10.0, "cpu")
    cfg = MRQ.Config(encoder_horizon=2, dynamics_weight=2.0, reward_weight=0.5, done_weight=0.25)
    # sample 0 terminates at step 0 (step 1 masked), sample 1 runs on
    nd = torch.tensor([[0.0, 1.0], [1.0, 1.0]])
    batch = _encoder_batch(2, nd)
    obs, actions = batch[0], batch[1]
    # rewards on exact bin hits: the cross-entropy is -log p of the hit bin
    # 0.0 = bin 32, bins[40], 5.0 (masked), bins[20]
    batch[2] = torch.tensor([[0.0, 5.0], [bins[40].item(), bins[20].item()]])
    loss, (dyn, rew, done) = MRQ.encoder_loss_fn(
        batch, encoder, encoder_t, bins, torch.tensor(1.0), cfg
    )

    w = WIDTH
    with torch.no_grad():
        target = encoder_t.zs(obs[:, 1:3])
        out0 = encoder.model(encoder.zsa(encoder.zs(obs[:, 0]), actions[:, 0]))
        z1 = out0[:, 1 : 1 + w]  # the head: done logit | next zs | reward logits
        out1 = encoder.model(encoder.zsa(z1, actions[:, 1]))
        z2 = out1[:, 1 : 1 + w]
        lp0, lp1 = out0[:, 1 + w :].log_softmax(-1), out1[:, 1 + w :].log_softmax(-1)
        # masked means divide by every element, masked ones included (B * W = 32)
        dyn_hand = ((z1 - target[:, 0]) ** 2).mean() + ((z2[1] - target[1, 1]) ** 2).sum() / (2 * w)
        rew_hand = (-lp0[0, 32] - lp0[1, 40]) / 2 + (-lp1[1, 20]) / 2
        # done targets 1 - nd: step 0 (1, 0), step 1 (masked, 0)
        done_hand = ((out0[0, 0] - 1.0) ** 2 + out0[1, 0] ** 2) / 2 + out1[1, 0] ** 2 / 2
    torch.testing.assert_close(dyn, dyn_hand)
    torch.testing.assert_close(rew, rew_hand)
    torch.testing.assert_close(done, done_hand)
    # a weighted sum over the steps, not a mean
    torch.testing.assert_close(loss, 2.0 * dyn_hand + 0.5 * rew_hand + 0.25 * done_hand)


# ---------------------------------------------------------------------------
# 9. the policy loss with its pre-activation penalty
# ---------------------------------------------------------------------------
def test_actor_loss_mean_of_both_heads_plus_pre_activation_penalty_by_hand():
    encoder, actor, critic, _, _, _ = _nets()
    with torch.no_grad():  # pre-activation (0.5, -2) everywhere; Q = 1.5 (head 0), -0.5 (head 1)
        actor.pi.out.weight.zero_()
        actor.pi.out.bias.copy_(torch.tensor([0.5, -2.0]))
        critic.q.out.weight.zero_()
        critic.q.out.bias.copy_(torch.tensor([1.5, -0.5]).reshape(2, 1, 1))
    zs = torch.randn(8, WIDTH)
    cfg = MRQ.Config(pre_activation_weight=1.0)
    loss = MRQ.actor_loss_fn(zs, encoder, actor, critic, cfg)
    # -mean(Q over both heads) + 1.0 * mean(pre^2) = -0.5 + (0.25 + 4) / 2 = 1.625
    torch.testing.assert_close(loss, torch.tensor(1.625))
    loss.backward()
    # d/d bias_j of mean over B*2 of pre^2 = 2 * pre_j / 2 = pre_j; Q does not depend on the action
    torch.testing.assert_close(actor.pi.out.bias.grad, torch.tensor([0.5, -2.0]))
    loss_default = MRQ.actor_loss_fn(zs, encoder, actor, critic, MRQ.Config())
    torch.testing.assert_close(loss_default, torch.tensor(-0.5 + 1e-5 * 2.125))


def test_actor_loss_random_networks():
    encoder, actor, critic, _, _, _ = _nets(3)
    zs = torch.randn(8, WIDTH)
    loss = MRQ.actor_loss_fn(zs, encoder, actor, critic, MRQ.Config(pre_activation_weight=1.0))
    with torch.no_grad():
        action, pre = actor(zs)
        torch.testing.assert_close(action, torch.tanh(pre))
        q_hand = critic(encoder.zsa(zs, action))
        expected = -(q_hand[0].sum() + q_hand[1].sum()) / 16 + (pre**2).sum() / 16
    torch.testing.assert_close(loss.detach(), expected)


# ---------------------------------------------------------------------------
# 10. the target-copy and encoder-burst schedule of a short run
# ---------------------------------------------------------------------------
def test_encoder_bursts_and_reward_scales_in_a_short_run(tmp_path):
    # 150 updates (steps 201-350), target copies every 40 updates: at updates 1, 41, 81, 121
    # = steps 201, 241, 281, 321, each followed by 40 encoder updates: ceil(150/40) * 40 = 160
    run_dir = tmp_path / "run"
    r = run_script(
        GENERATED / "mrq_dense.py",
        *"--env-id Pendulum-v1 --total-steps 350 --learning-starts 200 --target-every 40".split(),
        *"--encoder-width 32 --actor-width 32 --critic-width 32 --batch-size 32".split(),
        *"--buffer-size 1000 --eval-every 0 --log-every 100 --device cpu --threads 1".split(),
        "--no-tensorboard",
        "--run-dir",
        str(run_dir),
        cwd=tmp_path,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr[-3000:]
    ckpt = torch.load(run_dir / "checkpoint.pt", map_location="cpu", weights_only=False)
    assert ckpt["step"] == 350 and ckpt["num_updates"] == 150
    for name, steps in [("encoder_opt", 160), ("actor_opt", 150), ("critic_opt", 150)]:
        state = ckpt[name]["state"]
        assert state and all(s["step"].item() == steps for s in state.values()), name

    # Pendulum truncates at 200 steps: slots 0-199, its final observation in slot 200 (reward 0),
    # then step s in slot s; after step s > 200 the buffer holds s + 1 slots
    buf = ckpt["buffer"]
    assert buf["size"] == 351 and buf["rewards"][200].item() == 0.0
    assert buf["terminates"].item() == 0.0
    assert (buf["not_done"][:200] == 1).all() and (buf["not_done"][201:351] == 1).all()
    expected_mask = torch.zeros(351)
    expected_mask[:195] = 1.0  # the truncated episode's last 5 starts (195-199) never
    expected_mask[201:346] = 1.0  # the running episode: starts with 5 transitions after them
    assert torch.equal(buf["mask"], expected_mask)
    # the scales moved at the last two copies: mean |r| over 322 slots (update 121, step 321)
    # and, one copy before, over 282 slots (update 81, step 281); slot 200's 0 included
    rewards = buf["rewards"].abs()
    torch.testing.assert_close(ckpt["reward_scale"], rewards[:322].mean())
    torch.testing.assert_close(ckpt["target_reward_scale"], rewards[:282].mean())
    without_slot_200 = rewards[:322].sum() / 321  # a mean over the transitions only differs
    assert abs(without_slot_200 / ckpt["reward_scale"] - 1) > 1e-3


# ---------------------------------------------------------------------------
# MR.Q's hyperparameters (reference 1.1) as the defaults
# ---------------------------------------------------------------------------
def test_config_defaults_are_mrq_hyperparameters():
    c = MRQ.Config()
    expected = dict(
        batch_size=256,
        buffer_size=1_000_000,
        gamma=0.99,
        target_every=250,
        learning_starts=10_000,
        exploration_noise=0.2,
        policy_noise=0.2,
        noise_clip=0.3,
        dynamics_weight=1.0,
        reward_weight=0.1,
        done_weight=0.1,
        lap_alpha=0.4,
        lap_min_priority=1.0,
        encoder_horizon=5,
        value_horizon=3,
        encoder_width=512,
        actor_width=512,
        critic_width=512,
        encoder_lr=1e-4,
        actor_lr=3e-4,
        critic_lr=3e-4,
        weight_decay=1e-4,
        grad_clip=20.0,
        pre_activation_weight=1e-5,
        reward_bins=65,
        reward_range=10.0,
    )
    assert {k: getattr(c, k) for k in expected} == expected
