"""`specc plot`: loading run directories, grouping by spec, mean and band over seeds, the PNG."""

import json
import math
import sys

import pytest
from conftest import run_specc

from specc.cli import main
from specc.experiments.plot import aggregate, group_runs, load_run, load_runs, plot

HEADER = "step,time,episode_return,eval_return,sps,critic_loss,actor_loss,alpha,critic_sparsity"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def make_run(root, dirname, rows, config=None, header=HEADER):
    """A run directory as a generated script writes it; rows are dicts of the non-empty cells."""
    d = root / dirname
    d.mkdir(parents=True)
    cols = header.split(",")
    lines = [header] + [",".join(str(r.get(c, "")) for c in cols) for r in rows]
    (d / "metrics.csv").write_text("\n".join(lines) + "\n")
    if config is not None:
        (d / "config.json").write_text(json.dumps(config))
    return d


def alpha_rows(seed):
    """alpha_spec: eval_return = seed * step / 100 at steps 100, 200, 300; episodes every 50 steps."""
    rows = []
    for step in range(50, 301, 50):
        rows.append({"step": step, "time": step / 1000, "episode_return": seed * step})
        if step % 100 == 0:
            rows.append(
                {
                    "step": step,
                    "time": step / 1000,
                    "eval_return": seed * step / 100,
                    "critic_loss": 1.0,
                    "critic_sparsity": 0.9,
                }
            )
    return rows


def beta_rows(seed):
    """beta_spec: episodes at different steps per seed (seed 1: 50, 150, 250; seed 2: 100, 200, 300)."""
    first = 50 if seed == 1 else 100
    rows = []
    for k, step in enumerate(range(first, first + 201, 100)):
        value = (10 + 10 * k) if seed == 1 else 10 * k
        rows.append({"step": step, "time": 0.1, "episode_return": value})
        rows.append({"step": step, "time": 0.1, "eval_return": value, "critic_loss": 2.0 * seed})
    return rows


@pytest.fixture
def runs_root(tmp_path):
    root = tmp_path / "runs"
    for seed in (1, 2, 3):
        make_run(
            root, f"alpha_spec__{seed}", alpha_rows(seed), {"seed": seed, "env_id": "Pendulum-v1"}
        )
    for seed in (1, 2):
        make_run(
            root, f"beta_spec__{seed}", beta_rows(seed), {"seed": seed, "env_id": "Pendulum-v1"}
        )
    return root


def test_load_run_reads_non_empty_cells(runs_root):
    run = load_run(runs_root / "alpha_spec__2")
    assert (run.name, run.seed) == ("alpha_spec", 2)
    assert run.header == tuple(HEADER.split(","))
    assert run.columns["eval_return"] == ((100.0, 200.0, 300.0), (2.0, 4.0, 6.0))
    assert run.columns["episode_return"][0] == (50.0, 100.0, 150.0, 200.0, 250.0, 300.0)
    assert "alpha" not in run.columns and "step" not in run.columns  # no values / the x axis


def test_name_and_seed_rules(tmp_path):
    rows = [{"step": 1, "episode_return": 0}]
    # the directory name without its __<seed> suffix; the seed from config.json wins
    run = load_run(make_run(tmp_path, "sac_dense__Pendulum-v1__7", rows, {"seed": 8}))
    assert (run.name, run.seed) == ("sac_dense__Pendulum-v1", 8)
    # no config.json: the seed from the directory name
    assert (load_run(make_run(tmp_path, "td3__4", rows)).seed) == 4
    # no suffix: the whole directory name; a name in config.json wins over the directory
    assert load_run(make_run(tmp_path, "quickstart", rows, {"seed": 1})).name == "quickstart"
    assert (
        load_run(make_run(tmp_path, "x__2", rows, {"name": "mst_sac", "seed": 2})).name == "mst_sac"
    )


def test_group_runs_by_name_then_seed(runs_root):
    dirs = sorted(runs_root.iterdir(), reverse=True)
    groups = group_runs(load_runs(dirs))
    assert list(groups) == ["alpha_spec", "beta_spec"]
    assert [r.seed for r in groups["alpha_spec"]] == [1, 2, 3]
    assert [r.seed for r in groups["beta_spec"]] == [1, 2]


