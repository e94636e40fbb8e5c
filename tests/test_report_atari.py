"""Atari-100k scoring (specc.catalog.atari and the Atari section of specc report): the games'
reference scores and human-normalised scores by hand, rliable's aggregates by hand and their
bootstrap intervals against rliable's own, and the section over run directories as a
generated script writes them."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import pytest

from specc.catalog import envs
from specc.catalog.atari import ATARI_100K, GAMES, UnknownGame, game, human_normalized
from specc.experiments.plot import group_runs, load_runs
from specc.experiments.report import (
    ALL_GAMES,
    DIVERGED,
    INCOMPLETE,
    UNKNOWN_GAME,
    _without_game,
    atari_aggregates,
    atari_csv_paths,
    atari_report,
    atari_rows,
    iqm,
    stratified_bootstrap_ci,
    stratified_bootstrap_cis,
)

np = pytest.importorskip("numpy")

STEPS = 100_000  # Atari-100k: one evaluation, at the end


# --------------------------------------------------------------------------- the catalog
def test_the_26_games_and_their_published_scores():
    assert len(GAMES) == 26 and GAMES == tuple(sorted(GAMES))
    assert set(GAMES) == set(envs.ATARI_100K_GAMES)  # the suite's task list
    # a few values as the sources print them (rliable's notebook; SPR's rlpyt_utils.py)
    assert (game("Pong").random, game("Pong").human, game("Pong").der) == (-20.7, 14.6, -19.3)
    assert (game("MsPacman").rom, game("MsPacman").human) == ("ms_pacman", 6951.6)
    assert (game("Frostbite").der, game("UpNDown").rom) == (866.8, "up_n_down")
    assert (game("CrazyClimber").random, game("CrazyClimber").der) == (10780.5, 16185.3)
    for g in ATARI_100K.values():
        assert g.human > g.random, g.name
        assert g.rom == g.rom.lower() and " " not in g.rom


def test_every_rom_id_is_one_ale_py_has():
    roms = pytest.importorskip("ale_py.roms")
    for g in ATARI_100K.values():
        path = roms.get_rom_path(g.rom)
        assert path is not None and Path(path).is_file(), g.rom


def test_human_normalized_scores_by_hand():
    # Pong: random -20.7, human 14.6; a score of 0 is 20.7 / 35.3 of the way
    assert human_normalized("Pong", 0.0) == pytest.approx(20.7 / 35.3)
    assert human_normalized("Pong", 0.0) == pytest.approx(0.5864022663, abs=1e-10)
    assert human_normalized("Pong", -20.7) == 0.0
    assert human_normalized("Pong", 14.6) == pytest.approx(1.0)
    # Breakout: random 1.7, human 30.5; 16.1 is halfway, 59.3 twice the human's margin
    assert human_normalized("Breakout", 16.1) == pytest.approx(0.5)
    assert human_normalized("Breakout", 59.3) == pytest.approx(2.0)
    assert human_normalized("Breakout", 0.0) == pytest.approx(-1.7 / 28.8)
    assert game("Breakout").human_normalized(16.1) == human_normalized("Breakout", 16.1)


@pytest.mark.parametrize(
    "name, hint",
    [
        ("Pongg", "did you mean 'Pong'?"),
        ("ms_pacman", "did you mean 'MsPacman'?"),  # its ROM id
        ("pong", "did you mean 'Pong'?"),
        ("up_n_down", "did you mean 'UpNDown'?"),
        ("Tennis", "(the 26 games, as the papers write them: Alien, Amidar,"),
    ],
)
def test_an_unknown_game_says_which_was_meant(name, hint):
    with pytest.raises(UnknownGame) as exc:
        human_normalized(name, 1.0)
    assert str(exc.value).startswith(f"{name!r} is not an Atari-100k game")
    assert hint in str(exc.value)
    assert isinstance(exc.value, ValueError)


def test_tennis_suggests_nothing():
    with pytest.raises(UnknownGame, match="game \\(the 26 games"):
        game("Tennis")


# --------------------------------------------------------------------------- the aggregates
# 4 runs x 3 games of human-normalised scores
MATRIX = [[0.0, 1.0, -0.1], [0.2, 1.2, 0.1], [0.4, 0.8, 0.3], [0.6, 1.4, 2.0]]


def test_aggregates_by_hand():
    a = atari_aggregates(MATRIX, reps=200)
    # IQM: the 12 scores sorted, 3 cut at each end: 0.2 0.3 0.4 0.6 0.8 1.0 -> 3.3 / 6
    assert a["iqm"].point == pytest.approx(0.55)
    # the games' means: 0.3, 1.1, 0.575
    assert a["mean"].point == pytest.approx((0.3 + 1.1 + 0.575) / 3)
    assert a["median"].point == pytest.approx(0.575)
    # max(0, 1 - x): 1 .8 .6 .4 | 0 0 .2 0 | 1.1 .9 .7 0 -> 5.7 / 12
    assert a["optimality_gap"].point == pytest.approx(0.475)
    assert list(a) == ["iqm", "mean", "median", "optimality_gap"]
    for e in a.values():
        assert e.ci_low <= e.ci_high


def test_one_run_per_game_leaves_nothing_to_resample():
    a = atari_aggregates([[0.5, 2.0, -1.0]], reps=100)
    assert a["median"].point == 0.5 and a["mean"].point == pytest.approx(0.5)
    # the one run of each game is every resample: each interval is its point
    for e in a.values():
        assert e.ci_low == pytest.approx(e.point) and e.ci_high == pytest.approx(e.point)
    assert a["optimality_gap"].point == pytest.approx((0.5 + 0.0 + 2.0) / 3)


def test_aggregates_refuse_what_is_no_matrix():
    with pytest.raises(ValueError, match="runs x games matrix"):
        atari_aggregates([1.0, 2.0])


def _rliable(scores, reps: int, seed: int):
    rly = pytest.importorskip("rliable.library")
    metrics = pytest.importorskip("rliable.metrics")

    def aggregate(x):
        return np.array(
            [
                metrics.aggregate_iqm(x),
                metrics.aggregate_mean(x),
                metrics.aggregate_median(x),
                metrics.aggregate_optimality_gap(x),
            ]
        )

    np.random.seed(seed)  # rliable resamples with numpy's global generator
    point, interval = rly.get_interval_estimates({"x": np.asarray(scores)}, aggregate, reps=reps)
    return point["x"], interval["x"]


@pytest.mark.parametrize("seed", [0, 11])
def test_intervals_are_rliables(seed):
    rng = np.random.RandomState(5)
    for scores in (np.array(MATRIX), rng.gamma(1.0, 0.7, size=(5, 26)), rng.normal(size=(3, 2))):
        point, interval = _rliable(scores, reps=1000, seed=seed)
        a = atari_aggregates(scores, reps=1000, seed=seed)
        ours = [x for e in a.values() for x in (e.point, e.ci_low, e.ci_high)]
        theirs = [float(x) for t in zip(point, interval[0], interval[1]) for x in t]
        assert ours == pytest.approx(theirs, rel=1e-12, abs=1e-15)


def test_the_iqm_interval_is_the_reports_own():
    """One bootstrap for both: the IQM interval of the aggregates is stratified_bootstrap_ci's."""
    scores = np.random.RandomState(2).normal(size=(6, 3))
    a = atari_aggregates(scores, reps=500, seed=4)
    assert (a["iqm"].ci_low, a["iqm"].ci_high) == stratified_bootstrap_ci(scores, 500, seed=4)
    assert a["iqm"].point == iqm(scores)
    (interval,) = stratified_bootstrap_cis(scores, [lambda x: x.max(axis=(1, 2))], 500, seed=4)
    assert interval[1] == pytest.approx(scores.max())  # the best run is in most resamples


