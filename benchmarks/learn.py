"""Learning check: run a generated script for a number of steps and seeds, report eval returns.

    python benchmarks/learn.py generated/sac_dense.py --env-id Pendulum-v1 --steps 15000 \
        --seeds 1 2 3 --threshold -300 [-- extra flags for the script]

Each run writes into --out/<script>__<env>__<seed>/ (metrics.csv etc.). The table gives, per
seed, the final eval return, the best eval return and the first step at which the eval return
passed --threshold. Runs are sequential: on a 2-core machine parallel runs only slow each
other down (OpenMP threads spin).
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import time
from pathlib import Path


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("script", type=Path)
    p.add_argument("--env-id", required=True)
    p.add_argument("--steps", type=int, required=True)
    p.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    p.add_argument("--eval-every", type=int, default=1000)
    p.add_argument("--eval-episodes", type=int, default=5)
    p.add_argument("--threshold", type=float, default=None)
    p.add_argument("--out", type=Path, default=Path("runs/learn"))
    args, extra = p.parse_known_args()  # unknown flags (after --) go to the script
    extra = [a for a in extra if a != "--"]
    rows = []
    for seed in args.seeds:
        run_dir = args.out / f"{args.script.stem}__{args.env_id}__{seed}"
        cmd = [
            sys.executable,
            str(args.script),
            "--env-id",
            args.env_id,
            "--total-steps",
            str(args.steps),
            "--seed",
            str(seed),
            "--eval-every",
            str(args.eval_every),
            "--eval-episodes",
            str(args.eval_episodes),
            "--log-every",
            str(args.eval_every),
            "--run-dir",
            str(run_dir),
            "--no-tensorboard",
            *extra,
        ]
        if (run_dir / "metrics.csv").exists():
            cmd.append("--resume")  # continue (or just re-read) an existing run
        t0 = time.perf_counter()
        r = subprocess.run(
            cmd, capture_output=True, text=True, env={**os.environ, "PYTHONWARNINGS": "ignore"}
        )
        wall = time.perf_counter() - t0
        if r.returncode != 0:
            print(r.stdout[-2000:], r.stderr[-4000:], file=sys.stderr)
            return 1
        with open(run_dir / "metrics.csv", newline="") as f:
            evals = [
                (int(row["step"]), float(row["eval_return"]))
                for row in csv.DictReader(f)
                if row["eval_return"]
            ]
        passed = next(
            (s for s, v in evals if args.threshold is not None and v > args.threshold), None
        )
        rows.append((seed, evals[-1][1], max(v for _, v in evals), passed, wall))
        print(
            f"seed {seed}: final {evals[-1][1]:.1f}  best {max(v for _, v in evals):.1f}  "
            f"passed at {passed}  ({wall:.0f} s)",
            flush=True,
        )
    print()
    print(f"| {args.script.name} | {args.env_id} | {args.steps} steps | " + " ".join(extra))
    print("| seed | final eval | best eval | first step above threshold | wall (s) |")
    print("|---|---|---|---|---|")
    for seed, final, best, passed, wall in rows:
        print(
            f"| {seed} | {final:.1f} | {best:.1f} | {passed if passed is not None else '-'} | {wall:.0f} |"
        )
    if args.threshold is not None:
        ok = sum(1 for r in rows if r[3] is not None)
        print(f"\n{ok}/{len(rows)} seeds passed {args.threshold}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
