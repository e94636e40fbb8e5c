"""Static sparsity in generated scripts, against the oracles of
../shared/reference/sparse_methods.md section 13 (allocation, rounding, SynFlow, TAR budgets)
and the TAR paper's Algorithm 1. The functions are imported from compiled scripts."""

import json
import math

import pytest
import torch
import torch.nn as nn

from conftest import ROOT
from generated_utils import import_script, run_main, run_script

from specc.compiler import compile_one

MLP = [[256, 17], [256, 256], [6, 256]]  # 17 -> 256 -> 256 -> 6, shapes [out, in]

# Two scripts that between them contain every allocation, criterion and revival method.
SCRIPTS = {
    "a": (
        "td3_dense",
        [
            "networks.actor.sparsity={regime: sst, level: 0.8, distribution: uniform, criterion: random, revival: {method: uniform, ratio: 0.05}}",
            "networks.critic.sparsity={regime: sst, level: 0.8, distribution: er, criterion: synflow, revival: {method: tar, ratio: 0.05}}",
        ],
    ),
    "b": (
        "td3_dense",
        [
            "networks.actor.sparsity={regime: sst, level: 0.8, distribution: global, criterion: magnitude, revival: {method: tar, ratio: 0.01}}",
            "networks.critic.sparsity={regime: sst, level: 0.8, distribution: global, criterion: snip, prune_at: 30000}",
        ],
    ),
}


def _compile(tmp_path, spec, overrides, name):
    c = compile_one(str(ROOT / "specs" / f"{spec}.yaml"), overrides)
    path = tmp_path / f"{name}.py"
    path.write_text(c.source)
    return path


@pytest.fixture(scope="module")
def scripts(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("sparse")
    return {
        k: import_script(_compile(tmp, spec, ov, f"sparse_{k}"))
        for k, (spec, ov) in SCRIPTS.items()
    }


@pytest.fixture(scope="module")
def a(scripts):
    return scripts["a"]


@pytest.fixture(scope="module")
def b(scripts):
    return scripts["b"]


# --------------------------------------------------------------------------- allocation (13.1, 13.6)
def test_uniform_counts_follow_rigl_floor_convention(a):
    keep = a.uniform_counts(MLP, 0.8, [False] * 3)
    assert keep == [871, 13108, 308]
    assert 1 - sum(keep) / 71424 == pytest.approx(0.799969, abs=1e-6)
    assert a.uniform_counts([[3, 7]], 0.8, [False]) == [5]  # N = 21: floor(16.8) = 16 pruned (13.6)


def test_uniform_counts_keep_dense_layers_inside_the_budget(a):
    keep = a.uniform_counts(MLP, 0.8, [True, False, False])
    assert keep[0] == 4352
    pruned = sum(o * i for o, i in MLP) - sum(keep)
    assert pruned == pytest.approx(
        3481 + 52428 + 1228, abs=2
    )  # the same zeros as without the dense layer
    with pytest.raises(SystemExit):
        a.uniform_counts(
            [[10, 10], [10, 10]], 0.6, [True, False]
        )  # 120 zeros cannot fit in 100 weights


@pytest.mark.parametrize(
    "shapes, level, expected",
    [
        (MLP, 0.8, [4352, 8399, 1536]),  # fc1 and fc3 capped to dense, eps 16.404297
        (MLP, 0.9, [1951, 3658, 1536]),
        ([[256, 64], [256, 256], [6, 256]], 0.95, [1221, 1954, 1000]),  # no cap
        ([[256, 23], [256, 256], [1, 256]], 0.9, [2439, 4475, 256]),  # a critic head
        ([[512, 4], [512, 512], [2, 512]], 0.9, [2048, 23451, 1024]),  # DQN CartPole
    ],
)
def test_er_counts_match_the_rigl_oracle(a, shapes, level, expected):
    assert a.er_counts(shapes, level, [False] * len(shapes)) == expected


def test_er_counts_per_ensemble_member_equal_the_single_network(a):
    single = a.er_counts(MLP, 0.8, [False] * 3)
    twin = a.er_counts([s for s in MLP for _ in range(2)], 0.8, [False] * 6)
    assert twin == [c for c in single for _ in range(2)]


def test_global_count_is_the_module_budget(b):
    assert b.global_count(MLP, 0.8, [False] * 3) == 71424 - math.floor(0.8 * 71424)
    assert b.global_count(MLP, 0.8, [False, False, True]) == 71424 - math.floor(0.8 * 71424) - 1536


def test_global_prune_uses_one_threshold(b):
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(20, 30), nn.ReLU(), nn.Linear(30, 10))
    with torch.no_grad():
        net[2].weight.mul_(3.0)  # a layer of larger weights keeps more of them
    masks = b.Masks(net)
    keep = b.global_count(masks.shapes(), 0.8, masks.dense)
    masks.prune(b.magnitude_scores(masks), keep)
    kept = torch.cat([w.abs()[m == 1] for w, m in zip(masks.weights, masks.masks)])
    dropped = torch.cat([w.abs()[m == 0] for w, m in zip(masks.weights, masks.masks)])
    assert int(sum(m.sum() for m in masks.masks)) == keep
    assert kept.min() >= dropped.max()
    assert masks.masks[1].mean() > masks.masks[0].mean()


