"""An installed, non-editable wheel carries the templates and compiles the specs; the install
extras agree with what the generated scripts tell users to install."""

import re
import subprocess
import sys

import pytest

from conftest import ROOT, SPECS

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    tomllib = None


def _optional_dependencies() -> dict[str, list[str]]:
    if tomllib is None:
        pytest.skip("tomllib is Python 3.11+")
    with open(ROOT / "pyproject.toml", "rb") as f:
        return tomllib.load(f)["project"]["optional-dependencies"]


def test_env_extras_are_the_catalogs():
    """pyproject's mujoco, box2d and dmc extras are catalog.EXTRAS (the pip line a generated
    script prints when an env package is missing), and dev installs the env suites the tests
    run."""
    from specc.catalog import EXTRAS

    extras = _optional_dependencies()
    assert {name: tuple(extras[name]) for name in EXTRAS} == EXTRAS
    assert set(EXTRAS) == {"mujoco", "box2d", "dmc", "atari"}
    # dev names the extras it pulls in as specc[a,b,...]
    (self_ref,) = [r for r in extras["dev"] if r.startswith("specc[")]
    dev = set(re.fullmatch(r"specc\[([a-z0-9_,-]+)\]", self_ref).group(1).split(","))
    assert {"dmc", "box2d"} <= dev


@pytest.mark.slow
def test_wheel_ships_templates_and_compiles(tmp_path):
    wheel_dir, site = tmp_path / "wheel", tmp_path / "site"
    r = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheel_dir), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr[-3000:]
    wheel = next(wheel_dir.glob("specc-*.whl"))
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "-q",
            "--target",
            str(site),
            str(wheel),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr[-3000:]
    out = tmp_path / "out"
    probe = (
        "import sys; sys.path.insert(0, sys.argv[1]); sys.argv = sys.argv[1:];"
        "import specc, specc.render as r; assert specc.__file__.startswith(sys.argv[0]), specc.__file__;"
        "assert str(r.templates_dir()).startswith(sys.argv[0]), r.templates_dir();"
        "from specc.cli import main; raise SystemExit(main(sys.argv[1:]))"
    )
    r = subprocess.run(
        [sys.executable, "-c", probe, str(site), "compile", *map(str, SPECS), "-o", str(out)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    for spec in SPECS:
        assert (out / f"{spec.stem}.py").read_text() == (
            ROOT / "generated" / f"{spec.stem}.py"
        ).read_text()
