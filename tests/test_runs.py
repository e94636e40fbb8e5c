"""Run directories (issue 24): a run records what made it (identity.json: the script's and the
resolved spec's sha256, embedded by the compiler), --resume on another script's run or on a
directory whose checkpoint, config.json or metrics.csv does not fit is one line on stderr with
exit 2 and nothing in the directory changes, checkpoints hold only the filled part of the replay
buffer, and a run prints where it writes and a closing line.

Runs are tiny SAC / TD3 runs on Pendulum, in this process (run_main) where possible."""

import ast
import hashlib
import json
import os
import re

import gymnasium
import pytest
import torch

from conftest import GENERATED, ROOT
from generated_utils import tiny_args, import_script, run_main, run_script

from specc.compiler import compile_one
from specc.render import SCRIPT_SHA256_BLANK

SCRIPTS = sorted(GENERATED.glob("*.py"))
TINY = tiny_args(eval_every=150)


def snapshot(run_dir):
    """Every file of a run directory with its bytes and modification time."""
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(run_dir.iterdir())}


def refused(module, args, capsys) -> str:
    """main() with these flags must stop with exit status 2 and one line on stderr: that line."""
    capsys.readouterr()
    with pytest.raises(SystemExit) as exc:
        run_main(module, args)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    prefix = f"{os.path.basename(module.__file__)}: "  # refuse() names the script, as argparse does
    assert err.startswith(prefix), err
    return err.strip()[len(prefix) :]


@pytest.fixture(scope="module")
def sac():
    return import_script(GENERATED / "sac_dense.py")


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """A script compiled from another spec whose networks have sac_dense's shapes."""
    c = compile_one(str(ROOT / "specs" / "sac_dense.yaml"), ["name=base", "train.tau=0.01"])
    path = tmp_path_factory.mktemp("base") / c.filename
    path.write_text(c.source)
    return import_script(path)


@pytest.fixture(scope="module")
def finished_run(sac, tmp_path_factory):
    """A sac_dense run of 300 steps (checkpoints at 200 and 300); copy it before changing it."""
    run_dir = tmp_path_factory.mktemp("sac") / "run"
    cwd = os.getcwd()
    os.chdir(run_dir.parent)
    try:
        stdout = run_main(sac, [*TINY, "--total-steps", "300", "--run-dir", str(run_dir)])
    finally:
        os.chdir(cwd)
    return run_dir, stdout


def copy_run(run_dir, to):
    to.mkdir()
    for p in run_dir.iterdir():
        (to / p.name).write_bytes(p.read_bytes())
    return to


# --------------------------------------------------------------------------- the compiler's part
@pytest.mark.parametrize("path", SCRIPTS, ids=[p.stem for p in SCRIPTS])
def test_embedded_hashes_are_those_of_the_script_and_its_resolved_spec(path):
    """SCRIPT_SHA256 is the sha256 of the file with its own value blanked; SPEC_SHA256 that of
    RESOLVED_SPEC, which a run writes to spec.yaml."""
    text = path.read_text()
    script = re.search(r'^SCRIPT_SHA256 = "([0-9a-f]{64})"$', text, re.M).group(1)
    blank = text.replace(f'SCRIPT_SHA256 = "{script}"', SCRIPT_SHA256_BLANK, 1)
    assert hashlib.sha256(blank.encode()).hexdigest() == script
    spec = re.search(r'^SPEC_SHA256 = "([0-9a-f]{64})"$', text, re.M).group(1)
    resolved = next(
        ast.literal_eval(node.value)
        for node in ast.parse(text).body
        if isinstance(node, ast.Assign) and ast.unparse(node.targets[0]) == "RESOLVED_SPEC"
    )
    assert hashlib.sha256(resolved.encode()).hexdigest() == spec


def test_another_spec_gives_other_hashes(sac, base):
    assert base.SCRIPT_SHA256 != sac.SCRIPT_SHA256 and base.SPEC_SHA256 != sac.SPEC_SHA256


