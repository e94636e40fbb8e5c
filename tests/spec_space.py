"""The spec language as a space: hypothesis strategies for the property tests.

`valid_specs()` draws specs that the language accepts, combining every feature the way
researchers do (algorithm x preset x architecture per module x sparsity regime per module x
allocation x criterion x revival x topology method x decay x schedule x dense layers x
diagnostics x reset x env suite x action repeat), sized for a short CPU run: Pendulum-v1 or a
cheap DeepMind Control task, tiny widths, a 300-step budget, and topology, diagnostics, reset
and checkpoint cadences that fire several times within it.
The rules of the language (specc/rules.py, docs/spec.md) are what the strategy respects;
anything it draws that the compiler rejects is a bug on one side or the other.

`schema_specs()` draws arbitrary instances of the JSON Schema (`specc schema`): mostly invalid
combinations, which the compiler must reject with located errors, never a crash.
"""

from __future__ import annotations

from hypothesis import strategies as st

from specc import catalog
from specc.catalog import (
    ACTIVATIONS,
    CRITERIA,
    DDPG_VARIANTS,
    DECAYS,
    DIAGNOSTICS_METRIC_KEYS,
    DISTRIBUTIONS,
    DORMANT_LAYERS,
    METRICS,
    OPTIMIZERS,
    REVIVAL_METHODS,
    SUPPORTED,
    TOPOLOGY_METHODS,
)

# The run every drawn spec is sized for (train keys in the spec itself, so that prune_at and
# snip's rules are checked against the same budget the run uses).
TOTAL_STEPS = 300
LEARNING_STARTS = 100
RUN = {
    "total_steps": TOTAL_STEPS,
    "learning_starts": LEARNING_STARTS,
    "batch_size": 32,
    "buffer_size": 1000,
}

# the state-observation algorithms (drqv2's pixel specs are drawn by tests/test_drqv2_functions
# and the golden runs until the strategy renders pixels: issue 27)
ALGORITHMS = tuple(
    a for a in SUPPORTED["algorithm"] if "state" in catalog.algorithm(a).observations
)
PRESETS = {
    "sac": (None, "cleanrl", "tar", "simba", "rlx2"),
    "td3": (None, "cleanrl", "tar", "rlx2", "ds_td3"),
    "ddpg": (None, "cleanrl", "tar", "simba"),
    "mrq": (None, "mrq"),
    "mrsac": (None, "mrq"),
    "stream_ac": (None, "stream"),
}
PRESET_ARCH = {
    None: "mlp",
    "cleanrl": "mlp",
    "tar": "mlp",
    "simba": "simba",
    "mrq": "mlp",
    "rlx2": "mlp",
    "ds_td3": "mlp",
    "stream": "stream",
}
# One env per suite. DMC's pendulum-swingup is its fastest task (~7k frames/s on one core;
# point_mass-easy ~5k, cartpole-swingup ~4k); its 1000-frame episodes outlast the 300-step
# budget, so a DMC run ends no episode in training (tests/test_envs.py runs one that does) but
# evaluates one whole episode. Pendulum-v1's 200-frame episodes end within it.
ENVS = {"gymnasium": "Pendulum-v1", "dmc": "pendulum-swingup"}
# the suites whose tasks give states and bounded continuous actions (the state specs' envs)
STATE_SUITES = tuple(
    s
    for s in SUPPORTED["suite"]
    if "state" in catalog.suite(s).observations and "box" in catalog.suite(s).actions
)


def _maybe(draw, strategy, p_none: float = 0.5):
    """A value of `strategy`, or None (the key left out) with probability about p_none."""
    return draw(strategy) if draw(st.integers(0, 99)) >= 100 * p_none else None


def _put(d: dict, key: str, value) -> None:
    if value is not None:
        d[key] = value


