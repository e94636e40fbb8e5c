"""``specc report``: final and best evaluation returns per variant, over seeds, as the field
reports them (Agarwal et al. 2021, "Deep RL at the Edge of the Statistical Precipice").

Per variant (the runs of one spec or sweep variant, grouped as ``specc plot`` groups them:
``<name>__<seed>``), for two scores of each run, its **final** evaluation return (its
``eval_return`` at its last scheduled evaluation: the step ``total_steps - total_steps %
eval_every`` of its config.json, which is ``total_steps`` when ``eval_every`` divides it) and
its **best** one (the highest of its evaluations):

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

A run counts only when its final evaluation is there and finite. Every other run is left out
of every figure of its row, and listed with the reason (:func:`judge`): **incomplete** (not
finished: no ``model.pt``; metrics that end before the final evaluation; a metrics.csv that
is torn or corrupt; no config.json to say where the final evaluation is; not started) or
**diverged** (an evaluation return that is nan or infinite). Never is an earlier evaluation
taken for the final one. Each row says how many seeds its figures rest on (``3 of 5``).
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from . import MissingDependency
from .launch import FAILED, FINISHED_MARKER, LOG, PENDING, RUNNING, run_state
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


INCOMPLETE, DIVERGED = "incomplete", "diverged"


@dataclass(frozen=True)
class LeftOut:
    """A run that no figure counts, and why (one line)."""

    path: str
    kind: str  # INCOMPLETE | DIVERGED
    reason: str

    def line(self) -> str:
        return f"{self.path}: {self.kind}: {self.reason}"


@dataclass(frozen=True)
class Row:
    variant: str
    values: dict[str, str]  # a sweep's variant: its swept keys, as override text
    seeds: tuple[int | None, ...]  # the seeds of the runs that count
    final: Stats | None
    best: Stats | None
    left_out: tuple[LeftOut, ...] = ()

    @property
    def runs(self) -> int:
        return len(self.seeds) + len(self.left_out)

    def count(self, kind: str) -> int:
        return sum(1 for x in self.left_out if x.kind == kind)

    @property
    def seeds_text(self) -> str:
        """``3 of 5 (1 incomplete, 1 diverged)``: how many seeds the row's figures rest on."""
        why = [f"{self.count(k)} {k}" for k in (INCOMPLETE, DIVERGED) if self.count(k)]
        return f"{len(self.seeds)} of {self.runs}" + (f" ({', '.join(why)})" if why else "")


def final_step(config: dict) -> tuple[int | None, str]:
    """The step of a run's final evaluation from its config.json, or None and why not."""
    total, every = config.get("total_steps"), config.get("eval_every")
    if not all(isinstance(x, int) and not isinstance(x, bool) for x in (total, every)):
        return (
            None,
            "its config.json has no total_steps and eval_every: where its final evaluation is, is unknown",
        )
    if every <= 0:
        return None, "it never evaluates (eval_every 0)"
    step = total - total % every
    if step <= 0:
        return None, f"no evaluation is due before total_steps {total} (eval_every {every})"
    return step, ""


def unfinished(run_dir: Path) -> str:
    """Why a run without ``model.pt`` is not finished, as far as its directory tells (a sweep's
    runs also have a state: running, failed)."""
    state = run_state(run_dir)
    if state == RUNNING:
        return f"still running (no {FINISHED_MARKER} yet)"
    if state == FAILED:
        return f"failed (no {FINISHED_MARKER}; its output: {run_dir / LOG})"
    if state == PENDING:
        return "not started"
    return f"not finished (no {FINISHED_MARKER})"


def judge(run: Run) -> tuple[float, float] | LeftOut:
    """(final, best) evaluation return of a run that counts, or why it does not."""
    where = str(run.path)
    if run.problem is not None:
        return LeftOut(where, INCOMPLETE, f"its metrics.csv {run.problem}")
    steps, values = run.columns.get(SCORE, ((), ()))
    bad = run.nonfinite(SCORE)
    if bad is not None:
        return LeftOut(where, DIVERGED, f"{SCORE} is {bad[1]} at step {bad[0]:g}")
    if not run.finished:
        return LeftOut(where, INCOMPLETE, unfinished(run.path))
    if not (run.path / "config.json").is_file():
        return LeftOut(
            where, INCOMPLETE, "no config.json: where its final evaluation is, is unknown"
        )
    step, why = final_step(run.config)
    if step is None:
        return LeftOut(where, INCOMPLETE, why)
    total = run.config["total_steps"]
    if not steps:
        return LeftOut(where, INCOMPLETE, f"no {SCORE} in its metrics.csv")
    if steps[-1] < step:
        return LeftOut(
            where,
            INCOMPLETE,
            f"its evaluations end at step {steps[-1]:g}, before its final one at step {step} (total_steps {total})",
        )
    if steps[-1] > step:
        return LeftOut(
            where,
            INCOMPLETE,
            f"its last evaluation is at step {steps[-1]:g}, after its final one at step {step} (total_steps {total})",
        )
    if len(steps) > 1 and steps[-2] == step:
        return LeftOut(where, INCOMPLETE, f"its metrics.csv holds two evaluations at step {step}")
    return values[-1], max(values)


