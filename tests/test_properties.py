"""Properties over the whole spec language, not only the specs in specs/.

- Every valid spec (tests/spec_space.py) compiles, recompiles byte-identically, passes the lint
  gate (ruff, no unused definitions, no topology axis it does not use), and its script
  dry-runs with plan totals that match the spec's levels and trains a short CPU run (Pendulum-v1 or DMC pendulum-swingup, action repeat
  1 or 2, tiny widths, cadences that fire within it) to the end with finite losses and the
  sparsity columns the spec asks for.
- Every instance of the JSON Schema (`specc schema`) either compiles (exit 0) or is rejected
  with exit 2 and `file:line:col` errors: never exit 3, never a traceback.

CI runs a fixed (derandomised) sample sized for its budget. A larger, fresh sample:
``SPECC_PROPERTY_SCALE=20 python -m pytest tests/test_properties.py`` (20x the examples, a new
random draw each time; a failing example is printed as a spec).
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from ruamel.yaml import YAML

from generated_lint import ruff, unused_axis_text, unused_definitions
from generated_utils import import_script, run_main
from spec_space import (
    ALGORITHMS,
    DISCRETE_ALGORITHMS,
    PIXEL_ALGORITHMS,
    STATE_SUITES,
    TOTAL_STEPS,
    discrete_specs,
    pixel_specs,
    schema_specs,
    valid_specs,
)

from specc.catalog import SUPPORTED
from specc.cli import main as specc_main
from specc import catalog
from specc.compiler import compile_one, front_end
from specc.render import render_source
from specc.schema import json_schema

SCALE = int(os.environ.get("SPECC_PROPERTY_SCALE", "1"))


def _settings(examples: int):
    return settings(
        max_examples=examples * SCALE,
        derandomize=SCALE == 1,  # CI: the same sample on every run
        database=None,
        deadline=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.filter_too_much,
        ],
        print_blob=True,
        # no shrinking in CI (a run example takes seconds; the failing spec is printed as drawn)
        phases=tuple(Phase) if SCALE > 1 else (Phase.explicit, Phase.reuse, Phase.generate),
    )


def write_spec(data, path: Path) -> Path:
    yaml = YAML()
    yaml.default_flow_style = False
    with open(path, "w") as f:
        yaml.dump(data, f)
    return path


_counter = iter(range(10**9))


def _fresh_dir(tmp_path_factory, prefix: str) -> Path:
    return tmp_path_factory.mktemp(f"{prefix}{next(_counter)}", numbered=False)


# --------------------------------------------------------------------------- compile
@_settings(100)
@given(spec=valid_specs())
def test_every_valid_spec_compiles_deterministically_and_lints(spec, tmp_path_factory):
    """Every stage but black (about a second a script; a pure function of valid Python, run on
    the goldens and on every script of the run property below)."""
    tmp = _fresh_dir(tmp_path_factory, "compile")
    path = write_spec(spec, tmp / "spec.yaml")
    _, _, _, plan = front_end(str(path), [])
    source = render_source(plan)
    assert render_source(front_end(str(path), [])[3]) == source, "recompiling changed the script"
    script = tmp / f"{plan.name}.py"
    script.write_text(source)
    compile(source, str(script), "exec")
    assert unused_definitions(source) == []
    assert unused_axis_text(source, plan.sparsity) == []
    r = ruff(script)
    assert r.returncode == 0, r.stdout


@_settings(25)
@given(spec=pixel_specs())
def test_every_valid_pixel_spec_compiles_deterministically_and_lints(spec, tmp_path_factory):
    """The same for agents that see pixels (every regime on the conv encoder)."""
    test_every_valid_spec_compiles_deterministically_and_lints.hypothesis.inner_test(
        spec, tmp_path_factory
    )


@_settings(25)
@given(spec=discrete_specs())
def test_every_valid_discrete_spec_compiles_deterministically_and_lints(spec, tmp_path_factory):
    """The same for agents of discrete actions on Atari (DER: every regime on its CNN and its
    noisy head; MR.Q's discrete branch: every regime on its three modules)."""
    test_every_valid_spec_compiles_deterministically_and_lints.hypothesis.inner_test(
        spec, tmp_path_factory
    )


@_settings(80)
@given(data=schema_specs(json_schema()))
def test_every_schema_instance_compiles_or_is_rejected_with_located_errors(data, tmp_path_factory):
    tmp = _fresh_dir(tmp_path_factory, "schema")
    path = write_spec(data, tmp / "spec.yaml")
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = specc_main(["compile", str(path), "-o", str(tmp / "out")])
    err = err.getvalue()
    assert code in (0, 2), err
    assert "Traceback" not in err
    if code == 2:
        errors = [line for line in err.splitlines() if ": error: " in line]
        assert errors, err
        for line in errors:
            assert line.startswith(f"{path}:"), line
            where = line[len(str(path)) + 1 :].split(":")
            assert where[0].isdigit() and where[1].isdigit(), f"no line:col in {line!r}"
        assert not (tmp / "out").exists(), "nothing is written when a spec has an error"
    else:
        assert (tmp / "out" / f"{data['name']}.py").is_file()


# --------------------------------------------------------------------------- run
UNREACHABLE = (
    "cannot be reached"  # a level that the tiny layers kept dense cannot reach: a clean exit
)


def _expected_sparsity(spec: dict) -> dict[str, dict]:
    return {
        m: net["sparsity"]
        for m, net in spec.get("networks", {}).items()  # (der's may be the preset's)
        if net.get("sparsity", {}).get("regime", "dense") != "dense"
    }


def _resolved_sparsity(plan: dict) -> dict[str, dict]:
    """The sparse modules of the resolved spec the dry run prints (a method preset's included)."""
    from ruamel.yaml import YAML

    networks = YAML(typ="safe").load(plan["spec"])["networks"]
    return {m: n["sparsity"] for m, n in networks.items() if n["sparsity"]["regime"] != "dense"}


def _check_dry_run(plan: dict, spec: dict) -> None:
    sparse = _resolved_sparsity(plan)
    assert set(_expected_sparsity(spec)) <= set(sparse)
    for module, info in plan["modules"].items():
        assert info["total"] == sum(math.prod(l["shape"]) for l in info["layers"])
        assert info["active"] == sum(l["active"] for l in info["layers"])
        if module not in sparse:
            assert info["regime"] == "dense" and info["active"] == info["total"]
            continue
        sp = sparse[module]
        if sp["regime"] == "sparse_init":  # SparseInit: ceil(level * fan_in) zeros per unit
            assert info["regime"] == "sparse_init"
            for layer in info["layers"]:
                out, inp = layer["shape"]
                assert layer["active"] == out * (inp - math.ceil(sp["level"] * inp)), layer
            continue
        if sp.get("distribution") == "epsilon_er":  # Bernoulli draws: the level is realised
            assert info["regime"] == sp["regime"]
            assert info["level"] == pytest.approx(1 - info["active"] / info["total"])
            continue
        assert info["regime"] == sp["regime"] and info["level"] == pytest.approx(sp["level"])
        if sp["regime"] == "d2s":
            assert info["active"] == info["total"], "d2s starts dense"
        else:  # sst, dst (the dry run takes a later mask now) and s2d start at the level
            revived = sum(l["revived"] for l in info["layers"])
            pruned = info["total"] - info["active"] + revived
            # RigL's floor counts: the budget is sum_l floor(level * n_l), and an allocation
            # that rescales layers (ER) floors each layer's count again: at most two weights
            # per layer below level * total
            assert (
                sp["level"] * info["total"] - 2 * len(info["layers"]) - 1
                <= pruned
                <= sp["level"] * info["total"] + 1e-6
            )


@pytest.mark.slow
@_settings(14)
@given(spec=valid_specs())
def test_every_valid_spec_dry_runs_and_trains(spec, tmp_path_factory):
    tmp = _fresh_dir(tmp_path_factory, "run")
    path = write_spec(spec, tmp / "spec.yaml")
    compiled = compile_one(str(path), [])
    assert compile_one(str(path), []).source == compiled.source, "recompiling changed the script"
    script = tmp / f"prop_{tmp.name}.py"  # a module name of its own per example
    script.write_text(compiled.source)
    r = ruff(script)
    assert r.returncode == 0, r.stdout
    module = import_script(script)
    common = ["--threads", "1", "--run-dir", str(tmp / "run")]
    try:
        plan = json.loads(
            run_main(module, ["--dry-run", "--json", *common]).strip().splitlines()[-1]
        )
    except SystemExit as exc:
        assert UNREACHABLE in str(exc), exc
        return
    _check_dry_run(plan, spec)
    assert not (tmp / "run").exists(), "--dry-run writes nothing"

    try:
        run_main(module, common)
    except SystemExit as exc:  # a level that cannot be reached: said in one line, not a crash
        assert UNREACHABLE in str(exc), exc
        return
    rows = list(csv.DictReader(open(tmp / "run" / "metrics.csv")))
    assert rows and int(rows[-1]["step"]) == TOTAL_STEPS
    columns = set(rows[0])
    # the masked modules as resolved (a method preset's included; SparseInit has no masks)
    sparse = {m for m, info in plan["modules"].items() if catalog.regime(info["regime"]).sparse}
    assert {f"{m}_sparsity" for m in sparse} <= columns
    assert {c for c in columns if c.endswith("_sparsity")} == {f"{m}_sparsity" for m in sparse}
    losses = catalog.algorithm(spec["algorithm"]).loss_columns
    trained = [r for r in rows if r[losses[0]]]
    assert trained, "no update was logged"
    for r in trained:
        for key in losses:
            if r[key]:
                assert math.isfinite(float(r[key])), (key, r)
        for m in sparse:
            assert 0.0 <= float(r[f"{m}_sparsity"]) < 1.0
    if "diagnostics" in spec:
        columns_diag = [
            c
            for c in columns
            if any(c.endswith(f"_{metric}") for metric in spec["diagnostics"]["metrics"])
        ]
        assert columns_diag and any(r[c] for r in rows for c in columns_diag)
    assert (tmp / "run" / "model.pt").is_file()


@pytest.mark.slow
@_settings(4)
@given(spec=pixel_specs())
def test_every_valid_pixel_spec_dry_runs_and_trains(spec, tmp_path_factory):
    """The same on pixels: tiny frames of cartpole-swingup rendered in a subprocess (run_main),
    every regime on the conv encoder."""
    test_every_valid_spec_dry_runs_and_trains.hypothesis.inner_test(spec, tmp_path_factory)


@pytest.mark.slow
@_settings(4)
@given(spec=discrete_specs())
def test_every_valid_discrete_spec_dry_runs_and_trains(spec, tmp_path_factory):
    """The same on Atari: tiny frames of Pong, every regime on DER's CNN and noisy head and on
    MR.Q's modules."""
    test_every_valid_spec_dry_runs_and_trains.hypothesis.inner_test(spec, tmp_path_factory)


def test_the_discrete_strategy_draws_every_regime_on_every_module():
    """DER (its CNN and noisy head, both CNNs) and MR.Q's discrete branch (its three modules) are
    drawn, every regime on each module of each."""
    seen: dict[tuple[str, str], set] = {}

    @settings(
        max_examples=200,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(spec=discrete_specs())
    def collect(spec):
        algorithm = spec["algorithm"]
        for module in catalog.algorithm(algorithm).modules:
            net = spec.get("networks", {}).get(module, {})
            seen.setdefault((algorithm, module), set()).add(
                net.get("sparsity", {}).get("regime", "dense")
            )
        if algorithm == "der":
            encoder = spec.get("networks", {}).get("encoder", {})
            seen.setdefault(("der", "arch"), set()).add(encoder.get("arch", "impala"))

    collect()
    assert set(DISCRETE_ALGORITHMS) == {"der", "mrq"}
    for algorithm in DISCRETE_ALGORITHMS:
        for module in catalog.algorithm(algorithm).modules:
            assert set(catalog.algorithm(algorithm).regimes) <= seen[(algorithm, module)], (
                algorithm,
                module,
            )
    assert seen[("der", "arch")] == {"impala", "nature"}


def test_the_pixel_strategy_draws_every_regime_on_the_encoder():
    seen, algorithms = set(), set()

    @settings(
        max_examples=60,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(spec=pixel_specs())
    def collect(spec):
        seen.add(spec["networks"]["encoder"].get("sparsity", {}).get("regime", "dense"))
        algorithms.add(spec["algorithm"])

    collect()
    assert set(catalog.algorithm("drqv2").regimes) <= seen
    assert algorithms == set(PIXEL_ALGORITHMS) == {"drqv2", "mrq"}


def test_the_strategy_draws_every_regime_and_algorithm():
    """The sample the run property sees covers the language's main axes (so a regime cannot
    silently drop out of the strategy)."""
    seen: dict[str, set] = {
        "algorithm": set(),
        "regime": set(),
        "arch": set(),
        "suite": set(),
        "action_repeat": set(),
    }

    @settings(
        max_examples=150,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(spec=valid_specs())
    def collect(spec):
        seen["algorithm"].add(spec["algorithm"])
        seen["suite"].add(spec["env"].get("suite", "gymnasium"))
        seen["action_repeat"].add(spec["env"].get("action_repeat"))
        for net in spec["networks"].values():
            seen["regime"].add(net.get("sparsity", {}).get("regime", "dense"))
            seen["arch"].add(net.get("arch"))

    collect()
    # everything this version generates (a new regime or arch must enter the strategy too)
    assert seen["algorithm"] == set(ALGORITHMS)  # the state-observation ones (spec_space)
    assert seen["regime"] == set(SUPPORTED["regime"])
    # every arch but the image ones (conv: pixel specs, not drawn yet, see spec_space.ALGORITHMS)
    assert {a for a in SUPPORTED["arch"] if not catalog.arch(a).image} <= seen["arch"]
    # the suites of states (atari's games are drawn by discrete_specs)
    assert seen["suite"] == set(STATE_SUITES) == set(SUPPORTED["suite"]) - {"atari"}
    assert seen["action_repeat"] == {None, 1, 2}
