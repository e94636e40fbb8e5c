"""How far a critic update is from the machine's matmul rate: achieved GFLOP/s against torch.mm's.

    python benchmarks/flops.py [--threads 1 2] [--mm-sizes 2048 4096] [--min-time 3]

1. The machine's large-matmul rate: torch.mm of two n x n float32 matrices (2 n^3 FLOPs),
   best of --mm-repeats after one untimed call, per size and thread count; the best over the
   sizes is the "mm peak" the updates are compared with.
2. One critic update of a generated SAC script, imported as a module (its main() is not
   run), with the networks, optimizers and replay buffer its main() builds at the script's
   Config defaults (full width and depth): the replay buffer filled with random transitions,
   then rb.sample + critic_loss_fn (the target computation included: the actor's sample and
   the target critics on the next observations) + optimizer_step (backward and the
   optimizer) + polyak_update. Timed as the mean over at least --min-time seconds (and at
   least 5 updates) after --warmup untimed updates. Its FLOPs are counted once with
   torch.utils.flop_counter.FlopCounterMode (forward and backward; it counts the matmul-family
   ops, so elementwise ops, normalisation and the optimizer's arithmetic are not in the count
   though they are in the time).

Scripts: generated/sac_simba.py (SimBa critic 512 wide, 2 residual blocks) and, for contrast,
generated/sac_dense.py (256x2 MLP critic), both twin-critic ensembles, HalfCheetah-v5's sizes
(observation 17, action 6, action bounds [-1, 1]) unless --obs-dim / --act-dim say otherwise;
no env is created.
"""

from __future__ import annotations

import argparse
import copy
import importlib.util
import inspect
import math
import platform
import time
from pathlib import Path

import torch
from torch.utils.flop_counter import FlopCounterMode

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = [ROOT / "generated" / "sac_simba.py", ROOT / "generated" / "sac_dense.py"]


