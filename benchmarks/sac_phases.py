"""Where a generated SAC script's agent step goes, phase by phase, and the update-only limit.

    python benchmarks/sac_phases.py generated/sac_dense.py --env-id HalfCheetah-v5 --threads 1 2
    python benchmarks/sac_phases.py generated/sac_dense.py --compile   # the updates compiled

Imports the script as a module (its main() is not run), builds its networks and optimizers at
the script's defaults as main() does, fills its ReplayBuffer with --fill uniform-random
transitions, then times each phase --iters times after --warmup untimed calls, per thread count.
The phases of one agent step in the training phase (CleanRL's schedule: one critic update and
Polyak step per step; policy_delay actor updates every policy_delay-th step, one per step on
average):

- act: Actor.act on one observation, to numpy (the step's one host sync);
- env step: env.step on a uniform-random action (reset when an episode ends);
- rb.add: the transition into the preallocated buffer;
- sample: rb.sample(batch_size);
- critic: critic_loss_fn + optimizer_step (forward, backward, fused Adam);
- Polyak: polyak_update of the target critic;
- actor: actor_loss_fn + optimizer_step (actor and temperature);
- logging: one log event (the losses' .item(), a metrics.csv row) over log_every steps.

"update-only" times a loop that only samples and updates (sample, critic, Polyak, actor) with no
env and no acting: the rate the script would reach if acting and the env were free. The
implied steps/s is 1000 / (sum of the phases in ms); compare it with the script's own
training-phase rate (benchmarks/bench_sps.py, benchmarks/peers.py).
"""

from __future__ import annotations

import argparse
import copy
import importlib.util
import math
import os
import sys
import tempfile
import time
from pathlib import Path

import torch


def timed(fn, warmup, iters):
    for _ in range(warmup):
        fn()
    t0 = time.perf_counter()
    for _ in range(iters):
        fn()
    return (time.perf_counter() - t0) / iters * 1000.0


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("script", type=Path)
    p.add_argument("--env-id", default="HalfCheetah-v5")
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    p.add_argument("--fill", type=int, default=5000, help="random transitions in the buffer")
    p.add_argument("--warmup", type=int, default=20)
    p.add_argument("--iters", type=int, default=300)
    p.add_argument("--compile", action="store_true", help="torch.compile the two updates")
    args = p.parse_args()

    spec = importlib.util.spec_from_file_location(f"generated_{args.script.stem}", args.script)
    m = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = m  # torch.compile re-imports the functions' module by name
    spec.loader.exec_module(m)
    cfg = m.Config(env_id=args.env_id, device="cpu", threads=args.threads[0], buffer_size=100_000)
    device = m.setup_torch(cfg)
    torch.manual_seed(cfg.seed)
    env = m.make_env(cfg.env_id, cfg.seed)
    obs_dim, act_dim = env.observation_space.shape[0], env.action_space.shape[0]
    low, high = env.action_space.low, env.action_space.high
    actor = m.Actor(obs_dim, act_dim, cfg.actor_width, cfg.actor_depth, low, high)
    critic = m.Critic(obs_dim, act_dim, cfg.critic_width, cfg.critic_depth)
    critic_target = copy.deepcopy(critic).requires_grad_(False)
    log_alpha = torch.tensor(math.log(cfg.alpha_init), requires_grad=True)
    target_entropy = cfg.target_entropy_per_dim * act_dim
    critic_opt = m.make_optimizer([{"params": list(critic.parameters()), "lr": cfg.critic_lr}])
    actor_opt = m.make_optimizer(
        [
            {"params": list(actor.parameters()), "lr": cfg.actor_lr},
            {"params": [log_alpha], "lr": cfg.alpha_lr},
        ]
    )
    critic_params, target_params = list(critic.parameters()), list(critic_target.parameters())
    rb = m.ReplayBuffer(cfg.buffer_size, obs_dim, act_dim, device)
    state = {"obs": env.reset(seed=cfg.seed)[0], "batch": None}
    losses = {}

    def env_step():
        action = env.action_space.sample()
        next_obs, reward, terminated, truncated, _ = env.step(action)
        state["next"] = (action, reward, next_obs, terminated)
        state["obs"] = env.reset()[0] if terminated or truncated else next_obs

    def rb_add():
        action, reward, next_obs, terminated = state["next"]
        rb.add(state["obs"], action, reward, next_obs, terminated)

    for _ in range(args.fill):
        env_step()
        rb_add()

    def sample():
        state["batch"] = rb.sample(cfg.batch_size)

    def critic_step():
        loss = m.critic_loss_fn(state["batch"], actor, critic, critic_target, log_alpha, cfg.gamma)
        m.optimizer_step(critic_opt, loss)
        losses["critic_loss"] = loss.detach() / 2

    def polyak():
        m.polyak_update(target_params, critic_params, cfg.tau)

    def actor_step():
        loss, losses["actor_loss"] = m.actor_loss_fn(
            state["batch"][0], actor, critic, log_alpha, target_entropy
        )
        m.optimizer_step(actor_opt, loss)

    if args.compile:
        critic_step, actor_step = torch.compile(critic_step), torch.compile(actor_step)

    def act():
        with torch.inference_mode():
            obs_t = torch.as_tensor(state["obs"], dtype=torch.float32)
            actor.act(obs_t).cpu().numpy()

    def update_only():
        sample()
        critic_step()
        polyak()
        actor_step()

    tmp = tempfile.mkdtemp()
    log = m.MetricsLog(tmp, 0, False)  # metrics.csv only (no TensorBoard)

    def log_event():
        row = {"step": 1, "time": 0.0, "sps": 1.0}
        row.update({k: v.item() for k, v in losses.items()})
        row["alpha"] = log_alpha.exp().item()
        log.write(row)

    n_weights = sum(p.numel() for n in (actor, critic) for p in n.parameters())
    print(
        f"{args.script.name} {cfg.env_id} actor {cfg.actor_width}x{cfg.actor_depth}, critic "
        f"{cfg.critic_width}x{cfg.critic_depth} ({n_weights / 1e6:.2f}M weights), batch "
        f"{cfg.batch_size}, {'compiled' if args.compile else 'eager'} updates, torch "
        f"{torch.__version__}, {os.cpu_count()} cores"
    )
    names = ["act", "env step", "rb.add", "sample", "critic", "Polyak", "actor", "logging"]
    print(
        "| threads | "
        + " | ".join(f"{n} (ms)" for n in names)
        + " | total (ms) | implied steps/s | update-only (ms) | update-only steps/s |"
    )
    print("|---|" + "---|" * (len(names) + 4))
    for threads in args.threads:
        torch.set_num_threads(threads)
        sample()
        ms = [timed(f, 20, 5 * args.iters) for f in (act, env_step, rb_add)]
        ms += [timed(f, args.warmup, args.iters) for f in (sample, critic_step, polyak, actor_step)]
        ms.append(timed(log_event, 5, 50) / cfg.log_every)
        only = timed(update_only, args.warmup, args.iters)
        total = sum(ms)
        print(
            f"| {threads} | "
            + " | ".join(f"{x:.3f}" for x in ms)
            + f" | {total:.2f} | {1000 / total:.1f} | {only:.2f} | {1000 / only:.1f} |",
            flush=True,
        )
    log.close()


if __name__ == "__main__":
    main()
