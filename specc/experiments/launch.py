"""Running a sweep's runs (``specc sweep --run``): run states, one run, and the three backends.

Every backend runs the same unit, :func:`execute_run`: the generated script as a subprocess,
``python scripts/<variant>.py --seed S --run-dir <variant>__S --threads T --device D
[--resume]`` in the sweep directory, exactly as a user would type it. The local backend calls
it from a bounded pool of threads; Ray runs it as a task with the run's CPUs and GPUs; SLURM
runs it as one element of a submitit job array. The backends decide only where and when.

What a run is, is read from its directory (the generated scripts write it; the sweep adds
``sweep_status.json``, ``sweep_output.log`` and ``sweep.lock``):

- **finished**: ``model.pt`` exists. The script writes it last, atomically, after the checkpoint
  of the final step, so it is there only when the run went to its end.
- **running**: another process holds ``sweep.lock`` (an ``flock``, released by the kernel when
  that process, and the script it started, are gone: never stale).
- **failed**: the last attempt exited with a nonzero status (``sweep_status.json``); retried
  only with ``--retry-failed``.
- **interrupted**: the script started (``config.json``, ``metrics.csv`` or ``checkpoint.pt``)
  and neither finished nor failed: killed, timed out, or its sweep was killed. The next
  ``specc sweep --run`` continues it with the script's ``--resume`` (from its last checkpoint,
  or from step 0 when it was killed before the first one).
- **pending**: nothing started yet.

A run directory is never deleted or overwritten: a fresh run starts only where no run is (the
scripts refuse a directory with a metrics.csv without ``--resume``), everything else resumes.
"""

from __future__ import annotations

import json
import os
import queue
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from ..writer import write_atomic
from . import MissingDependency

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no flock, no sweeps (specc compile still works)
    fcntl = None

STATUS = "sweep_status.json"
LOG = "sweep_output.log"
LOCK = "sweep.lock"
FINISHED_MARKER = "model.pt"
STARTED_MARKERS = ("config.json", "metrics.csv", "checkpoint.pt")

FINISHED, RUNNING, FAILED, INTERRUPTED, PENDING = (
    "finished",
    "running",
    "failed",
    "interrupted",
    "pending",
)
STATES = (FINISHED, FAILED, INTERRUPTED, RUNNING, PENDING)
KILL_GRACE_S = 30  # between SIGTERM and SIGKILL when a run is stopped


class BackendError(Exception):
    """A backend cannot run here (no SLURM, no GPU, ...): a message for the user."""


