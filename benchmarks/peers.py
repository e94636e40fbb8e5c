"""The generated SAC and TD3 against Stable-Baselines3's, side by side: steps/s and their ratio.

    python benchmarks/peers.py [--algos sac td3] [--env-id HalfCheetah-v5] [--rounds 3] \
        [--threads 1] [--learning-starts 1000] [--start 2000] [--stop 6000]

Needs stable-baselines3 (pip install 'specc[peers]'); this process never imports it: each SB3
run is a child process (`peers.py --child sb3 ...`), each generated-script run another.

Both sides get one hyperparameter dict (hparams()): the same env (gymnasium.make(env_id)),
256x2 ReLU MLPs for the actor and each of the two critics, batch 256, learning_starts,
buffer size, gamma, tau, learning rates, one gradient step per env step, seed; no evaluation,
no checkpoints, no TensorBoard, CPU. The update schedules do the same work:

- SAC: SB3 updates actor and temperature at every gradient step, so the generated script runs
  with --policy-delay 1 (one actor + temperature step after each critic step); the target
  critics move after every critic step on both sides. One learning rate everywhere (SB3 has
  one: actor, critics and temperature), temperature learned from 1.0, target entropy -|A|.
- TD3: both update the actor and move the targets (actor and critics) after every 2nd critic
  step; target policy noise N(0, 0.2) clipped at 0.5 and exploration noise N(0, 0.1), both
  in units of the action scale (SB3: on the actions rescaled to [-1, 1]).

What is timed, the same way on both sides: the wall time between env step --start and env
step --stop (both after learning_starts: the training phase, first-update overhead excluded).
The generated script logs a metrics.csv row every gcd(start, stop) steps; its `time` column
(seconds since the training loop started, written after the step's update) at steps start and
stop gives the window. SB3: a callback reads time.perf_counter() when num_timesteps reaches
start and stop (after the env step, before that step's gradient step, hence the same count of
env steps and gradient steps in the window: stop - start of each). Reported per run:

- training-phase steps/s = (stop - start) / (t_stop - t_start);
- wall steps/s = stop / the child process's wall time (interpreter start-up, imports, warm-up,
  and for the generated script its final model.pt and checkpoint, included).

Runs go in rounds (round r: ours-sac, sb3-sac, ours-td3, sb3-td3; the order within each pair
flips from one round to the next, so that a drift of the machine's speed hits both sides),
one at a time, each a fresh process pinned to --threads (torch.set_num_threads, and
OMP_NUM_THREADS / MKL_NUM_THREADS in its environment). The ratio ours/SB3 is taken per round,
then summarised as median [min-max] over the rounds.
"""

from __future__ import annotations

import argparse
import csv
import importlib.metadata
import importlib.util
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = {"sac": ROOT / "generated" / "sac_dense.py", "td3": ROOT / "generated" / "td3_dense.py"}
SB3_MISSING = "stable-baselines3 is not installed: pip install 'specc[peers]'"
SIDES = ("ours", "sb3")


# ---------------------------------------------------------------------------
# One hyperparameter dict, two command lines
# ---------------------------------------------------------------------------
def hparams(
    algo: str, learning_starts: int = 1000, buffer_size: int = 1_000_000, seed: int = 1
) -> dict:
    """The hyperparameters both sides run with (CleanRL/SB3-style defaults, one learning rate)."""
    hp = {
        "learning_starts": learning_starts,
        "buffer_size": buffer_size,
        "batch_size": 256,
        "gamma": 0.99,
        "tau": 0.005,
        "lr": 3e-4,
        "width": 256,
        "depth": 2,
        "gradient_steps": 1,  # per env step
        "seed": seed,
    }
    if algo == "sac":
        # SB3's SAC steps the actor (and temperature) after every critic step
        hp.update(policy_delay=1, alpha_init=1.0, target_entropy_per_dim=-1.0)
    elif algo == "td3":
        hp.update(policy_delay=2, policy_noise=0.2, noise_clip=0.5, exploration_noise=0.1)
    else:
        raise ValueError(f"unknown algorithm {algo!r}")
    return hp