# --------------------------------------------------------------------------- run identity
@pytest.mark.slow
def test_a_run_writes_its_identity_and_prints_where_it_goes(finished_run, sac):
    run_dir, stdout = finished_run
    identity = json.loads((run_dir / "identity.json").read_text())
    assert identity == {
        "name": "sac_dense",
        "script_sha256": sac.SCRIPT_SHA256,
        "spec_sha256": sac.SPEC_SHA256,
        "edited": False,
    }
    lines = stdout.splitlines()
    # (after "tensorboard is not installed: writing metrics.csv only" where it is not)
    assert f"new run in {run_dir}" in lines[:2]
    evals = [line for line in lines if line.startswith("step 300  eval_return ")]
    final = float(evals[0].split()[-1])
    assert lines[-1] == (
        f"done: {run_dir / 'model.pt'}, {run_dir / 'metrics.csv'}; "
        f"final eval_return {final:.1f} (step 300)"
    )
    # config.json records what ran: TensorBoard (auto) is off where it is not installed
    config = json.loads((run_dir / "config.json").read_text())
    try:
        import torch.utils.tensorboard  # noqa: F401
    except ImportError:
        assert config["tensorboard"] is False
    else:  # pragma: no cover - an environment with tensorboard
        assert config["tensorboard"] is True


@pytest.mark.slow
def test_resume_by_another_script_is_refused_and_changes_nothing(
    finished_run, base, tmp_path, capsys
):
    """The takeover repro of issue 24: a sac_dense run resumed by a script of another spec with
    the same network shapes (it used to overwrite spec.yaml, config.json, metrics.csv, model.pt)."""
    run_dir = copy_run(finished_run[0], tmp_path / "run")
    before = snapshot(run_dir)
    theirs = json.loads((run_dir / "identity.json").read_text())
    for extra in (["--resume"], [], ["--resume", "--total-steps", "400"]):
        err = refused(base, ["--run-dir", str(run_dir), *extra], capsys)
        assert err == (
            f"{run_dir} holds a run of sac_dense (script {theirs['script_sha256'][:8]}, spec "
            f"{theirs['spec_sha256'][:8]}), not of base (script {base.SCRIPT_SHA256[:8]}, spec "
            f"{base.SPEC_SHA256[:8]}): resume it with the script that made it, or pass another "
            "--run-dir"
        )
        assert snapshot(run_dir) == before


@pytest.mark.slow
def test_an_edited_script_is_another_script(finished_run, tmp_path):
    run_dir = copy_run(finished_run[0], tmp_path / "run")
    before = snapshot(run_dir)
    edited = tmp_path / "sac_dense.py"
    edited.write_text((GENERATED / "sac_dense.py").read_text() + "# edited\n")
    r = run_script(edited, "--resume", "--run-dir", str(run_dir), cwd=tmp_path, timeout=120)
    assert r.returncode == 2 and r.stdout == "", r.stderr[-2000:]
    assert r.stderr.count("\n") == 1
    assert ", edited after specc wrote it, spec " in r.stderr
    assert r.stderr.startswith(f"sac_dense.py: {run_dir} holds a run of sac_dense (script ")
    assert snapshot(run_dir) == before


@pytest.mark.slow
def test_a_run_made_before_identities_is_judged_by_its_spec_yaml(
    finished_run, sac, base, tmp_path, capsys, monkeypatch
):
    """No identity.json: the run is this script's when its spec.yaml is this script's
    RESOLVED_SPEC (and gets its identity.json when it resumes), another spec's otherwise."""
    run_dir = copy_run(finished_run[0], tmp_path / "run")
    (run_dir / "identity.json").unlink()
    before = snapshot(run_dir)
    err = refused(base, ["--resume", "--run-dir", str(run_dir)], capsys)
    spec = hashlib.sha256((run_dir / "spec.yaml").read_bytes()).hexdigest()[:8]
    assert err.startswith(
        f"{run_dir} holds a run of sac_dense (spec {spec}, made before runs recorded their "
        f"script), not of base (script {base.SCRIPT_SHA256[:8]}"
    )
    assert snapshot(run_dir) == before
    monkeypatch.chdir(tmp_path)
    out = run_main(sac, ["--resume", "--total-steps", "350", "--run-dir", str(run_dir)])
    assert f"resuming {run_dir / 'checkpoint.pt'} at step 300" in out
    assert json.loads((run_dir / "identity.json").read_text())["script_sha256"] == (
        sac.SCRIPT_SHA256
    )


