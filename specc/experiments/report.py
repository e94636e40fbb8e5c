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

Atari-100k runs (:func:`atari_report`, a section after the table) are scored as the field
scores them (Agarwal et al. 2021, rliable): each run's final evaluation return is
human-normalised with its game's random and human scores (specc.catalog.atari), and a variant
over games (a sweep over the 26 games x sparsity levels x seeds: the runs grouped by their
variant's name without the game) gets rliable's four aggregates over its runs x games matrix,
IQM, mean, median and optimality gap, each with its 95% percentile stratified bootstrap
interval (the games are the strata; the same resampling code as above, all four metrics from
the same resamples). A run is an Atari run when its config.json holds the atari suite's
protocol keys; reports without one are unchanged.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from ..catalog.atari import ATARI_100K, UnknownGame, game
from ..catalog.envs import suite
from ..writer import write_atomic
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


def _iqm_batch(x: Any) -> Any:
    """The IQM of each matrix of a batch (k x runs x tasks): over all its runs and tasks."""
    return _iqm_rows(x.reshape(x.shape[0], -1))


def stratified_bootstrap_cis(
    scores: Any,
    statistics: Sequence[Callable[[Any], Any]],
    reps: int = REPS,
    size: float = CI_SIZE,
    seed: int = 0,
) -> list[tuple[float, float]]:
    """The percentile bootstrap interval of each statistic of ``scores`` (runs x tasks, or
    runs), all from the same resamples: runs resampled with replacement within each task
    (rliable's ``StratifiedBootstrap``, ``method='percentile'``). A statistic maps a batch of
    resampled matrices (k x runs x tasks) to its k values."""
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
    alpha = (1.0 - size) / 2
    out = []
    for statistic in statistics:
        low, high = np.percentile(statistic(resampled), [100 * alpha, 100 * (1 - alpha)])
        out.append((float(low), float(high)))
    return out


def stratified_bootstrap_ci(
    scores: Any, reps: int = REPS, size: float = CI_SIZE, seed: int = 0
) -> tuple[float, float]:
    """The percentile bootstrap interval of the IQM of ``scores`` (runs x tasks, or runs),
    resampling runs within each task (rliable's ``StratifiedBootstrap``, ``method='percentile'``).
    """
    (interval,) = stratified_bootstrap_cis(scores, (_iqm_batch,), reps, size, seed)
    return interval


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
        return _counted_text(len(self.seeds), self.left_out)


def _counted_text(counted: int, left_out: Sequence[LeftOut]) -> str:
    """``3 of 5 (1 incomplete, 1 diverged)``: the runs counted, of all, and why the others not."""
    kinds = dict.fromkeys((INCOMPLETE, DIVERGED, *(x.kind for x in left_out)), 0)
    for x in left_out:
        kinds[x.kind] += 1
    why = [f"{n} {kind}" for kind, n in kinds.items() if n]
    return f"{counted} of {counted + len(left_out)}" + (f" ({', '.join(why)})" if why else "")


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


# --------------------------------------------------------------------------- Atari-100k
ENV_ID = "env.id"  # the spec key a sweep over games varies (its manifest's values)
UNKNOWN_GAME = "unknown game"
ALL_GAMES = "(all games)"  # the name of a group whose variant names hold nothing but the game
HNS_THRESHOLD = 1.0  # the optimality gap's threshold (rliable's gamma): the human score


def _mean_batch(x: Any) -> Any:
    """rliable's ``aggregate_mean`` of each matrix of a batch: the mean over tasks of each
    task's mean over runs."""
    return x.mean(axis=1).mean(axis=1)


def _median_batch(x: Any) -> Any:
    """rliable's ``aggregate_median``: the median over tasks of each task's mean over runs."""
    return _numpy().median(x.mean(axis=1), axis=1)


def _optimality_gap_batch(x: Any) -> Any:
    """rliable's ``aggregate_optimality_gap`` (gamma 1): the mean over all runs and tasks of
    ``max(0, 1 - x)``, how far the scores fall short of the human's."""
    np = _numpy()
    return HNS_THRESHOLD - np.minimum(x, HNS_THRESHOLD).mean(axis=(1, 2))


# the aggregate metrics of Agarwal et al. 2021 over a runs x games matrix, in display order
ATARI_METRICS: dict[str, Callable[[Any], Any]] = {
    "iqm": _iqm_batch,
    "mean": _mean_batch,
    "median": _median_batch,
    "optimality_gap": _optimality_gap_batch,
}
_METRIC_TITLES = {
    "iqm": "IQM",
    "mean": "mean",
    "median": "median",
    "optimality_gap": "optimality gap",
}


@dataclass(frozen=True)
class Estimate:
    """A point estimate and its 95% stratified bootstrap confidence interval."""

    point: float
    ci_low: float
    ci_high: float


def atari_aggregates(
    scores: Any, reps: int = REPS, seed: int = 0, size: float = CI_SIZE
) -> dict[str, Estimate]:
    """IQM, mean, median and optimality gap (:data:`ATARI_METRICS`) of a runs x games matrix of
    human-normalised scores, each with its percentile stratified bootstrap interval: the runs
    of each game resampled within that game, all four metrics from the same ``reps`` resamples
    (what rliable's ``get_interval_estimates`` gives with ``StratifiedBootstrap``; the same
    resamples as its own when numpy's global generator is seeded with ``seed``)."""
    np = _numpy()
    x = np.asarray(scores, dtype=float)
    if x.ndim != 2 or 0 in x.shape:
        raise ValueError(f"expected a runs x games matrix of scores, got shape {x.shape}")
    intervals = stratified_bootstrap_cis(x, list(ATARI_METRICS.values()), reps, size, seed)
    return {
        name: Estimate(float(f(x[None])[0]), low, high)
        for (name, f), (low, high) in zip(ATARI_METRICS.items(), intervals)
    }


@dataclass(frozen=True)
class AtariRun:
    """A run that counts: its game, seed, final evaluation return and its human-normalised score."""

    path: str
    game: str
    seed: int | None
    final: float
    normalized: float


@dataclass(frozen=True)
class AtariRow:
    """One variant over games: its runs that count, by game, and their aggregates."""

    variant: str  # the variant's name without its game (ALL_GAMES when nothing else is left)
    values: dict[str, str]  # a sweep's variant: its swept keys but env.id, as override text
    games: tuple[str, ...]  # every game its runs (or its sweep variants) play, sorted
    runs: tuple[AtariRun, ...]  # the runs that count, by game then seed
    aggregates: dict[str, Estimate] | None  # None: see problem
    problem: str = ""  # why there are no aggregates
    left_out: tuple[LeftOut, ...] = ()

    def of(self, game_name: str) -> tuple[AtariRun, ...]:
        return tuple(r for r in self.runs if r.game == game_name)

    def counted_games(self) -> tuple[str, ...]:
        """The games with a run that counts."""
        return tuple(g for g in self.games if self.of(g))

    @property
    def runs_text(self) -> str:
        """``5 of 6 (1 diverged)``: the runs the row's figures rest on, of all its runs."""
        return _counted_text(len(self.runs), self.left_out)


def atari_game(run: Run) -> str | None:
    """The game of a run of suite atari (its config.json's ``env_id``; ``""`` when it has
    none), or None for a run of another suite. config.json names no suite: a run is an Atari
    run when its config.json holds the atari suite's protocol keys (``sticky_actions``,
    ``terminal_on_life_loss``, ...: Config fields that only a script of suite atari has, as
    specc's rules refuse them for any other suite)."""
    keys = suite("atari").env_keys
    if not keys or not all(k in run.config for k in keys):
        return None
    env_id = run.config.get("env_id")
    return env_id if isinstance(env_id, str) else ""


def _without_game(name: str, games: Iterable[str]) -> str:
    """A variant's name without the parts that name its game: the game as written (``Pong``,
    plain run directories ``der__Pong__1``) or as a sweep names an env.id value (``id_pong``,
    ``env_id_pong``); the rest joined by ``__`` (``id_pong__level_0p9`` -> ``level_0p9``), or
    ALL_GAMES when nothing is left."""
    from .sweep import value_token

    drop: set[str] = set()
    for g in games:
        token = value_token(g)
        drop |= {g, token, f"id_{token}", f"env_id_{token}"}
    return "__".join(p for p in name.split("__") if p not in drop) or ALL_GAMES


@dataclass
class _Members:
    """The runs of one Atari variant (a group over games), gathered before judging."""

    values: dict[str, str]
    games: set[str]
    runs: list[Run]
    missing: list[tuple[str, str]]


def atari_rows(
    groups: dict[str, list[Run]],
    values: dict[str, dict[str, str]] | None = None,
    reps: int = REPS,
    seed: int = 0,
    missing: dict[str, list[tuple[str, str]]] | None = None,
) -> list[AtariRow]:
    """One row per Atari variant: the groups (as :func:`rows` takes them) of Atari runs
    (:func:`atari_game`), or of a sweep's variants whose env.id is an Atari-100k game, merged
    by their name without the game (:func:`_without_game`). Each run that counts (:func:`judge`)
    gives its final evaluation return, human-normalised with its game's random and human scores
    (specc.catalog.atari); a run of a game outside the 26 is left out (``unknown game``).

    The aggregates are rliable's over the matrix of those scores, runs x games: the games in
    alphabetical order (as rliable's Atari-100k notebook builds its matrices), each game's runs
    by seed. They need the same number of runs that count in every game the variant plays
    (the matrix rliable takes); otherwise the row says why it has none."""
    values, missing = values or {}, missing or {}
    merged: dict[str, _Members] = {}
    for name, runs in groups.items():
        swept = values.get(name, {})
        played = {g for g in (atari_game(r) for r in runs) if g is not None}
        if not played and swept.get(ENV_ID) not in ATARI_100K:
            continue  # not an Atari variant
        games = {g for g in (*played, swept.get(ENV_ID)) if g}
        kept_values = {k: v for k, v in swept.items() if k != ENV_ID}
        member = merged.setdefault(_without_game(name, games), _Members(kept_values, set(), [], []))
        member.games |= {g for g in games if g in ATARI_100K}
        member.runs += runs
        member.missing += missing.get(name, [])
    return [_atari_row(name, m, reps, seed) for name, m in merged.items()]


def _atari_row(name: str, m: _Members, reps: int, seed: int) -> AtariRow:
    left_out = [LeftOut(d, INCOMPLETE, why) for d, why in m.missing]
    counted: list[AtariRun] = []
    for run in m.runs:
        verdict = judge(run)
        if isinstance(verdict, LeftOut):
            left_out.append(verdict)
            continue
        name_of_game = run.config.get("env_id")
        try:
            record = game(name_of_game)
        except UnknownGame as exc:
            left_out.append(LeftOut(str(run.path), UNKNOWN_GAME, str(exc)))
            continue
        final = verdict[0]
        counted.append(
            AtariRun(str(run.path), record.name, run.seed, final, record.human_normalized(final))
        )
    games = tuple(sorted(m.games))
    counted.sort(key=lambda r: (games.index(r.game), r.seed is None, r.seed or 0, r.path))
    row = AtariRow(name, m.values, games, tuple(counted), None, "", tuple(left_out))
    counts = {g: len(row.of(g)) for g in games}
    if not counted:
        return replace(row, problem="no run counts")
    if len(set(counts.values())) > 1:
        shown = ", ".join(f"{g} {n}" for g, n in counts.items())
        return replace(
            row,
            problem=f"its games have unequal numbers of runs that count ({shown}): rliable's"
            " stratified bootstrap takes a runs x games matrix",
        )
    np = _numpy()
    matrix = np.array([[r.normalized for r in row.of(g)] for g in games]).T
    return replace(row, aggregates=atari_aggregates(matrix, reps, seed))


def _estimate_text(e: Estimate | None) -> str:
    return "-" if e is None else f"{e.point:.3f} [{e.ci_low:.3f}, {e.ci_high:.3f}]"


def atari_markdown(table: Sequence[AtariRow], reps: int = REPS, seed: int = 0) -> str:
    """The Atari-100k section: the aggregates per variant, then the scores per game beside the
    random agent's, the human's and DER's; "" when there is no Atari variant."""
    if not table:
        return ""
    titles = " | ".join(f"{_METRIC_TITLES[k]} [95% CI]" for k in ATARI_METRICS)
    lines = [
        "## Atari-100k: human-normalised final scores over games",
        "",
        f"| variant | games | runs | {titles} |",
        "|---|---:|---:|" + "---:|" * len(ATARI_METRICS),
    ]
    for r in table:
        cells = " | ".join(
            _estimate_text(r.aggregates[k] if r.aggregates else None) for k in ATARI_METRICS
        )
        games = f"{len(r.counted_games())} of {len(ATARI_100K)}"
        lines.append(f"| {r.variant} | {games} | {r.runs_text} | {cells} |")
    lines += [f"- {r.variant}: no figures: {r.problem}" for r in table if r.problem]
    lines.append("")
    lines.append(
        f"Each run's final {SCORE} (as above) human-normalised: (score - random) / (human -"
        " random), 0 the random agent's score, 1 the human's (specc.catalog.atari). Over the runs"
        " x games matrix (Agarwal et al. 2021, rliable): IQM, the mean of the middle 50% of all"
        " scores; mean and median, of the games' mean scores; optimality gap, the mean of"
        f" max(0, 1 - score). CI: 95% percentile stratified bootstrap, runs resampled within"
        f" each game, {reps} resamples, seed {seed}. A variant over fewer than the"
        f" {len(ATARI_100K)} games does not compare with published Atari-100k aggregates."
    )
    all_games = sorted({g for r in table for g in r.games})
    lines += [
        "",
        f"Per game: the mean final {SCORE} of the runs that count, and (in parentheses) its"
        " human-normalised score; DER: van Hasselt et al. 2019 at 100k steps, as published.",
        "",
        "| game | random | human | DER | " + " | ".join(r.variant for r in table) + " |",
        "|---|---:|---:|---:|" + "---:|" * len(table),
    ]
    for name in all_games:
        record = ATARI_100K[name]
        cells = [f"{record.random:g}", f"{record.human:g}", _score_text(record.der, name)]
        for r in table:
            runs = r.of(name)
            cells.append(_score_text(sum(x.final for x in runs) / len(runs), name) if runs else "-")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    left_out = [x for r in table for x in r.left_out]
    if left_out:
        lines.append("")
        lines.append(
            f"Left out of the Atari-100k figures ({len(left_out)}"
            f" run{'s' if len(left_out) != 1 else ''}):"
        )
        lines.append("")
        lines += [f"- {x.line()}" for x in left_out]
    return "\n" + "\n".join(lines) + "\n"


def _score_text(score: float, name: str) -> str:
    return f"{score:.1f} ({ATARI_100K[name].human_normalized(score):.3f})"


def _swept_keys(table: Sequence[AtariRow]) -> list[str]:
    keys: list[str] = []
    for r in table:
        keys += [k for k in r.values if k not in keys]
    return keys


def atari_csv_text(table: Sequence[AtariRow]) -> str:
    """One row per Atari variant: its counts, its aggregates with their intervals, and per game
    the mean final score and the mean human-normalised score of its runs that count."""
    keys = _swept_keys(table)
    all_games = sorted({g for r in table for g in r.games})
    header = ["variant", *keys, "games", "runs_counted", "runs", INCOMPLETE, DIVERGED]
    header.append(UNKNOWN_GAME.replace(" ", "_"))
    for k in ATARI_METRICS:
        header += [k, f"{k}_ci_low", f"{k}_ci_high"]
    for g in all_games:
        header += [f"{g}_final_mean", f"{g}_hns_mean"]
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for r in table:
        kinds = [sum(1 for x in r.left_out if x.kind == k) for k in (INCOMPLETE, DIVERGED)]
        kinds.append(sum(1 for x in r.left_out if x.kind == UNKNOWN_GAME))
        row: list[Any] = [r.variant, *(r.values.get(k, "") for k in keys)]
        row += [len(r.counted_games()), len(r.runs), len(r.runs) + len(r.left_out), *kinds]
        for k in ATARI_METRICS:
            e = r.aggregates[k] if r.aggregates else None
            row += [repr(e.point), repr(e.ci_low), repr(e.ci_high)] if e else [""] * 3
        for g in all_games:
            runs = r.of(g)
            row += (
                [
                    repr(sum(x.final for x in runs) / len(runs)),
                    repr(sum(x.normalized for x in runs) / len(runs)),
                ]
                if runs
                else ["", ""]
            )
        w.writerow(row)
    return buf.getvalue()


def atari_runs_csv_text(table: Sequence[AtariRow]) -> str:
    """One row per run that counts: its variant, game, seed, final score and human-normalised
    score (the long form that rliable's plots and tests take)."""
    keys = _swept_keys(table)
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["variant", *keys, "game", "seed", "final", "human_normalized", "run_dir"])
    for r in table:
        for x in r.runs:
            row: list[Any] = [r.variant, *(r.values.get(k, "") for k in keys), x.game]
            row += ["" if x.seed is None else x.seed, repr(x.final), repr(x.normalized), x.path]
            w.writerow(row)
    return buf.getvalue()


