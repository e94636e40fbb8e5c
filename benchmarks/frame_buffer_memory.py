"""Memory of the pixel replay buffers, measured: bytes per transition (every array a buffer
allocates, divided by its capacity) of

- generated/drqv2.py's ReplayBuffer (frames stored once; its tensors' sizes and the host mirror
  of its starts), against DrQ-v2's own storage (facebookresearch/drqv2 replay_buffer.py keeps
  each episode's arrays in memory as np.savez wrote them: every time step's stacked observation
  (9, 84, 84), action, reward, discount), measured on the episodes a reference run wrote
  (--drqv2-episodes DIR: a run's buffer/ folder, with save_snapshot so they stay on disk), or on
  a synthetic episode laid out as its ReplayBufferStorage lays one out;
- generated/mrq_pixels.py's ReplayBuffer (MR.Q on pixels: each frame once, LAP priorities and
  masks; every tensor of its `data`), against MR.Q's own buffer (facebookresearch/MRQ,
  MRQ/buffer.py, class ReplayBuffer), instantiated as MRQ.py builds it for DMC visual
  (obs_shape (3, 84, 84), history 3, pixel_obs, horizon max(enc_horizon 5, Q_horizon 3) = 5,
  prioritized, initial priority 1) with max_size = --capacity, and every torch tensor / numpy
  array attribute it allocates counted. MR.Q's code is never copied here: it is imported from a
  checkout given by --mrq-ref DIR or the MRQ_REF environment variable (the folder that holds
  buffer.py, e.g. from `git archive HEAD MRQ` of github.com/facebookresearch/MRQ); without one
  that row is skipped. Its constructor calls torch.cuda.mem_get_info() unconditionally, so while
  constructing it torch.cuda.mem_get_info is patched to return (0, 0): no device memory, which
  selects its host-memory path (observations on the CPU), and device is torch.device("cpu").

MR.Q's buffer and specc's mrq_pixels both give the final observation of an episode its own slot,
so a slot is a transition except at episode ends (a 500-step episode takes 501 slots).

    python benchmarks/frame_buffer_memory.py [--capacity 100000] [--act-dim 12] [--size 84]
        [--drqv2-episodes DIR] [--mrq-ref DIR]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
from pathlib import Path
from unittest import mock

import gymnasium
import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
GIB_PER_MILLION = 1_000_000 / 2**30  # bytes per transition -> GiB for a 1e6-capacity buffer


def load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


def array_bytes(obj) -> dict[str, int]:
    """Bytes of every torch tensor and numpy array among an object's attributes (a dict's
    values counted under their keys)."""
    out = {}
    for name, value in vars(obj).items():
        items = value.items() if isinstance(value, dict) else [(name, value)]
        for key, v in items:
            if isinstance(v, torch.Tensor):
                out[key] = v.numel() * v.element_size()
            elif isinstance(v, np.ndarray):
                out[key] = v.nbytes
    return out


def ours(capacity: int, act_dim: int, size: int) -> float:
    mod = load("drqv2", ROOT / "generated" / "drqv2.py")
    rb = mod.ReplayBuffer(capacity, (9, size, size), act_dim, torch.device("cpu"), 3, 3, 0.99)
    total = sum(t.numel() * t.element_size() for t in rb.data.values()) + rb.starts_host.nbytes
    return total / capacity


def ours_mrq(capacity: int, act_dim: int, size: int) -> tuple[float, dict[str, int]]:
    """specc's mrq_pixels ReplayBuffer: every tensor of its `data`, per slot."""
    mod = load("mrq_pixels", ROOT / "generated" / "mrq_pixels.py")
    space = gymnasium.spaces.Box(-1.0, 1.0, (act_dim,), np.float32)
    rb = mod.ReplayBuffer(capacity, (9, size, size), act_dim, torch.device("cpu"), 3, 5, space, 1.0)
    parts = {k: t.numel() * t.element_size() for k, t in rb.data.items()}
    return sum(parts.values()) / capacity, parts