# --------------------------------------------------------------------------- what does not fit
@pytest.mark.slow
def test_a_checkpoint_of_other_shapes_is_one_line(finished_run, sac, tmp_path, capsys):
    run_dir = copy_run(finished_run[0], tmp_path / "run")
    before = snapshot(run_dir)
    args = ["--resume", "--total-steps", "400", "--run-dir", str(run_dir)]
    err = refused(sac, [*args, "--critic-width", "32"], capsys)
    assert err == (
        f"{run_dir / 'checkpoint.pt'} does not fit this run (critic.q.hidden.0.weight is "
        "[2, 4, 16] there, [2, 4, 32] here): resume with the flags it was started with (its "
        "config.json), or pass another --run-dir"
    )
    err = refused(sac, [*args, "--buffer-size", "100"], capsys)
    assert "(its replay buffer holds 300 transitions, more than --buffer-size 100)" in err
    assert snapshot(run_dir) == before


@pytest.mark.slow
def test_a_damaged_metrics_csv_is_one_line(finished_run, sac, tmp_path, capsys):
    """A row cut short (or a corrupted header: it was KeyError 'step') where the run relies on
    it: the checkpoint is at step 300, the file's rows go to 300."""
    run_dir = copy_run(finished_run[0], tmp_path / "run")
    metrics = run_dir / "metrics.csv"
    text = metrics.read_bytes()
    args = ["--resume", "--total-steps", "400", "--run-dir", str(run_dir)]
    metrics.write_bytes(text[:-20])  # the last row (step 300) cut mid-row
    before = snapshot(run_dir)
    lines = text.count(b"\n")
    err = refused(sac, args, capsys)
    assert err == (
        f"{metrics}: line {lines} is cut short or damaged and the run resumes from step 300: "
        "repair it, or pass another --run-dir"
    )
    assert snapshot(run_dir) == before
    metrics.write_bytes(text.replace(b"step,", b"stpe,", 1))
    before = snapshot(run_dir)
    err = refused(sac, args, capsys)
    assert err.startswith(f"{metrics}: line 1 is not this script's header (step,time,")
    assert snapshot(run_dir) == before


def test_read_metrics_drops_the_rows_after_the_checkpoint_and_refuses_damage(tmp_path, capsys):
    mod = import_script(GENERATED / "td3_dense.py")
    n = len(mod.METRICS)
    header = ",".join(mod.METRICS) + "\r\n"
    row = lambda step: f"{step}" + "," * (n - 1) + "\r\n"  # noqa: E731
    path = tmp_path / "metrics.csv"
    # a kill while writing the row at 250 (after the checkpoint at 200): dropped, as 250 is
    for cut in ("250,", "250", "250" + "," * (n - 2)):
        path.write_text(header + row(100) + row(200) + cut, newline="")
        assert [r["step"] for r in mod.read_metrics(str(path), 200)] == ["100", "200"]
    path.write_text(header + row(100) + row(200) + row(250), newline="")
    assert [r["step"] for r in mod.read_metrics(str(path), 200)] == ["100", "200"]
    # damage at or before the checkpoint's step
    for text, line in (
        (header + row(100) + "2", 3),  # a step cut short that may be 200: not known to be later
        (header + row(100) + "200,1.0\r\n" + row(250), 3),
        (header + "x" + row(100)[1:] + row(200), 2),
        (header + row(100) + "\r\n" + row(200), 3),
    ):
        path.write_text(text, newline="")
        with pytest.raises(SystemExit) as exc:
            mod.read_metrics(str(path), 200)
        assert exc.value.code == 2
        assert f"metrics.csv: line {line} is cut short or damaged" in capsys.readouterr().err
    path.write_text("", newline="")
    with pytest.raises(SystemExit):
        mod.read_metrics(str(path), 0)
    assert "line 1 is not this script's header" in capsys.readouterr().err


