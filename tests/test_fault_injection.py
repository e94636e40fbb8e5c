"""Runs that die: a generated script killed with SIGKILL at any moment leaves a run directory
that `--resume` continues to the metrics of an uninterrupted run (what the sweep runner relies
on); a checkpoint that cannot be read is a one-line error.

The kills are real SIGKILLs of a small TD3 run on Pendulum (checkpoints at 200, 400, 600),
sent when metrics.csv shows a given step. A kill inside save_atomic (torch.save into
checkpoint.pt.tmp, then os.replace) or inside MetricsLog's rewrite cannot be timed, so its
trace is planted: a truncated .tmp file beside the files the kill left."""

import json
import re
import time

import pytest
import torch

from conftest import GENERATED
from generated_utils import tiny_args, metrics_rows, run_script, start_script

SCRIPT = GENERATED / "td3_dense.py"
ARGS = [*tiny_args(eval_every=300), "--total-steps", "600"]


def _logged_steps(run_dir):
    """Steps of metrics.csv's complete rows (a row being written has no line end yet)."""
    try:
        lines = (run_dir / "metrics.csv").read_text().splitlines(keepends=True)[1:]
    except FileNotFoundError:
        return []
    return [int(line.split(",")[0]) for line in lines if line.endswith("\n")]


def _run_and_kill(run_dir, tmp_path, step):
    """Start the run and SIGKILL it as soon as metrics.csv has its row at `step`."""
    proc = start_script(
        SCRIPT, *ARGS, "--run-dir", str(run_dir), cwd=tmp_path, log=tmp_path / "killed.log"
    )
    deadline = time.monotonic() + 120
    try:
        while step not in _logged_steps(run_dir):
            assert proc.poll() is None, (
                "the run ended before the kill: " + (tmp_path / "killed.log").read_text()[-2000:]
            )
            assert time.monotonic() < deadline
            time.sleep(0.002)
    finally:
        proc.kill()
        proc.wait()


def _checkpoint_step(run_dir):
    return torch.load(run_dir / "checkpoint.pt", map_location="cpu", weights_only=False)["step"]


def _torn(path, source):
    """What a kill in the middle of writing `path` with the content of `source` leaves: its first third."""
    data = source.read_bytes()
    path.write_bytes(data[: len(data) // 3])


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("uninterrupted")
    r = run_script(SCRIPT, *ARGS, "--run-dir", str(tmp / "run"), cwd=tmp, timeout=120)
    assert r.returncode == 0, r.stderr[-3000:]
    return tmp / "run"


@pytest.mark.slow
@pytest.mark.parametrize(
    "point", ["first_checkpoint_write", "after_a_checkpoint", "later_checkpoint_write"]
)
def test_a_run_killed_at_any_point_resumes_to_the_uninterrupted_metrics(
    point, uninterrupted, tmp_path
):
    """first_checkpoint_write: killed before the first checkpoint (rows at 50 and 100 written),
    with the torn checkpoint.pt.tmp a kill inside the first save_atomic leaves; `--resume
    --run-dir` alone starts the run again from step 0 with config.json's settings. after_a_checkpoint: killed with metrics.csv
    rows beyond the checkpoint (250 > 200); resumed with the original command plus --resume, as
    a sweep runner does. later_checkpoint_write: killed at the checkpoint of step 400 (at
    whichever moment of its write the kill lands), with a torn checkpoint.pt.tmp and a torn
    metrics.csv.tmp (a kill inside the resumed run's rewrite of metrics.csv) left beside it."""
    run_dir = tmp_path / "run"
    kill_at = {
        "first_checkpoint_write": 100,
        "after_a_checkpoint": 250,
        "later_checkpoint_write": 400,
    }[point]
    _run_and_kill(run_dir, tmp_path, kill_at)
    if point == "first_checkpoint_write":
        assert not (run_dir / "checkpoint.pt").exists()
        _torn(run_dir / "checkpoint.pt.tmp", uninterrupted / "checkpoint.pt")
        r = run_script(SCRIPT, "--resume", "--run-dir", str(run_dir), cwd=tmp_path, timeout=120)
        expected = f"no checkpoint in {run_dir}: starting the run again from step 0; changed: {{'resume': True}}"
    else:
        start = _checkpoint_step(run_dir)
        if point == "after_a_checkpoint":
            assert start == 200 and max(_logged_steps(run_dir)) > start  # rows to drop
        else:
            assert start in (200, 400), start
            _torn(run_dir / "checkpoint.pt.tmp", run_dir / "checkpoint.pt")
            _torn(run_dir / "metrics.csv.tmp", run_dir / "metrics.csv")
        r = run_script(
            SCRIPT, *ARGS, "--run-dir", str(run_dir), "--resume", cwd=tmp_path, timeout=120
        )
        expected = (
            f"resuming {run_dir / 'checkpoint.pt'} at step {start}; changed: {{'resume': True}}"
        )
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-3000:]
    assert r.stdout.splitlines()[0] == expected
    assert metrics_rows(run_dir) == metrics_rows(uninterrupted)
    assert _checkpoint_step(run_dir) == 600 and (run_dir / "model.pt").exists()
    assert not list(run_dir.glob("*.tmp"))
    config, reference = (
        json.loads((d / "config.json").read_text()) for d in (run_dir, uninterrupted)
    )
    assert config == {**reference, "run_dir": str(run_dir), "resume": True}


def test_a_truncated_checkpoint_is_a_one_line_error(tmp_path):
    """save_atomic never leaves one; a full disk or a bad copy can."""
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    torch.save({"step": 200, "weights": torch.zeros(10_000)}, run_dir / "whole.pt")
    _torn(run_dir / "checkpoint.pt", run_dir / "whole.pt")
    (run_dir / "metrics.csv").write_text("step,time\n50,1.0\n")
    r = run_script(SCRIPT, "--resume", "--run-dir", str(run_dir), cwd=tmp_path, timeout=120)
    assert r.returncode == 2 and r.stdout == ""
    message = "put back a copy, or delete it and pass --resume to start the run again"
    assert re.fullmatch(
        rf"td3_dense\.py: {re.escape(str(run_dir / 'checkpoint.pt'))} cannot be read \(\w+\): {message}\n",
        r.stderr,
    ), r.stderr
    assert (run_dir / "metrics.csv").read_text() == "step,time\n50,1.0\n"  # nothing touched


def test_resume_without_a_run_starts_one(tmp_path):
    """What a sweep runner may always pass: --resume in a directory that holds nothing yet
    (150 steps: learning_starts 100 must be before the end)."""
    run_dir = tmp_path / "new"
    r = run_script(
        SCRIPT,
        "--resume",
        *ARGS,
        "--total-steps",
        "150",
        "--run-dir",
        str(run_dir),
        cwd=tmp_path,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr[-3000:]
    assert r.stdout.splitlines()[0].startswith(
        f"no run in {run_dir}: starting from step 0; changed: "
    )
    assert _logged_steps(run_dir) == [100, 150] and _checkpoint_step(run_dir) == 150
