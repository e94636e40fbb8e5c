"""The lint gate: ruff on generated code and on the project's own, black on the project's own,
and no unused definitions in generated scripts."""

import subprocess
import sys

import pytest

from conftest import GENERATED, ROOT
from generated_lint import ruff, unused_axis_text, unused_definitions

from specc.compiler import front_end

SCRIPTS = sorted(GENERATED.glob("*.py"))


def test_ruff_is_clean_on_generated_and_the_project():
    r = ruff("generated", "specc", "tests", "benchmarks")
    assert r.returncode == 0, r.stdout + r.stderr


def test_black_is_clean_on_the_project():
    r = subprocess.run(
        [sys.executable, "-m", "black", "--check", "--quiet", "specc", "tests", "benchmarks"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert r.returncode == 0, r.stderr


@pytest.mark.parametrize("path", SCRIPTS, ids=[p.stem for p in SCRIPTS])
def test_generated_script_defines_only_what_it_uses(path):
    assert unused_definitions(path.read_text()) == []


@pytest.mark.parametrize("path", SCRIPTS, ids=[p.stem for p in SCRIPTS])
def test_generated_script_names_only_the_topology_axes_it_uses(path):
    plan = front_end(str(ROOT / "specs" / f"{path.stem}.yaml"), [])[3]
    assert unused_axis_text(path.read_text(), plan.sparsity) == []


def test_the_unused_axis_check_finds_what_it_should():
    source = (
        '"""A d2s script."""\n'
        "def drop(masks):\n"
        "    counts = masks.scheduled_counts()  # d2s/s2d\n"
        "    return masks.importance_drop_scores(), counts\n"
        "RESOLVED_SPEC = 'importance d2s'\n"
    )
    assert unused_axis_text(source, None) == [
        "3: a level schedule (d2s, s2d): counts = masks.scheduled_counts()  # d2s/s2d",
        "4: importance growth: return masks.importance_drop_scores(), counts",
    ]


def test_the_unused_definition_check_finds_what_it_should():
    source = (
        "import math\n"
        "class Used:\n    def called(self):\n        return 1\n    def dead(self):\n        return 2\n"
        "class Dead:\n    pass\n"
        "def helper():\n    return Used().called()\n"
        "def orphan():\n    return 0\n"
        "def main():\n    helper()\n"
    )
    assert unused_definitions(source) == [
        "5: Used.dead is never used",
        "7: Dead is never used",
        "11: orphan is never used",
    ]