def ours_flags(algo: str, hp: dict) -> dict[str, str]:
    """The generated script's hyperparameter flags for hp."""
    flags = {
        "--seed": hp["seed"],
        "--learning-starts": hp["learning_starts"],
        "--buffer-size": hp["buffer_size"],
        "--batch-size": hp["batch_size"],
        "--gamma": hp["gamma"],
        "--tau": hp["tau"],
        "--update-every": 1,
        "--updates-per-step": hp["gradient_steps"],
        "--actor-lr": hp["lr"],
        "--critic-lr": hp["lr"],
        "--actor-width": hp["width"],
        "--actor-depth": hp["depth"],
        "--critic-width": hp["width"],
        "--critic-depth": hp["depth"],
        "--policy-delay": hp["policy_delay"],
    }
    if algo == "sac":
        flags.update(
            {
                "--alpha-lr": hp["lr"],
                "--alpha-init": hp["alpha_init"],
                "--target-entropy-per-dim": hp["target_entropy_per_dim"],
            }
        )
    else:
        flags.update(
            {
                "--exploration-noise": hp["exploration_noise"],
                "--policy-noise": hp["policy_noise"],
                "--noise-clip": hp["noise_clip"],
            }
        )
    return {k: str(v) for k, v in flags.items()}


def sb3_kwargs(algo: str, hp: dict, device: str = "cpu") -> dict:
    """SB3's SAC(...) / TD3(...) keyword arguments for hp, JSON-serialisable: the child turns
    action_noise_sigma into NormalActionNoise(0, sigma) over the action dimensions."""
    kw = {
        "seed": hp["seed"],
        "learning_starts": hp["learning_starts"],
        "buffer_size": hp["buffer_size"],
        "batch_size": hp["batch_size"],
        "gamma": hp["gamma"],
        "tau": hp["tau"],
        "train_freq": 1,
        "gradient_steps": hp["gradient_steps"],
        "learning_rate": hp["lr"],  # actor, critics (and SAC's temperature)
        # a list: the same layers for the actor and for each critic
        "policy_kwargs": {"net_arch": [hp["width"]] * hp["depth"]},
        "device": device,
        "verbose": 0,
    }
    if algo == "sac":
        if hp["policy_delay"] != 1 or hp["target_entropy_per_dim"] != -1.0:
            raise ValueError("SB3's SAC steps the actor every critic step, target entropy -|A|")
        kw.update(ent_coef=f"auto_{hp['alpha_init']}", target_entropy="auto")
    else:
        kw.update(
            policy_delay=hp["policy_delay"],
            target_policy_noise=hp["policy_noise"],
            target_noise_clip=hp["noise_clip"],
            action_noise_sigma=hp["exploration_noise"],
        )
    return kw


