"""``specc plot``: learning curves of finished (or running) runs, one curve per spec.

A run directory is what a generated script writes: ``metrics.csv`` (a ``step`` column and one
column per metric, empty cells where a value does not apply) and ``config.json``. Runs are
grouped by spec name: ``config.json``'s ``"name"`` when it has one, otherwise the directory
name without its ``__<seed>`` suffix (``runs/sac_dense__3`` -> ``sac_dense``;
``runs/learn/sac_dense__Pendulum-v1__3`` -> ``sac_dense__Pendulum-v1``). Within a group each
seed's curve is interpolated linearly onto a common step grid over the steps all seeds cover;
the figure shows the mean and, with two or more seeds, a band of one standard deviation
(population convention, ``ddof=0``; with two seeds it spans exactly their min and max).

Nothing is dropped silently. A metrics.csv whose last row is cut mid-row (a run killed while
writing it, or still writing it) is read without that row; one that cannot be read whole (a
corrupt header, a row with the wrong number of cells, a cell that is not a number) is left out;
a run whose values in a column hold a nan or an inf has **diverged** in that column: it is left
out of that column's mean and band and drawn apart (dashed, up to its last finite value, with a
cross on the x axis at the step of its first non-finite value); a run that ends before its
``total_steps`` (config.json) without ``model.pt`` is **incomplete**. Each legend entry says how
many seeds its curve rests on (``sac_dense (2 of 3 seeds; 1 diverged)``), and each of these runs
gets one line on stderr.

Everything but :func:`plot` is plain Python; matplotlib (the ``plot`` extra) is imported only
there, and only its object API is used (no pyplot, no global backend switch).
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from bisect import bisect_right
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Iterable, Sequence

from ..diagnostics import Diagnostic, Location, SpecError, did_you_mean
from . import MissingDependency
from .launch import FINISHED_MARKER
from ..writer import write_atomic

STEP = "step"
DEFAULT_QUANTITIES = ("eval_return", "episode_return")
INSTALL_HINT = "specc plot needs matplotlib: pip install 'specc[plot]'"
_SEED_SUFFIX = re.compile(r"^(?P<name>.+)__(?P<seed>\d+)$")

Curve = tuple[tuple[float, ...], tuple[float, ...]]  # (steps, values), ascending steps


class PlotError(SpecError):
    """Bad run directories or metric names; carries every problem found (nothing is written)."""


@dataclass(frozen=True)
class Run:
    path: Path
    name: str
    seed: int | None
    header: tuple[str, ...]
    # every column but ``step`` that has at least one value, nan and inf included (as written)
    columns: dict[str, Curve]
    config: dict = field(default_factory=dict)  # config.json ({} when there is none)
    # why metrics.csv could not be read whole (``columns`` then hold the rows before it)
    problem: str | None = None
    torn: bool = False  # the problem is only a last row cut mid-row (left out)

    @property
    def finished(self) -> bool:
        """The script went to its end: it writes ``model.pt`` last (see launch.py)."""
        return (self.path / FINISHED_MARKER).is_file()

    @property
    def readable(self) -> bool:
        """Whether its metrics can be used: whole, or whole but for a torn last row."""
        return self.problem is None or self.torn

    def nonfinite(self, column: str) -> tuple[float, float] | None:
        """The first (step, value) of ``column`` that is nan or infinite, or None."""
        steps, values = self.columns.get(column, ((), ()))
        for step, value in zip(steps, values):
            if not math.isfinite(value):
                return step, value
        return None

    def incomplete(self) -> str | None:
        """Why the run ended (or stands) before its total_steps, or None: not finished and its
        metrics end before config.json's ``total_steps`` (unknown without config.json)."""
        total = self.config.get("total_steps")
        if self.finished or not _is_int(total):
            return None
        last = max((c[0][-1] for c in self.columns.values() if c[0]), default=None)
        if last is None:
            return f"no metrics yet (total_steps {total})"
        if last < total:
            return f"its metrics end at step {last:g} of {total} (total_steps), without {FINISHED_MARKER}"
        return None


def _is_int(x: object) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


@dataclass(frozen=True)
class Aggregate:
    steps: tuple[float, ...]
    mean: tuple[float, ...]
    low: tuple[float, ...]
    high: tuple[float, ...]
    n_seeds: int  # runs whose values in this column are all finite: the mean's runs
    diverged: tuple[Run, ...] = ()  # runs with a nan or inf in this column: not in the mean


def _error(source: object, message: str, *notes: str) -> Diagnostic:
    return Diagnostic(Location(str(source)), message, notes=tuple(notes))


