"""generated/rlx2_*.py and ds_td3.py against hand-computed values: RLx2's multi-step target
(windows across a termination and a truncation, the delay switch), its dynamic-capacity buffer
(the policy distance, the FIFO drop), the float ER allocation, Sokar's epsilon-ER densities and
sign-split SET drop, and the count-matched targets (../shared/reference/sparse_methods.md
sections 5, 6 and 13)."""

import math

import pytest

torch = pytest.importorskip("torch")

from conftest import GENERATED
from generated_utils import import_script

RLX2_TD3 = import_script(GENERATED / "rlx2_td3.py")
RLX2_SAC = import_script(GENERATED / "rlx2_sac.py")
DS = import_script(GENERATED / "ds_td3.py")


def _buffer(mod, steps, capacity=16):
    """A buffer of 1-d transitions; obs = index, reward = 1 + index, and the given end flags."""
    rb = mod.ReplayBuffer(capacity, 1, 1, "cpu")
    for i, (term, trunc) in enumerate(steps):
        rb.add([float(i)], [0.0], 1.0 + i, [float(i) + 0.5], term, trunc, [0.0])
    return rb


# transitions 0..7: 2 terminates, 5 is truncated (a time limit)
STEPS = [(0, 0), (0, 0), (1, 0), (0, 0), (0, 0), (0, 1), (0, 0), (0, 0)]


def _windows(rb, n):
    torch.manual_seed(0)
    obs, actions, rewards, next_obs, terms, valid = rb.sample(512, n)
    return {
        int(o): (r, no, t, v) for o, r, no, t, v in zip(obs[:, 0], rewards, next_obs, terms, valid)
    }


def test_n_step_windows_stop_at_termination_truncation_and_the_newest_transition():
    w = _windows(_buffer(RLX2_TD3, STEPS), 3)
    assert set(w) == set(range(8))
    expected_valid = {
        0: [1, 1, 1],
        1: [1, 1, 0],  # 2 terminates: it counts, nothing after it
        2: [1, 0, 0],
        3: [1, 1, 1],  # 5 is truncated: it counts
        4: [1, 1, 0],
        5: [1, 0, 0],
        6: [1, 1, 0],  # 7 is the newest transition
        7: [1, 0, 0],
    }
    for i, v in expected_valid.items():
        assert w[i][3].tolist() == v, i
        assert w[i][0][0].item() == 1.0 + i  # the window starts at the drawn transition


def _td3_target(mod, batch, n_q=3.0, gamma=0.5):
    """The TD3 target with a critic target returning n_q everywhere (noise irrelevant)."""

    class ConstQ(torch.nn.Module):
        def forward(self, obs, _action):
            return torch.full((2, obs.shape[0]), n_q)

    class ZeroQ(torch.nn.Module):
        def forward(self, obs, _action):
            return torch.zeros(2, obs.shape[0])

    torch.manual_seed(0)
    actor = mod.Actor(1, 1, 4, 1, torch.tensor([-1.0]), torch.tensor([1.0]), 0.1)
    td = mod.critic_td_errors_fn(batch, actor, ZeroQ(), ConstQ(), gamma, 0.2, 0.5)
    return -td[0]  # Q = 0: the TD error is -target


def test_n_step_target_across_a_termination_and_a_truncation():
    rb = _buffer(RLX2_TD3, STEPS)
    torch.manual_seed(0)
    batch = rb.sample(512, 3)
    target = _td3_target(RLX2_TD3, batch)
    g, q = 0.5, 3.0
    hand = {
        0: 1 + g * 2 + g**2 * 3,  # three steps, the third terminates: no bootstrap
        1: 2 + g * 3,  # 2 terminates: no bootstrap
        2: 3.0,
        3: 4 + g * 5 + g**2 * 6 + g**3 * q,  # 5 is truncated: bootstrap from its next_obs
        4: 5 + g * 6 + g**2 * q,
        5: 6 + g * q,  # truncation: bootstrap from its true final observation
        6: 7 + g * 8 + g**2 * q,  # the newest transition ends the window
        7: 8 + g * q,
    }
    for o, t in zip(batch[0][:, 0].tolist(), target.tolist()):
        assert t == pytest.approx(hand[int(o)]), o


