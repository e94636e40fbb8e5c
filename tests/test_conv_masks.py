"""Sparsity on the conv encoder of pixel agents: masks over convolution kernels (out, in, kh,
kw), the allocations on kernels (RigL's ER reads a kernel's channels, ERK all its dimensions:
../shared/reference/sparse_methods.md section 2.2), TAR's fans of a kernel, SynFlow through the
encoder's pixel scaling, pruned weights kept zero through updates, and the MaskGroup that lets
DrQ-v2's critic and encoder, stepped by one Adam, keep their own topology schedules. Expected
counts are worked out by hand in the tests; the functions come from compiled scripts."""

import csv
import math
import os
import subprocess
import sys

import pytest
import torch

from conftest import ROOT
from generated_utils import import_script

from specc.compiler import compile_one

KERNELS = [[32, 9, 3, 3], [32, 32, 3, 3], [32, 32, 3, 3], [32, 32, 3, 3]]  # DrQ-v2's encoder
SIZES = [2592, 9216, 9216, 9216]

# drqv2 variants that between them generate every allocation, criterion and revival on kernels,
# and a dynamic encoder beside a dynamic critic (one optimizer: a MaskGroup)
VARIANTS = {
    "erk_tar": [
        "networks.encoder.sparsity={regime: sst, level: 0.8, distribution: erk, criterion: random, revival: {method: tar, ratio: 0.05}}",
    ],
    "er_synflow": [
        "networks.encoder.sparsity={regime: sst, level: 0.8, distribution: er, criterion: synflow}",
    ],
    "uniform_magnitude": [
        "networks.encoder.sparsity={regime: sst, level: 0.8, distribution: uniform, criterion: magnitude, revival: {method: uniform, ratio: 0.1}}",
    ],
    "rigl_pair": [
        "networks.encoder.sparsity={regime: dst, level: 0.5, distribution: erk, topology: {method: rigl, every: 2}}",
        "networks.critic.sparsity={regime: dst, level: 0.6, topology: {method: rigl, every: 3}}",
    ],
}


