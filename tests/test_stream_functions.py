"""generated/stream_ac*.py's functions against Stream AC(lambda) (Elsayed et al. 2024, "Streaming
deep reinforcement learning finally works") as its reference implementation writes it
(mohmdelsayed/streaming-drl: stream_ac_continuous.py, optim.py, sparse_init.py,
normalization_wrappers.py, time_wrapper.py), on small tensors whose expected values are worked
out by hand (or with plain numpy) in the tests. The tests marked "reference" import the
reference from $STREAMING_DRL and are skipped where it is not checked out."""

import copy
import importlib
import math
import os
from dataclasses import fields
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

torch = pytest.importorskip("torch")
nn = torch.nn

from conftest import GENERATED
from generated_utils import import_script, metrics_rows, run_main, run_script

STREAM = import_script(GENERATED / "stream_ac.py")
STATIC = import_script(GENERATED / "stream_ac_static.py")
# a checkout of mohmdelsayed/streaming-drl (STREAMING_DRL=path); its tests skip without one
REFERENCE = Path(os.environ.get("STREAMING_DRL", "/work/ref/streaming-drl"))


def _linear(weight, bias):
    """nn.Linear(2, 1) with these parameters."""
    layer = nn.Linear(2, 1)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([weight]))
        layer.bias.copy_(torch.tensor([bias]))
    return layer


def _flat(net):
    return torch.cat([p.detach().reshape(-1) for p in net.parameters()])


def _set_grad(opt, g):
    opt.zero_grad()
    opt.grads.add_(torch.tensor(g))


# --------------------------------------------------------------------------- ObGD


def test_obgd_first_step_takes_lr_when_the_bound_is_below_one():
    """optim.py's ObGD: z = g; M = kappa*lr*max(|delta|,1)*||z||_1 <= 1 gives step lr; w -= step*delta*z."""
    net = _linear([1.0, 2.0], 3.0)
    opt = STREAM.ObGD(net, lr=0.1, gamma=0.9, lam=0.5, kappa=2.0)
    _set_grad(opt, [0.5, -1.0, 0.25])  # ||g||_1 = 1.75: M = 2 * 0.1 * 1 * 1.75 = 0.35
    step = opt.step(torch.tensor(0.5), reset=False)
    assert isinstance(step, torch.Tensor) and step.dim() == 0
    assert step.item() == pytest.approx(0.1)
    torch.testing.assert_close(opt.trace, torch.tensor([0.5, -1.0, 0.25]))
    # w - 0.1 * 0.5 * z = [1 - 0.025, 2 + 0.05, 3 - 0.0125]
    torch.testing.assert_close(_flat(net), torch.tensor([0.975, 2.05, 2.9875]))


def test_obgd_step_is_lr_over_the_bound_when_it_exceeds_one():
    """optim.py's ObGD: M = kappa*lr*|delta|*||z||_1 > 1 gives step lr / M (the overshooting bound)."""
    net = _linear([1.0, 2.0], 3.0)
    opt = STREAM.ObGD(net, lr=0.1, gamma=0.9, lam=0.5, kappa=2.0)
    _set_grad(opt, [0.5, -1.0, 0.25])
    step = opt.step(torch.tensor(-4.0), reset=False)  # M = 2 * 0.1 * 4 * 1.75 = 1.4
    assert step.item() == pytest.approx(0.1 / 1.4)
    moved = -(0.1 / 1.4) * -4.0 * np.array([0.5, -1.0, 0.25])
    torch.testing.assert_close(
        _flat(net), torch.tensor([1.0, 2.0, 3.0]) + torch.tensor(moved, dtype=torch.float32)
    )


