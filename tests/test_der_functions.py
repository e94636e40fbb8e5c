"""generated/der_atari100k.py's functions against Data-Efficient Rainbow (van Hasselt et al. 2019)
as Dopamine runs it (dopamine/labs/atari_100k, jax/agents/full_rainbow, jax/networks.py,
discrete_domains/atari_lib.py, replay_memory/circular_replay_buffer.py before its JAX rewrite):
C51's projection, the noisy layers, the dueling head, the double-DQN target, prioritized
replay (stratified draws, priorities, importance weights), n-step returns cut by terminals,
frame stacks with zeros before a chain's start, the Atari preprocessing (max-pool of the last
two frames, resize, stacking, life loss, no-ops) on a scripted ALE, the IMPALA and Nature
CNNs' shapes and SAME padding; values worked out by hand in the tests. Dopamine is never
imported (CI has no copy)."""

import collections
import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")
nn, F = torch.nn, torch.nn.functional

from conftest import GENERATED
from generated_utils import import_script

M = import_script(GENERATED / "der_atari100k.py")
SPARSE = import_script(GENERATED / "der_impala_x3_sparse.py")


# --------------------------------------------------------------------------- C51's projection
SUPPORT5 = torch.tensor([-2.0, -1.0, 0.0, 1.0, 2.0])


def test_projection_splits_mass_between_the_two_nearest_atoms():
    one_hot = torch.tensor([[0.0, 0.0, 0.0, 0.0, 1.0]])
    # R + discount * z = 0.5 + 0.5 * 2 = 1.5: half on z = 1, half on z = 2
    target = M.project_distribution(torch.tensor([0.5]), torch.tensor([0.5]), one_hot, SUPPORT5)
    assert torch.allclose(target, torch.tensor([[0.0, 0.0, 0.0, 0.5, 0.5]]))


def test_projection_of_a_terminal_puts_everything_on_the_clipped_return():
    uniform = torch.full((2, 5), 0.2)
    target = M.project_distribution(torch.tensor([3.0, -0.5]), torch.zeros(2), uniform, SUPPORT5)
    # 3 is clipped to v_max = 2; -0.5 lies halfway between -1 and 0
    assert torch.allclose(target, torch.tensor([[0, 0, 0, 0, 1.0], [0, 0.5, 0.5, 0, 0]]))


def test_projection_clips_at_the_support_and_keeps_the_mass():
    uniform = torch.full((1, 5), 0.2)
    # z - 0.25: -2 (clipped from -2.25), -1.25, -0.25, 0.75, 1.75
    target = M.project_distribution(torch.tensor([-0.25]), torch.ones(1), uniform, SUPPORT5)
    expected = torch.tensor([[0.2 + 0.05, 0.15 + 0.05, 0.15 + 0.05, 0.15 + 0.05, 0.15]])
    assert torch.allclose(target, expected)
    assert torch.allclose(target.sum(-1), torch.ones(1))


# --------------------------------------------------------------------------- noisy nets
def test_noisy_layer_init_and_its_factorised_noise():
    torch.manual_seed(0)
    layer = M.NoisyLinear(16, 4, 0.5)
    assert layer.weight.abs().max() <= 1 / 4 and layer.bias.abs().max() <= 1 / 4  # 1/sqrt(16)
    assert torch.all(layer.weight_sigma == 0.5 / 4) and torch.all(layer.bias_sigma == 0.5 / 4)
    torch.manual_seed(3)
    e_in, e_out = torch.randn(16), torch.randn(4)
    torch.manual_seed(3)
    layer.reset_noise()
    f = lambda e: e.sign() * e.abs().sqrt()  # noqa: E731
    assert torch.allclose(layer.noise_in, f(e_in)) and torch.allclose(layer.noise_out, f(e_out))
    x = torch.randn(5, 16)
    weight = layer.weight + layer.weight_sigma * torch.outer(f(e_out), f(e_in))
    bias = layer.bias + layer.bias_sigma * f(e_out)
    assert torch.allclose(layer(x, True), x @ weight.T + bias, atol=1e-6)
    assert torch.allclose(layer(x), x @ layer.weight.T + layer.bias, atol=1e-6)  # noise off


