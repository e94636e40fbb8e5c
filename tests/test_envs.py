"""Each suite's environment code in the generated scripts against the raw environment: DeepMind
Control through shimmy (flat float32 observations in the Dict space's key order, the 1000-frame
time limit as truncation), action repeat (summed rewards, an early stop at the frame where the
episode ends), the discount heuristic in agent steps, the replay of the current episode that
--resume relies on (DMC, Box2D, Gymnasium MuJoCo), short CPU runs of a DMC and a Box2D script
(with an exact resume from a mid-episode checkpoint), and the one-line message a missing env
package gives."""

import functools
import json
import math
import os
from types import SimpleNamespace

import gymnasium as gym
import numpy as np
import pytest

from conftest import GENERATED
from generated_utils import import_script, metrics_rows, run_main, run_script

# Box2D's SWIG bindings warn on import (Python 3.11+)
pytestmark = pytest.mark.filterwarnings("ignore:builtin type:DeprecationWarning")

DMC_SCRIPT = "mst_sac_dog_run"  # suite dmc, action_repeat 2
BOX2D_SCRIPT = "tar_sac_bipedal"  # suite gymnasium, BipedalWalker-v3
MUJOCO_SCRIPT = "sac_dense"  # suite gymnasium, MuJoCo v5
# the cheapest DMC tasks (pendulum-swingup runs ~7k frames/s on one core; walker-walk's task
# order of observation keys is not the sorted one, and its rewards are dense)
FAST_TASK = "pendulum-swingup"


@functools.cache
def script(name: str):
    return import_script(GENERATED / f"{name}.py")


def raw_dmc(task: str):
    """The task as shimmy makes it, without the script's wrappers."""
    os.environ["MUJOCO_GL"] = "disable"  # as make_env does: no rendering, no display
    import shimmy

    gym.register_envs(shimmy)
    return gym.make(f"dm_control/{task}-v0")


def sorted_flat(obs: dict) -> np.ndarray:
    return np.concatenate([np.asarray(obs[k]).ravel() for k in sorted(obs)]).astype(np.float32)


def actions(env, n: int, seed: int = 0) -> list:
    rng = np.random.default_rng(seed)
    low, high = env.action_space.low, env.action_space.high
    return [rng.uniform(low, high).astype(env.action_space.dtype) for _ in range(n)]


# --------------------------------------------------------------------------- DMC tasks
def test_dmc_tasks_are_the_suites_tasks_without_lqr():
    """catalog.DMC_TASKS is dm_control's suite.ALL_TASKS as "domain-task", lqr left out, and
    shimmy registers each as dm_control/<task>-v0."""
    from specc.catalog import DMC_TASKS

    raw_dmc("cartpole-swingup")  # registers shimmy's ids
    from dm_control import suite

    all_tasks = {f"{domain}-{task}" for domain, task in suite.ALL_TASKS}
    assert all_tasks - set(DMC_TASKS) == {"lqr-lqr_2_1", "lqr-lqr_6_2"}
    assert set(DMC_TASKS) <= all_tasks and len(set(DMC_TASKS)) == len(DMC_TASKS)
    assert {f"dm_control/{t}-v0" for t in DMC_TASKS} <= set(gym.registry)


@pytest.mark.slow
def test_every_dmc_task_ends_at_1000_frames():
    """DMC_EPISODE_FRAMES is every task's own time limit (dm_control's step limit), so the
    TimeLimit that make_env adds truncates where the task would (about 5 s: loads 49 tasks)."""
    from specc.catalog import DMC_EPISODE_FRAMES, DMC_TASKS

    raw_dmc("cartpole-swingup")
    from dm_control import suite

    limits = {t: suite.load(*t.split("-", 1))._step_limit for t in DMC_TASKS}
    assert {t: n for t, n in limits.items() if n != DMC_EPISODE_FRAMES} == {}


