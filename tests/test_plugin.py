"""docs/architecture.md's plug-in table, kept honest: a new algorithm is records alone.

A toy algorithm is registered in a temporary catalog (the registries patched for one test):
its Algorithm record, a preset that gives it defaults, and its entry among what this version
generates. Its record reuses SAC's template and facts under another name, so any stage that
tested an algorithm's name instead of asking its record would make it compile differently
from SAC (or fail). A toy that does not take the suite's observations is a located error.
"""

import dataclasses
import difflib
import re
import subprocess
import sys

import pytest

from specc import catalog
from specc.compiler import compile_one, front_end
from specc.diagnostics import SpecError

SPEC = """\
specc: 1
name: toy_run
algorithm: {algorithm}
env: {{id: Pendulum-v1}}
networks:
  actor: {{arch: mlp, width: 32, depth: 2}}
  critic:
    arch: mlp
    width: 32
    depth: 2
    sparsity: {{regime: dst, level: 0.5, topology: {{method: rigl}}}}
"""


@pytest.fixture
def toy(monkeypatch):
    """Register `toy`: SAC's record under a new name, with a preset of its own."""
    record = dataclasses.replace(catalog.algorithm("sac"), name="toy", default_preset="toy")
    cleanrl = catalog.PRESETS["cleanrl"]
    preset = dataclasses.replace(
        cleanrl,
        name="toy",
        source="a toy preset (tests/test_plugin.py)",
        train={"toy": cleanrl.train["sac"]},
        networks={"toy": cleanrl.networks["sac"]},
    )
    monkeypatch.setitem(catalog.ALGORITHM_RECORDS, "toy", record)
    monkeypatch.setitem(catalog.PRESETS, "toy", preset)
    monkeypatch.setitem(catalog.SUPPORTED, "algorithm", (*catalog.SUPPORTED["algorithm"], "toy"))
    return record


def _spec(tmp_path, algorithm: str) -> str:
    path = tmp_path / f"{algorithm}.yaml"
    path.write_text(SPEC.format(algorithm=algorithm))
    return str(path)


@pytest.mark.usefixtures("toy")
def test_a_toy_algorithm_from_records_alone_compiles_as_its_model_does(tmp_path):
    toy_script = compile_one(_spec(tmp_path, "toy"), []).source
    sac_script = compile_one(_spec(tmp_path, "sac"), []).source
    # the same script but for the names the spec and its preset give (and the hashes of both)
    changed = [
        line[1:]
        for line in difflib.unified_diff(sac_script.splitlines(), toy_script.splitlines(), n=0)
        if line[:1] in "+-" and line[:3] not in ("+++", "---")
    ]
    allowed = re.compile(
        r'.*\b(toy|TOY|sac|SAC)\b.*|(SCRIPT|SPEC)_SHA256 = ".*"|\s*# (preset .*|td3_.*)|'
        r"(\s*#)?\s*(algorithm|preset): .*|Source: .*|\s*"
    )
    assert changed and all(allowed.fullmatch(line) for line in changed), changed