def test_obgd_bound_clamps_small_td_errors_to_one():
    """optim.py's ObGD: delta_bar = max(|delta|, 1), so |delta| = 0.5 still bounds as 1."""
    net = _linear([0.0, 0.0], 0.0)
    opt = STREAM.ObGD(net, lr=0.1, gamma=0.9, lam=0.5, kappa=2.0)
    _set_grad(opt, [4.0, -5.0, 1.0])  # ||g||_1 = 10: with |delta| 0.5, M would be 1 (step 0.1)
    step = opt.step(torch.tensor(0.5), reset=False)
    assert step.item() == pytest.approx(0.1 / 2.0)  # M = 2 * 0.1 * max(0.5, 1) * 10 = 2
    torch.testing.assert_close(_flat(net), -0.05 * 0.5 * torch.tensor([4.0, -5.0, 1.0]))


def test_obgd_trace_decays_by_gamma_lambda_and_resets_after_the_last_step():
    """optim.py's ObGD: z <- gamma*lambda*z + g each step; reset zeroes z after the step that used it."""
    net = _linear([1.0, 2.0], 3.0)
    opt = STREAM.ObGD(net, lr=0.1, gamma=0.9, lam=0.5, kappa=2.0)  # decay 0.45
    g1, g2 = np.array([0.5, -1.0, 0.25]), np.array([0.1, 0.2, -0.3])
    w = np.array([1.0, 2.0, 3.0])
    _set_grad(opt, g1.tolist())
    opt.step(torch.tensor(0.5), reset=False)
    w = w - 0.1 * 0.5 * g1
    _set_grad(opt, g2.tolist())
    z2 = 0.45 * g1 + g2  # [0.325, -0.25, -0.1875], ||z2||_1 = 0.7625: M = 0.305, step 0.1
    step = opt.step(torch.tensor(2.0), reset=True)
    assert step.item() == pytest.approx(0.1)  # M = 2 * 0.1 * 2 * 0.7625 = 0.305
    w = w - 0.1 * 2.0 * z2  # the reset step still moved by its trace
    torch.testing.assert_close(_flat(net), torch.tensor(w, dtype=torch.float32))
    assert (opt.trace == 0).all()  # ... and zeroed it afterwards
    # the next episode's first step starts from z = g
    _set_grad(opt, g2.tolist())
    opt.step(torch.tensor(1.0), reset=False)
    torch.testing.assert_close(opt.trace, torch.tensor(g2, dtype=torch.float32))


def test_obgd_state_dict_round_trips_the_trace():
    """The trace is ObGD's only state: a checkpoint must carry it exactly."""
    net = _linear([1.0, 2.0], 3.0)
    opt = STREAM.ObGD(net, lr=0.1, gamma=0.9, lam=0.5, kappa=2.0)
    _set_grad(opt, [0.5, -1.0, 0.25])
    opt.step(torch.tensor(0.5), reset=False)
    saved = opt.state_dict()
    opt.trace.add_(1.0)  # the saved copy is not a view
    other = STREAM.ObGD(_linear([0.0, 0.0], 0.0), lr=0.1, gamma=0.9, lam=0.5, kappa=2.0)
    other.load_state_dict(saved)
    assert torch.equal(other.trace, torch.tensor([0.5, -1.0, 0.25]))


# --------------------------------------------------------------------------- flat_parameters


def test_flat_parameters_makes_params_and_grads_views_and_backward_accumulates():
    """flat_parameters: every parameter and .grad views the flat tensors; backward adds into them."""
    torch.manual_seed(0)
    net = nn.Linear(3, 2)
    before = [p.detach().clone() for p in net.parameters()]
    flat, grads = STREAM.flat_parameters(net)
    assert flat.shape == grads.shape == (8,)
    torch.testing.assert_close(flat, torch.cat([b.reshape(-1) for b in before]), rtol=0, atol=0)
    for p in net.parameters():
        assert p.untyped_storage().data_ptr() == flat.untyped_storage().data_ptr()
        assert p.grad.untyped_storage().data_ptr() == grads.untyped_storage().data_ptr()
    flat.add_(1.0)  # a write into the flat tensor is a write into the parameters
    torch.testing.assert_close(net.weight, before[0] + 1.0)
    torch.testing.assert_close(net.bias, before[1] + 1.0)

    x = torch.tensor([1.0, -2.0, 0.5])
    grads.zero_()
    for _ in range(2):
        net(x).sum().backward()
    # d(sum_i w_i . x + b_i)/dw_ij = x_j, /db_i = 1; twice
    expected = 2 * torch.tensor([1.0, -2.0, 0.5, 1.0, -2.0, 0.5, 1.0, 1.0])
    torch.testing.assert_close(grads, expected)
    for p in net.parameters():  # backward kept the views (it did not replace .grad)
        assert p.grad.untyped_storage().data_ptr() == grads.untyped_storage().data_ptr()


