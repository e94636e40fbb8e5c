"""Parity of generated/mrq_atari.py (MR.Q on Atari: pixels, discrete actions) with the reference,
facebookresearch/MRQ at commit 8a44a7d4b1cf117e5da4bf8214d35b02aa68d68b, on the CPU, in float32
(--float64: float64).

The reference is imported from a local checkout of its MRQ/ folder (MRQ.py, models.py,
buffer.py, env_preprocessing.py, utils.py; put on sys.path, nothing of it copied here), as
benchmarks/mrq_pixels_parity.py does for DMC pixels, whose helpers (weight maps and copy,
gradient recording, the unaugmented batch) are imported from it; the reference's losses and
target actions are read from its methods' locals when they return (sys.setprofile). Its Agent is built
as its main.py builds it for an Atari game: obs_shape (1, 84, 84), history 4 (4 channels),
9 actions (MsPacman's minimal set), max_action 1, pixel_obs and discrete True, the
Hyperparameters defaults with a 64-slot replay buffer, torch.cuda.mem_get_info patched to
(0, 0) (its ReplayBuffer calls it unconditionally). The checks, each printed with its largest
absolute difference:

0. preset: the discrete branch halves MR.Q's noises (Agent.__init__: exploration 0.2, target
   policy noise 0.2 and its clip 0.3, all x 0.5); the script's Config must hold the halved
   values (exploration_noise 0.1, policy_noise 0.1, noise_clip 0.15) and gumbel_tau 10, and
   the learning rates, decay, clip, horizons and loss weights of the Hyperparameters.
1. weights and forward: the reference's Encoder, Policy and Value (targets re-initialised apart
   from the online networks) copied parameter by parameter into the generated Encoder, Actor
   and Critic (mrq_pixels_parity's maps); zs (also over (B, H+1) stacks), zsa and model_all on
   the same uint8 stacks of 4 channels.
2. policy: the reference's models.Policy(discrete=True) forward (F.gumbel_softmax, tau 10) and
   our Actor on the same zs, torch's generator seeded identically before each: the soft sample
   and the logits (pre-activation).
3. acting: the reference's Agent.select_action(state, use_exploration=True / False) (its
   replay_buffer.size set to buffer_size_before_training, or it returns None: random warm-up)
   and our Policy(encoder, actor, exploration_noise 0.1, eval_epsilon 0).act(obs,
   deterministic=False / True) as the script's loop calls it (obs a float32 (4, 84, 84) tensor),
   seeded identically before each of 200 draws (both draw the Gumbel noise, then the
   exploration noise): the integer actions must be equal. Run in float32 whatever --float64
   says (select_action casts the state to float32). A sanity line shows that the check sees a
   wrong noise: ours with exploration_noise 0.2 picks other actions on some draws.
4. encoder loss and step: the reference's own Agent.train_encoder against encoder_loss_fn +
   optimizer_step (AdamW lr 1e-4, weight decay 1e-4; also the script's fused make_optimizer) on
   the same sub-trajectories (B, 6, 4, 84, 84) uint8 with one-hot actions and MsPacman-like
   rewards, no augmentation on either side (see mrq_pixels_parity 5 for the shifts). The step is
   taken on a batch where half the sub-trajectories terminate, with the done loss on (Atari
   games end: env_terminates / terminates 1); the loss alone also without terminations and the
   done loss off.
5. value and policy losses and steps: the reference's Agent.train_rl (value step with grad
   clipping 20, policy step) against critic_loss_fn + optimizer_step then actor_loss_fn +
   optimizer_step, reward_scale 0.6 and target_reward_scale 0.85 on both. The target action is
   one_hot(argmax(gumbel_softmax(target logits) + clip(N(0, 0.1^2), +-0.15))) on both sides, but
   the random draws come in another order: the reference draws the smoothing noise first
   (torch.randn_like(action), then policy_target.act: Tensor.exponential_ in gumbel_softmax), ours
   the Gumbel noise first (actor_target, then torch.randn_like); the policy step's Gumbel draw
   comes last on both. So the draws are replayed, not re-seeded: the reference's are recorded
   (torch.randn_like and Tensor.exponential_ patched around train_rl) and served to ours by kind
   and in order (each call's shape checked). Compared: the target actions, losses, Q, the TD
   target, the LAP priorities, the gradients each optimizer applies (recorded by wrapping its
   step) and the parameters after the steps; then the value step again with the gradient clip
   active (1.0 on both). An info line shows the same seed without the replay: other target
   actions on most rows (the noise, std 0.1, outweighs the Gumbel sample's spread at tau 10).
6. replay storage: the reference's buffer.ReplayBuffer (discrete: one_hot_or_normalize) and our
   ReplayBuffer fed the same transitions (an episode that terminates, then one going on) with
   python int actions: the stored newest frames, rewards, not_done and action rows (one-hot),
   the sampling masks, and the stacks rebuilt from the slots (the reference's state_ind /
   next_ind against ours' stack(), repeat padding). Then an observed difference, not a
   failure: an np.int64 action (what gymnasium's Discrete.sample() returns, so every warm-up
   action of the reference's main.py) fails the reference's isinstance(action, int) and is
   stored as the constant vector [a, a, ..., a] / max_action, where ours stores one-hot for
   int, np.int64 and the 0-d int64 array that its loop passes.
7. preprocessing: the reference's env_preprocessing.AtariPreprocessing('Atari-MsPacman-v5',
   seed, eval, hp) (the name form of utils.py's Atari list; `eval` is what its Env class passes
   as eval_env: the builtin function, see below) with hp sticky_actions False, against our
   make_env('MsPacman', seed, 4, 84, 4, sticky_actions 0.0, terminal_on_life_loss False,
   noop_max 0, 'repeat'); the same pseudo-random action sequence (--atari-steps agent steps,
   across a game over and a reset): every observation (uint8, exact), reward, terminated and
   truncated flag, and whether a reset's stack repeats its first frame. Where an observation
   differs, which frames each side max-pooled (the reference's pool_queue against the frames
   its gymnasium env returned, ours' screens against the reference's previous pool).

The first version of this script found one difference (check 7), the observation at a game
over: under seed 0 MsPacman ends after the first frame of agent step 521; the reference's
newest channel max-pools the last two frames played (2080 and the game-over frame 2081), the
generated Atari.repeat_action then broke out of the repeat before reading the screen
(Dopamine's AtariPreprocessing), leaving the previous observation's newest (max|diff| 114 in
that one observation). That terminal stack is MR.Q's encoder dynamics target at the terminal
step. The env now pools the game's last two frames at a game over (DER never reads that
observation: its discount is 0) and every check passes.

Reference quirks shown on the way (not failures): AtariPreprocessing stores `self.eval = eval`,
the builtin function (truthy), so the eval-only epsilon of 1e-3 (a uniform random action,
drawn from numpy's global generator) also applies in training; the comparison sets the
instance's eval_eps to 0. Its `self.eval_env` is never set: training_reward_clipping True
raises AttributeError on the first step. The np.int64 actions stored as [a, ..., a] (6).

Tolerance: each difference <= rtol x (1 + the largest |value| on the reference's side), rtol
1e-5 in float32 and 1e-10 in float64; a parameter after an AdamW first step (lr g / (|g| + eps),
eps 1e-8) within lr / eps x (its gradient's difference) + rtol x lr; actions, stored buffer
contents and observations exactly equal. Exit status 1 if any check fails (printed FAIL).

    python benchmarks/mrq_atari_parity.py [--mrq-ref DIR] [--batch 8] [--float64]
        [--draws 200] [--atari-steps 600] [--seed 0]

DIR defaults to $MRQ_REF, else /work/ref/MRQ/MRQ. One torch thread. --float64 sets torch's
default dtype (checks 0-2 and 4-5; 3 stays float32, 6-7 hold no floats to speak of); there the
.float() both sides put on the one-hot target action (MRQ.py realign, our critic_loss_fn) is
patched into a cast to float64, else a float32 input meets float64 weights. Needs the script's atari
extra (gymnasium, ale-py 0.12.1, opencv) for 7.
"""