# --------------------------------------------------------------------------- run states
def read_status(run_dir: Path) -> dict[str, Any]:
    try:
        data = json.loads((run_dir / STATUS).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_status(run_dir: Path, status: dict[str, Any]) -> None:
    write_atomic(run_dir / STATUS, json.dumps(status, indent=2, sort_keys=True) + "\n")


def _locked(run_dir: Path) -> bool:
    """Whether another process holds the run's lock (a probe: takes and drops it)."""
    if fcntl is None:  # pragma: no cover
        return False
    try:
        fd = os.open(run_dir / LOCK, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(fd)


def _state(run_dir: Path, probe_lock: bool) -> str:
    if (run_dir / FINISHED_MARKER).is_file():
        return FINISHED
    if probe_lock and _locked(run_dir):
        return RUNNING
    if read_status(run_dir).get("state") == FAILED:
        return FAILED
    if any((run_dir / f).exists() for f in STARTED_MARKERS):
        return INTERRUPTED
    return PENDING


def run_state(run_dir: Path) -> str:
    """One of :data:`STATES`, read from the run directory (see the module docstring)."""
    return _state(run_dir, probe_lock=True)


def count_states(sweep_dir: Path, run_dirs: Iterable[str]) -> dict[str, int]:
    counts = dict.fromkeys(STATES, 0)
    for d in run_dirs:
        counts[run_state(sweep_dir / d)] += 1
    return counts


def summary_line(counts: dict[str, int]) -> str:
    """``12 runs: 9 finished, 1 failed, 2 pending (1 interrupted, 1 running)``."""
    total = sum(counts.values())
    waiting = counts[INTERRUPTED] + counts[RUNNING] + counts[PENDING]
    detail = [f"{counts[s]} {s}" for s in (INTERRUPTED, RUNNING) if counts[s]]
    line = f"{total} run{'s' if total != 1 else ''}: {counts[FINISHED]} finished, {counts[FAILED]} failed, {waiting} pending"
    return line + (f" ({', '.join(detail)})" if detail else "")


# --------------------------------------------------------------------------- one run
@dataclass(frozen=True)
class RunTask:
    """One (variant, seed) run; plain data, so that Ray and submitit can pickle it."""

    sweep_dir: str  # absolute: the working directory of the script
    script: str  # relative to sweep_dir
    run_dir: str  # relative to sweep_dir
    seed: int
    threads: int
    device: str  # cpu | cuda
    retry_failed: bool = False
    time_limit_s: float | None = None  # local and Ray; SLURM enforces its own
    env: tuple[tuple[str, str], ...] = ()  # e.g. CUDA_VISIBLE_DEVICES of a local GPU slot

    def arguments(self, resume: bool) -> list[str]:
        args = [self.script, "--seed", str(self.seed), "--run-dir", self.run_dir]
        args += ["--threads", str(self.threads), "--device", self.device]
        return args + (["--resume"] if resume else [])


@dataclass(frozen=True)
class RunOutcome:
    run_dir: str
    state: str  # the run's state after this call
    ran: bool  # whether the script was started
    returncode: int | None = None
    seconds: float = 0.0
    note: str = ""


# live script processes of this (sweep) process, stopped when it is interrupted
_LIVE: set[subprocess.Popen] = set()
_LIVE_LOCK = threading.Lock()


def _stop(proc: subprocess.Popen) -> int:
    if proc.poll() is None:
        proc.terminate()
        try:
            return proc.wait(KILL_GRACE_S)
        except subprocess.TimeoutExpired:
            proc.kill()
    return proc.wait()


def stop_live_runs() -> None:
    """SIGTERM (then SIGKILL) every script this process started and that still runs."""
    with _LIVE_LOCK:
        procs = list(_LIVE)
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in procs:
        _stop(proc)


def execute_run(task: RunTask) -> RunOutcome:
    """Run (or skip, or resume) one run; what every backend executes, in any process.

    Takes the run's lock first: a run that another process (a second ``specc sweep``, a
    requeued SLURM job) is running is left alone. The script inherits the lock, so that the
    run stays locked while its script lives, even when this process is killed."""
    if fcntl is None:  # pragma: no cover
        raise BackendError("specc sweep --run needs a POSIX system (flock)")
    root = Path(task.sweep_dir)
    run_dir = root / task.run_dir
    run_dir.mkdir(parents=True, exist_ok=True)
    lock_fd = os.open(run_dir / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return RunOutcome(task.run_dir, RUNNING, False, note="running in another process")
        state = _state(run_dir, probe_lock=False)
        if state == FINISHED or (state == FAILED and not task.retry_failed):
            return RunOutcome(task.run_dir, state, False)
        return _run_script(task, root, run_dir, lock_fd)
    finally:
        os.close(lock_fd)


def _run_script(task: RunTask, root: Path, run_dir: Path, lock_fd: int) -> RunOutcome:
    attempt = int(read_status(run_dir).get("attempt", 0)) + 1
    # a run that started (even one killed before its first checkpoint) continues with --resume;
    # only an empty directory gets a fresh start, which the script refuses over a run
    resume = any((run_dir / f).exists() for f in STARTED_MARKERS)
    args = task.arguments(resume)
    status = {
        "attempt": attempt,
        "command": shlex.join(["python", *args]),
        "host": socket.gethostname(),
        "resumed": resume,
        "state": RUNNING,
    }
    _write_status(run_dir, status)
    env = {**os.environ, "OMP_NUM_THREADS": str(task.threads), "MKL_NUM_THREADS": str(task.threads)}
    env.update(task.env)
    t0 = time.monotonic()
    timed_out = False
    with open(run_dir / LOG, "ab") as log:
        log.write(f"=== attempt {attempt}: {status['command']}\n".encode())
        log.flush()
        proc = subprocess.Popen(
            [sys.executable, *args],
            cwd=root,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            pass_fds=(lock_fd,),
        )
        with _LIVE_LOCK:
            _LIVE.add(proc)
        try:
            returncode = proc.wait(timeout=task.time_limit_s)
        except subprocess.TimeoutExpired:
            timed_out = True
            returncode = _stop(proc)
        except BaseException:  # KeyboardInterrupt, a cancelled Ray task: stop the script too
            _stop(proc)
            _write_status(run_dir, {**status, "state": INTERRUPTED, "note": "stopped"})
            raise
        finally:
            with _LIVE_LOCK:
                _LIVE.discard(proc)
    seconds = round(time.monotonic() - t0, 1)
    note = ""
    if returncode == 0 and (run_dir / FINISHED_MARKER).is_file():
        state = FINISHED
    elif timed_out:
        state, note = INTERRUPTED, f"time limit of {task.time_limit_s:.0f} s"
    elif returncode < 0:
        state, note = INTERRUPTED, f"killed by {signal.Signals(-returncode).name}"
    else:
        state = FAILED
        note = f"exit status {returncode}" if returncode else f"exited without {FINISHED_MARKER}"
    _write_status(
        run_dir,
        {**status, "state": state, "returncode": returncode, "seconds": seconds, "note": note},
    )
    return RunOutcome(task.run_dir, state, True, returncode, seconds, note)


# --------------------------------------------------------------------------- resources
def cpu_count() -> int:
    """The cores this process may use (its affinity mask, e.g. a SLURM allocation)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def allocate(cores: int, jobs: int | None, threads: int | None) -> tuple[int, int]:
    """(runs at a time, threads per run) on ``cores``: with neither given, one thread per run and
    one run per core (the small matmuls of RL scale poorly with threads, and OpenMP runs that
    share a core slow each other down far more than 2x); with one given, the other fills the
    cores (jobs x threads <= cores)."""
    if threads is None:
        threads = max(1, cores // jobs) if jobs else 1
    if jobs is None:
        jobs = max(1, cores // threads)
    return jobs, threads


def visible_gpus() -> list[str]:
    """This machine's GPUs as CUDA_VISIBLE_DEVICES entries."""
    given = os.environ.get("CUDA_VISIBLE_DEVICES")
    if given is not None:
        return [g.strip() for g in given.split(",") if g.strip() and g.strip() != "-1"]
    if shutil.which("nvidia-smi") is None:
        return []
    try:
        out = subprocess.run(
            ["nvidia-smi", "--query-gpu=index", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            timeout=30,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return [line.strip() for line in out.splitlines() if line.strip()]


def gpu_slots(gpus: float, visible: Sequence[str]) -> list[str]:
    """CUDA_VISIBLE_DEVICES of each run that may run at once on ``visible`` GPUs with ``gpus``
    per run: a fraction shares a GPU (0.5: two runs per GPU), an integer takes whole GPUs."""
    if gpus <= 0:
        return []
    if gpus <= 1:
        per_gpu = int(1 / gpus + 1e-9)
        return [g for g in visible for _ in range(per_gpu)]
    if gpus != int(gpus):
        raise BackendError(f"{gpus} GPUs per run: more than one GPU must be a whole number")
    n = int(gpus)
    return [",".join(visible[i : i + n]) for i in range(0, len(visible) - n + 1, n)]


# --------------------------------------------------------------------------- backends
Report = Callable[[RunOutcome], None]


def check_backend(backend: str, gpus: float, cluster: str = "slurm") -> None:
    """Raise MissingDependency or BackendError when ``backend`` cannot run here, before the
    sweep writes anything."""
    import importlib.util

    package = {"ray": "ray", "slurm": "submitit"}[backend]
    if importlib.util.find_spec(package) is None:
        raise MissingDependency(
            f"the {backend} backend needs {package}: pip install 'specc[{backend}]'"
        )
    if backend == "slurm":
        if cluster == "slurm" and shutil.which("sbatch") is None:
            raise BackendError(
                "no SLURM here (sbatch is not on PATH); --cluster local runs the job array on this machine"
            )
        if gpus != int(gpus):
            raise BackendError(f"SLURM allocates whole GPUs, not {gpus:g} per run")


def run_local(tasks: Sequence[RunTask], jobs: int, slots: Sequence[str], report: Report) -> None:
    """At most ``jobs`` runs at a time, each in a subprocess; a GPU run holds one of ``slots``
    (its CUDA_VISIBLE_DEVICES) while it runs."""
    free: queue.Queue[str | None] = queue.Queue()
    for slot in slots or [None] * jobs:
        free.put(slot)
    jobs = min(jobs, len(slots)) if slots else jobs

    def one(task: RunTask) -> RunOutcome:
        slot = free.get()
        try:
            if slot is not None:
                task = replace(task, env=task.env + (("CUDA_VISIBLE_DEVICES", slot),))
            return execute_run(task)
        finally:
            free.put(slot)

    pool = ThreadPoolExecutor(max_workers=jobs)
    try:
        pending = {pool.submit(one, t) for t in tasks}
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for f in done:
                report(f.result())
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        stop_live_runs()
        raise
    finally:
        pool.shutdown(wait=True)


def run_ray(
    tasks: Sequence[RunTask],
    *,
    address: str | None,
    threads: int,
    gpus: float,
    mem_gb: float | None,
    jobs: int | None,
    report: Report,
) -> None:
    """One Ray task per run, with the run's CPUs (= its threads), GPUs and memory, on the
    cluster at ``address`` or on a local one that this call starts and stops. ``jobs`` caps the
    runs in flight (Ray's resources cap them anyway)."""
    check_backend("ray", gpus)
    import ray

    init: dict[str, Any] = {"log_to_driver": False, "logging_level": "WARNING"}
    if address is None:  # a local cluster of this machine's cores, started here
        init["include_dashboard"] = False
    ray.init(address=address, **init)
    try:
        options: dict[str, Any] = {"num_cpus": threads, "num_gpus": gpus, "max_retries": 0}
        if mem_gb:
            options["memory"] = int(mem_gb * 2**30)
        remote = ray.remote(execute_run).options(**options)
        waiting = list(tasks)
        in_flight: dict[Any, RunTask] = {}
        try:
            while waiting or in_flight:
                while waiting and (jobs is None or len(in_flight) < jobs):
                    task = waiting.pop(0)
                    in_flight[remote.remote(task)] = task
                done, _ = ray.wait(list(in_flight), num_returns=1)
                for ref in done:
                    task = in_flight.pop(ref)
                    try:
                        report(ray.get(ref))
                    except Exception as exc:  # the worker died (out of memory, node lost)
                        report(_lost(task, f"the Ray task failed: {type(exc).__name__}"))
        except BaseException:
            for ref in in_flight:
                ray.cancel(ref)  # raises KeyboardInterrupt in the task, which stops its script
            raise
    finally:
        ray.shutdown()


def _lost(task: RunTask, note: str) -> RunOutcome:
    """The outcome of a run whose worker went away: its state as its directory tells it."""
    return RunOutcome(task.run_dir, run_state(Path(task.sweep_dir) / task.run_dir), True, note=note)


class SlurmRun:
    """The callable a submitit job array runs: :func:`execute_run` of its element. It is
    checkpointable: when SLURM's time limit (or a preemption) comes, submitit requeues the
    element, which then resumes its run from the last checkpoint."""

    def __call__(self, task: RunTask) -> RunOutcome:
        return execute_run(task)

    def checkpoint(self, task: RunTask) -> Any:
        from submitit.helpers import DelayedSubmission

        return DelayedSubmission(self, task)


def run_slurm(
    tasks: Sequence[RunTask],
    *,
    folder: Path,
    cluster: str,
    name: str,
    time_min: int,
    threads: int,
    gpus: float,
    mem_gb: float | None,
    partition: str | None,
    account: str | None,
    jobs: int | None,
    wait_for_jobs: bool,
    report: Report,
    log: Callable[[str], None],
) -> None:
    """One submitit job array of the runs (``cluster``: ``slurm``, or ``local`` for submitit's
    local executor, which runs the same submission on this machine); waits for the jobs unless
    ``wait_for_jobs`` is false."""
    check_backend("slurm", gpus, cluster)
    import submitit

    executor = submitit.AutoExecutor(folder=folder, cluster=cluster)
    params: dict[str, Any] = {
        "name": name,
        "timeout_min": time_min,
        "cpus_per_task": threads,
        "gpus_per_node": int(gpus),
        "tasks_per_node": 1,
        "nodes": 1,
    }
    if mem_gb:
        params["mem_gb"] = mem_gb
    if partition:
        params["slurm_partition"] = partition
    if account:
        params["slurm_account"] = account
    if jobs:
        params["slurm_array_parallelism"] = jobs
    executor.update_parameters(**params)
    submitted = executor.map_array(SlurmRun(), list(tasks))
    ids = sorted({str(j.job_id).split("_")[0] for j in submitted})
    log(f"submitted {len(submitted)} run(s) as job {', '.join(ids)}; submitit's logs: {folder}")
    if not wait_for_jobs:
        return
    pending = dict(zip(submitted, tasks))
    while pending:
        for job in [j for j in pending if j.done()]:
            task = pending.pop(job)
            try:
                report(job.result())
            except Exception as exc:  # the job failed outside the script (node, time limit)
                report(_lost(task, f"job {job.job_id}: {str(exc).splitlines()[0][:200]}"))
        if pending:
            time.sleep(1.0 if cluster == "local" else 15.0)
