"""Parity of the generated Data-Efficient Rainbow update (generated/der_atari100k.py) with the
PyTorch reference Kaixhin/Rainbow (agent.py's Agent.learn), on the CPU: the same weights, the
same batch and the same noise give the same C51 target distribution, per-sample cross-entropy,
loss, gradients and parameters after one Adam step.

    python benchmarks/der_parity.py /work/ref/rainbow [--width 16 --depth 2 --head 512]

RAINBOW_DIR (the argument) is a checkout of Kaixhin/Rainbow (commit 1745b18, agent.py, model.py
and memory.py as upstream; its env.py is not used here). Only its Agent (agent.py) and its
ReplayMemory (memory.py, for the importance weights) are imported, from the project venv: they
need torch and numpy only. Nothing of the reference's update is re-implemented: its learn() is
run as is, and its intermediates (m, loss, argmax_indices_ns) are read from learn()'s locals
when it returns (a sys.setprofile hook).

The network. Ours: generated/der_atari100k.py's ImpalaCNN (width --width, --depth residual
blocks per stack) and Critic (one noisy hidden layer of --head, noisy dueling C51 head, 51
atoms, sigma_0 0.5), on 4 x 84 x 84 frames, 9 actions (MsPacman's). The reference runs the SAME
modules (deep copies) through an adapter, OursAsRainbowNet: forward(x, log) = softmax (or
log_softmax) of critic(encoder(255 x), noisy=training) over the atoms (the reference's
memory gives frames / 255, our encoder divides uint8 values by 255: the float32 and float64
round trip k / 255 * 255 / 255 is exact for k = 0..255, checked), reset_noise() = the critic's,
or a no-op while the noise is held. The online and target networks differ (the target is
another initialisation), online and target are deep copies on each side. The advantage layer's
mean and sigma weights are scaled x3 at initialisation (widen_advantage) and the frames are
coarse random blocks, so that the double-DQN argmax varies across the batch.

Held equal.
  * weights: the reference's online and target nets are deep copies of ours;
  * the batch: B=32 uint8 stacks, actions, n-step returns R and nonterminal flags given to both
    sides as is (ours: critic_loss_fn's batch (obs, actions, R, gamma^n x nonterminal, next_obs,
    slots, P); the reference: a one-batch stand-in for its ReplayMemory whose sample() returns
    (idxs, obs / 255, actions, R, next_obs / 255, nonterminal, weights)). This leaves out the
    replay's n-step terminal quirk by design (the reference bootstraps only when the transition n
    steps ahead is not terminal, one step stricter than Dopamine's window): both sides get the
    same R and the same bootstrap flag. The batch has terminals (flag 0), returns outside
    [v_min, v_max] and targets on atoms (the reference's l == u fix-ups);
  * the noise, in two cases:
    - "one noise": one draw N of every noisy layer's factorised noise, used for the online
      net's log-probabilities at s, its double-DQN argmax at s' and the target's distribution
      at s': ours' critic.reset_noise() is made a no-op (target_distribution copies N into the
      target, as it always copies the online noise), the reference's adapters hold N with
      reset_noise() a no-op (so the target's reset_noise() inside learn() keeps N);
    - "Dopamine's draws": our update's own draws (critic_losses_fn: a fresh noise A for the
      online argmax at s', copied into the target, then a fresh noise C for the online
      log-probabilities at s), recorded and replayed in the reference: its online adapter loads
      C for learn()'s first forward (s, with grad) and A for the second (s', the argmax), its
      target holds A. By design the reference uses ONE online noise for both (the one main.py
      draws before act()) and a fresh, independent target noise inside learn(); Dopamine (ours)
      gives the argmax and the target the same noise and the online loss another one: equal
      here only because the noise is replayed.
  * importance weights: all 1 (ours: all P equal, so (P + 1e-10)^-beta / max = 1; the
    reference's weights tensor is ones). Separately, the formulas: the reference's ReplayMemory
    (memory.py, its own code) with random priorities samples a batch at beta = 0.5 and gives its
    weights (capacity P)^-beta / max; ours' critic_loss_fn formula (P + 1e-10)^-0.5 / max on the
    same P (the sum-tree leaves / total) is compared to them (equal after normalisation: the
    capacity factor cancels, 1e-10 is negligible next to P), and the weighted objective of both
    sides on that batch with those weights.
  * gradient clipping: off (the reference's norm_clip = 1e30: clip_grad_norm_ then multiplies the
    gradients by 1.0; ours has none, DER in Dopamine clips nothing);
  * Adam: lr 1e-4, eps 1.5e-4, betas (0.9, 0.999), one step from a fresh state on both sides
    (ours: make_optimizer's fused Adam over critic + encoder parameters; the reference:
    agent.py's optim.Adam(online_net.parameters(), lr, eps), rebuilt for the adapter).

What differs by design and is not compared: the replay (ours: Dopamine's; theirs: its own
ReplayMemory, incl. the n-step quirk above), beta (ours: fixed 0.5; theirs: annealed from 0.4
to 1, all weights 1 on the first call anyway), gradient clipping (theirs: norm 10), the new
priorities' epsilon (ours: (loss + 1e-10)^0.5; theirs: loss^0.5, printed), the noise draws
(above), the network (the reference's own DQN is not used here).

Compared (max absolute difference, ours - reference): m (B x 51), the per-sample
cross-entropy (B), the loss (the mean over the batch), the double-DQN argmax actions, every
parameter's gradient, every parameter after the Adam step and the step itself (after -
before), in float32 and in float64 (torch's default dtype set to float64 before the nets are
built; ours then calls critic_losses_fn directly, critic_loss_fn casts obs with .float()).
Tolerance: each difference <= rtol x (1 + the largest |value| of that quantity on the
reference's side), rtol 1e-5 in float32 and 1e-10 in float64; the argmax actions must be equal;
the Adam step's difference <= lr / eps x (the largest gradient difference) + rtol x lr (a first
Adam step is lr g / (|g| + eps): its sensitivity to g is at most lr / eps = 0.67, so gradients
that differ by rounding give steps that differ by up to that much more, relative to the step).
Exit status 1 if any check fails.
"""