# --------------------------------------------------------------------------- run directories
def atari_config(game_name: str, seed: int) -> dict:
    """The config.json of a run of suite atari: its Config as the script writes it (env_id,
    the suite's protocol keys at their defaults, seed, total_steps and eval_every)."""
    suite = envs.suite("atari")
    protocol = {k: suite.defaults[f"env.{k}"] for k in suite.env_keys}
    return {
        "env_id": game_name,
        **protocol,
        "seed": seed,
        "total_steps": STEPS,
        "eval_every": STEPS,
    }


def make_run(root: Path, name: str, final, config: dict, finished: bool = True) -> Path:
    """A run directory as a generated script writes it: one evaluation (``final``, written as
    given: ``"nan"`` too) at step 100,000, config.json, and model.pt when finished."""
    d = root / name
    d.mkdir(parents=True)
    (d / "metrics.csv").write_text(f"step,time,episode_return,eval_return\n{STEPS},0.1,,{final}\n")
    (d / "config.json").write_text(json.dumps(config))
    if finished:
        (d / "model.pt").write_bytes(b"")
    return d


def hns_to_score(game_name: str, h: float) -> float:
    g = ATARI_100K[game_name]
    return round(g.random + h * (g.human - g.random), 6)


# human-normalised final scores, seeds 1, 2, 3
RUNS = {
    ("dense", "Breakout"): [0.25, 0.5, 0.75],
    ("dense", "Pong"): [0.0, 1.0, 2.0],
    ("sparse", "Breakout"): [0.0, 0.1, 0.2],
    ("sparse", "Pong"): [-0.1, 0.3, 0.5],
}