@st.composite
def network(draw, preset: str | None, algorithm: str) -> tuple[dict, str]:
    """A module's network keys and its effective arch."""
    arch = draw(st.sampled_from((None, *catalog.algorithm(algorithm).archs)))
    effective = arch or PRESET_ARCH[preset]
    net: dict = {}
    _put(net, "arch", arch)
    net["width"] = draw(st.sampled_from((8, 16, 24)))
    net["depth"] = draw(st.integers(1, 2))
    if effective == "mlp":
        _put(net, "activation", _maybe(draw, st.sampled_from(ACTIVATIONS)))
        _put(net, "layer_norm", _maybe(draw, st.booleans()))
    elif effective == "block":
        block_type = _maybe(draw, st.integers(1, 6))
        if block_type is not None:
            net["type"] = block_type
        else:
            _put(net, "activation", _maybe(draw, st.sampled_from(ACTIVATIONS)))
            _put(net, "layer_norm", _maybe(draw, st.booleans()))
            _put(net, "residual", _maybe(draw, st.booleans()))
    return net, effective


@st.composite
def sparsity(draw, module: str, preset: str | None = None, algorithm: str = "sac") -> dict:
    regime = draw(st.sampled_from(catalog.algorithm(algorithm).regimes))
    if regime == "dense":
        return draw(st.sampled_from(({}, {"regime": "dense"})))
    sp: dict = {"regime": regime, "level": draw(st.sampled_from((0.3, 0.5, 0.7, 0.9)))}
    fixed_mask = regime in ("sst", "dst")  # epsilon_er's Bernoulli masks: sst and dst only
    distributions = (
        DISTRIBUTIONS if fixed_mask else tuple(d for d in DISTRIBUTIONS if d != "epsilon_er")
    )
    distribution = _maybe(draw, st.sampled_from(distributions), 0.3)
    if distribution is None and preset == "ds_td3" and not fixed_mask:
        distribution = "er"  # the preset's epsilon_er does not apply to a level schedule
    bernoulli = distribution == "epsilon_er" or (
        distribution is None and preset == "ds_td3" and fixed_mask
    )
    if bernoulli:  # no level (no budget), random Bernoulli draws
        del sp["level"]
        if distribution == "epsilon_er" and (preset != "ds_td3" or draw(st.booleans())):
            sp["epsilon"] = draw(st.sampled_from(([7.0, 64.0], [20.0], [2, 4, 8])))
    if regime in ("sst", "dst"):
        # 'global' ranks all weights by one score: it needs a scoring criterion
        choices = CRITERIA[1:] if distribution == "global" else CRITERIA
        choices = ("random",) if bernoulli else choices
        # rlx2's own criterion (magnitude) would apply to Bernoulli masks left without one
        criterion = (
            draw(st.sampled_from(choices))
            if distribution == "global" or (bernoulli and preset == "rlx2")
            else _maybe(draw, st.sampled_from(choices))
        )
        _put(sp, "criterion", criterion)
        if criterion == "snip":  # a replay batch: after the warm-up
            sp["prune_at"] = draw(st.sampled_from((LEARNING_STARTS, 150)))
        else:
            _put(sp, "prune_at", _maybe(draw, st.sampled_from((0, 50, 150))))
    _put(sp, "distribution", distribution)
    dense = _maybe(draw, st.sampled_from((["input"], ["output"], ["input", "output"], [])))
    _put(sp, "dense_layers", dense)
    if regime == "sst":
        method = _maybe(draw, st.sampled_from(REVIVAL_METHODS))
        if method == "none":
            sp["revival"] = {"method": "none"}
        elif method is not None:
            sp["revival"] = {"method": method, "ratio": draw(st.sampled_from((0.05, 0.1, 0.3)))}
    if regime != "sst":
        methods = tuple(m for m in TOPOLOGY_METHODS if module == "critic" or m != "importance")
        method = (
            draw(st.sampled_from(methods))
            if regime == "dst"
            else _maybe(draw, st.sampled_from(methods))
        )
        topology: dict = {"every": draw(st.sampled_from((5, 10, 20)))}
        _put(topology, "method", method)
        if method is not None or regime != "d2s":  # d2s without a method prunes only
            _put(topology, "drop_fraction", _maybe(draw, st.sampled_from((0.1, 0.3, 0.5))))
            _put(topology, "decay", _maybe(draw, st.sampled_from(DECAYS)))
            _put(topology, "end", _maybe(draw, st.sampled_from((0.5, 0.75, 1.0))))
        if regime == "dst":  # the RLx2 / DS-TD3 variants of the topology
            _put(topology, "drop", _maybe(draw, st.sampled_from(catalog.TOPOLOGY_DROPS), 0.7))
            for key in ("reset_moments", "mask_gradients", "skip_step", "grow_last"):
                _put(topology, key, _maybe(draw, st.booleans(), 0.7))
            if not catalog.algorithm(algorithm).encoded:  # hard target copies: mask only
                _put(
                    topology, "targets", _maybe(draw, st.sampled_from(catalog.TARGET_MASKINGS), 0.7)
                )
        sp["topology"] = topology
    if regime in ("d2s", "s2d"):
        schedule: dict = {}
        start = _maybe(draw, st.sampled_from((0.0, 0.1, 0.3)))
        end = _maybe(draw, st.sampled_from((0.5, 0.8, 1.0)))
        _put(schedule, "start", start)
        _put(schedule, "end", end)
        _put(schedule, "power", _maybe(draw, st.sampled_from((1, 2, 3))))
        if schedule:
            sp["schedule"] = schedule
    return sp


