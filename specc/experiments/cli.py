"""The commands that run and read experiments: ``specc sweep``, ``specc report`` and
``specc plot``. specc/cli.py adds their parsers (add_parsers) and calls COMMANDS[name]."""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

from ..overrides import add_override_option
from ..writer import write_atomic
from . import launch
from .plot import group_runs, load_runs, plot
from .report import atari_report, csv_text, markdown, sweep_runs
from .report import rows as report_rows
from .sweep import (
    MANIFEST,
    CompiledVariant,
    Resources,
    Sweep,
    compile_sweep,
    load_sweep,
    manifest,
    parse_time,
    read_manifest,
    started_runs,
    write_sweep,
)

# exit codes (specc/cli.py's): success; runs left unfinished
EXIT_OK, EXIT_DIFF = 0, 1


class UsageError(Exception):
    """A command line that argparse accepts but the command cannot use."""


def add_parsers(sub) -> None:
    """The parsers of plot, sweep and report, in the order `specc --help` lists them."""
    _add_plot(sub)
    _add_sweep(sub)
    _add_report(sub)


def _add_plot(sub) -> None:
    pl = sub.add_parser(
        "plot",
        help="draw learning curves of runs: one curve per spec, mean and a band over seeds",
        description="Draw eval and episode return (and each --metric) against steps; runs of one spec (RUN_DIR named <name>__<seed>) are one curve: the mean over seeds and a band of one standard deviation. Needs matplotlib: pip install 'specc[plot]'.",
    )
    pl.add_argument("run_dirs", nargs="*", metavar="RUN_DIR")
    pl.add_argument("-o", "--out", required=True, metavar="FILE.png", help="the PNG to write")
    _sweep_source(pl)
    pl.add_argument(
        "--metric",
        dest="metrics",
        action="append",
        default=[],
        metavar="NAME",
        help="also plot this metrics.csv column (repeatable), e.g. --metric critic_loss",
    )
    pl.add_argument(
        "--smooth",
        type=_positive,
        default=0,
        metavar="STEPS",
        help="average each run's values over windows of STEPS steps first (a streaming agent's"
        " per-episode returns), e.g. --smooth 50000",
    )


def _add_sweep(sub) -> None:
    sw = sub.add_parser(
        "sweep",
        help="compile a sweep's variants and write its manifest; --run runs them",
        description="Compile one script per variant of the sweep FILE into DIR/<sweep name>/scripts/ and write DIR/<sweep name>/manifest.json; with --run, run every (variant, seed) that is not finished. Re-running skips finished runs and resumes interrupted ones. See docs/sweeps.md.",
    )
    sw.add_argument("file", metavar="FILE", help="the sweep file (YAML)")
    add_override_option(
        sw,
        "override a spec key in every variant (repeatable), e.g. -s train.total_steps=5000; without -s, those of the sweep's manifest",
    )
    sw.add_argument(
        "--runs-dir",
        default="runs",
        metavar="DIR",
        help="the sweep goes to DIR/<sweep name>/ (default: runs)",
    )
    sw.add_argument("--run", action="store_true", help="run the runs that are not finished")
    _add_backend_options(sw)


def _add_backend_options(sw: argparse.ArgumentParser) -> None:
    """How `specc sweep --run` runs: the backend, its resources and its own options."""
    sw.add_argument(
        "--backend",
        choices=("local", "ray", "slurm"),
        default="local",
        help="local: subprocesses on this machine (default); ray: one Ray task per run; slurm: a submitit job array",
    )
    sw.add_argument(
        "--jobs",
        type=_positive,
        metavar="N",
        help="runs at a time (local: default cores / threads per run; ray, slurm: no cap)",
    )
    sw.add_argument(
        "--threads-per-run",
        type=_positive,
        metavar="N",
        help="torch threads (and CPUs) per run (default: resources.threads, else local: cores / jobs, 1 when --jobs is not given; ray, slurm: 1)",
    )
    sw.add_argument(
        "--gpus", type=float, metavar="N", help="GPUs per run (default: resources.gpus, else 0)"
    )
    sw.add_argument(
        "--time",
        metavar="LIMIT",
        help="time limit per run: minutes, H:MM:SS or D-H:MM:SS (default: resources.time; needed by slurm)",
    )
    sw.add_argument(
        "--retry-failed", action="store_true", help="also run the runs whose last attempt failed"
    )
    sw.add_argument(
        "--address", metavar="ADDR", help="ray: the cluster (default: start a local one)"
    )
    sw.add_argument("--partition", metavar="NAME", help="slurm: the partition")
    sw.add_argument("--account", metavar="NAME", help="slurm: the account")
    sw.add_argument(
        "--cluster",
        choices=("slurm", "local"),
        default="slurm",
        help="slurm: where submitit submits the job array (local: submitit's local executor, on this machine)",
    )
    sw.add_argument(
        "--no-wait",
        dest="wait",
        action="store_false",
        help="slurm: submit and return; `specc sweep FILE` later shows the runs' states",
    )


