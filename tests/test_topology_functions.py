"""Dynamic topology in generated scripts (dst, d2s, s2d), against the oracles of
../shared/reference/sparse_methods.md section 13 (RigL step, cosine drop fraction, GMP
schedule) and the invariants of issue 5 (constant counts, monotone schedules, zero moments of
grown weights, growth signal from the module's own loss only)."""

import csv
import math
import re
import pytest
import torch
import torch.nn as nn

from conftest import ROOT
from generated_utils import import_script, run_script

from specc.compiler import compile_one

DST = "{regime: dst, level: 0.5, distribution: er, topology: {method: rigl, every: 1, drop_fraction: 0.4, decay: constant}}"


def _compile(tmp_path, spec, overrides, name):
    c = compile_one(str(ROOT / "specs" / f"{spec}.yaml"), overrides)
    path = tmp_path / f"{name}.py"
    path.write_text(c.source)
    return path


@pytest.fixture(scope="module")
def const(tmp_path_factory):
    """DDPG with a constant-drop RigL actor and critic."""
    tmp = tmp_path_factory.mktemp("dst")
    return import_script(
        _compile(
            tmp,
            "ddpg_dense",
            [f"networks.actor.sparsity={DST}", f"networks.critic.sparsity={DST}"],
            "dst_const",
        )
    )


@pytest.fixture(scope="module")
def sched(tmp_path_factory):
    """SAC with a cosine-decay d2s critic (and the schedule functions)."""
    tmp = tmp_path_factory.mktemp("d2s")
    return import_script(_compile(tmp, "d2s_sac", [], "d2s_module"))


@pytest.fixture(scope="module")
def s2d(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("s2d")
    return import_script(_compile(tmp, "s2d_sac", [], "s2d_module"))


def _layer(m, w, mask):
    net = nn.Linear(4, 2, bias=False)
    with torch.no_grad():
        net.weight.copy_(torch.tensor(w))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    net.weight.grad = torch.ones_like(net.weight)
    opt.step()  # gives every entry Adam state
    with torch.no_grad():
        net.weight.copy_(torch.tensor(w))
    masks = m.DynamicMasks(net, opt, growth="rigl", every=1, drop_fraction=0.4, end_step=100)
    masks.masks[0].copy_(torch.tensor(mask))
    return net, opt, masks


W = [[0.5, -0.1, 0.0, 0.3], [0.0, 0.8, -0.05, 0.0]]
M = [[1.0, 1.0, 0.0, 1.0], [0.0, 1.0, 1.0, 0.0]]


def test_rigl_single_layer_oracle(const):
    net, opt, masks = _layer(const, W, M)
    net.weight.grad = torch.tensor([[0.1, 0.2, 0.9, -0.3], [-0.7, 0.05, 0.4, 0.2]])
    state_before = opt.state[net.weight]["exp_avg"].clone()
    assert masks.topology_due()
    masks.update_topology()
    assert masks.masks[0].tolist() == [[1, 0, 1, 1], [1, 1, 0, 0]]
    assert torch.allclose(net.weight, torch.tensor([[0.5, 0, 0, 0.3], [0, 0.8, 0, 0]]))
    for key in ("exp_avg", "exp_avg_sq"):
        s = opt.state[net.weight][key]
        assert s[0, 2] == 0 and s[1, 0] == 0  # grown: zero moments
    assert opt.state[net.weight]["exp_avg"][0, 0] == state_before[0, 0]  # kept: untouched
    assert masks.changed == pytest.approx(2 / 5)


def test_rigl_regrows_a_just_dropped_weight_with_its_value_and_state(const):
    net, opt, masks = _layer(const, W, M)
    net.weight.grad = torch.tensor([[0.1, 1.0, 0.9, -0.3], [-0.7, 0.05, 0.4, 0.2]])
    state_01 = opt.state[net.weight]["exp_avg"][0, 1].item()
    masks.update_topology()
    assert masks.masks[0].tolist() == [[1, 1, 1, 1], [0, 1, 0, 0]]
    assert net.weight[0, 1].item() == pytest.approx(-0.1)
    assert opt.state[net.weight]["exp_avg"][0, 1].item() == state_01 != 0
    assert opt.state[net.weight]["exp_avg"][0, 2].item() == 0


def test_cosine_drop_fraction(sched):
    t_end = 1000
    values = [sched.cosine_drop_fraction(t, 0.3, t_end) for t in (0, 250, 500, 750, 1000, 1200)]
    assert values == pytest.approx([0.3, 0.256066, 0.15, 0.043934, 0.0, 0.0], abs=1e-6)
    assert int(8399 * sched.cosine_drop_fraction(500, 0.3, t_end)) == 1259


@pytest.mark.parametrize(
    "final, expected",
    [
        (0.8, {0.1: 0.0, 0.2: 0.0, 0.35: 0.4625, 0.5: 0.7, 0.65: 0.7875, 0.8: 0.8, 0.9: 0.8}),
        (0.95, {0.35: 0.549219, 0.5: 0.83125, 0.65: 0.935156, 0.8: 0.95, 0.9: 0.95}),
    ],
)
def test_gmp_schedule(sched, final, expected):
    for p, s in expected.items():
        assert sched.scheduled_sparsity(p * 1000, 0.0, final, 200, 800, 3) == pytest.approx(
            s, abs=1e-6
        ), p
    assert sched.scheduled_sparsity(500, 0.0, 0.95, 200, 800, 3) == pytest.approx(0.83125)


def _net_and_masks(regime_setup):
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 2))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    masks = regime_setup(net, opt)
    return net, opt, masks