# (label, key of hparams(), the generated script's flags, SB3's keyword) per table row
# fmt: off
HPARAM_ROWS = {
    "sac": [
        ("learning starts (uniform random steps)", "learning_starts", ["--learning-starts"], "learning_starts"),
        ("replay buffer size", "buffer_size", ["--buffer-size"], "buffer_size"),
        ("batch size", "batch_size", ["--batch-size"], "batch_size"),
        ("gamma", "gamma", ["--gamma"], "gamma"),
        ("tau (Polyak)", "tau", ["--tau"], "tau"),
        ("learning rate: actor, critics, temperature", "lr", ["--actor-lr", "--critic-lr", "--alpha-lr"], "learning_rate"),
        ("hidden width (actor, each critic)", "width", ["--actor-width", "--critic-width"], "policy_kwargs.net_arch"),
        ("hidden layers (actor, each critic)", "depth", ["--actor-depth", "--critic-depth"], "policy_kwargs.net_arch"),
        ("gradient steps per env step", "gradient_steps", ["--updates-per-step"], "gradient_steps"),
        ("critic steps per actor step", "policy_delay", ["--policy-delay"], None),
        ("initial temperature (learned)", "alpha_init", ["--alpha-init"], "ent_coef"),
        ("target entropy per action dim", "target_entropy_per_dim", ["--target-entropy-per-dim"], "target_entropy"),
        ("seed", "seed", ["--seed"], "seed"),
    ],
    "td3": [
        ("learning starts (uniform random steps)", "learning_starts", ["--learning-starts"], "learning_starts"),
        ("replay buffer size", "buffer_size", ["--buffer-size"], "buffer_size"),
        ("batch size", "batch_size", ["--batch-size"], "batch_size"),
        ("gamma", "gamma", ["--gamma"], "gamma"),
        ("tau (Polyak)", "tau", ["--tau"], "tau"),
        ("learning rate: actor, critics", "lr", ["--actor-lr", "--critic-lr"], "learning_rate"),
        ("hidden width (actor, each critic)", "width", ["--actor-width", "--critic-width"], "policy_kwargs.net_arch"),
        ("hidden layers (actor, each critic)", "depth", ["--actor-depth", "--critic-depth"], "policy_kwargs.net_arch"),
        ("gradient steps per env step", "gradient_steps", ["--updates-per-step"], "gradient_steps"),
        ("critic steps per actor step (and target update)", "policy_delay", ["--policy-delay"], "policy_delay"),
        ("target policy noise std (x action scale)", "policy_noise", ["--policy-noise"], "target_policy_noise"),
        ("target policy noise clip", "noise_clip", ["--noise-clip"], "target_noise_clip"),
        ("exploration noise std (x action scale)", "exploration_noise", ["--exploration-noise"], "action_noise_sigma"),
        ("seed", "seed", ["--seed"], "seed"),
    ],
}
# fmt: on


def sb3_value(kwargs: dict, key: str | None, hp_key: str):
    """The number SB3 will use for hparams()[hp_key], read from its keyword arguments (None:
    fixed in SB3, no keyword: SAC's actor step after every critic step)."""
    if key is None:
        return 1 if hp_key == "policy_delay" else None
    if key == "policy_kwargs.net_arch":
        arch = kwargs["policy_kwargs"]["net_arch"]
        assert len(set(arch)) == 1, arch
        return arch[0] if hp_key == "width" else len(arch)
    value = kwargs[key]
    if key == "ent_coef":  # "auto_<initial value>": learned, from that value
        return float(value.removeprefix("auto_"))
    if key == "target_entropy":  # "auto": -prod(action shape), i.e. -1 per action dimension
        return -1.0 if value == "auto" else value
    return value


def hparam_rows(algo: str, hp: dict, device: str = "cpu") -> list[tuple[str, str, str, str]]:
    """(hyperparameter, value, generated script's flags, SB3's keyword) for the table, read from
    the two built command lines (not from hp), so that the table shows what each side got."""
    flags, kwargs = ours_flags(algo, hp), sb3_kwargs(algo, hp, device)
    rows = []
    for label, hp_key, ours, sb3 in HPARAM_ROWS[algo]:
        values = {flags[f] for f in ours}
        assert len(values) == 1, (label, values)
        value = values.pop()
        if float(value) != sb3_value(kwargs, sb3, hp_key):
            raise ValueError(
                f"{algo} {label}: {value} here, {sb3_value(kwargs, sb3, hp_key)} in SB3"
            )
        ours_text = " ".join(f"{f} {flags[f]}" for f in ours)
        if sb3 is None:
            sb3_text = "(fixed: actor step after every critic step)"
        elif sb3 == "policy_kwargs.net_arch":
            sb3_text = f"net_arch={kwargs['policy_kwargs']['net_arch']}"
        elif sb3 == "action_noise_sigma":
            sb3_text = f"action_noise=NormalActionNoise(0, {kwargs[sb3]})"
        else:
            sb3_text = f"{sb3}={kwargs[sb3]!r}"
        rows.append((label, value, ours_text, sb3_text))
    return rows