def _add_report(sub) -> None:
    rp = sub.add_parser(
        "report",
        help="final and best eval return per variant over seeds: mean, std, IQM with a 95%% bootstrap CI",
        description="Per variant (run directories named <name>__<seed>, or a sweep's variants), the final (at total_steps) and best eval_return of its runs over seeds: mean, standard deviation and IQM with a 95% stratified bootstrap confidence interval (rliable's method). Incomplete and diverged runs are left out and listed; each row says how many seeds it rests on. Prints a Markdown table; --csv also writes a CSV. Needs numpy.",
    )
    rp.add_argument("run_dirs", nargs="*", metavar="RUN_DIR")
    _sweep_source(rp)
    rp.add_argument("--csv", metavar="PATH", help="also write the table as CSV")
    rp.add_argument(
        "--reps", type=_positive, default=50_000, metavar="N", help="bootstrap resamples (50000)"
    )
    rp.add_argument(
        "--seed", type=int, default=0, metavar="N", help="seed of the bootstrap resampling (0)"
    )


def _positive(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return n


def _sweep_source(p: argparse.ArgumentParser) -> None:
    p.add_argument("--sweep", metavar="FILE", help="the runs of this sweep (from its manifest)")
    p.add_argument(
        "--runs-dir",
        default="runs",
        metavar="DIR",
        help="with --sweep: the sweep is in DIR/<sweep name>/ (default: runs)",
    )


def _plot(args: argparse.Namespace) -> int:
    run_dirs = _run_dirs(args)
    plot(
        run_dirs,
        args.out,
        args.metrics,
        note=lambda line: print(f"specc: note: {line}", file=sys.stderr),
        smooth=args.smooth,
    )
    print(f"wrote {args.out}")
    return EXIT_OK


def _run_dirs(args: argparse.Namespace) -> list:
    """RUN_DIRs, or with --sweep the run directories of the sweep's manifest that have a
    metrics.csv (the others are named on stderr)."""
    if bool(args.run_dirs) == bool(args.sweep):
        raise UsageError("give RUN_DIRs or --sweep FILE (one of the two)")
    if not args.sweep:
        return args.run_dirs
    sweep_dir, m = _sweep_manifest(args.sweep, args.runs_dir)
    dirs, _, missing = sweep_runs(sweep_dir, m)
    for d, why in (x for xs in missing.values() for x in xs):
        print(f"specc: note: {d}: {why}", file=sys.stderr)
    if not dirs:
        raise UsageError(f"no run of the sweep in {sweep_dir} has started")
    return dirs


def _sweep_manifest(file: str, runs_dir: str) -> tuple[Path, dict]:
    sweep = load_sweep(file)
    sweep_dir = Path(runs_dir) / sweep.name
    m = read_manifest(sweep_dir)
    if m is None:
        raise UsageError(f"{sweep_dir / MANIFEST} does not exist: run specc sweep {file} first")
    return sweep_dir, m


@dataclass(frozen=True)
class _RunSettings:
    """How `specc sweep --run` runs: decided (and checked) before anything is written."""

    jobs: int | None
    threads: int
    gpus: float
    time_min: int | None
    slots: tuple[str, ...]  # local backend: CUDA_VISIBLE_DEVICES of each concurrent GPU run


def _run_settings(args: argparse.Namespace, res: Resources) -> _RunSettings:
    gpus = args.gpus if args.gpus is not None else res.gpus
    if gpus < 0:
        raise UsageError(f"--gpus must be >= 0, got {gpus}")
    time_min = res.time_min
    if args.time is not None:
        time_min = parse_time(int(args.time) if args.time.isdigit() else args.time)
        if time_min is None:
            raise UsageError(f"--time: expected minutes, H:MM:SS or D-H:MM:SS, got {args.time!r}")
    threads, jobs = args.threads_per_run or res.threads, args.jobs
    slots: list[str] = []
    if args.backend == "local":
        cores = launch.cpu_count()
        jobs, threads = launch.allocate(cores, jobs, threads)
        if gpus > 0:
            slots = launch.gpu_slots(gpus, launch.visible_gpus())
            if not slots:
                raise launch.BackendError(f"{gpus:g} GPU(s) per run, but no GPU is visible here")
            jobs = min(jobs, len(slots))
        if jobs * threads > cores:
            print(
                f"specc: warning: {jobs} runs x {threads} threads on {cores} cores: the runs will slow each other down",
                file=sys.stderr,
            )
    elif args.backend == "ray":
        launch.check_backend("ray", gpus)
    else:
        launch.check_backend("slurm", gpus, args.cluster)
        if time_min is None:
            raise UsageError(
                "the slurm backend needs a time limit per run: --time, or resources.time"
            )
    return _RunSettings(jobs, threads or 1, gpus, time_min, tuple(slots))


def _launched_overrides(args: argparse.Namespace, sweep: Sweep, sweep_dir: Path) -> Sweep:
    """The sweep with the command line's -s, or without any, those its manifest records: a
    sweep directory holds the runs of one set of -s. Other -s than its manifest's, while runs
    of it exist, are refused in one line (the runs would be resumed or reported under scripts
    that did not make them)."""
    m = read_manifest(sweep_dir)
    if m is None:
        return sweep
    launched = [str(o) for o in m.get("overrides", [])]
    given = list(args.overrides)
    if not given and launched:
        print(f"{sweep_dir / MANIFEST}: the sweep's -s: {' '.join(launched)}")
        return load_sweep(args.file, launched)
    if given != launched and started_runs(sweep_dir, m):

        def shown(overrides: list[str]) -> str:
            return " ".join(f"-s {o}" for o in overrides) if overrides else "no -s"

        raise UsageError(
            f"{sweep_dir} holds runs of this sweep made with {shown(launched)}, not {shown(given)}: "
            f"to follow or continue it give no -s (its manifest has them); for a sweep with "
            f"these, give another --runs-dir"
        )
    return sweep


def _sweep(args: argparse.Namespace) -> int:
    sweep = load_sweep(args.file, args.overrides)
    sweep_dir = Path(args.runs_dir) / sweep.name
    sweep = _launched_overrides(args, sweep, sweep_dir)
    settings = _run_settings(args, sweep.resources) if args.run else None
    compiled = compile_sweep(sweep)
    written = write_sweep(sweep_dir, compiled, manifest(sweep, compiled))
    runs = [(c, s) for c in compiled for s in sweep.seeds]
    all_dirs = [sweep.run_dir(c.variant, s) for c, s in runs]
    n, k = len(compiled), len(sweep.seeds)
    print(
        f"{sweep_dir / MANIFEST}: {n} variant{'s' if n != 1 else ''} x {k} seed{'s' if k != 1 else ''}"
        + (
            f"; wrote {len(written)} file{'s' if len(written) != 1 else ''}"
            if written
            else "; unchanged"
        )
    )
    if settings is not None:
        tasks = _tasks(args, settings, sweep, sweep_dir, runs)
        if tasks:
            _dispatch(args, settings, sweep, sweep_dir, tasks)
    counts = launch.count_states(sweep_dir, all_dirs)
    print(f"sweep {sweep.name}: {launch.summary_line(counts)}")
    if settings is None or (args.backend == "slurm" and not args.wait):
        return EXIT_OK
    if counts[launch.FAILED]:
        print(
            f"failed runs are left as they are; --retry-failed runs them again (their output: {sweep_dir}/<run>/{launch.LOG})"
        )
    return EXIT_OK if counts[launch.FINISHED] == len(runs) else EXIT_DIFF


def _tasks(
    args: argparse.Namespace,
    settings: _RunSettings,
    sweep: Sweep,
    sweep_dir: Path,
    runs: list[tuple[CompiledVariant, int]],
) -> list[launch.RunTask]:
    """The runs to start (not finished, not running elsewhere, not failed unless
    --retry-failed), after a line saying what is run where."""
    tasks: list[launch.RunTask] = []
    before = dict.fromkeys(launch.STATES, 0)
    for c, seed in runs:
        run_dir = sweep.run_dir(c.variant, seed)
        state = launch.run_state(sweep_dir / run_dir)
        before[state] += 1
        if state in (launch.FINISHED, launch.RUNNING):
            continue
        if state == launch.FAILED and not args.retry_failed:
            continue
        limit = settings.time_min
        tasks.append(
            launch.RunTask(
                sweep_dir=str(sweep_dir.resolve()),
                script=c.script,
                run_dir=run_dir,
                seed=seed,
                threads=settings.threads,
                device="cuda" if settings.gpus > 0 else "cpu",
                retry_failed=args.retry_failed,
                # SLURM enforces its own limit (and requeues)
                time_limit_s=limit * 60.0 if limit and args.backend != "slurm" else None,
            )
        )
    skipped = [f"{before[s]} {s}" for s in launch.STATES if before[s] and s != launch.PENDING]
    threads, gpus = settings.threads, settings.gpus
    cpus = f"{threads} CPU{'s' if threads != 1 else ''}"
    where = {
        "local": f"{settings.jobs} at a time, {threads} thread{'s' if threads != 1 else ''} each",
        "ray": f"{cpus} and {gpus:g} GPUs each",
        "slurm": f"{cpus}, {gpus:g} GPUs and {settings.time_min} min each",
    }[args.backend]
    print(
        f"running {len(tasks)} of {len(runs)} runs"
        + (f" ({', '.join(skipped)} before)" if skipped else "")
        + f" on the {args.backend} backend: {where}",
        flush=True,
    )
    return tasks


def _dispatch(
    args: argparse.Namespace,
    settings: _RunSettings,
    sweep: Sweep,
    sweep_dir: Path,
    tasks: list[launch.RunTask],
) -> None:
    """Run the tasks on the chosen backend, printing a line as each run ends."""
    done = 0

    def report(o: launch.RunOutcome) -> None:
        nonlocal done
        done += 1
        took = f" after {o.seconds:.0f} s" if o.ran else ""
        note = f" ({o.note})" if o.note else ""
        log = sweep_dir / o.run_dir / launch.LOG
        hint = f"; its output: {log}" if o.state == launch.FAILED else ""
        print(f"[{done}/{len(tasks)}] {o.run_dir}: {o.state}{took}{note}{hint}", flush=True)

    mem_gb = sweep.resources.mem_gb
    if args.backend == "local":
        launch.run_local(tasks, settings.jobs, settings.slots, report)
    elif args.backend == "ray":
        launch.run_ray(
            tasks,
            address=args.address,
            threads=settings.threads,
            gpus=settings.gpus,
            mem_gb=mem_gb,
            jobs=settings.jobs,
            report=report,
        )
    else:
        launch.run_slurm(
            tasks,
            folder=sweep_dir.resolve() / "submitit",
            cluster=args.cluster,
            name=f"specc-{sweep.name}",
            time_min=settings.time_min,
            threads=settings.threads,
            gpus=settings.gpus,
            mem_gb=mem_gb,
            partition=args.partition,
            account=args.account,
            jobs=settings.jobs,
            wait_for_jobs=args.wait,
            report=report,
            log=print,
        )


def _report(args: argparse.Namespace) -> int:
    if bool(args.run_dirs) == bool(args.sweep):
        raise UsageError("give RUN_DIRs or --sweep FILE (one of the two)")
    values: dict = {}
    missing: dict = {}
    if args.sweep:
        sweep_dir, m = _sweep_manifest(args.sweep, args.runs_dir)
        dirs, values, missing = sweep_runs(sweep_dir, m)
        # every variant of the manifest, in its order, also those without a started run
        groups = {v["name"]: [] for v in m.get("variants", [])}
        for run in load_runs(dirs):
            groups.setdefault(run.name, []).append(run)
        groups = {
            k: sorted(r, key=lambda r: (r.seed is None, r.seed or 0)) for k, r in groups.items()
        }
    else:
        groups = group_runs(load_runs(args.run_dirs))
    table = report_rows(groups, values, args.reps, args.seed, missing)
    text = markdown(table, args.reps, args.seed)
    # Atari runs: human-normalised scores per game and their IQM, mean, median and optimality
    # gap over games (rliable's Atari-100k figures); "" without Atari runs
    text += atari_report(groups, values, args.reps, args.seed, missing, args.csv)
    if args.csv:
        write_atomic(Path(args.csv), csv_text(table))
    sys.stdout.write(text)
    if args.csv:
        print(f"wrote {args.csv}")
    return EXIT_OK


COMMANDS = {"plot": _plot, "sweep": _sweep, "report": _report}