def _name_and_seed(run_dir: Path, config: dict) -> tuple[str, int | None]:
    dirname = run_dir.resolve().name
    m = _SEED_SUFFIX.match(dirname)
    name = config.get("name")
    if not isinstance(name, str) or not name:
        name = m.group("name") if m else dirname
    seed = config.get("seed")
    if not isinstance(seed, int) or isinstance(seed, bool):
        seed = int(m.group("seed")) if m else None
    return name, seed


def load_run(run_dir: str | Path) -> Run:
    """Read ``run_dir/metrics.csv`` (and ``config.json`` when present). Raises PlotError for a
    directory that is no run (missing, no metrics.csv, a config.json that is not a JSON
    object); a metrics.csv that cannot be read whole is a :attr:`Run.problem` instead."""
    run_dir = Path(run_dir)
    metrics, config_path = run_dir / "metrics.csv", run_dir / "config.json"
    if not run_dir.is_dir():
        raise PlotError([_error(run_dir, "no such run directory")])
    if not metrics.is_file():
        raise PlotError([_error(run_dir, "not a run directory: it has no metrics.csv")])
    config: dict = {}
    if config_path.is_file():
        try:
            config = json.loads(config_path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise PlotError([_error(config_path, f"not valid JSON: {exc}")]) from None
        if not isinstance(config, dict):
            raise PlotError([_error(config_path, "expected a JSON object")])
    name, seed = _name_and_seed(run_dir, config)
    header, points, problem, torn = _read_metrics(metrics)
    columns: dict[str, Curve] = {}
    for col, pts in points.items():
        pts.sort(key=lambda p: p[0])
        columns[col] = (tuple(p[0] for p in pts), tuple(p[1] for p in pts))
    return Run(run_dir, name, seed, header, columns, config, problem, torn)


def _read_metrics(
    metrics: Path,
) -> tuple[tuple[str, ...], dict[str, list[tuple[float, float]]], str | None, bool]:
    """(header, points per column, problem, torn) of a metrics.csv: the rows up to the first
    one that cannot be read; ``torn`` when that is the last row, cut mid-row (no line end)."""
    points: dict[str, list[tuple[float, float]]] = {}
    try:
        text = metrics.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        return (), points, f"is not UTF-8 text (byte {exc.start})", False
    lines = text.splitlines(keepends=True)
    if not lines:
        return (), points, "is empty: no header row", False
    if not lines[0].endswith(("\n", "\r")):
        return (), points, "has a header row cut mid-row", False
    header = tuple(next(csv.reader([lines[0]])))
    if STEP not in header:
        return (
            header,
            points,
            f"has no {STEP!r} column in its header row ({','.join(header)})",
            False,
        )
    if len(set(header)) != len(header) or not all(header):
        return header, points, f"has a corrupt header row ({','.join(header)})", False
    step_at = header.index(STEP)
    for lineno, line in enumerate(lines[1:], start=2):
        if not line.endswith(("\n", "\r")):  # the last line, written in part
            return header, points, f"has its last row (line {lineno}) cut mid-row", True
        row = next(csv.reader([line]), [])
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            return (
                header,
                points,
                f"line {lineno} has {len(row)} cells, its header {len(header)}",
                False,
            )
        parsed: list[tuple[str, float]] = []
        for col, cell in zip(header, row):
            if cell.strip() or col == STEP:
                try:
                    parsed.append((col, float(cell)))
                except ValueError:
                    return (
                        header,
                        points,
                        f"line {lineno}: column {col!r} is not a number: {cell!r}",
                        False,
                    )
        step = dict(parsed)[STEP]
        if not math.isfinite(step):
            return header, points, f"line {lineno}: {STEP!r} is {row[step_at]!r}", False
        for col, value in parsed:
            if col != STEP:
                points.setdefault(col, []).append((step, value))
    return header, points, None, False


def load_runs(run_dirs: Iterable[str | Path]) -> list[Run]:
    """Every run, or one PlotError with the problems of all directories."""
    runs: list[Run] = []
    diags: list[Diagnostic] = []
    seen: set[Path] = set()
    for d in run_dirs:
        if Path(d).resolve() in seen:
            continue
        seen.add(Path(d).resolve())
        try:
            runs.append(load_run(d))
        except PlotError as exc:
            diags.extend(exc.diagnostics)
    if diags:
        raise PlotError(diags)
    return runs


def group_runs(runs: Iterable[Run]) -> dict[str, list[Run]]:
    """Runs by spec name: names sorted, runs in a group by seed (unknown seeds last), then path."""
    groups: dict[str, list[Run]] = {}
    for run in runs:
        groups.setdefault(run.name, []).append(run)
    return {
        name: sorted(groups[name], key=lambda r: (r.seed is None, r.seed or 0, str(r.path)))
        for name in sorted(groups)
    }


def _interp(xs: Sequence[float], ys: Sequence[float], x: float) -> float:
    """Linear interpolation at ``xs[0] <= x <= xs[-1]`` (``xs`` ascending)."""
    i = bisect_right(xs, x)
    if i >= len(xs):
        return ys[-1]
    x0, x1 = xs[i - 1], xs[i]
    if x == x0 or x1 == x0:
        return ys[i - 1]
    return ys[i - 1] + (ys[i] - ys[i - 1]) * (x - x0) / (x1 - x0)


def aggregate(runs: Sequence[Run], column: str, grid: Sequence[float] | None = None) -> Aggregate:
    """Mean and band of ``column`` over the runs whose values in it are all finite.

    Each run's curve is interpolated onto ``grid`` (default: every step at which any of these
    runs has a value), restricted to the overlap of the runs' step ranges. The band is the mean
    plus and minus one standard deviation over runs (``ddof=0``); with one run it is the curve.
    Empty when no run has values, or when their step ranges do not overlap. A run with a nan or
    an inf in ``column`` is not in the mean: it is one of ``diverged``.
    """
    with_values = [r for r in runs if column in r.columns]
    diverged = tuple(r for r in with_values if r.nonfinite(column) is not None)
    curves = [r.columns[column] for r in with_values if r not in diverged]
    if not curves:
        return Aggregate((), (), (), (), 0, diverged)
    lo, hi = max(c[0][0] for c in curves), min(c[0][-1] for c in curves)
    points = sorted({s for c in curves for s in c[0]} if grid is None else set(grid))
    steps = tuple(s for s in points if lo <= s <= hi)
    mean, low, high = [], [], []
    for s in steps:
        values = [_interp(xs, ys, s) for xs, ys in curves]
        m = sum(values) / len(values)
        sd = math.sqrt(sum((v - m) ** 2 for v in values) / len(values))
        mean.append(m)
        low.append(m - sd)
        high.append(m + sd)
    return Aggregate(steps, tuple(mean), tuple(low), tuple(high), len(curves), diverged)


def binned(curve: Curve, window: int) -> Curve:
    """A curve averaged over windows of ``window`` steps: for each window (k w, (k+1) w] that
    holds values, their mean at step (k+1) w. Streaming agents log one noisy return per
    episode; their learning curves read as such means (a nan or inf stays in its window)."""
    sums: dict[int, list[float]] = {}
    for step, value in zip(*curve):
        sums.setdefault(math.ceil(step / window), []).append(value)
    ends = sorted(sums)
    return tuple(float(k * window) for k in ends), tuple(sum(sums[k]) / len(sums[k]) for k in ends)


def _finite_part(run: Run, column: str) -> Curve:
    """A diverged run's curve up to (not including) its first nan or inf."""
    steps, values = run.columns[column]
    n = next(i for i, v in enumerate(values) if not math.isfinite(v))
    return steps[:n], values[:n]


def legend_label(name: str, group: Sequence[Run], agg: Aggregate) -> str:
    """``sac_dense (3 seeds)``; with runs that are not whole, ``sac_dense (2 of 4 seeds, 1
    incomplete; 2 diverged)``: the mean's runs of the group's, those of them that end early
    (the curve ends where the shortest ends), and those left out of the mean."""
    n, total = agg.n_seeds, len(group)
    seeds = f"{n} seed{'s' if n != 1 else ''}" if n == total else f"{n} of {total} seeds"
    incomplete = sum(1 for r in group if r.incomplete() and r not in agg.diverged)
    if incomplete:
        seeds += f", {incomplete} incomplete"
    if agg.diverged:
        seeds += f"; {len(agg.diverged)} diverged"
    return f"{name} ({seeds})"


def run_notes(runs: Sequence[Run], quantities: Sequence[str]) -> list[str]:
    """One line per run that is not drawn as it is: torn or unreadable metrics, a nan or an
    inf in a plotted quantity, or an incomplete run."""
    notes = []
    for r in runs:
        if r.problem is not None:
            what = "that row is left out" if r.torn else "the run is left out"
            notes.append(f"{r.path / 'metrics.csv'}: {r.problem}: {what}")
            if not r.torn:
                continue
        for q in quantities:
            bad = r.nonfinite(q)
            if bad is not None:
                notes.append(
                    f"{r.path}: diverged: {q} is {bad[1]} at step {bad[0]:g}: drawn dashed up to "
                    f"there, left out of the mean of {r.name}"
                )
        why = r.incomplete()
        if why:
            notes.append(f"{r.path}: incomplete: {why}")
    return notes


def _quantities(runs: Sequence[Run], metrics: Sequence[str]) -> list[str]:
    known = {c for r in runs for c in r.header if c != STEP}
    diags = []
    for m in metrics:
        if m == STEP:
            diags.append(
                _error(f"--metric {m}", f"{STEP!r} is the x axis of every plot, not a metric")
            )
        elif m not in known:
            diags.append(
                _error(
                    f"--metric {m}",
                    f"no run has a column {m!r}{did_you_mean(m, known)}",
                    "columns: " + ", ".join(sorted(known)),
                )
            )
    if diags:
        raise PlotError(diags)
    return list(dict.fromkeys([*DEFAULT_QUANTITIES, *metrics]))


def _figure_class():
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise MissingDependency(INSTALL_HINT) from None
    return Figure


def plot(
    run_dirs: Sequence[str | Path],
    out: str | Path,
    metrics: Sequence[str] = (),
    note: Callable[[str], None] | None = None,
    smooth: int = 0,
):
    """Draw one subplot per quantity (``eval_return``, ``episode_return``, then ``metrics``) with
    one line per spec name and its band over seeds; write the PNG to ``out`` atomically. With
    ``smooth`` > 0, each run's curves are first averaged over windows of that many steps
    (:func:`binned`).
    ``note`` gets one line per run that is not drawn as it is (:func:`run_notes`).

    Returns the matplotlib Figure. Raises MissingDependency without matplotlib, PlotError for
    bad run directories, metric names or output path (nothing is written then).
    """
    Figure = _figure_class()
    out = Path(out)
    diags: list[Diagnostic] = []
    if out.suffix.lower() != ".png":
        diags.append(_error(out, "the output file must end in .png"))
    try:
        loaded = load_runs(run_dirs)
    except PlotError as exc:
        raise PlotError(diags + exc.diagnostics) from None
    runs = [r for r in loaded if r.readable]
    if not runs and not diags:
        diags.append(
            _error(
                ", ".join(str(r.path) for r in loaded),
                "no run with readable metrics",
                *(f"{r.path / 'metrics.csv'} {r.problem}" for r in loaded),
            )
        )
    quantities = _quantities(runs, metrics) if not diags else []
    if diags:
        raise PlotError(diags)
    for line in run_notes(loaded, quantities):
        if note:
            note(line)
    if smooth > 0:
        runs = [
            replace(r, columns={c: binned(curve, smooth) for c, curve in r.columns.items()})
            for r in runs
        ]
    groups = group_runs(runs)

    ncols = min(len(quantities), 3)
    nrows = math.ceil(len(quantities) / ncols)
    fig = Figure(figsize=(5.5 * ncols, 4.0 * nrows), dpi=100, layout="constrained")
    banded = diverged = False
    for k, quantity in enumerate(quantities):
        ax = fig.add_subplot(nrows, ncols, k + 1)
        b, d = _draw_quantity(ax, groups, quantity)
        banded, diverged = banded or b, diverged or d
    title = (
        "mean over seeds; band: mean ± 1 standard deviation"
        if banded
        else "one seed per spec: no band"
    )
    if smooth > 0:
        title += f"; each run's values averaged over windows of {smooth:,} steps"
    if diverged:
        title += "; dashed: a diverged seed (x: its first nan or inf), not in the mean"
    fig.suptitle(title)
    buf = io.BytesIO()
    fig.savefig(
        buf, format="png", metadata={"Software": None}
    )  # no version or date: reproducible bytes
    write_atomic(out, buf.getvalue())
    return fig


def _draw_quantity(ax, groups: dict[str, list[Run]], quantity: str) -> tuple[bool, bool]:
    """One subplot: a line per spec name (mean over its seeds), its band where it has two seeds
    or more, and each diverged seed apart. Returns (a band was drawn, a diverged seed was)."""
    banded = diverged = False
    for i, (name, group) in enumerate(groups.items()):
        agg = aggregate(group, quantity)
        if not agg.steps and not agg.diverged:
            continue
        color = f"C{i % 10}"
        label = legend_label(name, group, agg)
        if agg.steps:
            ax.plot(
                agg.steps,
                agg.mean,
                color=color,
                label=label,
                marker="o" if len(agg.steps) == 1 else None,
            )
            label = None
        if agg.n_seeds >= 2:
            ax.fill_between(agg.steps, agg.low, agg.high, color=color, alpha=0.25, linewidth=0)
            banded = True
        for run in agg.diverged:  # apart: dashed to the last finite value, x where it ends
            xs, ys = _finite_part(run, quantity)
            ax.plot(xs, ys, color=color, linestyle="--", linewidth=0.8, label=label)
            label = None
            at = run.nonfinite(quantity)[0]
            ax.plot(
                [at], [0.0], transform=ax.get_xaxis_transform(), color=color, marker="x",
                markersize=8, linestyle="none", clip_on=False,
            )  # fmt: skip
            diverged = True
    ax.set_title(quantity)
    ax.set_xlabel(STEP)
    ax.grid(alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize="small")
    else:
        ax.text(0.5, 0.5, "no data", transform=ax.transAxes, ha="center", va="center", color="gray")
    return banded, diverged