# --------------------------------------------------------------------------- DMC observations
@pytest.mark.parametrize("task", ["walker-walk", "dog-run"])
def test_dmc_observation_is_the_raw_dict_flattened_in_sorted_key_order(task):
    mod = script(DMC_SCRIPT)
    env, raw = mod.make_env(task, 0, 2), raw_dmc(task)
    obs, _ = env.reset(seed=3)
    raw_obs, _ = raw.reset(seed=3)
    if task == "walker-walk":
        # the task's own order differs from the sorted one: the order is really tested
        assert list(raw_obs) != sorted(raw_obs)
    if task == "dog-run":
        assert obs.shape == (223,) and env.action_space.shape == (38,)
    space = env.observation_space
    assert space.dtype == np.float32 and obs.dtype == np.float32
    assert obs.shape == space.shape == sorted_flat(raw_obs).shape
    np.testing.assert_array_equal(obs, sorted_flat(raw_obs))
    for a in actions(env, 3):
        obs, *_ = env.step(a)
        for _ in range(2):
            raw_obs, *_ = raw.step(a)
        assert obs.dtype == np.float32 and space.contains(obs)
        np.testing.assert_array_equal(obs, sorted_flat(raw_obs))


def test_dmc_action_repeat_sums_the_raw_rewards():
    """An agent step at repeat 2 is two raw frames with the same action: the summed reward and
    the second frame's observation."""
    mod = script(DMC_SCRIPT)
    env, raw = mod.make_env("walker-walk", 0, 2), raw_dmc("walker-walk")
    env.reset(seed=5)
    raw.reset(seed=5)
    frame_rewards = []
    for a in actions(env, 20, seed=1):
        obs, reward, terminated, truncated, _ = env.step(a)
        pair = []
        for _ in range(2):
            raw_obs, r, *_ = raw.step(a)
            pair.append(float(r))
        assert reward == pair[0] + pair[1]
        np.testing.assert_array_equal(obs, sorted_flat(raw_obs))
        assert not (terminated or truncated)
        frame_rewards += pair
    assert len(set(frame_rewards)) > 1, "the frames' rewards differ: a sum is not 2x one frame"


# --------------------------------------------------------------------------- episode ends
@pytest.mark.parametrize("repeat, agent_steps", [(2, 500), (1, 1000)])
def test_dmc_episode_is_truncated_after_1000_frames(repeat, agent_steps):
    mod = script(DMC_SCRIPT)
    env = mod.make_env(FAST_TASK, 0, repeat)
    assert env.spec.max_episode_steps == mod.DMC_EPISODE_FRAMES == 1000
    env.reset(seed=0)
    n = 0
    while True:
        n += 1
        _, _, terminated, truncated, _ = env.step(env.action_space.sample())
        if terminated or truncated:
            break
    assert (n, truncated, terminated) == (agent_steps, True, False)


def test_action_repeat_stops_at_the_frame_where_the_episode_ends():
    """Pendulum-v1's 200-frame limit at repeat 3: 67 agent steps, the last one 2 frames."""
    mod = script(DMC_SCRIPT)
    env, raw = mod.ActionRepeat(gym.make("Pendulum-v1"), 3), gym.make("Pendulum-v1")
    env.reset(seed=0)
    raw.reset(seed=0)
    n = 0
    for a in actions(env, 100):
        n += 1
        obs, reward, terminated, truncated, _ = env.step(a)
        rewards = []
        for _ in range(3):
            raw_obs, r, raw_terminated, raw_truncated, _ = raw.step(a)
            rewards.append(float(r))
            if raw_terminated or raw_truncated:
                break
        assert reward == sum(rewards, 0.0)
        np.testing.assert_array_equal(obs, raw_obs)
        if terminated or truncated:
            break
    assert (n, len(rewards), truncated, terminated) == (67, 2, True, False)