def test_dueling_head_combines_value_and_centred_advantages_per_atom():
    torch.manual_seed(1)
    head = M.Critic(8, 3, 6, 1, 5, 0.5)
    h = torch.randn(2, 8)
    x = F.relu(head.hidden[0](h))
    advantage, value = head.advantage(x).view(2, 3, 5), head.value(x)
    expected = value[:, None, :] + advantage - advantage.mean(1, keepdim=True)
    assert torch.allclose(head(h), expected, atol=1e-6)
    # the advantage's output unit a * atoms + k is action a's atom k
    assert torch.allclose(
        head(h)[:, 2, 4] - head(h)[:, 0, 4], advantage[:, 2, 4] - advantage[:, 0, 4], atol=1e-6
    )


def test_target_uses_the_online_argmax_and_the_target_distribution_with_one_noise():
    torch.manual_seed(2)
    support = torch.linspace(-10, 10, 51)
    encoder = nn.Flatten()
    online, target = M.Critic(12, 4, 16, 1, 51, 0.5), M.Critic(12, 4, 16, 1, 51, 0.5)
    next_obs = torch.randn(6, 12)
    returns, discounts = torch.randn(6), torch.full((6,), 0.9)
    torch.manual_seed(5)
    got = M.target_distribution(
        next_obs, returns, discounts, encoder, online, encoder, target, support
    )
    # by hand: the online head with the noise it drew, the target head with the same noise
    for a, b in zip(target.buffers(), online.buffers()):
        assert torch.equal(a, b)
    q = (online(next_obs, True).softmax(-1) * support).sum(-1)
    probabilities = target(next_obs, True)[torch.arange(6), q.argmax(-1)].softmax(-1)
    expected = M.project_distribution(returns, discounts, probabilities, support)
    assert torch.allclose(got, expected)
    assert torch.allclose(got.sum(-1), torch.ones(6))


def test_loss_weights_cross_entropies_by_normalised_importance_weights():
    torch.manual_seed(4)
    support = torch.linspace(-10, 10, 51)
    encoder = nn.Flatten()
    online, target = M.Critic(12, 3, 16, 1, 51, 0.5), M.Critic(12, 3, 16, 1, 51, 0.5)
    obs, next_obs = torch.randn(4, 12), torch.randn(4, 12)
    actions = torch.tensor([0, 2, 1, 2])
    returns, discounts = torch.tensor([1.0, 0.0, -1.0, 0.5]), torch.tensor([0.9, 0.0, 0.9, 0.9])
    probabilities = torch.tensor([0.1, 0.4, 0.2, 0.3])
    batch = [obs, actions, returns, discounts, next_obs, None, probabilities]
    torch.manual_seed(7)
    loss, sample_losses, _ = M.critic_loss_fn(batch, encoder, online, encoder, target, support, 0.5)
    torch.manual_seed(7)
    ce, _ = M.critic_losses_fn(
        obs, actions, returns, discounts, next_obs, encoder, online, encoder, target, support
    )
    w = 1 / torch.sqrt(probabilities + 1e-10)  # Dopamine: 1 / sqrt(P), over the batch's largest
    assert torch.allclose(sample_losses, ce.detach())
    assert torch.allclose(loss, (w / w.max() * ce).mean())


# --------------------------------------------------------------------------- prioritized replay
def make_buffer(capacity=64, n=3, gamma=0.5, frames=4, size=4, zero_padding=True):
    shape, cpu = (frames, size, size), torch.device("cpu")
    return M.ReplayBuffer(capacity, shape, 3, cpu, frames, n, gamma, zero_padding=zero_padding)


def frame(v, size=4):
    return np.full((1, size, size), v, dtype=np.uint8)