# --------------------------------------------------------------------------- stream_init


def test_stream_init_sparse_init_zeros_ceil_of_level_times_fan_in_per_unit():
    """sparse_init.py: per output unit, ceil(sparsity * fan_in) zeros, the rest U(+-1/sqrt(fan_in)), biases 0."""
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(18, 128), nn.Linear(128, 6))
    STREAM.stream_init(net, 0.9)
    # ceil(0.9 * 18) = ceil(16.2) = 17, ceil(0.9 * 128) = ceil(115.2) = 116
    for layer, fan_in, n_zeros in ((net[0], 18, 17), (net[1], 128, 116)):
        assert ((layer.weight == 0).sum(1) == n_zeros).all()
        assert layer.weight.abs().max() <= 1 / math.sqrt(fan_in)
        assert (layer.bias == 0).all()


def test_stream_init_dense_is_uniform_within_the_fan_in_bound():
    """sparse_init.py with sparsity 0: weights U(-1/sqrt(fan_in), 1/sqrt(fan_in)), none zero, biases 0."""
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(18, 128), nn.Linear(128, 6))
    STREAM.stream_init(net)
    for layer, fan_in in ((net[0], 18), (net[1], 128)):
        bound = 1 / math.sqrt(fan_in)
        assert (layer.weight != 0).all()
        assert layer.weight.abs().max() <= bound and layer.weight.abs().max() > 0.95 * bound
        assert (layer.bias == 0).all()


@pytest.fixture(scope="module")
def reference():
    """The reference's stream_ac_continuous.py (reference checkout only)."""
    if not REFERENCE.is_dir():
        pytest.skip(f"no reference checkout at {REFERENCE}")
    names = (
        "optim",
        "sparse_init",
        "time_wrapper",
        "normalization_wrappers",
        "stream_ac_continuous",
    )
    saved = {n: sys.modules.pop(n) for n in names if n in sys.modules}
    sys.path.insert(0, str(REFERENCE))
    try:
        module = importlib.import_module("stream_ac_continuous")
    finally:
        sys.path.remove(str(REFERENCE))
        for n in names:  # the reference's flat module names leave sys.modules as they were
            sys.modules.pop(n, None)
        sys.modules.update(saved)
    return module


def test_seeded_networks_are_bit_identical_to_the_reference(reference):
    """stream_ac_continuous.py: a seed draws the same Actor and Critic weights (reference)."""
    torch.manual_seed(7)
    ref_actor, ref_critic = reference.Actor(18, 6, 128), reference.Critic(18, 128)
    torch.manual_seed(7)
    actor = STREAM.Actor(18, 6, 128, 2)
    STREAM.stream_init(actor, 0.9)
    critic = STREAM.Critic(18, 128, 2)
    STREAM.stream_init(critic, 0.9)
    for ours, theirs in ((actor, ref_actor), (critic, ref_critic)):
        ours, theirs = list(ours.parameters()), list(theirs.parameters())
        assert [p.shape for p in ours] == [p.shape for p in theirs]
        for p, q in zip(ours, theirs):
            assert torch.equal(p, q)
    x = torch.randn(18)
    mu, std = actor(x)
    ref_mu, ref_std = ref_actor(x)
    torch.testing.assert_close(mu, ref_mu, rtol=0, atol=0)
    torch.testing.assert_close(std, ref_std, rtol=0, atol=0)
    torch.testing.assert_close(critic(x).reshape(1), ref_critic(x), rtol=0, atol=0)


