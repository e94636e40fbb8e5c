"""`specc plot`: loading run directories, grouping by spec, mean and band over seeds, the PNG."""

import json
import math
import sys

import pytest
from conftest import run_specc

from specc.cli import main
from specc.plot import aggregate, group_runs, load_run, load_runs, plot

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
    bad = make_run(tmp_path, "bad__1", [{"step": 10, "episode_return": "oops"}])
    out = tmp_path / "fig.png"
    rc = main(
        [
            "plot",
            str(runs_root / "alpha_spec__1"),
            str(empty),
            str(tmp_path / "nope"),
            str(bad),
            "-o",
            str(out),
        ]
    )
    err = capsys.readouterr().err
    assert rc == 2
    assert f"{empty}: error: not a run directory: it has no metrics.csv" in err
    assert f"{tmp_path / 'nope'}: error: no such run directory" in err
    assert (
        f"{bad / 'metrics.csv'}: error: line 2: column 'episode_return' is not a number: 'oops'"
        in err
    )
    assert "3 errors found; nothing was written." in err
    assert not out.exists()
    assert main(["plot", str(runs_root / "alpha_spec__1"), "-o", str(tmp_path / "fig.pdf")]) == 2
    assert "must end in .png" in capsys.readouterr().err
