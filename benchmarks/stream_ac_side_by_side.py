"""The generated stream_ac against the reference Stream AC(lambda) (mohmdelsayed/streaming-drl,
stream_ac_continuous.py), side by side on this machine: steps/s, and the episode returns of
the same env, seeds and steps.

    python benchmarks/stream_ac_side_by_side.py REFERENCE_DIR [--script generated/stream_ac.py] \
        [--env Walker2d-v4] [--seeds 0 1] [--steps 200000] [--out results.json]

REFERENCE_DIR is a scratch checkout of the reference with its one gymnasium-1.x edit (its
episode return is read as info['episode']['r'][0]; in gymnasium 1.x it is a scalar:
float(info['episode']['r'])). Nothing of it is copied here.

Runs alternate, one at a time, each a fresh process with one torch thread (and
OMP_NUM_THREADS=1): for each seed, ours then the reference, the order flipped from one seed to
the next, so that a drift of the machine's speed hits both sides. Timed on both sides: the
training loop, from its first step to its last (ours: metrics.csv's `time` at the last step;
the reference: its main() minus nothing but the import). Our script runs with the reference's
settings (its defaults are the reference's) and no evaluation or checkpoint. Returns: the
episodes' undiscounted returns as each side records them (ours: metrics.csv's episode_return;
the reference: the returns it pickles), summarised as the mean over the last 10% of steps.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import pickle
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def run_ours(script: Path, env_id: str, seed: int, steps: int, work: Path) -> dict:
    run_dir = work / f"ours_{seed}"
    flags = ["--env-id", env_id, "--seed", str(seed), "--total-steps", str(steps)]
    flags += ["--eval-every", "0", "--checkpoint-every", "0", "--log-every", str(steps)]
    flags += ["--threads", "1", "--device", "cpu", "--no-tensorboard", "--run-dir", str(run_dir)]
    done = subprocess.run(
        [sys.executable, str(script), *flags], capture_output=True, text=True, env=ENV
    )
    if done.returncode != 0:
        raise SystemExit(f"ours failed:\n{done.stderr[-2000:]}")
    rows = list(csv.DictReader(open(run_dir / "metrics.csv")))
    seconds = float(next(r["time"] for r in rows if int(r["step"]) == steps))
    episodes = [(int(r["step"]), float(r["episode_return"])) for r in rows if r["episode_return"]]
    return {"seconds": seconds, "episodes": episodes}


CHILD = textwrap.dedent("""
    import os, pickle, sys, time
    sys.path.insert(0, {ref!r})
    import torch
    torch.set_num_threads(1)
    import stream_ac_continuous as ref
    t = time.perf_counter()
    ref.main({env!r}, {seed}, 1.0, 0.99, 0.8, {steps}, 0.01, 3.0, 2.0, False, False)
    seconds = time.perf_counter() - t
    [d] = [d for d in os.listdir(".") if d.startswith("data_stream_ac_")]
    returns, steps, _ = pickle.load(open(os.path.join(d, "seed_{seed}.pkl"), "rb"))
    pickle.dump({{"seconds": seconds, "episodes": list(zip(steps, map(float, returns)))}}, open("out.pkl", "wb"))
    """)


def run_reference(ref: Path, env_id: str, seed: int, steps: int, work: Path) -> dict:
    cwd = work / f"ref_{seed}"
    cwd.mkdir()
    code = CHILD.format(ref=str(ref.resolve()), env=env_id, seed=seed, steps=steps)
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, env=ENV
    )
    if done.returncode != 0:
        raise SystemExit(f"the reference failed:\n{done.stderr[-2000:]}")
    return pickle.load(open(cwd / "out.pkl", "rb"))


def final_return(episodes: list, steps: int) -> float:
    late = [r for s, r in episodes if s > 0.9 * steps]
    return sum(late) / len(late) if late else float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("reference", type=Path)
    parser.add_argument("--script", type=Path, default=ROOT / "generated" / "stream_ac.py")
    parser.add_argument("--env", default="Walker2d-v4")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--steps", type=int, default=200_000)
    parser.add_argument("--out", type=Path, default=None, help="write every run's figures as JSON")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, seed in enumerate(args.seeds):
            order = ("ours", "reference") if i % 2 == 0 else ("reference", "ours")
            for side in order:
                if side == "ours":
                    r = run_ours(args.script, args.env, seed, args.steps, Path(tmp))
                else:
                    r = run_reference(args.reference, args.env, seed, args.steps, Path(tmp))
                r.update(side=side, seed=seed, sps=args.steps / r["seconds"])
                r["final_return"] = final_return(r["episodes"], args.steps)
                results.append(r)
                print(
                    f"seed {seed} {side:>9}: {r['sps']:7.1f} steps/s, return over the last 10% of steps {r['final_return']:8.1f} ({len(r['episodes'])} episodes)",
                    flush=True,
                )
    for seed in args.seeds:
        ours, ref = (
            next(r for r in results if r["seed"] == seed and r["side"] == s)
            for s in ("ours", "reference")
        )
        print(f"seed {seed}: ours / reference steps/s = {ours['sps'] / ref['sps']:.2f}")
    if args.out:
        args.out.write_text(json.dumps({"env": args.env, "steps": args.steps, "runs": results}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
