"""The cost of pixel observations on a CPU: the renderer alone against the physics, per task.

    python benchmarks/render_sps.py [--script generated/drqv2.py] \
        [--tasks cartpole-swingup walker-walk quadruped-run] [--size 84] [--steps 300] [--json]

Per task, three measurements of the same random actions (uniform, seeded), one after the other
in this process, after an untimed warm-up:

- `render`: dm_control's `physics.render(size, size, camera_id)` alone, from the camera the
  generated script uses (its CAMERAS: DrQ-v2's, quadruped 2): frames/s;
- `physics`: the env's frames alone, through the generated script's state pipeline's
  dm_control env without rendering (each action held for the action repeat): agent steps/s;
- `make_env`: the generated pixel script's `make_env(task, seed, action_repeat, size, frames)`
  (shimmy, the time limit, ActionRepeat, FrameStack: one render per agent step): agent
  steps/s, what a training loop's env side costs.

MUJOCO_GL is chosen as the script chooses it (gl_backend(): the variable where set, else EGL
where libEGL is found, else OSMesa); it is printed. Numbers depend on the machine's load (the
load average is printed before and after).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def load_script(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def measure(script, task: str, size: int, steps: int, repeat: int, frames: int) -> dict:
    from dm_control import suite

    domain, name = task.split("-")
    camera = script.CAMERAS.get(domain, 0)
    env = suite.load(domain, name, task_kwargs={"random": 0}, visualize_reward=False)
    spec = env.action_spec()
    rng = np.random.default_rng(0)
    actions = rng.uniform(spec.minimum, spec.maximum, (steps, *spec.shape)).astype(np.float32)
    env.reset()
    for _ in range(20):  # warm-up: the GL context, the first frames
        env.physics.render(size, size, camera_id=camera)
    start = time.perf_counter()
    for _ in range(steps):
        env.physics.render(size, size, camera_id=camera)
    render = steps / (time.perf_counter() - start)

    env.reset()
    start = time.perf_counter()
    for a in actions:
        for _ in range(repeat):
            if env.step(a).last():
                env.reset()
    physics = steps / (time.perf_counter() - start)

    pixel_env = script.make_env(task, 0, repeat, size, frames)
    pixel_env.reset(seed=0)
    for a in actions[:20]:  # warm-up
        pixel_env.step(a)
    pixel_env.reset(seed=0)
    start = time.perf_counter()
    for a in actions:
        _, _, terminated, truncated, _ = pixel_env.step(a)
        if terminated or truncated:
            pixel_env.reset()
    full = steps / (time.perf_counter() - start)
    return {
        "task": task,
        "camera": camera,
        "render_frames_per_s": render,
        "physics_agent_steps_per_s": physics,
        "make_env_agent_steps_per_s": full,
    }


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--script", default=str(ROOT / "generated" / "drqv2.py"))
    p.add_argument(
        "--tasks", nargs="+", default=["cartpole-swingup", "walker-walk", "quadruped-run"]
    )
    p.add_argument("--size", type=int, default=84)
    p.add_argument("--steps", type=int, default=300)
    p.add_argument("--action-repeat", type=int, default=2)
    p.add_argument("--frame-stack", type=int, default=3)
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    script = load_script(Path(args.script))
    os.environ["MUJOCO_GL"] = script.gl_backend()  # before dm_control is imported
    before = os.getloadavg()
    rows = [
        measure(script, t, args.size, args.steps, args.action_repeat, args.frame_stack)
        for t in args.tasks
    ]
    after = os.getloadavg()
    if args.json:
        print(json.dumps({"mujoco_gl": os.environ["MUJOCO_GL"], "rows": rows}))
        return
    print(
        f"MUJOCO_GL={os.environ['MUJOCO_GL']}, {args.size} x {args.size}, action repeat "
        f"{args.action_repeat}, {args.steps} steps; load average before {before[0]:.2f}, "
        f"after {after[0]:.2f}"
    )
    print(
        f"{'task':<20} {'camera':>6} {'render frames/s':>16} {'physics steps/s':>16} {'make_env steps/s':>17}"
    )
    for r in rows:
        print(
            f"{r['task']:<20} {r['camera']:>6} {r['render_frames_per_s']:>16.1f} "
            f"{r['physics_agent_steps_per_s']:>16.1f} {r['make_env_agent_steps_per_s']:>17.1f}"
        )


if __name__ == "__main__":
    main()
