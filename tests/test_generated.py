"""The generated scripts themselves: they compile, import only what they may, follow the
runtime contract, and their functions match the formulas of the papers and references."""

import ast
import csv
import json
import math

import pytest

from conftest import GENERATED, SPECS
from generated_utils import import_script, run_script

SCRIPTS = sorted(GENERATED.glob("*.py"))
ALLOWED_IMPORTS = {"argparse", "copy", "csv", "json", "math", "os", "random", "time", "dataclasses", "gymnasium", "numpy", "torch"}


@pytest.mark.parametrize("path", SCRIPTS, ids=[p.stem for p in SCRIPTS])
def test_compiles_and_imports_only_stdlib_numpy_torch_gymnasium(path):
    source = path.read_text()
    tree = ast.parse(compile(source, str(path), "exec", flags=ast.PyCF_ONLY_AST))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module.split(".")[0])
    assert "specc" not in imported
    assert imported <= ALLOWED_IMPORTS, imported - ALLOWED_IMPORTS
    assert ast.get_docstring(tree).startswith(f"{path.stem}: ")


@pytest.mark.parametrize("path", SCRIPTS, ids=[p.stem for p in SCRIPTS])
def test_every_config_field_is_a_flag(path):
    mod = import_script(path)
    import dataclasses

    names = [f.name for f in dataclasses.fields(mod.Config)]
    assert len(names) == len(set(names))
    parsed = mod.parse_args([])
    assert parsed == {}, "only the flags given are returned"
    for f in dataclasses.fields(mod.Config):
        flag = "--" + f.name.replace("_", "-")
        if f.type is bool:
            assert mod.parse_args([flag]) == {f.name: True}
            assert mod.parse_args(["--no-" + f.name.replace("_", "-")]) == {f.name: False}
        else:
            value = {int: "7", float: "0.5", str: "x"}[f.type]
            assert mod.parse_args([flag, value]) == {f.name: f.type(value)}


@pytest.mark.parametrize("path", SCRIPTS, ids=[p.stem for p in SCRIPTS])
def test_dry_run_json_contract(path, tmp_path):
    r = run_script(path, "--dry-run", "--json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    lines = [l for l in r.stdout.splitlines() if l.strip()]
    assert len(lines) == 1, r.stdout
    plan = json.loads(lines[0])
    assert set(plan) == {"name", "algorithm", "modules"}
    assert plan["name"] == path.stem
    assert {"actor", "critic"} <= set(plan["modules"])
    for module, info in plan["modules"].items():
        assert set(info) == {"regime", "level", "total", "active", "layers"}
        assert info["total"] == sum(l["shape"][0] * l["shape"][1] for l in info["layers"])
        assert info["active"] == sum(l["active"] for l in info["layers"])
        for layer in info["layers"]:
            assert set(layer) == {"name", "shape", "density", "active", "revived"}
            if info["regime"] == "dense":
                assert layer["density"] == 1.0 and layer["revived"] == 0
    # (MuJoCo itself may write MUJOCO_LOG.TXT for its own deprecation warnings)
    assert not [p for p in tmp_path.iterdir() if p.name != "MUJOCO_LOG.TXT"], "--dry-run writes nothing"


def small(path):
    """Widths small enough for a CI smoke run (SimBa's 512-wide critics hold 8M weights)."""
    config = import_script(path).Config()
    return [] if config.critic_width <= 256 else ["--critic-width", "64", "--actor-width", "32"]


@pytest.mark.parametrize("path", SCRIPTS, ids=[p.stem for p in SCRIPTS])
def test_short_run_writes_its_run_directory(path, tmp_path):
    run_dir = tmp_path / "run"
    r = run_script(
        path, "--total-steps", "300", "--learning-starts", "100", "--eval-every", "300", "--eval-episodes", "1",
        "--log-every", "100", "--checkpoint-every", "150", "--run-dir", str(run_dir), "--device", "cpu", *small(path), cwd=tmp_path,
    )
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-4000:]
    assert {"config.json", "metrics.csv", "checkpoint.pt", "model.pt"} <= {p.name for p in run_dir.iterdir()}
    config = json.loads((run_dir / "config.json").read_text())
    assert config["total_steps"] == 300 and config["device"] == "cpu"
    with open(run_dir / "metrics.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    mod_metrics = import_script(path).METRICS
    assert list(rows[0].keys()) == mod_metrics
    assert [int(r["step"]) for r in rows if r["critic_loss"]] == [100, 200, 300]
    assert all(math.isfinite(float(r["critic_loss"])) for r in rows if r["critic_loss"])
    assert rows[-1]["eval_return"] != ""
    assert "step 300/300" in r.stdout


def _metrics(run_dir):
    with open(run_dir / "metrics.csv", newline="") as f:
        return [{k: v for k, v in row.items() if k not in ("time", "sps")} for row in csv.DictReader(f)]


# The resume code is shared runtime; what differs between scripts is the state each algorithm
# registers (targets, temperature, observation statistics): one script per such variant.
# tar_sac_erk: masks restored (critic, pruned at initialization) and taken after the resume point (actor).
RESUME_SCRIPTS = [p for p in SCRIPTS if p.stem in ("sac_dense", "td3_dense", "ddpg_dense", "sac_simba", "tar_sac_erk")]


@pytest.mark.parametrize("path", RESUME_SCRIPTS, ids=[p.stem for p in RESUME_SCRIPTS])
def test_resume_reproduces_an_uninterrupted_run(path, tmp_path):
    sparse = ["--actor-prune-at", "300"] if path.stem == "tar_sac_erk" else []
    common = [*small(path), *sparse, "--learning-starts", "100", "--eval-every", "200", "--eval-episodes", "1", "--log-every", "50", "--device", "cpu", "--threads", "1", "--env-id", "Pendulum-v1"]
    full, part = tmp_path / "full", tmp_path / "part"
    r = run_script(path, "--total-steps", "400", "--run-dir", str(full), *common, cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-3000:]
    # Pendulum episodes are 200 steps: stopping at 250 cuts one mid-episode
    r = run_script(path, "--total-steps", "250", "--run-dir", str(part), *common, cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-3000:]
    r = run_script(path, "--resume", "--total-steps", "400", "--run-dir", str(part), cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "resuming" in r.stdout
    assert _metrics(part) == _metrics(full)