@pytest.mark.slow
def test_a_config_json_with_a_missing_or_unknown_key_is_one_line(
    finished_run, sac, tmp_path, capsys
):
    """Killed before its first checkpoint: --resume reads config.json (an unknown key was an
    "unexpected keyword" traceback; a missing one silently took the default)."""
    run_dir = copy_run(finished_run[0], tmp_path / "run")
    for name in ("checkpoint.pt", "model.pt"):
        (run_dir / name).unlink()
    config = json.loads((run_dir / "config.json").read_text())
    args = ["--resume", "--run-dir", str(run_dir)]
    (run_dir / "config.json").write_text(json.dumps({**config, "gamma_x": 0.9}))
    before = snapshot(run_dir)
    err = refused(sac, args, capsys)
    assert err == (
        f"{run_dir / 'config.json'} has keys this script does not know (gamma_x): it is another "
        "script's run; resume it with that script, or pass another --run-dir"
    )
    assert snapshot(run_dir) == before
    del config["tau"]
    (run_dir / "config.json").write_text(json.dumps(config))
    before = snapshot(run_dir)
    err = refused(sac, args, capsys)
    assert err == (
        f"{run_dir / 'config.json'} lacks tau: pass --tau with the values the run used, or pass "
        "another --run-dir"
    )
    assert snapshot(run_dir) == before
    (run_dir / "config.json").write_text("{")
    err = refused(sac, args, capsys)
    assert err.startswith(f"{run_dir / 'config.json'} cannot be read (JSONDecodeError)")


@pytest.mark.slow
def test_a_fresh_run_in_a_run_directory_is_refused(finished_run, sac, tmp_path, capsys):
    run_dir = copy_run(finished_run[0], tmp_path / "run")
    before = snapshot(run_dir)
    err = refused(sac, ["--run-dir", str(run_dir)], capsys)
    assert err == f"{run_dir} holds a run already: pass --resume, or another --run-dir"
    assert snapshot(run_dir) == before


def test_tensorboard_asked_for_and_missing_is_refused_before_anything_is_written(
    tmp_path, capsys, monkeypatch
):
    """logging.tensorboard: true makes it required: without the package, exit 2 and no run
    directory (it used to be refused after config.json and spec.yaml were written)."""
    try:
        import torch.utils.tensorboard  # noqa: F401
    except ImportError:
        pass
    else:  # pragma: no cover
        pytest.skip("tensorboard is installed")
    c = compile_one(str(ROOT / "specs" / "td3_dense.yaml"), ["logging.tensorboard=true"])
    path = tmp_path / c.filename
    path.write_text(c.source)
    monkeypatch.chdir(tmp_path)
    err = refused(import_script(path), [*TINY, "--run-dir", str(tmp_path / "run")], capsys)
    assert err.startswith("the spec asks for TensorBoard: pip install tensorboard")
    assert not (tmp_path / "run").exists()


# --------------------------------------------------------------------------- lean checkpoints
def _fill(rb, n, obs_dim, act_dim, extras=0, episode=37):
    g = torch.Generator().manual_seed(0)
    for i in range(n):
        end = (i + 1) % episode == 0
        args = [
            torch.randn(obs_dim, generator=g).numpy(),
            torch.randn(act_dim, generator=g).numpy(),
            float(torch.randn(1, generator=g)),
            torch.randn(obs_dim, generator=g).numpy(),
            end and i % 2 == 0,
        ]
        args += [end and i % 2 == 1] if extras >= 1 else []
        args += [torch.randn(act_dim, generator=g).numpy()] if extras >= 2 else []
        rb.add(*args)


def _lean(state):
    """Every tensor of a buffer's state owns exactly its own elements (torch.save writes a
    tensor's whole storage: a view of the preallocated capacity writes all of it)."""
    for k, v in state.items():
        if isinstance(v, torch.Tensor) and v.dim() > 0:
            assert v.device.type == "cpu"
            assert v.untyped_storage().nbytes() == v.numel() * v.element_size(), k