class _Frames(gym.Env):
    """Frame t's reward is t and its observation [t]; the episode terminates at frame `end`."""

    observation_space = gym.spaces.Box(-np.inf, np.inf, (1,), np.float32)
    action_space = gym.spaces.Box(-1.0, 1.0, (1,), np.float32)

    def __init__(self, end):
        self.end = end

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed, options=options)
        self.t = 0
        return np.zeros(1, np.float32), {}

    def step(self, action):
        assert self.action_space.contains(action)
        self.t += 1
        return np.array([self.t], np.float32), float(self.t), self.t == self.end, False, {}


def test_action_repeat_stops_at_a_termination_mid_repeat():
    env = script(DMC_SCRIPT).ActionRepeat(_Frames(end=4), 3)
    env.reset(seed=0)
    a = np.zeros(1, np.float32)
    obs, reward, terminated, truncated, _ = env.step(a)
    assert (obs[0], reward, terminated, truncated) == (3.0, 1.0 + 2.0 + 3.0, False, False)
    obs, reward, terminated, truncated, _ = env.step(a)
    assert (obs[0], reward, terminated, truncated) == (4.0, 4.0, True, False)


# --------------------------------------------------------------------------- discount
def _limit(frames):
    return SimpleNamespace(spec=SimpleNamespace(max_episode_steps=frames))


def test_discount_heuristic_counts_agent_steps():
    mod = script(DMC_SCRIPT)
    assert mod.discount_heuristic(mod.make_env(FAST_TASK, 0, 2), 2) == 0.99  # horizon 500
    assert mod.discount_heuristic(mod.make_env(FAST_TASK, 0, 1), 1) == 0.995  # horizon 1000
    for frames, repeat in [
        (1000, 2),
        (1000, 1),
        (1000, 4),
        (200, 1),
        (200, 2),
        (50, 1),
        (10**5, 1),
    ]:
        horizon = frames / repeat
        expected = min(max((horizon / 5 - 1) / (horizon / 5), 0.95), 0.995)
        assert mod.discount_heuristic(_limit(frames), repeat) == pytest.approx(expected)
    assert mod.discount_heuristic(_limit(200), 1) == pytest.approx(0.975)
    assert mod.discount_heuristic(_limit(50), 1) == 0.95  # clipped below
    with pytest.raises(SystemExit, match="time limit"):
        mod.discount_heuristic(_limit(None), 2)
    # a script without action repeat: the time limit is the horizon
    gym_mod = script("diag_sac_wide_dense")
    assert gym_mod.discount_heuristic(_limit(1000)) == 0.995
    assert gym_mod.discount_heuristic(_limit(200)) == pytest.approx(0.975)


# --------------------------------------------------------------------------- replay on resume
REPLAY = [
    (DMC_SCRIPT, FAST_TASK, (2,)),
    (BOX2D_SCRIPT, "BipedalWalker-v3", ()),
    (MUJOCO_SCRIPT, "Hopper-v5", ()),
]


@pytest.mark.parametrize("name, env_id, repeat", REPLAY, ids=[r[1] for r in REPLAY])
def test_restore_env_replays_an_episode_that_is_not_the_first(name, env_id, repeat):
    """As the training loop and --resume do: RunState.end_episode saves the env RNG state before
    the next reset; restore_env on a fresh env reproduces the current episode's observation."""
    mod, seed = script(name), 7
    env = mod.make_env(env_id, seed, *repeat)
    run = mod.RunState()
    first, _ = env.reset(seed=seed)
    for a in actions(env, 5000):
        _, _, terminated, truncated, _ = env.step(a)
        if terminated or truncated:
            break
    assert terminated or truncated, "the first episode ended"
    run.end_episode(env)
    start, _ = env.reset()
    assert not np.array_equal(start, first)
    obs = start
    for a in actions(env, 40, seed=1):
        run.ep_actions.append(a)
        obs, _, terminated, truncated, _ = env.step(a)
        if terminated or truncated:
            break
    replayed = mod.restore_env(
        mod.make_env(env_id, seed, *repeat), seed, run.ep_reset_rng, run.ep_actions
    )
    np.testing.assert_array_equal(replayed, obs)
    # the saved RNG state is what makes it exact: replayed from reset(seed) it differs
    other = mod.restore_env(mod.make_env(env_id, seed, *repeat), seed, None, run.ep_actions)
    assert not np.array_equal(other, obs)