def atari_csv_paths(csv_path: str | Path) -> tuple[Path, Path]:
    """Where the Atari CSVs go beside the report's CSV: ``r.csv`` -> ``r.atari.csv`` (per
    variant) and ``r.atari_runs.csv`` (per run)."""
    p = Path(csv_path)
    suffix = p.suffix or ".csv"
    return p.with_name(f"{p.stem}.atari{suffix}"), p.with_name(f"{p.stem}.atari_runs{suffix}")


def atari_report(
    groups: dict[str, list[Run]],
    values: dict[str, dict[str, str]] | None = None,
    reps: int = REPS,
    seed: int = 0,
    missing: dict[str, list[tuple[str, str]]] | None = None,
    csv_path: str | Path | None = None,
) -> str:
    """The Atari-100k section to append to ``specc report``'s Markdown (the same arguments as
    :func:`rows`): "" when no run is an Atari run, so that other reports stay as they are.
    With ``csv_path`` (the report's ``--csv``) it also writes :func:`atari_csv_paths` and says
    so in its last lines."""
    table = atari_rows(groups, values, reps, seed, missing)
    text = atari_markdown(table, reps, seed)
    if table and csv_path is not None:
        per_variant, per_run = atari_csv_paths(csv_path)
        write_atomic(per_variant, atari_csv_text(table))
        write_atomic(per_run, atari_runs_csv_text(table))
        text += f"\nwrote {per_variant}\nwrote {per_run}\n"
    return text