def _train_steps(net, opt, masks, m, n):
    history = []
    for _ in range(n):
        loss = net(torch.randn(16, 8)).pow(2).mean()
        m.optimizer_step(opt, loss, masks=masks)
        history.append([mm.clone() for mm in masks.masks])
    return history


def test_dst_keeps_active_counts_for_20_updates(const):
    def setup(net, opt):
        masks = const.DynamicMasks(
            net, opt, growth="rigl", every=5, drop_fraction=0.4, end_step=100
        )
        masks.prune(const.random_scores(masks), const.er_counts(masks.shapes(), 0.7, masks.dense))
        masks.apply()
        return masks

    net, opt, masks = _net_and_masks(setup)
    counts = [int(m.sum()) for m in masks.masks]
    history = _train_steps(net, opt, masks, const, 100)
    assert masks.updates == 20
    for h in history:
        assert [int(m.sum()) for m in h] == counts
    assert any(
        not torch.equal(a[1], b[1]) for a, b in zip(history[4::5], history[9::5])
    )  # the topology moves
    for w, m in zip(masks.weights, masks.masks):
        assert bool((w[m == 0] == 0).all())


def test_d2s_masks_only_tighten_and_end_at_the_target(sched):
    def setup(net, opt):
        masks = sched.DynamicMasks(net, opt, growth=None, every=10, drop_fraction=0.0, end_step=80)
        keep = sched.er_counts(masks.shapes(), 0.6, masks.dense)
        masks.set_reference(0.6, keep)
        masks.schedule = (0.0, 0.6, 20, 80, 2.0)
        return masks, keep

    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 2))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    masks, keep = setup(net, opt)
    history = _train_steps(net, opt, masks, sched, 100)
    for before, after in zip(history, history[1:]):
        for a, b in zip(before, after):
            assert bool((b <= a).all())  # monotone: nothing regrows
    assert [int(m.sum()) for m in masks.masks] == keep
    assert 1 - sum(keep) / sum(m.numel() for m in masks.masks) == pytest.approx(
        0.6, abs=2e-3
    )  # ER counts, floor per layer


def test_s2d_grows_monotonically_to_dense(s2d):
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 2))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    masks = s2d.DynamicMasks(net, opt, growth="rigl", every=10, drop_fraction=0.3, end_step=80)
    keep = s2d.er_counts(masks.shapes(), 0.6, masks.dense)
    masks.prune(s2d.random_scores(masks), keep)
    masks.apply()
    masks.set_reference(0.6, keep)
    masks.schedule = (0.6, 0.0, 20, 80, 2.0)
    history = _train_steps(net, opt, masks, s2d, 100)
    totals = [sum(int(m.sum()) for m in h) for h in history]
    assert totals == sorted(totals) and totals[0] == sum(keep)
    assert totals[-1] == sum(m.numel() for m in masks.masks)  # dense at the schedule's end


