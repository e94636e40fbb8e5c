"""The command line: exit codes 0/1/2, --check, validate, explain, schema, --version."""

import json
import shutil
from pathlib import Path

from conftest import ROOT, run_specc

from specc import __version__
from specc.catalog import HELP

SAC = str(ROOT / "specs" / "sac_dense.yaml")


def test_version():
    r = run_specc("--version")
    assert r.returncode == 0
    assert r.stdout.strip() == f"specc {__version__}"


def test_compile_writes_one_file_per_spec(tmp_path):
    r = run_specc("compile", SAC, "-o", str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sac_dense.py"]
    assert r.stdout.strip() == f"wrote {tmp_path / 'sac_dense.py'}"


def test_check_is_clean_then_reports_drift(tmp_path):
    assert run_specc("compile", SAC, "-o", str(tmp_path)).returncode == 0
    r = run_specc("compile", SAC, "-o", str(tmp_path), "--check")
    assert (r.returncode, r.stdout) == (0, "")
    target = tmp_path / "sac_dense.py"
    target.write_text(target.read_text().replace("import torch\n", "import torch  # edited\n", 1))
    before = target.read_text()
    r = run_specc("compile", SAC, "-o", str(tmp_path), "--check")
    assert r.returncode == 1
    assert "-import torch  # edited" in r.stdout and "+import torch" in r.stdout
    assert "specc compile" in r.stderr
    assert target.read_text() == before, "--check must not write"


def test_check_reports_missing_file(tmp_path):
    r = run_specc("compile", SAC, "-o", str(tmp_path / "empty"), "--check")
    assert r.returncode == 1
    assert not (tmp_path / "empty").exists()


def test_one_bad_spec_means_nothing_is_written(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        (ROOT / "specs" / "sac_dense.yaml")
        .read_text()
        .replace("name: sac_dense", "name: other\nbogus: 1")
    )
    out = tmp_path / "out"
    r = run_specc("compile", SAC, str(bad), "-o", str(out))
    assert r.returncode == 2
    assert "bogus: unknown key" in r.stderr
    assert not out.exists()


def test_two_specs_with_one_name_is_an_error(tmp_path):
    copy = tmp_path / "copy.yaml"
    shutil.copy(SAC, copy)
    r = run_specc("compile", SAC, str(copy), "-o", str(tmp_path / "out"))
    assert r.returncode == 2
    assert "writes sac_dense.py" in r.stderr
    assert not (tmp_path / "out").exists()


def test_missing_file_and_directory(tmp_path):
    r = run_specc("compile", str(tmp_path / "nope.yaml"), "-o", str(tmp_path / "out"))
    assert r.returncode == 2
    assert r.stderr.startswith(f"{tmp_path / 'nope.yaml'}: error: no such file")
    r = run_specc("validate", str(tmp_path))
    assert r.returncode == 2 and "is a directory" in r.stderr
    assert "Traceback" not in r.stderr


def test_binary_file_is_reported_not_crashed(tmp_path):
    f = tmp_path / "x.yaml"
    f.write_bytes(b"\xff\xfe\x00garbage")
    r = run_specc("validate", str(f))
    assert r.returncode == 2 and "not UTF-8" in r.stderr and "Traceback" not in r.stderr


def test_validate_ok_and_error():
    r = run_specc("validate", SAC)
    assert (r.returncode, r.stdout.strip()) == (0, f"{SAC}: ok")
    r = run_specc("validate", SAC, "-s", "train.total_steps=-5")
    assert r.returncode == 2
    assert (
        "override 'train.total_steps=-5': error: train.total_steps: must be >= 1, got -5"
        in r.stderr
    )


def test_usage_errors_exit_2():
    assert run_specc("compile").returncode == 2
    assert run_specc("frobnicate").returncode == 2


def test_explain_annotates_every_value_with_its_source():
    r = run_specc("explain", SAC, "-s", "train.batch_size=512")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert "  batch_size: 512  # override: transitions per gradient step" in lines
    assert "  learning_starts: 5000  # preset cleanrl: " + HELP["train.learning_starts"] in lines
    assert "  suite: gymnasium  # default: " + HELP["env.suite"] in lines
    assert "  id: HalfCheetah-v5  # spec: " + HELP["env.id"] in lines
    assert "    width: 256  # spec: hidden width" in lines
    values = [l for l in lines[1:] if not l.rstrip().endswith(":")]
    assert all("  # " in l for l in values), [l for l in values if "  # " not in l]


def test_schema_is_json_schema_of_the_language():
    r = run_specc("schema")
    assert r.returncode == 0
    schema = json.loads(r.stdout)
    # networks (actor and critic) is required unless the preset is a whole method (rlx2,
    # ds_td3, stream): a rule of specc validate, which the JSON Schema leaves optional
    assert set(schema["required"]) == {"specc", "name", "algorithm", "env"}
    assert schema["additionalProperties"] is False
    assert schema["properties"]["algorithm"]["enum"] == [
        "sac",
        "td3",
        "ddpg",
        "mrq",
        "mrsac",
        "drqv2",
        "stream_ac",
        "der",
    ]


def test_schema_accepts_every_example_spec_and_rejects_a_typo():
    jsonschema = __import__("pytest").importorskip("jsonschema")
    from ruamel.yaml import YAML

    schema = json.loads(run_specc("schema").stdout)
    for spec in sorted((ROOT / "specs").glob("*.yaml")):
        jsonschema.validate(YAML(typ="safe").load(spec.read_text()), schema)
    bad = YAML(typ="safe").load(Path(SAC).read_text())
    bad["trian"] = {}
    try:
        jsonschema.validate(bad, schema)
    except jsonschema.ValidationError:
        pass
    else:
        raise AssertionError("a misspelled top-level key must fail the schema")


MRQ_SPEC = """specc: 1
name: mrq_demo
algorithm: mrq
env: {id: dog-run, suite: dmc}
networks:
  encoder: {}
  actor: {}
  critic: {sparsity: {regime: dst, level: 0.6, topology: {method: rigl}}}
"""


def test_explain_shows_mrqs_keys_and_defaults_with_their_sources(tmp_path):
    """explain prints the resolved MR.Q spec (the preset's and the suite's values named) and
    compile writes its script; a real error is an error for explain too."""
    spec = tmp_path / "mrq_demo.yaml"
    spec.write_text(MRQ_SPEC)
    r = run_specc("explain", str(spec))
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert "  encoder_lr: 0.0001  # preset mrq: " + HELP["train.encoder_lr"] in lines
    assert any(l.startswith("  total_steps: 500000  # suite dmc") for l in lines)
    assert not any(l.startswith("# not generated yet") for l in lines)
    r = run_specc("compile", str(spec), "-o", str(tmp_path / "out"))
    assert r.returncode == 0 and (tmp_path / "out" / "mrq_demo.py").exists(), r.stderr
    spec.write_text(
        MRQ_SPEC.replace(
            "{regime: dst, level: 0.6, topology: {method: rigl}}",
            "{regime: sst, level: 0.6, prune_at: 2000000}",
        )
    )
    r = run_specc("explain", str(spec))
    assert r.returncode == 2 and "not before the end of training" in r.stderr


def test_explain_ends_with_what_this_version_does_not_generate(tmp_path, monkeypatch, capsys):
    """A valid spec that a version does not generate (catalog.SUPPORTED) is printed resolved by
    explain (exit 0), ending with what compile refuses; compile exits 2 and writes nothing."""
    from specc import catalog
    from specc.cli import main

    monkeypatch.setitem(catalog.SUPPORTED, "algorithm", ("sac", "td3", "ddpg"))
    spec = tmp_path / "mrq_demo.yaml"
    spec.write_text(MRQ_SPEC)
    assert main(["explain", str(spec)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "  encoder_lr: 0.0001  # preset mrq: " + HELP["train.encoder_lr"] in lines
    assert lines[-1].startswith("# not generated yet (specc compile refuses it): algorithm: ")
    assert main(["compile", str(spec), "-o", str(tmp_path / "out")]) == 2
    assert "not implemented" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
