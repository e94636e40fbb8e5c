"""The generated DrQ-v2 (generated/drqv2.py) against the reference facebookresearch/drqv2 side
by side on this machine, on cartpole_swingup from pixels: agent steps per second of the
random-action (seed) phase and of the training phase, and the returns each side reaches, for
the same seed and the same agent steps.

    python benchmarks/drqv2_side_by_side.py [--drqv2-ref DIR] [--timed-wrapper FILE] \
        [--script generated/drqv2.py] [--rounds 3] [--seed 1] [--seed-steps 2000] \
        [--train-steps 200] [--eval-episodes 1] [--out results.json]

What runs. For each of --rounds rounds the reference, then ours, one at a time (ref, ours, ref,
ours, ...), each in a fresh process with one thread: OMP_NUM_THREADS, MKL_NUM_THREADS and
OPENBLAS_NUM_THREADS set to 1, and torch.set_num_threads(1) (the reference sets no thread count
itself: its torch would take every core; ours gets --threads 1), MUJOCO_GL=egl, device cpu.
Both sides run S = --seed-steps agent steps of uniform random actions, then T = --train-steps
agent steps with one update every 2 steps (DrQ-v2's update_every_steps), batch 256, action
repeat 2 (one agent step = 2 frames; a cartpole episode = 500 agent steps).
  reference: /work/ref/drqv2 (a scratch copy of facebookresearch/drqv2 with its gymnasium-era
    edits; its hydra & co. on --ref-pythonpath), run through the timed wrapper
    (/work/ref/bench/timed_train.py: train.py unchanged, stamps monkeypatched in from outside)
    with task@_global_=cartpole_swingup device=cpu replay_buffer_num_workers=1 (its replay
    sampler is one DataLoader worker process) save_video=false use_tb=false seed=SEED
    num_seed_frames=2S agent.num_expl_steps=S num_train_frames=2(S+T+1)
    eval_every_frames=2(S+T) num_eval_episodes=E hydra.run.dir=<work dir>; it evaluates at
    step 0 (train.py always does) and at step S+T (hence the one extra step: train.py
    evaluates at the top of a loop iteration; the iteration S+T must exist).
  ours: generated/drqv2.py --env-id cartpole-swingup --seed SEED --device cpu --threads 1
    --total-steps S+T --learning-starts S --eval-every S+T --eval-episodes E
    --stddev-steps 100000 (the reference's linear(1.0,0.1,100000) of its easy tasks)
    --checkpoint-every 0 --no-save-buffer --no-tensorboard --log-every gcd(S,T); it evaluates
    after step S+T only (it has no step-0 evaluation).
Every other hyperparameter is each side's default (the same values: DrQ-v2's).

How it is timed. Each side's process is a small driver (written into the work dir) that
imports the side's code, wraps a few of its functions to print `[bench] t=... event=... step=k`
stamps (time.perf_counter), and then runs it unchanged. The point P(k) is "k agent steps done,
the episode reset after step k done, nothing of step k's evaluation, of the update at step k,
or of the action for step k+1 started":
  reference: the entry of Workspace.eval at global_step k where it evaluates, else the entry of
    DrQV2Agent.act(..., step=k, eval_mode=False) (the loop's order: reset, eval, act, update,
    env step);
  ours: the call of encode() that begins the update at step k (the loop's order: act, env step,
    reset, update, log, eval).
The update at step k is the one DrQ-v2 makes when k >= S and k is even (the reference's
agent.update(replay_iter, k); ours' step % update_every == 0), so both windows below hold the
same work: the acts and env steps k+1..b, the episode resets after them, the updates at the
even k in [a, b), on both sides.
  seed phase: from the start of step-0 work after the step-0 evaluation (reference: the act at
    step 0, just after that evaluation; ours: its training loop's start, the creation of its
    Clock, as it does not evaluate at step 0) to P(S): the S random-action steps (the reference
    runs its encoder and actor on each, then overwrites the action with uniform noise; ours
    samples the action space), startup and the first evaluation excluded. seed_sps = S / that.
  training phase: P(S) to P(S+T): T agent steps, T/2 updates (the first at step S, the last
    at S+T-2), the reference's DataLoader worker start (it begins at its first update) and
    every one-time cost of the first update included. train_sps = T / that.
  first_update_s: P(S) to P(S+2) (the first update, one-time costs, 2 env steps);
  steady_sps: (T-2) / (P(S+T) - P(S+2)), the training phase without its first update.
No evaluation falls inside a window. The wrapper's own `[timing]` stamps (episode ends, eval
start/end, measured from its import) are kept in the raw log, not used for the figures.

Returns (same seed does not mean same numbers: the sides draw from different RNG streams, and
the environments' seeding differs): each training episode's undiscounted return (reference:
the sum of the rewards of each episode its replay storage writes; ours: metrics.csv's
episode_return) for the episodes both sides finish (one per 500 agent steps: with the default
S = 2000 they are the 4 random-action episodes), and the mean return of the E deterministic
evaluation episodes after step S+T (reference: eval.csv, after the updates at steps < S+T; ours:
metrics.csv's eval_return, after those and the one at step S+T); the reference's step-0
evaluation (untrained actor) is reported too.

The figures depend on the machine and on its load: with one thread each, another process on
the same cores slows either side. os.getloadavg() is printed before and after (and recorded at
the start of each run); compare runs made on a quiet machine. Results: a table per round, a
summary (median per side, ratio ours/ref: above 1 = ours faster), all raw numbers as JSON in
--out when given.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EPISODE_STEPS = 500  # cartpole_swingup: 1000 frames, action repeat 2
THREAD_ENV = {
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MUJOCO_GL": "egl",
    "PYTHONUNBUFFERED": "1",
}
STAMP = re.compile(
    r"^\[bench\] t=(?P<t>[0-9.]+) event=(?P<event>\w+) step=(?P<step>-?\d+)(?P<rest>.*)$"
)

# the stamp printer both drivers share
MARK = textwrap.dedent("""
    import os, sys, time
    T0 = time.perf_counter()
    WANT = {int(s) for s in os.environ["BENCH_STEPS"].split(",")}

    def mark(event, step, **kw):
        extra = "".join(f" {k}={v}" for k, v in kw.items())
        print(f"[bench] t={time.perf_counter() - T0:.4f} event={event} step={step}{extra}",
              flush=True)