def test_actor_loss_never_reaches_the_critic_growth_signal(const):
    torch.manual_seed(0)
    actor = const.Actor(3, 1, 16, 2, [-2.0], [2.0], 0.1)
    critic = const.Critic(3, 1, 16, 2)
    actor_opt = torch.optim.Adam(actor.parameters(), lr=1e-3)
    critic_opt = torch.optim.Adam(critic.parameters(), lr=1e-3)
    actor_masks = const.DynamicMasks(
        actor, actor_opt, every=1000, drop_fraction=0.4, end_step=10_000
    )
    critic_masks = const.DynamicMasks(
        critic, critic_opt, every=2, drop_fraction=0.4, end_step=10_000
    )
    obs, act = torch.randn(32, 3), torch.rand(32, 1) * 4 - 2
    target = torch.randn(32)

    def critic_loss():
        return (critic(obs, act) - target).pow(2).mean()

    const.optimizer_step(critic_opt, critic_loss(), masks=critic_masks)  # step 1: a normal step
    seen = {}
    original = const.DynamicMasks.grow_scores

    def spy(self):
        seen[id(self)] = [w.grad.clone() for w in self.weights]
        return original(self)

    const.DynamicMasks.grow_scores = spy
    try:
        const.optimizer_step(actor_opt, const.actor_loss_fn(obs, actor, critic), masks=actor_masks)
        expected = torch.autograd.grad(critic_loss(), critic_masks.weights)
        const.optimizer_step(critic_opt, critic_loss(), masks=critic_masks)  # step 2: a mask update
    finally:
        const.DynamicMasks.grow_scores = original
    assert critic_masks.updates == 1
    for g, e in zip(seen[id(critic_masks)], expected):
        assert torch.allclose(g, e)


@pytest.mark.slow
def test_mst_sac_critic_topology_changes_and_actor_mask_does_not(tmp_path):
    path = ROOT / "generated" / "mst_sac.py"
    args = [
        "--env-id",
        "Pendulum-v1",
        "--critic-width",
        "32",
        "--actor-width",
        "16",
        "--learning-starts",
        "100",
        "--critic-topology-every",
        "40",
        "--eval-every",
        "0",
        "--log-every",
        "50",
    ]
    # a run that stops right after learning starts holds the initial masks (no mask update yet)
    r = run_script(
        path, *args, "--total-steps", "101", "--run-dir", str(tmp_path / "first"), cwd=tmp_path
    )
    assert r.returncode == 0, r.stderr[-3000:]
    first = torch.load(tmp_path / "first" / "checkpoint.pt", weights_only=False)
    assert first["critic_masks"]["updates"] == 0
    r = run_script(
        path, *args, "--total-steps", "500", "--run-dir", str(tmp_path / "run"), cwd=tmp_path
    )
    assert r.returncode == 0, r.stderr[-3000:]
    last = torch.load(tmp_path / "run" / "checkpoint.pt", weights_only=False)
    for a, b in zip(first["actor_masks"]["masks"], last["actor_masks"]["masks"]):
        assert torch.equal(a, b)
    assert any(
        not torch.equal(a, b)
        for a, b in zip(first["critic_masks"]["masks"], last["critic_masks"]["masks"])
    )
    # replay ratio 2 from step 100: 802 critic steps, frozen after 75% (601): an update every 40
    assert last["critic_masks"]["updates"] == int(0.75 * 802) // 40
    assert sum(int(m.sum()) for m in first["critic_masks"]["masks"]) == sum(
        int(m.sum()) for m in last["critic_masks"]["masks"]
    )
    with open(tmp_path / "run" / "metrics.csv", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["critic_topology_changed"]]
    assert all(float(r["critic_sparsity"]) == pytest.approx(0.6, abs=1e-3) for r in rows)
    assert sum(float(r["critic_topology_changed"]) > 0 for r in rows) >= 3
    assert "actor_topology_changed" not in rows[0]


