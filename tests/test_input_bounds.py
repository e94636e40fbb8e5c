"""Bounded input (loader, schema, rules) and the files specc writes (writer).

The YAML a spec, a sweep file or an override value is read from is bounded before anything is
built from it: aliases repeat at most loader.MAX_ALIAS_VALUES values, an alias inside its own
anchor and nesting deeper than loader.MAX_DEPTH are located errors, and strings hold no control
characters but tab and newline. The bad-spec corpus (tests/errors/) shows the messages; these
tests pin the bounds themselves, the time an alias bomb takes, and the writer's permissions
and error paths.
"""

import os
import re
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT, run_specc

from specc import writer
from specc.cli import main
from specc.compiler import front_end
from specc.diagnostics import SpecError
from specc.loader import MAX_ALIAS_VALUES, MAX_DEPTH, parse_yaml_text
from specc.overrides import parse_override
from specc.experiments.sweep import load_sweep

HEAD = """\
specc: 1
name: demo
algorithm: sac
env:
  id: Pendulum-v1
networks:
  actor: {arch: mlp, width: 16}
  critic: {arch: mlp, width: 16}
"""


def bomb(levels: int = 9) -> str:
    """A "billion laughs": 9 ** levels strings from a few hundred bytes."""
    lines = ["l0: &l0 [" + ", ".join(["lol"] * 9) + "]"]
    for i in range(1, levels + 1):
        lines.append(f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def write(tmp_path: Path, text: str, name: str = "spec.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def errors(text: str) -> list[str]:
    """The diagnostics of loading ``text`` (file 'f.yaml'), rendered."""
    _, _, diags = parse_yaml_text(text, "f.yaml")
    return [d.render() for d in diags]


# --------------------------------------------------------------------------- aliases
def test_alias_bomb_is_refused_in_under_a_second(tmp_path, capsys):
    path = write(tmp_path, HEAD + bomb(9))  # 9**10 ~ 3.5e9 values once expanded
    t0 = time.perf_counter()
    code = main(["validate", str(path)])
    elapsed = time.perf_counter() - t0
    err = capsys.readouterr().err
    assert code == 2
    assert elapsed < 1.0, f"validate took {elapsed:.2f} s"
    assert err.startswith(f"{path}:12:10: error: aliases repeat more than {MAX_ALIAS_VALUES}")
    assert err.endswith("1 error found; nothing was written.\n")


def test_alias_bomb_on_the_command_line_exits_2_quickly(tmp_path):
    path = write(tmp_path, HEAD + bomb(12))
    r = run_specc("validate", str(path), timeout=30)  # before the bound: minutes, then OOM
    assert r.returncode == 2 and "aliases repeat more than" in r.stderr
    assert "Traceback" not in r.stderr


def test_the_alias_cap_counts_every_repeated_value():
    # an anchor of 1 list + 99 scalars is 100 values; ten aliases of it repeat exactly the cap
    anchor = "a: &a [" + ", ".join(str(i) for i in range(99)) + "]\n"
    n = MAX_ALIAS_VALUES // 100
    data, _, diags = parse_yaml_text(anchor + "b: [" + ", ".join(["*a"] * n) + "]\n", "f")
    assert diags == [] and len(data["b"]) == n and data["b"][0] == list(range(99))
    more = errors(anchor + "b: [" + ", ".join(["*a"] * (n + 1)) + "]\n")
    assert len(more) == 1
    # located at the alias that crosses the cap, the last one
    col = len("b: [") + 1 + len("*a, ") * n
    assert more[0].startswith(f"f.yaml:2:{col}: error: aliases repeat more than")
    assert "(with *a, which repeats 100)" in more[0]


def test_a_shared_block_is_a_spec_like_any_other(tmp_path):
    text = HEAD.replace(
        "  actor: {arch: mlp, width: 16}\n  critic: {arch: mlp, width: 16}\n",
        "  actor: &net {arch: mlp, width: 32, sparsity: {regime: sst, level: 0.5}}\n"
        "  critic: *net\n",
    )
    _, spec, tree, _ = front_end(str(write(tmp_path, text)), [])
    for module in ("actor", "critic"):
        assert tree["networks"][module]["width"].value == 32
        assert tree["networks"][module]["sparsity"]["level"].value == 0.5


@pytest.mark.parametrize(
    "text, where",
    [
        ("x: &x [*x]\n", "f.yaml:1:8:"),
        ("x: &x {a: {b: [1, *x]}}\n", "f.yaml:1:19:"),
        ("x: &x\n  a: 1\n  b: *x\n", "f.yaml:3:6:"),
        ("x: &x {*x : 1}\n", "f.yaml:1:8:"),
    ],
)
def test_a_recursive_alias_is_a_located_error(text, where):
    (msg,) = errors(text)
    assert msg.startswith(f"{where} error: alias *x is inside its own anchor &x (line 1)")


def test_an_alias_of_a_finished_anchor_inside_another_is_no_recursion():
    data, _, diags = parse_yaml_text("a: &a [1]\nb: &b [*a, [*a]]\nc: *b\n", "f")
    assert diags == [] and data["c"] == [[1], [[1]]]


def test_nesting_is_bounded():
    over = "x: " + "[" * MAX_DEPTH + "]" * MAX_DEPTH + "\n"  # the root mapping is one level more
    assert len(errors(over)) == 1 and "nested more than" in errors(over)[0]
    ok = "x: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "\n"
    assert errors(ok) == []
    deep = "x: " + "[" * 5000 + "]" * 5000 + "\n"  # was a RecursionError (exit 3)
    (msg,) = errors(deep)
    assert msg.startswith(f"f.yaml:1:{3 + MAX_DEPTH}: error: mappings and lists nested more than")


def test_sweep_files_and_override_values_have_the_same_bounds(tmp_path):
    (tmp_path / "s.yaml").write_text(HEAD)
    sweep = write(tmp_path, "sweep: 1\nname: w\nspec: s.yaml\n" + bomb(9), "sweep.yaml")
    t0 = time.perf_counter()
    with pytest.raises(SpecError) as exc:
        load_sweep(str(sweep))
    assert time.perf_counter() - t0 < 1.0
    (d,) = exc.value.diagnostics
    assert d.location.prefix() == f"{sweep}:7:10" and "aliases repeat more than" in d.message

    _, (d,) = parse_override("train.total_steps=&x [*x]")
    assert d.location.is_override and d.message.startswith("alias *x is inside its own anchor")
    _, (d,) = parse_override('description="a\\x1bb"')
    assert d.message.startswith("the string holds the control character U+001B (ESC)")


# --------------------------------------------------------------------------- characters
@pytest.mark.parametrize(
    "value, name",
    [
        ('"\\0"', "U+0000 (NUL)"),
        ('"\\a"', "U+0007 (BEL)"),
        ('"ok\\r"', "U+000D (CR)"),
        ('"\\x7f"', "U+007F (DEL)"),
        ('"\\x9b"', "U+009B"),
        ('"\\N"', "U+0085 (NEL)"),
        ('"\\ud800"', "U+D800"),
        ('"abc\\u202edef"', "U+202E"),
        ('"\\u2066"', "U+2066"),
    ],
)
def test_control_characters_in_strings_are_located_errors(value, name):
    (msg,) = errors(f"a: 1\ndescription: {value}\n")
    assert msg.startswith(
        f"f.yaml:2:14: error: description: the string holds the control character {name}"
    )
    (msg,) = errors(f"x:\n  {value}: 1\n")
    assert msg.startswith(f"f.yaml:2:3: error: x: a key holds the control character {name}")


def test_raw_control_characters_in_the_file_are_located_and_shown_safely():
    (msg,) = errors("a: 1\nb: x\x1b[2Jy\n")
    assert msg.splitlines() == [
        "f.yaml:2:5: error: invalid YAML: the character U+001B (ESC) is not allowed (YAML allows no control characters but tab and line breaks)",
        "  2 | b: x\u241b[2Jy",  # the snippet shows ESC as a picture, never the raw byte
        "    |     ^",
    ]
    # one error per line that has one
    assert len(errors("a: \x00\nb: \x07\x07\nc: 1\n")) == 2


def test_tabs_and_newlines_are_text(tmp_path):
    text = HEAD + "description: |\n  two\tcolumns\n  and a second line\n"
    _, spec, _, _ = front_end(str(write(tmp_path, text)), [])
    assert spec.description == "two\tcolumns\nand a second line\n"
    r = run_specc("compile", str(tmp_path / "spec.yaml"), "-o", str(tmp_path / "out"))
    assert r.returncode == 0, r.stderr
    compile((tmp_path / "out" / "demo.py").read_text(), "demo.py", "exec")


# --------------------------------------------------------------------------- seed, learning_starts
def test_seed_is_a_32_bit_unsigned_integer(tmp_path):
    front_end(str(write(tmp_path, HEAD + f"seed: {2**32 - 1}\n")), [])
    for seed, message in [
        (2**32, "must be <= 4294967295, got 4294967296"),
        (-1, "must be >= 0, got -1"),
        ("1e29", "expected an integer, got 1e+29 (float)"),
        ("1e3", "expected an integer, got 1000.0; write 1000"),
    ]:
        with pytest.raises(SpecError) as exc:
            front_end(str(write(tmp_path, HEAD + f"seed: {seed}\n")), [])
        (d,) = exc.value.diagnostics
        assert (d.key, d.message, d.location.line) == ("seed", message, 9)


def test_learning_starts_must_come_before_the_end_of_training(tmp_path):
    path = str(write(tmp_path, HEAD + "train: {total_steps: 1000, learning_starts: 999}\n"))
    front_end(path, [])
    with pytest.raises(SpecError) as exc:
        front_end(path, ["train.learning_starts=1000"])
    (d,) = exc.value.diagnostics
    assert d.key == "train.learning_starts" and d.location.is_override
    assert "learning_starts 1000 is not before the end of training (total_steps 1000)" in d.message
    # the value from the preset: at the total_steps the user wrote, naming the preset
    with pytest.raises(SpecError) as exc:
        front_end(path, ["train.learning_starts=null"])
    (d,) = exc.value.diagnostics
    assert d.key == "train.total_steps" and (d.location.line, d.location.col) == (9, 22)
    assert "(learning_starts 5000, from preset cleanrl)" in d.message


def test_no_shipped_spec_trains_for_less_than_its_warm_up():
    for path in sorted((ROOT / "specs").glob("*.yaml")):
        _, _, tree, _ = front_end(str(path), [])
        train = tree["train"]
        if "learning_starts" in train:  # a streaming agent has no warm-up
            assert train["learning_starts"].value < train["total_steps"].value, path.name


# --------------------------------------------------------------------------- the writer
@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_written_files_get_the_umask_permissions(tmp_path, umask, mode):
    old = os.umask(umask)
    try:
        writer.write_atomic(tmp_path / "a.txt", "text\n")
        writer.write_atomic(tmp_path / "b.bin", b"\x00\x01")
        writer.write_atomic(tmp_path / "a.txt", "again\n")  # replacing, too
    finally:
        os.umask(old)
    for name in ("a.txt", "b.bin"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == mode
    assert (tmp_path / "a.txt").read_text() == "again\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "b.bin"]


def test_a_compiled_script_gets_the_umask_permissions(tmp_path):
    spec = write(tmp_path, HEAD)
    for umask, mode in ((0o022, 0o644), (0o077, 0o600)):
        out = tmp_path / f"out{umask:o}"
        r = subprocess.run(
            [sys.executable, "-m", "specc", "compile", str(spec), "-o", str(out)],
            capture_output=True,
            text=True,
            preexec_fn=lambda u=umask: os.umask(u),
        )
        assert r.returncode == 0, r.stderr
        assert stat.S_IMODE((out / "demo.py").stat().st_mode) == mode


def test_a_write_error_names_the_target_never_the_temporary_file(tmp_path, monkeypatch):
    def refuse(path, *_):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(writer.os, "open", refuse)
    with pytest.raises(OSError) as exc:
        writer.write_atomic(tmp_path / "x.py", "x = 1\n")
    assert (exc.value.filename, exc.value.strerror) == (str(tmp_path / "x.py"), "Permission denied")
    assert isinstance(exc.value, PermissionError)
    assert list(tmp_path.iterdir()) == []


def test_the_cli_reports_a_failed_replace_at_the_target(tmp_path):
    spec = write(tmp_path, HEAD)
    (tmp_path / "out" / "demo.py").mkdir(parents=True)  # os.replace fails: a directory is there
    r = run_specc("compile", str(spec), "-o", str(tmp_path / "out"))
    assert r.returncode == 2
    assert r.stderr == f"specc: error: {tmp_path / 'out' / 'demo.py'}: Is a directory\n"
    assert ".tmp" not in r.stderr
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["demo.py"]  # no temporary left


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_folder_names_the_target(tmp_path):
    spec = write(tmp_path, HEAD)
    out = tmp_path / "out"
    out.mkdir()
    out.chmod(0o555)
    try:
        r = run_specc("compile", str(spec), "-o", str(out))
    finally:
        out.chmod(0o755)
    assert r.returncode == 2
    assert r.stderr == f"specc: error: {out / 'demo.py'}: Permission denied\n"


def test_a_sweeps_scripts_and_manifest_get_the_umask_permissions(tmp_path):
    write(tmp_path, HEAD, "s.yaml")
    write(
        tmp_path,
        "sweep: 1\nname: w\nspec: s.yaml\nseeds: [1]\ngrid:\n  networks.critic.width: [16, 32]\n",
        "sweep.yaml",
    )
    r = subprocess.run(
        [sys.executable, "-m", "specc", "sweep", "sweep.yaml"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        preexec_fn=lambda: os.umask(0o022),
    )
    assert r.returncode == 0, r.stderr
    written = [p for p in (tmp_path / "runs" / "w").rglob("*") if p.is_file()]
    assert {p.name for p in written} == {"manifest.json", "width_16.py", "width_32.py"}
    assert {stat.S_IMODE(p.stat().st_mode) for p in written} == {0o644}


def test_specc_creates_files_only_through_the_writer_or_open():
    """Every file specc writes whole (scripts, manifest, status, plots, CSV) goes through
    writer.write_atomic; the others (a run's lock and log) are created by open(), so all get
    the umask's permissions. A new way of writing a file has to be added here knowingly."""
    for module in sorted((ROOT / "specc").glob("*.py")):
        if module.name == "writer.py":
            continue
        text = module.read_text()
        for call in ("mkstemp", "NamedTemporaryFile", ".write_text(", ".write_bytes(", "chmod"):
            assert call not in text, f"{module.name} writes with {call}"
        # matplotlib draws into memory (buf), the writer writes the PNG
        assert set(re.findall(r"savefig\(\s*(\w+)", text)) <= {"buf"}, module.name