def test_one_step_window_is_the_one_step_target():
    rb = _buffer(RLX2_TD3, STEPS)
    torch.manual_seed(0)
    batch = rb.sample(256, 1)
    target = _td3_target(RLX2_TD3, batch)
    for o, t in zip(batch[0][:, 0].tolist(), target.tolist()):
        term = STEPS[int(o)][0]
        assert t == pytest.approx(1 + o + 0.5 * (1 - term) * 3.0)


def test_sac_soft_n_step_return_adds_the_entropy_of_every_valid_next_state():
    rb = _buffer(RLX2_SAC, STEPS)
    torch.manual_seed(0)
    batch = rb.sample(64, 3)

    class FixedActor(torch.nn.Module):
        def sample(self, obs):  # log pi = -(obs): a known entropy bonus per state
            return torch.zeros(*obs.shape[:-1], 1), -obs[..., 0]

    class ConstQ(torch.nn.Module):
        def forward(self, obs, _action):
            return torch.full((2, obs.shape[0]), 3.0)

    class ZeroQ(torch.nn.Module):
        def forward(self, obs, _action):
            return torch.zeros(2, obs.shape[0])

    log_alpha = torch.tensor(math.log(0.1))
    td = RLX2_SAC.critic_td_errors_fn(batch, FixedActor(), ZeroQ(), ConstQ(), log_alpha, 0.5)
    g, a = 0.5, 0.1
    for o, t in zip(batch[0][:, 0].tolist(), (-td[0]).tolist()):
        i, total, k = int(o), 0.0, 0
        while True:  # RLx2_SAC's loop: reward, then the entropy of s' unless terminated
            term, trunc = STEPS[i + k]
            total += g**k * (1 + i + k)
            if not term:
                total += g ** (k + 1) * a * (i + k + 0.5)  # -alpha log pi(s') = alpha (i + k + 0.5)
            last = k == 2 or term or trunc or i + k == 7
            if last:
                break
            k += 1
        if not STEPS[i + k][0]:
            total += g ** (k + 1) * 3.0
        assert t == pytest.approx(total, rel=1e-5), o


def test_the_delay_switches_the_update_phase_to_n_steps():
    src = (GENERATED / "rlx2_td3.py").read_text()
    assert "n_step = cfg.n_step if step >= cfg.n_step_start else 1" in src
    assert "batch = rb.sample(cfg.batch_size, n_step)" in src
    cfg = RLX2_TD3.Config()
    assert (cfg.n_step, cfg.n_step_start) == (3, 325_000)


def test_policy_distance_and_fifo_drop():
    rb = RLX2_TD3.ReplayBuffer(10, 1, 1, "cpu")
    for i in range(10):  # stored noise-free actions 0.0, 0.1, ..., 0.9 (scale 2: /2)
        rb.add([float(i)], [0.0], 0.0, [0.0], 0, 0, [0.1 * i])
    rb.add([10.0], [0.0], 0.0, [0.0], 0, 0, [1.0])  # overwrites 0: the oldest is now 1

    class Policy:
        action_scale = torch.tensor([2.0])

        def act(self, obs, deterministic=False):
            assert deterministic
            return torch.full_like(obs, 0.5)

    k = 4  # the oldest 4: transitions 1..4, stored 0.1..0.4
    d = ((0.5 - torch.tensor([0.1, 0.2, 0.3, 0.4])) / 2).pow(2).mean().item() / 2
    assert rb.policy_distance(Policy(), k) == pytest.approx(d)
    rb.adjust(Policy(), k, threshold=d + 1e-6, min_size=0, drop_fraction=0.3)
    assert rb.size == 10  # below the threshold: nothing dropped
    rb.adjust(Policy(), k, threshold=0.0, min_size=10, drop_fraction=0.3)
    assert rb.size == 10  # not above the minimum size
    rb.adjust(Policy(), k, threshold=0.0, min_size=5, drop_fraction=0.3)
    assert rb.size == 7  # the oldest 3 (1, 2, 3) left
    torch.manual_seed(0)
    assert set(rb.sample(400)[0][:, 0].tolist()) == {4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0}
    # a checkpoint keeps the logical order
    copy = RLX2_TD3.ReplayBuffer(10, 1, 1, "cpu")
    copy.load_state_dict(rb.state_dict())
    torch.manual_seed(1)
    a = rb.sample(32, 3)
    torch.manual_seed(1)
    b = copy.sample(32, 3)
    torch.testing.assert_close(a[5], b[5])  # valid
    assert a[5].sum() < a[5].numel()  # some windows reach past the newest transition
    for x, y in zip(a[:2], b[:2]):  # obs and actions of the drawn transitions
        torch.testing.assert_close(x, y)
    for x, y in zip(a[2:5], b[2:5]):  # rewards, next_obs, terminations of the valid steps
        v = a[5].bool()
        torch.testing.assert_close(x[v], y[v])
    # past the newest transition a window reads zeros in a fresh buffer, never garbage
    assert torch.isfinite(b[2]).all() and (b[2][~b[5].bool()] == 0).all()