def rows(
    groups: dict[str, list[Run]],
    values: dict[str, dict[str, str]] | None = None,
    reps: int = REPS,
    seed: int = 0,
    missing: dict[str, list[tuple[str, str]]] | None = None,
) -> list[Row]:
    """One row per group (in the given order); ``missing``: per group, the run directories
    without a metrics.csv (a sweep's) and why, which count as incomplete."""
    out: list[Row] = []
    for name, runs in groups.items():
        kept: list[tuple[Run, tuple[float, float]]] = []
        left_out = [LeftOut(d, INCOMPLETE, why) for d, why in (missing or {}).get(name, [])]
        for run in runs:
            verdict = judge(run)
            if isinstance(verdict, LeftOut):
                left_out.append(verdict)
            else:
                kept.append((run, verdict))
        final = describe([s[0] for _, s in kept], reps, seed) if kept else None
        best = describe([s[1] for _, s in kept], reps, seed) if kept else None
        row_values = (values or {}).get(name, {})
        seeds = tuple(r.seed for r, _ in kept)
        out.append(Row(name, row_values, seeds, final, best, tuple(left_out)))
    return out


def markdown(table: Sequence[Row], reps: int = REPS, seed: int = 0) -> str:
    head = "| variant | seeds | final: mean ± std | final: IQM [95% CI] | best: mean ± std | best: IQM [95% CI] |"
    lines = [head, "|---|---:|---:|---:|---:|---:|"]

    def cells(s: Stats | None) -> str:
        if s is None:
            return "- | -"
        return f"{s.mean:.1f} ± {s.std:.1f} | {s.iqm:.1f} [{s.ci_low:.1f}, {s.ci_high:.1f}]"

    for r in table:
        lines.append(f"| {r.variant} | {r.seeds_text} | {cells(r.final)} | {cells(r.best)} |")
    lines.append("")
    lines.append(
        f"seeds: the runs each figure rests on, of the variant's runs. final: each run's {SCORE} "
        f"at its last scheduled evaluation (total_steps, or the last multiple of eval_every "
        f"before it); best: its highest. std over seeds with ddof=0; IQM: the mean of the middle "
        f"50% of the seeds' scores; CI: 95% percentile stratified bootstrap over seeds (rliable's "
        f"method, Agarwal et al. 2021), {reps} resamples, seed {seed}."
    )
    left_out = [x for r in table for x in r.left_out]
    if left_out:
        lines.append("")
        lines.append(
            f"Left out of every figure ({len(left_out)} run{'s' if len(left_out) != 1 else ''}):"
        )
        lines.append("")
        lines += [f"- {x.line()}" for x in left_out]
    return "\n".join(lines) + "\n"


def csv_text(table: Sequence[Row]) -> str:
    keys: list[str] = []
    for r in table:
        keys += [k for k in r.values if k not in keys]
    header = ["variant", *keys, "seeds", "runs", INCOMPLETE, DIVERGED]
    for score in ("final", "best"):
        header += [f"{score}_{f}" for f in ("mean", "std", "iqm", "iqm_ci_low", "iqm_ci_high")]
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for r in table:
        row: list[Any] = [r.variant, *(r.values.get(k, "") for k in keys), len(r.seeds), r.runs]
        row += [r.count(INCOMPLETE), r.count(DIVERGED)]
        for s in (r.final, r.best):
            row += (
                [repr(s.mean), repr(s.std), repr(s.iqm), repr(s.ci_low), repr(s.ci_high)]
                if s
                else [""] * 5
            )
        w.writerow(row)
    return buf.getvalue()


def sweep_runs(
    sweep_dir: Path, m: dict
) -> tuple[list[Path], dict[str, dict[str, str]], dict[str, list[tuple[str, str]]]]:
    """The run directories of a sweep's manifest that hold a metrics.csv, each variant's swept
    values, and per variant the run directories without one, with why (not started, failed,
    running)."""
    from .sweep import flow

    dirs: list[Path] = []
    values: dict[str, dict[str, str]] = {}
    missing: dict[str, list[tuple[str, str]]] = {}
    for v in m.get("variants", []):
        values[v["name"]] = {k: flow(x) for k, x in v.get("values", {}).items()}
        for r in v.get("runs", []):
            d = sweep_dir / r["dir"]
            if (d / "metrics.csv").is_file():
                dirs.append(d)
            else:
                missing.setdefault(v["name"], []).append((str(d), unfinished(d)))
    return dirs, values, missing
