"""``specc report``: final and best evaluation returns per variant, over seeds, as the field
reports them (Agarwal et al. 2021, "Deep RL at the Edge of the Statistical Precipice").

Per variant (the runs of one spec or sweep variant, grouped as ``specc plot`` groups them:
``<name>__<seed>``), for two scores of each run, its **final** evaluation return (the last
``eval_return`` of its metrics.csv) and its **best** one (the highest):

- the mean and the standard deviation over seeds (``ddof=0``, as the band of ``specc plot``);
- the IQM, the interquartile mean: the mean of the middle 50% of the scores (the 25% trimmed
  mean of ``scipy.stats.trim_mean(x, 0.25)``: ``int(0.25 n)`` scores cut at each end), with a
  95% confidence interval from the percentile stratified bootstrap of rliable: the runs of
  each task are resampled with replacement within that task, the IQM recomputed, and the 2.5th
  and 97.5th percentiles of those IQMs (``numpy.percentile``, linear) are the interval. Here a
  variant is one task, so the strata are its seeds. The resampling draws its indices as
  rliable does (``RandomState.choice(n_runs, (n_runs, n_tasks))`` per resample), from
  ``numpy.random.RandomState(seed)``, a stream numpy keeps fixed across versions: the same runs
  give the same interval anywhere.

Only finished runs (``model.pt`` present) count; the others are listed in notes.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from .launch import FINISHED_MARKER, MissingDependency
from .plot import Run

REPS = 50_000  # rliable's default number of bootstrap resamples
CI_SIZE = 0.95
SCORE = "eval_return"


def _numpy():
    try:
        import numpy
    except ImportError:
        raise MissingDependency("specc report needs numpy: pip install numpy") from None
    return numpy


def iqm(scores: Any) -> float:
    """The interquartile mean of all ``scores`` (any shape, flattened): ``trim_mean(x, 0.25)``."""
    np = _numpy()
    x = np.sort(np.asarray(scores, dtype=float).ravel())
    cut = int(0.25 * x.size)
    return float(x[cut : x.size - cut].mean())


def _iqm_rows(x: Any) -> Any:
    """The IQM of each row of a 2-D array."""
    np = _numpy()
    x = np.sort(x, axis=1)
    cut = int(0.25 * x.shape[1])
    return x[:, cut : x.shape[1] - cut].mean(axis=1)


def stratified_bootstrap_ci(
    scores: Any, reps: int = REPS, size: float = CI_SIZE, seed: int = 0
) -> tuple[float, float]:
    """The percentile bootstrap interval of the IQM of ``scores`` (runs x tasks, or runs),
    resampling runs within each task (rliable's ``StratifiedBootstrap``, ``method='percentile'``).
    """
    np = _numpy()
    x = np.asarray(scores, dtype=float)
    if x.ndim == 1:
        x = x[:, None]
    n_runs, n_tasks = x.shape
    rng = np.random.RandomState(seed)
    # one draw of (n_runs, n_tasks) indices per resample, in rliable's order (the legacy
    # stream gives the same numbers drawn at once)
    runs = rng.choice(n_runs, size=(reps, n_runs, n_tasks), replace=True)
    resampled = x[runs, np.arange(n_tasks)]  # (reps, n_runs, n_tasks)
    stats = _iqm_rows(resampled.reshape(reps, -1))
    alpha = (1.0 - size) / 2
    low, high = np.percentile(stats, [100 * alpha, 100 * (1 - alpha)])
    return float(low), float(high)


@dataclass(frozen=True)
class Stats:
    n: int
    mean: float
    std: float  # ddof=0
    iqm: float
    ci_low: float
    ci_high: float


def describe(scores: Sequence[float], reps: int = REPS, seed: int = 0) -> Stats:
    n = len(scores)
    mean = sum(scores) / n
    std = math.sqrt(sum((s - mean) ** 2 for s in scores) / n)
    low, high = stratified_bootstrap_ci(scores, reps=reps, seed=seed)
    return Stats(n, mean, std, iqm(scores), low, high)


@dataclass(frozen=True)
class Row:
    variant: str
    values: dict[str, str]  # a sweep's variant: its swept keys, as override text
    seeds: tuple[int | None, ...]
    final: Stats | None
    best: Stats | None


def scores(run: Run) -> tuple[float, float] | None:
    """(final, best) evaluation return of a run, or None when it has no evaluation."""
    if SCORE not in run.columns:
        return None
    values = run.columns[SCORE][1]
    return values[-1], max(values)


def rows(
    groups: dict[str, list[Run]],
    values: dict[str, dict[str, str]] | None = None,
    reps: int = REPS,
    seed: int = 0,
) -> tuple[list[Row], list[str]]:
    """One row per group (in the given order) and notes on the runs left out."""
    out: list[Row] = []
    notes: list[str] = []
    for name, runs in groups.items():
        kept: list[tuple[Run, tuple[float, float]]] = []
        for run in runs:
            s = scores(run)
            if not (run.path / FINISHED_MARKER).is_file():
                notes.append(f"{run.path}: not finished (no {FINISHED_MARKER}), left out")
            elif s is None:
                notes.append(f"{run.path}: no {SCORE} in its metrics.csv, left out")
            else:
                kept.append((run, s))
        final = describe([s[0] for _, s in kept], reps, seed) if kept else None
        best = describe([s[1] for _, s in kept], reps, seed) if kept else None
        out.append(
            Row(name, (values or {}).get(name, {}), tuple(r.seed for r, _ in kept), final, best)
        )
    return out, notes


def markdown(table: Sequence[Row], reps: int = REPS, seed: int = 0) -> str:
    head = "| variant | seeds | final: mean ± std | final: IQM [95% CI] | best: mean ± std | best: IQM [95% CI] |"
    lines = [head, "|---|---:|---:|---:|---:|---:|"]

    def cells(s: Stats | None) -> str:
        if s is None:
            return "- | -"
        return f"{s.mean:.1f} ± {s.std:.1f} | {s.iqm:.1f} [{s.ci_low:.1f}, {s.ci_high:.1f}]"

    for r in table:
        lines.append(f"| {r.variant} | {len(r.seeds)} | {cells(r.final)} | {cells(r.best)} |")
    lines.append("")
    lines.append(
        f"final: each run's last {SCORE}; best: its highest. std over seeds with ddof=0; IQM: "
        f"the mean of the middle 50% of the seeds' scores; CI: 95% percentile stratified "
        f"bootstrap over seeds (rliable's method, Agarwal et al. 2021), {reps} resamples, seed {seed}."
    )
    return "\n".join(lines) + "\n"


def csv_text(table: Sequence[Row]) -> str:
    keys: list[str] = []
    for r in table:
        keys += [k for k in r.values if k not in keys]
    header = ["variant", *keys, "seeds"]
    for score in ("final", "best"):
        header += [f"{score}_{f}" for f in ("mean", "std", "iqm", "iqm_ci_low", "iqm_ci_high")]
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for r in table:
        row: list[Any] = [r.variant, *(r.values.get(k, "") for k in keys), len(r.seeds)]
        for s in (r.final, r.best):
            row += (
                [repr(s.mean), repr(s.std), repr(s.iqm), repr(s.ci_low), repr(s.ci_high)]
                if s
                else [""] * 5
            )
        w.writerow(row)
    return buf.getvalue()


def sweep_runs(sweep_dir: Path, m: dict) -> tuple[list[Path], dict[str, dict[str, str]], list]:
    """The run directories of a sweep's manifest that hold a metrics.csv, each variant's swept
    values, and notes on the runs without one."""
    from .sweep import flow

    dirs: list[Path] = []
    values: dict[str, dict[str, str]] = {}
    notes: list[str] = []
    for v in m.get("variants", []):
        values[v["name"]] = {k: flow(x) for k, x in v.get("values", {}).items()}
        for r in v.get("runs", []):
            d = sweep_dir / r["dir"]
            if (d / "metrics.csv").is_file():
                dirs.append(d)
            else:
                notes.append(f"{d}: not started")
    return dirs, values, notes