# --------------------------------------------------------------------------- SynFlow (13.4)
def test_synflow_hand_example(a):
    net = nn.Sequential(nn.Linear(2, 3, bias=False), nn.ReLU(), nn.Linear(3, 1, bias=False))
    with torch.no_grad():
        net[0].weight.copy_(torch.tensor([[1.0, -2.0], [0.5, 0.0], [-3.0, 1.0]]))
        net[2].weight.copy_(torch.tensor([[2.0, -1.0, 0.5]]))
    masks = a.Masks(net)
    synflow = a.SynFlow(net, outputs=("2",))
    scores = synflow.scores(masks, (2,))
    assert synflow.R == pytest.approx(8.5)
    assert torch.allclose(
        scores[0], torch.tensor([[2.0, 4.0], [0.5, 0.0], [1.5, 0.5]], dtype=torch.float64)
    )
    assert torch.allclose(scores[1], torch.tensor([[6.0, 0.5, 2.0]], dtype=torch.float64))
    assert all(float(s.sum()) == pytest.approx(8.5) for s in scores)  # conservation per layer
    assert net[0].weight[0, 1].item() == -2.0  # the network itself is untouched


def test_synflow_exponential_schedule_over_100_rounds(a, monkeypatch):
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(500, 200, bias=False), nn.ReLU(), nn.Linear(200, 1, bias=False))
    masks = a.Masks(net, dense_layers=("2",))
    n = 500 * 200
    rounds = []
    original = a.Masks.prune
    monkeypatch.setattr(
        a.Masks,
        "prune",
        lambda self, scores, keep: (rounds.append(keep), original(self, scores, keep))[1],
    )
    a.synflow_prune(masks, net, (500,), [int(0.2 * n), 200], outputs=("2",))
    assert len(rounds) == 100
    density = {k: rounds[k - 1][0] / n for k in (1, 2, 10, 50, 100)}
    expected = {1: 0.984034, 2: 0.968324, 10: 0.851340, 50: 0.447214, 100: 0.2}
    for k, d in expected.items():
        assert density[k] == pytest.approx(d, abs=2e-5), k
    assert int(masks.masks[0].sum()) == 0.2 * n and int(masks.masks[1].sum()) == 200
    monotone = [r[0] for r in rounds]
    assert monotone == sorted(monotone, reverse=True)


def test_synflow_treats_normalization_as_identity(tmp_path):
    path = _compile(
        tmp_path,
        "sac_dense",
        [
            "networks.critic={layer_norm: true, sparsity: {regime: sst, level: 0.5, criterion: synflow}}",
            "networks.actor={arch: block, type: 6, width: 8, depth: 1, sparsity: {regime: sst, level: 0.5, criterion: synflow}}",
        ],
        "synflow_norms",
    )
    m = import_script(path)
    critic = m.Critic(3, 1, 4, 1)
    synflow = m.SynFlow(critic, outputs=("q.out",))
    scores = synflow.scores(m.Masks(critic), (3, 1))
    # without the LayerNorm, R = sum over members of |W2| (|W1| 1 + |b1|) + |b2|
    w1, b1 = (
        critic.q.hidden[0].weight.detach().double().abs(),
        critic.q.hidden[0].bias.detach().double().abs(),
    )
    w2, b2 = critic.q.out.weight.detach().double().abs(), critic.q.out.bias.detach().double().abs()
    h = w1.sum(1, keepdim=True) + b1  # (E, 1, 4)
    assert synflow.R == pytest.approx(float((torch.baddbmm(b2, h, w2)).sum()))
    assert len(scores) == 4
    actor = m.Actor(3, 1, 8, 1, [-1.0], [1.0])
    m.SynFlow(actor, outputs=("fc_mean", "fc_logstd")).scores(m.Masks(actor), (3,))
    assert actor.trunk.layer_norm  # scoring works on a copy