def ours_command(
    script: Path,
    algo: str,
    hp: dict,
    env_id: str,
    threads: int,
    start: int,
    stop: int,
    run_dir: Path,
    device: str = "cpu",
) -> list[str]:
    """The generated script's command line: hp, --total-steps stop, a metrics row every
    gcd(start, stop) steps, no evaluation, no periodic checkpoint, no TensorBoard."""
    cmd = [sys.executable, str(script), "--env-id", env_id, "--total-steps", str(stop)]
    cmd += ["--log-every", str(math.gcd(start, stop)), "--eval-every", "0"]
    cmd += ["--checkpoint-every", "0", "--no-save-buffer", "--no-tensorboard"]
    cmd += ["--device", device, "--threads", str(threads), "--run-dir", str(run_dir)]
    for flag, value in ours_flags(algo, hp).items():
        cmd += [flag, value]
    return cmd


def sb3_command(
    algo: str,
    hp: dict,
    env_id: str,
    threads: int,
    start: int,
    stop: int,
    device: str = "cpu",
    flush_denormal: bool = False,
) -> list[str]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", "sb3", "--algo", algo]
    cmd += ["--env-id", env_id, "--threads", str(threads), "--start", str(start)]
    cmd += ["--stop", str(stop), "--sb3-kwargs", json.dumps(sb3_kwargs(algo, hp, device))]
    return cmd + (["--flush-denormal"] if flush_denormal else [])


def child_env(threads: int) -> dict[str, str]:
    return {
        **os.environ,
        "OMP_NUM_THREADS": str(threads),
        "MKL_NUM_THREADS": str(threads),
        "PYTHONWARNINGS": "ignore",
    }


# ---------------------------------------------------------------------------
# Rates and their summary
# ---------------------------------------------------------------------------
def window_from_metrics(rows: list[dict], start: int, stop: int) -> tuple[float, float]:
    """The `time` column of the metrics.csv rows at steps start and stop."""
    times = {int(r["step"]): float(r["time"]) for r in rows if r.get("time") not in (None, "")}
    missing = [s for s in (start, stop) if s not in times]
    if missing:
        raise ValueError(f"metrics.csv has no row at step(s) {missing}")
    return times[start], times[stop]


def steps_per_second(steps: int, seconds: float) -> float:
    if seconds <= 0:
        raise ValueError(f"a window of {seconds} s")
    return steps / seconds


def summary(values: list[float]) -> tuple[float, float, float]:
    """(median, min, max)."""
    return statistics.median(values), min(values), max(values)


def fmt_summary(values: list[float], digits: int = 1) -> str:
    med, lo, hi = summary(values)
    return f"{med:.{digits}f} [{lo:.{digits}f}-{hi:.{digits}f}]"


def round_order(algos: list[str], r: int) -> list[tuple[str, str]]:
    """The (algo, side) runs of round r (from 0): pairs in --algos order, ours first in even
    rounds and SB3 first in odd ones."""
    sides = SIDES if r % 2 == 0 else SIDES[::-1]
    return [(algo, side) for algo in algos for side in sides]


def ratios(results: dict, algo: str, key: str) -> list[float]:
    """ours/SB3 of one rate, per round (results[(algo, side)]: one dict of rates per round)."""
    return [o[key] / s[key] for o, s in zip(results[(algo, "ours")], results[(algo, "sb3")])]


# ---------------------------------------------------------------------------
# The two kinds of runs
# ---------------------------------------------------------------------------
def run_ours(args, algo: str, hp: dict) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        run_dir = Path(tmp) / "run"
        cmd = ours_command(
            SCRIPTS[algo], algo, hp, args.env_id, args.threads, args.start, args.stop, run_dir
        )
        t0 = time.perf_counter()
        r = subprocess.run(cmd, capture_output=True, text=True, env=child_env(args.threads))
        wall = time.perf_counter() - t0
        if r.returncode != 0:
            raise SystemExit(f"{SCRIPTS[algo].name} failed:\n{r.stderr[-3000:]}")
        with open(run_dir / "metrics.csv", newline="") as f:
            t_start, t_stop = window_from_metrics(list(csv.DictReader(f)), args.start, args.stop)
    return {
        "train": steps_per_second(args.stop - args.start, t_stop - t_start),
        "wall": steps_per_second(args.stop, wall),
    }