# --------------------------------------------------------------------------- StreamInput


def test_running_mean_var_is_welford_with_unit_variance_until_two_samples():
    """normalization_wrappers.py's SampleMeanStd: running mean, unbiased variance, 1 until count 2."""
    stats = STREAM.RunningMeanVar(2)
    stats.update(np.array([1.0, 2.0]))
    assert stats.count == 1
    np.testing.assert_array_equal(stats.mean, [1.0, 2.0])
    np.testing.assert_array_equal(stats.var, [1.0, 1.0])
    stats.update(np.array([3.0, -2.0]))
    np.testing.assert_allclose(stats.mean, [2.0, 0.0])
    np.testing.assert_allclose(stats.var, [2.0, 8.0])  # {1, 3}: 2; {2, -2}: 8 (ddof 1)
    stats.update(np.array([5.0, 0.0]))
    np.testing.assert_allclose(stats.mean, [3.0, 0.0])
    np.testing.assert_allclose(stats.var, [4.0, 4.0])  # {1, 3, 5}: 4; {2, -2, 0}: 4
    assert stats.mean.dtype == stats.var.dtype == np.float64


def _inputs():
    return STREAM.StreamInput(2, gamma=0.9, time_limit=4)


def test_stream_input_normalises_observations_with_the_current_sample_included():
    """NormalizeObservation: (obs - mean) / sqrt(var + 1e-8), the statistics updated with obs first."""
    inputs = _inputs()
    eps = 1e-8
    x0 = inputs.reset(np.array([1.0, 2.0]))
    np.testing.assert_allclose(x0, [0.0, 0.0, -0.5])  # mean = obs, var = 1
    x1, _ = inputs.step(np.array([3.0, -2.0]), 1.0, False)
    np.testing.assert_allclose(x1[:2], [1 / math.sqrt(2 + eps), -2 / math.sqrt(8 + eps)])
    x2, _ = inputs.step(np.array([5.0, 0.0]), 2.0, False)
    np.testing.assert_allclose(x2[:2], [2 / math.sqrt(4 + eps), 0.0])
    assert inputs.obs_stats.count == 3


def test_stream_input_time_feature_repeats_minus_half_then_grows_by_one_over_t():
    """time_wrapper.py's AddTimeInfo: -0.5 at reset and at the first step, then -0.5 + k/T."""
    inputs = _inputs()  # T = 4
    assert inputs.reset(np.zeros(2))[-1] == -0.5
    times = [inputs.step(np.zeros(2), 0.0, False)[0][-1] for _ in range(4)]
    assert times == pytest.approx([-0.5, -0.25, 0.0, 0.25])
    assert inputs.reset(np.zeros(2))[-1] == -0.5  # a new episode starts again
    assert inputs.step(np.zeros(2), 0.0, False)[0][-1] == -0.5


def test_stream_input_scales_rewards_by_the_std_of_the_discounted_return_trace():
    """ScaleReward: u = gamma*(1-done)*u + r; r / sqrt(var(u so far) + 1e-8), var 1 for the first u."""
    inputs = _inputs()  # gamma 0.9
    eps = 1e-8
    inputs.reset(np.zeros(2))
    _, r1 = inputs.step(np.zeros(2), 1.0, False)  # u = 1
    assert r1 == pytest.approx(1 / math.sqrt(1 + eps))
    _, r2 = inputs.step(np.zeros(2), 2.0, False)  # u = 0.9 * 1 + 2 = 2.9; var{1, 2.9} = 1.805
    assert r2 == pytest.approx(2 / math.sqrt(1.805 + eps))
    # the step that ends the episode restarts the trace before adding its reward: u = -1
    _, r3 = inputs.step(np.zeros(2), -1.0, True)
    assert inputs.trace == -1.0
    assert r3 == pytest.approx(-1 / math.sqrt(np.var([1.0, 2.9, -1.0], ddof=1) + eps))
    # the reference's order: the next episode's first reward continues from that u
    inputs.reset(np.zeros(2))
    _, r4 = inputs.step(np.zeros(2), 0.5, False)  # u = 0.9 * -1 + 0.5 = -0.4
    assert inputs.trace == pytest.approx(-0.4)
    assert r4 == pytest.approx(0.5 / math.sqrt(np.var([1.0, 2.9, -1.0, -0.4], ddof=1) + eps))
    assert inputs.return_stats.count == 4


