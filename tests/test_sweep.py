"""Sweeps (`specc sweep`, `specc report`, `specc plot --sweep`): the file format and its located
errors, grid expansion and variant names, the manifest, run states, skip / resume / retry, the
three backends end to end (local, Ray, submitit's local executor) and the report's statistics.

The runs are sac_dense on Pendulum-v1 for 200 agent steps with small networks (a few seconds
each, most of it importing torch); the tests that run scripts are marked slow.
"""

from __future__ import annotations

import csv
import dataclasses
import fcntl
import itertools
import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT, run_specc
from hypothesis import given, settings
from hypothesis import strategies as st

from specc.experiments import launch
from specc.cli import main
from specc.diagnostics import SpecError
from specc.overrides import parse_override
from specc.experiments.report import describe, iqm, stratified_bootstrap_ci
from specc.experiments.sweep import compile_sweep, flow, load_sweep, parse_time, value_token

SPEC = ROOT / "specs" / "sac_dense.yaml"
# every variant: a run of a few seconds (Pendulum, 100 warm-up + 100 training steps, small nets)
TINY = [
    "env.id=Pendulum-v1",
    "train.total_steps=200",
    "train.learning_starts=100",
    "train.buffer_size=1000",
    "eval.every=100",
    "eval.episodes=1",
    "checkpoint.every=100",
    "logging.every=100",
    "networks.actor.width=16",
    "logging.tensorboard=false",
]


def sets(overrides):
    return [a for o in overrides for a in ("-s", o)]


def sweep_file(tmp_path: Path, body: str, name: str = "sweep.yaml") -> Path:
    """A sweep file in tmp_path whose spec is a copy of specs/sac_dense.yaml beside it (so that
    its relative path is the same wherever the test runs)."""
    (tmp_path / "sac_dense.yaml").write_bytes(SPEC.read_bytes())
    path = tmp_path / name
    path.write_text(body)
    return path


TWO_BY_TWO = """\
sweep: 1
name: tiny
spec: sac_dense.yaml
grid:
  networks.critic.width: [16, 32]
seeds: [1, 2]
"""


# --------------------------------------------------------------------------- expansion and names
def test_grid_expansion_order_and_names(tmp_path):
    path = sweep_file(
        tmp_path,
        """\
sweep: 1
name: order
spec: sac_dense.yaml
variants:
  - {networks.critic.sparsity: {regime: sst, level: 0.5}}
  - {networks.critic.sparsity: {regime: dst, level: 0.5, topology: {method: rigl}}}
grid:
  train.critic_lr: [0.001, 3e-4]
  networks.critic.width: [64, 128, 256]
seeds: [3, 1]
""",
    )
    sweep = load_sweep(str(path))
    names = [v.name for v in sweep.variants]
    # sets in file order; within a set the first grid key varies slowest
    expected = [
        f"regime_{r}{'__method_rigl' if r == 'dst' else ''}__critic_lr_{lr}__width_{w}"
        for r in ("sst", "dst")
        for lr in ("0p001", "0p0003")
        for w in (64, 128, 256)
    ]
    assert names == expected
    first = sweep.variants[0]
    assert [a.text for a in first.assignments] == [
        "networks.critic.sparsity={regime: sst, level: 0.5}",
        "train.critic_lr=0.001",
        "networks.critic.width=64",
    ]
    assert sweep.seeds == (3, 1)
    assert sweep.run_dir(first, 3) == f"{names[0]}__3"
    # level is the same in every variant: it is not in the names
    assert all("level" not in n for n in names)


def names_of(tmp_path, grid: str, variants: str = "") -> list[str]:
    path = sweep_file(
        tmp_path,
        f"sweep: 1\nname: n\nspec: sac_dense.yaml\n{variants}{grid}seeds: [1]\n",
    )
    return [v.name for v in load_sweep(str(path)).variants]


def test_key_tokens_are_the_shortest_distinct_suffix(tmp_path):
    names = names_of(
        tmp_path,
        "grid:\n"
        "  networks.actor.width: [8, 16]\n"
        "  networks.critic.width: [32]\n"  # one value: not in the names
        "  train.actor_lr: [1.0e-3]\n",
        "variants:\n  - {networks.critic.depth: 1}\n  - {networks.critic.depth: 2}\n",
    )
    assert names == [
        "depth_1__width_8",
        "depth_1__width_16",
        "depth_2__width_8",
        "depth_2__width_16",
    ]
    # only the critic's width varies: "width" tells it apart
    names = names_of(
        tmp_path, "grid:\n  networks.actor.width: [8]\n  networks.critic.width: [8, 16]\n"
    )
    assert names == ["width_8", "width_16"]
    names = names_of(
        tmp_path,
        "",
        "variants:\n"
        "  - {networks.actor.width: 8, networks.critic.width: 8}\n"
        "  - {networks.actor.width: 16, networks.critic.width: 8}\n"
        "  - {networks.actor.width: 16, networks.critic.width: 16}\n",
    )
    assert names == [
        "actor_width_8__critic_width_8",
        "actor_width_16__critic_width_8",
        "actor_width_16__critic_width_16",
    ]


def test_one_variant_is_named_after_the_spec_and_nulls_are_left_out(tmp_path):
    assert names_of(tmp_path, "") == ["sac_dense"]
    assert names_of(tmp_path, "grid:\n  train.critic_lr: [0.001]\n") == ["sac_dense"]
    names = names_of(tmp_path, "grid:\n  train.critic_lr: [null, 0.01]\n")
    assert names == ["sac_dense", "critic_lr_0p01"]


def test_keys_that_vary_together_name_a_variant_once(tmp_path):
    """The actor's and the critic's width set alike: one part, `width`; not alike: two."""
    together = "variants:\n" + "".join(
        f"  - {{networks.actor.width: {w}, networks.critic.width: {w}}}\n" for w in (64, 128)
    )
    assert names_of(tmp_path, together) == ["width_64", "width_128"]
    both = "variants:\n  - {networks.actor.width: 64, networks.critic.width: 64}\n"
    both += "  - {networks.actor.width: 128, networks.critic.width: 64}\n"
    both += "  - {networks.actor.width: 128, networks.critic.width: 128}\n"
    assert names_of(tmp_path, both) == [
        "actor_width_64__critic_width_64",
        "actor_width_128__critic_width_64",
        "actor_width_128__critic_width_128",
    ]


