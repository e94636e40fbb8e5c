"""The generated Data-Efficient Rainbow (generated/der_atari100k.py) against the PyTorch reference
Kaixhin/Rainbow side by side on this machine: agent steps per second of each side's training
loop, acting only (before learning starts) and acting + one update per step, one thread each,
the same game, alternating runs; and the early training-episode returns each prints.

    python benchmarks/der_side_by_side.py /work/ref/rainbow --game MsPacman --rounds 2 \
        --steps 1900 [--learn-start 1600] [--ref-net ours|own|both] [--seed 1] [--out r.json]

What runs. Each round runs, one at a time, in fresh processes (OMP_NUM_THREADS=1,
MKL_NUM_THREADS=1, torch.set_num_threads(1), device cpu): the reference with OUR network, ours,
and (--ref-net both or own) the reference with its own `data-efficient` network. Every process
runs N = --steps agent steps, learning from step L = --learn-start (one update per step from
step L on, the first at step L), batch 32, replay capacity 100,000, n-step 10, gamma 0.99,
target update every 2000 steps, Adam lr 1e-4 eps 1.5e-4, C51 with 51 atoms on [-10, 10],
noisy nets sigma_0 0.5, priority exponent 0.5, 4 frames per agent step, 4 stacked 84 x 84
frames, rewards clipped to [-1, 1] for learning, lost lives terminal for learning.

  reference: a driver (written to the work dir) that imports the reference's Env (env.py),
    ReplayMemory (memory.py) and Agent (agent.py) from RAINBOW_DIR and runs main.py's training
    loop (main.py:155-190: reset on done, dqn.reset_noise() every replay_frequency = 1 steps,
    dqn.act, env.step, reward clip, mem.append; from T = learn_start: beta annealing,
    dqn.learn(mem) every step, update_target_net every target_update = 2000 steps), copied
    with timing stamps added, with main.py's DER settings (its README's DER line, with n 10 and
    noisy std 0.5 as ours, not its n 20 and 0.1): T_max 100000 (beta annealed from 0.4 over
    T_max - learn_start), max episode length 108,000 frames, norm_clip 10, hidden 256 for its
    own network. Left out of main.py: the 500-step validation memory (used only to report
    Q-values at evaluations, not in training), evaluations (every 100,000 steps: never here),
    checkpoints, argument printing. Seeds as main.py (np.random.seed(seed), torch from
    np.random.randint), plus random.seed(seed) (main.py does not seed `random`, which env.py's
    no-op starts use). Its network:
      * `ours`: the adapter OursAsRainbowNet, our ImpalaCNN (width 16, 2 blocks per stack) and
        Critic (noisy hidden 512, noisy dueling C51 head) built by generated/der_atari100k.py,
        behind the reference's interface: forward(x, log) = (log_)softmax of critic(encoder(255
        x), noisy in train mode), reset_noise() = the critic's; the optimiser rebuilt as
        agent.py:46. So both sides do the same network work per action and per update.
      * `own`: the reference's DQN, architecture data-efficient (two 5x5 convolutions of stride
        5, dueling noisy heads of 256): a DIFFERENT, much cheaper network, labelled as such.
  ours: generated/der_atari100k.py --env-id GAME --seed SEED --total-steps N
    --learning-starts L --eval-every 0 --threads 1 --device cpu --run-dir <work dir>/ours
    --checkpoint-every 0 --no-save-buffer --no-tensorboard --log-every gcd(L, N), run as a
    user runs it (specc unimportable) through a small driver that wraps a few of its
    functions to take stamps and then calls its main() unchanged. Its other settings are its
    defaults (the values above).

What is timed (time.perf_counter, inside each process; start-up, ROM load and replay
allocation excluded on both sides):
  acting: from the training loop's start to the start of the first update at step L: L agent
    steps (policy forward with fresh noise, env step, replay append, episode resets).
    reference: the loop's first line to just before dqn.learn at T = L (after that step's
    append and beta annealing); ours: the creation of its Clock (just before its loop) to the
    entry of the first ReplayBuffer.sample (step L, after its env step and add).
  act+learn: from the end of the first update (step L) to the end of step N: N - L agent steps,
    each an action, an env step, a replay append and one update (sample, loss, backward, Adam,
    priorities; the target copy at step 2000 if N >= 2000). The first update (one-time costs)
    is reported separately. reference: after dqn.learn at T = L to after step N; ours: the
    entry of Clock.start_training (right after the first update) to the entry of
    print_progress at step N. Ours' metrics.csv sps at step N (its Clock: the same window,
    less the time its loop pauses the clock for logging/evaluation bookkeeping) is shown too.

What differs (by design, not timed away):
  * env preprocessing: the reference resizes each of the last two frames 210x160 -> 84x84
    (cv2 INTER_LINEAR) and then max-pools them, as float torch tensors; ours (Dopamine)
    max-pools the two 210x160 frames, then one INTER_AREA resize, uint8 numpy. No-op starts:
    the reference 0..29 single frames of NOOP (random.randrange(30) ale.act(0)); ours 0..29
    agent steps (of 4 frames) of NOOP. A lost life: the reference returns done (a new episode
    for the agent, the frame stack kept) and starts it with one NOOP frame; ours marks it
    terminal for learning and restarts the stack (zeros + current frame), no NOOP. Both go on
    with the same game; returns below are full games (all lives), unclipped.
  * replay: the reference's numpy sum tree and structured array (per sample: valid-index
    redraws, blank masks, n-step returns by matmul; its n-step bootstrap flag is that of the
    transition n steps ahead); ours (Dopamine's) torch tensors, cumsum + searchsorted.
  * the update: the reference draws target noise once per update and uses the online noise of
    the step's action for both online passes; ours draws two fresh noises per update
    (Dopamine); the reference clips gradients at norm 10 (one more pass over the gradients);
    ours uses fused Adam, the reference torch's default (foreach) Adam; beta: annealed from 0.4
    (reference), fixed 0.5 (ours).
  * the reference stores a stack as float32 and appends only its last frame to replay; ours
    keeps uint8 frames.

Returns: each side's completed games in the run (a full game is ~500-1000 agent steps on
MsPacman), in order, with the step it ended at. Same seed does not mean the same episodes: the
sides draw from different RNG streams, their ALE seeds and no-op starts differ.

The figures depend on the machine and its load: with one thread each, another process on the
cores slows either side. The load average (os.getloadavg) is printed before each run and at the
end; compare runs made on a quiet machine. Ratio = ours / reference (above 1: ours faster).
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "generated" / "der_atari100k.py"

# The reference's training loop: main.py:155-190 (Kaixhin/Rainbow 1745b18) with stamps.
REF_DRIVER = r"""
import json, os, random, signal, sys, time
from types import SimpleNamespace
signal.alarm(int(os.environ["BENCH_ALARM"]))  # never run away on a shared machine
rainbow_dir, script, net, game, seed, steps, learn_start = sys.argv[1:8]
seed, steps, learn_start = int(seed), int(steps), int(learn_start)
sys.path.insert(0, rainbow_dir)
import numpy as np
import torch
torch.set_num_threads(1)
from agent import Agent
from env import Env
from memory import ReplayMemory

