"""The error corpus: one bad spec per folder in tests/errors/, with the expected stderr beside it.

Each case folder holds ``spec.yaml``, optionally ``overrides.txt`` (one override per line;
``\\n`` stands for a newline) and ``expected.stderr``. Regenerate the expectations with
``SPECC_UPDATE_GOLDENS=1 pytest tests/test_errors.py`` and review the diff.
"""

from pathlib import Path

import pytest

from conftest import UPDATE, run_specc

CASES = sorted(p for p in (Path(__file__).parent / "errors").iterdir() if p.is_dir())


def _overrides(case: Path) -> list[str]:
    f = case / "overrides.txt"
    if not f.exists():
        return []
    return [line.replace("\\n", "\n") for line in f.read_text().splitlines() if line]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_error_case(case: Path, tmp_path: Path):
    args = ["compile", "spec.yaml", "-o", str(tmp_path / "out")]
    for ov in _overrides(case):
        args += ["-s", ov]
    result = run_specc(*args, cwd=case)
    expected_file = case / "expected.stderr"
    if UPDATE:
        expected_file.write_text(result.stderr)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    assert not (tmp_path / "out").exists(), "nothing may be written when a spec has errors"
    assert result.stderr == expected_file.read_text(), (
        f"stderr of {case.name} changed; if intended, run SPECC_UPDATE_GOLDENS=1 pytest tests/test_errors.py\n"
        + result.stderr
    )


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_every_diagnostic_has_a_position(case: Path):
    """Each reported problem names a file line:col (or an override), and the caret line matches."""
    text = (case / "expected.stderr").read_text()
    heads = [line for line in text.splitlines() if ": error: " in line]
    assert heads, text
    lines = (case / "spec.yaml").read_text().splitlines()
    for head in heads:
        where = head.split(": error: ")[0]
        if where.startswith("override "):
            continue
        name, line, col = where.rsplit(":", 2) if where.count(":") >= 2 else (where, "0", "0")
        assert name == "spec.yaml"
        line, col = int(line), int(col)
        if lines:
            assert 1 <= line <= len(lines), head
            assert 1 <= col <= len(lines[line - 1]) + 1, head