def add_chain(rb, start_value, rewards, terminal, truncated=False, stack=4):
    """A chain whose observation t has the frame value start_value + t; returns the values."""
    frames = collections.deque([frame(0)] * (stack - 1) + [frame(start_value)], maxlen=stack)
    for t, r in enumerate(rewards):
        obs = np.concatenate(frames)
        frames.append(frame(start_value + t + 1))
        last = t == len(rewards) - 1
        rb.add(obs, t % 3, r, np.concatenate(frames), terminal and last, truncated and last)


def starts(rb):
    return [int(rb.starts_host[(rb.head + k) % rb.capacity]) for k in range(rb.count)]


def test_starts_need_n_successors_or_a_terminal_within_n():
    rb = make_buffer()
    add_chain(rb, 10, [1.0] * 5, terminal=False, truncated=True)  # rows 0..5
    assert starts(rb) == [0, 1, 2]  # rows 3, 4 end within 3 steps of a truncation: never sampled
    add_chain(rb, 20, [1.0] * 5, terminal=True)  # rows 6..11
    assert starts(rb) == [0, 1, 2, 6, 7, 8, 9, 10]  # a terminal: its last rows become starts too
    add_chain(rb, 30, [1.0], terminal=True)  # a chain of one transition (rows 12, 13)
    assert starts(rb)[-1] == 12


def test_n_step_returns_stop_at_a_terminal_and_its_discount_is_zero():
    rb = make_buffer(n=3, gamma=0.5)
    add_chain(rb, 10, [1.0, 2.0, 4.0, 8.0], terminal=True)  # rows 0..4, the terminal from row 3
    rb.data["priorities"][: rb.count] = torch.tensor([1.0, 0, 0, 0])  # only row 0
    obs, actions, returns, discounts, next_obs, slots, p = rb.sample(4)
    assert torch.allclose(returns, torch.full((4,), 1 + 0.5 * 2 + 0.25 * 4))
    assert torch.allclose(discounts, torch.full((4,), 0.125))
    assert torch.equal(next_obs[0, :, 0, 0], torch.tensor([10, 11, 12, 13], dtype=torch.uint8))
    rb.data["priorities"][: rb.count] = torch.tensor(
        [0, 0, 1.0, 0]
    )  # row 2: 4 + 0.5 * 8, then the terminal
    _, _, returns, discounts, *_ = rb.sample(2)
    assert torch.allclose(returns, torch.full((2,), 4 + 0.5 * 8)) and torch.all(discounts == 0)
    rb.data["priorities"][: rb.count] = torch.tensor([0, 0, 0, 1.0])  # row 3: the terminal itself
    _, _, returns, discounts, *_ = rb.sample(2)
    assert torch.allclose(returns, torch.full((2,), 8.0)) and torch.all(discounts == 0)


def test_stacks_have_zero_frames_before_a_chains_start():
    rb = make_buffer(n=1)
    add_chain(rb, 50, [0.0] * 3, terminal=True)
    rows = torch.tensor([0, 1, 2, 3])
    stacks = rb.stack(rows)[:, :, 0, 0]
    assert stacks.tolist() == [[0, 0, 0, 50], [0, 0, 50, 51], [0, 50, 51, 52], [50, 51, 52, 53]]
    # --stack-padding repeat: the chain's first frame repeated instead
    rb = make_buffer(n=1, zero_padding=False)
    add_chain(rb, 50, [0.0] * 3, terminal=True)
    stacks = rb.stack(rows)[:, :, 0, 0]
    assert stacks.tolist() == [[50] * 4, [50, 50, 50, 51], [50, 50, 51, 52], [50, 51, 52, 53]]


def test_draws_are_stratified_and_proportional_to_priorities():
    rb = make_buffer(capacity=64, n=1)
    add_chain(rb, 1, [0.0] * 4, terminal=True)
    rb.data["priorities"][:4] = torch.tensor([1.0, 3.0, 0.0, 4.0])
    torch.manual_seed(0)
    counts = torch.zeros(4)
    for _ in range(50):
        *_, slots, p = rb.sample(8)
        counts += torch.bincount(slots, minlength=64)[:4]
        assert torch.allclose(p, rb.data["priorities"][slots] / 8.0)
    # one draw per eighth of the total 8: slices [0,1) -> slot 0, [1,4) -> 1, [4,8) -> 3
    assert counts.tolist() == [50.0, 150.0, 0.0, 200.0]