def test_value_tokens():
    assert value_token(0.6) == "0p6"
    assert value_token(3e-4) == "0p0003"
    assert value_token(1e-05) == "1em05"
    assert value_token(-1) == "m1"
    assert value_token(True) == "true"
    assert value_token("HalfCheetah-v5") == "halfcheetah_v5"
    assert value_token("a__b") == "a_b"  # "__" separates the keys of a name
    assert value_token(["input", "output"]) == "input_output"
    assert value_token({"regime": "sst", "level": 0.6}) == "regime_sst_level_0p6"
    assert value_token([]) == "empty"


def test_long_names_end_in_a_hash_and_stay_unique(tmp_path):
    envs = ["A" * 50 + "-v1", "A" * 50 + "-v2"]
    grid = f"grid:\n  env.id: [{envs[0]}, {envs[1]}]\n  train.critic_lr: [0.001, 0.002]\n"
    names = names_of(tmp_path, grid)
    assert len(set(names)) == 4
    for n in names:
        assert len(n) <= 64
        assert n.startswith("id_" + "a" * 50), n
        assert n[-9] == "_" and all(c in "0123456789abcdef" for c in n[-8:]), n


def test_names_that_collide_are_an_error(tmp_path):
    path = sweep_file(
        tmp_path,
        "sweep: 1\nname: n\nspec: sac_dense.yaml\ngrid:\n  env.id: [Pendulum-v1, pendulum_v1]\nseeds: [1]\n",
    )
    with pytest.raises(SpecError) as exc:
        load_sweep(str(path))
    (d,) = exc.value.diagnostics
    assert "variants 1 and 2 would both be named 'id_pendulum_v1'" in d.message


# what the loader reads in a string: no control characters but tab and newline, no bidi controls
_LOADABLE = st.characters(
    exclude_categories=["Cs", "Cc"],
    include_characters="\t\n",
    exclude_characters="\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069",
)


@settings(max_examples=300, deadline=None)
@given(
    st.recursive(
        st.none()
        | st.booleans()
        | st.integers(-(10**12), 10**12)
        | st.floats(allow_nan=False, allow_infinity=False)
        | st.text(_LOADABLE, max_size=12)
        | st.sampled_from(["true", "null", "1.5", "0x10", "a: b", "x, y", "#c", "-", "\u2028"]),
        lambda inner: st.lists(inner, max_size=3)
        | st.dictionaries(
            st.from_regex(r"[a-z_][a-z0-9_]{0,6}", fullmatch=True), inner, max_size=3
        ),
        max_leaves=6,
    )
)
def test_values_are_written_as_overrides_that_read_back_the_same(value):
    text = "train.x=" + flow(value)
    ov, problems = parse_override(text)
    assert not problems, text
    assert json.dumps(ov.value, sort_keys=True) == json.dumps(value, sort_keys=True), text


def test_time_limits():
    assert parse_time(90) == 90
    assert parse_time("1:30:00") == 90
    assert parse_time("2-0:00:30") == 2 * 1440 + 1
    assert parse_time("90") is None  # a string of minutes is ambiguous in SLURM's notation
    assert parse_time("1:30") is None
    assert parse_time(0) is None


# --------------------------------------------------------------------------- located errors
def errors_of(tmp_path, body: str, *extra: str) -> list[str]:
    """The `file:line:col: error: ...` lines of `specc sweep` on a sweep file (exit 2, nothing
    written)."""
    path = sweep_file(tmp_path, body)
    r = run_specc("sweep", path.name, "--runs-dir", "out", *extra, cwd=tmp_path)
    assert r.returncode == 2, r.stdout + r.stderr
    assert "Traceback" not in r.stderr
    assert not (tmp_path / "out").exists(), "nothing may be written when a sweep has errors"
    return [line for line in r.stderr.splitlines() if ": error: " in line]


def test_errors_in_the_file_format_are_located(tmp_path):
    heads = errors_of(
        tmp_path,
        """\
sweep: 1
name: Bad-Name
spec: nowhere.yaml
grid:
  networks.critic.width: 256
seed: [1, 2]
resources: {threads: 0, time: "90"}
""",
    )
    assert heads == [
        "sweep.yaml:1:1: error: missing required key 'seeds'",
        "sweep.yaml:2:7: error: name: 'Bad-Name' does not match the pattern ^[a-z][a-z0-9_]{0,63}$",
        # found in the same pass as the shape errors (before, they came in a second round)
        "sweep.yaml:3:7: error: spec: no such file: nowhere.yaml (paths in a sweep file are relative to the file)",
        "sweep.yaml:5:26: error: grid.networks.critic.width: expected a list, got 256 (int)",
        "sweep.yaml:6:1: error: seed: unknown key; did you mean one of 'seeds', 'sweep'?",
        "sweep.yaml:7:22: error: resources.threads: must be >= 1, got 0",
        "sweep.yaml:7:31: error: resources.time: expected minutes (an integer >= 1) or H:MM:SS or D-H:MM:SS, got '90'",
    ]


def test_errors_of_keys_seeds_and_paths_are_located(tmp_path):
    heads = errors_of(
        tmp_path,
        """\
sweep: 1
name: bad
spec: nowhere.yaml
variants:
  - {name: x}
  - {networks.critic: {width: 8}, networks.critic.depth: 3}
grid:
  networks..width: [1]
  train.critic_lr: [0.1]
  train: [{}]
seeds: [1, 2, 1]
resources: {time: "1:30"}
""",
        "-s",
        "train.critic_lr=0.5",
    )
    assert heads == [
        "sweep.yaml:3:7: error: spec: no such file: nowhere.yaml (paths in a sweep file are relative to the file)",
        "sweep.yaml:5:6: error: name: cannot be swept: the sweep names each variant (see docs/sweeps.md, Variant names)",
        "sweep.yaml:6:35: error: networks.critic.depth: overlaps 'networks.critic' in the same set: one would replace the other",
        "sweep.yaml:8:3: error: networks..width: invalid key 'networks..width': expected a dotted path of the spec, such as train.total_steps",
        "sweep.yaml:10:3: error: train: overlaps the grid key 'train.critic_lr': one would replace the other's values",
        "sweep.yaml:11:15: error: seeds: seed 1 is listed twice",
        "sweep.yaml:12:19: error: resources.time: expected minutes (an integer >= 1) or H:MM:SS or D-H:MM:SS, got '1:30'",
        "override 'train.critic_lr=0.5': error: train.critic_lr: the sweep varies this key: an override for every variant would make them the same",
    ]