def test_report_over_two_games_two_variants_three_seeds(tmp_path):
    runs = tmp_path / "runs"
    for (variant, name), hs in RUNS.items():
        for seed, h in enumerate(hs, start=1):
            make_run(
                runs, f"{variant}__{name}__{seed}", hns_to_score(name, h), atari_config(name, seed)
            )
    diverged = make_run(runs, "sparse__Pong__4", "nan", atari_config("Pong", 4))
    make_run(
        runs,
        "sac__1",
        5.0,
        {"env_id": "Pendulum-v1", "seed": 1, "total_steps": STEPS, "eval_every": STEPS},
    )
    groups = group_runs(load_runs(sorted(runs.iterdir())))
    assert list(groups) == [
        "dense__Breakout",
        "dense__Pong",
        "sac",
        "sparse__Breakout",
        "sparse__Pong",
    ]

    dense, sparse = atari_rows(groups, reps=2000, seed=3)  # sac is no Atari run
    assert (dense.variant, dense.games, dense.runs_text) == (
        "dense",
        ("Breakout", "Pong"),
        "6 of 6",
    )
    assert (sparse.variant, sparse.runs_text) == ("sparse", "6 of 7 (1 diverged)")
    assert [x.kind for x in sparse.left_out] == [DIVERGED]
    assert [(r.game, r.seed) for r in dense.runs] == [("Breakout", s) for s in (1, 2, 3)] + [
        ("Pong", s) for s in (1, 2, 3)
    ]
    assert [r.normalized for r in dense.runs] == pytest.approx([0.25, 0.5, 0.75, 0.0, 1.0, 2.0])
    # dense: 0 .25 .5 .75 1 2 -> IQM of .25 .5 .75 1; game means .5 and 1; gap (1.5 + 1) / 6
    # sparse: -.1 0 .1 .2 .3 .5 -> IQM of 0 .1 .2 .3; game means .1 and .7/3; gap (2.7 + 2.3) / 6
    by_hand = {
        "dense": {"iqm": 0.625, "mean": 0.75, "median": 0.75, "optimality_gap": 2.5 / 6},
        "sparse": {"iqm": 0.15, "mean": 1 / 6, "median": 1 / 6, "optimality_gap": 5 / 6},
    }
    for row in (dense, sparse):
        assert {k: e.point for k, e in row.aggregates.items()} == pytest.approx(
            by_hand[row.variant]
        )

    text = atari_report(groups, reps=2000, seed=3, csv_path=tmp_path / "r.csv")
    lines = text.splitlines()
    assert "## Atari-100k: human-normalised final scores over games" in lines
    header = "| variant | games | runs | IQM [95% CI] | mean [95% CI] | median [95% CI] | optimality gap [95% CI] |"
    assert lines[lines.index(header) + 1] == "|---|---:|---:|---:|---:|---:|---:|"
    for row, runs_text in ((dense, "6 of 6"), (sparse, "6 of 7 (1 diverged)")):
        matrix = (
            np.array(RUNS[(row.variant, "Breakout")] + RUNS[(row.variant, "Pong")]).reshape(2, 3).T
        )
        point, interval = _rliable(matrix, reps=2000, seed=3)
        cells = " | ".join(
            f"{p:.3f} [{lo:.3f}, {hi:.3f}]" for p, lo, hi in zip(point, interval[0], interval[1])
        )
        assert f"| {row.variant} | 2 of 26 | {runs_text} | {cells} |" in lines
    # per game: the mean final score (mean human-normalised), DER's published one beside
    assert "| game | random | human | DER | dense | sparse |" in lines
    assert "| Breakout | 1.7 | 30.5 | 1.9 (0.007) | 16.1 (0.500) | 4.6 (0.100) |" in lines
    assert "| Pong | -20.7 | 14.6 | -19.3 (0.040) | 14.6 (1.000) | -12.5 (0.233) |" in lines
    assert f"- {diverged}: diverged: eval_return is nan at step {STEPS}" in lines
    assert "Left out of the Atari-100k figures (1 run):" in lines
    assert not any("sac" in line for line in lines)

    per_variant, per_run = atari_csv_paths(tmp_path / "r.csv")
    assert (per_variant.name, per_run.name) == ("r.atari.csv", "r.atari_runs.csv")
    assert lines[-2:] == [f"wrote {per_variant}", f"wrote {per_run}"]
    rows = list(csv.DictReader(open(per_variant)))
    assert [r["variant"] for r in rows] == ["dense", "sparse"]
    assert (rows[1]["games"], rows[1]["runs_counted"], rows[1]["runs"], rows[1][DIVERGED]) == (
        "2",
        "6",
        "7",
        "1",
    )
    assert float(rows[0]["iqm"]) == pytest.approx(0.625)
    assert float(rows[1]["optimality_gap"]) == pytest.approx(5 / 6)
    assert float(rows[1]["Pong_hns_mean"]) == pytest.approx(0.7 / 3)
    assert float(rows[0]["Breakout_final_mean"]) == pytest.approx(16.1)
    low, high = float(rows[0]["iqm_ci_low"]), float(rows[0]["iqm_ci_high"])
    assert (low, high) == (dense.aggregates["iqm"].ci_low, dense.aggregates["iqm"].ci_high)
    long = list(csv.DictReader(open(per_run)))
    assert len(long) == 12
    first = long[0]
    assert (first["variant"], first["game"], first["seed"]) == ("dense", "Breakout", "1")
    assert float(first["human_normalized"]) == pytest.approx(0.25)
    assert float(first["final"]) == hns_to_score("Breakout", 0.25)


