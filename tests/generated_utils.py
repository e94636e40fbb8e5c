"""Helpers to import and run generated scripts as a user would (without specc)."""

import importlib.util
import io
import os
import subprocess
import sys
from contextlib import redirect_stdout
from dataclasses import fields
from pathlib import Path

# Runs a generated script with `specc` made unimportable: a generated script must never need it.
_RUNNER = "import runpy, sys; sys.modules['specc'] = None; sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')"


def _without_gl(environ) -> dict:
    """The environment without MUJOCO_GL: a state DMC script imported in this process sets it to
    `disable`; a script chooses its own (state: disable, pixels: EGL or OSMesa)."""
    return {k: v for k, v in environ.items() if k != "MUJOCO_GL"}


def run_script(
    path: Path, *args: str, cwd: Path, timeout: int = 600
) -> subprocess.CompletedProcess:
    env = {
        **_without_gl(os.environ),
        "PYTHONWARNINGS": "ignore",
        "OMP_NUM_THREADS": "1",
    }  # one thread: robust to a busy machine
    return subprocess.run(
        [sys.executable, "-c", _RUNNER, str(path), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


def import_script(path: Path):
    """Import a generated script as a module (its main() is not run)."""
    name = f"generated_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def start_script(path: Path, *args: str, cwd: Path, log: Path) -> subprocess.Popen:
    """Start a generated script like run_script, without waiting (to kill it); stdout and stderr go to log."""
    env = {**_without_gl(os.environ), "PYTHONWARNINGS": "ignore", "OMP_NUM_THREADS": "1"}
    with open(log, "w") as out:
        return subprocess.Popen(
            [sys.executable, "-c", _RUNNER, str(path), *args],
            cwd=cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )


def metrics_rows(run_dir: Path) -> list[dict]:
    """metrics.csv's rows without the wall-clock columns (time, sps): what a resumed run must reproduce."""
    import csv

    with open(run_dir / "metrics.csv", newline="") as f:
        return [
            {k: v for k, v in row.items() if k not in ("time", "sps")} for row in csv.DictReader(f)
        ]


def run_main(module, args: list[str]) -> str:
    """main() of an imported script with these flags, in this process (no interpreter and torch
    start-up: about 2.5 s saved a run); its stdout. Exceptions propagate, SystemExit included.
    A pixel script runs in a subprocess instead (its SystemExit carries stderr's last line):
    rendering needs dm_control imported with an OpenGL backend, and another test of this
    process may have imported it with MUJOCO_GL=disable (state DMC)."""
    import torch

    if "image_size" in {f.name for f in fields(module.Config)}:
        env = _without_gl(os.environ)
        r = subprocess.run(
            [sys.executable, "-c", _RUNNER, module.__file__, *args],
            capture_output=True,
            text=True,
            env={**env, "PYTHONWARNINGS": "ignore", "OMP_NUM_THREADS": "1"},
            timeout=900,
        )
        if r.returncode != 0:
            lines = r.stderr.strip().splitlines()
            raise SystemExit(lines[-1] if lines else r.returncode)
        return r.stdout

    argv, sys.argv = sys.argv, [module.__file__, *args]
    threads = torch.get_num_threads()
    out = io.StringIO()
    try:
        with redirect_stdout(out):
            module.main()
    finally:
        # main() sets process-wide state: restore it for the tests that run after it
        sys.argv = argv
        torch.set_flush_denormal(False)  # (hypothesis refuses to draw floats with it on)
        torch.set_num_threads(threads)
    return out.getvalue()


def tiny_args(*, eval_every: int) -> list[str]:
    """Flags for a few-hundred-step Pendulum run of any generated script: 16-wide networks,
    one thread, checkpoints every 200 steps, metrics every 50."""
    return [
        *("--env-id", "Pendulum-v1", "--actor-width", "16", "--critic-width", "16"),
        *("--buffer-size", "10000", "--learning-starts", "100", "--checkpoint-every", "200"),
        *("--log-every", "50", "--eval-every", str(eval_every), "--eval-episodes", "1"),
        *("--device", "cpu", "--threads", "1"),
    ]


def known_flags(module, args: list[str]) -> list[str]:
    """args without the flags (each with its value) that the script's Config lacks: a streaming
    agent has no --buffer-size or --learning-starts."""
    names = {f.name for f in fields(module.Config)}
    out, i = [], 0
    while i < len(args):
        flag = args[i]
        takes_value = i + 1 < len(args) and not args[i + 1].startswith("--")
        name = flag[2:].replace("-", "_")
        name = name[3:] if name.startswith("no_") and name[3:] in names else name
        if name in names:
            out += args[i : i + 1 + takes_value]
        i += 1 + takes_value
    return out
