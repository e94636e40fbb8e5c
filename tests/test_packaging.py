"""An installed, non-editable wheel carries the templates and compiles the specs."""

import subprocess
import sys

import pytest

from conftest import ROOT, SPECS


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
