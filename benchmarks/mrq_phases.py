"""Time the phases of a generated MR.Q script's agent step: encoder update, RL update, acting, env step.

    python benchmarks/mrq_phases.py generated/mrq_dense.py --env-id HalfCheetah-v5 --threads 1 2

Imports the script as a module (its main() is not run), builds its networks at the script's
defaults (or --width), fills its ReplayBuffer with --fill uniform-random transitions, then times
each phase --iters times after --warmup untimed calls, per thread count:

- encoder update: rb.sample + encoder_loss_fn + optimizer_step (MR.Q runs 250 of them in a burst
  after each target copy: one per agent step on average);
- RL update: critic_loss_fn + optimizer_step (grad clip) + actor_loss_fn + optimizer_step +
  update_priority;
- act: Policy.act on one observation (with exploration noise), to numpy;
- env step: env.step on a uniform-random action (reset when an episode ends), plus rb.add.

The implied agent steps/s is 1000 / (sum of the four phases in ms).
"""

from __future__ import annotations

import argparse
import importlib.util
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
    p.add_argument(
        "--width", type=int, default=None, help="encoder/actor/critic width (default: the script's)"
    )
    p.add_argument("--fill", type=int, default=5000, help="random transitions in the buffer")
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--iters", type=int, default=30)
    args = p.parse_args()

    spec = importlib.util.spec_from_file_location(f"generated_{args.script.stem}", args.script)
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    widths = (
        {}
        if args.width is None
        else {k: args.width for k in ("encoder_width", "actor_width", "critic_width")}
    )
    cfg = m.Config(
        env_id=args.env_id, device="cpu", threads=args.threads[0], buffer_size=100_000, **widths
    )
    device = m.setup_torch(cfg)
    torch.manual_seed(cfg.seed)
    env = m.make_env(cfg.env_id, cfg.seed)
    obs_dim, act_dim = env.observation_space.shape[0], env.action_space.shape[0]
    encoder = m.Encoder(obs_dim, act_dim, cfg.encoder_width, cfg.encoder_depth, cfg.reward_bins)
    actor = m.Actor(cfg.encoder_width, act_dim, cfg.actor_width, cfg.actor_depth)
    critic = m.Critic(cfg.encoder_width, cfg.critic_width, cfg.critic_depth)
    encoder_t, actor_t, critic_t = (
        m.copy.deepcopy(n).requires_grad_(False) for n in (encoder, actor, critic)
    )
    policy = m.Policy(
        encoder, actor, cfg.exploration_noise, env.action_space.low, env.action_space.high
    )
    enc_opt, actor_opt, critic_opt = (
        m.make_optimizer([{"params": list(n.parameters()), "lr": lr}], cfg.weight_decay)
        for n, lr in ((encoder, cfg.encoder_lr), (actor, cfg.actor_lr), (critic, cfg.critic_lr))
    )
    bins = m.reward_bins(cfg.reward_bins, cfg.reward_range, device)
    horizon = max(cfg.encoder_horizon, cfg.value_horizon)
    rb = m.ReplayBuffer(
        cfg.buffer_size, obs_dim, act_dim, device, horizon, env.action_space, cfg.lap_min_priority
    )
    reward_scale, target_reward_scale = torch.ones(()), torch.ones(())
    state = {"obs": env.reset(seed=cfg.seed)[0]}

    def env_step():
        action = env.action_space.sample()
        next_obs, reward, terminated, truncated, _ = env.step(action)
        rb.add(state["obs"], action, reward, next_obs, terminated, truncated)
        state["obs"] = env.reset()[0] if terminated or truncated else next_obs

    for _ in range(args.fill):
        env_step()
    reward_scale.copy_(rb.reward_scale())

    def encoder_update():
        loss, _ = m.encoder_loss_fn(
            rb.sample(cfg.batch_size), encoder, encoder_t, bins, rb.terminates, cfg
        )
        m.optimizer_step(enc_opt, loss)

    def rl_update():
        batch = rb.sample(cfg.batch_size)
        loss, q, target, zs = m.critic_loss_fn(
            batch,
            encoder,
            encoder_t,
            actor_t,
            critic,
            critic_t,
            reward_scale,
            target_reward_scale,
            cfg.gamma,
            cfg,
        )
        m.optimizer_step(critic_opt, loss, cfg.grad_clip)
        loss, q = m.actor_loss_fn(zs, encoder, actor, critic, cfg)
        m.optimizer_step(actor_opt, loss)
        rb.update_priority(
            batch[4],
            (q - target).abs().max(0).values.clamp(min=cfg.lap_min_priority).pow(cfg.lap_alpha),
        )

    def act():
        with torch.inference_mode():
            policy.act(torch.as_tensor(state["obs"], dtype=torch.float32)).cpu().numpy()

    n_weights = sum(p.numel() for n in (encoder, actor, critic) for p in n.parameters())
    print(
        f"{args.script.name} {cfg.env_id} widths {cfg.encoder_width}/{cfg.actor_width}/{cfg.critic_width} "
        f"({n_weights / 1e6:.2f}M online weights), batch {cfg.batch_size}, buffer {rb.size} slots, torch {torch.__version__}"
    )
    print(
        "| threads | encoder update (ms) | RL update (ms) | act (ms) | env step + rb.add (ms) | total (ms) | implied steps/s |"
    )
    print("|---|---|---|---|---|---|---|")
    for threads in args.threads:
        torch.set_num_threads(threads)
        ms = [timed(f, args.warmup, args.iters) for f in (encoder_update, rl_update)]
        ms += [timed(f, 20, 20 * args.iters) for f in (act, env_step)]
        total = sum(ms)
        print(
            f"| {threads} | "
            + " | ".join(f"{x:.2f}" for x in ms)
            + f" | {total:.1f} | {1000 / total:.2f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