def _learned_temperature(algorithm: str, preset: str | None, train: dict) -> bool:
    """The spec's alpha, else its preset's (tar fixes it at 0.35): is it learned?"""
    presets = catalog.PRESETS[preset or catalog.algorithm(algorithm).default_preset]
    alpha = train.get("alpha", presets.train[algorithm].get("alpha", "auto"))
    return catalog.algorithm(algorithm).learned_temperature(alpha)


@st.composite
def train(draw, algorithm: str, preset: str | None) -> dict:
    t = dict(RUN)
    _put(t, "gamma", _maybe(draw, st.sampled_from((0.99, "auto")), 0.7))
    _put(t, "update_every", _maybe(draw, st.sampled_from((1, 2, 50)), 0.7))
    _put(t, "updates_per_step", _maybe(draw, st.sampled_from((1, 2)), 0.7))
    _put(t, "policy_delay", _maybe(draw, st.sampled_from((1, 2)), 0.6))
    optimizer = _maybe(draw, st.sampled_from(OPTIMIZERS), 0.6)
    _put(t, "optimizer", optimizer)
    _put(t, "weight_decay", _maybe(draw, st.sampled_from((0.0, 0.01)), 0.7))
    _put(t, "grad_clip", _maybe(draw, st.sampled_from((0.0, 1.0)), 0.7))
    if catalog.algorithm(algorithm).encoded:
        return encoded_train(draw, algorithm, preset, t)
    if algorithm == "sac":
        alpha = _maybe(draw, st.sampled_from(("auto", 0.2)), 0.6)
        _put(t, "alpha", alpha)
        if _learned_temperature(algorithm, preset, t):
            _put(t, "alpha_init", _maybe(draw, st.sampled_from((0.1, 1.0)), 0.7))
            _put(t, "target_entropy", _maybe(draw, st.sampled_from(("auto", "half", -1.5)), 0.7))
        _put(t, "clipped_double_q", _maybe(draw, st.booleans(), 0.7))
    else:
        _put(t, "exploration_noise", _maybe(draw, st.sampled_from((0.1, 0.2)), 0.7))
    if algorithm == "ddpg":
        _put(t, "ddpg_variant", _maybe(draw, st.sampled_from(DDPG_VARIANTS), 0.6))
    if algorithm == "td3":
        _put(t, "policy_noise", _maybe(draw, st.sampled_from((0.1, 0.2)), 0.7))
        _put(t, "noise_clip", _maybe(draw, st.sampled_from((0.3, 0.5)), 0.7))
    # RLx2's multi-step target and dynamic buffer (their keys only while switched on)
    ptrain = catalog.PRESETS[preset or catalog.algorithm(algorithm).default_preset].train[algorithm]
    _put(t, "n_step", _maybe(draw, st.sampled_from((1, 2, 3)), 0.6))
    if t.get("n_step", ptrain.get("n_step", 1)) > 1:
        _put(t, "n_step_start", _maybe(draw, st.sampled_from((0, 150)), 0.5))
    _put(t, "buffer_check_every", _maybe(draw, st.sampled_from((0, 50)), 0.6))
    if t.get("buffer_check_every", ptrain.get("buffer_check_every", 0)) > 0:
        _put(t, "buffer_threshold", _maybe(draw, st.sampled_from((0.0, 0.2)), 0.5))
        _put(t, "buffer_min_size", _maybe(draw, st.sampled_from((0, 120)), 0.5))
        _put(t, "buffer_drop_fraction", _maybe(draw, st.sampled_from((0.1, 0.5)), 0.5))
        _put(t, "buffer_drop", _maybe(draw, st.sampled_from(catalog.BUFFER_DROPS), 0.5))
    return t