""")

# argv: REF_DIR WRAPPER_OR_EMPTY hydra overrides...
REF_DRIVER = MARK + textwrap.dedent("""
    import runpy
    ref, wrapper, overrides = sys.argv[1], sys.argv[2], sys.argv[3:]
    sys.path.insert(0, ref)
    os.chdir(ref)
    import torch
    torch.set_num_threads(1)  # train.py sets none (OMP_NUM_THREADS=1 as well)
    import drqv2, replay_buffer, train

    _act = drqv2.DrQV2Agent.act
    def act(self, obs, step, eval_mode):
        if not eval_mode and step in WANT:
            mark("act", step)
        return _act(self, obs, step, eval_mode)
    drqv2.DrQV2Agent.act = act

    _eval = train.Workspace.eval
    def eval_(self):
        mark("eval_start", self.global_step)
        _eval(self)
        mark("eval_end", self.global_step)
    train.Workspace.eval = eval_

    _store = replay_buffer.ReplayBufferStorage._store_episode
    def store(self, episode):
        _store(self, episode)
        ret = float(episode["reward"].sum())  # the reset's reward is 0
        mark("episode_end", self._num_transitions, ret=repr(ret))
    replay_buffer.ReplayBufferStorage._store_episode = store

    _init = train.Workspace.__init__
    def init(self, cfg):
        _init(self, cfg)
        mark("ready", 0, threads=torch.get_num_threads())
    train.Workspace.__init__ = init

    main = wrapper or os.path.join(ref, "train.py")
    sys.argv = [main, *overrides]
    runpy.run_path(main, run_name="__main__")
    mark("done", -1)
""")

# argv: SCRIPT flags...
OURS_DRIVER = MARK + textwrap.dedent("""
    import importlib.util
    script = sys.argv[1]
    sys.argv = [script, *sys.argv[2:]]
    spec = importlib.util.spec_from_file_location("drqv2_generated", script)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    missing = [n for n in ("Clock", "encode", "stddev_schedule", "evaluate", "main")
               if not hasattr(mod, n)]
    if missing:
        raise SystemExit(f"{script} has no {missing}: the benchmark's hooks need updating")

    last = [None]  # the step of the last stddev_schedule call: the update's, just before encode
    _sched = mod.stddev_schedule
    def sched(step, *a, **kw):
        last[0] = step
        return _sched(step, *a, **kw)
    mod.stddev_schedule = sched

    _encode = mod.encode
    def encode(*a, **kw):
        if last[0] in WANT:
            mark("update", last[0])
        return _encode(*a, **kw)
    mod.encode = encode

    class Clock(mod.Clock):
        def __init__(self, *a, **kw):
            super().__init__(*a, **kw)
            mark("loop_start", 0)
    mod.Clock = Clock

    _evaluate = mod.evaluate
    def evaluate(*a, **kw):
        mark("eval_start", last[0])
        r = _evaluate(*a, **kw)
        mark("eval_end", last[0])
        return r
    mod.evaluate = evaluate

    import torch
    mod.main()
    mark("done", -1, threads=torch.get_num_threads())