# --------------------------------------------------------------------------- TAR (13.7, Algorithm 1)
@pytest.mark.parametrize(
    "fan_in, fan_out, active, ratio, g, r",
    [
        (256, 256, 8399, 0.05, 0, 2856),  # ERK@0.8 fc2
        (256, 256, 8399, 0.1, 0, 5713),
        (17, 256, 871, 0.05, 0, 174),  # uniform@0.8 fc1
        (17, 256, 871, 0.1, 0, 348),
        (256, 256, 13108, 0.05, 0, 2621),
        (256, 6, 308, 0.05, 422, 422),  # uniform@0.8 fc3: G = ceil(421.453)
        (256, 6, 308, 0.1, 422, 422),
        (17, 256, 218, 0.05, 548, 548),  # uniform@0.95
        (256, 256, 3277, 0.1, 0, 6225),
        (256, 6, 77, 0.05, 653, 653),
        (256, 1, 100, 0.01, 614, 156),  # R = min(D, ...): the layer becomes dense
    ],
)
def test_tar_budget(a, fan_in, fan_out, active, ratio, g, r):
    terms = a.tar_budget(fan_in, fan_out, active, ratio)
    n = fan_in + fan_out
    assert terms["E_topo"] == pytest.approx(n * math.log(n) / 2)
    assert terms["G"] == g and terms["R"] == r
    assert terms["Q"] == math.floor(ratio * (fan_in * fan_out - active))


def test_uniform_budget_is_the_same_reserve_without_the_floor(a):
    assert a.uniform_budget(256, 6, 308, 0.05) == {"Q": 61, "R": 61}


def test_revival_restores_pruned_weights_with_their_values(a):
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(17, 256), nn.ReLU(), nn.Linear(256, 6))
    before = [l.weight.detach().clone() for l in (net[0], net[2])]
    masks = a.Masks(net)
    masks.prune(a.random_scores(masks), a.uniform_counts(masks.shapes(), 0.95, masks.dense))
    pruned_mask = [m.clone() for m in masks.masks]
    masks.revive(0.05, a.tar_budget)
    assert masks.revived == [548, 653]
    for old, new in zip(pruned_mask, masks.masks):
        assert bool((new >= old).all())  # only additions
    assert [int(m.sum()) for m in masks.masks] == [218 + 548, 77 + 653]
    masks.apply()
    for layer, w0, m in zip((net[0], net[2]), before, masks.masks):
        assert torch.equal(layer.weight[m == 1], w0[m == 1]) and bool(
            (layer.weight[m == 0] == 0).all()
        )