def test_new_starts_get_the_largest_priority_ever_set():
    rb = make_buffer(n=1)
    add_chain(rb, 1, [0.0] * 2, terminal=False)
    assert rb.data["priorities"][:2].tolist() == [1.0, 1.0]  # Dopamine's sum tree starts at 1
    rb.update_priorities(torch.tensor([0, 1]), torch.tensor([2.5, 0.5]))
    rb.update_priorities(torch.tensor([0]), torch.tensor([0.1]))  # the largest stays 2.5
    add_chain(rb, 9, [0.0] * 1, terminal=True)
    assert rb.data["priorities"][: rb.count].tolist() == pytest.approx([0.1, 0.5, 2.5])


def test_overwritten_starts_leave_with_their_priority():
    rb = make_buffer(capacity=8, n=1)
    add_chain(rb, 1, [0.0] * 9, terminal=False)  # 10 rows in 8: the oldest are overwritten
    assert rb.count == 8 - 4  # a start leaves when a row its 4-frame stack reads is written
    assert int((rb.data["priorities"] > 0).sum()) == rb.count


def test_buffer_state_dict_round_trip():
    rb = make_buffer(n=2)
    add_chain(rb, 1, [1.0, 2.0, 3.0], terminal=True)
    rb.update_priorities(torch.tensor([0]), torch.tensor([7.0]))
    copy = make_buffer(n=2)
    copy.load_state_dict(rb.state_dict())
    for k in ("frames", "actions", "rewards", "discounts", "positions", "starts", "priorities"):
        assert torch.equal(copy.data[k], rb.data[k]), k
    assert float(copy.max_priority) == 7.0 and starts(copy) == starts(rb)


# --------------------------------------------------------------------------- Atari preprocessing
class ScriptedALE:
    """An ALE whose screen at frame f is filled with value(f), a reward of f at frame f, lives
    lost at the given frames and the game over at `end`."""

    def __init__(self, lose_at=(), end=10_000, size=(8, 6)):
        self.f, self.lose_at, self.end, self.size, self.lives_left = 0, set(lose_at), end, size, 3
        self.actions = []  # the ALE action of every frame

    @staticmethod
    def value(f):
        return (97 * f) % 251  # not monotone: v(7) = 177 > v(8) = 23

    def act(self, action):
        self.actions.append(action)
        self.f += 1
        if self.f in self.lose_at:
            self.lives_left -= 1
        return float(self.f)

    def game_over(self):
        return self.f >= self.end

    def lives(self):
        return self.lives_left

    def getScreenGrayscale(self, out):
        out[...] = self.value(self.f)

    def reset_game(self):
        self.f, self.lives_left = 0, 3


def scripted_env(ale, repeat=4, noop_max=0, life_loss=True, size=4, stack=4, padding="zeros"):
    import cv2

    env = object.__new__(M.Atari)
    env.zero_padding = padding == "zeros"
    env.cv2, env.ale, env.ale_actions = cv2, ale, [0, 1, 2, 3]
    env.repeat, env.size, env.noop_max, env.terminal_on_life_loss = (
        repeat,
        size,
        noop_max,
        life_loss,
    )
    env.max_steps = M.ATARI_EPISODE_FRAMES // repeat
    env.stack = collections.deque(maxlen=stack)
    env.screens = np.zeros((2, *ale.size), dtype=np.uint8)
    env.recent, env.newest = np.zeros((2, *ale.size), dtype=np.uint8), 0
    env.np_random = np.random.default_rng(0)
    return env