def encoded_train(draw, algorithm: str, preset: str | None, common: dict) -> dict:
    """MR.Q's and MR.SAC's keys (no update_every, updates_per_step, policy_delay); bursts of
    target_every encoder updates kept short for the run budget."""
    t = {k: v for k, v in common.items() if k in catalog.algorithm(algorithm).train_keys}
    t["target_every"] = draw(st.sampled_from((10, 40)))
    _put(t, "encoder_horizon", _maybe(draw, st.integers(1, 5), 0.6))
    _put(t, "value_horizon", _maybe(draw, st.integers(1, 3), 0.6))
    _put(t, "lap_alpha", _maybe(draw, st.sampled_from((0.0, 0.4)), 0.7))
    _put(t, "reward_bins", _maybe(draw, st.sampled_from((2, 65)), 0.7))
    _put(t, "terminal_reward", _maybe(draw, st.sampled_from(catalog.TERMINAL_REWARDS), 0.6))
    if algorithm == "mrq":
        _put(t, "exploration_noise", _maybe(draw, st.sampled_from((0.1, 0.2)), 0.7))
        _put(t, "noise_clip", _maybe(draw, st.sampled_from((0.3, 0.5)), 0.7))
    else:
        alpha = _maybe(draw, st.sampled_from(("auto", 0.2)), 0.6)
        _put(t, "alpha", alpha)
        if _learned_temperature(algorithm, preset, t):
            _put(t, "target_entropy", _maybe(draw, st.sampled_from(("auto", "half", -1.5)), 0.7))
    return t


@st.composite
def env(draw) -> dict:
    """A suite's env, its suite written out or left to the default, and an action repeat (left
    out: the suite's default, 1 on gymnasium and 2 on dmc)."""
    suite = draw(st.sampled_from(STATE_SUITES))
    e: dict = {"id": ENVS[suite]}
    if suite != catalog.DEFAULTS["env.suite"] or draw(st.integers(0, 99)) < 20:
        e["suite"] = suite
    _put(e, "action_repeat", _maybe(draw, st.sampled_from((1, 2))))
    return e


@st.composite
def stream_sparsity(draw) -> dict:
    """A streaming agent's module: its preset's SparseInit (left out), dense, SparseInit at a
    level, or static masks taken before the first step (no snip: no replay batch)."""
    regime = draw(st.sampled_from((None, "dense", "sparse_init", "sst")))
    if regime is None:
        return {}
    sp: dict = {"regime": regime}
    if regime == "sparse_init":
        _put(sp, "level", _maybe(draw, st.sampled_from((0.0, 0.5, 0.9))))
    elif regime == "sst":
        distribution = _maybe(draw, st.sampled_from(DISTRIBUTIONS), 0.4)
        if distribution != "epsilon_er":
            sp["level"] = draw(st.sampled_from((0.3, 0.5, 0.9)))
        else:  # budget-free Bernoulli masks: one eps per layer
            sp["epsilon"] = draw(st.sampled_from(([7.0, 64.0], [2.0])))
        _put(sp, "distribution", distribution)
        if distribution == "global":
            sp["criterion"] = draw(st.sampled_from(("magnitude", "synflow")))
        elif distribution != "epsilon_er":
            _put(sp, "criterion", _maybe(draw, st.sampled_from(("random", "magnitude", "synflow"))))
        _put(sp, "dense_layers", _maybe(draw, st.sampled_from((["input"], ["output"], []))))
        method = _maybe(draw, st.sampled_from(REVIVAL_METHODS), 0.7)
        if method not in (None, "none") and distribution != "epsilon_er":
            sp["revival"] = {"method": method, "ratio": draw(st.sampled_from((0.05, 0.3)))}
    return sp


