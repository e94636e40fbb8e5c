"""The diagnostics functions of the generated scripts (dormant_ratio, fau, srank, grad_norm,
param_norm, grad_interference) and the networks' activations() against values computed by hand
on small constructed layers, feature matrices, networks and batches (issue 6)."""

import copy
import math

import pytest

torch = pytest.importorskip("torch")

from conftest import GENERATED, ROOT
from generated_utils import import_script

from specc.compiler import compile_one

torch.set_num_threads(1)

# every metric, sparse modules (masks), SimBa networks with a twin-critic ensemble
SPARSE = import_script(GENERATED / "diag_sac_wide_sparse.py")

# spec, overrides: compiled once per session into a temporary folder
VARIANTS = {
    # MLP with and without LayerNorm (the critic asks for it, so the class has both paths), twin critic
    "sac_mlp": ("sac_dense", ["diagnostics={every: 100}", "networks.critic.layer_norm=true"]),
    # BlockMLP with a twin critic ensemble
    "td3_block": ("td3_block6", ["diagnostics={every: 100}"]),
    # deterministic losses (no noise in DDPG's), a sparse actor and a dense single critic
    "ddpg_sparse_actor": (
        "ddpg_dense",
        ["diagnostics={every: 100}", "networks.actor.sparsity={regime: sst, level: 0.5}"],
    ),
    # SimBa scored on its post-ReLU activations (the default on simba is Ma et al.'s dense_outputs)
    "simba_activations": ("diag_sac_wide_sparse", ["diagnostics.dormant_layers=activations"]),
    # fau alone: it counts the post-activation outputs that activations() returns first
    "mlp_fau": ("sac_dense", ["diagnostics={every: 100, metrics: [fau]}"]),
    # fau beside dormant_ratio on dense outputs (simba's default; block's by choice):
    # activations() returns the post-activation outputs third
    "simba_fau": (
        "diag_sac_wide_sparse",
        ["diagnostics={every: 100, metrics: [dormant_ratio, fau]}"],
    ),
    "block_fau": (
        "td3_block6",
        ["diagnostics={every: 100, metrics: [dormant_ratio, fau], dormant_layers: dense_outputs}"],
    ),
    # MLP scored on its Linear outputs before LayerNorm and activation
    "mlp_dense_outputs": (
        "sac_dense",
        [
            "diagnostics={every: 100, dormant_layers: dense_outputs}",
            "networks.critic.layer_norm=true",
        ],
    ),
}


@pytest.fixture(scope="module")
def scripts(tmp_path_factory):
    out = {}
    for name, (spec, overrides) in VARIANTS.items():
        c = compile_one(str(ROOT / "specs" / f"{spec}.yaml"), overrides)
        folder = tmp_path_factory.mktemp(name)
        path = folder / c.filename
        path.write_text(c.source)
        out[name] = import_script(path)
    return out


# --- dormant_ratio --------------------------------------------------------------------------