def _same(a, b):
    """Nested dicts of numpy arrays, tensors and numbers, equal bit for bit."""
    if isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys()
        for k in a:
            _same(a[k], b[k])
    elif isinstance(a, torch.Tensor):
        assert isinstance(b, torch.Tensor) and torch.equal(a, b)
    elif isinstance(a, np.ndarray):
        np.testing.assert_array_equal(a, b)
        assert a.dtype == np.asarray(b).dtype
    else:
        assert a == b


def test_evaluation_reads_the_input_statistics_without_changing_them():
    """The statistics are the training run's: features(update=False) and evaluate() leave them as they are."""
    inputs = _inputs()
    inputs.reset(np.array([1.0, 2.0]))
    inputs.step(np.array([3.0, -2.0]), 1.0, False)
    inputs.step(np.array([5.0, 0.0]), 2.0, False)
    before = copy.deepcopy(inputs.state_dict())
    out = inputs.features(np.array([7.0, 4.0]), 0.25, update=False)
    np.testing.assert_allclose(out, [4 / math.sqrt(4 + 1e-8), 4 / math.sqrt(4 + 1e-8), 0.25])
    _same(inputs.state_dict(), before)

    # a whole evaluation episode on Pendulum (3-dim observations, 200 steps)
    env = STREAM.make_env("Pendulum-v1", 0)
    torch.manual_seed(0)
    actor = STREAM.Actor(4, 1, 8, 2)
    pend = STREAM.StreamInput(3, 0.99, STREAM.episode_time_limit(env))
    assert pend.time_limit == 200
    pend.reset(np.array([1.0, 0.0, 0.5]))
    pend.step(np.array([0.5, 0.5, -1.0]), -1.0, False)
    before = copy.deepcopy(pend.state_dict())
    ret = STREAM.evaluate(actor, env, 1, 5, "cpu", pend)
    assert math.isfinite(ret)
    _same(pend.state_dict(), before)
    env.close()


def test_stream_input_state_dict_round_trips_exactly():
    """A checkpoint of the input statistics restores them bit for bit, and the next inputs match."""
    inputs = _inputs()
    rng = np.random.default_rng(0)
    inputs.reset(rng.normal(size=2))
    for k in range(5):
        inputs.step(rng.normal(size=2), float(rng.normal()), k == 2)
    saved = inputs.state_dict()
    snapshot = copy.deepcopy(saved)
    other = _inputs()
    other.load_state_dict(saved)
    _same(other.state_dict(), snapshot)
    obs, r = rng.normal(size=2), float(rng.normal())
    a, b = inputs.step(obs, r, False), other.step(obs, r, False)
    np.testing.assert_array_equal(a[0], b[0])
    assert a[1] == b[1]
    _same(saved, snapshot)  # the state dict is a copy: stepping did not change it


# --------------------------------------------------------------------------- stream_update

CFG = SimpleNamespace(gamma=0.9, entropy_coeff=0.5)


def _agent(module=STREAM, seed=0, obs_dim=3, act_dim=2, width=8, lr=1.0, lam=0.8):
    torch.manual_seed(seed)
    actor = module.Actor(obs_dim, act_dim, width, 2)
    module.stream_init(actor)
    critic = module.Critic(obs_dim, width, 2)
    module.stream_init(critic)
    actor_opt = module.ObGD(actor, lr, CFG.gamma, lam, 3.0)
    critic_opt = module.ObGD(critic, lr, CFG.gamma, lam, 2.0)
    return actor, critic, actor_opt, critic_opt


