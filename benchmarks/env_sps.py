"""Env steps/s of DeepMind Control tasks through a generated script's make_env vs the raw env.

    python benchmarks/env_sps.py [--script generated/sac_simba_dog_run.py] \
        [--tasks dog-run humanoid-run] [--action-repeat 2] [--frames 1000] [--rounds 21] [--json]

Three peers step each task through the same trajectory (the task's RandomState seeded as
shimmy's reset(seed=seed) seeds it, the same uniform random actions, each held for
`action_repeat` frames) and reset it when an episode ends:

- `specc`: the generated script's `make_env(task, seed, action_repeat)` (imported with
  importlib; its `main()` does not run): gym.make with the 1000-frame time limit, the float32
  `FlattenObservation` and `ActionRepeat`. One step call is an agent step.
- `shimmy`: `gym.make("dm_control/<task>-v0")` without specc's wrappers (Gymnasium's default
  checker and order-enforcing wrappers, as in make_env; dm_control's own time limit ends the
  episode), stepped frame by frame.
- `dm_control`: `dm_control.suite.load(domain, task)`, stepped frame by frame.

A measurement steps one peer for at least --frames frames from a fresh reset (the reset before
it is not timed; the resets at episode ends are). Frames and agent steps are counted exactly
(an agent step that reaches the time limit runs only the frames left); the run stops if the
peers' frames, agent steps or summed rewards differ (they ran different physics). Peers are
measured in the same process, alternating (A B C A B C ...), for --rounds rounds after one
untimed warm-up round; the table gives the median and the range over the rounds, and the
overhead of `specc` over `shimmy` (per round, paired: 1 - specc frames/s / shimmy frames/s;
median and range). Actions are drawn beforehand, so the timed loop is the env's own work.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import json
import math
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Callable, NamedTuple

# dm_control picks its OpenGL backend at import: nothing here renders (as in the generated script)
os.environ["MUJOCO_GL"] = "disable"

import gymnasium as gym
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
EPISODE_FRAMES = 1000  # every DMC suite task's time limit
ACTIONS = 4096  # random actions drawn per peer beforehand, used cyclically

Peer = Callable[[int], "Measurement"]


class Measurement(NamedTuple):
    frames: int
    agent_steps: int
    seconds: float
    reward: float  # summed over the measurement: equal across peers, as their trajectories are


def load_script(path: Path):
    """The generated script as a module (its `if __name__ == "__main__"` block does not run)."""
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def random_actions(low, high, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.uniform(low, high, size=(ACTIONS, *np.shape(low))).astype(np.float32)


def specc_peer(script, task: str, repeat: int, seed: int) -> Peer:
    env = script.make_env(task, seed, repeat)
    actions = random_actions(env.action_space.low, env.action_space.high, seed)

    def run(frames: int) -> Measurement:
        env.reset(seed=seed)
        n = steps = episode_frames = 0
        total = 0.0
        start = time.perf_counter()
        while n < frames:
            _, reward, terminated, truncated, _ = env.step(actions[steps % ACTIONS])
            ran = min(repeat, EPISODE_FRAMES - episode_frames)  # ActionRepeat stops at the end
            n, episode_frames, steps, total = (
                n + ran,
                episode_frames + ran,
                steps + 1,
                total + reward,
            )
            if terminated or truncated:
                env.reset()
                episode_frames = 0
        return Measurement(n, steps, time.perf_counter() - start, total)

    return run


def frame_loop(step, reset, actions: np.ndarray, repeat: int, frames: int) -> Measurement:
    """A raw env stepped frame by frame, each action held for `repeat` frames (as ActionRepeat
    does, so the trajectory is the same as through make_env); `step` returns (reward, ended)."""
    n = steps = held = 0
    total = 0.0
    start = time.perf_counter()
    while n < frames:
        reward, ended = step(actions[steps % ACTIONS])
        n, held, total = n + 1, held + 1, total + reward
        if held == repeat or ended:
            steps, held = steps + 1, 0
        if ended:
            reset()
    return Measurement(n, steps, time.perf_counter() - start, total)


def shimmy_peer(task: str, repeat: int, seed: int) -> Peer:
    import shimmy

    gym.register_envs(shimmy)
    env = gym.make(f"dm_control/{task}-v0")
    actions = random_actions(env.action_space.low, env.action_space.high, seed)

    def step(action):
        _, reward, terminated, truncated, _ = env.step(action)
        return float(reward), terminated or truncated

    def run(frames: int) -> Measurement:
        env.reset(seed=seed)  # shimmy: the task's RandomState(seed)
        return frame_loop(step, env.reset, actions, repeat, frames)

    return run


def dm_control_peer(task: str, repeat: int, seed: int) -> Peer:
    from dm_control import suite

    domain, name = task.split("-", 1)
    env = suite.load(domain, name)
    spec = env.action_spec()
    actions = random_actions(spec.minimum, spec.maximum, seed)

    def step(action):
        timestep = env.step(action)
        return float(timestep.reward or 0.0), timestep.last()

    def run(frames: int) -> Measurement:
        env.task._random = np.random.RandomState(seed)  # what shimmy's reset(seed=seed) does
        env.reset()
        return frame_loop(step, env.reset, actions, repeat, frames)

    return run


def summary(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--script", type=Path, default=ROOT / "generated" / "sac_simba_dog_run.py")
    p.add_argument("--tasks", nargs="+", default=["dog-run", "humanoid-run"])
    p.add_argument("--action-repeat", type=int, default=2)
    p.add_argument("--frames", type=int, default=1000, help="frames per measurement")
    p.add_argument("--rounds", type=int, default=21)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--json", action="store_true", help="print the results as JSON instead")
    args = p.parse_args()

    script = load_script(args.script)
    repeat = args.action_repeat
    peers: dict[str, dict[str, Peer]] = {
        task: {
            "specc": specc_peer(script, task, repeat, args.seed),
            "shimmy": shimmy_peer(task, repeat, args.seed),
            "dm_control": dm_control_peer(task, repeat, args.seed),
        }
        for task in args.tasks
    }
    # one untimed warm-up round, then rounds of one measurement per task and peer
    for task_peers in peers.values():
        for run in task_peers.values():
            run(args.frames)
    fps = {task: {name: [] for name in task_peers} for task, task_peers in peers.items()}
    sps = {task: {name: [] for name in task_peers} for task, task_peers in peers.items()}
    for _ in range(args.rounds):
        for task, task_peers in peers.items():
            done = {name: run(args.frames) for name, run in task_peers.items()}
            for name, m in done.items():
                fps[task][name].append(m.frames / m.seconds)
                sps[task][name].append(m.agent_steps / m.seconds)
            # the peers ran the same physics: same frames, agent steps and rewards
            first = done["specc"]
            for name, m in done.items():
                if (m.frames, m.agent_steps) != (first.frames, first.agent_steps) or not (
                    math.isclose(m.reward, first.reward, rel_tol=1e-9, abs_tol=1e-9)
                ):
                    raise SystemExit(f"{task}: {name} ran another trajectory: {m} vs {first}")

    results = {
        "machine": {
            "cpu": _cpu(),
            "cores": os.cpu_count(),
            "python": platform.python_version(),
            "mujoco": _version("mujoco"),
            "dm_control": _version("dm-control"),
            "shimmy": _version("shimmy"),
            "gymnasium": gym.__version__,
            "numpy": np.__version__,
        },
        "script": args.script.name,
        "action_repeat": repeat,
        "frames_per_measurement": args.frames,
        "rounds": args.rounds,
        "tasks": {},
    }
    for task in peers:
        overhead = [
            100 * (1 - a / b) for a, b in zip(fps[task]["specc"], fps[task]["shimmy"], strict=True)
        ]
        results["tasks"][task] = {
            "frames_per_s": {name: summary(v) for name, v in fps[task].items()},
            "agent_steps_per_s": {name: summary(v) for name, v in sps[task].items()},
            "specc_overhead_percent_of_shimmy": summary(overhead),
        }

    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print(table(results))
    return 0


def table(results: dict) -> str:
    """The results (as --json prints them) as a markdown table with a two-line header."""
    m = results["machine"]
    lines = [
        f"# {m['cpu']}, {m['cores']} cores, python {m['python']}, mujoco {m['mujoco']}, "
        f"dm_control {m['dm_control']}, shimmy {m['shimmy']}, gymnasium {m['gymnasium']}, "
        f"numpy {m['numpy']}",
        f"# {results['script']}, random actions, action repeat {results['action_repeat']}, "
        f"{results['frames_per_measurement']} frames per measurement, "
        f"median [min-max] of {results['rounds']} alternating rounds",
        "| task | env | frames/s | agent steps/s | specc overhead vs shimmy |",
        "|---|---|---|---|---|",
    ]
    for task, r in results["tasks"].items():
        o = r["specc_overhead_percent_of_shimmy"]
        for name, f in r["frames_per_s"].items():
            a = r["agent_steps_per_s"][name]
            cell = (
                f"{o['median']:.1f}% [{o['min']:.1f} to {o['max']:.1f}]" if name == "specc" else ""
            )
            lines.append(
                f"| {task} | {name} | {f['median']:.0f} [{f['min']:.0f}-{f['max']:.0f}] "
                f"| {a['median']:.0f} [{a['min']:.0f}-{a['max']:.0f}] | {cell} |"
            )
    return "\n".join(lines)


def _cpu() -> str:
    """The CPU model (Linux), else the architecture."""
    try:
        with open("/proc/cpuinfo") as f:
            model = next(line for line in f if line.startswith("model name"))
        return f"{model.split(':', 1)[1].strip()} ({platform.machine()})"
    except (OSError, StopIteration):
        return platform.processor() or platform.machine()


def _version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


if __name__ == "__main__":
    sys.exit(main())