def test_aggregate_mean_and_one_std_band(runs_root):
    groups = group_runs(load_runs(runs_root.iterdir()))
    agg = aggregate(groups["alpha_spec"], "eval_return")
    # seeds give 1,2,3 / 2,4,6 / 3,6,9: mean 2,4,6, population std sqrt(2/3) * (1, 2, 3)
    assert agg.n_seeds == 3 and agg.steps == (100.0, 200.0, 300.0)
    assert agg.mean == pytest.approx((2.0, 4.0, 6.0))
    sd = [math.sqrt(2 / 3) * k for k in (1, 2, 3)]
    assert agg.low == pytest.approx([m - s for m, s in zip((2, 4, 6), sd)])
    assert agg.high == pytest.approx([m + s for m, s in zip((2, 4, 6), sd)])


def test_aggregate_interpolates_onto_the_overlap(runs_root):
    groups = group_runs(load_runs(runs_root.iterdir()))
    agg = aggregate(groups["beta_spec"], "episode_return")
    # seed 1: (50,10) (150,20) (250,30); seed 2: (100,0) (200,10) (300,20); overlap [100, 250]
    # seed 1 at 100..250 step 50: 15 20 25 30; seed 2: 0 5 10 15
    assert agg.steps == (100.0, 150.0, 200.0, 250.0)
    assert agg.mean == pytest.approx((7.5, 12.5, 17.5, 22.5))
    assert agg.low == pytest.approx((0.0, 5.0, 10.0, 15.0))  # two seeds: the band is min..max
    assert agg.high == pytest.approx((15.0, 20.0, 25.0, 30.0))
    # an explicit grid, points outside the overlap dropped
    agg = aggregate(groups["beta_spec"], "episode_return", grid=[0, 125, 250, 300])
    assert agg.steps == (125, 250) and agg.mean == pytest.approx((10.0, 22.5))


def test_aggregate_one_seed_and_missing_column(runs_root):
    runs = load_runs([runs_root / "alpha_spec__1"])
    agg = aggregate(runs, "eval_return")
    assert agg.n_seeds == 1 and agg.low == agg.mean == agg.high == (1.0, 2.0, 3.0)
    assert aggregate(runs, "alpha") == aggregate(runs, "no_such_column")
    assert aggregate(runs, "alpha").steps == () and aggregate(runs, "alpha").n_seeds == 0


def test_plot_draws_one_line_and_band_per_spec(runs_root, tmp_path):
    out = tmp_path / "fig.png"
    fig = plot(sorted(runs_root.iterdir()), out, ["critic_loss", "eval_return"])
    assert [ax.get_title() for ax in fig.axes] == ["eval_return", "episode_return", "critic_loss"]
    for ax in fig.axes:
        assert [line.get_label() for line in ax.get_lines()] == [
            "alpha_spec (3 seeds)",
            "beta_spec (2 seeds)",
        ]
        assert len(ax.collections) == 2  # one shaded band per spec
    assert "standard deviation" in fig._suptitle.get_text()
    data = out.read_bytes()
    assert data.startswith(PNG_SIGNATURE)
    again = tmp_path / "again.png"
    plot(sorted(runs_root.iterdir()), again, ["critic_loss"])
    assert again.read_bytes() == data, "the same runs must give the same bytes"


