"""Refactoring check: two generated scripts (before and after a compiler change) train to the
same metrics for a fixed seed.

    python benchmarks/same_metrics.py OLD_DIR NEW_DIR [--names sac_dense mst_sac] [--steps 400] \
        [-- extra flags for both scripts]

For each name, OLD_DIR/NAME.py and NEW_DIR/NAME.py run one after the other with the same flags
(Pendulum-v1, or pendulum-swingup for a DeepMind Control script; a short warm-up, frequent logging, evaluation and, where the script has them,
mask updates), each in a fresh run directory; their metrics.csv files must agree in every
column but the wall-clock ones (time, sps). Without --names, every script of NEW_DIR. Prints
one line a script and exits 1 on any difference (or when a script fails: its last lines).
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
    help_text = subprocess.run(
        [sys.executable, str(script), "--help"], capture_output=True, text=True, check=True
    ).stdout
    dmc = "DeepMind Control task" in help_text
    flags = [
        "--env-id",
        "pendulum-swingup" if dmc else "Pendulum-v1",
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
    for flag in ("--actor-topology-every", "--critic-topology-every"):
        if flag in help_text:
            flags += [flag, "10"]
    for flag in ("--diagnostics-every", "--reset-every"):
        if flag in help_text:
            flags += [flag, str(steps // 4)]
    done = subprocess.run(
        [sys.executable, str(script), *flags, *extra], capture_output=True, text=True
    )
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-3:])
        raise RuntimeError(f"{script} exited with {done.returncode}:\n{tail}")
    with open(run_dir / "metrics.csv", newline="") as f:
        return list(csv.DictReader(f))


def strip(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    return [{k: v for k, v in r.items() if k not in CLOCK_COLUMNS} for r in rows]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("old", type=Path)
    p.add_argument("new", type=Path)
    p.add_argument("--names", nargs="+")
    p.add_argument("--steps", type=int, default=400)
    args, extra = p.parse_known_args()
    extra = [a for a in extra if a != "--"]
    names = args.names or sorted(p.stem for p in args.new.glob("*.py"))
    failed = False
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            try:
                old = run(args.old / f"{name}.py", Path(tmp, f"old_{name}"), args.steps, extra)
                new = run(args.new / f"{name}.py", Path(tmp, f"new_{name}"), args.steps, extra)
            except RuntimeError as e:
                print(f"{name}: FAILED: {e}")
                failed = True
                continue
            old, new = strip(old), strip(new)
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
