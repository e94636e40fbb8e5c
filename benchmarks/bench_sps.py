"""Training-phase steps/s of generated scripts (warm-up excluded), as a table.

    python benchmarks/bench_sps.py generated/sac_dense.py generated/td3_dense.py \
        [--env-id HalfCheetah-v5] [--warmup 1000] [--steps 3000] [--repeats 3] [-- extra flags]

Each run trains for --warmup random steps plus --steps training steps (no evaluation, no
checkpoint); the script measures its own training-phase rate from the first update on and
writes it in metrics.csv (column sps, cumulative over the training phase; it leaves out
evaluation, checkpoints and diagnostics). The second figure, wall steps/s, is the training
steps over the wall-clock time from the end of warm-up to the end of the run, everything
included (diagnostics too). We report medians over --repeats runs, taken in rounds (one run of
each script per round). Runs are sequential: on a small machine parallel runs distort each
other (OpenMP threads spin on busy cores).
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path


def measure(
    script: Path, env_id: str, warmup: int, steps: int, extra: list[str]
) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        run_dir = Path(tmp) / "run"
        cmd = [
            sys.executable,
            str(script),
            "--env-id",
            env_id,
            "--total-steps",
            str(warmup + steps),
            "--learning-starts",
            str(warmup),
            "--log-every",
            str(math.gcd(warmup, steps // 4) or 1),
            "--eval-every",
            "0",
            "--checkpoint-every",
            "0",
            "--no-save-buffer",
            "--run-dir",
            str(run_dir),
            *extra,
        ]
        r = subprocess.run(
            cmd, capture_output=True, text=True, env={**os.environ, "PYTHONWARNINGS": "ignore"}
        )
        if r.returncode != 0:
            raise SystemExit(f"{script} failed:\n{r.stderr[-3000:]}")
        with open(run_dir / "metrics.csv", newline="") as f:
            rows = list(csv.DictReader(f))
        start = next(float(row["time"]) for row in rows if int(row["step"]) == warmup)
        wall = steps / (float(rows[-1]["time"]) - start)
        return float([row for row in rows if row["sps"]][-1]["sps"]), wall


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("scripts", nargs="+", type=Path)
    p.add_argument("--env-id", default="HalfCheetah-v5")
    p.add_argument("--warmup", type=int, default=1000)
    p.add_argument("--steps", type=int, default=3000)
    p.add_argument("--repeats", type=int, default=3)
    args, extra = p.parse_known_args()
    extra = [a for a in extra if a != "--"]
    print(
        f"# {platform.processor() or platform.machine()}, {os.cpu_count()} cores, python {platform.python_version()}"
    )
    print(
        f"# {args.env_id}, {args.warmup} warm-up + {args.steps} training steps, median of {args.repeats} {' '.join(extra)}"
    )
    print("| script | training-phase steps/s (median) | runs | wall steps/s (median) | runs |")
    print("|---|---|---|---|---|")
    # rounds of one run per script, so that a drift in the machine's load hits every script alike
    runs: dict[Path, list[tuple[float, float]]] = {script: [] for script in args.scripts}
    for _ in range(args.repeats):
        for script in args.scripts:
            runs[script].append(measure(script, args.env_id, args.warmup, args.steps, extra))
    for script, results in runs.items():
        sps, wall = [r[0] for r in results], [r[1] for r in results]
        cells = [
            f"{statistics.median(x):.1f} | {', '.join(f'{r:.1f}' for r in x)}" for x in (sps, wall)
        ]
        print(f"| {script.name} | {cells[0]} | {cells[1]} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