def streaming_spec(draw, spec: dict, algorithm: str) -> dict:
    """A streaming agent's train keys and networks (no buffer, batch, warm-up or diagnostics)."""
    t: dict = {"total_steps": TOTAL_STEPS}
    _put(t, "gamma", _maybe(draw, st.sampled_from((0.9, 0.99)), 0.6))
    _put(t, "td_lambda", _maybe(draw, st.sampled_from((0.0, 0.8, 1.0)), 0.6))
    _put(t, "actor_lr", _maybe(draw, st.sampled_from((0.1, 1.0)), 0.7))
    _put(t, "critic_lr", _maybe(draw, st.sampled_from((0.1, 1.0)), 0.7))
    _put(t, "actor_kappa", _maybe(draw, st.sampled_from((1.0, 3.0)), 0.7))
    _put(t, "critic_kappa", _maybe(draw, st.sampled_from((1.0, 2.0)), 0.7))
    _put(t, "entropy_coeff", _maybe(draw, st.sampled_from((0.0, 0.01)), 0.7))
    spec["train"] = t
    networks = {}
    for module in catalog.algorithm(algorithm).modules:
        net: dict = {}
        _put(net, "arch", _maybe(draw, st.sampled_from(catalog.algorithm(algorithm).archs)))
        net["width"] = draw(st.sampled_from((8, 16, 24)))
        _put(net, "depth", _maybe(draw, st.integers(1, 3)))
        sp = draw(stream_sparsity())
        if sp:
            net["sparsity"] = sp
        networks[module] = net
    spec["networks"] = networks
    spec["eval"] = {"every": TOTAL_STEPS, "episodes": 1}
    spec["checkpoint"] = {"every": draw(st.sampled_from((0, 150)))}
    spec["logging"] = {"tensorboard": False, "every": 50}
    spec["env"] = draw(env())
    return spec


@st.composite
def valid_specs(draw) -> dict:
    """A valid spec (a plain dict, written out as YAML by the tests)."""
    algorithm = draw(st.sampled_from(ALGORITHMS))
    preset = draw(st.sampled_from(PRESETS[algorithm]))
    spec: dict = {"specc": 1, "name": "prop", "algorithm": algorithm}
    _put(spec, "preset", preset)
    spec["seed"] = draw(st.integers(0, 3))
    if catalog.algorithm(algorithm).loop == "streaming":
        return streaming_spec(draw, spec, algorithm)
    spec["env"] = {}  # drawn last (the draws before it keep the sample they had without it)
    spec["train"] = draw(train(algorithm, preset))
    networks, regimes = {}, {}
    for module in catalog.algorithm(algorithm).modules:
        net, _ = draw(network(preset, algorithm))
        sp = draw(sparsity(module, preset, algorithm))
        if sp:
            net["sparsity"] = sp
        networks[module] = net
        regimes[module] = sp.get("regime", "dense")
    spec["networks"] = networks
    spec["eval"] = {"every": TOTAL_STEPS, "episodes": 1}
    spec["checkpoint"] = {"every": draw(st.sampled_from((0, 150)))}
    spec["logging"] = {"tensorboard": False, "every": 50}
    if draw(st.booleans()):
        metrics = draw(
            st.lists(st.sampled_from(METRICS), min_size=1, max_size=len(METRICS), unique=True)
        )
        diagnostics: dict = {"every": 50, "metrics": metrics}
        if set(metrics) & set(DIAGNOSTICS_METRIC_KEYS["batch_size"]):
            diagnostics["batch_size"] = 16
        if "grad_interference" in metrics:
            diagnostics["interference_samples"] = draw(st.sampled_from((2, 4)))
        if "dormant_ratio" in metrics:
            _put(
                diagnostics,
                "dormant_layers",
                _maybe(draw, st.sampled_from(DORMANT_LAYERS)),
            )
        spec["diagnostics"] = diagnostics
    if draw(st.integers(0, 99)) < 30:
        modules = draw(
            st.lists(
                st.sampled_from(catalog.algorithm(algorithm).modules),
                min_size=1,
                max_size=3,
                unique=True,
            )
        )
        reset: dict = {"every": 120, "modules": modules}
        scheduled = any(regimes[m] in ("d2s", "s2d") for m in modules)
        _put(reset, "keep_mask", True if scheduled else _maybe(draw, st.booleans()))
        if _learned_temperature(algorithm, preset, spec["train"]):
            _put(reset, "temperature", _maybe(draw, st.booleans()))
        spec["reset"] = reset
    spec["env"] = draw(env())
    return spec


