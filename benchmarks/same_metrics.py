"""Refactoring check: two generated scripts (before and after a compiler change) train to the
same metrics for a fixed seed.

    python benchmarks/same_metrics.py OLD_DIR NEW_DIR --names sac_dense mst_sac --steps 400 \
        [-- extra flags for both scripts]

For each name, OLD_DIR/NAME.py and NEW_DIR/NAME.py run one after the other with the same flags
(Pendulum-v1, a short warm-up, frequent logging, evaluation and, where the script has them,
mask updates), each in a fresh run directory; their metrics.csv files must agree in every
column but the wall-clock ones (time, sps). Prints one line a script and exits 1 on any
difference.
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
import tempfile
from pathlib import Path

CLOCK_COLUMNS = {"time", "sps"}


def run(script: Path, run_dir: Path, steps: int, extra: list[str]) -> list[dict[str, str]]:
    flags = [
        "--env-id",
        "Pendulum-v1",
        "--total-steps",
        str(steps),
        "--learning-starts",
        str(steps // 4),
        "--log-every",
        "25",
        "--eval-every",
        str(steps // 2),
        "--eval-episodes",
        "1",
        "--device",
        "cpu",
        "--threads",
        "1",
        "--run-dir",
        str(run_dir),
    ]
    help_text = subprocess.run(
        [sys.executable, str(script), "--help"], capture_output=True, text=True, check=True
    ).stdout
    for flag in ("--actor-topology-every", "--critic-topology-every"):
        if flag in help_text:
            flags += [flag, "10"]
    for flag in ("--diagnostics-every", "--reset-every"):
        if flag in help_text:
            flags += [flag, str(steps // 4)]
    subprocess.run(
        [sys.executable, str(script), *flags, *extra], check=True, capture_output=True, text=True
    )
    with open(run_dir / "metrics.csv", newline="") as f:
        return list(csv.DictReader(f))


def strip(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    return [{k: v for k, v in r.items() if k not in CLOCK_COLUMNS} for r in rows]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("old", type=Path)
    p.add_argument("new", type=Path)
    p.add_argument("--names", nargs="+", required=True)
    p.add_argument("--steps", type=int, default=400)
    args, extra = p.parse_known_args()
    extra = [a for a in extra if a != "--"]
    failed = False
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.names:
            old = strip(run(args.old / f"{name}.py", Path(tmp, f"old_{name}"), args.steps, extra))
            new = strip(run(args.new / f"{name}.py", Path(tmp, f"new_{name}"), args.steps, extra))
            same = old == new
            failed |= not same
            columns = len(old[0]) if old else 0
            print(
                f"{name}: {len(old)} rows x {columns} columns (time, sps left out): "
                + ("identical" if same else "DIFFERENT")
            )
            if not same:
                for i, (a, b) in enumerate(zip(old, new)):
                    if a != b:
                        print(f"  first difference at row {i}:\n  old {a}\n  new {b}")
                        break
                else:
                    print(f"  row counts differ: {len(old)} vs {len(new)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