def run_sb3(args, algo: str, hp: dict) -> dict:
    cmd = sb3_command(
        algo,
        hp,
        args.env_id,
        args.threads,
        args.start,
        args.stop,
        flush_denormal=args.sb3_flush_denormal,
    )
    t0 = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True, env=child_env(args.threads))
    wall = time.perf_counter() - t0
    if r.returncode != 0:
        raise SystemExit(f"SB3 {algo} failed:\n{r.stderr[-3000:]}")
    marks = json.loads(r.stdout.strip().splitlines()[-1])
    return {
        "train": steps_per_second(args.stop - args.start, marks["t_stop"] - marks["t_start"]),
        "wall": steps_per_second(args.stop, wall),
    }


def child_sb3(argv: list[str]) -> int:
    """The SB3 side: train with the given keyword arguments and print {"t_start", "t_stop"} as
    the last line of stdout. The only place that imports stable_baselines3."""
    p = argparse.ArgumentParser(prog="peers.py --child sb3")
    p.add_argument("--algo", choices=sorted(SCRIPTS), required=True)
    p.add_argument("--env-id", required=True)
    p.add_argument("--threads", type=int, required=True)
    p.add_argument("--start", type=int, required=True)
    p.add_argument("--stop", type=int, required=True)
    p.add_argument("--sb3-kwargs", required=True)
    p.add_argument("--flush-denormal", action="store_true")
    args = p.parse_args(argv)
    try:
        import stable_baselines3
        from stable_baselines3.common.callbacks import BaseCallback
        from stable_baselines3.common.noise import NormalActionNoise
    except ImportError:
        raise SystemExit(SB3_MISSING) from None
    import gymnasium as gym
    import numpy as np
    import torch

    torch.set_num_threads(args.threads)
    if args.flush_denormal:  # what the generated scripts do (docs/performance.md)
        torch.set_flush_denormal(True)
    kwargs = json.loads(args.sb3_kwargs)
    env = gym.make(args.env_id)
    sigma = kwargs.pop("action_noise_sigma", None)
    if sigma is not None:
        n = env.action_space.shape[0]
        kwargs["action_noise"] = NormalActionNoise(np.zeros(n), sigma * np.ones(n))
    algo_class = {"sac": stable_baselines3.SAC, "td3": stable_baselines3.TD3}[args.algo]
    model = algo_class("MlpPolicy", env, **kwargs)

    class Clock(BaseCallback):
        """time.perf_counter() when num_timesteps reaches each mark (after that env step, before
        its gradient step)."""

        def __init__(self, marks):
            super().__init__()
            self.times = dict.fromkeys(marks)

        def _on_step(self) -> bool:
            if self.num_timesteps in self.times:
                self.times[self.num_timesteps] = time.perf_counter()
            return True

    clock = Clock([args.start, args.stop])
    model.learn(total_timesteps=args.stop, callback=clock)
    print(json.dumps({"t_start": clock.times[args.start], "t_stop": clock.times[args.stop]}))
    return 0


# ---------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------
def machine_line(threads: int) -> str:
    versions = []
    for dist in ("torch", "stable-baselines3", "gymnasium", "mujoco", "numpy"):
        try:
            versions.append(f"{dist} {importlib.metadata.version(dist)}")
        except importlib.metadata.PackageNotFoundError:
            versions.append(f"{dist} -")
    cpu = platform.processor() or platform.machine()
    return (
        f"# {platform.platform()}, {cpu}, {os.cpu_count()} cores, python "
        f"{platform.python_version()}, {', '.join(versions)}; {threads} torch thread(s) per run"
    )


def print_hparams(algos: list[str], hps: dict) -> None:
    for algo in algos:
        print(f"\n{algo.upper()} hyperparameters (both sides):\n")
        print("| hyperparameter | value | generated script | SB3 |")
        print("|---|---|---|---|")
        for label, value, ours, sb3 in hparam_rows(algo, hps[algo]):
            sb3 = sb3 if sb3.startswith("(") else f"`{sb3}`"
            print(f"| {label} | {value} | `{ours}` | {sb3} |")