from __future__ import annotations

import argparse
import copy
import importlib.util
import math
import os
import signal
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import torch
import torch.nn as nn

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "generated" / "der_atari100k.py"
ACTIONS, BATCH, N_STEP, GAMMA, LR, ADAM_EPS = 9, 32, 10, 0.99, 1e-4, 1.5e-4
ATOMS, V_MIN, V_MAX, SIGMA0, BETA = 51, -10.0, 10.0, 0.5, 0.5


def import_script(path: Path):
    """Import a generated script as a module (its main() is not run)."""
    spec = importlib.util.spec_from_file_location(f"generated_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


class OursAsRainbowNet(nn.Module):
    """Our encoder + critic with Kaixhin/Rainbow's DQN interface: forward(x, log=False) ->
    (B, actions, atoms) probabilities (log-probabilities with log=True) of frames x in [0, 1];
    the noisy layers use their current noise in train mode (as the reference's NoisyLinear),
    the means in eval mode. reset_noise(): the critic's, a no-op while hold_noise is set.
    noise_schedule: noise states loaded one per forward call (to replay another side's draws)."""

    def __init__(self, encoder, critic):
        super().__init__()
        self.encoder, self.critic = encoder, critic
        self.hold_noise = False
        self.noise_schedule = []

    def forward(self, x, log=False):
        if self.noise_schedule:  # new buffer tensors: the autograd graph keeps the old ones
            swap_noise(self.critic, self.noise_schedule.pop(0))
        logits = self.critic(self.encoder(x * 255.0), self.training)
        return logits.log_softmax(-1) if log else logits.softmax(-1)

    def reset_noise(self):
        if not self.hold_noise:
            self.critic.reset_noise()


def get_noise(critic):
    return {k: b.detach().clone() for k, b in critic.named_buffers()}


@torch.no_grad()
def set_noise(critic, noise):
    for k, b in critic.named_buffers():
        b.copy_(noise[k])


def swap_noise(critic, noise):
    """Replace the noise buffers by copies of `noise` (not in place)."""
    for name, value in noise.items():
        owner, _, leaf = name.rpartition(".")
        setattr(critic.get_submodule(owner), leaf, value.clone())


class OneBatchMemory:
    """Stands in for the reference's ReplayMemory in Agent.learn: sample() returns the given
    batch; update_priorities() records what learn() passes (the per-sample loss)."""

    def __init__(self, batch):
        self.batch, self.priorities = batch, None

    def sample(self, batch_size):
        assert batch_size == len(self.batch[1])
        return self.batch

    def update_priorities(self, _idxs, priorities):
        self.priorities = np.asarray(priorities)


def rainbow_args(**kw):
    """The fields the reference's Agent, DQN and ReplayMemory read (rainbow/main.py's names)."""
    args = SimpleNamespace(
        device=torch.device("cpu"),
        atoms=ATOMS,
        V_min=V_MIN,
        V_max=V_MAX,
        batch_size=BATCH,
        multi_step=N_STEP,
        discount=GAMMA,
        norm_clip=1e30,  # clipping off (a factor 1.0)
        learning_rate=LR,
        adam_eps=ADAM_EPS,
        model=None,
        architecture="data-efficient",  # built by Agent, then replaced by the adapter
        hidden_size=256,
        noisy_std=SIGMA0,
        history_length=4,
        priority_exponent=0.5,
        priority_weight=BETA,
    )
    for k, v in kw.items():
        setattr(args, k, v)
    return args


class ActionSpaceEnv:
    """Agent(args, env) only calls env.action_space()."""

    def action_space(self):
        return ACTIONS


def rainbow_agent(agent_cls, online, target):
    """The reference's Agent with the adapters as online and target nets and its Adam rebuilt
    (agent.py:38-46: train mode, target without gradients)."""
    agent = agent_cls(rainbow_args(), ActionSpaceEnv())
    agent.online_net, agent.target_net = online.train(), target.train()
    for p in agent.target_net.parameters():
        p.requires_grad = False
    agent.optimiser = torch.optim.Adam(
        agent.online_net.parameters(), lr=LR, eps=ADAM_EPS
    )  # as agent.py:46
    return agent


def run_learn(agent, mem):
    """agent.learn(mem) once; returns learn()'s locals at its return."""
    code, seen = type(agent).learn.__code__, {}

    def hook(frame, event, _arg):
        if event == "return" and frame.f_code is code:
            seen.update(
                {k: v.detach().clone() for k, v in frame.f_locals.items() if torch.is_tensor(v)}
            )

    sys.setprofile(hook)
    try:
        agent.learn(mem)
    finally:
        sys.setprofile(None)
    return seen


def frames(rng, size):
    """B uint8 stacks that differ enough for a fresh net's argmax to vary across the batch:
    coarse 6 x 6 blocks at a random brightness per sample, plus fine noise."""
    coarse = rng.integers(0, 256, (BATCH, 4, 6, 6)).astype(np.float64)
    coarse *= rng.uniform(0.05, 1.0, (BATCH, 1, 1, 1))
    scale = -(-size // 6)
    x = np.repeat(np.repeat(coarse, scale, 2), scale, 3)[..., :size, :size]
    x = x + rng.integers(0, 32, (BATCH, 4, size, size))
    return torch.from_numpy(np.clip(x, 0, 255).astype(np.uint8))


def make_batch(rng, size):
    """uint8 stacks, actions, n-step returns and nonterminal flags (float64 numpy)."""
    obs, next_obs = frames(rng, size), frames(rng, size)
    actions = torch.from_numpy(rng.integers(0, ACTIONS, BATCH))
    returns = rng.uniform(-3.0, 3.0, BATCH)
    nonterminal = (rng.uniform(size=BATCH) > 0.25).astype(np.float64)
    # targets on atoms (the reference's l == u fix-ups) and outside the support (clamped)
    returns[:6] = [0.0, -10.0, 10.0, 12.5, -11.0, 0.4]
    nonterminal[:6] = [0.0, 0.0, 0.0, 1.0, 1.0, 0.0]
    return obs, actions, returns, nonterminal, next_obs


@torch.no_grad()
def widen_advantage(critic, factor=3.0):
    """Scale the advantage layer's means and sigmas (a fresh head's Q-values hardly depend on
    the input; x3 makes the double-DQN argmax vary across the batch). Same on both sides."""
    critic.advantage.weight.mul_(factor)
    critic.advantage.weight_sigma.mul_(factor)
    return critic


def max_diff(a, b):
    return (a.double() - b.double()).abs().max().item()


class Report:
    def __init__(self, rtol):
        self.rtol, self.failed = rtol, []

    def check(self, name, ours, ref, note=""):
        diff = max_diff(ours, ref)
        scale = ref.double().abs().max().item()
        ok = diff <= self.rtol * (1.0 + scale)
        if not ok:
            self.failed.append(name)
        print(
            f"  {name:<44} max|diff| {diff:.3e}  (max|ref| {scale:.3e}) {'ok' if ok else 'FAIL'}{note}"
        )

    def bounded(self, name, ours, ref, bound, how):
        diff = max_diff(ours, ref)
        ok = diff <= bound
        if not ok:
            self.failed.append(name)
        print(
            f"  {name:<44} max|diff| {diff:.3e}  (bound {bound:.3e}: {how}) {'ok' if ok else 'FAIL'}"
        )

    def equal(self, name, ours, ref):
        ok = bool(torch.equal(ours, ref))
        if not ok:
            self.failed.append(name)
        print(f"  {name:<44} {'equal' if ok else 'DIFFERENT'}: {ours.tolist()}")


def compare_update(der, agent_cls, cli, dtype, noise_case, report):
    """One update on both sides from the same weights, batch and noise; prints the differences."""
    torch.manual_seed(cli.seed)
    obs_shape = (4, cli.size, cli.size)
    encoder = der.ImpalaCNN(obs_shape, cli.width, cli.depth)
    critic = widen_advantage(der.Critic(encoder.repr_dim, ACTIONS, cli.head, 1, ATOMS, SIGMA0))
    torch.manual_seed(cli.seed + 1)  # the target: another initialisation
    encoder_target = der.ImpalaCNN(obs_shape, cli.width, cli.depth).requires_grad_(False)
    critic_target = der.Critic(encoder.repr_dim, ACTIONS, cli.head, 1, ATOMS, SIGMA0)
    widen_advantage(critic_target).requires_grad_(False)
    support = torch.linspace(V_MIN, V_MAX, ATOMS)
    obs, actions, returns, nonterminal, next_obs = make_batch(
        np.random.default_rng(cli.seed), cli.size
    )
    returns_t = torch.tensor(returns, dtype=dtype)
    nonterminal_t = torch.tensor(nonterminal, dtype=dtype)
    discounts = nonterminal_t * torch.tensor(GAMMA**N_STEP, dtype=dtype)  # as agent.py:79 forms it

    # the reference's nets: deep copies of ours, before our update changes anything
    online_ref = OursAsRainbowNet(copy.deepcopy(encoder), copy.deepcopy(critic))
    target_ref = OursAsRainbowNet(copy.deepcopy(encoder_target), copy.deepcopy(critic_target))
    online_ref.hold_noise = target_ref.hold_noise = True
    before = {f"encoder.{k}": p.detach().clone() for k, p in encoder.named_parameters()}
    before.update({f"critic.{k}": p.detach().clone() for k, p in critic.named_parameters()})

    # ours: the update (critic_loss_fn, optimizer_step); m and a* on snapshots of the nets
    snapshot = [copy.deepcopy(m) for m in (encoder, critic, encoder_target, critic_target)]
    torch.manual_seed(cli.seed + 2)
    critic.reset_noise()  # "one noise": N
    noise_n = get_noise(critic)
    draws = []
    if noise_case == "one noise":
        critic.reset_noise = lambda: None  # N everywhere (target_distribution copies it)
    else:
        draw = critic.reset_noise

        def recorded():
            draw()
            draws.append(get_noise(critic))

        critic.reset_noise = recorded
    optimizer = der.make_optimizer(
        [
            {
                "params": list(critic.parameters()) + list(encoder.parameters()),
                "lr": LR,
                "eps": ADAM_EPS,
            }
        ]
    )
    if dtype == torch.float32:
        probabilities = torch.full((BATCH,), 1.0 / BATCH)  # equal P: all weights 1
        batch = [obs, actions, returns_t, discounts, next_obs, None, probabilities]
        loss, losses, _ = der.critic_loss_fn(
            batch, encoder, critic, encoder_target, critic_target, support, BETA
        )
    else:  # critic_loss_fn casts obs with .float(): its critic_losses_fn, weights all 1
        losses, _ = der.critic_losses_fn(
            obs.to(dtype),
            actions,
            returns_t,
            discounts,
            next_obs.to(dtype),
            encoder,
            critic,
            encoder_target,
            critic_target,
            support,
        )
        loss, losses = losses.mean(), losses.detach()
    der.optimizer_step(optimizer, loss)
    grads = {f"encoder.{k}": p.grad for k, p in encoder.named_parameters()}
    grads.update({f"critic.{k}": p.grad for k, p in critic.named_parameters()})
    after = {f"encoder.{k}": p.detach() for k, p in encoder.named_parameters()}
    after.update({f"critic.{k}": p.detach() for k, p in critic.named_parameters()})
    if noise_case != "one noise":
        assert len(draws) == 2, len(draws)  # A (argmax and target), then C (online loss)
    # m and a* of that update: the same weights (snapshots) and the noise it used
    enc_s, crit_s, enc_t_s, crit_t_s = snapshot
    set_noise(crit_s, noise_n if noise_case == "one noise" else draws[0])
    crit_s.reset_noise = lambda: None
    target = der.target_distribution(
        next_obs.to(dtype), returns_t, discounts, enc_s, crit_s, enc_t_s, crit_t_s, support
    )
    with torch.no_grad():
        argmax_ours = der.q_values(enc_s, crit_s, next_obs.to(dtype), support, True).argmax(-1)

    # the reference, with the same noise
    if noise_case == "one noise":
        set_noise(online_ref.critic, noise_n)
        set_noise(target_ref.critic, noise_n)
    else:
        noise_a, noise_c = draws
        online_ref.noise_schedule = [noise_c, noise_a]  # learn(): forward(s), then forward(s')
        set_noise(online_ref.critic, noise_c)
        set_noise(target_ref.critic, noise_a)
    agent = rainbow_agent(agent_cls, online_ref, target_ref)
    mem = OneBatchMemory(
        (
            np.arange(BATCH),
            obs.to(dtype).div(255),
            actions,
            returns_t,
            next_obs.to(dtype).div(255),
            nonterminal_t.unsqueeze(1),
            torch.ones(BATCH, dtype=dtype),
        )
    )
    seen = run_learn(agent, mem)
    assert not online_ref.noise_schedule, "learn() made an unexpected number of forward calls"
    ref_grads = {k: p.grad for k, p in agent.online_net.named_parameters()}
    ref_after = {k: p.detach() for k, p in agent.online_net.named_parameters()}

    print(f"\n{str(dtype).replace('torch.', '')}, noise: {noise_case}")
    report.equal("double-DQN argmax a* (online net, s')", argmax_ours, seen["argmax_indices_ns"])
    report.check("target distribution m (B x atoms)", target, seen["m"])
    report.check("per-sample cross-entropy (B)", losses, seen["loss"])
    report.check("loss (mean, weights 1)", loss.detach(), seen["loss"].mean())
    worst = max(
        grads, key=lambda k: max_diff(grads[k], ref_grads[k]) / (1 + ref_grads[k].abs().max())
    )
    for name in grads:
        assert name in ref_grads, name
    all_g = torch.cat([g.flatten() for g in grads.values()])
    all_rg = torch.cat([ref_grads[k].flatten() for k in grads])
    report.check(f"gradients, all {len(grads)} parameters", all_g, all_rg, f"  worst: {worst}")
    for name in grads:
        report.check(f"  grad {name}", grads[name], ref_grads[name])
    all_a = torch.cat([after[k].flatten() for k in grads])
    all_ra = torch.cat([ref_after[k].flatten() for k in grads])
    report.check("parameters after one Adam step", all_a, all_ra)
    step = torch.cat([(after[k] - before[k]).flatten() for k in grads])
    ref_step = torch.cat([(ref_after[k] - before[k]).flatten() for k in grads])
    grad_diff = max_diff(all_g, all_rg)
    report.bounded(
        "Adam step (after - before)",
        step,
        ref_step,
        LR / ADAM_EPS * grad_diff + report.rtol * LR,
        "lr/eps x max|grad diff| + rtol x lr",
    )
    priorities_ours = (losses + 1e-10) ** 0.5
    print(
        f"  (new priorities, not a check: ours (loss + 1e-10)^0.5 vs theirs loss^0.5: max|diff| "
        f"{max_diff(priorities_ours, torch.from_numpy(mem.priorities ** 0.5)):.3e})"
    )


def compare_weights(der, memory_cls, agent_cls, cli, report):
    """The importance weights: the reference's ReplayMemory (random priorities, beta 0.5) against
    our formula on the same P; then the weighted objective of one update on both sides."""
    print("\nimportance weights, beta 0.5 (float32)")
    np.random.seed(cli.seed)  # the reference's memory samples with np.random
    capacity = 1000
    mem = memory_cls(rainbow_args(priority_weight=BETA), capacity)
    frames = np.random.randint(0, 256, (capacity, 84, 84), dtype=np.uint8)
    state = torch.zeros(4, 84, 84)
    for i in range(capacity):  # full: its weights use the capacity
        state[-1] = torch.from_numpy(frames[i]).float().div(255)
        mem.append(state, i % ACTIONS, 0.0, False)
    tree = mem.transitions
    mem.update_priorities(
        tree.tree_start + np.arange(capacity), np.random.uniform(0.01, 4.0, capacity)
    )
    tree_idxs, *_, weights_ref = mem.sample(BATCH)
    p = torch.from_numpy(tree.sum_tree[tree_idxs] / tree.total())  # float32, as memory.py's
    weights_ours = (p + 1e-10) ** -BETA
    weights_ours = weights_ours / weights_ours.max()
    print(f"  P in [{p.min().item():.3e}, {p.max().item():.3e}], capacity {capacity}")
    report.check("weights: (P+1e-10)^-0.5/max vs (N P)^-0.5/max", weights_ours, weights_ref)

    torch.manual_seed(cli.seed)
    obs_shape = (4, cli.size, cli.size)
    encoder = der.ImpalaCNN(obs_shape, cli.width, cli.depth)
    critic = widen_advantage(der.Critic(encoder.repr_dim, ACTIONS, cli.head, 1, ATOMS, SIGMA0))
    encoder_target, critic_target = copy.deepcopy(encoder), copy.deepcopy(critic)
    critic.reset_noise()
    online_ref = OursAsRainbowNet(copy.deepcopy(encoder), copy.deepcopy(critic))
    target_ref = OursAsRainbowNet(copy.deepcopy(encoder_target), copy.deepcopy(critic))
    online_ref.hold_noise = target_ref.hold_noise = True
    critic.reset_noise = lambda: None
    support = torch.linspace(V_MIN, V_MAX, ATOMS)
    obs, actions, returns, nonterminal, next_obs = make_batch(
        np.random.default_rng(cli.seed + 7), cli.size
    )
    returns_t = torch.tensor(returns, dtype=torch.float32)
    nonterminal_t = torch.tensor(nonterminal, dtype=torch.float32)
    discounts = nonterminal_t * GAMMA**N_STEP
    batch = [obs, actions, returns_t, discounts, next_obs, None, p]
    loss, _, _ = der.critic_loss_fn(
        batch, encoder, critic, encoder_target, critic_target, support, BETA
    )
    der.optimizer_step(
        der.make_optimizer(
            [
                {
                    "params": list(critic.parameters()) + list(encoder.parameters()),
                    "lr": LR,
                    "eps": ADAM_EPS,
                }
            ]
        ),
        loss,
    )
    agent = rainbow_agent(agent_cls, online_ref, target_ref)
    one = OneBatchMemory(
        (
            np.arange(BATCH),
            obs.float().div(255),
            actions,
            returns_t,
            next_obs.float().div(255),
            nonterminal_t.unsqueeze(1),
            weights_ref,
        )
    )
    seen = run_learn(agent, one)
    report.check(
        "weighted objective (w * CE).mean()", loss.detach(), (weights_ref * seen["loss"]).mean()
    )
    grads = torch.cat(
        [p.grad.flatten() for p in list(encoder.parameters()) + list(critic.parameters())]
    )
    ref_grads = torch.cat(
        [
            p.grad.flatten()
            for p in list(online_ref.encoder.parameters()) + list(online_ref.critic.parameters())
        ]
    )
    report.check("gradients of the weighted objective", grads, ref_grads)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rainbow_dir", help="a checkout of Kaixhin/Rainbow")
    parser.add_argument("--width", type=int, default=16, help="IMPALA width (ours: 16)")
    parser.add_argument("--depth", type=int, default=2, help="residual blocks per stack (2)")
    parser.add_argument("--head", type=int, default=512, help="critic hidden width (512)")
    parser.add_argument("--size", type=int, default=84, help="frame side (84)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-float64", action="store_true", help="float32 only")
    cli = parser.parse_args()
    signal.alarm(600)  # never run away on a shared machine
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    sys.path.insert(0, os.path.abspath(cli.rainbow_dir))
    from agent import Agent  # noqa: E402 (the reference's agent.py)
    from memory import ReplayMemory  # noqa: E402 (the reference's memory.py)

    der = import_script(SCRIPT)
    print(
        f"torch {torch.__version__}, threads {torch.get_num_threads()}; ours: {SCRIPT.name} "
        f"ImpalaCNN width {cli.width} depth {cli.depth}, Critic head {cli.head}, {ACTIONS} actions,"
        f" {ATOMS} atoms, frames 4x{cli.size}x{cli.size}, batch {BATCH}, n {N_STEP}, gamma {GAMMA}"
    )
    print(f"reference: {os.path.abspath(cli.rainbow_dir)} agent.Agent.learn with the adapter nets")
    print(
        "held equal: weights, batch (R and bootstrap flags given: the reference's n-step terminal"
        " quirk is bypassed), noise (see each case), weights all 1 (beta off), clipping off"
        " (norm_clip 1e30), Adam lr 1e-4 eps 1.5e-4"
    )
    failed = []
    for dtype, rtol in [(torch.float32, 1e-5)] + (
        [] if cli.no_float64 else [(torch.float64, 1e-10)]
    ):
        torch.set_default_dtype(dtype)
        print(
            f"\n=== {str(dtype).replace('torch.', '')}: tolerance max|diff| <= {rtol:g} x (1 + max|ref|)"
        )
        report = Report(rtol)
        for noise_case in ("one noise", "Dopamine's draws"):
            compare_update(der, Agent, cli, dtype, noise_case, report)
        if dtype == torch.float32:
            compare_weights(der, ReplayMemory, Agent, cli, report)
        failed += [f"{dtype}: {name}" for name in report.failed]
    torch.set_default_dtype(torch.float32)
    if failed:
        print(f"\nFAILED ({len(failed)}): " + "; ".join(failed))
        sys.exit(1)
    print("\nall checks passed")


if __name__ == "__main__":
    assert math.isfinite(GAMMA)
    main()