def test_a_step_sums_rewards_and_max_pools_the_last_two_frames():
    pytest.importorskip("cv2")
    v = ScriptedALE.value
    env = scripted_env(ScriptedALE())
    obs, _ = env.reset()
    assert obs.shape == (4, 4, 4) and obs.dtype == np.uint8
    assert obs[:, 0, 0].tolist() == [0, 0, 0, 0]  # zeros, then max(frame 0, zeroed buffer)
    obs, reward, terminated, truncated, info = env.step(1)
    assert reward == 1 + 2 + 3 + 4 and not terminated and not truncated and not info["life_loss"]
    assert obs[:, 0, 0].tolist() == [0, 0, 0, max(v(3), v(4))]  # frames 3 and 4 pooled
    obs, *_ = env.step(2)
    assert obs[:, 0, 0].tolist() == [0, 0, max(v(3), v(4)), max(v(7), v(8))]


def test_a_lost_life_ends_the_step_restarts_the_stack_and_the_game_goes_on():
    pytest.importorskip("cv2")
    env = scripted_env(ScriptedALE(lose_at={6}))
    env.reset()
    env.step(0)
    obs, reward, terminated, truncated, info = env.step(0)  # frames 5, 6: a life lost at 6
    assert reward == 5 + 6 and info["life_loss"] and not terminated and not truncated
    assert obs[:3].max() == 0  # a new chain: zeros before the current frame
    obs, reward, *_ = env.step(0)  # the game goes on from frame 7
    assert reward == 7 + 8 + 9 + 10
    # without terminal_on_life_loss the step runs its four frames and nothing restarts
    env = scripted_env(ScriptedALE(lose_at={6}), life_loss=False)
    env.reset()
    env.step(0)
    obs, reward, _, _, info = env.step(0)
    assert reward == 5 + 6 + 7 + 8 and not info["life_loss"] and obs[2].max() > 0


def test_game_over_terminates_and_the_frame_cap_truncates():
    pytest.importorskip("cv2")
    env = scripted_env(ScriptedALE(end=6))
    env.reset()
    env.step(0)
    obs, reward, terminated, truncated, _ = env.step(0)
    assert terminated and not truncated and reward == 5 + 6
    # the game's last two frames pooled, its final one included (MR.Q's pool; Dopamine's
    # learner never reads this observation)
    v = ScriptedALE.value
    assert obs[-1, 0, 0] == max(v(5), v(6))
    env = scripted_env(ScriptedALE(end=5))  # over at the first frame of the step: 4 and 5
    env.reset()
    env.step(0)
    obs, _, terminated, *_ = env.step(0)
    assert terminated and obs[-1, 0, 0] == max(v(4), v(5))
    env = scripted_env(ScriptedALE())
    env.max_steps = 3
    env.reset()
    assert [env.step(0)[3] for _ in range(3)] == [False, False, True]


