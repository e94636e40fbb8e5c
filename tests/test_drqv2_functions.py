"""generated/drqv2.py's functions against DrQ-v2 (Yarats et al. 2022, "Mastering visual continuous
control: improved data-augmented reinforcement learning") as facebookresearch/drqv2 writes it
(drqv2.py, utils.py, dmc.py, replay_buffer.py): the pixel env (frames as one render of the task's
camera, stacked oldest first), the frame buffer (uint8 frames stored once, stacks rebuilt, n-step
returns), random shifts, the std schedule and the truncated-normal action, the losses and the
encoder, on small inputs whose expected values are worked out by hand in the tests. The
reference is never imported (CI has no copy)."""

import collections
import ctypes.util
import importlib.util
import io
import json
import os
import subprocess
import sys
from types import SimpleNamespace

import numpy as np
import pytest

torch = pytest.importorskip("torch")
nn, F = torch.nn, torch.nn.functional

from conftest import GENERATED
from generated_utils import import_script

SCRIPT = GENERATED / "drqv2.py"
M = import_script(SCRIPT)
LO, HI = -1.0 + 1e-6, 1.0 - 1e-6  # TruncatedNormal's clamp


# --------------------------------------------------------------------------- pixel env
# Renders in a fresh interpreter: dm_control picks its OpenGL backend once, at import, and
# another test module in this worker may have imported it with MUJOCO_GL=disable.
_ENV_CHILD = r"""
import importlib.util, json, os, sys
import numpy as np
spec = importlib.util.spec_from_file_location("drqv2_env", sys.argv[1])
m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)
out = {}
env = m.make_env("cartpole-swingup", 7, 2, 32, 3)
out["backend"] = os.environ.get("MUJOCO_GL")
dmc = env.unwrapped._env
render = lambda cam: dmc.physics.render(32, 32, camera_id=cam).transpose(2, 0, 1)
obs, _ = env.reset(seed=7)
out["shape"], out["dtype"] = list(obs.shape), str(obs.dtype)
out["reset"] = [bool((obs[3 * k : 3 * k + 3] == render(0)).all()) for k in range(3)]
stacks, out["newest"], out["frames_per_step"] = [obs], [], []
for _ in range(4):
    t0 = dmc.physics.data.time
    obs, *_ = env.step(np.ones(1, np.float32))
    out["frames_per_step"].append(round((dmc.physics.data.time - t0) / dmc.control_timestep()))
    out["newest"].append(bool((obs[6:9] == render(0)).all()))
    stacks.append(obs)
out["shifted"] = [bool((b[0:6] == a[3:9]).all()) for a, b in zip(stacks, stacks[1:])]
out["moved"] = [bool((b[6:9] != a[6:9]).any()) for a, b in zip(stacks, stacks[1:])]
env = m.make_env("quadruped-walk", 0, 1, 32, 3)
obs, _ = env.reset(seed=0)
dmc = env.unwrapped._env
out["quadruped_camera"] = env.unwrapped.render_kwargs["camera_id"]
out["quadruped_cam2"] = bool((obs[6:9] == render(2)).all())
out["quadruped_cam0"] = bool((obs[6:9] == render(0)).all())
print(json.dumps(out))
"""