def test_importance_scores_follow_eqs_4_to_8(tmp_path):
    m = import_script(_compile(tmp_path, "dst_importance_td3", [], "importance_module"))
    net = nn.Sequential(nn.Linear(2, 3, bias=False), nn.ReLU(), nn.Linear(3, 1, bias=False))
    w1 = torch.tensor([[1.0, -2.0], [0.5, 0.0], [-3.0, 1.0]])
    w2 = torch.tensor([[2.0, -1.0, 0.5]])
    with torch.no_grad():
        net[0].weight.copy_(w1)
        net[2].weight.copy_(w2)
    opt = torch.optim.Adam(net.parameters())
    masks = m.DynamicMasks(net, opt, growth="importance", every=1, drop_fraction=0.1, end_step=10)
    masks.td_term = lambda: torch.tensor(1.0)
    masks.accumulate_importance()
    s_in = 0.5 * (1.0 + w1.abs().sum(0))  # input neurons: outgoing connections (Eq. 5)
    s_hidden = 0.5 * (1.0 + w1.abs().sum(1))  # hidden neurons: incoming connections (Eq. 6)
    s_out = 0.5 * (1.0 + w2.abs().sum(1))  # output neuron (Eq. 4)
    assert torch.allclose(masks.importance_in[0], s_in) and torch.allclose(
        masks.importance_out[0], s_hidden
    )
    assert torch.allclose(masks.importance_out[1], s_out)
    drop = masks.importance_drop_scores()  # Eq. 7
    assert torch.allclose(drop[0], w1.abs() * s_in[None, :]) and torch.allclose(
        drop[1], w2.abs() * s_out[:, None]
    )
    grow = masks.importance_grow_scores()  # Eq. 8
    assert torch.allclose(grow[0], s_hidden[:, None] + s_in[None, :]) and torch.allclose(
        grow[1], s_out[:, None] + s_hidden[None, :]
    )
    masks.accumulate_importance()  # accumulates over updates
    assert torch.allclose(masks.importance_out[1], 2 * s_out)


class _FixedQ(nn.Module):
    """A stand-in critic whose Q-values are given: (E, B) whatever the inputs."""

    def __init__(self, q):
        super().__init__()
        self.q = q

    def forward(self, _obs, _actions):
        return self.q