def import_script(path: Path):
    spec = importlib.util.spec_from_file_location(f"generated_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def count_flops(fn) -> int:
    """The FLOPs FlopCounterMode counts in one call of fn (forward and backward)."""
    with FlopCounterMode(display=False) as counter:
        fn()
    return counter.get_total_flops()


def mm_flops(n: int) -> int:
    return 2 * n**3


def best_seconds(fn, repeats: int) -> float:
    """The fastest of repeats timed calls, after one untimed call."""
    fn()
    best = math.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def mean_seconds(fn, warmup: int, min_time: float, min_iters: int = 5) -> tuple[float, int]:
    """Mean seconds per call over at least min_time seconds and min_iters calls, after warmup
    untimed calls; and the number of timed calls."""
    for _ in range(warmup):
        fn()
    n, t0 = 0, time.perf_counter()
    while n < min_iters or time.perf_counter() - t0 < min_time:
        fn()
        n += 1
    return (time.perf_counter() - t0) / n, n


def mm_rate(n: int, repeats: int) -> float:
    """GFLOP/s of torch.mm on n x n float32 matrices (best of repeats)."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    return mm_flops(n) / best_seconds(lambda: torch.mm(a, b), repeats) / 1e9


def build_update(m, obs_dim: int, act_dim: int, fill: int = 10_000):
    """One critic update of the imported script m, built as its main() builds it (Config
    defaults); returns (update function, the critic, its Config)."""
    cfg = m.Config(device="cpu")
    low, high = -torch.ones(act_dim), torch.ones(act_dim)
    actor = m.Actor(obs_dim, act_dim, cfg.actor_width, cfg.actor_depth, low, high)
    critic = m.Critic(obs_dim, act_dim, cfg.critic_width, cfg.critic_depth)
    critic_target = copy.deepcopy(critic).requires_grad_(False)
    log_alpha = torch.tensor(math.log(cfg.alpha_init), requires_grad=True)
    groups = [{"params": list(critic.parameters()), "lr": cfg.critic_lr}]
    if "weight_decay" in inspect.signature(m.make_optimizer).parameters:  # SimBa: AdamW
        critic_opt = m.make_optimizer(groups, cfg.weight_decay)
    else:
        critic_opt = m.make_optimizer(groups)
    critic_params, target_params = list(critic.parameters()), list(critic_target.parameters())
    rb_args = [min(cfg.buffer_size, fill), obs_dim, act_dim, torch.device("cpu")]
    if "obs_norm" in inspect.signature(m.ReplayBuffer).parameters:  # SimBa: RSNorm on sampling
        rb_args.append(m.RunningObsNorm(obs_dim))
    rb = m.ReplayBuffer(*rb_args)
    n = rb.capacity
    rb.data["obs"].normal_()
    rb.data["next_obs"].normal_()
    rb.data["actions"].uniform_(-1.0, 1.0)
    rb.data["rewards"].normal_()
    rb.data["terminations"].zero_()
    rb.size, rb.ptr = n, 0
    gamma = getattr(cfg, "gamma", 0.99)  # SimBa's is a heuristic of the env: any value will do

    def update():
        batch = rb.sample(cfg.batch_size)
        loss = m.critic_loss_fn(batch, actor, critic, critic_target, log_alpha, gamma)
        m.optimizer_step(critic_opt, loss)
        m.polyak_update(target_params, critic_params, cfg.tau)

    return update, critic, cfg


def critic_shape(m, cfg) -> str:
    kind = "SimBa blocks" if hasattr(m, "SimbaEncoder") else "MLP layers"
    return f"{cfg.critic_width} wide, {cfg.critic_depth} {kind}"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("scripts", nargs="*", type=Path, default=SCRIPTS)
    p.add_argument("--threads", type=int, nargs="+", default=[1])
    p.add_argument("--mm-sizes", type=int, nargs="+", default=[2048, 4096])
    p.add_argument("--mm-repeats", type=int, default=3)
    p.add_argument("--obs-dim", type=int, default=17)
    p.add_argument("--act-dim", type=int, default=6)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--min-time", type=float, default=3.0, help="seconds of timed updates")
    args = p.parse_args()
    # as the generated scripts do (setup_torch): Adam's moments would decay into denormals
    torch.set_flush_denormal(True)
    torch.manual_seed(0)

    print(
        f"# {platform.platform()}, {platform.processor() or platform.machine()}, "
        f"torch {torch.__version__}, float32, CPU"
    )
    print("\n| threads | torch.mm n | GFLOP/s (best of %d) |" % args.mm_repeats)
    print("|---|---|---|")
    peak = {}
    for threads in args.threads:
        torch.set_num_threads(threads)
        for n in args.mm_sizes:
            rate = mm_rate(n, args.mm_repeats)
            peak[threads] = max(peak.get(threads, 0.0), rate)
            print(f"| {threads} | {n} | {rate:.1f} |", flush=True)

    updates, m_of = [], {}
    for script in args.scripts:
        m = m_of[script] = import_script(script)
        update, critic, cfg = build_update(m, args.obs_dim, args.act_dim)
        flops = count_flops(update)
        n_weights = sum(p.numel() for p in critic.parameters())
        updates.append((script, update, cfg, flops, n_weights))

    peaks = ", ".join(f"{peak[t]:.1f} GFLOP/s at {t} thread(s)" for t in args.threads)
    print(f"\nmm peak: {peaks}; one critic update, FLOPs counted by FlopCounterMode")
    print(
        "\n| threads | script | twin critic | weights | batch "
        "| GFLOP per update | ms per update | GFLOP/s | % of mm peak |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for threads in args.threads:
        torch.set_num_threads(threads)
        for script, update, cfg, flops, n_weights in updates:
            seconds, _ = mean_seconds(update, args.warmup, args.min_time)
            rate = flops / seconds / 1e9
            print(
                f"| {threads} | {script.name} | {critic_shape(m_of[script], cfg)} "
                f"| {n_weights / 1e6:.2f}M | {cfg.batch_size} | {flops / 1e9:.3f} "
                f"| {seconds * 1e3:.2f} | {rate:.1f} | {100 * rate / peak[threads]:.0f}% |",
                flush=True,
            )


if __name__ == "__main__":
    main()