def _grad(net, loss_fn):
    """The gradient of loss_fn(copy of net) with respect to the copy's parameters, flat."""
    net = copy.deepcopy(net)
    params = list(net.parameters())
    return torch.cat([g.reshape(-1) for g in torch.autograd.grad(loss_fn(net), params)])


def _expected_step(lr, kappa, delta, z):
    bound = kappa * lr * max(abs(delta), 1.0) * z.abs().sum().item()
    return lr / bound if bound > 1 else lr


@pytest.mark.parametrize("done", [False, True])
def test_stream_update_td_error_and_critic_step(done):
    """update_params: delta = r + gamma*(1-done)*V(s') - V(s); the critic moves by -step*delta*grad(-V(s))."""
    actor, critic, actor_opt, critic_opt = _agent()
    torch.manual_seed(1)
    x, next_x = torch.randn(3), torch.randn(3)
    mu, std = actor(x)
    action = torch.normal(mu, std).detach()
    with torch.no_grad():
        v, v_next = critic(x).item(), critic(next_x).item()
    reward = 0.7
    expected_delta = reward + (0.0 if done else CFG.gamma * v_next) - v
    g = _grad(critic, lambda c: -c(x))
    w = _flat(critic)
    delta, actor_step, critic_step = STREAM.stream_update(
        critic, actor_opt, critic_opt, x, mu, std, action, reward, next_x, done, CFG
    )
    assert delta.item() == pytest.approx(expected_delta, rel=1e-5, abs=1e-6)
    assert critic_step.item() == pytest.approx(
        _expected_step(1.0, 2.0, expected_delta, g), rel=1e-5
    )
    torch.testing.assert_close(critic_opt.grads, g)
    torch.testing.assert_close(critic_opt.trace, torch.zeros_like(g) if done else g)
    torch.testing.assert_close(_flat(critic), w - critic_step * expected_delta * g)
    assert actor_step.dim() == 0 and 0 < actor_step.item() <= 1.0


def _actor_objective(x, action, sign):
    """The reference's policy loss: -(log_prob(a).sum()) - coeff * entropy().sum() * sign(delta)."""

    def loss(actor):
        dist = torch.distributions.Normal(*actor(x))
        return -dist.log_prob(action).sum() - CFG.entropy_coeff * dist.entropy().sum() * sign

    return loss


