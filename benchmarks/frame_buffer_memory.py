"""Memory of the pixel replay buffer, measured: bytes per transition of generated/drqv2.py's
ReplayBuffer (frames stored once; its tensors' sizes and the host mirror of its starts, divided
by its capacity) against DrQ-v2's own storage (facebookresearch/drqv2 replay_buffer.py keeps
each episode's arrays in memory as np.savez wrote them: every time step's stacked observation
(9, 84, 84), action, reward, discount), measured on the episodes a reference run wrote
(--drqv2-episodes DIR: a run's buffer/ folder, with save_snapshot so they stay on disk), or on
a synthetic episode laid out as its ReplayBufferStorage lays one out.

    python benchmarks/frame_buffer_memory.py [--capacity 100000] [--drqv2-episodes DIR]
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]


def ours(capacity: int, act_dim: int, size: int) -> float:
    spec = importlib.util.spec_from_file_location("drqv2", ROOT / "generated" / "drqv2.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules["drqv2"] = mod
    spec.loader.exec_module(mod)
    rb = mod.ReplayBuffer(capacity, (9, size, size), act_dim, torch.device("cpu"), 3, 3, 0.99)
    total = sum(t.numel() * t.element_size() for t in rb.data.values()) + rb.starts_host.nbytes
    return total / capacity


def drqv2_episode_bytes(episodes: list[dict]) -> float:
    """Bytes per transition of DrQ-v2's in-memory episodes (an episode of L transitions holds
    L + 1 time steps, the first a dummy transition)."""
    total = sum(sum(a.nbytes for a in ep.values()) for ep in episodes)
    return total / sum(len(ep["reward"]) - 1 for ep in episodes)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--capacity", type=int, default=100_000)
    p.add_argument("--act-dim", type=int, default=12)  # quadruped
    p.add_argument("--size", type=int, default=84)
    p.add_argument("--drqv2-episodes", default="")
    args = p.parse_args()
    per = ours(args.capacity, args.act_dim, args.size)
    if args.drqv2_episodes:
        episodes = [dict(np.load(f)) for f in sorted(Path(args.drqv2_episodes).glob("*.npz"))]
        source = f"{len(episodes)} episodes of a reference run"
    else:  # one 500-step episode as ReplayBufferStorage stores it (float32 action, reward, discount)
        steps = 501
        episodes = [
            {
                "observation": np.zeros((steps, 9, args.size, args.size), np.uint8),
                "action": np.zeros((steps, args.act_dim), np.float32),
                "reward": np.zeros((steps, 1), np.float32),
                "discount": np.zeros((steps, 1), np.float32),
            }
        ]
        source = "a synthetic 500-step episode in its layout"
    theirs = drqv2_episode_bytes(episodes)
    gib = 1_000_000 / 2**30
    print(
        f"specc frame buffer: {per:,.0f} bytes per transition; 1e6 transitions: {per * gib:.1f} GiB"
    )
    print(
        f"DrQ-v2 episodes ({source}): {theirs:,.0f} bytes per transition; 1e6: {theirs * gib:.1f} GiB"
    )
    print(f"ratio: {theirs / per:.2f}x")


if __name__ == "__main__":
    main()
