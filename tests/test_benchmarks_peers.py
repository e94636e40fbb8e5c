"""The pure parts of benchmarks/peers.py (SB3 against the generated scripts) and
benchmarks/flops.py: no stable_baselines3 needed, no training run."""

import importlib.util
import math
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _load(name):
    spec = importlib.util.spec_from_file_location(
        f"bench_{name}", ROOT / "benchmarks" / f"{name}.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


peers = _load("peers")


@pytest.mark.parametrize("algo", ["sac", "td3"])
def test_both_sides_get_the_same_hyperparameters(algo):
    hp = peers.hparams(algo, learning_starts=1234, buffer_size=56_789, seed=7)
    flags, kwargs = peers.ours_flags(algo, hp), peers.sb3_kwargs(algo, hp)
    rows = peers.HPARAM_ROWS[algo]
    # every shared hyperparameter is in the table
    assert {hp_key for _, hp_key, _, _ in rows} == set(hp)
    for label, hp_key, ours, sb3 in rows:
        for flag in ours:
            assert float(flags[flag]) == hp[hp_key], (label, flag)
        assert peers.sb3_value(kwargs, sb3, hp_key) == hp[hp_key], label
    # the table is built from the two command lines and agrees with them
    table = peers.hparam_rows(algo, hp)
    assert [float(value) for _, value, _, _ in table] == [hp[k] for _, k, _, _ in rows]
    # one gradient step per env step on both sides, 256x2 networks, the update schedule
    assert flags["--update-every"] == flags["--updates-per-step"] == "1"
    assert kwargs["train_freq"] == kwargs["gradient_steps"] == 1
    assert kwargs["policy_kwargs"] == {"net_arch": [256, 256]}
    if algo == "sac":
        assert flags["--policy-delay"] == "1"  # SB3's SAC: an actor step every critic step
        assert flags["--actor-lr"] == flags["--critic-lr"] == flags["--alpha-lr"] == "0.0003"
        assert kwargs["ent_coef"] == "auto_1.0" and kwargs["target_entropy"] == "auto"
    else:
        assert flags["--policy-delay"] == "2" and kwargs["policy_delay"] == 2
        assert kwargs["action_noise_sigma"] == 0.1


def test_a_hyperparameter_sb3_cannot_take_is_refused():
    hp = peers.hparams("sac")
    hp["policy_delay"] = 2
    with pytest.raises(ValueError):
        peers.sb3_kwargs("sac", hp)
    with pytest.raises(ValueError):
        peers.hparams("ppo")


def test_the_generated_script_command_line(tmp_path):
    hp = peers.hparams("td3")
    cmd = peers.ours_command(
        peers.SCRIPTS["td3"], "td3", hp, "Hopper-v5", 2, 3000, 8000, tmp_path / "run"
    )
    assert cmd[:2] == [sys.executable, str(peers.SCRIPTS["td3"])]
    pairs = dict(zip(cmd[2::2], cmd[3::2]))
    assert pairs["--total-steps"] == "8000" and pairs["--log-every"] == "1000"
    assert pairs["--eval-every"] == pairs["--checkpoint-every"] == "0"
    assert pairs["--threads"] == "2" and pairs["--env-id"] == "Hopper-v5"
    assert "--no-tensorboard" in cmd
    # the script knows every flag (parse_args of the generated script, not run)
    gen = _generated("td3_dense")
    given = gen.parse_args(cmd[2:])
    assert given["learning_starts"] == 1000 and given["policy_delay"] == 2
    sac = peers.ours_command(
        peers.SCRIPTS["sac"], "sac", peers.hparams("sac"), "Hopper-v5", 1, 1500, 2500, tmp_path
    )
    assert _generated("sac_dense").parse_args(sac[2:])["policy_delay"] == 1


def _generated(stem):
    path = ROOT / "generated" / f"{stem}.py"
    spec = importlib.util.spec_from_file_location(f"generated_{stem}_peers", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_sb3_command_carries_its_kwargs():
    import json

    hp = peers.hparams("sac")
    cmd = peers.sb3_command("sac", hp, "HalfCheetah-v5", 1, 2000, 6000, flush_denormal=True)
    assert cmd[2:4] == ["--child", "sb3"] and cmd[-1] == "--flush-denormal"
    kwargs = json.loads(cmd[cmd.index("--sb3-kwargs") + 1])
    assert kwargs == peers.sb3_kwargs("sac", hp)
    env = peers.child_env(3)
    assert env["OMP_NUM_THREADS"] == env["MKL_NUM_THREADS"] == "3"


def test_rates_from_metrics_rows():
    # rows as csv.DictReader gives them: strings, episode rows in between, empty cells
    rows = [
        {"step": "500", "time": "0.9", "sps": ""},
        {"step": "1000", "time": "2.0", "sps": ""},
        {"step": "1000", "time": "", "sps": ""},  # (no time: ignored)
        {"step": "1234", "time": "5.5", "episode_return": "-3.0"},
        {"step": "1500", "time": "7.0", "sps": "100"},
        {"step": "2500", "time": "17.0", "sps": "100"},
    ]
    t0, t1 = peers.window_from_metrics(rows, 1500, 2500)
    assert (t0, t1) == (7.0, 17.0)
    assert peers.steps_per_second(2500 - 1500, t1 - t0) == 100.0
    with pytest.raises(ValueError, match="3000"):
        peers.window_from_metrics(rows, 1500, 3000)
    with pytest.raises(ValueError):
        peers.steps_per_second(100, 0.0)


def test_summary_and_ratios():
    assert peers.summary([3.0, 1.0, 2.0]) == (2.0, 1.0, 3.0)
    assert peers.summary([4.0, 1.0, 2.0, 3.0]) == (2.5, 1.0, 4.0)
    assert peers.fmt_summary([3.0, 1.0, 2.0]) == "2.0 [1.0-3.0]"
    results = {
        ("sac", "ours"): [{"train": 100.0, "wall": 80.0}, {"train": 90.0, "wall": 70.0}],
        ("sac", "sb3"): [{"train": 50.0, "wall": 40.0}, {"train": 60.0, "wall": 35.0}],
    }
    assert peers.ratios(results, "sac", "train") == [2.0, 1.5]
    assert peers.ratios(results, "sac", "wall") == [2.0, 2.0]


def test_round_order_alternates_within_pairs():
    assert peers.round_order(["sac", "td3"], 0) == [
        ("sac", "ours"),
        ("sac", "sb3"),
        ("td3", "ours"),
        ("td3", "sb3"),
    ]
    assert peers.round_order(["sac", "td3"], 1) == [
        ("sac", "sb3"),
        ("sac", "ours"),
        ("td3", "sb3"),
        ("td3", "ours"),
    ]
    assert peers.round_order(["td3"], 2) == [("td3", "ours"), ("td3", "sb3")]


# runs peers.py as __main__ with stable_baselines3 made unimportable
_NO_SB3 = (
    "import runpy, sys; sys.modules['stable_baselines3'] = None; sys.argv = sys.argv[1:]; "
    "runpy.run_path(sys.argv[0], run_name='__main__')"
)


@pytest.mark.parametrize("child", [False, True])
def test_without_sb3_one_line_says_what_to_install(child):
    args = ["--child", "sb3", "--algo", "sac", "--env-id", "X", "--threads", "1"] if child else []
    args += ["--start", "1500", "--stop", "2500"] + (["--sb3-kwargs", "{}"] if child else [])
    r = subprocess.run(
        [sys.executable, "-c", _NO_SB3, str(ROOT / "benchmarks" / "peers.py"), *args],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 1 and r.stdout == ""
    assert r.stderr.strip() == "stable-baselines3 is not installed: pip install 'specc[peers]'"


def test_peers_imports_no_sb3_and_no_torch():
    """Loading peers.py (as the parent does) imports neither: the parent only starts processes."""
    code = (
        "import importlib.util, sys; "
        f"spec = importlib.util.spec_from_file_location('p', {str(ROOT / 'benchmarks' / 'peers.py')!r}); "
        "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m); "
        "m.hparam_rows('td3', m.hparams('td3')); "
        "print(sorted(k for k in ('stable_baselines3', 'torch') if k in sys.modules))"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.stdout.strip() == "[]", r.stderr


# ---------------------------------------------------------------------------
# benchmarks/flops.py
# ---------------------------------------------------------------------------
flops = _load("flops")


def test_flop_count_of_a_small_mlp():
    import torch

    torch.manual_seed(0)
    batch, d_in, hidden, d_out = 3, 4, 8, 2
    net = torch.nn.Sequential(
        torch.nn.Linear(d_in, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, d_out)
    )
    x = torch.randn(batch, d_in)  # no gradient to x: the first layer's input gradient is skipped

    def step():
        net.zero_grad()
        net(x).sum().backward()

    forward = 2 * batch * (d_in * hidden + hidden * d_out)
    # layer 2: input and weight gradients; layer 1: the weight gradient only
    backward = 2 * batch * (2 * hidden * d_out + d_in * hidden)
    assert flops.count_flops(step) == forward + backward == 672
    assert flops.mm_flops(4) == 128


def test_critic_update_of_the_dense_script_counts_and_runs():
    """The dense SAC critic update, built as the script builds it: its FLOP count is the
    matmuls of the target (actor + twin target critic), the twin critic forward and its
    backward (weight and hidden-input gradients), and an update changes the critic."""
    import torch

    m = flops.import_script(ROOT / "generated" / "sac_dense.py")
    update, critic, cfg = flops.build_update(m, obs_dim=17, act_dim=6, fill=300)
    b, w, o, a = cfg.batch_size, cfg.critic_width, 17, 6
    mlp = o * w + w * w  # actor trunk (256x2), per sample
    heads = 2 * w * a  # mean and log-std heads
    q = (o + a) * w + w * w + w  # one critic member, per sample
    forward = 2 * b * (mlp + heads + 2 * q + 2 * q)  # actor, target twin, online twin
    backward = 2 * b * 2 * (2 * q - (o + a) * w)  # no input gradient at the first layer
    assert flops.count_flops(update) == forward + backward
    before = [p.detach().clone() for p in critic.parameters()]
    update()
    assert any(not torch.equal(p0, p) for p0, p in zip(before, critic.parameters()))
    seconds, n = flops.mean_seconds(update, warmup=1, min_time=0.0, min_iters=2)
    assert n == 2 and seconds > 0 and math.isfinite(seconds)