""")


def parse_stamps(log_text: str) -> list[dict]:
    stamps = []
    for line in log_text.splitlines():
        m = STAMP.match(line.strip())
        if m:
            extra = dict(kv.split("=", 1) for kv in m["rest"].split())
            stamps.append(
                {"t": float(m["t"]), "event": m["event"], "step": int(m["step"]), **extra}
            )
    return stamps


def first(stamps: list[dict], events: tuple[str, ...], step: int, log: Path) -> float:
    ts = [s["t"] for s in stamps if s["event"] in events and s["step"] == step]
    if not ts:
        raise SystemExit(f"no {'/'.join(events)} stamp at step {step} in {log}")
    return min(ts)


def run_logged(cmd: list[str], env: dict, log: Path, timeout: float) -> tuple[str, float]:
    t = time.perf_counter()
    with open(log, "w") as f:
        try:
            rc = subprocess.run(
                cmd, stdout=f, stderr=subprocess.STDOUT, env=env, timeout=timeout
            ).returncode
        except subprocess.TimeoutExpired:
            rc = "timeout"
    wall = time.perf_counter() - t
    text = log.read_text(errors="replace")
    if rc != 0:
        raise SystemExit(f"{cmd[1]} failed ({rc}); the end of {log}:\n{text[-3000:]}")
    return text, wall


def windows(p0: float, pos, s: int, t: int) -> dict:
    """The timed intervals from the stamps: p0 = start of step-0 work, pos(k) = P(k)."""
    seed_s, train_s = pos(s) - p0, pos(s + t) - pos(s)
    out = {
        "seed_s": seed_s,
        "seed_sps": s / seed_s,
        "train_s": train_s,
        "train_sps": t / train_s,
        "first_update_s": pos(s + 2) - pos(s),
    }
    out["steady_sps"] = (t - 2) / (pos(s + t) - pos(s + 2)) if t > 2 else None
    return out


def run_ref(args, work: Path, tag: str) -> dict:
    s, t = args.seed_steps, args.train_steps
    run_dir = work / f"ref_{tag}"
    overrides = [
        "task@_global_=cartpole_swingup",
        "device=cpu",
        f"replay_buffer_num_workers={args.ref_workers}",
        "save_video=false",
        "use_tb=false",
        f"seed={args.seed}",
        f"num_seed_frames={2 * s}",
        f"agent.num_expl_steps={s}",
        f"num_train_frames={2 * (s + t + 1)}",
        f"eval_every_frames={2 * (s + t)}",
        f"num_eval_episodes={args.eval_episodes}",
        f"hydra.run.dir={run_dir}",
    ]
    driver = work / "ref_driver.py"
    driver.write_text(REF_DRIVER)
    env = {**os.environ, **THREAD_ENV, "BENCH_STEPS": f"0,{s},{s + 2},{s + t}"}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (args.ref_pythonpath,) if p)
    cmd = [sys.executable, str(driver), str(args.drqv2_ref), args.wrapper_used, *overrides]
    load = os.getloadavg()
    log = work / f"ref_{tag}.log"
    text, wall = run_logged(cmd, env, log, args.timeout)
    stamps = parse_stamps(text)

    def pos(k):  # the eval at step k (if any) starts before the act at step k
        return first(stamps, ("eval_start", "act"), k, log)

    out = {"side": "ref", "wall_s": wall, "load_at_start": load, "log": str(log)}
    out["ready_s"] = first(stamps, ("ready",), 0, log)
    out["threads"] = int(next(x["threads"] for x in stamps if x["event"] == "ready"))
    out.update(windows(first(stamps, ("act",), 0, log), pos, s, t))
    out["eval0_s"] = first(stamps, ("eval_end",), 0, log) - first(stamps, ("eval_start",), 0, log)
    out["episodes"] = [(x["step"], float(x["ret"])) for x in stamps if x["event"] == "episode_end"]
    with open(run_dir / "eval.csv") as f:
        evals = {int(float(r["step"])): float(r["episode_reward"]) for r in csv.DictReader(f)}
    out["eval_returns"] = sorted(evals.items())
    out["eval_return_0"] = evals.get(0)
    out["eval_return_end"] = evals.get(s + t)
    out["timing_stamps"] = [ln for ln in text.splitlines() if ln.startswith("[timing]")]
    return out


def run_ours(args, work: Path, tag: str) -> dict:
    s, t = args.seed_steps, args.train_steps
    run_dir = work / f"ours_{tag}"
    flags = ["--env-id", "cartpole-swingup", "--seed", str(args.seed), "--device", "cpu"]
    flags += ["--threads", "1", "--total-steps", str(s + t), "--learning-starts", str(s)]
    flags += ["--eval-every", str(s + t), "--eval-episodes", str(args.eval_episodes)]
    flags += ["--stddev-steps", "100000", "--checkpoint-every", "0", "--no-save-buffer"]
    flags += ["--no-tensorboard", "--log-every", str(math.gcd(s, t)), "--run-dir", str(run_dir)]
    driver = work / "ours_driver.py"
    driver.write_text(OURS_DRIVER)
    env = {**os.environ, **THREAD_ENV, "BENCH_STEPS": f"{s},{s + 2},{s + t}"}
    env.pop("PYTHONPATH", None)
    cmd = [sys.executable, str(driver), str(args.script), *flags]
    load = os.getloadavg()
    log = work / f"ours_{tag}.log"
    text, wall = run_logged(cmd, env, log, args.timeout)
    stamps = parse_stamps(text)

    def pos(k):
        return first(stamps, ("update",), k, log)

    out = {"side": "ours", "wall_s": wall, "load_at_start": load, "log": str(log)}
    out["ready_s"] = first(stamps, ("loop_start",), 0, log)
    out["threads"] = int(next(x["threads"] for x in stamps if x["event"] == "done"))
    out.update(windows(out["ready_s"], pos, s, t))
    out["eval0_s"] = None
    with open(run_dir / "metrics.csv") as f:
        rows = list(csv.DictReader(f))
    out["episodes"] = [
        (int(r["step"]), float(r["episode_return"])) for r in rows if r["episode_return"]
    ]
    out["eval_returns"] = [
        (int(r["step"]), float(r["eval_return"])) for r in rows if r["eval_return"]
    ]
    out["eval_return_0"] = None
    out["eval_return_end"] = dict(out["eval_returns"]).get(s + t)
    out["metrics_rows"] = rows
    return out


def fmt(x, spec=".1f"):
    return "-" if x is None else format(x, spec)


def print_round(n: int, runs: list[dict], s: int, t: int) -> None:
    print(f"\nround {n}  (seed phase: {s} steps; training phase: {t} steps, {t // 2} updates)")
    head = (
        f"{'side':5} {'ready_s':>7} {'seed_s':>7} {'seed_sps':>8} {'train_s':>8} {'train_sps':>9}"
        f" {'1st_upd_s':>9} {'steady_sps':>10} {'eval@0':>7} {f'eval@{s + t}':>10}"
        f" {'wall_s':>7} {'load1':>5}  episode returns (step: return)"
    )
    print(head)
    for r in runs:
        eps = ", ".join(f"{k}: {v:.1f}" for k, v in r["episodes"])
        print(
            f"{r['side']:5} {r['ready_s']:7.1f} {r['seed_s']:7.1f} {r['seed_sps']:8.1f}"
            f" {r['train_s']:8.1f} {r['train_sps']:9.3f} {r['first_update_s']:9.2f}"
            f" {fmt(r['steady_sps'], '.3f'):>10} {fmt(r['eval_return_0']):>7}"
            f" {fmt(r['eval_return_end']):>10} {r['wall_s']:7.1f} {r['load_at_start'][0]:5.2f}"
            f"  {eps}"
        )
    sys.stdout.flush()


def summarise(rounds: list[dict]) -> dict:
    summary = {}
    for key in ("seed_sps", "train_sps", "steady_sps", "first_update_s"):
        med = {}
        for side in ("ref", "ours"):
            vals = [r[side][key] for r in rounds if r[side][key] is not None]
            med[side] = statistics.median(vals) if vals else None
        ratio = med["ours"] / med["ref"] if med["ref"] and med["ours"] is not None else None
        summary[key] = {"ref": med["ref"], "ours": med["ours"], "ours/ref": ratio}
    return summary


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--drqv2-ref", type=Path, default=os.environ.get("DRQV2_REF", "/work/ref/drqv2"))
    p.add_argument(
        "--timed-wrapper",
        default="/work/ref/bench/timed_train.py",
        help="the reference's timing wrapper ('' = run its train.py directly)",
    )
    p.add_argument(
        "--ref-pythonpath",
        default=os.environ.get("DRQV2_REF_PYTHONPATH", "/work/ref/pydeps"),
        help="PYTHONPATH of the reference's extra deps (hydra, omegaconf, ...)",
    )
    p.add_argument("--script", type=Path, default=ROOT / "generated" / "drqv2.py")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument(
        "--seed-steps",
        type=int,
        default=2000,
        help="agent steps of random actions (reference: num_seed_frames = 2x)",
    )
    p.add_argument("--train-steps", type=int, default=200, help="agent steps timed after them")
    p.add_argument("--eval-episodes", type=int, default=1)
    p.add_argument("--ref-workers", type=int, default=1, help="reference replay_buffer_num_workers")
    p.add_argument("--timeout", type=float, default=3600, help="seconds per run")
    p.add_argument(
        "--work-dir", type=Path, default=None, help="kept (default: a temp dir, removed)"
    )
    p.add_argument("--out", type=Path, default=None, help="JSON of all raw numbers")
    args = p.parse_args(argv)
    s, t = args.seed_steps, args.train_steps
    if s < EPISODE_STEPS or s % 2:
        p.error(
            f"--seed-steps must be even and >= {EPISODE_STEPS} (the reference's replay "
            "samples finished episodes only: one must be stored when updates start)"
        )
    if t < 2 or t % 2:
        p.error("--train-steps must be even and >= 2 (one update every 2 steps)")
    if not (args.drqv2_ref / "train.py").exists():
        p.error(f"no train.py in --drqv2-ref {args.drqv2_ref}")
    if not args.script.exists():
        p.error(f"no --script {args.script}")
    args.drqv2_ref = args.drqv2_ref.resolve()
    args.wrapper_used = ""
    if args.timed_wrapper:
        wrapper = Path(args.timed_wrapper)
        if not wrapper.exists():
            p.error(f"no --timed-wrapper {wrapper} (pass '' to run train.py directly)")
        if str(args.drqv2_ref) in wrapper.read_text():
            args.wrapper_used = str(wrapper.resolve())
        else:  # /work/ref/bench/timed_train.py names its reference's directory in its text
            print(f"note: {wrapper} does not name {args.drqv2_ref}: running its train.py directly")

    keep = args.work_dir is not None
    work = args.work_dir or Path(tempfile.mkdtemp(prefix="drqv2_sbs_"))
    work.mkdir(parents=True, exist_ok=True)
    work, args.script = work.resolve(), args.script.resolve()
    load_before = os.getloadavg()
    print(
        f"load average before: {' '.join(f'{x:.2f}' for x in load_before)}  (cpus: {os.cpu_count()})"
    )
    print(
        f"reference: {args.drqv2_ref} (wrapper: {args.wrapper_used or 'none'}); ours: {args.script}"
    )
    print(
        f"seed {args.seed}, {s} seed steps + {t} training steps, {args.rounds} rounds; work dir {work}"
    )
    sys.stdout.flush()

    rounds = []
    try:
        for n in range(1, args.rounds + 1):
            ref = run_ref(args, work, str(n))
            ours = run_ours(args, work, str(n))
            rounds.append({"round": n, "ref": ref, "ours": ours})
            print_round(n, [ref, ours], s, t)
    finally:
        if not keep:
            shutil.rmtree(work, ignore_errors=True)
    load_after = os.getloadavg()

    summary = summarise(rounds)
    print(f"\nsummary over {len(rounds)} rounds (median per side; ours/ref > 1: ours faster)")
    print(f"{'':15} {'ref':>10} {'ours':>10} {'ours/ref':>9}")
    for key, v in summary.items():
        unit = "s" if key.endswith("_s") else "steps/s"
        print(
            f"{key:15} {fmt(v['ref'], '.3f'):>10} {fmt(v['ours'], '.3f'):>10}"
            f" {fmt(v['ours/ref'], '.2f'):>9}  {unit}"
        )
    print(f"load average after: {' '.join(f'{x:.2f}' for x in load_after)}")
    if args.out:
        config = {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()}
        result = {
            "config": config,
            "intervals": {
                "P(k)": "k agent steps and the reset after step k done; nothing of step k's eval,"
                " of the update at k or of the act for step k+1 started",
                "seed": "start of step-0 work after the step-0 eval -> P(seed_steps)",
                "train": "P(seed_steps) -> P(seed_steps + train_steps)",
                "first_update": "P(seed_steps) -> P(seed_steps + 2)",
                "steady": "P(seed_steps + 2) -> P(seed_steps + train_steps)",
            },
            "load_before": load_before,
            "load_after": load_after,
            "rounds": rounds,
            "summary": summary,
        }
        args.out.write_text(json.dumps(result, indent=1))
        print(f"raw numbers: {args.out}")


if __name__ == "__main__":
    main()