def test_a_sweep_over_games_is_grouped_by_its_other_values(tmp_path):
    """A sweep's variants id_<game>__level_<x>: one row per level, its swept values without
    env.id; a run not started counts as incomplete, a variant with no run still names its game."""
    runs = tmp_path / "sweep"
    level = "networks.critic.sparsity.level"
    groups, values = {}, {}
    for lv in ("0p5", "0p9"):
        for name in ("Pong", "Breakout"):
            variant = f"id_{name.lower()}__level_{lv}"
            values[variant] = {"env.id": name, level: lv.replace("p", ".")}
            groups[variant] = [
                r
                for seed in (1, 2)
                for r in load_runs(
                    [
                        make_run(
                            runs,
                            f"{variant}__{seed}",
                            hns_to_score(name, 0.1 * seed),
                            atari_config(name, seed),
                        )
                    ]
                )
            ]
    groups["id_pong__level_0p9"] = []  # nothing started
    missing = {"id_pong__level_0p9": [("sweep/id_pong__level_0p9__1", "not started")]}
    half, most = atari_rows(groups, values, reps=300, missing=missing)
    assert (half.variant, half.values, half.games) == (
        "level_0p5",
        {level: "0.5"},
        ("Breakout", "Pong"),
    )
    assert half.aggregates is not None and half.aggregates["median"].point == pytest.approx(0.15)
    assert (most.variant, most.games, most.runs_text) == (
        "level_0p9",
        ("Breakout", "Pong"),
        "2 of 3 (1 incomplete)",
    )
    assert most.left_out[0].kind == INCOMPLETE
    # Pong has no run that counts: no aggregate over Breakout alone
    assert most.aggregates is None
    assert most.problem.startswith(
        "its games have unequal numbers of runs that count (Breakout 2, Pong 0)"
    )