# --------------------------------------------------------------------------- masks hold
@pytest.mark.slow
@pytest.mark.parametrize("optimizer", ["adam", "adamw"])
def test_masks_hold_for_1000_updates(tmp_path, optimizer):
    overrides = list(SCRIPTS["a"][1])
    if optimizer == "adamw":
        overrides += ["train.optimizer=adamw", "train.weight_decay=0.01"]
    path = _compile(tmp_path, "td3_dense", overrides, f"hold_{optimizer}")
    args = [
        "--env-id",
        "Pendulum-v1",
        "--actor-width",
        "64",
        "--critic-width",
        "64",
        "--eval-every",
        "0",
        "--log-every",
        "500",
    ]
    r = run_script(path, "--dry-run", "--json", *args, cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]
    planned = json.loads(r.stdout)["modules"]
    r = run_script(
        path,
        *args,
        "--total-steps",
        "1100",
        "--learning-starts",
        "101",
        "--policy-delay",
        "1",
        "--run-dir",
        str(tmp_path / "run"),
        cwd=tmp_path,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    ckpt = torch.load(tmp_path / "run" / "checkpoint.pt", weights_only=False)
    assert ckpt["num_updates"] == 1000
    for module in ("actor", "critic"):
        masks = ckpt[f"{module}_masks"]["masks"]
        assert sum(int(m.sum()) for m in masks) == planned[module]["active"]
        names = [
            k
            for k in ckpt[module]
            if k.endswith("weight") and ckpt[module][k].dim() >= 2 and "norm" not in k
        ]
        assert len(names) == len(masks)
        for state in (ckpt[module], ckpt[f"{module}_target"]):
            for name, m in zip(names, masks):
                w = state[name]
                assert bool((w[m == 0] == 0).all()), (module, name)
                assert bool((w[m == 1] != 0).any())
    metrics = (tmp_path / "run" / "metrics.csv").read_text().splitlines()
    header = metrics[0].split(",")
    last = dict(zip(header, metrics[-1].split(",")))
    assert float(last["critic_sparsity"]) == pytest.approx(
        1 - planned["critic"]["active"] / planned["critic"]["total"]
    )


def test_optimizer_step_keeps_pruned_gradients_and_moments_zero(a):
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    masks = a.Masks(net)
    masks.prune(a.random_scores(masks), a.uniform_counts(masks.shapes(), 0.5, masks.dense))
    masks.apply()
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    for _ in range(5):
        loss = net(torch.randn(8, 4)).pow(2).sum()
        a.optimizer_step(opt, loss, masks=masks)
    for w, m in zip(masks.weights, masks.masks):
        assert bool((w[m == 0] == 0).all())
        assert bool((opt.state[w]["exp_avg"][m == 0] == 0).all()) and bool(
            (opt.state[w]["exp_avg_sq"][m == 0] == 0).all()
        )


# --------------------------------------------------------------------------- realised sparsity
def _budget(fan_in, fan_out, k, ratio, method):
    d = fan_in * fan_out - k
    q = math.floor(ratio * d + 1e-6)
    if method == "uniform":
        return q
    n = fan_in + fan_out
    return min(d, max(max(math.ceil(n * math.log(n) / 2 - k), 0), q))


@pytest.mark.slow
@pytest.mark.parametrize(
    "criterion, distribution",
    [("random", "erk"), ("magnitude", "global"), ("synflow", "global"), ("snip", "uniform")],
)
@pytest.mark.parametrize("method", ["tar", "uniform"])
def test_realised_sparsity_after_revival(tmp_path, monkeypatch, criterion, distribution, method):
    """Level 0.7, rr 0.01 on Humanoid-v5 256-wide MLPs: every layer revives what Algorithm 1
    gives for its counts, and the module ends near 0.7 (1 - 0.01) = 0.693."""
    prune_at = ", prune_at: 25000" if criterion == "snip" else ""
    sp = f"{{regime: sst, level: 0.7, distribution: {distribution}, criterion: {criterion}{prune_at}, revival: {{method: {method}, ratio: 0.01}}}}"
    path = _compile(
        tmp_path,
        "tar_td3_dense",
        [f"networks.actor.sparsity={sp}", f"networks.critic.sparsity={sp}"],
        f"tar_{criterion}_{method}",
    )
    monkeypatch.chdir(tmp_path)
    out = run_main(
        import_script(path), ["--dry-run", "--json", "--batch-size", "64", "--threads", "1"]
    )
    modules = json.loads(out)["modules"]
    for module, info in modules.items():
        assert info["regime"] == "sst" and info["level"] == 0.7
        for layer in info["layers"]:
            out_f, in_f = layer["shape"]
            k = layer["active"] - layer["revived"]
            assert layer["revived"] == _budget(in_f, out_f, k, 0.01, method), (module, layer)
        sparsity = 1 - info["active"] / info["total"]
        pruned_before = sum(
            l["shape"][0] * l["shape"][1] - l["active"] + l["revived"] for l in info["layers"]
        )
        assert pruned_before == math.floor(0.7 * info["total"]) or distribution != "global"
        assert 0.690 <= sparsity <= 0.6935, (module, sparsity)
