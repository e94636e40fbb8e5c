"""Parity of a generated stream_ac script with the reference Stream AC(lambda)
(mohmdelsayed/streaming-drl: stream_ac_continuous.py, optim.py, sparse_init.py,
normalization_wrappers.py, time_wrapper.py), step by step on the same transitions.

    python benchmarks/stream_ac_parity.py REFERENCE_DIR [--script generated/stream_ac.py] \
        [--env Walker2d-v4] [--steps 2000] [--seed 0]

REFERENCE_DIR is a checkout of the reference (nothing of it is copied here). Both agents are
built from the same seed: their initial weights must be identical (the same RNG draws in the
same order). Then two copies of the env, seeded alike, are driven by the reference's sampled
actions: the reference's wrappers and the script's StreamInput must give the same inputs and
scaled rewards, and after each update the two agents' weights and eligibility traces must
agree to float tolerance. Prints the largest differences and exits 1 above tolerance.

The reference needs one edit for gymnasium 1.x outside this check (its episode return is read
as info['episode']['r'][0], a scalar in 1.x); this check does not read it.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

import gymnasium as gym
import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]


def load_script(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def reference_env(ref, env_id: str, gamma: float):
    """The env as the reference's main() wraps it."""
    env = gym.make(env_id)
    env = gym.wrappers.FlattenObservation(env)
    env = gym.wrappers.RecordEpisodeStatistics(env)
    env = gym.wrappers.ClipAction(env)
    env = ref["norm"].ScaleReward(env, gamma=gamma)
    env = ref["norm"].NormalizeObservation(env)
    return ref["time"].AddTimeInfo(env)


def max_diff(a: list[torch.Tensor], b: list[torch.Tensor]) -> float:
    return max(float((x.detach().double() - y.detach().double()).abs().max()) for x, y in zip(a, b))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("reference", type=Path)
    parser.add_argument("--script", type=Path, default=ROOT / "generated" / "stream_ac.py")
    parser.add_argument("--env", default="Walker2d-v4")
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tolerance", type=float, default=1e-4)
    args = parser.parse_args()
    torch.set_num_threads(1)

    sys.path.insert(0, str(args.reference))
    import normalization_wrappers
    import stream_ac_continuous
    import time_wrapper

    ref = {"norm": normalization_wrappers, "time": time_wrapper}
    ours = load_script(args.script)
    cfg = ours.Config()
    gamma, lam = cfg.gamma, cfg.td_lambda

    env_ref = reference_env(ref, args.env, gamma)
    env = ours.make_env(args.env, args.seed)
    obs_dim, act_dim = env.observation_space.shape[0] + 1, env.action_space.shape[0]

    torch.manual_seed(args.seed)
    agent = stream_ac_continuous.StreamAC(
        n_obs=obs_dim,
        n_actions=act_dim,
        hidden_size=cfg.actor_width,
        lr=cfg.actor_lr,
        gamma=gamma,
        lamda=lam,
        kappa_policy=cfg.actor_kappa,
        kappa_value=cfg.critic_kappa,
    )
    torch.manual_seed(args.seed)
    actor = ours.Actor(obs_dim, act_dim, cfg.actor_width, cfg.actor_depth)
    ours.stream_init(actor, cfg.actor_sparsity_level)
    critic = ours.Critic(obs_dim, cfg.critic_width, cfg.critic_depth)
    ours.stream_init(critic, cfg.critic_sparsity_level)
    ref_params = list(agent.policy_net.parameters()) + list(agent.value_net.parameters())
    our_params = list(actor.parameters()) + list(critic.parameters())
    init_diff = max_diff(ref_params, our_params)
    print(f"initial weights: max |difference| {init_diff:.3g} (identical: {init_diff == 0.0})")
    actor_opt = ours.ObGD(actor, cfg.actor_lr, gamma, lam, cfg.actor_kappa)
    critic_opt = ours.ObGD(critic, cfg.critic_lr, gamma, lam, cfg.critic_kappa)
    our_params = list(actor.parameters()) + list(critic.parameters())

    inputs = ours.StreamInput(obs_dim - 1, gamma, ours.episode_time_limit(env))
    s, _ = env_ref.reset(seed=args.seed)
    obs, _ = env.reset(seed=args.seed)
    x_np = inputs.reset(obs)
    low, high = env.action_space.low, env.action_space.high
    worst = {"input": 0.0, "reward": 0.0, "weights": 0.0, "traces": 0.0}
    episodes = 0
    for _ in range(args.steps):
        a = agent.sample_action(s)  # the reference's action drives both
        s2, r, terminated, truncated, _ = env_ref.step(a)
        obs, raw_r, term2, trunc2, _ = env.step(np.clip(a, low, high))
        done = terminated or truncated
        assert (term2 or trunc2) == done, "the two envs diverged"
        next_x_np, scaled_r = inputs.step(obs, float(raw_r), done)
        worst["input"] = max(worst["input"], float(np.abs(np.asarray(s2) - next_x_np).max()))
        worst["reward"] = max(worst["reward"], abs(float(r) - scaled_r))

        agent.update_params(s, a, r, s2, done, cfg.entropy_coeff)
        x = torch.as_tensor(x_np, dtype=torch.float32)
        next_x = torch.as_tensor(next_x_np, dtype=torch.float32)
        mu, std = actor(x)
        ours.stream_update(
            critic,
            actor_opt,
            critic_opt,
            x,
            mu,
            std,
            torch.as_tensor(a),
            scaled_r,
            next_x,
            done,
            cfg,
        )
        worst["weights"] = max(worst["weights"], max_diff(ref_params, our_params))
        ref_traces = [
            agent.optimizer_policy.state[p]["eligibility_trace"]
            for p in agent.policy_net.parameters()
        ]
        ref_traces += [
            agent.optimizer_value.state[p]["eligibility_trace"]
            for p in agent.value_net.parameters()
        ]
        our_traces = torch.cat((actor_opt.trace, critic_opt.trace))
        worst["traces"] = max(
            worst["traces"],
            float((torch.cat([e.reshape(-1) for e in ref_traces]) - our_traces).abs().max()),
        )

        s, x_np = s2, next_x_np
        if done:
            episodes += 1
            s, _ = env_ref.reset()
            obs, _ = env.reset()
            x_np = inputs.reset(obs)
    scale = max(float(p.detach().abs().max()) for p in ref_params)
    print(f"{args.steps} steps of {args.env} ({episodes} episodes), seed {args.seed}:")
    for name, value in worst.items():
        print(f"  max |difference| of {name}: {value:.3g}")
    print(f"  (largest |weight| {scale:.3g})")
    ok = init_diff == 0.0 and max(worst.values()) <= args.tolerance
    print("parity: ok" if ok else f"parity: FAILED (tolerance {args.tolerance})")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