class _ZeroActor(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("action_scale", torch.ones(1))
        self.register_buffer("action_low", -torch.ones(1))
        self.register_buffer("action_high", torch.ones(1))

    def forward(self, obs):
        return torch.zeros(obs.shape[0], 1)


def test_td_error_term_is_the_per_member_sum_of_absolute_td_errors(tmp_path):
    """Eqs. 3-4 of the topology-adaptation paper: sum_i |r_i + gamma Q'(s'_i, a'_i) - Q_j(s_i, a_i)|
    per member j, with TD3's target (min of the twin targets), on a hand example."""
    m = import_script(_compile(tmp_path, "dst_importance_td3", [], "importance_td"))
    assert m.td_error_term(torch.tensor([[1.0, -2.0, 0.5], [-0.25, 0.0, 3.0]])).tolist() == [
        3.5,
        3.25,
    ]
    assert (
        m.td_error_term(torch.tensor([1.0, -2.0, 0.5])).item() == 3.5
    )  # a single critic: a scalar
    # r = (1, 0, -1), terminated = (0, 0, 1), gamma = 0.5, min of the target members (2, 1, 5):
    # y = (1 + 0.5 * 2, 0 + 0.5 * 1, -1) = (2, 0.5, -1); Q = ((1, 1, 1), (2, 0, -3))
    # delta = Q - y = ((-1, 0.5, 2), (0, -0.5, -2)): sums of |delta| (3.5, 2.5)
    batch = [
        torch.zeros(3, 2),
        torch.zeros(3, 1),
        torch.tensor([1.0, 0.0, -1.0]),
        torch.zeros(3, 2),
        torch.tensor([0.0, 0.0, 1.0]),
    ]
    critic = _FixedQ(torch.tensor([[1.0, 1.0, 1.0], [2.0, 0.0, -3.0]]))
    critic_target = _FixedQ(torch.tensor([[2.0, 4.0, 6.0], [3.0, 1.0, 5.0]]))
    td = m.critic_td_errors_fn(batch, _ZeroActor(), critic, critic_target, 0.5, 0.0, 0.5)
    torch.testing.assert_close(td, torch.tensor([[-1.0, 0.5, 2.0], [0.0, -0.5, -2.0]]))
    torch.testing.assert_close(m.td_error_term(td), torch.tensor([3.5, 2.5]))
    # not the gradient of the batch-mean loss, 2 mean |delta| (B/2 = 1.5 times smaller here)
    assert m.critic_loss_fn(
        batch, _ZeroActor(), critic, critic_target, 0.5, 0.0, 0.5
    ).item() == pytest.approx((1 + 0.25 + 4) / 3 + (0.25 + 4) / 3)
    # the generated importance setup feeds the critic's TD errors, under no_grad
    source = (ROOT / "generated" / "dst_importance_td3.py").read_text()
    assert re.search(
        r"@torch.no_grad\(\)\s+def critic_td_term\(\):[^@]*td_error_term\(\s*critic_td_errors_fn\(",
        source,
    )


# --------------------------------------------------------------------------- issue 11 regressions
MIXED = [
    "networks.actor.sparsity={regime: dst, level: 0.5, topology: {method: set, every: 1, drop_fraction: 0.4, decay: constant}}",
    "networks.critic.sparsity={regime: dst, level: 0.5, topology: {method: rigl, every: 1, drop_fraction: 0.4, decay: linear}}",
]


def test_each_module_follows_its_own_drop_fraction_decay(tmp_path):
    """One script, two decays: each module's mask updates use its own schedule (the template
    used to emit an empty drop_fraction_at that returned None when the decays differed)."""
    m = import_script(_compile(tmp_path, "ddpg_dense", MIXED, "mixed_decays"))
    assert m.constant_drop_fraction(700, 0.4, 1000) == 0.4
    assert m.linear_drop_fraction(250, 0.4, 1000) == pytest.approx(0.3)
    assert m.linear_drop_fraction(1500, 0.4, 1000) == 0.0
    torch.manual_seed(0)
    nets = {d: nn.Sequential(nn.Linear(8, 20, bias=False)) for d in ("constant", "linear")}
    changed = {}
    for decay, net in nets.items():
        opt = torch.optim.Adam(net.parameters(), lr=1e-3)
        schedule = getattr(m, f"{decay}_drop_fraction")
        masks = m.DynamicMasks(
            net, opt, growth="rigl", drop_schedule=schedule, every=5, drop_fraction=0.4, end_step=20
        )
        masks.prune(m.random_scores(masks), [80])
        masks.apply()
        for _ in range(10):  # a mask update at step 5 and at step 10
            loss = net(torch.randn(16, 8)).pow(2).mean()
            m.optimizer_step(opt, loss, masks=masks)
        # at step 10 of 20: 80 active, floor(f * 80) replaced (dropped and regrown)
        changed[decay] = masks.changed * 80
    assert changed["constant"] <= math.floor(0.4 * 80) and changed["linear"] <= math.floor(0.2 * 80)
    assert changed["constant"] > changed["linear"] > 0


@pytest.mark.parametrize("regime", ["d2s", "s2d"])
def test_scheduled_regimes_with_one_global_threshold(tmp_path, regime):
    """d2s/s2d with distribution: global: the module's count follows the schedule with one
    global ranking (DynamicMasks.set_reference used to iterate over the global count)."""
    spec = f"{regime}_sac"
    m = import_script(
        _compile(
            tmp_path, spec, ["networks.critic.sparsity.distribution=global"], f"{regime}_global"
        )
    )
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 2))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    masks = m.DynamicMasks(net, opt, growth="rigl", every=10, drop_fraction=0.3, end_step=80)
    total = sum(w.numel() for w in masks.weights)
    if regime == "s2d":
        keep = m.global_count(masks.shapes(), 0.6, masks.dense)
        assert keep == total - math.floor(0.6 * total)
        masks.prune(m.random_scores(masks), keep)
        masks.apply()
        masks.schedule = (0.6, 0.0, 20, 80, 2.0)
    else:
        masks.schedule = (0.0, 0.6, 20, 80, 2.0)
    assert not hasattr(masks, "reference") or masks.reference is None
    for step in range(1, 101):
        loss = net(torch.randn(16, 8)).pow(2).mean()
        m.optimizer_step(opt, loss, masks=masks)
        if step % 10 == 0 and step <= 80:
            level = m.scheduled_sparsity(step, *masks.schedule)
            assert sum(int(x.sum()) for x in masks.masks) == total - math.floor(
                level * total + 1e-6
            ), step
    final = [int(x.sum()) for x in masks.masks]
    if regime == "d2s":
        assert sum(final) == total - math.floor(0.6 * total)
        densities = [a / w.numel() for a, w in zip(final, masks.weights)]
        assert (
            max(densities) - min(densities) > 0.05
        ), "one global ranking, not a per-layer allocation"
    else:
        assert sum(final) == total