def test_cli_writes_a_png(runs_root, tmp_path):
    out = tmp_path / "plots" / "curves.png"
    r = run_specc(
        "plot",
        *map(str, sorted(runs_root.iterdir())),
        "-o",
        str(out),
        "--metric",
        "critic_sparsity",
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == f"wrote {out}"
    assert out.read_bytes().startswith(PNG_SIGNATURE)


def test_without_matplotlib_says_how_to_install(runs_root, tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # makes `import matplotlib...` fail
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    out = tmp_path / "fig.png"
    assert main(["plot", str(runs_root / "alpha_spec__1"), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.strip() == "specc: error: specc plot needs matplotlib: pip install 'specc[plot]'"
    assert not out.exists()


def test_unknown_metric_is_an_error(runs_root, tmp_path):
    out = tmp_path / "fig.png"
    r = run_specc(
        "plot", str(runs_root / "alpha_spec__1"), "-o", str(out), "--metric", "critic_los"
    )
    assert r.returncode == 2
    assert (
        "--metric critic_los: error: no run has a column 'critic_los'; did you mean one of 'critic_loss',"
        in r.stderr
    )
    assert (
        "note: columns: actor_loss, alpha, critic_loss, critic_sparsity, episode_return,"
        in r.stderr
    )
    assert "Traceback" not in r.stderr and not out.exists()
    r = run_specc("plot", str(runs_root / "alpha_spec__1"), "-o", str(out), "--metric", "step")
    assert r.returncode == 2 and "'step' is the x axis" in r.stderr and not out.exists()


def test_bad_run_directories_are_all_reported(runs_root, tmp_path, capsys):
    empty = tmp_path / "empty__1"
    empty.mkdir()
    bad_json = make_run(tmp_path, "json__1", [{"step": 10, "episode_return": 1}])
    (bad_json / "config.json").write_text("{")
    out = tmp_path / "fig.png"
    rc = main(
        [
            "plot",
            str(runs_root / "alpha_spec__1"),
            str(empty),
            str(tmp_path / "nope"),
            str(bad_json),
            "-o",
            str(out),
        ]
    )
    err = capsys.readouterr().err
    assert rc == 2
    assert f"{empty}: error: not a run directory: it has no metrics.csv" in err
    assert f"{tmp_path / 'nope'}: error: no such run directory" in err
    assert f"{bad_json / 'config.json'}: error: not valid JSON" in err
    assert "3 errors found; nothing was written." in err
    assert not out.exists()
    assert main(["plot", str(runs_root / "alpha_spec__1"), "-o", str(tmp_path / "fig.pdf")]) == 2
    assert "must end in .png" in capsys.readouterr().err


# --------------------------------------------------------------------------- runs that are not whole
def write_metrics(d, text):
    (d / "metrics.csv").write_text(text)
    return d


def test_a_torn_last_row_is_left_out_and_a_corrupt_file_is_a_problem(tmp_path):
    rows = [{"step": 100, "eval_return": 1.0}, {"step": 200, "eval_return": 2.0}]
    d = make_run(tmp_path, "t__1", rows)
    # killed (or read) while writing its third row: "-150.5" cut to "-15"
    with open(d / "metrics.csv", "a") as f:
        f.write("300,0.3,,-15")
    run = load_run(d)
    assert run.columns["eval_return"] == ((100.0, 200.0), (1.0, 2.0))
    assert (run.problem, run.torn, run.readable) == (
        "has its last row (line 4) cut mid-row",
        True,
        True,
    )
    header = HEADER.replace("step", "stp")
    run = load_run(make_run(tmp_path, "h__1", rows, header=header))
    assert run.problem == f"has no 'step' column in its header row ({header})"
    assert not run.readable and run.columns == {}
    short = write_metrics(make_run(tmp_path, "s__1", rows), HEADER + "\n100,0.1\n200" + "," * 8)
    assert load_run(short).problem == "line 2 has 2 cells, its header 9"
    oops = make_run(tmp_path, "o__1", [{"step": 10, "episode_return": "oops"}])
    assert load_run(oops).problem == "line 2: column 'episode_return' is not a number: 'oops'"
    cut = write_metrics(make_run(tmp_path, "c__1", rows), HEADER[:20])
    assert load_run(cut).problem == "has a header row cut mid-row"
    assert load_run(write_metrics(make_run(tmp_path, "e__1", rows), "")).problem == (
        "is empty: no header row"
    )


def test_nan_and_inf_runs_are_left_out_of_the_mean_and_drawn_apart(runs_root, tmp_path):
    """Before, a nan was dropped silently and the curve went on with the run's other values."""
    diverged = alpha_rows(4)
    diverged[-1]["eval_return"] = "nan"  # step 300
    make_run(runs_root, "alpha_spec__4", diverged, {"seed": 4})
    infinite = alpha_rows(5)
    infinite[5]["eval_return"] = "inf"  # step 200
    make_run(runs_root, "alpha_spec__5", infinite, {"seed": 5})
    groups = group_runs(load_runs(sorted(runs_root.iterdir())))
    run4 = groups["alpha_spec"][3]
    assert run4.nonfinite("eval_return")[0] == 300.0
    assert math.isnan(run4.nonfinite("eval_return")[1])
    assert run4.nonfinite("episode_return") is None
    agg = aggregate(groups["alpha_spec"], "eval_return")
    assert agg.n_seeds == 3 and [r.seed for r in agg.diverged] == [4, 5]
    assert agg.mean == pytest.approx((2.0, 4.0, 6.0))  # seeds 1 to 3 only, as before
    # episode_return has no nan: all five seeds
    assert aggregate(groups["alpha_spec"], "episode_return").n_seeds == 5

    notes = []
    fig = plot(sorted(runs_root.iterdir()), tmp_path / "fig.png", note=notes.append)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "alpha_spec (3 of 5 seeds; 2 diverged)",
        "beta_spec (2 seeds)",
    ]
    dashed = [line for line in ax.get_lines() if line.get_linestyle() == "--"]
    # each diverged run up to its last finite value, and a cross at its first nan or inf
    assert [tuple(line.get_xdata()) for line in dashed] == [(100.0, 200.0), (100.0,)]
    crosses = [line for line in ax.get_lines() if line.get_marker() == "x"]
    assert [tuple(line.get_xdata()) for line in crosses] == [(300.0,), (200.0,)]
    assert "dashed: a diverged seed" in fig._suptitle.get_text()
    assert [t.get_text() for t in fig.axes[1].get_legend().get_texts()][0] == (
        "alpha_spec (5 seeds)"
    )
    assert notes == [
        f"{runs_root / 'alpha_spec__4'}: diverged: eval_return is nan at step 300: drawn dashed up to there, left out of the mean of alpha_spec",
        f"{runs_root / 'alpha_spec__5'}: diverged: eval_return is inf at step 200: drawn dashed up to there, left out of the mean of alpha_spec",
    ]


def test_short_torn_and_corrupt_runs_are_named(runs_root, tmp_path, capsys):
    """A run that ends before its total_steps is incomplete (its group's curve ends with it); a
    torn last row is left out; an unreadable metrics.csv leaves its run out; one line each."""
    short = make_run(runs_root, "alpha_spec__4", alpha_rows(4)[:6], {"seed": 4, "total_steps": 300})
    torn = make_run(runs_root, "beta_spec__3", beta_rows(2), {"seed": 3})
    with open(torn / "metrics.csv", "a") as f:
        f.write("350,0.1,,1")
    corrupt = make_run(runs_root, "beta_spec__4", beta_rows(2), {"seed": 4})
    lines = (corrupt / "metrics.csv").read_text().split("\n")
    write_metrics(corrupt, "\n".join([HEADER.replace(",time", ""), *lines[1:]]))
    out = tmp_path / "fig.png"
    assert main(["plot", *map(str, sorted(runs_root.iterdir())), "-o", str(out)]) == 0
    err = capsys.readouterr().err.splitlines()
    assert err == [
        f"specc: note: {short}: incomplete: its metrics end at step 200 of 300 (total_steps), without model.pt",
        f"specc: note: {torn / 'metrics.csv'}: has its last row (line 8) cut mid-row: that row is left out",
        f"specc: note: {corrupt / 'metrics.csv'}: line 2 has 9 cells, its header 8: the run is left out",
    ]
    fig = plot(sorted(runs_root.iterdir()), out)
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels == ["alpha_spec (4 seeds, 1 incomplete)", "beta_spec (3 seeds)"]
    # the short run ends the mean at its last evaluation (200)
    assert aggregate(
        group_runs(load_runs([short, runs_root / "alpha_spec__1"]))["alpha_spec"], "eval_return"
    ).steps == (100.0, 200.0)
    # a finished run is never incomplete
    (short / "model.pt").write_bytes(b"")
    assert load_run(short).incomplete() is None
    # nothing readable: an error
    r = run_specc("plot", str(corrupt), "-o", str(tmp_path / "none.png"))
    assert r.returncode == 2 and "no run with readable metrics" in r.stderr
    assert f"note: {corrupt / 'metrics.csv'} line 2 has 9 cells, its header 8" in r.stderr
    assert not (tmp_path / "none.png").exists()


def test_binned_means_per_window_at_its_end():
    """--smooth: a window's values are averaged and drawn at the window's last step; empty
    windows are skipped; a nan stays in its window's mean."""
    from specc.experiments.plot import binned

    curve = ((10, 40, 50, 60, 220), (1.0, 3.0, 5.0, 7.0, 9.0))
    assert binned(curve, 50) == ((50.0, 100.0, 250.0), (3.0, 7.0, 9.0))
    steps, values = binned(((1, 2), (1.0, float("nan"))), 10)
    assert steps == (10.0,) and math.isnan(values[0])


def test_plot_smooth_flag_is_checked(tmp_path):
    r = run_specc("plot", str(tmp_path), "-o", str(tmp_path / "x.png"), "--smooth", "0")
    assert r.returncode == 2 and "--smooth: expected a positive integer" in r.stderr
