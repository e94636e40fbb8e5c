"""Wall time of a 2 x 2 sweep: the local backend vs the same four runs one after another vs Ray.

    python benchmarks/sweep_walltime.py [SWEEP_FILE] [-s KEY=VALUE]... [--out DIR]

Without SWEEP_FILE, a 2 x 2 sweep of sac_dense on Pendulum-v1 (critic width 64 and 256,
seeds 1 and 2, 5000 agent steps each) is written into --out. Each measurement gets its own
runs directory under --out (which must not hold them yet), so that no run is skipped:

1. ``specc sweep FILE --run`` (local backend, its default allocation: one thread per run and
   one run per core);
2. the same four scripts run one after another, as ``benchmarks/learn.py`` runs seeds, each
   alone with the scripts' default threads (``min(cores, 4)``);
3. ``specc sweep FILE --run --backend ray`` (a local Ray cluster, one CPU per run).

The sweep's compile is timed alone first (``specc sweep FILE`` without --run); 1 and 3 include
a second compile of the same scripts (which writes nothing). Run it on a quiet machine: other
work on the cores changes everything.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SWEEP = """\
sweep: 1
name: walltime
spec: {spec}
grid:
  networks.critic.width: [64, 256]
seeds: [1, 2]
"""
DEFAULT_OVERRIDES = [
    "env.id=Pendulum-v1",
    "train.total_steps=5000",
    "train.learning_starts=1000",
    "eval.every=5000",
    "eval.episodes=5",
    "checkpoint.every=5000",
    "logging.every=1000",
    "logging.tensorboard=false",
]


def specc(*args: str) -> float:
    """Run ``specc ARGS``; return its wall time in seconds (exit on failure)."""
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, "-m", "specc", *args], capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if r.returncode != 0:
        sys.exit(f"specc {' '.join(args)} failed ({r.returncode}):\n{r.stdout}{r.stderr}")
    print(r.stdout.strip().splitlines()[-1], flush=True)
    return wall


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("sweep", nargs="?", type=Path, help="a sweep file with 4 runs (2 x 2)")
    p.add_argument("-s", "--set", dest="overrides", action="append", default=None)
    p.add_argument("--out", type=Path, default=Path("runs/sweep_walltime"))
    p.add_argument("--skip-ray", action="store_true", help="only the local backend and one by one")
    args = p.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    sweep, overrides = args.sweep, args.overrides
    if sweep is None:
        sweep = args.out / "walltime.yaml"
        sweep.write_text(DEFAULT_SWEEP.format(spec=ROOT / "specs" / "sac_dense.yaml"))
        overrides = DEFAULT_OVERRIDES if overrides is None else overrides
    sets = [a for o in overrides or [] for a in ("-s", o)]
    dirs = {k: args.out / k for k in ("compile", "local", "sequential", "ray")}
    busy = [d for d in dirs.values() if d.exists()]
    if busy:
        sys.exit(f"{', '.join(map(str, busy))} exist: remove them, or give another --out")

    times: dict[str, float] = {}
    times["compile"] = specc("sweep", str(sweep), *sets, "--runs-dir", str(dirs["compile"]))
    (manifest_path,) = dirs["compile"].glob("*/manifest.json")
    manifest = json.loads(manifest_path.read_text())
    n_runs = sum(len(v["runs"]) for v in manifest["variants"])
    print(f"{n_runs} runs; compile {times['compile']:.1f} s", flush=True)

    times["local"] = specc("sweep", str(sweep), *sets, "--runs-dir", str(dirs["local"]), "--run")
    print(f"local backend: {times['local']:.1f} s", flush=True)

    # one after another, as a user runs them by hand: the scripts of the compile above
    sweep_dir = manifest_path.parent
    t0 = time.perf_counter()
    for v in manifest["variants"]:
        for run in v["runs"]:
            cmd = [sys.executable, v["script"], "--seed", str(run["seed"]), "--device", "cpu"]
            cmd += ["--run-dir", str((dirs["sequential"] / run["dir"]).resolve())]
            r = subprocess.run(cmd, cwd=sweep_dir, capture_output=True, text=True, env=os.environ)
            if r.returncode != 0:
                sys.exit(f"{' '.join(cmd)} failed:\n{r.stdout[-2000:]}{r.stderr[-2000:]}")
    times["sequential"] = time.perf_counter() - t0
    print(f"one after another: {times['sequential']:.1f} s", flush=True)

    if not args.skip_ray:
        env_ray = "RAY_USAGE_STATS_ENABLED"
        os.environ.setdefault(env_ray, "0")
        times["ray"] = specc(
            "sweep", str(sweep), *sets, "--runs-dir", str(dirs["ray"]), "--run", "--backend", "ray"
        )
        print(f"ray backend (local cluster): {times['ray']:.1f} s", flush=True)

    print()
    print(f"| {n_runs} runs of {manifest['sweep']} | wall time (s) |")
    print("|---|---:|")
    print(f"| compile only (`specc sweep`) | {times['compile']:.1f} |")
    print(f"| local backend (`--run`, includes a compile) | {times['local']:.1f} |")
    print(f"| one after another (scripts' default threads) | {times['sequential']:.1f} |")
    if "ray" in times:
        print(f"| Ray, local cluster (`--backend ray`, includes a compile) | {times['ray']:.1f} |")
    print(f"\n{os.cpu_count()} cores; {' '.join(overrides or [])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