@pytest.mark.skipif(importlib.util.find_spec("dm_control") is None, reason="no dm_control")
@pytest.mark.skipif(
    not (ctypes.util.find_library("EGL") or ctypes.util.find_library("OSMesa")),
    reason="no headless OpenGL (EGL or OSMesa)",
)
def test_pixel_env_frames_are_camera_renders_stacked_oldest_first():
    """dmc.py's pixels.Wrapper + FrameStackWrapper: a (9, 32, 32) uint8 stack of one render per
    agent step of the task's camera (0; quadruped: 2), a reset fills it with its first frame, a
    step drops the oldest; action repeat 2: each agent step advances two control steps."""
    env = {k: v for k, v in os.environ.items() if k != "MUJOCO_GL"}  # make_env picks one
    proc = subprocess.run(
        [sys.executable, "-c", _ENV_CHILD, str(SCRIPT)],
        capture_output=True, text=True, timeout=300, env={**env, "OMP_NUM_THREADS": "1"},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["backend"] in ("egl", "osmesa")
    assert out["shape"] == [9, 32, 32] and out["dtype"] == "uint8"
    assert out["reset"] == [True] * 3
    assert out["frames_per_step"] == [2] * 4
    assert out["newest"] == [True] * 4  # obs[-3:] is the render after the step
    assert out["moved"] == [True] * 4  # (so that the order below is observable)
    assert out["shifted"] == [True] * 4  # obs_(t+1)[0:6] == obs_t[3:9]
    assert out["quadruped_camera"] == 2 and out["quadruped_cam2"] and not out["quadruped_cam0"]


def test_gl_backend_prefers_the_env_var_then_egl_then_osmesa(monkeypatch):
    monkeypatch.setenv("MUJOCO_GL", "osmesa")
    assert M.gl_backend() == "osmesa"
    monkeypatch.delenv("MUJOCO_GL")
    found = {"EGL": "libEGL.so.1", "OSMesa": "libOSMesa.so"}
    monkeypatch.setattr(M.ctypes.util, "find_library", found.get)
    assert M.gl_backend() == "egl"
    del found["EGL"]
    assert M.gl_backend() == "osmesa"
    del found["OSMesa"]
    with pytest.raises(SystemExit, match="EGL or OSMesa"):
        M.gl_backend()


# --------------------------------------------------------------------------- frame buffer
H = 4  # synthetic frames: (3, 4, 4)


def frame(i):
    """Frame number i (< 48): every channel and pixel distinct, and distinct from other frames'."""
    return (i + 64 * np.arange(3)[:, None, None] + np.arange(H * H).reshape(H, H)).astype(np.uint8)


def episodes(spec, frames=3):
    """The add() calls for episodes given as (rewards, end) with end "term", "trunc" or None
    (unfinished), observations stacked as FrameStack stacks them; and per episode its obs
    stacks, actions, rewards and discounts."""
    adds, records, fid = [], [], 0
    for rewards, end in spec:
        stack = collections.deque([frame(fid)] * frames, maxlen=frames)
        fid += 1
        rec = {"obs": [np.concatenate(stack)], "actions": [], "rewards": list(rewards), "d": []}
        for t, r in enumerate(rewards):
            last = t == len(rewards) - 1
            action = np.array([fid / 50, -t / 10], np.float32)
            stack.append(frame(fid))
            fid += 1
            rec["obs"].append(np.concatenate(stack))
            term, trunc = last and end == "term", last and end == "trunc"
            adds.append((rec["obs"][-2], action, r, rec["obs"][-1], term, trunc))
            rec["actions"].append(action)
            rec["d"].append(0.0 if term else 1.0)
        records.append(rec)
    assert fid < 48
    return adds, records


def feed(rb, adds):
    for args in adds:
        rb.add(*args)


def nstep(rec, t, n, gamma):
    """replay_buffer.py's _sample: reward += discount * r_i; discount *= d_i * gamma."""
    ret, disc = 0.0, 1.0
    for i in range(n):
        ret += disc * rec["rewards"][t + i]
        disc *= rec["d"][t + i] * gamma
    return ret, disc


def _where(records):
    """(episode, t) by the number of the newest frame of its observation."""
    return {int(r["obs"][t][-3, 0, 0]): (e, t) for e, r in enumerate(records) for t in range(len(r["obs"]))}  # fmt: skip


def sampled_starts(rb, records, n, gamma, batch=2000, seed=0):
    """The (episode, t) of every sample, each checked against the episode it came from."""
    where = _where(records)
    torch.manual_seed(seed)
    obs, actions, returns, discounts, next_obs = rb.sample(batch)
    assert obs.dtype == next_obs.dtype == torch.uint8 and obs.shape == (batch, 9, H, H)
    starts = set()
    for k in range(batch):
        e, t = where[int(obs[k, -3, 0, 0])]
        rec, ret, disc = records[e], *nstep(records[e], t, n, gamma)
        assert t + n <= len(rec["rewards"]), "the window crosses its episode's end"
        assert np.array_equal(obs[k].numpy(), rec["obs"][t])
        assert np.array_equal(next_obs[k].numpy(), rec["obs"][t + n])
        assert np.array_equal(actions[k].numpy(), rec["actions"][t])
        assert returns[k].item() == pytest.approx(ret, rel=1e-6)
        assert discounts[k].item() == pytest.approx(disc, rel=1e-6)
        starts.add((e, t))
    return starts


def buffer(capacity, n, gamma, frames=3):
    return M.ReplayBuffer(capacity, (3 * frames, H, H), 2, torch.device("cpu"), frames, n, gamma)


def test_frame_buffer_stores_each_frame_once_as_uint8():
    rb = buffer(100, 3, 0.99)
    assert rb.data["frames"].dtype == torch.uint8 and rb.data["frames"].shape == (100, 3, H, H)
    adds, records = episodes([([1.0, 2.0, 3.0, 4.0], "trunc"), ([5.0, 6.0, 7.0], "term")])
    feed(rb, adds)
    assert rb.size == 4 + 1 + 3 + 1  # an episode of L transitions: L + 1 rows
    # the newest frame of every observation, in order
    rows = [o[-3:] for r in records for o in r["obs"]]
    assert np.array_equal(rb.data["frames"][: rb.size].numpy(), np.stack(rows))


@pytest.mark.parametrize(
    "n, expected",
    [
        # gamma 0.5; episode 0 truncated, rewards 1 2 4 8; 1: terminated, 1 10 100; 2: one step
        (3, {(0, 0): (1 + 1 + 1, 0.125), (0, 1): (2 + 2 + 2, 0.125), (1, 0): (1 + 5 + 25, 0.0)}),
        (1, {(0, 0): (1, 0.5), (0, 3): (8, 0.5), (1, 1): (10, 0.5), (1, 2): (100, 0.0), (2, 0): (7, 0.5)}),  # fmt: skip
    ],
)
def test_frame_buffer_nstep_returns_and_discounts_by_hand(n, expected):
    """Every valid start is drawn, none whose window crosses an episode end; a termination at a
    window's end zeroes its discount, a truncation keeps gamma^n; stacks at an episode's start
    repeat its first frame (checked in sampled_starts against the FrameStack stacks)."""
    rb = buffer(100, n, 0.5)
    adds, records = episodes(
        [([1.0, 2.0, 4.0, 8.0], "trunc"), ([1.0, 10.0, 100.0], "term"), ([7.0], "trunc")]
    )
    feed(rb, adds)
    starts = sampled_starts(rb, records, n, 0.5)
    valid = {(e, t) for e, r in enumerate(records) for t in range(len(r["rewards"]) - n + 1)}
    assert starts == valid and len(valid) == (3 if n == 3 else 8)
    torch.manual_seed(1)
    obs, _, returns, discounts, _ = rb.sample(500)
    for k in range(500):
        key = _where(records)[int(obs[k, -3, 0, 0])]
        if key in expected:
            assert (returns[k].item(), discounts[k].item()) == pytest.approx(expected[key])


def test_frame_buffer_wraps_around_without_reading_overwritten_rows():
    """capacity 14 rows, 28 written: samples come only from starts whose stacks and windows are
    all still stored (contents checked against the episodes after each episode is added)."""
    capacity, n, frames = 14, 2, 3
    spec = [([1.0] * 5, "trunc"), ([2.0], "term"), ([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], "term"),
            ([0.5] * 4, "trunc"), ([float(i) for i in range(7)], "term")]  # fmt: skip
    adds, records = episodes(spec, frames)
    rb = buffer(capacity, n, 0.9, frames)
    first_row = np.cumsum([0] + [len(r["obs"]) for r in records])  # each episode's first row
    done = 0
    for e, rec in enumerate(records):
        feed(rb, adds[done : done + len(rec["rewards"])])
        done += len(rec["rewards"])
        written = first_row[e + 1]
        oldest = max(written - capacity, 0)  # the oldest row still stored
        assert rb.size == min(written, capacity)
        starts = sampled_starts(rb, records[: e + 1], n, 0.9, batch=1000, seed=e)
        # a start is valid where its window fits its episode and every row read is stored
        valid = {(i, t) for i in range(e + 1) for t in range(len(records[i]["rewards"]) - n + 1)
                 if first_row[i] + max(t - frames + 1, 0) >= oldest}  # fmt: skip
        # and kept at least while the `frames` rows up to it are stored
        kept = {(i, t) for (i, t) in valid if first_row[i] + t - frames + 1 >= oldest}
        assert kept <= starts <= valid, (e, sorted(starts), sorted(valid))
    assert written > 2 * capacity - 1  # wrapped twice


def test_frame_buffer_state_dict_round_trip():
    """Saved mid-episode after a wrap and loaded into a fresh buffer: the same samples under the
    same seed, and the same after both take the rest of the episode and another."""
    spec = [([1.0] * 5, "trunc"), ([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], "term"),
            ([0.25 * i for i in range(8)], "trunc"), ([3.0] * 3, "term")]  # fmt: skip
    adds, _ = episodes(spec)
    rb, rb2 = buffer(16, 3, 0.9), buffer(16, 3, 0.9)
    feed(rb, adds[:15])  # 19 rows (wrapped), in the third episode
    blob = io.BytesIO()
    torch.save(rb.state_dict(), blob)
    blob.seek(0)
    rb2.load_state_dict(torch.load(blob, weights_only=False))
    for _ in range(2):  # after loading, then after more adds
        for seed in (0, 1):
            torch.manual_seed(seed)
            a = rb.sample(64)
            torch.manual_seed(seed)
            b = rb2.sample(64)
            assert all(torch.equal(x, y) for x, y in zip(a, b))
        feed(rb, adds[15:])
        feed(rb2, adds[15:])
    with pytest.raises(ValueError, match="buffer-size"):
        buffer(20, 3, 0.9).load_state_dict(rb.state_dict())


# --------------------------------------------------------------------------- random shift
def _crops(x, pad):
    """Every integer crop of the replicate-padded images: (2 pad + 1)^2 x x.shape, (dy, dx) order."""
    padded = F.pad(x, (pad,) * 4, mode="replicate")
    size = x.shape[-1]
    offsets = range(2 * pad + 1)
    return torch.stack([padded[..., dy : dy + size, dx : dx + size] for dy in offsets for dx in offsets])  # fmt: skip


@pytest.mark.parametrize("pad, size, batch", [(2, 12, 500), (4, 84, 6)])
def test_random_shift_is_a_random_integer_crop_of_the_replicate_padded_image(pad, size, batch):
    torch.manual_seed(0)
    x = torch.randint(0, 256, (batch, 9, size, size)).float()
    out = M.random_shift(x, pad)
    assert out.shape == x.shape and out.dtype == x.dtype
    # exact but for float32 rounding of the sampling grid (~3e-3 at 84 + 2 * 4 on 0..255 values)
    match = (_crops(x, pad) - out).abs().amax((2, 3, 4)) < 1e-2  # (offsets, batch)
    assert (match.sum(0) == 1).all(), "an image is no single integer crop (same for its channels)"
    if batch >= 500:  # all (2 pad + 1)^2 (dy, dx) pairs drawn: each axis over [0, 2 pad]
        assert set(match.float().argmax(0).tolist()) == set(range((2 * pad + 1) ** 2))
    assert torch.equal(M.random_shift(x, 0), x)


# --------------------------------------------------------------------------- std and action
def test_stddev_schedule_linear_by_hand():
    """utils.schedule('linear(1.0,0.1,500000)', step): mix = clip(step / 500000, 0, 1)."""
    values = [M.stddev_schedule(s, 1.0, 0.1, 500_000) for s in (0, 250_000, 500_000, 10**6)]
    assert values == pytest.approx([1.0, 0.55, 0.1, 0.1])
    assert M.stddev_schedule(125_000, 0.5, 0.1, 500_000) == pytest.approx(0.4)


def test_noisy_action_is_truncated_normal_sample():
    """TruncatedNormal(mu, std).sample(clip): eps ~ N(0, 1) * std, clamped to +-clip, added to
    mu, clamped to (-1 + 1e-6, 1 - 1e-6) with the gradient of the unclamped sum."""
    mu = torch.tensor([0.0, 0.5, -0.9, 0.95, 1.0, -1.0] * 500, requires_grad=True)
    for std, clip in ((1.0, 0.3), (0.2, None)):
        torch.manual_seed(3)
        noise = (torch.randn(mu.shape) * std).clamp(-(clip or 1e9), clip or 1e9)
        torch.manual_seed(3)
        action = M.noisy_action(mu, std, clip)
        assert torch.allclose(action, (mu + noise).clamp(LO, HI))
        if clip is not None:  # the clip binds and bounds the noise
            assert (action - mu).abs().max().item() == pytest.approx(clip, abs=1e-6)
    assert (action < 1).all() and (action > -1).all()
    assert action.max().item() == pytest.approx(HI, abs=1e-7)
    assert action.min().item() == pytest.approx(LO, abs=1e-7)
    w = torch.linspace(-1.0, 2.0, mu.numel())
    (action * w).sum().backward()
    assert torch.equal(mu.grad, w)  # d action / d mu == 1, clamped or not
    # noise drawn independently per element, std as given
    torch.manual_seed(0)
    noise = M.noisy_action(torch.zeros(20_000), 0.2)
    assert noise.std().item() == pytest.approx(0.2, rel=0.03) and noise.mean().abs().item() < 0.01


def test_policy_act_rescales_and_explores_with_the_scheduled_std():
    """act: tanh mean (deterministic) or TruncatedNormal sample without clip at the scheduled
    std; mapped from [-1, 1] to [low, high] (dm_control's action_scale wrapper)."""
    cfg = SimpleNamespace(stddev_init=1.0, stddev_final=0.1, stddev_steps=500_000)
    policy = M.Policy(lambda o: o * 2, torch.tanh, cfg, np.array([-2.0, 0.0]), np.array([2.0, 1.0]))
    obs = torch.linspace(-1.0, 1.0, 100).reshape(50, 2)
    mean, scale, bias = torch.tanh(obs * 2), torch.tensor([2.0, 0.5]), torch.tensor([0.0, 0.5])
    assert torch.allclose(policy.act(obs, deterministic=True), mean * scale + bias)
    torch.manual_seed(5)
    expected = (mean + torch.randn(50, 2) * 0.55).clamp(LO, HI) * scale + bias  # noise not clipped
    torch.manual_seed(5)
    assert torch.allclose(policy.act(obs, 250_000), expected)


# --------------------------------------------------------------------------- losses
class TwinQ(nn.Module):
    """Q_j(h, a) = tanh(w_j . [h, a]) * 3 + b_j: (2, B)."""

    def __init__(self, seed, dim):
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        self.w = nn.Parameter(torch.randn(2, dim, generator=g))
        self.b = nn.Parameter(torch.randn(2, 1, generator=g))

    def forward(self, h, a):
        return torch.tanh(torch.cat([h, a], -1) @ self.w.T).T * 3 + self.b


def _agent(B=64, feat=5, act=3):
    torch.manual_seed(11)
    actor = nn.Sequential(nn.Linear(feat, act), nn.Tanh())
    critic, target = TwinQ(1, feat + act), TwinQ(2, feat + act)
    h, next_h = torch.randn(B, feat, requires_grad=True), torch.randn(B, feat)
    actions, returns = torch.rand(B, act) * 2 - 1, torch.randn(B)
    discounts = torch.tensor([0.0, 0.99**3, 0.5, 1.0]).repeat(B // 4)
    return actor, critic, target, (h, actions, returns, discounts, next_h)


def test_critic_td_errors_and_loss_by_hand():
    """y = R + discount * min_j Q'_j(h', a'), a' = TruncatedNormal(actor(h'), std).sample(clip);
    loss = sum_j mean (Q_j(h, a) - y)^2; no gradient reaches the actor or the target."""
    actor, critic, target, batch = _agent()
    h, actions, returns, discounts, next_h = batch
    std, clip = 0.4, 0.3
    torch.manual_seed(3)
    eps = torch.randn(64, 3)
    with torch.no_grad():
        next_a = (actor(next_h) + (eps * std).clamp(-clip, clip)).clamp(LO, HI)
        q_next = target(next_h, next_a)
        y = returns + discounts * torch.minimum(q_next[0], q_next[1])
    assert (q_next[0] < q_next[1]).any() and (q_next[1] < q_next[0]).any()  # the min matters
    q = critic(h, actions)
    hand_loss = ((q[0] - y) ** 2).mean() + ((q[1] - y) ** 2).mean()
    torch.manual_seed(3)
    td = M.critic_td_errors_fn(*batch, actor, critic, target, std, clip)
    assert td.shape == (2, 64) and torch.allclose(td, q - y, atol=1e-6)
    assert torch.allclose(td[:, ::4], q[:, ::4] - returns[::4], atol=1e-6)  # discount 0: y = R
    torch.manual_seed(3)
    loss = M.critic_loss_fn(*batch, actor, critic, target, std, clip)
    assert loss.item() == pytest.approx(hand_loss.item(), rel=1e-6)
    grads = torch.autograd.grad(hand_loss, [critic.w, critic.b, h])
    loss.backward()
    assert all(p.grad is None for p in [*actor.parameters(), *target.parameters()])
    for p, g in zip([critic.w, critic.b, h], grads):
        assert torch.allclose(p.grad, g, atol=1e-6)


def test_actor_loss_by_hand():
    """-mean min_j Q_j(h, a), a = TruncatedNormal(actor(h), std).sample(clip): its gradient
    reaches the actor through mu (straight through the clamp)."""
    actor, critic, _, (h, *_) = _agent()
    h = h.detach()
    std, clip = 1.0, 0.3
    torch.manual_seed(4)
    mu = actor(h)
    a = mu + (torch.randn(64, 3) * std).clamp(-clip, clip)
    a = a + (a.detach().clamp(LO, HI) - a.detach())
    q = critic(h, a)
    hand = -torch.minimum(q[0], q[1]).mean()
    hand_grads = torch.autograd.grad(hand, list(actor.parameters()))
    torch.manual_seed(4)
    loss = M.actor_loss_fn(h, actor, critic, std, clip)
    assert loss.item() == pytest.approx(hand.item(), rel=1e-6)
    for g, hg in zip(torch.autograd.grad(loss, list(actor.parameters())), hand_grads):
        assert torch.allclose(g, hg, atol=1e-6) and hg.abs().sum() > 0


def test_critic_is_twin_members_behind_one_trunk():
    """drqv2.py's Critic: trunk Linear -> LayerNorm -> Tanh (one, shared), then per member
    Linear-ReLU-Linear-ReLU-Linear on [trunk(h), a]."""
    torch.manual_seed(0)
    critic = M.Critic(6, 2, 5, 8, 2)
    for layer in [critic.features, *critic.q.hidden, critic.q.out]:  # biases start at 0
        nn.init.normal_(layer.bias, std=0.5)
    h, a = torch.randn(7, 6), torch.rand(7, 2) * 2 - 1
    out = critic(h, a)
    x0 = torch.cat([torch.tanh(critic.norm(critic.features(h))), a], -1)
    for j in range(2):
        x = x0
        for layer in critic.q.hidden:
            x = F.relu(x @ layer.weight[j] + layer.bias[j])
        assert torch.allclose(
            out[j], (x @ critic.q.out.weight[j] + critic.q.out.bias[j]).squeeze(-1), atol=1e-6
        )
    assert not torch.allclose(out[0], out[1])


def test_encode_shifts_both_stacks_and_detaches_next():
    enc = M.ConvEncoder((9, 16, 16), 4, 2)
    obs, next_obs = (torch.randint(0, 256, (5, 9, 16, 16), dtype=torch.uint8) for _ in range(2))
    batch = (obs, torch.zeros(5, 2), torch.zeros(5), torch.ones(5), next_obs)
    torch.manual_seed(2)
    h_exp, nh_exp = enc(M.random_shift(obs.float(), 2)), enc(M.random_shift(next_obs.float(), 2))
    torch.manual_seed(2)
    h, _, _, _, nh = M.encode(batch, enc, 2)
    assert torch.allclose(h, h_exp) and torch.allclose(nh, nh_exp)
    assert h.requires_grad and not nh.requires_grad
    h0, _, _, _, nh0 = M.encode(batch, enc, 0)
    assert torch.allclose(h0, enc(obs.float())) and torch.allclose(nh0, enc(next_obs.float()))


# --------------------------------------------------------------------------- encoder
def test_conv_encoder_is_drqv2s():
    """drqv2.py's Encoder: obs / 255 - 0.5, conv 3x3 stride 2 then three stride 1, 32 channels,
    ReLU after each; repr_dim 32 * 35 * 35 on 84 x 84; 30368 parameters on 9 channels;
    utils.weight_init: orthogonal with gain sqrt(2) (W W^T = 2 I), zero biases."""
    torch.manual_seed(0)
    enc = M.ConvEncoder((9, 84, 84), 32, 4)
    assert enc.repr_dim == 32 * 35 * 35
    assert M.ConvEncoder((9, 64, 64), 32, 4).repr_dim == 32 * 25 * 25
    assert sum(p.numel() for p in enc.parameters()) == 30368
    for conv in enc.convs:
        w = conv.weight.detach().reshape(32, -1)
        assert torch.allclose(w @ w.T, 2 * torch.eye(32), atol=1e-4) and not conv.bias.any()
        nn.init.normal_(conv.bias, std=0.1)
    obs = torch.randint(0, 256, (2, 9, 84, 84)).float()
    out = enc(obs)
    assert out.shape == (2, 39200)
    x = obs / 255.0 - 0.5
    for k, conv in enumerate(enc.convs):
        x = F.relu(F.conv2d(x, conv.weight, conv.bias, stride=2 if k == 0 else 1))
    assert torch.allclose(out, x.reshape(2, -1), atol=1e-5)
    single = enc(obs[1])  # Policy.act's unbatched observation
    assert single.shape == (39200,) and torch.allclose(single, out[1], atol=1e-5)