def test_game_parts_are_taken_out_of_names():
    assert _without_game("id_pong__level_0p9", ["Pong"]) == "level_0p9"
    assert _without_game("level_0p9__env_id_mspacman", ["MsPacman"]) == "level_0p9"
    assert _without_game("der__UpNDown", ["UpNDown"]) == "der"
    assert _without_game("id_pong", ["Pong"]) == ALL_GAMES
    assert _without_game("der_pong", ["Pong"]) == "der_pong"  # not a part of its own


def test_unequal_runs_per_game_give_no_figures_and_say_why(tmp_path):
    runs = tmp_path / "runs"
    for seed in (1, 2, 3):
        make_run(runs, f"v__Pong__{seed}", 0.0, atari_config("Pong", seed))
    for seed in (1, 2):
        make_run(runs, f"v__Breakout__{seed}", 10.0, atari_config("Breakout", seed))
    make_run(runs, "v__Breakout__3", 10.0, atari_config("Breakout", 3), finished=False)
    groups = group_runs(load_runs(sorted(runs.iterdir())))
    text = atari_report(groups, reps=100)
    assert "| v | 2 of 26 | 5 of 6 (1 incomplete) | - | - | - | - |" in text
    assert (
        "- v: no figures: its games have unequal numbers of runs that count (Breakout 2, Pong 3):"
        " rliable's stratified bootstrap takes a runs x games matrix"
    ) in text
    assert f"- {runs / 'v__Breakout__3'}: incomplete: not finished (no model.pt)" in text


def test_a_run_of_an_unknown_game_is_left_out_with_the_reason(tmp_path):
    runs = tmp_path / "runs"
    make_run(runs, "v__Pong__1", 0.0, atari_config("Pong", 1))
    tennis = make_run(runs, "v__Tennis__1", 3.0, atari_config("Tennis", 1))
    groups = group_runs(load_runs(sorted(runs.iterdir())))
    rows = atari_rows(groups, reps=100)
    assert [r.variant for r in rows] == ["v"]
    (left,) = rows[0].left_out
    assert (left.path, left.kind) == (str(tennis), UNKNOWN_GAME)
    assert left.reason.startswith("'Tennis' is not an Atari-100k game")
    assert rows[0].runs_text == "1 of 2 (1 unknown game)"
    assert rows[0].aggregates["iqm"].point == pytest.approx(20.7 / 35.3)


def test_runs_of_other_suites_add_nothing(tmp_path):
    """No Atari run: the section is empty and writes nothing, so such reports stay as they are."""
    runs = tmp_path / "runs"
    config = {"env_id": "Pong", "seed": 1, "total_steps": STEPS, "eval_every": STEPS}
    make_run(runs, "a__1", 1.0, config)  # env_id a game's name, but no Atari protocol keys
    groups = group_runs(load_runs(sorted(runs.iterdir())))
    assert atari_rows(groups) == []
    assert atari_report(groups, csv_path=tmp_path / "r.csv") == ""
    assert not list(tmp_path.glob("r.*"))
    assert math.isclose(human_normalized("Pong", 1.0), 21.7 / 35.3)