def no_device_memory(device=None) -> tuple[int, int]:
    """Stands in for torch.cuda.mem_get_info while MR.Q's buffer is built: (free, total) = 0."""
    del device
    return 0, 0


def mrq_reference(ref: Path, capacity: int, act_dim: int, size: int):
    """MR.Q's own ReplayBuffer (imported from `ref`), built as MRQ.py builds it for DMC visual;
    torch.cuda.mem_get_info patched to (0, 0) while it is constructed (no GPU needed)."""
    if not (ref / "buffer.py").is_file():
        sys.exit(f"--mrq-ref/MRQ_REF {ref}: no buffer.py there (give MR.Q's MRQ/ folder)")
    mod = load("mrq_reference_buffer", ref / "buffer.py")
    with mock.patch.object(torch.cuda, "mem_get_info", no_device_memory):
        rb = mod.ReplayBuffer(
            (3, size, size),  # obs_shape: one RGB frame
            act_dim,
            1.0,  # max_action (DMC: action_space.high[0])
            True,  # pixel_obs
            torch.device("cpu"),
            3,  # history (visual_history)
            5,  # horizon: max(enc_horizon, Q_horizon)
            capacity,  # max_size
            256,  # batch_size
            True,  # prioritized
            initial_priority=1.0,  # min_priority
        )
    assert rb.storage_device == torch.device("cpu") and rb.max_size == capacity
    parts = array_bytes(rb)
    return sum(parts.values()) / capacity, parts


def drqv2_episode_bytes(episodes: list[dict]) -> float:
    """Bytes per transition of DrQ-v2's in-memory episodes (an episode of L transitions holds
    L + 1 time steps, the first a dummy transition)."""
    total = sum(sum(a.nbytes for a in ep.values()) for ep in episodes)
    return total / sum(len(ep["reward"]) - 1 for ep in episodes)


def breakdown(parts: dict[str, int], capacity: int) -> str:
    return " + ".join(f"{k} {v / capacity:g}" for k, v in parts.items())


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--capacity", type=int, default=100_000)
    p.add_argument("--act-dim", type=int, default=12)  # quadruped
    p.add_argument("--size", type=int, default=84)
    p.add_argument("--drqv2-episodes", default="")
    p.add_argument("--mrq-ref", default=os.environ.get("MRQ_REF", ""))
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
        source = "synthetic 500-step episode"
    theirs = drqv2_episode_bytes(episodes)
    mrq_per, mrq_parts = ours_mrq(args.capacity, args.act_dim, args.size)
    rows = [
        ("specc drqv2 frame buffer", per),
        (f"DrQ-v2 episodes ({source})", theirs),
        ("specc mrq_pixels LAP frame buffer", mrq_per),
    ]
    if args.mrq_ref:
        ref_per, ref_parts = mrq_reference(
            Path(args.mrq_ref), args.capacity, args.act_dim, args.size
        )
        rows.append(("MR.Q ReplayBuffer (measured)", ref_per))
    print(f"capacity {args.capacity:,}, act_dim {args.act_dim}, frames 3 x {args.size}^2")
    width = max(len(name) for name, _ in rows)
    print(f"{'buffer':<{width}}  {'bytes/transition':>16}  {'GiB @ 1e6':>9}")
    for name, b in rows:
        print(f"{name:<{width}}  {b:>16,.2f}  {b * GIB_PER_MILLION:>9.2f}")
    print(f"DrQ-v2 episodes / specc drqv2: {theirs / per:.2f}x")
    print(f"specc mrq_pixels per slot: {breakdown(mrq_parts, args.capacity)}")
    if args.mrq_ref:
        print(f"MR.Q per slot: {breakdown(ref_parts, args.capacity)}")
        print(f"MR.Q / specc mrq_pixels: {ref_per / mrq_per:.4f}x")
        print(
            "(MR.Q built with torch.cuda.mem_get_info patched to (0, 0) and device cpu: "
            "its host-memory path)"
        )
    else:
        print("MR.Q ReplayBuffer: skipped (give --mrq-ref DIR or MRQ_REF: MR.Q's MRQ/ folder)")


if __name__ == "__main__":
    main()