# --------------------------------------------------------------------------- short runs
SMALL = ["--critic-width", "64", "--actor-width", "32", "--buffer-size", "1000"]
# cartpole-swingup at action repeat 4: 250-agent-step episodes, so one ends within 300 steps
DMC_RUN = [
    *SMALL,
    "--env-id",
    "cartpole-swingup",
    "--action-repeat",
    "4",
    "--batch-size",
    "32",
    "--updates-per-step",
    "1",
    "--learning-starts",
    "200",
    "--eval-every",
    "300",
    "--eval-episodes",
    "1",
    "--log-every",
    "50",
    "--checkpoint-every",
    "100",
    "--no-tensorboard",
    "--device",
    "cpu",
    "--threads",
    "1",
]


@pytest.fixture(scope="module")
def dmc_run(tmp_path_factory):
    """An uninterrupted 300-step run of the DMC script (its run directory and stdout)."""
    tmp = tmp_path_factory.mktemp("dmc_run")
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(tmp)
        out = run_main(
            script(DMC_SCRIPT), [*DMC_RUN, "--total-steps", "300", "--run-dir", str(tmp / "full")]
        )
    return tmp / "full", out


@pytest.mark.slow
def test_dmc_short_run_counts_agent_steps(dmc_run):
    run_dir, out = dmc_run
    assert "step 300/300" in out
    config = json.loads((run_dir / "config.json").read_text())
    assert config["action_repeat"] == 4 and config["total_steps"] == 300
    assert config["total_frames"] == 1200 and config["env_id"] == "cartpole-swingup"
    rows = metrics_rows(run_dir)
    assert list(rows[0]) == [m for m in script(DMC_SCRIPT).METRICS if m not in ("time", "sps")]
    assert [int(r["step"]) for r in rows] == [50, 100, 150, 200, 250, 300]
    # the 1000-frame episode ends at agent step 250 (truncated), and only there
    assert [int(r["step"]) for r in rows if r["episode_return"]] == [250]
    assert float(rows[4]["episode_return"]) > 0  # cartpole-swingup's reward is dense
    assert [int(r["step"]) for r in rows if r["critic_loss"]] == [200, 250, 300]
    assert all(math.isfinite(float(r["critic_loss"])) for r in rows if r["critic_loss"])
    assert rows[-1]["eval_return"] != "" and math.isfinite(float(rows[-1]["eval_return"]))
    assert {"checkpoint.pt", "model.pt", "spec.yaml"} <= {p.name for p in run_dir.iterdir()}


@pytest.mark.slow
def test_dmc_resume_from_a_mid_episode_checkpoint_reproduces_the_run(
    dmc_run, tmp_path, monkeypatch
):
    """Stopped at agent step 275, 25 steps into the second episode (replayed from the env RNG
    state saved at the first one's end), then resumed to 300."""
    full, _ = dmc_run
    monkeypatch.chdir(tmp_path)
    part = tmp_path / "part"
    mod = script(DMC_SCRIPT)
    run_main(mod, [*DMC_RUN, "--total-steps", "275", "--run-dir", str(part)])
    out = run_main(mod, ["--resume", "--total-steps", "300", "--run-dir", str(part)])
    assert "resuming" in out and "warning" not in out, out
    assert metrics_rows(part) == metrics_rows(full)
    config = json.loads((part / "config.json").read_text())
    assert config["total_frames"] == 1200


