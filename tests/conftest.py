import functools
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SPECS = sorted((ROOT / "specs").glob("*.yaml"))
GENERATED = ROOT / "generated"
UPDATE = os.environ.get("SPECC_UPDATE_GOLDENS") == "1"


@functools.lru_cache(maxsize=None)
def compiled_specs() -> dict:
    """A fresh in-process compile of every spec in specs/, once per test session (black takes
    about a second per script): file name -> source."""
    from specc.compiler import compile_specs

    return {c.filename: c.source for c in compile_specs([str(s) for s in SPECS], [])}


def run_specc(
    *args: str, cwd: Path | None = None, env: dict | None = None, timeout: int = 120
) -> subprocess.CompletedProcess:
    """Run the real command line in a subprocess (exit codes, stdout and stderr as users see them)."""
    return subprocess.run(
        [sys.executable, "-m", "specc", *args],
        cwd=cwd or ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=timeout,
    )


@pytest.fixture
def specc_cli():
    return run_specc