from __future__ import annotations

import argparse
import builtins
import collections
import contextlib
import copy
import dataclasses
import importlib.util
import os
import sys
import unittest.mock
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
import mrq_pixels_parity as pix  # noqa: E402  (weight maps, copy, gradient recording)

REF_COMMIT = "8a44a7d4b1cf117e5da4bf8214d35b02aa68d68b"
A, HISTORY, FRAME = 9, 4, (1, 84, 84)  # MsPacman's minimal action set, 4 grayscale frames
GAME, REF_ENV = "MsPacman", "Atari-MsPacman-v5"
SCALES = (0.6, 0.85)  # (reward_scale, target_reward_scale) given to both value losses


def load_generated(path: Path):
    spec = importlib.util.spec_from_file_location("generated_mrq_atari", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


def capture_locals(fn, names, *args):
    """fn(*args) (a function or a bound method) and {name: its local at return}, read with
    sys.setprofile: the losses and target actions live in locals on both sides."""
    code, seen = getattr(fn, "__func__", fn).__code__, {}

    def profiler(frame, event, _arg):
        # (a frame left by an exception has not all of them: the exception goes on)
        if event == "return" and frame.f_code is code and set(names) <= set(frame.f_locals):
            seen.update({n: frame.f_locals[n] for n in names})

    old = sys.getprofile()
    sys.setprofile(profiler)
    try:
        out = fn(*args)
    finally:
        sys.setprofile(old)
    return out, seen


class Report:
    """Each check printed with its largest absolute difference; the failures collected."""

    def __init__(self, rtol):
        self.rtol, self.failed = rtol, []

    def verdict(self, name, ok):
        if not ok:
            self.failed.append(name)
        return "ok" if ok else "FAIL"

    def close(self, name, d, scale):
        """|diff| d against rtol x (1 + scale), scale the largest |value| on the reference's side."""
        return f"{name} {d:.2e} {self.verdict(name, d <= self.rtol * (1.0 + scale))}"

    def pair(self, name, ref, ours, digits=7):
        """Two scalars, the reference's first."""
        d = abs(ref - ours)
        ok = d <= self.rtol * (1.0 + abs(ref))
        return f"{name}: ref {ref:.{digits}f}  ours {ours:.{digits}f}  |diff| {d:.2e} {self.verdict(name, ok)}"

    def tensors(self, name, ref, ours):
        return self.close(name, pix.diff(ref, ours), float(ref.detach().double().abs().max()))

    def equal(self, name, ok, text):
        return f"{name}: {text} {self.verdict(name, ok)}"


def max_abs(tensors):
    return max(float(t.detach().double().abs().max()) for t in tensors)


def step_check(report, name, ref_grads, our_grads, mapping, lr, ref_net, our_net):
    """The gradients an optimizer applied and the parameters after its (first) AdamW step.
    Gradients: max|diff| <= rtol (1 + max|g|). Parameters: per tensor, max|diff| <= lr / eps x
    max|grad diff| + rtol lr (the step lr g / (|g| + eps) moves by at most lr / eps per unit of g).
    """
    g_d = pix.max_diff(ref_grads, our_grads, mapping)
    g_text = report.close(f"{name} grads", g_d, max_abs(ref_grads.values()))
    rp, op = dict(ref_net.named_parameters()), dict(our_net.named_parameters())
    worst, ok = 0.0, True
    with torch.no_grad():
        for r, o, m in mapping:
            d = float((pix.as_ref_layout(o, op[o], m) - rp[r]).double().abs().max())
            gd = float((pix.as_ref_layout(o, our_grads[o], m) - ref_grads[r]).double().abs().max())
            ok &= d <= lr / 1e-8 * gd + report.rtol * lr
            worst = max(worst, d)
    p_text = (
        f"{name} params {worst:.2e} (= {worst / lr:.1e} lr) {report.verdict(f'{name} params', ok)}"
    )
    return f"{g_text}; {p_text}"


# ---------------------------------------------------------------------------
# The random draws of the RL update, recorded on the reference's side, replayed on ours
# ---------------------------------------------------------------------------
class Draws:
    """torch.randn_like (the target smoothing noise) and Tensor.exponential_ (F.gumbel_softmax's
    Gumbel noise) patched: record() keeps each call's result in call order; replay() serves the
    recorded results back, each kind in its own order, whatever the order of the calls (shapes
    checked); `order` lists each side's calls."""

    KINDS = ("randn_like", "exponential_")

    def __init__(self):
        self.values = {k: [] for k in self.KINDS}
        self.order = {}

    @contextlib.contextmanager
    def _patched(self, side, randn_like, exponential_):
        self.order[side] = []
        with (
            unittest.mock.patch.object(torch, "randn_like", randn_like),
            unittest.mock.patch.object(torch.Tensor, "exponential_", exponential_),
        ):
            yield

    def record(self):
        orig_randn, orig_exp = torch.randn_like, torch.Tensor.exponential_

        def randn_like(x, *args, **kwargs):
            out = orig_randn(x, *args, **kwargs)
            self.order["ref"].append(f"randn_like{tuple(out.shape)}")
            self.values["randn_like"].append(out.clone())
            return out

        def exponential_(t, *args, **kwargs):
            out = orig_exp(t, *args, **kwargs)
            self.order["ref"].append(f"exponential_{tuple(out.shape)}")
            self.values["exponential_"].append(out.clone())
            return out

        return self._patched("ref", randn_like, exponential_)

    def replay(self):
        served = {k: iter(v) for k, v in self.values.items()}
        self.left = served

        def take(kind, like):
            value = next(served[kind])
            assert value.shape == like.shape, (kind, value.shape, like.shape)
            self.order["ours"].append(f"{kind}{tuple(like.shape)}")
            return value

        def randn_like(x, *args, **kwargs):
            assert not args and not kwargs, (args, kwargs)  # (a dtype, a rate: not served)
            return take("randn_like", x).to(x.dtype).clone()

        def exponential_(t, *args, **kwargs):
            assert not args and not kwargs, (args, kwargs)
            return t.copy_(take("exponential_", t))

        return self._patched("ours", randn_like, exponential_)

    def all_served(self):
        return all(next(it, None) is None for it in self.left.values())


# ---------------------------------------------------------------------------
# Reference agent and batches
# ---------------------------------------------------------------------------
def build_reference_agent(MRQ, models):
    with unittest.mock.patch("torch.cuda.mem_get_info", return_value=(0, 0)):
        agent = MRQ.Agent(
            FRAME, A, 1.0, True, True, torch.device("cpu"), HISTORY, {"buffer_size": 64}
        )
    # targets unlike the online networks (the reference starts them as copies): a swap shows
    for net in (agent.encoder_target, agent.policy_target, agent.value_target):
        net.apply(models.weight_init)
    return agent


def make_batch(batch, horizon, not_done=None):
    """Sub-trajectories as our replay returns them: uint8 stacks (B, H+1, 4, 84, 84), one-hot
    actions (B, H, 9), MsPacman-like rewards (sums of 10, 50, 200 over an agent step; zeros
    included: an exact hit on the middle bin), not_done (B, H), indices."""
    obs = torch.randint(0, 256, (batch, horizon + 1, HISTORY, *FRAME[1:]), dtype=torch.uint8)
    actions = F.one_hot(torch.randint(0, A, (batch, horizon)), A).to(torch.get_default_dtype())
    choices = torch.tensor([0.0, 0.0, 10.0, 20.0, 50.0, 60.0, 200.0, 210.0])
    rewards = choices[torch.randint(0, len(choices), (batch, horizon))]
    if not_done is None:
        not_done = torch.ones(batch, horizon)
    return [obs, actions, rewards, not_done, torch.arange(batch)]


def frame_stacks(n, seed):
    """n uint8 stacks (4, 84, 84) as numpy arrays (what the env returns)."""
    g = np.random.default_rng(seed)
    return [g.integers(0, 256, (HISTORY, *FRAME[1:]), dtype=np.uint8) for _ in range(n)]


# ---------------------------------------------------------------------------
# 3. acting
# ---------------------------------------------------------------------------
def acting_check(gen, agent, enc, actor, draws, seed):
    """(explore equal, eval equal, distinct actions, mismatches with noise 0.2) over `draws`
    seeded draws, in float32 (select_action casts to float32)."""
    ref = copy.deepcopy(agent)
    ref.encoder.float()
    ref.policy.float()
    ref.replay_buffer.size = ref.buffer_size_before_training  # else None (random warm-up)
    enc32, actor32 = copy.deepcopy(enc).float(), copy.deepcopy(actor).float()
    policy = gen.Policy(enc32, actor32, 0.1, 0.0)
    wrong = gen.Policy(enc32, actor32, 0.2, 0.0)
    stacks = frame_stacks(4, seed)
    out = {"explore": 0, "eval": 0, "wrong": 0, "actions": collections.Counter()}
    with torch.no_grad():
        for k in range(draws):
            obs = stacks[k % len(stacks)]
            obs_t = torch.as_tensor(obs, dtype=torch.float32)  # as the script's loop
            for mode, explore in (("explore", True), ("eval", False)):
                torch.manual_seed(seed + k)
                a_r = ref.select_action(obs, use_exploration=explore)
                torch.manual_seed(seed + k)
                a_o = int(policy.act(obs_t, deterministic=not explore))
                out[mode] += a_r == a_o
                out["actions"][a_r] += 1
            torch.manual_seed(seed + k)
            out["wrong"] += int(wrong.act(obs_t)) != ref.select_action(obs, use_exploration=True)
    return out


# ---------------------------------------------------------------------------
# 5. value and policy
# ---------------------------------------------------------------------------
def rl_check(MRQ, gen, cfg, agent, nets, batch, seed, replay=True):
    """The reference's Agent.train_rl against critic_loss_fn + optimizer_step, actor_loss_fn +
    optimizer_step on the same batch (the reference's sample: s_0, a_0, s_H and the multi-step
    reward and not_done), torch seeded the same before each; with replay the reference's random
    draws are recorded and served to ours (Draws)."""
    enc, enc_t, actor, actor_t, critic, critic_t = nets
    hv, obs_f = cfg.value_horizon, batch[0].to(torch.get_default_dtype())
    reward_ms, not_done_ms = MRQ.multi_step_reward(
        batch[2][:, :hv, None], batch[3][:, :hv, None], agent.gammas
    )
    gv_ref = pix.record_grads(agent.value_optimizer, agent.value)
    gp_ref = pix.record_grads(agent.policy_optimizer, agent.policy)
    draws = Draws()
    # float64: both sides cast the one-hot target action with .float() (MRQ.py realign, our
    # critic_loss_fn), float32 in a float64 network; made a cast to the default dtype on both
    exact = contextlib.nullcontext()
    if torch.get_default_dtype() == torch.float64:

        def to_default(t, *args, **kwargs):
            assert not args and not kwargs, (args, kwargs)
            return t.to(torch.get_default_dtype())

        exact = unittest.mock.patch.object(torch.Tensor, "float", to_default)
    torch.manual_seed(seed)
    args = (obs_f[:, 0], batch[1][:, 0], obs_f[:, hv], reward_ms, not_done_ms, *SCALES)
    names = ["value_loss", "policy_loss", "next_action"]
    with exact, draws.record() if replay else contextlib.nullcontext():
        (q_r, y_r), seen_r = capture_locals(agent.train_rl, names, *args)
    wd = cfg.weight_decay
    critic_opt = torch.optim.AdamW(critic.parameters(), lr=cfg.critic_lr, weight_decay=wd)
    actor_opt = torch.optim.AdamW(actor.parameters(), lr=cfg.actor_lr, weight_decay=wd)
    gv_ours, gp_ours = pix.record_grads(critic_opt, critic), pix.record_grads(actor_opt, actor)
    torch.manual_seed(seed)
    rs, trs = (torch.tensor(s) for s in SCALES)
    with exact, draws.replay() if replay else contextlib.nullcontext():
        (v_loss, q_o, y_o, zs), seen_o = capture_locals(
            gen.critic_loss_fn,
            ["next_action"],
            pix.unshifted(gen, batch),
            enc,
            enc_t,
            actor_t,
            critic,
            critic_t,
            rs,
            trs,
            cfg.gamma,
            cfg,
        )
        gen.optimizer_step(critic_opt, v_loss, cfg.grad_clip)
        p_loss = gen.actor_loss_fn(zs, enc, actor, critic, cfg)
        gen.optimizer_step(actor_opt, p_loss)
    prio_r = (q_r - y_r.expand(-1, 2)).abs().max(1).values.clamp(min=agent.min_priority)
    prio_r = prio_r.pow(agent.alpha)  # as MRQ.py Agent.train
    prio_o = gen.lap_priority(q_o, y_o, cfg.lap_min_priority, cfg.lap_alpha)
    a_r, a_o = seen_r["next_action"], seen_o["next_action"]
    return {
        "draws": draws,
        "served": draws.all_served() if replay else None,
        "a_r": a_r,
        "a_o": a_o,
        "a_same": int((a_r == a_o).all(1).sum()),
        "vr": float(seen_r["value_loss"].detach()),
        "vo": float(v_loss.detach()),
        "pr": float(seen_r["policy_loss"].detach()),
        "po": float(p_loss.detach()),
        "q": (q_r, q_o.T),
        "y": (y_r[:, 0], y_o),
        "prio": (prio_r, prio_o),
        "nr": pix.norm(gv_ref),
        "no": pix.norm(gv_ours),
        "grads": (gv_ref, gv_ours, gp_ref, gp_ours),
    }


# ---------------------------------------------------------------------------
# 6. replay storage
# ---------------------------------------------------------------------------
def storage_check(gen, buffer_mod, report, seed):
    """The same transitions into both buffers (python int actions); what each stores."""
    cap, horizon = 64, 5
    with unittest.mock.patch("torch.cuda.mem_get_info", return_value=(0, 0)):
        ref = buffer_mod.ReplayBuffer(
            FRAME, A, 1.0, True, torch.device("cpu"), HISTORY, horizon, cap, 8
        )
    ours = gen.ReplayBuffer(
        cap, (HISTORY, *FRAME[1:]), A, torch.device("cpu"), HISTORY, horizon, 1.0
    )
    g = np.random.default_rng(seed)
    given = []  # (slot, obs, next_obs) of each transition, as the env gave them
    for length, terminated in ((12, True), (9, False)):  # a game that ends, one going on
        first = g.integers(0, 256, FRAME, dtype=np.uint8)
        stack = collections.deque([first] * HISTORY, maxlen=HISTORY)  # repeat padding
        for t in range(length):
            obs = np.concatenate(stack)
            stack.append(g.integers(0, 256, FRAME, dtype=np.uint8))
            next_obs = np.concatenate(stack)
            action, reward = int(g.integers(0, A)), float(g.choice([0.0, 10.0, 50.0]))
            end = terminated and t == length - 1
            given.append((ref.ind, obs, next_obs))
            ref.add(obs, action, next_obs, reward, end, False)
            ours.add(obs, action, reward, next_obs, end, False)
    n_added = len(given)
    n = ref.ind  # slots written (the terminal observation's extra slot included)
    assert n == ours.ptr, (n, ours.ptr)
    d = ours.data
    ard = ref.action_reward_notdone[:n]
    eq = {
        "frames": torch.equal(ref.obs[:n], d["frames"][:n]),
        "rewards": torch.equal(ard[:, 0], d["rewards"][:n].to(ard.dtype)),
        "not_done": torch.equal(ard[:, 1], d["not_done"][:n].to(ard.dtype)),
        "actions": torch.equal(ard[:, 2:], d["actions"][:n].to(ard.dtype)),
        "mask": torch.equal(ref.mask[:n], d["mask"][:n].to(ref.mask.dtype)),
    }
    one_hot = bool(((ard[:, 2:] == 0) | (ard[:, 2:] == 1)).all()) and bool(
        (ard[:, 2:].sum(1) <= 1).all()
    )
    # stacks: the reference's index tables (state_ind, next_ind) and ours' rebuild (stack() of a
    # slot and of the next one) against the stacks the transitions were given, for every
    # transition; the newest one's next observation is not stored yet on either side (it is
    # written with the next transition), so its next stack is left out
    slots = [i for i, _, _ in given]
    truth = torch.as_tensor(np.stack([o for _, o, _ in given]))
    truth_next = torch.as_tensor(np.stack([o for _, _, o in given[:-1]]))
    s_ref = torch.stack([ref.obs[ref.state_ind[i]].reshape(HISTORY, *FRAME[1:]) for i in slots])
    s_ours = ours.stack(torch.tensor(slots))
    n_ref = torch.stack([ref.obs[ref.next_ind[i]].reshape(HISTORY, *FRAME[1:]) for i in slots[:-1]])
    n_ours = ours.stack(torch.tensor(slots[:-1]) + 1)
    eq["stacks"] = all(
        torch.equal(a, b)
        for a, b in ((s_ref, truth), (s_ours, truth), (n_ref, truth_next), (n_ours, truth_next))
    )
    print(
        f"[6] {n_added} transitions (a game of 12 that terminates, 9 more), python int actions,"
        f" {n} slots: " + ", ".join(f"{k} {'equal' if v else 'DIFFERENT'}" for k, v in eq.items())
    )
    print(
        "    "
        + report.equal(
            "storage (int actions)",
            all(eq.values()) and one_hot,
            f"action rows one-hot on both: {one_hot}; max|diff| over the stored rows"
            f" {pix.diff(ard[:, 2:], d['actions'][:n]):.1e}; stacks of s and s' (ref state_ind /"
            f" next_ind, ours stack()) vs the given ones, max|diff| ref"
            f" {max(pix.diff(s_ref, truth), pix.diff(n_ref, truth_next)):.1e}"
            f" ours {max(pix.diff(s_ours, truth), pix.diff(n_ours, truth_next)):.1e}",
        )
    )
    # np.int64 (gymnasium's Discrete.sample()) and ours' 0-d int64 array: an observed difference
    sample = type(__import__("gymnasium").spaces.Discrete(A, seed=seed).sample()).__name__
    rows = {}
    for label, action in (("int", 3), ("np.int64", np.int64(3)), ("0-d int64 array", np.array(3))):
        with unittest.mock.patch("torch.cuda.mem_get_info", return_value=(0, 0)):
            r = buffer_mod.ReplayBuffer(
                FRAME, A, 1.0, True, torch.device("cpu"), HISTORY, horizon, cap, 8
            )
        o = gen.ReplayBuffer(
            cap, (HISTORY, *FRAME[1:]), A, torch.device("cpu"), HISTORY, horizon, 1.0
        )
        obs = np.zeros((HISTORY, *FRAME[1:]), dtype=np.uint8)
        r.add(obs, action, obs, 0.0, False, False)
        o.add(obs, action, 0.0, obs, False, False)
        rows[label] = (r.action_reward_notdone[0, 2:].tolist(), o.data["actions"][0].tolist())
    fmt = lambda v: "[" + ", ".join(f"{x:g}" for x in v) + "]"  # noqa: E731
    print(f"    action 3 stored as (gymnasium's Discrete.sample() returns {sample}):")
    for label, (r_row, o_row) in rows.items():
        print(f"      {label:16s} ref {fmt(r_row)}  ours {fmt(o_row)}")
    int64_bug = rows["np.int64"][0] == [3.0] * A
    ours_ok = all(o_row == rows["int"][1] for _, o_row in rows.values())
    print(
        f"    observed difference (not a failure): the reference stores an np.int64 action as"
        f" [a, ..., a]: {int64_bug} (isinstance(np.int64, int) is False; its main.py's warm-up"
        f" actions are env.action_space.sample()); ours one-hot for all three: {ours_ok}"
    )
    report.verdict("ours one-hot for np.int64 / 0-d arrays", ours_ok)


# ---------------------------------------------------------------------------
# 7. preprocessing
# ---------------------------------------------------------------------------
def env_check(gen, report, steps, seed):
    import env_preprocessing  # noqa: PLC0415  (the reference's; imports gymnasium)

    # as its Env class builds it: AtariPreprocessing(env_name, seed, eval) -- `eval` there is the
    # builtin function (Env's parameter is eval_env); the hp is what Env leaves at the defaults
    ref = env_preprocessing.AtariPreprocessing(REF_ENV, seed, eval, {"sticky_actions": False})
    quirk_eval = ref.eval is builtins.eval and bool(ref.eval)
    eps_default = ref.eval_eps
    ref.eval_eps = 0.0  # else a uniform random action with probability 1e-3, in training too
    ours = gen.make_env(GAME, seed, 4, 84, HISTORY, 0.0, False, 0, "repeat")
    same_set = list(ref.env.unwrapped._action_set) == list(ours.ale_actions)
    print(
        f"[7] {REF_ENV} (reference, sticky_actions False, eval_eps {eps_default:g} -> 0) vs"
        f" make_env({GAME!r}, sticky 0.0, noop_max 0, 'repeat'): action sets equal {same_set}"
        f" ({len(ours.ale_actions)} actions), {steps} agent steps of one pseudo-random sequence"
    )
    actions = np.random.default_rng(seed).integers(0, A, steps)
    o_r, _ = ref.reset()
    o_o, _ = ours.reset()
    resets = [(o_r, o_o)]
    worst, n_obs, n_diff, rewards, flags, events = 0, 1, [], 0.0, 0, []
    worst = int(np.abs(o_r.astype(int) - o_o).max())
    n_diff += [0] if worst else []
    prev_r = o_r
    prev_pool = [f.copy() for f in ref.pool_queue]
    for t, a in enumerate(actions):
        frames_r = []  # the raw frames the reference's env plays in this agent step
        raw_step = ref.env.step

        def spy(action, raw_step=raw_step, frames_r=frames_r):
            out = raw_step(action)
            frames_r.append(out[0].copy())
            return out

        ref.env.step = spy
        s_r = ref.step(int(a))
        del ref.env.step  # the instance attribute: back to the class's step
        s_o = ours.step(int(a))
        n_obs += 1
        d = int(np.abs(s_r[0].astype(int) - s_o[0]).max())
        if d:  # which frames each side max-pooled into the newest channel
            ch = [int(np.abs(s_r[0][c].astype(int) - s_o[0][c]).max()) for c in range(HISTORY)]
            stale = bool((s_o[0][-1] == prev_r[-1]).all())
            played = (prev_pool + frames_r)[-2:]  # the last two frames played, across steps
            ref_pool = [np.array_equal(ref.pool_queue[k], played[k]) for k in range(2)]
            ours_pool = [np.array_equal(ours.screens[k], prev_pool[k]) for k in range(2)]
            events.append(
                f"step {t + 1}: max|diff| {d} per channel {ch}"
                + (
                    f"; terminated {bool(s_r[2])} after frame {len(frames_r)} of the step's 4"
                    f" (frame {ref.frames} of the game)"
                    if s_r[2]
                    else ""
                )
                + f"; ref pools the last two frames played (the game-over frame included):"
                f" {all(ref_pool)}; ours pools the previous step's two (its screens not fetched"
                f" after the game over): {all(ours_pool)}, so its newest channel is the previous"
                f" observation's newest: {stale}"
            )
            n_diff.append(t + 1)
        worst = max(worst, d)
        rewards += abs(float(s_r[1]) - float(s_o[1]))
        flags += (bool(s_r[2]) != bool(s_o[2])) + (bool(s_r[3]) != bool(s_o[3]))
        prev_r, prev_pool = s_r[0], [f.copy() for f in ref.pool_queue]
        if s_r[2] or s_r[3] or s_o[2] or s_o[3]:
            events.append(
                f"game over at step {t + 1} (ref terminated {bool(s_r[2])}, ours {bool(s_o[2])}):"
                " both reset"
            )
            o_r, _ = ref.reset()
            o_o, _ = ours.reset()
            resets.append((o_r, o_o))
            n_obs += 1
            d0 = int(np.abs(o_r.astype(int) - o_o).max())
            worst = max(worst, d0)
            if d0:
                n_diff.append(f"reset after {t + 1}")
            prev_r, prev_pool = o_r, [f.copy() for f in ref.pool_queue]
    repeat = lambda o: all(np.array_equal(o[c], o[0]) for c in range(HISTORY))  # noqa: E731
    print(
        "    reset stacks repeat the first frame: ref"
        f" {all(repeat(r) for r, _ in resets)}, ours {all(repeat(o) for _, o in resets)};"
        f" {len(resets)} resets, equal: {all(np.array_equal(r, o) for r, o in resets)}"
    )
    for e in events:
        print(f"    {e}")
    print(
        "    "
        + report.equal(
            "observations",
            worst == 0,
            f"{n_obs} compared, max|diff| {worst} (uint8), {len(n_diff)} differ"
            + (f" (at {n_diff})" if n_diff else ""),
        )
    )
    print(
        "    "
        + report.equal(
            "rewards and flags",
            rewards == 0 and flags == 0,
            f"rewards sum|diff| {rewards:g}, terminated/truncated mismatches {flags}",
        )
    )
    # the reference's other quirk: eval_env never stored
    ref.training_reward_clipping = True
    try:
        ref.step(0)
        clip_quirk = "no error"
    except AttributeError as e:
        clip_quirk = f"AttributeError ({e})"
    print(
        f"    reference quirks: self.eval is builtins.eval (truthy: eval_eps {eps_default:g} applies in"
        f" training): {quirk_eval}; training_reward_clipping True -> {clip_quirk}"
    )


# ---------------------------------------------------------------------------
def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--mrq-ref", default=os.environ.get("MRQ_REF", "/work/ref/MRQ/MRQ"))
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--script", type=Path, default=ROOT / "generated" / "mrq_atari.py")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--draws", type=int, default=200, help="seeded draws of the acting check (3)")
    p.add_argument(
        "--atari-steps",
        type=int,
        default=600,
        help="agent steps of the env check (7); 600 cross MsPacman's first game over under seed 0",
    )
    p.add_argument(
        "--float64",
        action="store_true",
        help="run 0-2 and 4-5 in float64 (default dtype): rounding differences shrink to ~1e-12, real ones stay",
    )
    args = p.parse_args()
    if args.float64:
        torch.set_default_dtype(torch.float64)
    torch.set_num_threads(1)
    torch.manual_seed(args.seed)
    report = Report(1e-10 if args.float64 else 1e-5)
    MRQ, models = pix.load_reference(Path(args.mrq_ref).resolve())
    import buffer as buffer_mod  # noqa: PLC0415  (the reference's, now on sys.path)

    gen = load_generated(args.script)
    cfg = gen.Config()
    B, H = args.batch, cfg.encoder_horizon
    print(f"reference {args.mrq_ref} (MR.Q at {REF_COMMIT[:7]}), ours {args.script.name}")
    print(
        f"batch {B}, encoder horizon {H}, value horizon {cfg.value_horizon}, {A} actions,"
        f" {str(torch.get_default_dtype())[6:]} (rtol {report.rtol:g}), CPU"
    )

    # 0. preset ---------------------------------------------------------------------------
    agent = build_reference_agent(MRQ, models)
    hp = agent.hp
    pairs = {
        "exploration_noise": (agent.exploration_noise, cfg.exploration_noise),
        "policy_noise": (agent.target_policy_noise, cfg.policy_noise),
        "noise_clip": (agent.noise_clip, cfg.noise_clip),
        "gumbel_tau": (hp.gumbel_tau, cfg.gumbel_tau),
        "encoder_lr": (hp.enc_lr, cfg.encoder_lr),
        "critic_lr": (hp.value_lr, cfg.critic_lr),
        "actor_lr": (hp.policy_lr, cfg.actor_lr),
        "weight_decay": (hp.enc_wd, cfg.weight_decay),
        "grad_clip": (hp.value_grad_clip, cfg.grad_clip),
        "gamma": (hp.discount, cfg.gamma),
        "target_every": (hp.target_update_freq, cfg.target_every),
        "horizons": ((hp.enc_horizon, hp.Q_horizon), (cfg.encoder_horizon, cfg.value_horizon)),
        "loss weights": (
            (hp.dyn_weight, hp.reward_weight, hp.done_weight, hp.pre_activ_weight),
            (cfg.dynamics_weight, cfg.reward_weight, cfg.done_weight, cfg.pre_activation_weight),
        ),
        "LAP": ((hp.alpha, hp.min_priority), (cfg.lap_alpha, cfg.lap_min_priority)),
        "warm-up": (hp.buffer_size_before_training, cfg.learning_starts),
    }
    bad = [k for k, (r, o) in pairs.items() if r != o]
    print(
        "[0] "
        + report.equal(
            "preset",
            not bad
            and (cfg.exploration_noise, cfg.policy_noise, cfg.noise_clip, cfg.gumbel_tau)
            == (0.1, 0.1, 0.15, 10.0),
            f"discrete branch: exploration {hp.exploration_noise:g} x 0.5 = {agent.exploration_noise:g},"
            f" target noise {hp.target_policy_noise:g} x 0.5 = {agent.target_policy_noise:g}, clip"
            f" {hp.noise_clip:g} x 0.5 = {agent.noise_clip:g}, gumbel_tau {hp.gumbel_tau:g}; ours"
            f" {cfg.exploration_noise:g} / {cfg.policy_noise:g} / {cfg.noise_clip:g} /"
            f" {cfg.gumbel_tau:g}; {len(pairs)} settings compared"
            + (f", differing: {bad}" if bad else ", all equal"),
        )
    )

    # 1. weights and forward --------------------------------------------------------------
    assert (hp.zs_dim, hp.zsa_dim, hp.za_dim, hp.enc_hdim) == (512, 512, 256, 512)
    assert (cfg.encoder_width, cfg.encoder_depth, cfg.reward_bins) == (512, 2, hp.num_bins)
    obs_shape = (FRAME[0] * HISTORY, *FRAME[1:])
    enc = gen.Encoder(obs_shape, A, cfg.encoder_width, cfg.encoder_depth, cfg.reward_bins)
    enc_t = copy.deepcopy(enc).requires_grad_(False)
    actor = gen.Actor(cfg.encoder_width, A, cfg.actor_width, cfg.actor_depth, cfg.gumbel_tau)
    actor_t = copy.deepcopy(actor).requires_grad_(False)
    critic = gen.Critic(cfg.encoder_width, cfg.critic_width, cfg.critic_depth)
    critic_t = copy.deepcopy(critic).requires_grad_(False)
    print("[1] weights (reference -> ours):")
    pix.copy_weights(agent.encoder, enc, pix.encoder_map(), show=True)
    pix.copy_weights(agent.encoder_target, enc_t, pix.encoder_map())
    pix.copy_weights(agent.policy, actor, pix.policy_map(), show=True)
    pix.copy_weights(agent.policy_target, actor_t, pix.policy_map())
    pix.copy_weights(agent.value, critic, pix.value_map(), show=True)
    pix.copy_weights(agent.value_target, critic_t, pix.value_map())
    n = sum(len(m()) for m in (pix.encoder_map, pix.policy_map, pix.value_map))
    print(f"    {n} tensors per online/target set, shapes equal, all equal after the copy")
    batch = make_batch(B, H)
    x, a = batch[0][:, 0], batch[1][:, 0]
    with torch.no_grad():
        zs_r, zs_o = agent.encoder.zs(x), enc.zs(x)  # uint8 in, as given
        zsa_r, zsa_o = agent.encoder(zs_r, a), enc.zsa(zs_r, a)
        d_r, z_r, r_r = agent.encoder.model_all(zs_r, a)
        d_o, z_o, r_o = enc.model_all(zs_r, a)
        zsh_o = enc.zs(batch[0])  # (B, H+1, ...) leading dims kept
        zsh_r = agent.encoder.zs(batch[0].flatten(0, 1)).view(B, H + 1, -1)
    print(
        "    forward max|diff|: "
        + "  ".join(
            report.tensors(name, r, o)
            for name, r, o in (
                ("zs", zs_r, zs_o),
                ("zs(B,H+1)", zsh_r, zsh_o),
                ("zsa", zsa_r, zsa_o),
                ("done", d_r[:, 0], d_o),
                ("next-zs", z_r, z_o),
                ("reward", r_r, r_o),
            )
        )
    )

    # 2. policy ---------------------------------------------------------------------------
    tau_r = agent.policy.activ.keywords["tau"]
    with torch.no_grad():
        torch.manual_seed(args.seed + 3)
        soft_r, pre_r = agent.policy(zs_r)
        torch.manual_seed(args.seed + 3)
        soft_o, pre_o = actor(zs_r)
    spread = float((soft_r.max(1).values - soft_r.min(1).values).mean())
    print(
        f"[2] policy on zs, same seed (reference gumbel_softmax tau {tau_r:g}, ours {actor.gumbel_tau:g}):"
        f" {report.tensors('soft sample', soft_r, soft_o)}  {report.tensors('logits', pre_r, pre_o)}"
        f"  (mean max - min of a sample: {spread:.3f})"
    )

    # 3. acting ---------------------------------------------------------------------------
    act = acting_check(gen, agent, enc, actor, args.draws, args.seed + 10)
    nd = args.draws
    ex = f"select_action(explore) == act(): {act['explore']}/{nd}"
    ev = f"select_action(no explore) == act(deterministic): {act['eval']}/{nd}"
    print(
        f"[3] acting, {nd} seeded draws on 4 stacks (float32):"
        f" {report.equal('explore actions', act['explore'] == nd, ex)};"
        f" {report.equal('eval actions', act['eval'] == nd, ev)}"
    )
    print(
        f"    actions seen: {dict(sorted(act['actions'].items()))}; sanity: ours with"
        f" exploration_noise 0.2 differs on {act['wrong']}/{nd} draws"
    )

    # 4. encoder loss and one step --------------------------------------------------------
    bins = gen.reward_bins(cfg.reward_bins, cfg.reward_range, torch.device("cpu"))
    print(f"[4] {report.tensors('reward bins', agent.two_hot.bins, bins)}")
    fused = copy.deepcopy(enc)
    not_done = torch.ones(B, H)
    not_done[: B // 2, min(2, H - 1)] = 0.0  # half the sub-trajectories terminate at step 2
    term = make_batch(B, H, not_done)
    probe = copy.deepcopy(agent)  # no terminations, done loss off: loss only, on copies
    _, seen = capture_locals(
        probe.train_encoder, ["encoder_loss"], *pix.ref_encoder_args(batch), False
    )
    loss_n, _ = gen.encoder_loss_fn(
        pix.unshifted(gen, batch), copy.deepcopy(enc), enc_t, bins, torch.zeros(()), cfg
    )
    g_ref = pix.record_grads(agent.encoder_optimizer, agent.encoder)
    _, seen_e = capture_locals(
        agent.train_encoder, ["encoder_loss"], *pix.ref_encoder_args(term), True
    )
    opt = torch.optim.AdamW(enc.parameters(), lr=cfg.encoder_lr, weight_decay=cfg.weight_decay)
    g_ours = pix.record_grads(opt, enc)
    ours_term = pix.unshifted(gen, term)
    loss, parts = gen.encoder_loss_fn(ours_term, enc, enc_t, bins, torch.ones(()), cfg)
    gen.optimizer_step(opt, loss)
    fopt = gen.make_optimizer(
        [{"params": list(fused.parameters()), "lr": cfg.encoder_lr}], cfg.weight_decay
    )
    gen.optimizer_step(fopt, gen.encoder_loss_fn(ours_term, fused, enc_t, bins, 1.0, cfg)[0])
    print(
        "    "
        + report.pair(
            "encoder loss (terminations, done loss on)",
            float(seen_e["encoder_loss"].detach()),
            float(loss.detach()),
        )
        + f"  (ours: dynamics {float(parts[0]):.5f} reward {float(parts[1]):.5f} done {float(parts[2]):.5f})"
    )
    print(
        "    "
        + report.pair(
            "encoder loss (no terminations, done loss off)",
            float(seen["encoder_loss"].detach()),
            float(loss_n.detach()),
        )
    )
    print(
        "    one AdamW step (lr 1e-4, wd 1e-4), max|diff|: "
        + step_check(
            report, "encoder", g_ref, g_ours, pix.encoder_map(), cfg.encoder_lr, agent.encoder, enc
        )
    )
    fd = pix.max_param_diff(agent.encoder, fused, pix.encoder_map())
    print(
        f"    the script's fused make_optimizer: params max|diff| {fd:.2e} (= {fd / cfg.encoder_lr:.1e} lr)"
    )

    # 5. value and policy losses, one step each ------------------------------------------
    pix.copy_weights(agent.encoder, enc, pix.encoder_map())  # the same encoder for the RL check
    enc_before = copy.deepcopy(enc)
    fresh = copy.deepcopy((agent, enc, actor, critic))  # for the unreplayed and clipped runs
    nets = (enc, enc_t, actor, actor_t, critic, critic_t)
    r = rl_check(MRQ, gen, cfg, agent, nets, batch, args.seed + 1)
    order = r["draws"].order
    print(
        f"[5] random draws in call order: ref {order['ref']}; ours {order['ours']}: replayed by"
        f" kind, all served: {r['served']}"
    )
    print(
        "    "
        + report.equal(
            "target actions",
            r["a_same"] == B and bool((r["a_r"].sum(1) == 1).all()),
            f"one-hot(argmax(gumbel sample + clipped noise)) equal on {r['a_same']}/{B} rows,"
            f" argmax {r['a_r'].argmax(1).tolist()}",
        )
    )
    print(
        "    "
        + report.pair("value loss", r["vr"], r["vo"])
        + "   "
        + report.pair("policy loss", r["pr"], r["po"])
    )
    print(
        "    max|diff|: "
        + "  ".join(
            report.tensors(k, *r[key])
            for k, key in (("Q", "q"), ("TD target", "y"), ("LAP priority", "prio"))
        )
        + f"  value grad norm at the step (clip {cfg.grad_clip:g}): ref {r['nr']:.4f} ours {r['no']:.4f}"
    )
    gv_r, gv_o, gp_r, gp_o = r["grads"]
    print(
        "    value step: "
        + step_check(
            report, "value", gv_r, gv_o, pix.value_map(), cfg.critic_lr, agent.value, critic
        )
    )
    print(
        "    policy step: "
        + step_check(
            report, "policy", gp_r, gp_o, pix.policy_map(), cfg.actor_lr, agent.policy, actor
        )
    )
    e_r = pix.max_param_diff(agent.encoder, enc_before, pix.encoder_map())
    e_o = max(pix.diff(p_, q_) for p_, q_ in zip(enc.parameters(), enc_before.parameters()))
    unchanged = f"ref {e_r:.1e} ours {e_o:.1e}"
    print(
        "    " + report.equal("encoder unchanged by the RL step", e_r == 0 and e_o == 0, unchanged)
    )
    agent_u, enc_u, actor_u, critic_u = copy.deepcopy(fresh)
    u = rl_check(
        MRQ,
        gen,
        cfg,
        agent_u,
        (enc_u, enc_t, actor_u, actor_t, critic_u, critic_t),
        batch,
        args.seed + 1,
        replay=False,
    )
    print(
        f"    info, without the replay (same seed, each side's own draw order): target actions"
        f" equal on {u['a_same']}/{B} rows, value loss ref {u['vr']:.7f} ours {u['vo']:.7f}"
    )
    agent_c, enc_c, actor_c, critic_c = fresh
    agent_c.value_grad_clip = 1.0
    c = rl_check(
        MRQ,
        gen,
        dataclasses.replace(cfg, grad_clip=1.0),
        agent_c,
        (enc_c, enc_t, actor_c, actor_t, critic_c, critic_t),
        batch,
        args.seed + 1,
    )
    gv_r, gv_o, _, _ = c["grads"]
    print(
        f"    the clip active (1.0 on both): grad norm at the step ref {c['nr']:.4f} ours {c['no']:.4f};"
        " value step: "
        + step_check(
            report,
            "value (clip 1)",
            gv_r,
            gv_o,
            pix.value_map(),
            cfg.critic_lr,
            agent_c.value,
            critic_c,
        )
    )

    # 6. replay storage ----------------------------------------------------------------------
    storage_check(gen, buffer_mod, report, args.seed + 4)

    # 7. preprocessing -----------------------------------------------------------------------
    env_check(gen, report, args.atari_steps, args.seed)

    if report.failed:
        print(f"\nFAILED ({len(report.failed)}): " + "; ".join(report.failed))
        sys.exit(1)
    print("\nall checks pass")


if __name__ == "__main__":
    main()