@pytest.mark.slow
def test_dmc_resume_without_a_checkpoint_starts_again_from_config_json(tmp_path, monkeypatch):
    """Killed before its first checkpoint: --resume reads config.json, whose total_frames is no
    Config field, and starts the run again from step 0."""
    monkeypatch.chdir(tmp_path)
    run_dir, mod = tmp_path / "run", script(DMC_SCRIPT)
    # (learning_starts < total_steps, as the spec's rule asks: a few updates at the end)
    flags = [*DMC_RUN, "--learning-starts", "49", "--checkpoint-every", "0", "--eval-every", "0"]
    run_main(mod, [*flags, "--total-steps", "50", "--run-dir", str(run_dir)])
    (run_dir / "checkpoint.pt").unlink()
    out = run_main(mod, ["--resume", "--total-steps", "100", "--run-dir", str(run_dir)])
    assert "no checkpoint" in out and "starting the run again from step 0" in out, out
    config = json.loads((run_dir / "config.json").read_text())
    assert (config["total_steps"], config["total_frames"]) == (100, 400)
    assert [int(r["step"]) for r in metrics_rows(run_dir)] == [50, 100]


@pytest.mark.slow
def test_box2d_short_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    run_dir = tmp_path / "run"
    mod = script(BOX2D_SCRIPT)
    out = run_main(
        mod,
        [
            *SMALL,
            "--total-steps",
            "300",
            "--learning-starts",
            "100",
            "--eval-every",
            "300",
            "--eval-episodes",
            "1",
            "--log-every",
            "50",
            "--checkpoint-every",
            "150",
            "--no-tensorboard",
            "--device",
            "cpu",
            "--threads",
            "1",
            "--run-dir",
            str(run_dir),
        ],
    )
    assert "step 300/300" in out
    config = json.loads((run_dir / "config.json").read_text())
    assert config["env_id"] == "BipedalWalker-v3" and config["total_steps"] == 300
    assert "action_repeat" not in config and "total_frames" not in config  # repeat 1
    rows = metrics_rows(run_dir)
    # random actions make the walker fall (terminated, reward -100) well within 300 steps
    assert any(r["episode_return"] for r in rows)
    trained = [r for r in rows if r["critic_loss"]]
    assert trained and all(math.isfinite(float(r["critic_loss"])) for r in trained)
    assert all(0.0 < float(r["critic_sparsity"]) < 1.0 for r in trained)
    assert rows[-1]["step"] == "300" and rows[-1]["eval_return"] != ""


# --------------------------------------------------------------------------- missing packages
MISSING = [
    ("sac_simba_dog_run", "shimmy", "'shimmy[dm-control]==2.0.1'"),
    # shimmy without its dm-control extra registers no dm_control/ ids (gym.make: NamespaceNotFound)
    ("sac_simba_dog_run", "dm_control", "'dm-control==1.0.50'"),
    (BOX2D_SCRIPT, "Box2D", "'gymnasium[box2d]>=1.0,<2'"),
    (MUJOCO_SCRIPT, "mujoco", "'gymnasium[mujoco]>=1.0,<2'"),
]


@pytest.mark.slow
@pytest.mark.parametrize(
    "name, package, requirement", MISSING, ids=["shimmy", "dm_control", "Box2D", "mujoco"]
)
def test_a_missing_env_package_is_one_line_naming_pip_install(
    name, package, requirement, tmp_path, monkeypatch
):
    """The package made unimportable (a sitecustomize that puts None in sys.modules): the script
    exits with the pip line of its ENV_INSTALL, no traceback, and writes nothing."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(f"import sys\nsys.modules[{package!r}] = None\n")
    path = os.pathsep.join(p for p in (str(site), os.environ.get("PYTHONPATH")) if p)
    monkeypatch.setenv("PYTHONPATH", path)
    run_dir = tmp_path / "run"
    r = run_script(
        GENERATED / f"{name}.py", "--device", "cpu", "--run-dir", str(run_dir), cwd=tmp_path
    )
    assert r.returncode == 1, r.stdout + r.stderr
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
    assert "pip install" in lines[0] and requirement in lines[0]
    assert lines[0].endswith(script(name).ENV_INSTALL)
    assert not run_dir.exists()