@pytest.fixture(scope="module")
def scripts(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("conv_masks")
    out = {}
    for name, overrides in VARIANTS.items():
        c = compile_one(str(ROOT / "specs" / "drqv2.yaml"), overrides)
        path = tmp / f"conv_{name}.py"
        path.write_text(c.source)
        out[name] = import_script(path)
    return out


def encoder(m, image=84, width=32, seed=0):
    torch.manual_seed(seed)
    return m.ConvEncoder((9, image, image), width, 4)


def test_masks_cover_the_kernels_only(scripts):
    m = scripts["erk_tar"]
    masks = m.Masks(encoder(m))
    assert [name for name, _, _ in masks.layers] == ["convs.0", "convs.1", "convs.2", "convs.3"]
    assert masks.shapes() == KERNELS
    assert [mask.numel() for mask in masks.masks] == SIZES  # biases are never masked


def test_erk_allocation_on_kernels(scripts):
    """RigL's ERK: raw score (c_out + c_in + kh + kw) / (c_out c_in kh kw), 47/2592 for the first
    kernel and 70/9216 for the others. Level 0.8 prunes floor(0.8 n) per layer: 2073 + 3 x 7372 =
    24189 of 30240; eps = 6051 / (47 + 3 x 70) = 23.545 (no layer above density 1); densities
    0.4269 and 0.1788 keep 2592 - floor(0.5731 x 2592) = 1107 and 9216 - floor(0.8212 x 9216) =
    1649. At level 0.5 the first kernel would exceed density 1 (eps 58.8 x 47/2592 = 1.07): it is
    dense, its 1296 would-be pruned weights stay in the budget, and the others keep
    (3 x 4608 - 1296) / 3 = 4176 each."""
    m = scripts["erk_tar"]
    no_dense = [False] * 4
    assert m.erk_counts(KERNELS, 0.8, no_dense) == [1107, 1649, 1649, 1649]
    assert m.erk_counts(KERNELS, 0.5, no_dense) == [2592, 4176, 4176, 4176]
    # on Linear layers ERK is ER: (n_in + n_out) / (n_in n_out)
    mlp = [[256, 17], [256, 256], [6, 256]]
    assert m.erk_counts(mlp, 0.8, [False] * 3) == scripts["er_synflow"].er_counts(
        mlp, 0.8, [False] * 3
    )


def test_er_allocation_reads_a_kernels_channels(scripts):
    """RigL's ER (no kernel terms) scores a kernel by its channels: (32 + 9) / (32 x 9) = 41/288 and
    64/1024. Budget 6051 over 41/288 x 2592 + 3 x 64/1024 x 9216 = 369 + 1728: eps = 2.8856,
    densities 0.4108 and 0.1803 keep 1065 and 1663."""
    m = scripts["er_synflow"]
    assert m.er_counts(KERNELS, 0.8, [False] * 4) == [1065, 1663, 1663, 1663]


def test_uniform_and_global_on_kernels(scripts):
    m = scripts["uniform_magnitude"]
    assert m.uniform_counts(KERNELS, 0.8, [False] * 4) == [2592 - 2073] + [9216 - 7372] * 3


def test_tar_fans_of_a_kernel(scripts):
    """TAR's graph of a kernel: fan-in c_in kh kw inputs, fan-out c_out outputs (their product is
    the kernel's weight count): N = 81 + 32 = 113 for the first kernel, E_topo = N ln N / 2."""
    m = scripts["erk_tar"]
    masks = m.Masks(encoder(m))
    keep = m.erk_counts(masks.shapes(), 0.8, masks.dense)
    masks.prune(m.random_scores(masks), keep)
    masks.revive(0.05, m.tar_budget)
    first, other = masks.budgets[0], masks.budgets[1]
    assert first["E_topo"] == pytest.approx(113 * math.log(113) / 2)
    assert other["E_topo"] == pytest.approx(320 * math.log(320) / 2)
    pruned = 2592 - 1107
    assert first["Q"] == math.floor(0.05 * pruned)
    assert first["G"] == max(math.ceil(first["E_topo"] - 1107), 0)
    assert first["R"] == min(pruned, max(first["G"], first["Q"]))
    active = [int(x.sum()) for x in masks.masks]
    assert active == [k + r for k, r in zip(keep, masks.revived)]


def test_synflow_scores_through_the_pixel_scaling(scripts):
    """SynFlow's all-ones input reaches the first convolution as ones (frames of 382.5 through
    x / 255 - 0.5); with no output layer its R sums the encoder's features; pruning keeps the
    exact per-layer counts."""
    m = scripts["er_synflow"]
    net = encoder(m, image=32)
    seen = []
    synflow = m.SynFlow(net, ())
    synflow.scorer.convs[0].register_forward_pre_hook(lambda _m, args: seen.append(args[0]))
    masks = m.Masks(net)
    scores = synflow.scores(masks, [(9, 32, 32)])
    assert torch.equal(seen[0], torch.ones_like(seen[0]))
    # R by hand: the features of the |w|, |b| network on ones
    with torch.no_grad():
        x = torch.ones(1, 9, 32, 32, dtype=torch.float64)
        for conv in net.convs:
            x = torch.conv2d(
                x, conv.weight.double().abs(), conv.bias.double().abs(), stride=conv.stride
            )
    assert synflow.R == pytest.approx(float(x.sum()), rel=1e-9)
    assert all((s >= 0).all() and s.sum() > 0 for s in scores)
    keep = m.er_counts(masks.shapes(), 0.8, masks.dense)
    m.synflow_prune(masks, net, [(9, 32, 32)], keep, outputs=(), rounds=10)
    assert [int(x.sum()) for x in masks.masks] == keep


def _critic_step(m, net, opt, masks, steps=6, seed=0):
    """`steps` optimizer_steps of a loss on random frames through the encoder's features."""
    gen = torch.Generator().manual_seed(seed)
    for _ in range(steps):
        obs = torch.randint(0, 256, (4, 9, 32, 32), generator=gen).float()
        loss = (net(obs) ** 2).mean()
        m.optimizer_step(opt, loss, masks=masks)


def test_pruned_kernel_weights_stay_zero_through_updates(scripts):
    """A static mask: pruned weights get no gradient and no Adam moments, and stay exactly
    zero through steps (weights re-masked after each)."""
    m = scripts["uniform_magnitude"]
    net = encoder(m, image=32)
    opt = torch.optim.Adam(net.parameters(), lr=1e-2, weight_decay=0.1)
    masks = m.Masks(net)
    masks.prune(m.magnitude_scores(masks), m.uniform_counts(masks.shapes(), 0.8, masks.dense))
    masks.apply()
    before = [w.detach().clone() for w in masks.weights]
    _critic_step(m, net, opt, masks)
    for w, mask, w0 in zip(masks.weights, masks.masks, before):
        assert (w[mask == 0] == 0).all()
        assert not torch.equal(w[mask == 1], w0[mask == 1])  # the kept weights trained
        assert (opt.state[w]["exp_avg"][mask == 0] == 0).all()
        assert (opt.state[w]["exp_avg_sq"][mask == 0] == 0).all()
    assert masks.sparsity() == pytest.approx(1 - sum(x.sum() for x in masks.masks) / sum(SIZES))


def test_mask_group_keeps_each_members_schedule(scripts):
    """DrQ-v2's encoder and critic share one Adam. With the encoder's topology every 2 steps and
    the critic's every 3: at step 2 the encoder's mask update replaces its step (its biases do not
    move) while the critic steps; at step 3 the other way round; at step 6 both update their
    masks and nothing steps. Counts are kept (dst) and pruned weights are zero throughout."""
    m = scripts["rigl_pair"]
    torch.manual_seed(0)
    enc = encoder(m, image=32)
    head = torch.nn.Sequential(
        torch.nn.Linear(enc.repr_dim, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1)
    )
    opt = torch.optim.Adam(
        [{"params": list(head.parameters())}, {"params": list(enc.parameters())}], lr=1e-3
    )
    kw = dict(growth="rigl", drop_schedule=m.cosine_drop_fraction, drop_fraction=0.3, end_step=100)
    enc_masks = m.DynamicMasks(enc, opt, every=2, **kw)
    head_masks = m.DynamicMasks(head, opt, every=3, **kw)
    for masks, level in ((enc_masks, 0.5), (head_masks, 0.6)):
        keep = m.erk_counts(masks.shapes(), level, masks.dense)
        masks.prune(m.random_scores(masks), keep)
        masks.apply()
    group = m.MaskGroup(enc_masks, head_masks)
    counts = [[int(x.sum()) for x in ms.masks] for ms in (enc_masks, head_masks)]
    gen = torch.Generator().manual_seed(1)
    moved = []
    for step in range(1, 7):
        obs = torch.randint(0, 256, (8, 9, 32, 32), generator=gen).float()
        biases = [enc.convs[0].bias.detach().clone(), head[0].bias.detach().clone()]
        m.optimizer_step(opt, head(enc(obs)).pow(2).mean(), masks=group)
        moved.append(
            [
                not torch.equal(enc.convs[0].bias, biases[0]),
                not torch.equal(head[0].bias, biases[1]),
            ]
        )
        assert [[int(x.sum()) for x in ms.masks] for ms in (enc_masks, head_masks)] == counts
        if step in (2, 3):
            assert (enc_masks if step == 2 else head_masks).changed > 0
        for ms in (enc_masks, head_masks):
            for w, mask in zip(ms.weights, ms.masks):
                assert (w[mask == 0] == 0).all()
    assert moved == [
        [True, True],
        [False, True],  # the encoder's mask update
        [True, False],  # the critic's
        [False, True],
        [True, True],
        [False, False],  # both: the step is skipped
    ]
    assert enc_masks.updates == 3 and head_masks.updates == 2


@pytest.mark.slow
def test_sparse_encoder_run_keeps_masks(scripts, tmp_path):
    """A short pixel run of the RigL encoder + critic script (cartpole-swingup at 32 x 32): the
    checkpoint's weights are zero off their masks (online and target critic), both modules
    logged topology changes, and the dry-run lists the kernels."""
    path = scripts["rigl_pair"].__file__
    run_dir = tmp_path / "run"
    flags = [
        *("--env-id", "cartpole-swingup", "--image-size", "32", "--batch-size", "16"),
        *("--critic-width", "32", "--actor-width", "32", "--total-steps", "200"),
        *("--learning-starts", "100", "--eval-every", "200", "--eval-episodes", "1"),
        *("--log-every", "100", "--run-dir", str(run_dir), "--threads", "1"),
        *("--encoder-topology-every", "2", "--critic-topology-every", "3"),
        # (the drop fraction decays to 0 at the end: the last updates here are mid-schedule)
        *("--encoder-topology-end", "0.5", "--critic-topology-end", "0.5"),
    ]
    env = {k: v for k, v in os.environ.items() if k != "MUJOCO_GL"}
    r = subprocess.run(
        [sys.executable, path, *flags], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert r.returncode == 0, r.stderr[-3000:]
    state = torch.load(run_dir / "checkpoint.pt", weights_only=False)
    for module in ("encoder", "critic"):
        masks = state[f"{module}_masks"]["masks"]
        weights = [v for k, v in state[module].items() if k.endswith("weight") and v.dim() >= 2]
        for w, mask in zip(weights, masks):
            assert w.shape == mask.shape
            assert (w[mask == 0] == 0).all()
    with open(run_dir / "metrics.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert float(rows[-1]["encoder_topology_changed"]) > 0
    assert float(rows[-1]["critic_topology_changed"]) > 0