def test_rlx2_float_er_allocation():
    """Oracle 13.1: ERK with float counts at 0.8 on 17-256-256-6 keeps 4352, 8397, 1536."""
    shapes = [[256, 17], [256, 256], [6, 256]]
    assert RLX2_TD3.er_float_counts(shapes, 0.8, [False] * 3) == [4352, 8397, 1536]


def _rlx2_sac_dry_run(tmp_path, *flags):
    import json

    from generated_utils import run_script

    r = run_script(GENERATED / "rlx2_sac.py", "--dry-run", "--json", *flags, cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-3000:]
    return json.loads(r.stdout)["modules"]


def test_rlx2_sac_actor_allocation_on_halfcheetah(tmp_path):
    """RLx2's SAC actor is 17 -> 256 -> 256 -> 12 (one output layer of 2|A|): three layers for
    the float ER allocation at 0.9. Budget 0.1 * 72960 = 7296 active weights; each layer's
    density is eps (n_in + n_out) / (n_in n_out) with eps = 7296 / (273 + 512 + 268) =
    6.92877; layer l keeps n_l - floor((1 - density_l) n_l): 4352 - 2460, 65536 - 61988 and
    3072 - 1215 (a two-head actor would get 1522 / 2854 / 1461 / 1461)."""
    pytest.importorskip("mujoco")
    eps = 7296 / 1053
    hand = [
        n - math.floor((1 - eps * (o + i) / (o * i)) * n)
        for o, i, n in [(256, 17, 4352), (256, 256, 65536), (12, 256, 3072)]
    ]
    assert hand == [1892, 3548, 1857]
    actor = _rlx2_sac_dry_run(tmp_path)["actor"]
    layers = [(layer["name"], layer["shape"], layer["active"]) for layer in actor["layers"]]
    assert layers == [
        ("pi.hidden.0", [256, 17], 1892),
        ("pi.hidden.1", [256, 256], 3548),
        ("pi.out", [12, 256], 1857),
    ]
    assert actor["total"] == 72960 and actor["active"] == 7297


