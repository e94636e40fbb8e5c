"""Parity of the generated DrQ-v2 update with the reference (facebookresearch/drqv2), on the CPU:
the reference agent is built, its weights are copied into generated/drqv2.py's encoder, actor,
critic and target (twin critics into one ensemble: member e's weight is the transpose of Q_e's),
and both run the same updates on the same batches with torch's generator seeded identically
before each (the draws come in the same order on both sides: obs shifts, next_obs shifts, the
target's noise, the actor loss's noise). Printed: both sides' critic and actor losses per update
and the largest difference of any parameter after the last one.

Needs a local checkout of the reference and a handle that imports it (not part of specc):
DRQV2_REF=/path/to/drqv2_ref.py, a module with make_agent(action_dim, seed) -> DrQV2Agent and
update_on_batch(agent, batch, step) -> metrics (the reference's update() on one given batch).

    DRQV2_REF=/work/ref/drqv2_ref.py python benchmarks/drqv2_parity.py [--batch 16 --updates 3]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]


def load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


@torch.no_grad()
def copy_linear(dst, src, member=None):
    if member is None:
        dst.weight.copy_(src.weight)
        dst.bias.copy_(src.bias)
    else:  # EnsembleLinear: weight (E, in, out), bias (E, 1, out)
        dst.weight[member].copy_(src.weight.T)
        dst.bias[member, 0].copy_(src.bias)


@torch.no_grad()
def copy_critic(ours, ref):
    copy_linear(ours.features, ref.trunk[0])
    ours.norm.load_state_dict(ref.trunk[1].state_dict())
    for e, q in enumerate((ref.Q1, ref.Q2)):
        for k, layer in enumerate((ours.q.hidden[0], ours.q.hidden[1], ours.q.out)):
            copy_linear(layer, q[2 * k], e)


def copy_weights(ref, encoder, actor, critic, critic_target):
    with torch.no_grad():
        for k, conv in enumerate(encoder.convs):
            copy_linear(conv, ref.encoder.convnet[2 * k])
        copy_linear(actor.features, ref.actor.trunk[0])
        actor.norm.load_state_dict(ref.actor.trunk[1].state_dict())
        for k, layer in enumerate(
            (actor.policy.hidden[0], actor.policy.hidden[1], actor.policy.out)
        ):
            copy_linear(layer, ref.actor.policy[2 * k])
    copy_critic(critic, ref.critic)
    copy_critic(critic_target, ref.critic_target)


def max_difference(ref, encoder, actor, critic) -> float:
    ours = ParityCopy()
    copy_weights(ref, ours.encoder, ours.actor, ours.critic, ours.critic_target)
    worst = 0.0
    for a, b in ((encoder, ours.encoder), (actor, ours.actor), (critic, ours.critic)):
        for p, q in zip(a.parameters(), b.parameters()):
            worst = max(worst, float((p - q).detach().abs().max()))
    return worst


class ParityCopy:
    """Networks of the generated script's shapes, to hold a copy of the reference's weights."""

    def __init__(self):
        m, a = MODULE, ACT_DIM
        self.encoder = m.ConvEncoder((9, 84, 84), 32, 4)
        self.actor = m.Actor(self.encoder.repr_dim, a, 50, 1024, 2)
        self.critic = m.Critic(self.encoder.repr_dim, a, 50, 1024, 2)
        self.critic_target = m.Critic(self.encoder.repr_dim, a, 50, 1024, 2)


def main() -> None:
    global MODULE, ACT_DIM
    p = argparse.ArgumentParser()
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--updates", type=int, default=3)
    p.add_argument("--act-dim", type=int, default=1)  # cartpole
    p.add_argument("--step", type=int, default=2000)
    args = p.parse_args()
    if "DRQV2_REF" not in os.environ:
        raise SystemExit("set DRQV2_REF to the reference handle (see the docstring)")
    torch.set_num_threads(1)  # 1 and 2 threads round differently (~1e-7)
    ref_handle = load("drqv2_ref_handle", Path(os.environ["DRQV2_REF"]))
    MODULE, ACT_DIM = load("drqv2_generated", ROOT / "generated" / "drqv2.py"), args.act_dim
    m = MODULE
    agent = ref_handle.make_agent(action_dim=ACT_DIM, seed=0)
    ours = ParityCopy()
    encoder, actor, critic, critic_target = (
        ours.encoder,
        ours.actor,
        ours.critic,
        ours.critic_target,
    )
    copy_weights(agent, encoder, actor, critic, critic_target)
    critic_target.requires_grad_(False)
    print(
        f"initial weights: max |ours - reference| = {max_difference(agent, encoder, actor, critic):.3g}"
    )
    critic_opt = m.make_optimizer(
        [
            {"params": list(critic.parameters()), "lr": 1e-4},
            {"params": list(encoder.parameters()), "lr": 1e-4},
        ]
    )
    actor_opt = m.make_optimizer([{"params": list(actor.parameters()), "lr": 1e-4}])
    online, target = list(critic.parameters()), list(critic_target.parameters())
    rng = np.random.default_rng(0)
    for k in range(args.updates):
        step = args.step + 2 * k  # an update step of the reference (a multiple of update_every)
        obs = rng.integers(0, 256, (args.batch, 9, 84, 84), dtype=np.uint8)
        next_obs = rng.integers(0, 256, (args.batch, 9, 84, 84), dtype=np.uint8)
        action = rng.uniform(-1, 1, (args.batch, ACT_DIM)).astype(np.float32)
        reward = rng.uniform(0, 3, (args.batch, 1)).astype(np.float32)
        discount = np.full((args.batch, 1), 0.99**3, np.float32)
        torch.manual_seed(100 + k)
        theirs = ref_handle.update_on_batch(agent, (obs, action, reward, discount, next_obs), step)
        torch.manual_seed(100 + k)
        batch = [torch.as_tensor(x) for x in (obs, action, reward[:, 0], discount[:, 0], next_obs)]
        stddev = m.stddev_schedule(step, 1.0, 0.1, 500000)
        h, actions, returns, discounts, next_h = m.encode(batch, encoder, 4)
        loss = m.critic_loss_fn(
            h, actions, returns, discounts, next_h, actor, critic, critic_target, stddev, 0.3
        )
        m.optimizer_step(critic_opt, loss)
        critic_loss = float(loss)
        loss = m.actor_loss_fn(h.detach(), actor, critic, stddev, 0.3)
        m.optimizer_step(actor_opt, loss)
        m.polyak_update(target, online, 0.01)
        print(
            f"update {k + 1}: critic loss ours {critic_loss:.7f} reference {theirs['critic_loss']:.7f};"
            f" actor loss ours {float(loss):.7f} reference {theirs['actor_loss']:.7f}"
        )
    print(
        f"after {args.updates} updates: max |ours - reference| over all parameters = {max_difference(agent, encoder, actor, critic):.3g}"
    )


if __name__ == "__main__":
    main()