@pytest.mark.parametrize("reward", [5.0, -5.0])  # delta > 0, delta < 0: the entropy term flips
def test_stream_update_policy_gradient_is_the_normal_log_prob_and_entropy(reward):
    """update_params: the actor's gradient is that of -Normal.log_prob(a).sum() - c*sign(delta)*Normal.entropy().sum()."""
    actor, critic, actor_opt, critic_opt = _agent(seed=3)
    torch.manual_seed(4)
    x, next_x = torch.randn(3), torch.randn(3)
    mu, std = actor(x)
    action = torch.normal(mu, std).detach()
    w = _flat(actor)
    delta, actor_step, _ = STREAM.stream_update(
        critic, actor_opt, critic_opt, x, mu, std, action, reward, next_x, False, CFG
    )
    sign = 1.0 if reward > 0 else -1.0
    assert torch.sign(delta).item() == sign
    g = _grad_at(actor, w, _actor_objective(x, action, sign))
    torch.testing.assert_close(actor_opt.grads, g, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(actor_opt.trace, g, rtol=1e-5, atol=1e-6)
    assert actor_step.item() == pytest.approx(_expected_step(1.0, 3.0, delta.item(), g), rel=1e-5)
    torch.testing.assert_close(_flat(actor), w - actor_step * delta * g, rtol=1e-5, atol=1e-6)


def _grad_at(net, flat_params, loss_fn):
    """_grad of a copy of net whose parameters are set to flat_params (the values before an update)."""
    net = copy.deepcopy(net)
    offset = 0
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(flat_params[offset : offset + p.numel()].view_as(p))
            offset += p.numel()
    return _grad(net, loss_fn)


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_fused_policy_loss_is_the_reference_loss_up_to_a_constant(sign):
    """stream_update's z^2/2 + (1 - c sign) log std is -log N(a; mu, std^2) - c sign H(N), the
    reference's loss, minus n (log sqrt(2 pi) - c sign (1/2 + log sqrt(2 pi)))."""
    mu = torch.tensor([0.3, -1.2, 2.0])
    std = torch.tensor([0.5, 1.7, 0.05])
    action = torch.tensor([0.1, 0.4, 2.02])
    c, log_sqrt_2pi = 0.01, 0.5 * math.log(2 * math.pi)
    fused = 0.5 * ((action - mu) / std).square().sum() + ((1.0 - c * sign) * std.log()).sum()
    dist = torch.distributions.Normal(mu, std)
    reference = -dist.log_prob(action).sum() - c * sign * dist.entropy().sum()
    constant = 3 * (log_sqrt_2pi - c * sign * (0.5 + log_sqrt_2pi))
    torch.testing.assert_close(fused + constant, reference)


def test_stream_update_matches_the_reference_update_params_over_an_episode(reference):
    """stream_ac_continuous.py's update_params and optim.py's ObGD, step for step (reference)."""
    torch.manual_seed(11)
    agent = reference.StreamAC(n_obs=4, n_actions=2, hidden_size=16, lr=1.0, gamma=0.99, lamda=0.8)
    torch.manual_seed(11)
    actor = STREAM.Actor(4, 2, 16, 2)
    STREAM.stream_init(actor, 0.9)
    critic = STREAM.Critic(4, 16, 2)
    STREAM.stream_init(critic, 0.9)
    actor_opt = STREAM.ObGD(actor, 1.0, 0.99, 0.8, 3.0)
    critic_opt = STREAM.ObGD(critic, 1.0, 0.99, 0.8, 2.0)
    cfg = SimpleNamespace(gamma=0.99, entropy_coeff=0.01)
    rng = np.random.default_rng(0)
    s = rng.normal(size=4).astype(np.float32)
    for t in range(8):
        a = rng.normal(size=2).astype(np.float32)
        r, s_next, done = float(rng.normal()), rng.normal(size=4).astype(np.float32), t == 4
        agent.update_params(s, a, r, s_next, done, 0.01)
        x = torch.as_tensor(s)
        mu, std = actor(x)
        STREAM.stream_update(
            critic,
            actor_opt,
            critic_opt,
            x,
            mu,
            std,
            torch.as_tensor(a),
            r,
            torch.as_tensor(s_next),
            done,
            cfg,
        )
        for ours, theirs in ((actor, agent.policy_net), (critic, agent.value_net)):
            torch.testing.assert_close(_flat(ours), _flat(theirs), rtol=1e-4, atol=1e-5)
        s = s_next


# --------------------------------------------------------------------------- static sparsity


def _static_agent(prune=True):
    actor, critic, actor_opt, critic_opt = _agent(STATIC, seed=2, width=16)
    masks = {"actor": STATIC.Masks(actor), "critic": STATIC.Masks(critic)}
    cfg = SimpleNamespace(**vars(CFG), actor_sparsity_level=0.9, critic_sparsity_level=0.9)
    if prune:
        STATIC.prune_actor(masks["actor"], cfg)
        STATIC.prune_critic(masks["critic"], cfg)
    return (actor, critic), (actor_opt, critic_opt), masks, cfg


def _flat_mask(net, masks):
    """masks' 0/1 per parameter entry, in the flat order of flat_parameters (1 off the weights)."""
    by_id = {id(w): m for w, m in zip(masks.weights, masks.masks)}
    return torch.cat([by_id.get(id(p), torch.ones_like(p)).reshape(-1) for p in net.parameters()])


def _stream_steps(nets, opts, masks, cfg, n, seed):
    actor, critic = nets
    torch.manual_seed(seed)
    x = torch.randn(3)
    for t in range(n):
        mu, std = actor(x)
        action = torch.normal(mu, std).detach()
        next_x = torch.randn(3)
        STATIC.stream_update(
            critic,
            *opts,
            x,
            mu,
            std,
            action,
            float(torch.randn(())),
            next_x,
            t == n - 2,
            cfg,
            masks,
        )
        x = next_x


def test_static_masks_keep_pruned_weights_and_their_traces_at_zero():
    """sst with ObGD: masked gradients keep the traces, hence the pruned weights, at zero."""
    nets, opts, masks, cfg = _static_agent()
    for name in ("actor", "critic"):
        assert masks[name].sparsity() == pytest.approx(0.9, abs=0.01)
    _stream_steps(nets, opts, masks, cfg, 6, seed=5)
    for net, opt, name in zip(nets, opts, ("actor", "critic")):
        m = _flat_mask(net, masks[name])
        assert (_flat(net)[m == 0] == 0).all()
        assert (opt.trace[m == 0] == 0).all()
        assert (opt.trace[m == 1] != 0).any()  # the last step (no reset) left a trace
        assert (_flat(net)[m == 1] != 0).any()


def test_a_streaming_script_has_no_prune_at_flag():
    """A streaming agent takes its masks before its first step (ObGD's traces are not masked
    later): its script has no --MODULE-prune-at flag, so the flag is refused, never ignored."""
    names = {f.name for f in fields(STATIC.Config)}
    assert "actor_sparsity_level" in names and not {"actor_prune_at", "critic_prune_at"} & names


@pytest.mark.slow
def test_prune_at_after_the_start_is_refused_by_a_streaming_run(tmp_path, monkeypatch, capsys):
    """sst with --actor-prune-at 50: refused (exit 2), nothing written."""
    monkeypatch.chdir(tmp_path)
    args = [
        *("--env-id", "Pendulum-v1", "--actor-prune-at", "50", "--total-steps", "100"),
        *("--device", "cpu", "--threads", "1", "--run-dir", str(tmp_path / "run")),
    ]
    with pytest.raises(SystemExit) as exc:
        run_main(STATIC, args)
    assert exc.value.code == 2, capsys.readouterr().err
    assert not (tmp_path / "run").exists()


# --------------------------------------------------------------------------- exact resume

RESUME_ARGS = [
    *("--env-id", "Pendulum-v1", "--checkpoint-every", "300", "--log-every", "100"),
    *("--eval-every", "0", "--threads", "1", "--device", "cpu"),
]


@pytest.mark.slow
def test_streaming_run_resumed_mid_episode_reproduces_the_uninterrupted_run(tmp_path):
    """A run stopped at step 300 (mid-episode) and resumed to 600 equals one run of 600 steps."""
    script = GENERATED / "stream_ac.py"
    full, part = tmp_path / "full", tmp_path / "part"
    for args in (
        [*RESUME_ARGS, "--total-steps", "600", "--run-dir", str(full)],
        [*RESUME_ARGS, "--total-steps", "300", "--run-dir", str(part)],
        ["--resume", "--total-steps", "600", "--run-dir", str(part)],
    ):
        r = run_script(script, *args, cwd=tmp_path, timeout=300)
        assert r.returncode == 0, r.stderr[-3000:]
    assert "resuming" in r.stdout and "warning" not in r.stdout, r.stdout
    assert [int(row["step"]) for row in metrics_rows(full)] == [100, 200, 300, 400, 500, 600]
    assert metrics_rows(part) == metrics_rows(full)
    load = lambda d: torch.load(
        d / "model.pt", map_location="cpu", weights_only=False
    )  # noqa: E731
    a, b = load(full), load(part)
    assert set(a) == {"actor", "critic", "inputs"}
    _same(b, a)