@pytest.mark.parametrize("n", [150, 1000, 1234])
def test_plain_buffer_checkpoint_holds_only_its_transitions(n):
    mod = import_script(GENERATED / "sac_dense.py")
    rb = mod.ReplayBuffer(1000, 3, 1, torch.device("cpu"))
    _fill(rb, n, 3, 1)
    state = rb.state_dict()
    _lean(state)
    assert len(state["obs"]) == min(n, 1000)
    fresh = mod.ReplayBuffer(1000, 3, 1, torch.device("cpu"))
    fresh.load_state_dict(state)
    assert (fresh.ptr, fresh.size) == (rb.ptr, rb.size)
    for k in rb.data:
        assert torch.equal(fresh.data[k][: rb.size], rb.data[k][: rb.size])
    torch.manual_seed(1)
    a = rb.sample(64)
    torch.manual_seed(1)
    assert all(torch.equal(x, y) for x, y in zip(a, fresh.sample(64)))


@pytest.mark.parametrize("n", [150, 1000, 1234])
def test_fifo_buffer_checkpoint_holds_only_its_transitions_oldest_first(n):
    """rlx2_td3: n-step windows and the dynamic (FIFO) capacity, wrapped and after drops."""
    mod = import_script(GENERATED / "rlx2_td3.py")
    rb = mod.ReplayBuffer(1000, 3, 1, torch.device("cpu"))
    _fill(rb, n, 3, 1, extras=2)
    rb.size -= 100  # a drop of the 100 oldest (what adjust() does)
    state = rb.state_dict()
    _lean(state)
    assert len(state["obs"]) == rb.size
    oldest = (rb.ptr - rb.size) % rb.capacity
    order = (oldest + torch.arange(rb.size)) % rb.capacity
    for k in rb.data:
        assert torch.equal(state[k], rb.data[k][order])
    fresh = mod.ReplayBuffer(1000, 3, 1, torch.device("cpu"))
    fresh.load_state_dict(state)
    torch.manual_seed(1)
    a = rb.sample(64, 3)
    torch.manual_seed(1)
    b = fresh.sample(64, 3)
    # the same windows; past the newest transition (valid 0) the slots hold stale data there
    valid = a[-1]
    assert torch.equal(valid, b[-1]) and valid.sum() > 64
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    for x, y in zip(a[2:5], b[2:5]):
        v = valid if x.dim() == 2 else valid[..., None]
        assert torch.equal(x * v, y * v)


@pytest.mark.parametrize("n", [150, 1234])
def test_lap_buffer_checkpoint_holds_only_the_written_slots(n):
    """mrq_dense: MR.Q's buffer (extra final-observation slots, priorities, masks)."""
    mod = import_script(GENERATED / "mrq_dense.py")
    space = gymnasium.spaces.Box(-1.0, 1.0, (1,))
    make = lambda: mod.ReplayBuffer(1000, 3, 1, torch.device("cpu"), 3, space, 1.0)  # noqa: E731
    rb = make()
    _fill(rb, n, 3, 1, extras=1)
    rb.update_priority(torch.arange(0, 100), torch.rand(100))
    state = rb.state_dict()
    _lean(state)
    assert len(state["obs"]) == max(rb.size, rb.ptr) <= 1000
    fresh = make()
    fresh.load_state_dict(state)
    for k in ("obs", "actions", "rewards", "not_done", "priority", "mask"):
        assert torch.equal(getattr(fresh, k), getattr(rb, k)), k
    torch.manual_seed(1)
    a = rb.sample(64)
    torch.manual_seed(1)
    assert all(torch.equal(x, y) for x, y in zip(a, fresh.sample(64)))


@pytest.mark.slow
def test_checkpoint_size_follows_the_steps_not_the_capacity(sac, tmp_path, monkeypatch):
    """sac_dense with a 1M-transition buffer on Pendulum: the old checkpoint.pt held the whole
    capacity (36 MB of buffer); now its buffer is the 300 transitions stored."""
    monkeypatch.chdir(tmp_path)
    run_dir = tmp_path / "run"
    args = [*TINY, "--buffer-size", "1000000", "--total-steps", "300", "--eval-every", "0"]
    run_main(sac, [*args, "--run-dir", str(run_dir)])
    checkpoint = torch.load(run_dir / "checkpoint.pt", weights_only=False)
    _lean(checkpoint["buffer"])
    assert len(checkpoint["buffer"]["obs"]) == 300
    assert (run_dir / "checkpoint.pt").stat().st_size < 200_000