# the pixel-observation algorithms: their specs are drawn by pixel_specs()
PIXEL_ALGORITHMS = tuple(
    a
    for a in SUPPORTED["algorithm"]
    if "pixels" in catalog.algorithm(a).observations and "box" in catalog.algorithm(a).actions
)
PIXEL_PRESETS = {"drqv2": (None, "drqv2"), "mrq": (None, "mrq")}
# DMC's cheapest task to render (cartpole: ~80 frames/s at 84 x 84 on one core, more at 16-32)
PIXEL_ENV = "cartpole-swingup"


@st.composite
def pixel_sparsity(draw, module: str, preset: str | None, algorithm: str, shared: bool) -> dict:
    """sparsity() on a pixel agent's module: no snip (its random batch is the state buffer's:
    a located not-implemented error), and where a module shares its optimizer with another
    sparse one (DrQ-v2's critic and encoder) none of DS-TD3's step variants (the same)."""
    sp = draw(sparsity(module, preset, algorithm))
    if sp.get("criterion") == "snip":  # ('global' ranks by a score: magnitude, not random)
        sp["criterion"] = "magnitude" if sp.get("distribution") == "global" else "random"
        sp.pop("prune_at", None)
    if shared:
        for key in ("skip_step", "mask_gradients"):
            sp.get("topology", {}).pop(key, None)
    return sp


@st.composite
def pixel_specs(draw, algorithm: str = "", atari: bool = False) -> dict:
    """A valid spec of an agent that sees pixels: tiny frames (16-32 pixels), a narrow conv
    encoder, every regime on each module, conv encoder included. With atari (MR.Q's discrete
    branch, from discrete_specs): an Atari game, the suite's protocol keys and the keys of
    discrete actions drawn."""
    algorithm = algorithm or draw(st.sampled_from(PIXEL_ALGORITHMS))
    preset = draw(st.sampled_from(PIXEL_PRESETS[algorithm]))
    record = catalog.algorithm(algorithm)
    spec: dict = {"specc": 1, "name": "prop", "algorithm": algorithm}
    _put(spec, "preset", preset)
    spec["seed"] = draw(st.integers(0, 3))
    t = dict(RUN)
    if record.encoded:  # MR.Q: its keys as on states
        t = encoded_train(draw, algorithm, preset, t)
    else:
        _put(t, "update_every", _maybe(draw, st.sampled_from((1, 2)), 0.6))
        _put(t, "n_step", _maybe(draw, st.sampled_from((1, 3)), 0.6))
        _put(t, "stddev_steps", _maybe(draw, st.sampled_from((100, 1000)), 0.6))
        t["feature_dim"] = draw(st.sampled_from((8, 16)))  # (50 by default: kept small here)
    _put(t, "random_shift", _maybe(draw, st.sampled_from((0, 2)), 0.6))
    _put(t, "optimizer", _maybe(draw, st.sampled_from(OPTIMIZERS), 0.7))
    if atari:
        _put(t, "gumbel_tau", _maybe(draw, st.sampled_from((1.0, 10.0)), 0.6))
        _put(t, "eval_epsilon", _maybe(draw, st.sampled_from((0.0, 0.05)), 0.6))
    spec["train"] = t
    networks, regimes, sparse = {}, {}, set()
    for module in record.modules:
        net: dict = {}
        if module == "encoder" and not record.encoded:  # DrQ-v2's conv encoder
            _put(net, "arch", _maybe(draw, st.just("conv")))
            net["width"] = draw(st.sampled_from((4, 8)))
            net["depth"] = draw(st.integers(1, 3))
        elif module == "encoder":  # MR.Q's: its pixel stem, then an mlp or block f_sa
            _put(net, "arch", _maybe(draw, st.sampled_from(record.archs)))
            net["width"] = draw(st.sampled_from((16, 32)))
            net["depth"] = draw(st.integers(1, 2))
        else:
            net["width"] = draw(st.sampled_from((8, 16)))
            net["depth"] = draw(st.integers(1, 2))
        shared = any(record.optimizer(m) == record.optimizer(module) for m in sparse)
        sp = draw(pixel_sparsity(module, preset, algorithm, shared))
        if sp:
            net["sparsity"] = sp
            if catalog.regime(sp["regime"]).sparse:
                sparse.add(module)
        networks[module] = net
        regimes[module] = sp.get("regime", "dense")
    # (a module drawn before its optimizer's other sparse module may still carry a variant)
    for module in sparse:
        if any(m != module and record.optimizer(m) == record.optimizer(module) for m in sparse):
            for key in ("skip_step", "mask_gradients"):
                networks[module]["sparsity"].get("topology", {}).pop(key, None)
    spec["networks"] = networks
    spec["eval"] = {"every": TOTAL_STEPS, "episodes": 1}
    spec["checkpoint"] = {"every": draw(st.sampled_from((0, 150)))}
    spec["logging"] = {"tensorboard": False, "every": 50}
    if draw(st.booleans()):
        metrics = draw(st.lists(st.sampled_from(METRICS), min_size=1, max_size=3, unique=True))
        diagnostics: dict = {"every": 50, "metrics": metrics}
        if set(metrics) & set(DIAGNOSTICS_METRIC_KEYS["batch_size"]):
            diagnostics["batch_size"] = 16
        if "grad_interference" in metrics:
            diagnostics["interference_samples"] = 2
        spec["diagnostics"] = diagnostics
    if draw(st.integers(0, 99)) < 25:
        modules = draw(
            st.lists(st.sampled_from(record.modules), min_size=1, max_size=3, unique=True)
        )
        reset: dict = {"every": 120, "modules": modules}
        scheduled = any(regimes[m] in ("d2s", "s2d") for m in modules)
        _put(reset, "keep_mask", True if scheduled else _maybe(draw, st.booleans()))
        spec["reset"] = reset
    if atari:
        spec["env"] = draw(atari_env(32, 36))
        return spec
    e: dict = {"suite": "dmc", "id": PIXEL_ENV}
    # (mrq's default observation on dmc is state; its pixel stem needs frames of 31 pixels)
    _put(e, "observation", "pixels" if record.encoded else _maybe(draw, st.just("pixels")))
    e["image_size"] = draw(st.sampled_from((32, 36) if record.encoded else (16, 24, 32)))
    _put(e, "frame_stack", _maybe(draw, st.sampled_from((1, 2, 3))))
    _put(e, "action_repeat", _maybe(draw, st.sampled_from((1, 2))))
    spec["env"] = e
    return spec