def test_errors_a_variant_causes_point_into_the_sweep_file(tmp_path):
    r_heads = errors_of(
        tmp_path,
        """\
sweep: 1
name: bad
spec: sac_dense.yaml
variants:
  - {train.gama: 0.9}
  - {networks.critic.sparsity: {regime: sst, levl: 0.5}}
grid:
  networks.critic.width: [64, 0]
  env.id: [Pendulum-v1]
seeds: [1]
""",
    )
    assert r_heads == [
        "sweep.yaml:5:6: error: train.gama: unknown key; did you mean 'gamma'?",
        "sweep.yaml:6:46: error: networks.critic.sparsity.levl: unknown key; did you mean 'level'?",
        "sweep.yaml:8:31: error: networks.critic.width: must be >= 1, got 0",
    ]
    # each problem once, with the variants it occurs in
    path = tmp_path / "sweep.yaml"
    r = run_specc("sweep", path.name, "--runs-dir", "out", cwd=tmp_path)
    assert "  note: in variants gama_0p9__width_0 and " not in r.stderr
    assert "note: in every variant" not in r.stderr
    assert "  note: in variants gama_0p9__width_64, gama_0p9__width_0" in r.stderr
    assert (
        "  8 |   networks.critic.width: [64, 0]\n    |                               ^\n"
        in r.stderr
    )


def test_a_value_a_variant_lacks_is_located_at_the_override_that_needs_it(tmp_path):
    heads = errors_of(
        tmp_path,
        """\
sweep: 1
name: bad
spec: sac_dense.yaml
grid:
  networks.critic.sparsity.regime: [sst, dense]
seeds: [1]
""",
    )
    # sst needs a level: located at the override that brought sst in
    assert heads == [
        "sweep.yaml:5:3: error: networks.critic.sparsity: regime 'sst' needs a sparsity 'level'"
    ]


def test_every_problem_in_one_pass(tmp_path):
    """Shape errors, file-level errors, variant names and what compiling the variants finds
    come together; before, each group waited for the one before it to be fixed."""
    heads = errors_of(
        tmp_path,
        """\
sweep: 1
name: one_pass
description: [not, a, string]
spec: sac_dense.yaml
grid:
  networks.critic.width: [64, 0]
  env.id: [Pendulum-v1, pendulum_v1]
seeds: [1, 1]
resources: {gpus: -1, time: "1:30"}
""",
    )
    assert heads == [
        "sweep.yaml:3:14: error: description: expected a string, got a list",
        "sweep.yaml:6:27: error: variants 1 and 2 would both be named 'width_64__id_pendulum_v1': their values differ only in characters a name cannot hold",
        "sweep.yaml:6:31: error: variants 3 and 4 would both be named 'width_0__id_pendulum_v1': their values differ only in characters a name cannot hold",
        # what compiling a variant finds, located at its value in the sweep file
        "sweep.yaml:6:31: error: networks.critic.width: must be >= 1, got 0",
        "sweep.yaml:8:12: error: seeds: seed 1 is listed twice",
        "sweep.yaml:9:19: error: resources.gpus: must be >= 0.0, got -1",
        "sweep.yaml:9:29: error: resources.time: expected minutes (an integer >= 1) or H:MM:SS or D-H:MM:SS, got '1:30'",
    ]


def test_version_and_empty_file(tmp_path):
    assert errors_of(tmp_path, "name: x\n") == [
        "sweep.yaml:1:1: error: missing required key 'seeds'",
        "sweep.yaml:1:1: error: missing required key 'spec'",
        "sweep.yaml:1:1: error: sweep: missing required key 'sweep' (the format version; write 'sweep: 1' as the first line)",
    ]
    assert errors_of(tmp_path, "sweep: 2\n") == [
        "sweep.yaml:1:8: error: sweep: unsupported sweep version 2; this specc reads version 1"
    ]
    assert errors_of(tmp_path, "") == [
        "sweep.yaml:1:1: error: the sweep file is empty; expected a mapping with at least 'sweep', 'name', 'spec' and 'seeds'"
    ]


# --------------------------------------------------------------------------- manifest and scripts
def test_manifest_and_scripts_are_deterministic_and_shareable(tmp_path):
    """The same sweep gives the same bytes from another working directory and runs directory;
    a variant's script is what `specc compile` writes with the manifest's overrides."""
    path = sweep_file(tmp_path, TWO_BY_TWO)
    other = tmp_path / "elsewhere"
    other.mkdir()
    r1 = run_specc("sweep", path.name, *sets(TINY), cwd=tmp_path)
    r2 = run_specc(
        "sweep", str(path), *sets(TINY), "--runs-dir", str(tmp_path / "b" / "runs"), cwd=other
    )
    assert r1.returncode == 0 and r2.returncode == 0, r1.stderr + r2.stderr
    a, b = tmp_path / "runs" / "tiny", tmp_path / "b" / "runs" / "tiny"
    files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    assert [str(f) for f in files] == [
        "manifest.json",
        "scripts/width_16.py",
        "scripts/width_32.py",
    ]
    for f in files:
        assert (a / f).read_bytes() == (b / f).read_bytes(), f
    raw = (a / "manifest.json").read_bytes()
    assert str(tmp_path).encode() not in raw and b"/tmp" not in raw
    m = json.loads(raw)
    assert raw == (json.dumps(m, indent=2, sort_keys=True) + "\n").encode()
    assert [v["name"] for v in m["variants"]] == ["width_16", "width_32"]
    v = m["variants"][1]
    assert v["values"] == {"networks.critic.width": 32}
    assert v["overrides"] == ["networks.critic.width=32", *TINY, "name=width_32"]
    assert v["runs"] == [{"dir": "width_32__1", "seed": 1}, {"dir": "width_32__2", "seed": 2}]
    script = (a / v["script"]).read_bytes()
    assert v["sha256"] == __import__("hashlib").sha256(script).hexdigest()
    assert m["spec"] == "sac_dense.yaml" and m["seeds"] == [1, 2] and m["overrides"] == TINY
    # the script is exactly what specc compile writes with those overrides
    r = run_specc("compile", "sac_dense.yaml", *sets(v["overrides"]), "-o", "c", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "c" / "width_32.py").read_bytes() == script
    # the same command again writes nothing
    before = {f: (a / f).stat().st_mtime_ns for f in files}
    r3 = run_specc("sweep", path.name, *sets(TINY), cwd=tmp_path)
    assert "unchanged" in r3.stdout and "4 runs: 0 finished, 0 failed, 4 pending" in r3.stdout
    assert before == {f: (a / f).stat().st_mtime_ns for f in files}