def test_rlx2_sac_linears_are_orthogonal_with_zero_bias():
    """RLx2_SAC/modules_SAC.py weight_init: every Linear of the actor and of both Q-networks is
    orthogonal (gain 1) with bias 0: W W^T = I for the wide ones, W^T W = I for the tall ones
    (an ensemble member's weight is stored (in, out), the transpose of nn.Linear's)."""
    torch.manual_seed(0)
    actor = RLX2_SAC.Actor(17, 6, 256, 2, -torch.ones(6), torch.ones(6))
    critic = RLX2_SAC.Critic(17, 6, 256, 2)

    def orthonormal(w):  # (out, in)
        small = min(w.shape)
        gram = w @ w.T if w.shape[0] == small else w.T @ w
        torch.testing.assert_close(gram, torch.eye(small), atol=1e-5, rtol=0)

    linears = [actor.pi.hidden[0], actor.pi.hidden[1], actor.pi.out]
    for layer in linears:
        orthonormal(layer.weight.detach())
        assert (layer.bias == 0).all()
    for layer in [*critic.q.hidden, critic.q.out]:
        assert (layer.bias == 0).all()
        for member in layer.weight.detach():
            orthonormal(member.T)
    # PyTorch's default init (the TD3 script: RLx2_TD3 keeps it) is not orthogonal
    td3_actor = RLX2_TD3.Actor(17, 6, 256, 2, -torch.ones(6), torch.ones(6), 0.1)
    w = td3_actor.mu.hidden[0].weight.detach()
    assert (w.T @ w - torch.eye(17)).abs().max() > 0.1


def test_rlx2_sac_actor_splits_one_output_layer_into_mean_and_log_std():
    """Mean = the first |A| outputs, log std = LOG_STD_MIN + (MAX - MIN)(tanh(rest) + 1) / 2
    with the bounds -5, 2: output biases (0.3, -0.7 | 0, 10) give means 0.3, -0.7 and log stds
    -1.5 (tanh 0) and 2 - 3.5 (1 - tanh 10) = 1.99999..."""
    actor = RLX2_SAC.Actor(3, 2, 8, 2, -torch.ones(2), torch.ones(2))
    assert not hasattr(actor, "fc_mean") and actor.pi.out.weight.shape == (4, 8)
    with torch.no_grad():
        actor.pi.out.weight.zero_()
        actor.pi.out.bias.copy_(torch.tensor([0.3, -0.7, 0.0, 10.0]))
    mean, log_std = actor(torch.randn(5, 3))
    torch.testing.assert_close(mean, torch.tensor([[0.3, -0.7]]).expand(5, 2))
    expected = torch.tensor([-1.5, -5.0 + 3.5 * (math.tanh(10.0) + 1.0)])
    torch.testing.assert_close(log_std, expected.expand(5, 2))


def test_sokar_epsilon_er_densities():
    """Section 5: eps 7 and 64, 17-d observations, 6-d actions: actor 0.4391 / 0.5, critic l1
    (23 inputs) 0.3317, output layers dense."""
    torch.manual_seed(0)
    actor = DS.Actor(17, 6, 256, 2, -torch.ones(6), torch.ones(6), 0.1)
    critic = DS.Critic(17, 6, 256, 2)
    a = DS.epsilon_er_densities(DS.Masks(actor, ("mu.out",)), (7.0, 64.0))
    c = DS.epsilon_er_densities(DS.Masks(critic, ("q.out",)), (7.0, 64.0))
    assert a[0] == pytest.approx(7 * 273 / 4352) and round(a[0], 4) == 0.4391
    assert a[1:] == [0.5, None]
    assert round(c[0], 4) == round(c[1], 4) == 0.3317  # both members
    assert c[2:] == [0.5, 0.5, None, None]
    masks = DS.Masks(critic, ("q.out",))
    masks.draw(c)
    density = masks.per_layer(masks.masks)[2].mean().item()
    assert abs(density - 0.5) < 0.01  # a Bernoulli draw: a random count near the density


def test_sign_split_set_drop_on_a_small_matrix():
    w = torch.tensor([[0.5, -0.1, 0.0, 0.3], [0.2, -0.8, -0.05, 0.7], [-0.3, 0.05, 0.0, -0.6]])
    m = torch.tensor([[1.0, 1, 0, 1], [1, 1, 1, 1], [1, 1, 1, 1]])
    # active: positive 0.5 0.3 0.2 0.7 0.05 (5), negative -0.1 -0.8 -0.05 -0.3 -0.6 (5), the
    # active 0.0 at (2, 2) is neither; fraction 0.4: floor(2.0) = 2 of each sign
    keep = DS.sign_split_keep(w, m, 0.4)
    dropped = ((m > 0) & (keep == 0)).nonzero().tolist()
    assert sorted(dropped) == sorted([[2, 1], [1, 0], [1, 2], [0, 1]])  # 0.05, 0.2 and -0.05, -0.1
    assert keep[2, 2] == 1.0