def _layer(columns, batch=4):
    """A (batch, H) activation whose column i alternates +-columns[i] (so mean |h_i| = columns[i]
    while the plain mean of a column is 0)."""
    signs = torch.tensor([1.0, -1.0] * (batch // 2)).unsqueeze(1)
    return signs * torch.tensor(columns).unsqueeze(0)


def test_dormant_ratio_counts_dead_and_low_score_units():
    # mean |h| per unit [0, 0.05, 1, 1, 1]; the layer's mean 0.61; scores [0, 0.082, 1.64, 1.64, 1.64]
    h = _layer([0.0, 0.05, 1.0, 1.0, 1.0])
    assert SPARSE.dormant_ratio([h], 0.1) == pytest.approx(2 / 5)
    assert SPARSE.dormant_ratio([h], 0.05) == pytest.approx(1 / 5)  # only the dead unit
    assert SPARSE.dormant_ratio([h], 0.9) == pytest.approx(2 / 5)
    assert isinstance(SPARSE.dormant_ratio([h], 0.1), float)
    # a unit with mean |h| 0.08 in a layer whose mean score is 1.0: score 0.08
    h = _layer([0.08, 1.0, 1.0, 1.92])
    assert h.abs().mean(0).mean().item() == pytest.approx(1.0)
    assert SPARSE.dormant_ratio([h], 0.079) == 0.0
    assert SPARSE.dormant_ratio([h], 0.081) == pytest.approx(1 / 4)


def test_dormant_ratio_all_dead_layer_is_fully_dormant_and_scale_does_not_matter():
    assert SPARSE.dormant_ratio([torch.zeros(8, 6)], 0.1) == 1.0
    h = _layer([0.0, 0.05, 1.0, 1.0, 1.0])
    assert SPARSE.dormant_ratio([1000.0 * h], 0.1) == SPARSE.dormant_ratio([h], 0.1)
    assert SPARSE.dormant_ratio([torch.ones(8, 6)], 0.1) == 0.0


def test_dormant_ratio_of_several_layers_is_neuron_weighted():
    a = _layer([0.0, 1.0, 1.0, 1.0])  # 1 of 4 dormant
    b = _layer([0.0, 0.0, 0.0, 1.0, 1.0, 1.0])  # 3 of 6 dormant
    assert SPARSE.dormant_ratio([a, b], 0.1) == pytest.approx(4 / 10)  # not (1/4 + 3/6) / 2
    assert SPARSE.dormant_ratio([b, a], 0.1) == pytest.approx(4 / 10)


def test_dormant_ratio_of_an_ensemble_layer_scores_each_member_on_its_own():
    member0 = _layer([100.0, 100.0, 100.0, 0.0])  # 1 dormant unit
    member1 = _layer([1.0, 1.0, 1.0, 1.0])  # none, but all of them next to member 0's scale
    h = torch.stack([member0, member1])  # (E, B, H)
    assert SPARSE.dormant_ratio([h], 0.1) == pytest.approx(1 / 8)  # normalised jointly: 5 / 8
    assert SPARSE.dormant_ratio([h], 0.1) == pytest.approx(
        SPARSE.dormant_ratio([member0, member1], 0.1)
    )


# --- fau ------------------------------------------------------------------------------------


def test_fau_counts_positive_outputs_over_samples_and_neurons(scripts):
    fau = scripts["mlp_fau"].fau
    # 2 of 6 positive; a unit at exactly 0 (a ReLU's inactive output) does not count
    a = torch.tensor([[1.0, 0.0, -1.0], [2.0, -3.0, 0.0]])
    assert fau([a]) == pytest.approx(2 / 6)
    assert isinstance(fau([a]), float)
    # 4 of 8 positive, the tiny one included: 6 of 14 over the two layers (neuron-weighted, not
    # the mean of the layers' fractions (2/6 + 4/8) / 2)
    b = torch.tensor([[0.5, 0.5, 0.0, 0.0], [0.1, -0.1, 0.0, 1e-9]])
    assert fau([a, b]) == pytest.approx(6 / 14)
    assert fau([b, a]) == pytest.approx(6 / 14)
    # averaged per sample: a unit positive on 1 of 4 samples counts 1/4, not 1 (not "active on
    # some sample"), so the value does not grow with the batch
    assert fau([torch.tensor([[1.0], [0.0], [0.0], [0.0]])]) == pytest.approx(1 / 4)
    assert fau([torch.zeros(8, 5)]) == 0.0 and fau([torch.ones(8, 5)]) == 1.0


def test_fau_of_an_ensemble_layer_counts_each_member_as_a_layer(scripts):
    fau = scripts["mlp_fau"].fau
    member0 = torch.tensor([[1.0, 2.0, 3.0], [1.0, 0.5, 4.0]])  # all 6 active
    member1 = torch.tensor([[-1.0, 0.0, 0.0], [0.0, -2.0, 0.0]])  # none
    h = torch.stack([member0, member1])  # (E, B, H)
    assert fau([h]) == pytest.approx(6 / 12)
    assert fau([h]) == pytest.approx(fau([member0, member1]))
    # with a plain layer beside it: 6 + 1 of 12 + 2
    assert fau([h, torch.tensor([[1.0], [-1.0]])]) == pytest.approx(7 / 14)


def test_fau_is_generated_only_when_asked_and_reads_post_activation_outputs(scripts):
    for path in sorted(GENERATED.glob("*.py")):  # only the goldens whose spec asks for it
        asks = "[fau]" in (ROOT / "specs" / f"{path.stem}.yaml").read_text()
        assert ("def fau(" in path.read_text()) == asks, path.name
    mlp = scripts["mlp_fau"]
    assert mlp.fau and not hasattr(mlp, "dormant_ratio") and not hasattr(mlp, "srank")
    source = {name: (scripts[name].__file__) for name in ("mlp_fau", "simba_fau", "block_fau")}
    text = {name: open(path).read() for name, path in source.items()}
    assert 'values[f"{name}_fau"] = fau(hidden)' in text["mlp_fau"]
    assert "hidden, _ = net.activations(" in text["mlp_fau"]
    for name in ("simba_fau", "block_fau"):
        assert 'values[f"{name}_fau"] = fau(active)' in text[name]
        assert "hidden, _, active = net.activations(" in text[name]
    # fau alone: the MLP's activations() are its post-activation outputs
    torch.manual_seed(0)
    net = mlp.MLP(5, 8, 2, 2)
    x = torch.randn(7, 5)
    hidden, features = net.activations(x)
    _assert_same(hidden[0], torch.relu(net.hidden[0](x)))
    _assert_same(hidden[1], features)


def test_simba_fau_counts_the_relu_outputs_beside_the_dense_outputs(scripts):
    mod = scripts["simba_fau"]
    net, x = _hand_simba(mod)
    hidden, features, active = net.activations(x)
    # dormant_ratio still reads the dense outputs (the same as without fau)
    ref_hidden, ref_features = SPARSE.SimbaEncoder.activations(net, x)
    assert len(hidden) == len(ref_hidden) == 3
    for got, want in zip(hidden, ref_hidden):
        _assert_same(got, want)
    _assert_same(features, ref_features)
    # fau: the ReLU of the up-projection only; by hand ReLU(up) = (1, 0, 0, 2 x5) and 0 x8
    assert len(active) == 1
    relu_up = torch.tensor([[1.0, 0.0, 0.0] + [2.0] * 5, [0.0] * 8])
    torch.testing.assert_close(active[0], relu_up, atol=1e-5, rtol=0)
    assert mod.fau(active) == pytest.approx(6 / 16)
    assert mod.dormant_ratio(hidden, 0.1) == pytest.approx(2 / 12)  # as without fau


@pytest.mark.parametrize("ensemble", [1, 2])
def test_simba_fau_outputs_are_those_of_the_activations_choice(scripts, ensemble):
    torch.manual_seed(0)
    net = scripts["simba_fau"].SimbaEncoder(5, 8, 2, 3, ensemble=ensemble)
    ref = scripts["simba_activations"].SimbaEncoder(5, 8, 2, 3, ensemble=ensemble)
    ref.load_state_dict(net.state_dict())
    x = torch.randn(7, 5) if ensemble == 1 else torch.randn(ensemble, 7, 5)
    _, _, active = net.activations(x)
    want, _ = ref.activations(x)
    assert len(active) == len(want) == 2
    for got, w in zip(active, want):
        _assert_same(got, w)


@pytest.mark.parametrize("residual", [False, True])
@pytest.mark.parametrize("ensemble", [1, 2])
def test_block_fau_outputs_are_the_norm_act_outputs(scripts, residual, ensemble):
    F = torch.nn.functional
    torch.manual_seed(0)
    kwargs = dict(activation=F.elu, layer_norm=True, residual=residual, ensemble=ensemble)
    net = scripts["block_fau"].BlockMLP(5, 8, 2, 3, **kwargs)
    ref = scripts["td3_block"].BlockMLP(5, 8, 2, 3, **kwargs)  # activations: norm_act outputs
    ref.load_state_dict(net.state_dict())
    x = torch.randn(7, 5) if ensemble == 1 else torch.randn(ensemble, 7, 5)
    hidden, features, active = net.activations(x)
    want, want_features = ref.activations(x)
    assert len(hidden) == 5 and len(active) == len(want) == 5  # dense: projection, 2 per block
    for got, w in zip(active, want):
        _assert_same(got, w)
    _assert_same(features, want_features)
    _assert_same(net.out(features), net(x))
    # ELU after LayerNorm: > 0 exactly where the normalised Linear output is > 0
    inner = active[1]
    z = F.layer_norm(hidden[1], hidden[1].shape[-1:])
    assert torch.equal(inner > 0, z > 0)


# --- srank ----------------------------------------------------------------------------------


def _with_singular_values(s, rows, cols, seed=0):
    """U diag(s) V^T with orthonormal U (rows x r), V (cols x r)."""
    g = torch.Generator().manual_seed(seed)
    r = len(s)
    u, _ = torch.linalg.qr(torch.randn(rows, r, generator=g, dtype=torch.float64))
    v, _ = torch.linalg.qr(torch.randn(cols, r, generator=g, dtype=torch.float64))
    return (u @ torch.diag(torch.tensor(s, dtype=torch.float64)) @ v.T).float()


def test_srank_of_known_singular_values():
    # s = [10, 5, 1, 0.01, 0.01, 0.01]: cumulative sums 10, 15, 16, 16.01, 16.02, 16.03 of 16.03
    f = _with_singular_values([10.0, 5.0, 1.0, 0.01, 0.01, 0.01], rows=32, cols=6)
    torch.testing.assert_close(torch.linalg.svdvals(f)[:3], torch.tensor([10.0, 5.0, 1.0]))
    assert SPARSE.srank(f, 0.01) == 3  # 0.99 * 16.03 = 15.87: 16 is the first to reach it
    assert SPARSE.srank(f, 0.05) == 3  # 15.23
    assert SPARSE.srank(f, 0.1) == 2  # 14.43
    assert SPARSE.srank(f, 0.5) == 1  # 8.02
    assert SPARSE.srank(f, 0.001) == 5  # 16.014: the fifth
    assert SPARSE.srank(f, 0.0001) == 6  # 16.028: all of them
    assert isinstance(SPARSE.srank(f, 0.01), float)
    # the rows may be fewer than the features: at most min(batch, features)
    assert SPARSE.srank(f.T, 0.01) == 3
    assert SPARSE.srank(_with_singular_values([1.0] * 4, rows=4, cols=16), 0.01) == 4


def test_srank_of_a_rank_deficient_matrix():
    f = _with_singular_values([3.0, 2.0], rows=16, cols=8)  # rank 2 in a 16 x 8 matrix
    assert SPARSE.srank(f, 0.01) == 2
    assert SPARSE.srank(f, 0.3) == 2  # 3.5 of 5 needs the second
    assert SPARSE.srank(f, 0.45) == 1  # 2.75
    assert SPARSE.srank(torch.ones(16, 8), 0.01) == 1  # rank 1
    assert SPARSE.srank(1e3 * f, 0.01) == 2  # scale-free


def test_srank_of_an_ensemble_is_the_mean_over_members():
    a = _with_singular_values([10.0, 5.0, 1.0, 0.01, 0.01, 0.01], rows=32, cols=6, seed=1)  # 3
    b = _with_singular_values([1.0], rows=32, cols=6, seed=2)  # 1
    assert SPARSE.srank(torch.stack([a, b]), 0.01) == pytest.approx(2.0)
    c = _with_singular_values([1.0, 1.0, 1.0, 1.0], rows=32, cols=6, seed=3)  # 4
    assert SPARSE.srank(torch.stack([a, b, c]), 0.01) == pytest.approx(8 / 3)


# --- param_norm and grad_norm ---------------------------------------------------------------


def _small_simba(seed=0):
    torch.manual_seed(seed)
    return SPARSE.SimbaEncoder(5, 8, 2, 3, ensemble=2)


def test_param_norm_is_the_norm_of_all_parameters_concatenated():
    net = _small_simba()
    expected = torch.cat([p.detach().reshape(-1) for p in net.parameters()]).norm()
    assert SPARSE.param_norm(net) == pytest.approx(expected.item(), rel=1e-6)
    masks = SPARSE.Masks(net)
    masks.prune(SPARSE.random_scores(masks), [n // 2 for n in (o * i for o, i in masks.shapes())])
    masks.apply()  # pruned weights are exact zeros: the norm is over the active ones
    expected = torch.cat([p.detach().reshape(-1) for p in net.parameters()]).norm()
    assert SPARSE.param_norm(net) == pytest.approx(expected.item(), rel=1e-6)


def test_grad_norm_is_the_l2_norm_of_the_gradients():
    net = _small_simba()
    assert math.isnan(SPARSE.grad_norm(net))  # no update yet
    for i, p in enumerate(net.parameters()):
        p.grad = torch.full_like(p, float(i % 3))  # 0, 1, 2, 0, 1, 2, ...
    expected = math.sqrt(sum(float(i % 3) ** 2 * p.numel() for i, p in enumerate(net.parameters())))
    assert SPARSE.grad_norm(net) == pytest.approx(expected, rel=1e-6)
    params = list(net.parameters())
    params[1].grad = None  # a parameter without a gradient counts as 0
    expected = math.sqrt(expected**2 - params[1].numel())
    assert SPARSE.grad_norm(net) == pytest.approx(expected, rel=1e-6)


def test_grad_norm_with_masks_counts_only_active_weights():
    net = _small_simba()
    masks = SPARSE.Masks(net)
    keep = [n // 4 for n in (o * i for o, i in masks.shapes())]
    masks.prune(SPARSE.random_scores(masks), keep)
    for p in net.parameters():
        p.grad = torch.ones_like(p)  # dense, as a mask-update step leaves them
    n_total = sum(p.numel() for p in net.parameters())
    n_masked = sum(w.numel() for w in masks.weights)
    assert SPARSE.grad_norm(net) == pytest.approx(math.sqrt(n_total), rel=1e-6)
    assert SPARSE.grad_norm(net, masks) == pytest.approx(
        math.sqrt(n_total - n_masked + sum(keep)), rel=1e-6
    )
    assert all((p.grad == 1).all() for p in net.parameters())  # .grad is read, not masked in place


# --- grad_interference ----------------------------------------------------------------------


def _linear(n_in):
    net = torch.nn.Linear(n_in, 1, bias=False)
    with torch.no_grad():
        net.weight.fill_(0.5)
    return net


def _linear_loss(net, batch):
    """d loss / d w = x: a sample's gradient is its input."""
    return net(batch[0]).sum()


@pytest.mark.parametrize(
    "xs, expected",
    [
        ([[1.0, 0.0], [0.0, 1.0]], 0.0),  # orthogonal gradients
        ([[1.0, 2.0], [1.0, 2.0]], 1.0),  # identical
        ([[1.0, 2.0], [2.0, 4.0]], 1.0),  # parallel (cosine ignores the scale)
        ([[1.0, 2.0], [-1.0, -2.0]], -1.0),  # opposite
        (
            [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]],
            2 * math.sqrt(0.5) * 2 / 6,
        ),  # cosines 0, 1/sqrt2, 1/sqrt2
        (
            [[1.0, 0.0], [1.0, 0.0], [-1.0, 0.0], [0.0, 3.0]],
            (2 * 1 + 4 * -1) / 12,
        ),  # pairs: 1, -1, -1, 0, 0, 0
    ],
)
def test_grad_interference_of_constructed_gradients(xs, expected):
    batch = [torch.tensor(xs)]
    assert SPARSE.grad_interference(_linear(2), _linear_loss, batch) == pytest.approx(
        expected, abs=1e-6
    )


def test_grad_interference_excludes_pruned_weights():
    net = _linear(3)
    batch = [torch.tensor([[1.0, 0.0, 5.0], [0.0, 1.0, 5.0]])]  # the third input is shared
    assert SPARSE.grad_interference(net, _linear_loss, batch) == pytest.approx(25 / 26, abs=1e-6)
    masks = SPARSE.Masks(net)
    masks.masks[0].copy_(torch.tensor([[1.0, 1.0, 0.0]]))  # prune the shared weight
    assert SPARSE.grad_interference(net, _linear_loss, batch, masks) == pytest.approx(0.0, abs=1e-6)


def _per_sample_interference(net, loss, batch, mask_of=None):
    """The definition computed the slow way: one autograd call per sample."""
    params = list(net.parameters())
    grads = []
    for i in range(batch[0].shape[0]):
        g = torch.autograd.grad(loss(net, [t[i : i + 1] for t in batch]), params, allow_unused=True)
        g = [torch.zeros_like(p) if gi is None else gi for p, gi in zip(params, g)]
        if mask_of:
            g = [gi * mask_of[p] if p in mask_of else gi for p, gi in zip(params, g)]
        grads.append(torch.cat([gi.reshape(-1) for gi in g]))
    k = len(grads)
    total = 0.0
    for i in range(k):
        for j in range(k):
            if i != j:
                total += (grads[i] @ grads[j] / (grads[i].norm() * grads[j].norm() + 1e-8)).item()
    return total / (k * (k - 1))


def test_grad_interference_of_a_small_mlp_matches_a_per_sample_loop(scripts):
    mod = scripts["sac_mlp"]
    torch.manual_seed(0)
    net = mod.MLP(4, 16, 2, 1)

    def loss(net, batch):
        x, y = batch
        return (net(x).squeeze(-1) - y).pow(2).mean()

    batch = [torch.randn(6, 4), torch.randn(6)]
    value = mod.grad_interference(net, loss, batch)
    assert value == pytest.approx(_per_sample_interference(net, loss, batch), abs=1e-5)
    assert all(p.grad is None for p in net.parameters())  # no gradient left behind


def _ddpg_agent(mod, obs_dim=3, act_dim=2, seed=0):
    torch.manual_seed(seed)
    actor = mod.Actor(obs_dim, act_dim, 16, 2, -torch.ones(act_dim), torch.ones(act_dim), 0.1)
    critic = mod.Critic(obs_dim, act_dim, 16, 2)
    batch = [
        torch.randn(5, obs_dim),
        torch.rand(5, act_dim) * 2 - 1,
        torch.randn(5),
        torch.randn(5, obs_dim),
        (torch.rand(5) < 0.3).float(),
    ]
    return actor, critic, copy.deepcopy(actor), copy.deepcopy(critic), batch


def test_grad_interference_of_ddpg_module_losses_matches_a_per_sample_loop(scripts):
    """The script's own losses (critic_loss_fn, actor_loss_fn: no noise in DDPG's), as
    diagnose() passes them, with the actor's mask."""
    mod = scripts["ddpg_sparse_actor"]
    actor, critic, actor_target, critic_target, batch = _ddpg_agent(mod)
    gamma = 0.99

    def critic_sample_loss(critic, batch):
        return mod.critic_loss_fn(batch, actor_target, critic, critic_target, gamma)

    def actor_sample_loss(actor, batch):
        return mod.actor_loss_fn(batch[0], actor, critic)

    masks = mod.Masks(actor)
    masks.prune(mod.random_scores(masks), [n // 2 for n in (o * i for o, i in masks.shapes())])
    masks.apply()
    before = [t.clone() for t in [*actor.state_dict().values(), *critic.state_dict().values()]]

    value = mod.grad_interference(critic, critic_sample_loss, batch)
    assert value == pytest.approx(
        _per_sample_interference(critic, critic_sample_loss, batch), abs=1e-5
    )
    assert -1.0 <= value <= 1.0

    mask_of = dict(zip(masks.weights, masks.masks))
    value = mod.grad_interference(actor, actor_sample_loss, batch, masks)
    assert value == pytest.approx(
        _per_sample_interference(actor, actor_sample_loss, batch, mask_of), abs=1e-5
    )
    # pruned weights excluded: not the value of the dense gradients
    assert value != pytest.approx(
        _per_sample_interference(actor, actor_sample_loss, batch), abs=1e-4
    )
    # the agent is unchanged and no gradient is left in .grad
    after = [*actor.state_dict().values(), *critic.state_dict().values()]
    assert all(torch.equal(a, b) for a, b in zip(after, before))
    assert all(p.grad is None for p in [*actor.parameters(), *critic.parameters()])


def test_grad_interference_of_the_sac_critic_loss_matches_a_per_sample_loop():
    """SAC's critic loss draws next actions: with a zero temperature and the smallest std the
    draw no longer matters, and the vmapped value equals the per-sample loop."""
    torch.manual_seed(0)
    obs_dim, act_dim = 3, 2
    actor = SPARSE.Actor(obs_dim, act_dim, 8, 1, -torch.ones(act_dim), torch.ones(act_dim))
    critic = SPARSE.Critic(obs_dim, act_dim, 8, 1)
    critic_target = copy.deepcopy(critic).requires_grad_(False)
    with torch.no_grad():
        actor.fc_logstd.bias.fill_(-1e3)  # log std = LOG_STD_MIN
    log_alpha = torch.tensor(-200.0)  # alpha = 0
    batch = [
        torch.randn(6, obs_dim),
        torch.rand(6, act_dim) * 2 - 1,
        torch.randn(6),
        torch.randn(6, obs_dim),
        torch.zeros(6),
    ]

    def critic_sample_loss(critic, batch):
        return SPARSE.critic_loss_fn(batch, actor, critic, critic_target, log_alpha, 0.99)

    masks = SPARSE.Masks(critic)
    masks.prune(SPARSE.random_scores(masks), [n // 5 for n in (o * i for o, i in masks.shapes())])
    masks.apply()
    value = SPARSE.grad_interference(critic, critic_sample_loss, batch, masks)
    expected = _per_sample_interference(
        critic, critic_sample_loss, batch, dict(zip(masks.weights, masks.masks))
    )
    assert value == pytest.approx(expected, abs=1e-4)
    assert all(p.grad is None for p in critic.parameters())


# --- activations(): hidden post-activation outputs and penultimate features ----------------


def _assert_same(a, b):
    torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("layer_norm", [False, True])
@pytest.mark.parametrize("ensemble", [1, 2])
def test_mlp_activations(scripts, layer_norm, ensemble):
    mod = scripts["sac_mlp"]
    torch.manual_seed(0)
    net = mod.MLP(
        5, 8, 3, 2, activation=torch.nn.functional.elu, layer_norm=layer_norm, ensemble=ensemble
    )
    x = torch.randn(7, 5) if ensemble == 1 else torch.randn(ensemble, 7, 5)
    hidden, features = net.activations(x)
    assert len(hidden) == 3 and all(h.shape == (*x.shape[:-1], 8) for h in hidden)
    assert features is hidden[-1]
    _assert_same(net.out(features), net(x))
    # by hand: h_l = act([LN](W_l h_{l-1} + b_l))
    h = x
    for i, layer in enumerate(net.hidden):
        z = layer(h)
        if layer_norm:
            z = net.norms[i](z)
            _assert_same(z.mean(-1), torch.zeros(z.shape[:-1]))  # the LayerNorm is really applied
        h = torch.nn.functional.elu(z)
        _assert_same(hidden[i], h)


@pytest.mark.parametrize("ensemble", [1, 2])
def test_simba_activations(scripts, ensemble):
    torch.manual_seed(0)
    net = scripts["simba_activations"].SimbaEncoder(5, 8, 2, 3, ensemble=ensemble)
    with torch.no_grad():  # non-trivial LayerNorm affines, so that features are after the final one
        for p in net.parameters():
            p.add_(0.1 * torch.randn_like(p))
    x = torch.randn(7, 5) if ensemble == 1 else torch.randn(ensemble, 7, 5)
    hidden, features = net.activations(x)
    batch = x.shape[:-1]
    assert len(hidden) == 2 and all(h.shape == (*batch, 32) for h in hidden)  # 4 * width units
    assert all((h >= 0).all() for h in hidden)  # ReLU outputs
    assert features.shape == (*batch, 8)
    _assert_same(net.out(features), net(x))
    # by hand: the residual stream, and the ReLU of each block's up-projection
    stream = net.embedding(x)
    for block, h in zip(net.blocks, hidden):
        _assert_same(h, torch.relu(block["up"](block["norm"](stream))))
        stream = stream + block["down"](h)
    _assert_same(features, net.final_norm(stream))


@pytest.mark.parametrize("residual", [False, True])
@pytest.mark.parametrize("layer_norm", [False, True])
@pytest.mark.parametrize("ensemble", [1, 2])
def test_block_activations(scripts, residual, layer_norm, ensemble):
    mod = scripts["td3_block"]
    F = torch.nn.functional
    torch.manual_seed(0)
    depth = 2
    net = mod.BlockMLP(
        5,
        8,
        depth,
        3,
        activation=F.elu,
        layer_norm=layer_norm,
        residual=residual,
        ensemble=ensemble,
    )
    x = torch.randn(7, 5) if ensemble == 1 else torch.randn(ensemble, 7, 5)
    hidden, features = net.activations(x)
    assert len(hidden) == 2 * depth + 1 and all(h.shape == (*x.shape[:-1], 8) for h in hidden)
    assert features is hidden[-1]
    _assert_same(net.out(features), net(x))

    def norm_act(z):
        return F.elu(F.layer_norm(z, z.shape[-1:]) if layer_norm else z)

    expected, stream = [], net.projection(x)
    for linear1, linear2 in net.blocks:
        h = norm_act(stream)
        inner = norm_act(linear1(h))
        expected += [h, inner]
        y = linear2(inner)
        stream = stream + y if residual else y
    expected.append(norm_act(stream))
    for got, want in zip(hidden, expected):
        _assert_same(got, want)


def test_actor_and_critic_activations_are_what_their_heads_read(scripts):
    obs, act = torch.randn(7, 3), torch.rand(7, 2) * 2 - 1
    low, high = -torch.ones(2), torch.ones(2)
    # SAC (SimBa trunk, twin critic ensemble)
    torch.manual_seed(0)
    actor, critic = SPARSE.Actor(3, 2, 8, 1, low, high), SPARSE.Critic(3, 2, 8, 2)
    hidden, features = actor.activations(obs)
    mean, log_std = actor(obs)
    _assert_same(actor.fc_mean(features), mean)
    hidden, features = critic.activations(obs, act)
    # dense_outputs: embedding, then up (4 * width) and down per block
    assert features.shape == (2, 7, 8) and [h.shape for h in hidden] == [
        (2, 7, 8),
        (2, 7, 32),
        (2, 7, 8),
        (2, 7, 32),
        (2, 7, 8),
    ]
    _assert_same(critic.q.out(features).squeeze(-1), critic(obs, act))
    # SAC with MLPs
    mod = scripts["sac_mlp"]
    actor, critic = mod.Actor(3, 2, 8, 2, low, high), mod.Critic(3, 2, 8, 2)
    _, features = actor.activations(obs)
    _assert_same(actor.fc_mean(features), actor(obs)[0])
    hidden, features = critic.activations(obs, act)
    assert len(hidden) == 2 and features.shape == (2, 7, 8)
    _assert_same(critic.q.out(features).squeeze(-1), critic(obs, act))
    # TD3 with BlockMLPs, DDPG with MLPs (a deterministic actor; DDPG's single critic)
    for name in ("td3_block", "ddpg_sparse_actor"):
        mod = scripts[name]
        actor = mod.Actor(3, 2, 8, 1, low, high, 0.1)
        critic = mod.Critic(3, 2, 8, 1)
        _, features = actor.activations(obs)
        _assert_same(
            torch.tanh(actor.mu.out(features)) * actor.action_scale + actor.action_bias, actor(obs)
        )
        _, features = critic.activations(obs, act)
        _assert_same(critic.q.out(features).squeeze(-1), critic(obs, act))


def test_grad_interference_of_the_sac_actor_loss_matches_a_per_sample_loop():
    """The actor's loss as diagnose() passes it (actor_loss_fn(...)[0]: the temperature term has
    no actor gradient), its action draw made irrelevant as in the critic's test."""
    torch.manual_seed(1)
    obs_dim, act_dim = 3, 2
    actor = SPARSE.Actor(obs_dim, act_dim, 8, 1, -torch.ones(act_dim), torch.ones(act_dim))
    critic = SPARSE.Critic(obs_dim, act_dim, 8, 1)
    with torch.no_grad():
        actor.fc_logstd.bias.fill_(-1e3)
    log_alpha = torch.tensor(-200.0, requires_grad=True)

    def actor_sample_loss(actor, batch):
        return SPARSE.actor_loss_fn(batch[0], actor, critic, log_alpha, -1.0)[0]

    batch = [torch.randn(6, obs_dim)]
    value = SPARSE.grad_interference(actor, actor_sample_loss, batch)
    assert value == pytest.approx(
        _per_sample_interference(actor, actor_sample_loss, batch), abs=1e-4
    )
    assert log_alpha.grad is None and all(
        p.grad is None for p in [*actor.parameters(), *critic.parameters()]
    )


def test_grad_interference_runs_on_td3_losses_with_target_noise(scripts):
    """TD3's critic loss draws target-policy noise (per sample under vmap); with the noise
    clipped to 0 it is deterministic and equals the per-sample loop."""
    mod = scripts["td3_block"]
    actor, critic, actor_target, critic_target, batch = _ddpg_agent(mod)

    def critic_sample_loss(critic, batch, noise=0.2, clip=0.5):
        return mod.critic_loss_fn(batch, actor_target, critic, critic_target, 0.99, noise, clip)

    value = mod.grad_interference(critic, critic_sample_loss, batch)
    assert math.isfinite(value) and -1.0 <= value <= 1.0
    exact = lambda critic, batch: critic_sample_loss(critic, batch, 0.2, 0.0)  # noqa: E731
    assert mod.grad_interference(critic, exact, batch) == pytest.approx(
        _per_sample_interference(critic, exact, batch), abs=1e-5
    )
    actor_loss = lambda actor, batch: mod.actor_loss_fn(batch[0], actor, critic)  # noqa: E731
    assert mod.grad_interference(actor, actor_loss, batch) == pytest.approx(
        _per_sample_interference(actor, actor_loss, batch), abs=1e-5
    )


# --- dormant_layers: dense_outputs (Ma et al.'s code) vs activations (the paper's formula) ---


def _hand_simba(mod):
    """SimbaEncoder(2, width 2, 1 block) with hand-set weights on the batch x = [[1, 0], [0, 1]]:
    embedding = identity, so the stream is x and LayerNorm(x) = [1, -1] and [-1, 1];
    up (8 units): unit 0 reads LN_0 -> (1, -1); unit 1 has bias -1 only -> (-1, -1), dead after
    the ReLU but not before it; unit 2 is zero -> (0, 0); units 3-7 read 2 LN_0 -> (2, -2);
    down (2 units): unit 0 = ReLU(up_0) -> (1, 0), unit 1 zero -> (0, 0)."""
    net = mod.SimbaEncoder(2, 2, 1, 1)
    block = net.blocks[0]
    with torch.no_grad():
        for p in net.parameters():
            p.zero_()
        net.embedding.weight.copy_(torch.eye(2))
        block["norm"].weight.fill_(1.0)
        net.final_norm.weight.fill_(1.0)
        block["up"].weight[0, 0] = 1.0
        block["up"].bias[1] = -1.0
        block["up"].weight[3:, 0] = 2.0
        block["down"].weight[0, 0] = 1.0
    return net, torch.tensor([[1.0, 0.0], [0.0, 1.0]])


def test_simba_dense_outputs_are_every_dense_layer_before_its_activation():
    net, x = _hand_simba(SPARSE)  # diag_sac_wide_sparse: simba, dormant_layers auto = dense_outputs
    hidden, features = net.activations(x)
    assert [h.shape[-1] for h in hidden] == [2, 8, 2]  # embedding, up (4 * width), down
    _assert_same(hidden[0], x)
    up = torch.tensor([[1.0, -1.0, 0.0] + [2.0] * 5, [-1.0, -1.0, 0.0] + [-2.0] * 5])
    torch.testing.assert_close(hidden[1], up, atol=1e-5, rtol=0)  # pre-ReLU: negative values kept
    torch.testing.assert_close(hidden[2], torch.tensor([[1.0, 0.0], [0.0, 0.0]]), atol=1e-5, rtol=0)
    _assert_same(features, net.final_norm(x + hidden[2]))
    # by hand, tau 0.1: embedding E|h| = (.5, .5): none dormant; up E|h| = (1, 1, 0, 2 x5), mean
    # 1.5: only unit 2 (score 0); down E|h| = (.5, 0): unit 1. 2 dormant of 2 + 8 + 2 = 12 neurons
    assert SPARSE.dormant_ratio(hidden, 0.1) == pytest.approx(2 / 12)


def test_simba_activations_score_the_relu_outputs(scripts):
    mod = scripts["simba_activations"]
    net, x = _hand_simba(mod)
    hidden, _ = net.activations(x)
    assert len(hidden) == 1 and hidden[0].shape == (2, 8)
    # by hand: ReLU(up) E|h| = (.5, 0, 0, 1 x5), mean .6875: units 1 (dead after the ReLU) and 2
    assert mod.dormant_ratio(hidden, 0.1) == pytest.approx(2 / 8)


def test_dormant_layers_default_is_by_arch_and_only_what_is_used():
    sparse = (GENERATED / "diag_sac_wide_sparse.py").read_text()
    assert (
        "dormant_layers: auto" in sparse
        and "every hidden Dense output before its activation" in sparse
    )
    assert (
        "the ReLU outputs of the residual blocks" not in sparse
    )  # no dead branch for the other choice
    mlp = compile_one(str(ROOT / "specs" / "sac_dense.yaml"), ["diagnostics={every: 100}"]).source
    assert (
        "each hidden layer's output after its activation" in mlp
        and "each hidden Linear's output before" not in mlp
    )


def test_mlp_dense_outputs_are_the_linear_outputs(scripts):
    mod = scripts["mlp_dense_outputs"]
    torch.manual_seed(0)
    net = mod.MLP(5, 8, 3, 2, activation=torch.nn.functional.relu, layer_norm=True)
    x = torch.randn(7, 5)
    hidden, features = net.activations(x)
    h = x
    for i, layer in enumerate(net.hidden):
        z = layer(h)
        _assert_same(hidden[i], z)  # before LayerNorm and ReLU
        h = torch.relu(net.norms[i](z))
    _assert_same(features, h)
    _assert_same(net.out(features), net(x))
