"""``specc plot``: learning curves of finished (or running) runs, one curve per spec.

A run directory is what a generated script writes: ``metrics.csv`` (a ``step`` column and one
column per metric, empty cells where a value does not apply) and ``config.json``. Runs are
grouped by spec name: ``config.json``'s ``"name"`` when it has one, otherwise the directory
name without its ``__<seed>`` suffix (``runs/sac_dense__3`` -> ``sac_dense``;
``runs/learn/sac_dense__Pendulum-v1__3`` -> ``sac_dense__Pendulum-v1``). Within a group each
seed's curve is interpolated linearly onto a common step grid over the steps all seeds cover;
the figure shows the mean and, with two or more seeds, a band of one standard deviation
(population convention, ``ddof=0``; with two seeds it spans exactly their min and max).

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
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

from .diagnostics import Diagnostic, Location, SpecError, did_you_mean
from .writer import write_atomic

STEP = "step"
DEFAULT_QUANTITIES = ("eval_return", "episode_return")
INSTALL_HINT = "specc plot needs matplotlib: pip install 'specc[plot]'"
_SEED_SUFFIX = re.compile(r"^(?P<name>.+)__(?P<seed>\d+)$")

Curve = tuple[tuple[float, ...], tuple[float, ...]]  # (steps, values), ascending steps


class PlotError(SpecError):
    """Bad run directories or metric names; carries every problem found (nothing is written)."""


class MissingDependency(Exception):
    """matplotlib (the ``plot`` extra) is not installed."""


@dataclass(frozen=True)
class Run:
    path: Path
    name: str
    seed: int | None
    header: tuple[str, ...]
    columns: dict[str, Curve]  # every column but ``step`` that has at least one value


@dataclass(frozen=True)
class Aggregate:
    steps: tuple[float, ...]
    mean: tuple[float, ...]
    low: tuple[float, ...]
    high: tuple[float, ...]
    n_seeds: int  # runs that have values in this column


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
    """Read ``run_dir/metrics.csv`` (and ``config.json`` when present); raise PlotError."""
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

    try:
        with open(metrics, newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f))
    except UnicodeDecodeError:
        raise PlotError([_error(metrics, "not UTF-8 text")]) from None
    if not rows:
        raise PlotError([_error(metrics, "empty file: no header row")])
    header = tuple(rows[0])
    if STEP not in header:
        raise PlotError(
            [
                _error(
                    metrics, f"no {STEP!r} column in the header row", "header: " + ",".join(header)
                )
            ]
        )
    step_at = header.index(STEP)
    points: dict[str, list[tuple[float, float]]] = {}
    for lineno, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        cells = dict(zip(header, row))  # a short last row (a run killed mid-write) is fine
        try:
            step = float(row[step_at])
        except (IndexError, ValueError):
            raise PlotError(
                [
                    _error(
                        metrics,
                        f"line {lineno}: {STEP!r} is not a number: {row[step_at] if step_at < len(row) else ''!r}",
                    )
                ]
            ) from None
        for col, cell in cells.items():
            if col == STEP or not cell.strip():
                continue
            try:
                value = float(cell)
            except ValueError:
                raise PlotError(
                    [_error(metrics, f"line {lineno}: column {col!r} is not a number: {cell!r}")]
                ) from None
            if math.isfinite(value):
                points.setdefault(col, []).append((step, value))
    columns: dict[str, Curve] = {}
    for col, pts in points.items():
        pts.sort(key=lambda p: p[0])
        columns[col] = (tuple(p[0] for p in pts), tuple(p[1] for p in pts))
    return Run(run_dir, name, seed, header, columns)


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
    """Mean and band of ``column`` over the runs that have values in it.

    Each run's curve is interpolated onto ``grid`` (default: every step at which any of these
    runs has a value), restricted to the overlap of the runs' step ranges. The band is the mean
    plus and minus one standard deviation over runs (``ddof=0``); with one run it is the curve.
    Empty when no run has values, or when their step ranges do not overlap.
    """
    curves = [r.columns[column] for r in runs if column in r.columns]
    if not curves:
        return Aggregate((), (), (), (), 0)
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
    return Aggregate(steps, tuple(mean), tuple(low), tuple(high), len(curves))


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


def plot(run_dirs: Sequence[str | Path], out: str | Path, metrics: Sequence[str] = ()):
    """Draw one subplot per quantity (``eval_return``, ``episode_return``, then ``metrics``) with
    one line per spec name and its band over seeds; write the PNG to ``out`` atomically.

    Returns the matplotlib Figure. Raises MissingDependency without matplotlib, PlotError for
    bad run directories, metric names or output path (nothing is written then).
    """
    Figure = _figure_class()
    out = Path(out)
    diags: list[Diagnostic] = []
    if out.suffix.lower() != ".png":
        diags.append(_error(out, "the output file must end in .png"))
    try:
        runs = load_runs(run_dirs)
    except PlotError as exc:
        raise PlotError(diags + exc.diagnostics) from None
    quantities = _quantities(runs, metrics) if not diags else []
    if diags:
        raise PlotError(diags)
    groups = group_runs(runs)

    ncols = min(len(quantities), 3)
    nrows = math.ceil(len(quantities) / ncols)
    fig = Figure(figsize=(5.5 * ncols, 4.0 * nrows), dpi=100, layout="constrained")
    banded = False
    for k, quantity in enumerate(quantities):
        ax = fig.add_subplot(nrows, ncols, k + 1)
        for i, (name, group) in enumerate(groups.items()):
            agg = aggregate(group, quantity)
            if not agg.steps:
                continue
            color = f"C{i % 10}"
            label = f"{name} ({agg.n_seeds} seed{'s' if agg.n_seeds != 1 else ''})"
            ax.plot(
                agg.steps,
                agg.mean,
                color=color,
                label=label,
                marker="o" if len(agg.steps) == 1 else None,
            )
            if agg.n_seeds >= 2:
                ax.fill_between(agg.steps, agg.low, agg.high, color=color, alpha=0.25, linewidth=0)
                banded = True
        ax.set_title(quantity)
        ax.set_xlabel(STEP)
        ax.grid(alpha=0.3)
        if ax.get_lines():
            ax.legend(fontsize="small")
        else:
            ax.text(
                0.5, 0.5, "no data", transform=ax.transAxes, ha="center", va="center", color="gray"
            )
    fig.suptitle(
        "mean over seeds; band: mean ± 1 standard deviation"
        if banded
        else "one seed per spec: no band"
    )
    buf = io.BytesIO()
    fig.savefig(
        buf, format="png", metadata={"Software": None}
    )  # no version or date: reproducible bytes
    write_atomic(out, buf.getvalue())
    return fig