def test_count_matched_targets_keep_the_online_count_of_largest_weights():
    torch.manual_seed(0)
    critic = DS.Critic(3, 2, 8, 1)
    target = DS.Critic(3, 2, 8, 1)
    opt = torch.optim.Adam(critic.parameters())
    masks = DS.DynamicMasks(
        critic, opt, targets=(target,), dense_layers=("q.out",), target_masking="count"
    )
    masks.draw(DS.epsilon_er_densities(masks, (2.0,)))
    masks.apply()
    masks.prune_targets_by_count()
    for t, w in zip(masks.per_layer(DS.linear_weights(target)[0]), masks.per_layer(masks.weights)):
        n = int((w != 0).sum())
        assert int((t != 0).sum()) == n
    t0 = masks.per_layer(DS.linear_weights(target)[0])[0]
    kept = t0[t0 != 0].abs()
    assert kept.min() >= t0[t0 == 0].abs().max() if (t0 == 0).any() else True


def test_ds_td3_optimizer_step_runs_the_step_then_the_topology_and_keeps_moments():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(6, 6), torch.nn.Linear(6, 1))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    masks = DS.DynamicMasks(
        net,
        opt,
        dense_layers=("1",),
        growth="set",
        drop_schedule=DS.constant_drop_fraction,
        every=2,
        drop_fraction=0.5,
        end_step=100,
        drop="sign_split",
        reset_moments=False,
        mask_gradients=False,
        skip_step=False,
        target_masking="mask",
    )
    masks.draw([0.5, None])
    masks.apply()
    before = masks.masks[0].clone()
    x = torch.randn(32, 6)
    DS.optimizer_step(opt, net(x).pow(2).mean(), masks=masks)  # step 1: no update
    state = opt.state[net[0].weight]
    assert (state["exp_avg"][before == 0] != 0).any()  # gradients are not masked
    DS.optimizer_step(opt, net(x).pow(2).mean(), masks=masks)  # step 2: step, then SET
    assert state["step"].item() == 2  # the optimizer step ran
    assert int(masks.masks[0].sum()) == int(before.sum())  # the count is kept
    grown = (masks.masks[0] > 0) & (before == 0)
    assert grown.any()
    assert (net[0].weight[grown] == 0).all()  # grown weights start at 0 ...
    assert (state["exp_avg"][grown] != 0).any()  # ... with Adam's moments kept


def _sign_split_masks(grow_last, end_step):
    """A 3 x 4 layer of 6 positive and 6 negative weights, all active; SET drops half of each
    sign every 2 steps up to end_step."""
    net = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.Linear(3, 1))
    with torch.no_grad():
        net[0].weight.copy_(
            torch.tensor([[0.1, -0.2, 0.3, -0.4], [0.5, -0.6, 0.7, -0.8], [0.9, -1.0, 1.1, -1.2]])
        )
    masks = DS.DynamicMasks(
        net,
        torch.optim.Adam(net.parameters()),
        dense_layers=("1",),
        growth="set",
        drop_schedule=DS.constant_drop_fraction,
        every=2,
        drop_fraction=0.5,
        end_step=end_step,
        drop="sign_split",
        grow_last=grow_last,
    )
    masks.draw([1.0, None])
    return net, masks