def test_a_script_that_changes_under_started_runs_is_refused(tmp_path):
    path = sweep_file(tmp_path, TWO_BY_TWO)
    assert run_specc("sweep", path.name, *sets(TINY), cwd=tmp_path).returncode == 0
    run = tmp_path / "runs" / "tiny" / "width_16__2"
    run.mkdir()
    (run / "config.json").write_text("{}")
    manifest = (tmp_path / "runs" / "tiny" / "manifest.json").read_bytes()
    # the base spec changed under the runs: the script would change
    spec = tmp_path / "sac_dense.yaml"
    spec.write_text(spec.read_text().replace("seed: 1", "seed: 2"))
    r = run_specc("sweep", path.name, cwd=tmp_path)
    assert r.returncode == 2
    assert (
        "variant width_16 now compiles to another script (the base spec sac_dense.yaml changed), "
        "but runs of the old one exist (width_16__2): undo the change to follow or continue them,"
        in r.stderr
    )
    assert "width_32" not in r.stderr  # no run of it has started: it may change
    assert (tmp_path / "runs" / "tiny" / "manifest.json").read_bytes() == manifest


def test_following_a_sweep_needs_no_s(tmp_path):
    """`specc sweep FILE` reads the -s a sweep was launched with from its manifest; other -s
    than those, while runs of the sweep exist, get one line that says what to do."""
    path = sweep_file(tmp_path, TWO_BY_TWO)
    sweep_dir = tmp_path / "runs" / "tiny"
    assert run_specc("sweep", path.name, *sets(TINY), cwd=tmp_path).returncode == 0
    manifest = (sweep_dir / "manifest.json").read_bytes()
    scripts = {p.name: p.read_bytes() for p in (sweep_dir / "scripts").iterdir()}
    run = sweep_dir / "width_16__2"
    run.mkdir()
    (run / "config.json").write_text("{}")
    (run / "metrics.csv").write_text("step\n")

    def unchanged():
        assert (sweep_dir / "manifest.json").read_bytes() == manifest
        assert {p.name: p.read_bytes() for p in (sweep_dir / "scripts").iterdir()} == scripts

    r = run_specc("sweep", path.name, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [
        f"runs/tiny/manifest.json: the sweep's -s: {' '.join(TINY)}",
        "runs/tiny/manifest.json: 2 variants x 2 seeds; unchanged",
        "sweep tiny: 4 runs: 0 finished, 0 failed, 4 pending (1 interrupted)",
    ]
    unchanged()
    # the same -s: as before
    r = run_specc("sweep", path.name, *sets(TINY), cwd=tmp_path)
    assert r.returncode == 0 and "unchanged" in r.stdout and "the sweep's -s" not in r.stdout
    # other -s: one line, nothing written
    r = run_specc("sweep", path.name, "-s", "train.total_steps=300", cwd=tmp_path)
    assert r.returncode == 2
    assert r.stderr.strip() == (
        "specc: error: runs/tiny holds runs of this sweep made with "
        + " ".join(f"-s {o}" for o in TINY)
        + ", not -s train.total_steps=300: to follow or continue it give no -s (its manifest "
        "has them); for a sweep with these, give another --runs-dir"
    )
    unchanged()
    r = run_specc("sweep", path.name, "--run", *sets(TINY[1:]), cwd=tmp_path)
    assert r.returncode == 2 and "give another --runs-dir" in r.stderr
    unchanged()
    # once no run has started, other -s make other scripts
    (run / "config.json").unlink()
    (run / "metrics.csv").unlink()
    r = run_specc("sweep", path.name, *sets(TINY[1:]), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "wrote 3 files" in r.stdout
    assert json.loads((sweep_dir / "manifest.json").read_text())["overrides"] == TINY[1:]


# --------------------------------------------------------------------------- run states
def test_run_states(tmp_path):
    d = tmp_path / "r"
    assert launch.run_state(d) == launch.PENDING
    d.mkdir()
    assert launch.run_state(d) == launch.PENDING
    (d / "config.json").write_text("{}")
    assert launch.run_state(d) == launch.INTERRUPTED  # killed before its first checkpoint
    (d / launch.STATUS).write_text(json.dumps({"state": "failed"}))
    assert launch.run_state(d) == launch.FAILED
    (d / "model.pt").write_bytes(b"")
    assert launch.run_state(d) == launch.FINISHED
    (d / "model.pt").unlink()
    with open(d / launch.LOCK, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        assert launch.run_state(d) == launch.RUNNING
    assert launch.run_state(d) == launch.FAILED  # the lock goes with its holder


def test_a_run_that_another_process_runs_is_left_alone(tmp_path):
    d = tmp_path / "x__1"
    d.mkdir()
    task = launch.RunTask(str(tmp_path), "missing.py", "x__1", 1, 1, "cpu")
    with open(d / launch.LOCK, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        out = launch.execute_run(task)
    assert (out.state, out.ran) == (launch.RUNNING, False)
    assert not (d / launch.LOG).exists() and not (d / launch.STATUS).exists()


def test_allocation_of_threads_and_gpus():
    assert launch.allocate(2, None, None) == (2, 1)
    assert launch.allocate(16, None, 4) == (4, 4)
    assert launch.allocate(16, 2, None) == (2, 8)
    assert launch.allocate(2, 1, None) == (1, 2)
    assert launch.allocate(2, None, 8) == (1, 8)
    assert launch.gpu_slots(0, ["0", "1"]) == []
    assert launch.gpu_slots(1, ["0", "1"]) == ["0", "1"]
    assert launch.gpu_slots(0.5, ["0"]) == ["0", "0"]
    assert launch.gpu_slots(2, ["0", "1", "2"]) == ["0,1"]
    with pytest.raises(launch.BackendError):
        launch.gpu_slots(1.5, ["0", "1"])


def test_summary_line():
    counts = dict.fromkeys(launch.STATES, 0) | {"finished": 3, "failed": 1, "interrupted": 2}
    assert launch.summary_line(counts) == "6 runs: 3 finished, 1 failed, 2 pending (2 interrupted)"


# --------------------------------------------------------------------------- running
def check_finished(sweep_dir: Path, run: str, total: int = 200) -> list[int]:
    """A finished run: model.pt, its metrics up to the last step, a status of its attempts."""
    d = sweep_dir / run
    assert (d / "model.pt").is_file(), (d / launch.LOG).read_text()
    with open(d / "metrics.csv", newline="") as f:
        steps = [int(r["step"]) for r in csv.DictReader(f)]
    assert steps[-1] == total and steps == sorted(steps)
    assert json.loads((d / launch.STATUS).read_text())["state"] == "finished"
    return steps


@pytest.mark.slow
def test_local_backend_runs_a_sweep_then_skips_it(tmp_path, capsys, monkeypatch):
    path = sweep_file(tmp_path, TWO_BY_TWO)
    monkeypatch.chdir(tmp_path)
    assert main(["sweep", path.name, *sets(TINY), "--run", "--jobs", "2"]) == 0
    out = capsys.readouterr().out
    assert "running 4 of 4 runs on the local backend: 2 at a time, 1 thread each" in out
    assert "sweep tiny: 4 runs: 4 finished, 0 failed, 0 pending" in out
    sweep_dir = tmp_path / "runs" / "tiny"
    for run in ("width_16__1", "width_16__2", "width_32__1", "width_32__2"):
        check_finished(sweep_dir, run)
        status = json.loads((sweep_dir / run / launch.STATUS).read_text())
        seed = run[-1]
        assert status["command"] == (
            f"python scripts/{run[:-3]}.py --seed {seed} --run-dir {run} --threads 1 --device cpu"
        )
        config = json.loads((sweep_dir / run / "config.json").read_text())
        assert config["seed"] == int(seed) and config["critic_width"] == int(run[6:8])
    model = (sweep_dir / "width_16__1" / "model.pt").stat().st_mtime_ns
    assert main(["sweep", path.name, *sets(TINY), "--run"]) == 0
    out = capsys.readouterr().out
    assert "running 0 of 4 runs (4 finished before)" in out
    assert (sweep_dir / "width_16__1" / "model.pt").stat().st_mtime_ns == model

    # the report and the plot of the sweep
    assert main(["report", "--sweep", path.name, "--csv", "r.csv", "--reps", "2000"]) == 0
    table = capsys.readouterr().out
    rows = list(csv.DictReader(open("r.csv")))
    assert [r["variant"] for r in rows] == ["width_16", "width_32"]
    assert [r["networks.critic.width"] for r in rows] == ["16", "32"]
    for r in rows:
        finals = [final_eval(sweep_dir / f"{r['variant']}__{s}") for s in (1, 2)]
        assert float(r["final_mean"]) == pytest.approx(sum(finals) / 2, abs=1e-9)
        assert r["seeds"] == "2"
        assert f"| {r['variant']} | 2 of 2 | {sum(finals) / 2:.1f} ± " in table
    # a real run's metrics.csv cut inside its last row (the final evaluation), and another's
    # final evaluation made nan: both left out, never replaced by an earlier evaluation
    torn = sweep_dir / "width_32__2" / "metrics.csv"
    text = torn.read_text()
    assert text.endswith("\n") and text.splitlines()[-1].startswith("200,")
    torn.write_text(text[: len(text) - 4])
    nan = sweep_dir / "width_16__1" / "metrics.csv"
    rows = list(csv.DictReader(open(nan, newline="")))
    assert rows[-1]["step"] == "200" and rows[-1]["eval_return"]
    rows[-1]["eval_return"] = "nan"
    with open(nan, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    assert main(["report", "--sweep", path.name, "--reps", "200"]) == 0
    table = capsys.readouterr().out
    assert "| width_16 | 1 of 2 (1 diverged) | " in table
    assert "| width_32 | 1 of 2 (1 incomplete) | " in table
    assert "width_16__1: diverged: eval_return is nan at step 200" in table
    assert (
        f"width_32__2: incomplete: its metrics.csv has its last row (line {len(text.splitlines())}) cut mid-row"
        in table
    )
    pytest.importorskip("matplotlib")
    assert main(["plot", "--sweep", path.name, "-o", "curves.png"]) == 0
    assert Path("curves.png").read_bytes()[:4] == b"\x89PNG"
    err = capsys.readouterr().err
    assert "width_16__1: diverged: eval_return is nan at step 200" in err
    assert "width_32__2/metrics.csv: has its last row" in err


def final_eval(run_dir: Path) -> float:
    with open(run_dir / "metrics.csv", newline="") as f:
        return [float(r["eval_return"]) for r in csv.DictReader(f) if r["eval_return"]][-1]


KILL_AND_FAIL = """\
sweep: 1
name: faults
spec: sac_dense.yaml
variants:
  - {env.id: Pendulum-v1}
  - {env.id: NoSuchEnv-v0}
seeds: [1]
"""


@pytest.mark.slow
def test_killed_runs_resume_and_failed_ones_wait_for_retry_failed(tmp_path):
    """A sweep SIGKILLed (with its script) after a run's first checkpoint: re-running resumes
    the run from that checkpoint and runs the rest; a run that fails does not stop the others
    and is retried only with --retry-failed; no run directory is started twice."""
    path = sweep_file(tmp_path, KILL_AND_FAIL)
    longer = [o for o in TINY if not o.startswith(("env.id", "train.total_steps", "eval.every"))]
    longer += ["train.total_steps=600", "eval.every=300"]
    cmd = [
        sys.executable,
        "-m",
        "specc",
        "sweep",
        path.name,
        *sets(longer),
        "--run",
        "--jobs",
        "1",
        "--threads-per-run",
        "1",
    ]
    sweep_dir = tmp_path / "runs" / "faults"
    ok, bad = sweep_dir / "id_pendulum_v1__1", sweep_dir / "id_nosuchenv_v0__1"
    proc = subprocess.Popen(
        cmd, cwd=tmp_path, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + 240
    while not (ok / "checkpoint.pt").exists():
        assert proc.poll() is None and time.monotonic() < deadline, proc.stdout.read().decode()
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)  # the sweep and the script it runs
    proc.wait()
    proc.stdout.close()
    assert not (ok / "model.pt").exists(), "the run finished before the kill: make it longer"
    assert not bad.exists()
    while launch.run_state(ok) == launch.RUNNING:  # until the killed script is gone
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert launch.run_state(ok) == launch.INTERRUPTED
    assert json.loads((ok / launch.STATUS).read_text())["state"] == "running"  # as it was left

    r = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert r.returncode == 1, r.stdout + r.stderr  # not every run finished
    assert "running 2 of 2 runs (1 interrupted before)" in r.stdout
    assert "sweep faults: 2 runs: 1 finished, 1 failed, 0 pending" in r.stdout
    assert "--retry-failed runs them again" in r.stdout
    steps = check_finished(sweep_dir, ok.name, total=600)
    assert len(steps) == len(set(steps)), "the resumed run logged no step twice"
    log = (ok / launch.LOG).read_text()
    assert log.count("=== attempt ") == 2
    assert (
        "=== attempt 2: python scripts/id_pendulum_v1.py --seed 1 --run-dir id_pendulum_v1__1 --threads 1 --device cpu --resume"
        in log
    )
    assert "resuming id_pendulum_v1__1/checkpoint.pt at step " in log
    status = json.loads((bad / launch.STATUS).read_text())
    # the env id is refused by the script's flag checks: exit 2, one line, nothing else written
    assert (status["state"], status["attempt"], status["returncode"]) == ("failed", 1, 2)

    r = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert r.returncode == 1
    assert "running 0 of 2 runs (1 finished, 1 failed before)" in r.stdout
    assert json.loads((bad / launch.STATUS).read_text())["attempt"] == 1

    r = subprocess.run(
        cmd + ["--retry-failed"], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert r.returncode == 1
    assert "running 1 of 2 runs (1 finished, 1 failed before)" in r.stdout
    assert "[1/1] id_nosuchenv_v0__1: failed after " in r.stdout
    assert json.loads((bad / launch.STATUS).read_text())["attempt"] == 2
    assert json.loads((ok / launch.STATUS).read_text())["attempt"] == 2  # left alone


@pytest.mark.slow
def test_ray_backend_runs_a_sweep(tmp_path):
    pytest.importorskip("ray")
    path = sweep_file(tmp_path, TWO_BY_TWO)
    r = run_specc(
        "sweep",
        path.name,
        *sets(TINY),
        "--run",
        "--backend",
        "ray",
        cwd=tmp_path,
        env={"RAY_USAGE_STATS_ENABLED": "0"},
        timeout=400,  # a local Ray cluster starts slowly beside the suite's other worker
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert "running 4 of 4 runs on the ray backend: 1 CPU and 0 GPUs each" in r.stdout
    assert "sweep tiny: 4 runs: 4 finished, 0 failed, 0 pending" in r.stdout
    for run in ("width_16__1", "width_16__2", "width_32__1", "width_32__2"):
        check_finished(tmp_path / "runs" / "tiny", run)


@pytest.mark.slow
def test_slurm_backend_through_submitits_local_executor(tmp_path):
    pytest.importorskip("submitit")
    path = sweep_file(tmp_path, TWO_BY_TWO.replace("seeds: [1, 2]", "seeds: [5]"))
    args = ["sweep", path.name, *sets(TINY), "--run", "--backend", "slurm", "--cluster", "local"]
    r = run_specc(*args, cwd=tmp_path)
    assert r.returncode == 2 and "the slurm backend needs a time limit per run" in r.stderr
    r = run_specc(*args, "--time", "0:10:00", cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "running 2 of 2 runs on the slurm backend: 1 CPU, 0 GPUs and 10 min each" in r.stdout
    assert "submitted 2 run(s) as job " in r.stdout
    assert "sweep tiny: 2 runs: 2 finished, 0 failed, 0 pending" in r.stdout
    sweep_dir = tmp_path / "runs" / "tiny"
    for run in ("width_16__5", "width_32__5"):
        check_finished(sweep_dir, run)
    # submitit ran them: its pickled results are the outcomes
    assert len(list((sweep_dir / "submitit").glob("*_result.pkl"))) == 2


def test_slurm_without_sbatch_is_an_error(tmp_path, monkeypatch):
    pytest.importorskip("submitit")
    path = sweep_file(tmp_path, TWO_BY_TWO)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "specc",
            "sweep",
            path.name,
            "--run",
            "--backend",
            "slurm",
            "--time",
            "10",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 2
    assert "no SLURM here (sbatch is not on PATH)" in r.stderr
    assert not (tmp_path / "runs").exists(), "checked before anything is written"


# --------------------------------------------------------------------------- report statistics
def test_iqm_mean_and_std_by_hand():
    s = describe([1.0, 2.0, 3.0, 4.0, 100.0], reps=1000)
    assert s.iqm == 3.0  # int(0.25 * 5) = 1 cut at each end: mean(2, 3, 4)
    assert s.mean == 22.0
    assert s.std == pytest.approx(math.sqrt(1522.0))  # ((21² + 20² + 19² + 18² + 78²) / 5) ** 0.5
    assert iqm([4.0, 1.0, 3.0, 2.0]) == 2.5  # mean(2, 3)
    assert iqm([1.0, 2.0, 9.0]) == 4.0  # int(0.75) = 0: the mean
    assert iqm([[1.0, 5.0], [2.0, 6.0]]) == 3.5  # runs x tasks: over all scores
    assert stratified_bootstrap_ci([7.0, 7.0, 7.0], reps=100) == (7.0, 7.0)


def test_bootstrap_interval_is_the_percentiles_of_the_exact_resampling_distribution():
    """With 6 seeds, a resample is a multinomial draw of how often each seed appears (462
    possibilities, each with its exact probability): the bootstrap's 2.5th and 97.5th
    percentiles of the IQM converge to that distribution's quantiles."""
    scores = [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    n = len(scores)
    dist: dict[float, int] = {}
    for counts in itertools.product(range(n + 1), repeat=n):
        if sum(counts) != n:
            continue
        ways = math.factorial(n) // math.prod(math.factorial(c) for c in counts)
        sample = [s for s, c in zip(scores, counts) for _ in range(c)]
        dist[iqm(sample)] = dist.get(iqm(sample), 0) + ways
    assert sum(dist.values()) == n**n
    cdf, quantiles = 0.0, []
    for atom in sorted(dist):
        below, cdf = cdf, cdf + dist[atom] / n**n
        for q in (0.025, 0.975):
            if below <= q < cdf:
                # far enough from the atom's edges for 50000 resamples (standard error 0.0007)
                assert min(q - below, cdf - q) > 0.002
                quantiles.append(atom)
    # e.g. the lowest: 0.75, the IQM of resamples such as [0, 0, 0, 1, 2, 5] (mean of 0, 0, 1, 2)
    assert quantiles == [0.75, 4.25]
    assert stratified_bootstrap_ci(scores, reps=50_000, seed=1) == (0.75, 4.25)
    assert stratified_bootstrap_ci(scores, reps=50_000, seed=2) == (0.75, 4.25)


def test_bootstrap_matches_rliable():
    np = pytest.importorskip("numpy")
    rly = pytest.importorskip("rliable.library")
    metrics = pytest.importorskip("rliable.metrics")
    rng = np.random.RandomState(0)
    for shape in [(5, 1), (7, 3), (10, 2)]:
        scores = rng.normal(size=shape) * 100
        np.random.seed(11)  # rliable resamples with numpy's global generator
        point, interval = rly.get_interval_estimates(
            {"x": scores}, lambda x: np.array([metrics.aggregate_iqm(x)]), reps=1000
        )
        assert iqm(scores) == pytest.approx(point["x"][0], rel=1e-12)
        low, high = stratified_bootstrap_ci(scores, reps=1000, seed=11)
        assert (low, high) == pytest.approx((interval["x"][0][0], interval["x"][1][0]), rel=1e-12)


def make_run(
    root: Path,
    name: str,
    evals: list,
    finished: bool = True,
    total_steps: int | None = None,
    eval_every: int = 100,
    tail: str = "",
    header: str = "step,time,episode_return,eval_return",
) -> Path:
    """A run directory as a generated script writes it: an evaluation every ``eval_every`` steps
    (``evals``, written as given: ``"nan"`` too), a config.json whose total_steps is the last
    evaluation's step unless given (None: no config.json when ``total_steps=0``), and ``tail``
    appended to metrics.csv as it is (a torn row has no line end)."""
    d = root / name
    d.mkdir(parents=True)
    rows = [header] + [f"{eval_every * (i + 1)},0.1,,{v}" for i, v in enumerate(evals)]
    (d / "metrics.csv").write_text("\n".join(rows) + "\n" + tail)
    if total_steps is None:
        total_steps = eval_every * len(evals)
    if total_steps:
        config = {"seed": 1, "total_steps": total_steps, "eval_every": eval_every}
        (d / "config.json").write_text(json.dumps(config))
    if finished:
        (d / "model.pt").write_bytes(b"")
    return d


def test_report_of_run_directories(tmp_path, capsys):
    runs = tmp_path / "runs"
    make_run(runs, "a__1", [1.0, 5.0, 3.0])
    make_run(runs, "a__2", [2.0, 4.0, 4.0])
    make_run(runs, "a__3", [0.0, 9.0, 8.0])
    make_run(runs, "a__4", [6.0, 7.0], finished=False, total_steps=300)
    make_run(runs, "b__1", [-1.0])
    dirs = sorted(str(p) for p in runs.iterdir())
    assert main(["report", *dirs, "--csv", str(tmp_path / "r.csv"), "--reps", "500"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert f"- {runs / 'a__4'}: incomplete: not finished (no model.pt)\n" in out
    assert "Left out of every figure (1 run):" in out
    # a: finals 3, 4, 8 (mean 5, std sqrt(14/3)); bests 5, 4, 9 (mean 6, std sqrt(14/3))
    assert "| a | 3 of 4 (1 incomplete) | 5.0 ± 2.2 | 5.0 [" in out
    assert "| b | 1 of 1 | -1.0 ± 0.0 | -1.0 [-1.0, -1.0] | -1.0 ± 0.0 | -1.0 [-1.0, -1.0] |" in out
    rows = list(csv.DictReader(open(tmp_path / "r.csv")))
    a = rows[0]
    assert (a["variant"], a["seeds"], a["runs"], a["incomplete"], a["diverged"]) == (
        "a",
        "3",
        "4",
        "1",
        "0",
    )
    assert float(a["final_mean"]) == 5.0 and float(a["best_mean"]) == 6.0
    assert float(a["final_std"]) == pytest.approx(math.sqrt(14 / 3))
    assert float(a["final_iqm"]) == 5.0  # three seeds: nothing is cut
    assert 3.0 <= float(a["final_iqm_ci_low"]) <= float(a["final_iqm_ci_high"]) <= 8.0


def test_report_never_takes_an_earlier_evaluation_for_the_final_one(tmp_path, capsys):
    """Torn, short, nan, inf, corrupt and config-less runs are left out of every figure, each
    with its reason on one line, and the row says how many seeds its figures rest on; before,
    a torn last row or a nan at the end silently gave the previous evaluation."""
    runs = tmp_path / "runs"
    make_run(runs, "v__1", [1.0, 2.0, 10.0])
    make_run(runs, "v__2", [1.0, 3.0, 20.0])
    # the last row cut mid-row (a run killed, or a copy cut, while writing it)
    make_run(runs, "v__3", [1.0, 50.0], total_steps=300, tail="300,0.1,,-15")
    make_run(runs, "v__4", [1.0, 50.0], total_steps=300)  # ends before total_steps
    make_run(runs, "v__5", [1.0, 50.0, "nan"])  # the final evaluation is nan
    make_run(runs, "v__6", [1.0, 50.0, "inf"])
    make_run(runs, "v__7", [1.0, "-inf", 5.0])  # an earlier one is not finite
    make_run(runs, "v__8", [1.0, 50.0, 30.0], header="stp,time,episode_return,eval_return")
    make_run(runs, "v__9", [1.0, 50.0, 30.0], total_steps=0)  # no config.json
    make_run(runs, "v__10", [1.0, 50.0, 30.0, 40.0], total_steps=300)  # past total_steps
    make_run(runs, "v__11", [1.0, 2.0, 3.0], total_steps=350)  # eval_every 100: final at 300
    dirs = sorted(str(p) for p in runs.iterdir())
    assert main(["report", *dirs, "--csv", str(tmp_path / "r.csv"), "--reps", "200"]) == 0
    out = capsys.readouterr().out
    # v__1, v__2, v__11: finals 10, 20, 3; bests the same
    assert "| v | 3 of 11 (5 incomplete, 3 diverged) | 11.0 ± 7.0 | 11.0 [" in out
    left = [line[2:] for line in out.splitlines() if line.startswith("- ")]
    assert left == [
        f"{runs / 'v__10'}: incomplete: its last evaluation is at step 400, after its final one at step 300 (total_steps 300)",
        f"{runs / 'v__3'}: incomplete: its metrics.csv has its last row (line 4) cut mid-row",
        f"{runs / 'v__4'}: incomplete: its evaluations end at step 200, before its final one at step 300 (total_steps 300)",
        f"{runs / 'v__5'}: diverged: eval_return is nan at step 300",
        f"{runs / 'v__6'}: diverged: eval_return is inf at step 300",
        f"{runs / 'v__7'}: diverged: eval_return is -inf at step 200",
        f"{runs / 'v__8'}: incomplete: its metrics.csv has no 'step' column in its header row (stp,time,episode_return,eval_return)",
        f"{runs / 'v__9'}: incomplete: no config.json: where its final evaluation is, is unknown",
    ]
    assert "Left out of every figure (8 runs):" in out
    (row,) = csv.DictReader(open(tmp_path / "r.csv"))
    assert (row["seeds"], row["runs"], row["incomplete"], row["diverged"]) == ("3", "11", "5", "3")
    assert float(row["final_mean"]) == 11.0 and float(row["best_mean"]) == 11.0


def test_a_variant_with_no_run_that_counts(tmp_path, capsys):
    runs = tmp_path / "runs"
    make_run(runs, "w__1", [1.0, "nan"])
    make_run(runs, "w__2", [1.0], finished=False, total_steps=200)
    assert main(["report", str(runs / "w__1"), str(runs / "w__2"), "--reps", "100"]) == 0
    out = capsys.readouterr().out
    assert "| w | 0 of 2 (1 incomplete, 1 diverged) | - | - | - | - |" in out


def test_report_of_a_sweep_counts_every_run_of_its_manifest(tmp_path, capsys, monkeypatch):
    """Runs not started, failed or still running count as incomplete: '1 of 2' is of the
    variant's runs in the manifest, not of the runs that happen to have metrics."""
    path = sweep_file(tmp_path, TWO_BY_TWO)
    monkeypatch.chdir(tmp_path)
    assert main(["sweep", path.name, *sets(TINY)]) == 0
    sweep_dir = Path("runs") / "tiny"
    make_run(sweep_dir, "width_16__1", [1.0, 3.0])
    failed = make_run(sweep_dir, "width_16__2", [1.0], finished=False, total_steps=200)
    (failed / launch.STATUS).write_text(json.dumps({"state": "failed"}))
    running = make_run(sweep_dir, "width_32__1", [2.0], finished=False, total_steps=200)
    capsys.readouterr()
    with open(running / launch.LOCK, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        assert main(["report", "--sweep", path.name, "--reps", "100"]) == 0
    out = capsys.readouterr().out
    assert "| width_16 | 1 of 2 (1 incomplete) | 3.0 ± 0.0 |" in out
    assert "| width_32 | 0 of 2 (2 incomplete) | - | - | - | - |" in out
    assert [line for line in out.splitlines() if line.startswith("- ")] == [
        f"- {failed}: incomplete: failed (no model.pt; its output: {failed / launch.LOG})",
        f"- {sweep_dir / 'width_32__2'}: incomplete: not started",
        f"- {running}: incomplete: still running (no model.pt yet)",
    ]


def test_report_needs_runs_or_a_sweep(tmp_path):
    r = run_specc("report", cwd=tmp_path)
    assert r.returncode == 2 and "give RUN_DIRs or --sweep FILE" in r.stderr
    path = sweep_file(tmp_path, TWO_BY_TWO)
    r = run_specc("report", "--sweep", path.name, cwd=tmp_path)
    assert (
        r.returncode == 2 and "runs/tiny/manifest.json does not exist: run specc sweep" in r.stderr
    )


def test_example_sweep_compiles():
    """sweeps/mst_critic_regimes.yaml: 6 variants, named after the regime and the level; one
    variant of each regime compiles (the sst one without the base spec's topology block)."""
    sweep = load_sweep(str(ROOT / "sweeps" / "mst_critic_regimes.yaml"))
    assert [v.name for v in sweep.variants] == [
        f"regime_{r}__level_{lv}" for r in ("sst", "dst") for lv in ("0p6", "0p8", "0p9")
    ]
    assert sweep.seeds == (1, 2, 3, 4, 5)
    two = dataclasses.replace(sweep, variants=(sweep.variants[0], sweep.variants[3]))
    sst, dst = compile_sweep(two)
    assert "-s networks.critic.sparsity.topology=null" in sst.source
    assert "-s networks.critic.sparsity.level=0.6\n    -s name=regime_dst__level_0p6" in dst.source