args = SimpleNamespace(  # main.py's arguments, README's DER line (n 10, noisy std 0.5)
    id="bench", seed=seed, disable_cuda=True, game=game, T_max=100000,
    max_episode_length=108000, history_length=4, architecture="data-efficient",
    hidden_size=256, noisy_std=0.5, atoms=51, V_min=-10.0, V_max=10.0, model=None,
    memory_capacity=100000, replay_frequency=1, priority_exponent=0.5, priority_weight=0.4,
    multi_step=10, discount=0.99, target_update=2000, reward_clip=1, learning_rate=1e-4,
    adam_eps=1.5e-4, batch_size=32, norm_clip=10.0, learn_start=learn_start,
    evaluation_interval=100000, device=torch.device("cpu"))
random.seed(seed)  # (main.py leaves `random` unseeded: env.py's no-op starts)
np.random.seed(args.seed)  # main.py:71-72
torch.manual_seed(np.random.randint(1, 10000))
env = Env(args)
env.train()
action_space = env.action_space()
dqn = Agent(args, env)
if net == "ours":
    import importlib.util
    spec = importlib.util.spec_from_file_location("der_bench_ref", script)
    der = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = der
    spec.loader.exec_module(der)

    class OursAsRainbowNet(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = der.ImpalaCNN((4, 84, 84), 16, 2)
            self.critic = der.Critic(self.encoder.repr_dim, action_space, 512, 1, 51, 0.5)

        def forward(self, x, log=False):
            logits = self.critic(self.encoder(x * 255.0), self.training)
            return logits.log_softmax(-1) if log else logits.softmax(-1)

        def reset_noise(self):
            self.critic.reset_noise()

    dqn.online_net = OursAsRainbowNet().train()
    dqn.target_net = OursAsRainbowNet()
    dqn.update_target_net()
    dqn.target_net.train()
    for p in dqn.target_net.parameters():
        p.requires_grad = False
    dqn.optimiser = torch.optim.Adam(dqn.online_net.parameters(), lr=args.learning_rate, eps=args.adam_eps)
mem = ReplayMemory(args, args.memory_capacity)
priority_weight_increase = (1 - args.priority_weight) / (args.T_max - args.learn_start)

stamps, returns = {}, []
ep_return = 0.0
dqn.train()
done = True
stamps["loop_start"] = time.perf_counter()
for T in range(1, steps + 1):
    if done:
        state = env.reset()
    if T % args.replay_frequency == 0:
        dqn.reset_noise()
    action = dqn.act(state)
    next_state, reward, done = env.step(action)
    ep_return += reward
    if env.ale.game_over():
        returns.append([T, ep_return])
        print(f"episode {len(returns)} return {ep_return:.0f} at step {T}", flush=True)
        ep_return = 0.0
    if args.reward_clip > 0:
        reward = max(min(reward, args.reward_clip), -args.reward_clip)
    mem.append(state, action, reward, done)
    if T >= args.learn_start:
        mem.priority_weight = min(mem.priority_weight + priority_weight_increase, 1)
        if T % args.replay_frequency == 0:
            if T == args.learn_start:
                stamps["first_update"] = time.perf_counter()
            dqn.learn(mem)
            if T == args.learn_start:
                stamps["after_first_update"] = time.perf_counter()
        if T % args.target_update == 0:
            dqn.update_target_net()
    state = next_state
stamps["end"] = time.perf_counter()
print("[bench] " + json.dumps({"stamps": stamps, "returns": returns, "threads": torch.get_num_threads(),
                               "parameters": sum(p.numel() for p in dqn.online_net.parameters())}))
"""

# Ours: the generated script run as a user runs it (specc unimportable), with stamps.
OURS_DRIVER = r"""
import importlib.util, json, os, signal, sys, time
signal.alarm(int(os.environ["BENCH_ALARM"]))
sys.modules["specc"] = None
path = sys.argv[1]
sys.argv = [path] + sys.argv[2:]
spec = importlib.util.spec_from_file_location("der_bench_ours", path)
der = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = der
spec.loader.exec_module(der)
stamps, progress = {}, {}
clock_init, sample, start_training, print_progress = (
    der.Clock.__init__, der.ReplayBuffer.sample, der.Clock.start_training, der.print_progress)

def clock_init_(self, elapsed):
    stamps.setdefault("loop_start", time.perf_counter())
    clock_init(self, elapsed)

def sample_(self, batch_size):
    stamps.setdefault("first_update", time.perf_counter())
    return sample(self, batch_size)

def start_training_(self, step):
    if self.t0 is None:
        stamps["after_first_update"] = time.perf_counter()
    start_training(self, step)

def print_progress_(step, *a):
    progress[step] = time.perf_counter()
    return print_progress(step, *a)

der.Clock.__init__, der.ReplayBuffer.sample = clock_init_, sample_
der.Clock.start_training, der.print_progress = start_training_, print_progress_
der.main()
import torch
print("[bench] " + json.dumps({"stamps": stamps, "progress": progress, "threads": torch.get_num_threads()}))
"""


def rom_name(game):
    """MsPacman -> ms_pacman (the reference's --game)."""
    return re.sub(r"(?<!^)([A-Z])", r"_\1", game).lower()


def loadavg():
    return "load average %.2f %.2f %.2f" % os.getloadavg()


def run(cmd, log, timeout):
    env = {
        **os.environ,
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "PYTHONWARNINGS": "ignore",
        "BENCH_ALARM": str(timeout),
    }
    with open(log, "w") as out:
        proc = subprocess.run(
            cmd, stdout=out, stderr=subprocess.STDOUT, env=env, timeout=timeout + 30
        )
    text = Path(log).read_text()
    if proc.returncode != 0:
        raise SystemExit(
            f"{' '.join(map(str, cmd[:3]))} failed (rc {proc.returncode}):\n{text[-3000:]}"
        )
    line = [x for x in text.splitlines() if x.startswith("[bench] ")][-1]
    return json.loads(line[len("[bench] ") :]), text


def phases(stamps, end, steps, learn_start):
    return {
        "act_sps": learn_start / (stamps["first_update"] - stamps["loop_start"]),
        "first_update_s": stamps["after_first_update"] - stamps["first_update"],
        "learn_sps": (steps - learn_start) / (end - stamps["after_first_update"]),
    }


def run_reference(cli, net, work, tag):
    driver = work / "ref_driver.py"
    driver.write_text(REF_DRIVER)
    cmd = [sys.executable, str(driver), os.path.abspath(cli.rainbow_dir), str(SCRIPT), net]
    cmd += [rom_name(cli.game), str(cli.seed), str(cli.steps), str(cli.learn_start)]
    out, text = run(cmd, work / f"{tag}.log", cli.timeout)
    result = phases(out["stamps"], out["stamps"]["end"], cli.steps, cli.learn_start)
    result.update(returns=out["returns"], threads=out["threads"], parameters=out["parameters"])
    return result


def run_ours(cli, work, tag):
    driver = work / "ours_driver.py"
    driver.write_text(OURS_DRIVER)
    run_dir = work / tag
    cmd = [sys.executable, str(driver), str(SCRIPT), "--env-id", cli.game, "--seed", str(cli.seed)]
    cmd += ["--total-steps", str(cli.steps), "--learning-starts", str(cli.learn_start)]
    cmd += ["--eval-every", "0", "--threads", "1", "--device", "cpu", "--run-dir", str(run_dir)]
    cmd += ["--checkpoint-every", "0", "--no-save-buffer", "--no-tensorboard"]
    cmd += ["--log-every", str(math.gcd(cli.learn_start, cli.steps))]
    out, text = run(cmd, work / f"{tag}.log", cli.timeout)
    progress = {int(k): v for k, v in out["progress"].items()}
    result = phases(out["stamps"], progress[cli.steps], cli.steps, cli.learn_start)
    with open(run_dir / "metrics.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    result["metrics_sps"] = next(float(r["sps"]) for r in rows if int(r["step"]) == cli.steps)
    result["returns"] = [
        [int(r["step"]), float(r["episode_return"])] for r in rows if r["episode_return"]
    ]
    result["threads"] = out["threads"]
    result["stdout_tail"] = [x for x in text.splitlines() if x.startswith("step ")][-2:]
    return result


def fmt_returns(returns, k=6):
    shown = ", ".join(f"{r:.0f}@{s}" for s, r in returns[:k])
    return shown + (f" (+{len(returns) - k} more)" if len(returns) > k else "") if returns else "-"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rainbow_dir", help="a checkout of Kaixhin/Rainbow (ported to ale-py)")
    parser.add_argument("--game", default="MsPacman", help="Atari game as the papers write it")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--steps", type=int, default=1900, help="agent steps per run (N)")
    parser.add_argument("--learn-start", type=int, default=1600, help="first update step (L)")
    parser.add_argument("--ref-net", choices=["ours", "own", "both"], default="both")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=int, default=900, help="seconds per run, at most")
    parser.add_argument("--out", default=None, help="write all figures as JSON here")
    cli = parser.parse_args()
    if not 1000 <= cli.learn_start < cli.steps:
        # the reference's ReplayMemory redraws the whole batch until every index is valid: with
        # few transitions its last segment is mostly within n of the write head (seen: it never
        # ends with 400 transitions)
        parser.error("need 1000 <= --learn-start < --steps")
    nets = {"ours": ["ours"], "own": ["own"], "both": ["ours", "own"]}[cli.ref_net]
    print(
        f"{SCRIPT.name} vs Kaixhin/Rainbow at {os.path.abspath(cli.rainbow_dir)}: {cli.game}, N {cli.steps}, L {cli.learn_start}, seed {cli.seed}, one thread each, {sys.executable}"
    )
    results = {f"ref[{n}]": [] for n in nets} | {"ours": []}
    loads = []
    with tempfile.TemporaryDirectory(prefix="der_sbs_") as tmp:
        work = Path(tmp)
        for r in range(cli.rounds):
            for side in (
                [f"ref[{n}]" for n in nets[:1]] + ["ours"] + [f"ref[{n}]" for n in nets[1:]]
            ):
                loads.append(f"round {r + 1} {side}: {loadavg()}")
                print(loads[-1], flush=True)
                tag = f"r{r}_{side.replace('[', '_').replace(']', '')}"
                if side == "ours":
                    res = run_ours(cli, work, tag)
                else:
                    res = run_reference(cli, side[4:-1], work, tag)
                results[side].append(res)
                extra = f", metrics.csv sps {res['metrics_sps']:.2f}" if side == "ours" else ""
                print(
                    f"  acting {res['act_sps']:.1f} steps/s, first update {res['first_update_s']:.2f} s, "
                    f"act+learn {res['learn_sps']:.2f} steps/s{extra}; games: {fmt_returns(res['returns'])}",
                    flush=True,
                )
    loads.append(f"end: {loadavg()}")
    print(loads[-1])

    def med(side, key):
        return statistics.median(x[key] for x in results[side])

    print(f"\nmedian over {cli.rounds} round(s), steps/s (ratio = ours / reference):")
    print(f"{'phase':<26}{'reference (its network)':<30}{'ref':>9}{'ours':>9}{'ratio':>7}")
    for n in nets:
        side = f"ref[{n}]"
        label = "OUR IMPALA net (adapter)" if n == "ours" else "ITS data-efficient net"
        for key, name in (
            ("act_sps", f"acting, steps 1..{cli.learn_start}"),
            ("learn_sps", f"act+learn, {cli.steps - cli.learn_start} steps"),
        ):
            ref, ours = med(side, key), med("ours", key)
            print(f"{name:<26}{label:<30}{ref:>9.2f}{ours:>9.2f}{ours / ref:>7.2f}")
    print(f"{'act+learn, ours metrics.csv sps':<65}{med('ours', 'metrics_sps'):>9.2f}")
    for side in results:
        print(
            f"first update, {side}: "
            + ", ".join(f"{x['first_update_s']:.2f} s" for x in results[side])
        )
    print("\nearly games (return@step), unclipped, full games:")
    for side in results:
        for r, x in enumerate(results[side]):
            print(f"  {side:<10} round {r + 1}: {fmt_returns(x['returns'], 10)}")
    if cli.out:
        Path(cli.out).write_text(
            json.dumps({"args": vars(cli), "results": results, "loads": loads}, indent=1)
        )


if __name__ == "__main__":
    main()