@st.composite
def atari_env(draw, *sizes: int) -> dict:
    """The env section of an Atari spec: Pong at one of these frame sizes, the suite's protocol
    keys drawn (each may be left to the preset or the suite)."""
    e: dict = {"suite": "atari", "id": DISCRETE_ENV}
    e["image_size"] = draw(st.sampled_from(sizes))
    _put(e, "frame_stack", _maybe(draw, st.sampled_from((1, 2, 4))))
    _put(e, "action_repeat", _maybe(draw, st.sampled_from((1, 4))))
    _put(e, "sticky_actions", _maybe(draw, st.sampled_from((0.0, 0.25))))
    _put(e, "terminal_on_life_loss", _maybe(draw, st.booleans()))
    _put(e, "clip_rewards", _maybe(draw, st.booleans()))
    _put(e, "noop_max", _maybe(draw, st.sampled_from((0, 30))))
    _put(e, "stack_padding", _maybe(draw, st.sampled_from(catalog.STACK_PADDINGS)))
    return e


def schema_specs(schema: dict):
    """Instances of the JSON Schema: structurally plausible, mostly invalid specs."""
    from hypothesis_jsonschema import from_schema

    return from_schema(schema)


# the algorithms of discrete actions (Atari): their specs are drawn by discrete_specs()
DISCRETE_ALGORITHMS = tuple(
    a for a in SUPPORTED["algorithm"] if "discrete" in catalog.algorithm(a).actions
)
# Pong: a game ends within ~1000 agent steps even for a poor policy (the evaluation episode)
DISCRETE_ENV = "Pong"