def print_results(args, results: dict) -> None:
    n = args.rounds
    print(
        f"\n{args.env_id}, steps {args.start}-{args.stop} timed (learning starts at "
        f"{args.learning_starts}), {args.threads} thread(s), median [min-max] of {n} round(s):\n"
    )
    print(
        "| algorithm | specc training-phase steps/s | SB3 training-phase steps/s | specc / SB3 "
        "| specc wall steps/s | SB3 wall steps/s | specc / SB3 (wall) |"
    )
    print("|---|---|---|---|---|---|---|")
    for algo in args.algos:
        ours, sb3 = results[(algo, "ours")], results[(algo, "sb3")]
        cells = []
        for key in ("train", "wall"):
            cells += [fmt_summary([r[key] for r in ours]), fmt_summary([r[key] for r in sb3])]
            cells.append(fmt_summary(ratios(results, algo, key), 2) + "x")
        print(f"| {algo.upper()} | " + " | ".join(cells) + " |")
    print("\nPer round (training-phase steps/s; wall steps/s):\n")
    print("| algorithm | round | specc | SB3 | specc / SB3 |")
    print("|---|---|---|---|---|")
    for algo in args.algos:
        train_ratios, wall_ratios = ratios(results, algo, "train"), ratios(results, algo, "wall")
        for r in range(n):
            o, s = results[(algo, "ours")][r], results[(algo, "sb3")][r]
            print(
                f"| {algo.upper()} | {r + 1} | {o['train']:.1f}; {o['wall']:.1f} "
                f"| {s['train']:.1f}; {s['wall']:.1f} | {train_ratios[r]:.2f}; {wall_ratios[r]:.2f} |"
            )


def main() -> int:
    if len(sys.argv) > 2 and sys.argv[1:3] == ["--child", "sb3"]:
        return child_sb3(sys.argv[3:])
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--algos", nargs="+", choices=sorted(SCRIPTS), default=["sac", "td3"])
    p.add_argument("--env-id", default="HalfCheetah-v5")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--threads", type=int, default=1, help="torch threads of every run")
    p.add_argument("--learning-starts", type=int, default=1000)
    p.add_argument("--start", type=int, default=2000, help="env step the timed window starts at")
    p.add_argument("--stop", type=int, default=6000, help="env step it ends at (= total steps)")
    p.add_argument("--buffer-size", type=int, default=1_000_000)
    p.add_argument(
        "--sb3-flush-denormal",
        action="store_true",
        help="torch.set_flush_denormal(True) in the SB3 runs too (the generated scripts set it)",
    )
    args = p.parse_args()
    if not args.learning_starts < args.start < args.stop:
        p.error("need --learning-starts < --start < --stop")
    if math.gcd(args.start, args.stop) < 100:
        p.error("--start and --stop need a common divisor >= 100 (the script's logging interval)")
    if importlib.util.find_spec("stable_baselines3") is None:  # found, not imported
        raise SystemExit(SB3_MISSING)

    hps = {algo: hparams(algo, args.learning_starts, args.buffer_size) for algo in args.algos}
    print(machine_line(args.threads))
    print(
        f"# SB3 flush-denormal: {'on' if args.sb3_flush_denormal else 'off (as shipped)'}; "
        "the generated scripts: on"
    )
    print_hparams(args.algos, hps)
    runners = {"ours": run_ours, "sb3": run_sb3}
    results = {(algo, side): [] for algo in args.algos for side in SIDES}
    for r in range(args.rounds):
        for algo, side in round_order(args.algos, r):
            rates = runners[side](args, algo, hps[algo])
            results[(algo, side)].append(rates)
            print(
                f"# round {r + 1}/{args.rounds} {algo} {side}: {rates['train']:.1f} steps/s "
                f"training phase, {rates['wall']:.1f} wall",
                file=sys.stderr,
                flush=True,
            )
    print_results(args, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