@pytest.mark.usefixtures("toy")
def test_a_toy_algorithm_script_runs(tmp_path):
    script = tmp_path / "toy_run.py"
    script.write_text(compile_one(_spec(tmp_path, "toy"), []).source)
    done = subprocess.run(
        [sys.executable, str(script), "--dry-run"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "critic" in done.stdout


@pytest.mark.usefixtures("toy")
def test_the_plan_takes_its_axes_from_the_records(tmp_path):
    _, _, _, plan = front_end(_spec(tmp_path, "toy"), [])
    assert (plan.observation, plan.action, plan.loop) == ("state", "box", "replay")


def test_an_algorithm_that_does_not_take_the_suites_observations_is_a_located_error(
    toy, monkeypatch, tmp_path
):
    pixels_only = dataclasses.replace(toy, observations=("pixels",))
    monkeypatch.setitem(catalog.ALGORITHM_RECORDS, "toy", pixels_only)
    with pytest.raises(SpecError) as exc:
        front_end(_spec(tmp_path, "toy"), [])
    (diag,) = exc.value.diagnostics
    assert diag.key == "algorithm"
    assert diag.location.line == 3
    assert diag.message == (
        "algorithm 'toy' takes pixels observations; suite 'gymnasium' gives state observations"
    )


def test_an_unregistered_name_is_still_refused_with_the_registry_listed(tmp_path):
    with pytest.raises(SpecError) as exc:
        front_end(_spec(tmp_path, "toy"), [])
    (diag,) = exc.value.diagnostics
    assert diag.key == "algorithm"
    assert "expected one of sac, td3, ddpg, mrq, mrsac" in diag.message


TOY_SUITE_SPEC = """\
specc: 1
name: toy_run
algorithm: sac
env: {{id: {env_id}, suite: {suite}}}
networks:
  actor: {{arch: mlp, width: 32, depth: 2}}
  critic: {{arch: mlp, width: 32, depth: 2}}
"""


@pytest.fixture
def toy_suite(monkeypatch):
    """Register `toy`: a suite with a closed list of tasks, Gymnasium's env template."""
    record = catalog.Suite(
        name="toy",
        template=catalog.suite("gymnasium").template,
        id_help="toy task",
        tasks=("toy-reach", "toy-push"),
        title="Toy Control",
        task_form="'toy-task', e.g. 'toy-reach'",
        gymnasium_form=("toy/", "-v0"),
        unsupported={"toy-lqr": "toy-lqr is not supported"},
    )
    monkeypatch.setitem(catalog.SUITE_RECORDS, "toy", record)
    monkeypatch.setitem(catalog.SUPPORTED, "suite", (*catalog.SUPPORTED["suite"], "toy"))
    return record


@pytest.mark.usefixtures("toy_suite")
@pytest.mark.parametrize(
    "env_id, suite, message",
    [
        (
            "toy/toy-reach-v0",
            "toy",
            "'toy/toy-reach-v0': write the task as the papers do: 'toy-reach'",
        ),
        ("toy-lqr-x", "toy", "'toy-lqr-x': toy-lqr is not supported"),
        (
            "Pendulum-v1",
            "toy",
            "'Pendulum-v1': a Gymnasium id: set env.suite: gymnasium, or name a Toy Control suite task",
        ),
        ("toy-reac", "toy", "'toy-reac': not a Toy Control suite task; did you mean 'toy-reach'?"),
        (
            "toy-lift-cube",
            "toy",
            "'toy-lift-cube': not a Toy Control suite task ('toy-task', e.g. 'toy-reach')",
        ),
        ("toy-push", "gymnasium", "'toy-push' is a Toy Control suite task: set env.suite: toy"),
        (
            "toy/toy-push-v0",
            "gymnasium",
            "'toy/toy-push-v0' is a Toy Control suite task: set env.suite: toy, env.id: 'toy-push'",
        ),
    ],
)
def test_a_toy_suites_task_list_is_checked_from_its_record(tmp_path, env_id, suite, message):
    path = tmp_path / "toy_suite.yaml"
    path.write_text(TOY_SUITE_SPEC.format(env_id=env_id, suite=suite))
    with pytest.raises(SpecError) as exc:
        front_end(str(path), [])
    (diag,) = exc.value.diagnostics
    assert (diag.key, diag.message) == ("env.id", message)


@pytest.mark.usefixtures("toy_suite")
def test_a_toy_suites_task_compiles(tmp_path):
    path = tmp_path / "toy_suite.yaml"
    path.write_text(TOY_SUITE_SPEC.format(env_id="toy-reach", suite="toy"))
    _, _, _, plan = front_end(str(path), [])
    assert plan.env.record.name == "toy" and plan.env.tasks == ("toy-reach", "toy-push")