def test_noops_are_agent_steps_of_noop_drawn_below_noop_max():
    pytest.importorskip("cv2")
    drawn = []
    for seed in range(40):
        env = scripted_env(ScriptedALE(), noop_max=30)
        env.np_random = np.random.default_rng(seed)
        env.reset()
        assert env.ale.f % 4 == 0 and set(env.ale.actions) <= {0}  # agent steps of NOOP
        drawn.append(env.ale.f // 4)
    assert min(drawn) >= 0 and max(drawn) <= 29 and len(set(drawn)) > 10


def test_reset_game_and_rom_names():
    assert M.rom_name("MsPacman") == "ms_pacman" and M.rom_name("UpNDown") == "up_n_down"
    assert M.env_id_error("Pong") is None
    assert "did you mean 'MsPacman'" in M.env_id_error("MsPacmn")


def test_real_ale_episode_start_and_a_replayed_episode():
    """What resume replays: the env state saved before an episode's reset (the no-op RNG and the
    ALE's state with its RNG, sticky actions on) gives the same episode in another env."""
    pytest.importorskip("ale_py")
    pytest.importorskip("cv2")
    env = M.make_env("Pong", 3, 4, 84, 4, 0.25, True, 30, "zeros")
    obs, _ = env.reset(seed=3)
    assert obs.shape == (4, 84, 84) and obs[:3].max() == 0 and obs[3].max() > 0
    assert env.action_space.n == 6  # Pong's minimal action set
    for k in range(30):
        env.step(k % 6)
    state = M.env_rng_state(env)
    first, _ = env.reset()
    a = [env.step(k % 6)[:2] for k in range(40)]
    other = M.make_env("Pong", 99, 4, 84, 4, 0.25, True, 30, "zeros")
    other.reset(seed=99)
    M.set_env_rng_state(other, state)
    again, _ = other.reset()
    b = [other.step(k % 6)[:2] for k in range(40)]
    assert np.array_equal(first, again)
    assert all(np.array_equal(x, y) and r == q for (x, r), (y, q) in zip(a, b))


# --------------------------------------------------------------------------- encoders
def test_same_padding_matches_tensorflows():
    assert M.same_padding(84, 8, 4) == ((2, 2), 21)
    assert M.same_padding(21, 4, 2) == ((1, 2), 11)
    assert M.same_padding(84, 3, 2) == ((0, 1), 42)
    assert M.same_padding(21, 3, 2) == ((1, 1), 11)


def test_impala_cnn_shapes_init_and_pooling():
    torch.manual_seed(0)
    net = M.ImpalaCNN((4, 84, 84), 16, 2)
    assert net.repr_dim == 32 * 11 * 11  # 84 -> 42 -> 21 -> 11
    assert [s.conv.out_channels for s in net.stacks] == [16, 32, 32]
    assert len(net.stacks[0].blocks) == 2
    x = torch.randint(0, 256, (2, 4, 84, 84)).float()
    assert net(x).shape == (2, 3872)
    with torch.no_grad():  # the pooling without gradient equals max_pool2d on the padded input
        y = torch.randn(2, 16, 21, 21)
        pad, out = (1, 1, 1, 1), 11
        assert torch.equal(
            M.max_pool_same(y, pad, out), F.max_pool2d(F.pad(y, pad, value=-math.inf), 3, 2)
        )
    assert all(torch.all(m.bias == 0) for m in net.modules() if isinstance(m, nn.Conv2d))
    # the stacks' first convolutions xavier-uniform: bound sqrt(6 / (fan_in + fan_out))
    first = net.stacks[1].conv.weight
    assert first.abs().max() <= math.sqrt(6 / (16 * 9 + 32 * 9))
    # residual convolutions lecun-normal: std sqrt(1 / fan_in), truncated at 2 std / .8796
    block = torch.cat([c.weight.flatten() for s in net.stacks[1:] for b in s.blocks for c in b])
    assert abs(block[: 32 * 32 * 9].std().item() - math.sqrt(1 / (32 * 9))) < 0.01


def test_widths_and_the_nature_cnn(tmp_path):
    net = SPARSE.ImpalaCNN((4, 84, 84), 48, 2)
    assert [s.conv.out_channels for s in net.stacks] == [48, 96, 96]  # width x3
    assert "NatureCNN" not in vars(M)  # a script has only the encoder its spec uses
    from specc.compiler import compile_one

    spec = tmp_path / "der_nature.yaml"
    spec.write_text(
        "specc: 1\nname: der_nature\nalgorithm: der\nenv: {suite: atari, id: Pong}\n"
        "networks: {encoder: {arch: nature, width: 32}}\n"
    )
    (tmp_path / "der_nature.py").write_text(compile_one(str(spec), []).source)
    nature = import_script(tmp_path / "der_nature.py")
    net = nature.NatureCNN((4, 84, 84), 32)
    assert net.repr_dim == 64 * 11 * 11 == 7744  # SAME padding: 84 -> 21 -> 11 -> 11
    assert [c.kernel_size for c in net.convs] == [(8, 8), (4, 4), (3, 3)]
    assert [c.stride for c in net.convs] == [(4, 4), (2, 2), (1, 1)]
    assert net.pads == [(2, 2, 2, 2), (1, 2, 1, 2), (1, 1, 1, 1)]
    assert net(torch.zeros(3, 4, 84, 84)).shape == (3, 7744)
    fan_in, fan_out = 4 * 64, 32 * 64
    assert net.convs[0].weight.abs().max() <= math.sqrt(6 / (fan_in + fan_out))  # xavier
    assert "ImpalaCNN" not in vars(nature)