@pytest.mark.parametrize(
    "grow_last, end_step, counts",
    [
        (True, 3, [12] * 6),  # step 2 is the last update; it grows back all 6 it drops
        (False, 3, [12, 6, 6, 6, 6, 6]),  # ... it only drops
        (False, 5, [12, 12, 12, 6, 6, 6]),  # step 2 regrows (not the last), step 4 only drops
    ],
)
def test_last_topology_update_prunes_only_without_grow_last(grow_last, end_step, counts):
    """DS-TD3 (sparse_utils.changeConnectivitySET with lastTopologyChange): the last update,
    the last step s with s % every == 0 and s <= end_step, drops without regrowing. Each
    update drops floor(0.5 * 6) = 3 positive (0.1, 0.3, 0.5) and 3 negative (-0.2, -0.4, -0.6)
    weights; a full layer regrows exactly those 6 (keeping their values): 12 stay active, or 6
    after a prune-only update."""
    torch.manual_seed(0)
    net, masks = _sign_split_masks(grow_last, end_step)
    got = []
    for _ in range(6):
        if masks.topology_due():
            masks.update_topology()
        got.append(int(masks.masks[0].sum()))
    assert got == counts
    w = net[0].weight.detach()
    expected = {0.7, 0.9, 1.1, -0.8, -1.0, -1.2} | (
        set() if counts[-1] == 6 else {0.1, 0.3, 0.5, -0.2, -0.4, -0.6}
    )
    assert {round(v, 1) for v in w[w != 0].tolist()} == expected


def test_ds_td3_preset_prunes_at_its_last_update():
    spec = DS.RESOLVED_SPEC
    assert spec.count("grow_last: false") == 2  # actor and critic
    assert RLX2_TD3.RESOLVED_SPEC.count("grow_last") == 0  # RLx2's last update regrows


FEATURE_FLAGS = {
    "rlx2_td3": ["--n-step-start", "150", "--buffer-check-every", "50", "--buffer-min-size", "100"],
    "rlx2_sac": ["--n-step-start", "150", "--buffer-check-every", "50", "--buffer-min-size", "100"],
    "importance_rlx2_td3": [
        "--n-step-start",
        "150",
        "--buffer-check-every",
        "50",
        "--buffer-min-size",
        "100",
    ],
    "ds_td3": [],
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(FEATURE_FLAGS))
def test_short_cpu_run_exercises_the_method(name, tmp_path):
    """A few hundred Pendulum steps with every part of the method due inside them: topology
    updates every 20 (actor) / 40 (critic) gradient steps, n-step windows from step 150, buffer
    checks every 50 steps (threshold 0: every check above min size drops)."""
    import csv

    from generated_utils import run_script

    path = GENERATED / f"{name}.py"
    flags = FEATURE_FLAGS[name]
    flags += ["--buffer-threshold", "0.0"] if "--buffer-check-every" in flags else []
    r = run_script(
        path,
        *("--env-id", "Pendulum-v1", "--total-steps", "400", "--learning-starts", "100"),
        *("--actor-topology-every", "20", "--critic-topology-every", "40"),
        *("--eval-every", "400", "--eval-episodes", "1", "--log-every", "50"),
        # epsilon-ER is dense at small widths (eps (n_in + n_out) / (n_in n_out) > 1): 256 for ds_td3
        *(() if name == "ds_td3" else ("--actor-width", "32", "--critic-width", "32")),
        *("--threads", "1", "--device", "cpu"),
        *("--run-dir", str(tmp_path / "run"), *flags),
        cwd=tmp_path,
    )
    assert r.returncode == 0, r.stderr[-3000:]
    with open(tmp_path / "run" / "metrics.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert all(math.isfinite(float(r["critic_loss"])) for r in rows if r["critic_loss"])
    assert any(float(r["critic_topology_changed"]) > 0 for r in rows)
    assert any(float(r["actor_topology_changed"]) > 0 for r in rows)
    first, last = rows[0], rows[-1]
    for module in ("actor", "critic"):
        before, after = float(first[f"{module}_sparsity"]), float(last[f"{module}_sparsity"])
        if name == "ds_td3":  # the last update (grow_last: false) drops 5% of each sign
            assert 0.94 < (1.0 - after) / (1.0 - before) < 0.96
        else:  # counts are kept through the updates
            assert after == pytest.approx(before)
    if "--buffer-check-every" in flags:
        sizes = [int(r["buffer_size"]) for r in rows]
        assert sizes[-1] < 400 and sizes[-1] >= 90  # dropped, never far below the minimum