@st.composite
def discrete_specs(draw) -> dict:
    """A valid spec of an agent of discrete actions on Atari (DER; MR.Q through pixel_specs): tiny frames (16-24 pixels),
    a narrow IMPALA or Nature CNN, every regime on each module (the encoder's kernels and the
    noisy head's matrices), the atari suite's protocol keys and DER's own keys drawn."""
    algorithm = draw(st.sampled_from(DISCRETE_ALGORITHMS))
    record = catalog.algorithm(algorithm)
    if record.encoded:  # MR.Q's discrete branch: its pixel spec on an Atari game
        return draw(pixel_specs(algorithm, atari=True))
    preset = draw(st.sampled_from((None, "der")))
    spec: dict = {"specc": 1, "name": "prop", "algorithm": algorithm}
    _put(spec, "preset", preset)
    spec["seed"] = draw(st.integers(0, 3))
    t = dict(RUN)
    _put(t, "update_every", _maybe(draw, st.sampled_from((1, 2)), 0.6))
    _put(t, "n_step", _maybe(draw, st.sampled_from((1, 3)), 0.5))
    t["target_every"] = draw(st.sampled_from((50, 100)))
    _put(t, "num_atoms", _maybe(draw, st.sampled_from((5, 11)), 0.5))
    _put(t, "noisy_sigma", _maybe(draw, st.sampled_from((0.0, 0.1)), 0.6))
    _put(t, "priority_exponent", _maybe(draw, st.sampled_from((0.0, 1.0)), 0.6))
    _put(t, "priority_weight", _maybe(draw, st.sampled_from((0.0, 1.0)), 0.6))
    _put(t, "grad_clip", _maybe(draw, st.sampled_from((0.0, 10.0)), 0.6))
    _put(t, "eval_epsilon", _maybe(draw, st.sampled_from((0.0, 0.05)), 0.6))
    spec["train"] = t
    networks, regimes, sparse = {}, {}, set()
    for module in record.modules:
        net: dict = {}
        if module == "encoder":
            arch = draw(st.sampled_from(record.module_archs["encoder"]))
            _put(net, "arch", arch if arch != "impala" else _maybe(draw, st.just(arch)))
            net["width"] = draw(st.sampled_from((2, 4)))
            if arch == "impala":
                net["depth"] = draw(st.integers(1, 2))
        else:
            net["width"] = draw(st.sampled_from((8, 16)))
            net["depth"] = draw(st.integers(1, 2))
        shared = any(record.optimizer(m) == record.optimizer(module) for m in sparse)
        sp = draw(pixel_sparsity(module, preset, algorithm, shared))
        if sp:
            net["sparsity"] = sp
            if catalog.regime(sp["regime"]).sparse:
                sparse.add(module)
        networks[module] = net
        regimes[module] = sp.get("regime", "dense")
    for module in sparse:  # (as pixel_specs: one optimizer steps both modules)
        if any(m != module and record.optimizer(m) == record.optimizer(module) for m in sparse):
            for key in ("skip_step", "mask_gradients"):
                networks[module]["sparsity"].get("topology", {}).pop(key, None)
    if draw(st.booleans()):  # der's networks may be left out when both are the preset's
        spec["networks"] = networks
    else:
        regimes = {m: "dense" for m in record.modules}
    spec["eval"] = {"every": TOTAL_STEPS, "episodes": 1}
    spec["checkpoint"] = {"every": draw(st.sampled_from((0, 150)))}
    spec["logging"] = {"tensorboard": False, "every": 50}
    if draw(st.booleans()):
        metrics = draw(st.lists(st.sampled_from(METRICS), min_size=1, max_size=3, unique=True))
        diagnostics: dict = {"every": 50, "metrics": metrics}
        if set(metrics) & set(DIAGNOSTICS_METRIC_KEYS["batch_size"]):
            diagnostics["batch_size"] = 16
        if "grad_interference" in metrics:
            diagnostics["interference_samples"] = 2
        spec["diagnostics"] = diagnostics
    if draw(st.integers(0, 99)) < 25:
        modules = draw(
            st.lists(st.sampled_from(record.modules), min_size=1, max_size=2, unique=True)
        )
        reset: dict = {"every": 120, "modules": modules}
        scheduled = any(regimes[m] in ("d2s", "s2d") for m in modules)
        _put(reset, "keep_mask", True if scheduled else _maybe(draw, st.booleans()))
        spec["reset"] = reset
    spec["env"] = draw(atari_env(16, 24))
    return spec
