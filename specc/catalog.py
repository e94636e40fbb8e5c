"""The compiler's tables, each fact of the spec language once: its enumerations, which keys
apply where, the help text of every key, preset defaults with their sources, and specc's own
defaults. The schema (and so the JSON Schema), the rules, resolve, lower, the generated Config
comments and the docs tests read them. Adding an algorithm (MR.Q), a preset, an architecture
or a regime is entries here plus its templates: the stages look algorithms up in these tables
(TRAIN_KEYS, MODULES, ENSEMBLES, TARGETS, ...) rather than testing their names.

Every preset value carries the source it was taken from; the sources are cited in the
generated config (one comment per preset group) and by ``specc explain``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# --------------------------------------------------------------------------- enumerations
# Every enumeration of the spec language, once: the pydantic schema (and so the JSON Schema and
# the "expected one of" errors), the rules, resolve and the docs read these. Order matters: it
# is the order users see in errors and in `specc schema`.
ALGORITHMS = ("sac", "td3", "ddpg", "mrq", "mrsac")
SUITES = ("gymnasium", "dmc")
OPTIMIZERS = ("adam", "adamw")
DDPG_VARIANTS = ("cleanrl", "simba")
ARCHS = ("mlp", "block", "simba")
ACTIVATIONS = ("relu", "elu")
MODULE_NAMES = ("actor", "critic", "encoder")
REGIMES = ("dense", "sst", "dst", "d2s", "s2d")
# er_float: RLx2's ER (its budget from the float S * N_l, not floor); epsilon_er: SET's and Sokar
# et al.'s budget-free ER, a Bernoulli mask of density eps_l (n_in + n_out) / (n_in n_out)
DISTRIBUTIONS = ("uniform", "er", "erk", "global", "er_float", "epsilon_er")
CRITERIA = ("random", "magnitude", "synflow", "snip")
DENSE_LAYER_ROLES = ("input", "output")
REVIVAL_METHODS = ("none", "uniform", "tar")
TOPOLOGY_METHODS = ("set", "rigl", "importance")
DECAYS = ("cosine", "constant", "linear")
# Which active weights a topology update drops: the smallest |w| of the layer (RigL, SET as
# specc's default), or the zeta fraction of the positive and of the negative weights closest to
# zero (Sokar et al.'s SET, sign_split)
TOPOLOGY_DROPS = ("magnitude", "sign_split")
# How a sparse module's target network follows the online masks: multiplied by the same masks
# (specc, RLx2), or pruned to the online layer's non-zero count by magnitude after every Polyak
# step (Sokar et al.'s DS-TD3 code)
TARGET_MASKINGS = ("mask", "count")
# Topology keys of the dst regime only (d2s/s2d own their counts through the schedule): the
# reference variants of RLx2 and DS-TD3
DST_ONLY_TOPOLOGY_KEYS = (
    "drop",
    "reset_moments",
    "mask_gradients",
    "skip_step",
    "targets",
    "grow_last",
)
# The dynamic-capacity buffer (RLx2): one drop of buffer_drop_fraction per check (its code), or
# drops repeated while the policy distance stays above the threshold (its paper's text)
BUFFER_DROPS = ("once", "until_below")
METRICS = ("dormant_ratio", "srank", "grad_norm", "param_norm", "grad_interference")
DORMANT_LAYERS = ("auto", "dense_outputs", "activations")
# MR.Q: whether the multi-step value target keeps the reward of the terminating transition
# (MR.Q's code drops it: ../shared/reference/mrq_simba.md 1.9.1).
TERMINAL_REWARDS = ("dropped", "kept")

# What this version of the compiler generates; everything else in the language validates, then
# is reported as not implemented yet, at the key that asks for it.
SUPPORTED: dict[str, tuple[str, ...]] = {
    "algorithm": ("sac", "td3", "ddpg", "mrq", "mrsac"),
    "arch": ARCHS,
    "regime": REGIMES,
    "topology": TOPOLOGY_METHODS,
    "suite": SUITES,
}

# Which sparsity keys apply to which regime.
REGIME_KEYS: dict[str, tuple[str, ...]] = {
    "dense": ("regime",),
    "sst": (
        "regime",
        "level",
        "distribution",
        "epsilon",
        "criterion",
        "prune_at",
        "dense_layers",
        "revival",
    ),
    "dst": (
        "regime",
        "level",
        "distribution",
        "epsilon",
        "criterion",
        "prune_at",
        "dense_layers",
        "topology",
    ),
    "d2s": ("regime", "level", "distribution", "dense_layers", "topology", "schedule"),
    "s2d": ("regime", "level", "distribution", "dense_layers", "topology", "schedule"),
}

# Diagnostics keys that only some metrics use (grad_norm and param_norm need no replay batch).
DIAGNOSTICS_METRIC_KEYS: dict[str, tuple[str, ...]] = {
    "dormant_tau": ("dormant_ratio",),
    "dormant_layers": ("dormant_ratio",),
    "srank_delta": ("srank",),
    "batch_size": ("dormant_ratio", "srank", "grad_interference"),
    "interference_samples": ("grad_interference",),
}

# Metrics that read a module's hidden activations (its class gets an activations() method).
ACTIVATION_METRICS = ("dormant_ratio", "srank")
# Metrics of gradients, which count only a sparse module's active weights (its mask).
MASKED_METRICS = ("grad_norm", "grad_interference")

COMMON_TRAIN_KEYS = (
    "total_steps",
    "learning_starts",
    "batch_size",
    "buffer_size",
    "gamma",
    "tau",
    "update_every",
    "updates_per_step",
    "actor_lr",
    "critic_lr",
    "optimizer",
    "weight_decay",
    "grad_clip",
)

# RLx2's delayed multi-step TD target and dynamic-capacity buffer (Tan et al. 2023): keys of
# every algorithm with a one-step TD target. They have no preset value outside `rlx2`: absent,
# the target is one-step and the buffer's capacity fixed (TRAIN_KEY_GATES).
RLX2_TRAIN_KEYS = (
    "n_step",
    "n_step_start",
    "buffer_check_every",
    "buffer_threshold",
    "buffer_min_size",
    "buffer_drop_fraction",
    "buffer_drop",
)

# Which train keys an algorithm uses (in the order they appear in the generated config).
# `exploration_noise` is listed as "common" by SPEC_LANGUAGE.md but SAC explores by sampling its
# policy, so for SAC it is a key that "the chosen algorithm does not use" and is rejected.
# `policy_delay` is accepted for DDPG: CleanRL's DDPG updates its actor every 2 steps.
# `ddpg_variant` (specc): CleanRL's DDPG (target actor, noise-free losses) or SimBa's (no target
# actor, exploration noise in the actor loss and the target action, actor-first update order).
TRAIN_KEYS: dict[str, tuple[str, ...]] = {
    "sac": COMMON_TRAIN_KEYS
    + ("alpha", "alpha_init", "alpha_lr", "target_entropy", "policy_delay", "clipped_double_q")
    + RLX2_TRAIN_KEYS,
    "td3": COMMON_TRAIN_KEYS
    + ("exploration_noise", "policy_delay", "policy_noise", "noise_clip")
    + RLX2_TRAIN_KEYS,
    "ddpg": COMMON_TRAIN_KEYS
    + ("exploration_noise", "policy_delay", "ddpg_variant")
    + RLX2_TRAIN_KEYS,
    # MR.Q (Fujimoto et al. 2025): hard target copies every target_every updates (no tau), one
    # RL update per agent step (replay ratio 1), the value net's gradient clip (grad_clip), its
    # encoder's own learning rate, unroll and value horizons, LAP replay and loss weights.
    "mrq": (
        "total_steps",
        "learning_starts",
        "batch_size",
        "buffer_size",
        "gamma",
        "actor_lr",
        "critic_lr",
        "encoder_lr",
        "optimizer",
        "weight_decay",
        "grad_clip",
        "exploration_noise",
        "policy_noise",
        "noise_clip",
        "target_every",
        "encoder_horizon",
        "value_horizon",
        "lap_alpha",
        "lap_min_priority",
        "dynamics_weight",
        "reward_weight",
        "done_weight",
        "pre_activation_weight",
        "reward_bins",
        "reward_range",
        "terminal_reward",
    ),
    # MR.SAC (MST paper, App. E): MR.Q's encoder, replay, multi-step target, reward scale and
    # target copies, with SAC's tanh-Gaussian actor, soft critic loss and learned temperature
    "mrsac": (
        "total_steps",
        "learning_starts",
        "batch_size",
        "buffer_size",
        "gamma",
        "actor_lr",
        "critic_lr",
        "encoder_lr",
        "optimizer",
        "weight_decay",
        "grad_clip",
        "alpha",
        "alpha_init",
        "alpha_lr",
        "target_entropy",
        "target_every",
        "encoder_horizon",
        "value_horizon",
        "lap_alpha",
        "lap_min_priority",
        "dynamics_weight",
        "reward_weight",
        "done_weight",
        "reward_bins",
        "reward_range",
        "terminal_reward",
    ),
}

# Train keys that mean something only while another key switches their feature on: key ->
# (the switch, its value that leaves the feature off). A switch no preset sets and the spec
# leaves out is off; gated keys are resolved (with TRAIN_DEFAULTS) only when their switch is on.
TRAIN_KEY_GATES: dict[str, tuple[str, Any]] = {
    "n_step_start": ("n_step", 1),
    "buffer_threshold": ("buffer_check_every", 0),
    "buffer_min_size": ("buffer_check_every", 0),
    "buffer_drop_fraction": ("buffer_check_every", 0),
    "buffer_drop": ("buffer_check_every", 0),
}
# specc's defaults of the gated keys (RLx2's TD3 values: README and RLx2_TD3/train.py).
TRAIN_DEFAULTS: dict[str, Any] = {
    "n_step_start": 0,
    "buffer_threshold": 0.2,
    "buffer_min_size": 100_000,
    "buffer_drop_fraction": 0.1,
    "buffer_drop": "once",
}

# Keys of SAC that only mean something with a learned temperature.
LEARNED_ALPHA_KEYS = ("alpha_init", "alpha_lr", "target_entropy")

MODULES: dict[str, tuple[str, ...]] = {
    "sac": ("actor", "critic"),
    "td3": ("actor", "critic"),
    "ddpg": ("actor", "critic"),
    "mrq": ("encoder", "actor", "critic"),
    "mrsac": ("encoder", "actor", "critic"),
}

DEFAULT_PRESET = {
    "sac": "cleanrl",
    "td3": "cleanrl",
    "ddpg": "cleanrl",
    "mrq": "mrq",
    "mrsac": "mrq",
}

# The structural choices a preset may make for an algorithm (Preset.options), with their
# meaning (docs/spec.md, Presets). They are no spec keys: each reproduces one reference's code.
PRESET_OPTIONS: dict[str, str] = {
    "actor_first": "update order: the actor (and temperature) before the critic (SimBa)",
    "init": "orthogonal: every Linear of the mlp networks orthogonal (gain 1) with zero bias,"
    " before any mask is drawn (RLx2's SAC, pytorch_sac's weight_init); absent: the"
    " architecture's own init (PyTorch's for mlp)",
    "joint_actor_output": "a SAC actor's mean and log std come from one output Linear of 2|A|,"
    " split after it (RLx2's SAC); absent: two heads (CleanRL)",
}

# The DDPG variants (train.ddpg_variant): CleanRL's has a target actor and updates the critic
# first; SimBa's (scale_rl/agents/ddpg) has no target actor and updates the actor first.
DDPG_VARIANT_OPTIONS: dict[str, dict[str, bool]] = {
    "cleanrl": {"target_actor": True, "actor_first": False},
    "simba": {"target_actor": False, "actor_first": True},
}

# How an algorithm is written (templates/algorithms): its template (TD3 and DDPG share the
# deterministic actor-critic one, their differences chosen by AlgoPlan facts); the algorithms
# with TD3's target policy smoothing; the modules updated once every policy_delay-th critic
# update (SAC makes up the delay with policy_delay actor updates instead, as CleanRL).
ALGORITHM_TEMPLATES: dict[str, str] = {
    "sac": "algorithms/sac.py.jinja",
    "td3": "algorithms/deterministic.py.jinja",
    "ddpg": "algorithms/deterministic.py.jinja",
    "mrq": "algorithms/mrq.py.jinja",
    "mrsac": "algorithms/mrsac.py.jinja",
}
TARGET_SMOOTHING: tuple[str, ...] = ("td3",)
DELAYED_MODULES: dict[str, tuple[str, ...]] = {"td3": ("actor",), "ddpg": ("actor",)}

# Members of a module's ensemble (twin critics: clipped double Q of SAC and TD3); 1 when absent.
ENSEMBLES: dict[str, dict[str, int]] = {
    "sac": {"critic": 2},
    "td3": {"critic": 2},
    "mrq": {"critic": 2},  # MR.Q's two value networks (min in the target, mean in the policy loss)
    "mrsac": {"critic": 2},  # ... and SAC's clipped double Q (min in the target and the actor loss)
}

# Algorithms whose agent reads a learned encoder's features (MR.Q): the actor acts on zs, the
# critic values zsa; their replay is LAP over sub-trajectories (templates/runtime/lap_buffer);
# their networks follow MR.Q's conventions (xavier-uniform init, LayerNorm without parameters).
ENCODED_ALGORITHMS: tuple[str, ...] = ("mrq", "mrsac")

# Algorithms whose update is written as one function per optimizer step (critic_update,
# actor_update), the unit that --compile compiles whole and --cudagraphs captures
# (templates/runtime/fast_path.py.jinja). MR.Q's and MR.SAC's updates interleave encoder bursts
# and LAP priorities; their --compile compiles the loss functions.
UPDATE_FUNCTION_ALGORITHMS: tuple[str, ...] = ("sac", "td3", "ddpg")

# The architectures an algorithm's networks may use (all of ARCHS when absent): MR.Q's networks
# are its BaseMLPs (mlp) or the MST paper's BlockMLP (block); SimBa's RSNorm/init are SAC/DDPG's.
ALGORITHM_ARCHS: dict[str, tuple[str, ...]] = {"mrq": ("mlp", "block"), "mrsac": ("mlp", "block")}

# The losses each algorithm logs (metrics.csv columns, in this order).
LOSS_COLUMNS: dict[str, tuple[str, ...]] = {
    "sac": ("critic_loss", "actor_loss"),
    "td3": ("critic_loss", "actor_loss"),
    "ddpg": ("critic_loss", "actor_loss"),
    # the encoder's total and its three terms (summed over the unroll), the value (Huber) and
    # policy losses, and the reward scale the value net is trained in
    "mrq": (
        "encoder_loss",
        "dynamics_loss",
        "reward_loss",
        "done_loss",
        "critic_loss",
        "actor_loss",
        "reward_scale",
    ),
    "mrsac": (
        "encoder_loss",
        "dynamics_loss",
        "reward_loss",
        "done_loss",
        "critic_loss",
        "actor_loss",
        "reward_scale",
    ),
}


def ensemble_size(algorithm: str, module: str, clipped_double_q: bool = True) -> int:
    """Members of a module's ensemble: ENSEMBLES, and one critic where a SAC spec turns clipped
    double Q off (train.clipped_double_q: false, SimBa's single critic on DMC)."""
    if module == "critic" and not clipped_double_q:
        return 1
    return ENSEMBLES.get(algorithm, {}).get(module, 1)


def learned_temperature(algorithm: str, alpha: Any) -> bool:
    """The fixed-alpha rule, once: an algorithm with an entropy temperature (a train key
    `alpha`) learns it when alpha is `auto`; only then do LEARNED_ALPHA_KEYS apply."""
    return "alpha" in TRAIN_KEYS[algorithm] and alpha == "auto"


@dataclass(frozen=True)
class Preset:
    name: str
    source: str  # cited in the generated config
    train: dict[str, dict[str, Any]]  # algorithm -> key -> value
    networks: dict[str, dict[str, dict[str, Any]]]  # algorithm -> module -> key -> value
    runtime: dict[str, Any]  # dotted key -> value (eval.every, ...)
    # suite -> algorithm -> key -> value: where the paper's setting on that suite differs
    suite_train: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    # algorithm -> structural choices (PRESET_OPTIONS: what each one means)
    options: dict[str, dict[str, Any]] = field(default_factory=dict)
    # algorithm -> module -> arch -> values: what the preset gives a module whose spec picks
    # another arch than the preset's (the MST paper's block networks on MR.Q)
    arch_networks: dict[str, dict[str, dict[str, dict[str, Any]]]] = field(default_factory=dict)
    # algorithm -> module -> the sparsity entry (nested like the spec's): a preset that is a
    # sparse-training method (rlx2, ds_td3) carries its masks and topology; the spec's own
    # sparsity keys win, key by key
    sparsity: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)

    def is_method(self, algorithm: str) -> bool:
        """The preset is a whole method for this algorithm (networks and sparsity included): a
        spec may leave out `networks`."""
        return bool(self.sparsity.get(algorithm))


_CLEANRL_MLP = {"arch": "mlp", "width": 256, "depth": 2, "activation": "relu", "layer_norm": False}
_MRQ_MLP = {"arch": "mlp", "width": 512, "layer_norm": True}

_CLEANRL_COMMON = {
    "total_steps": 1_000_000,
    "batch_size": 256,
    "buffer_size": 1_000_000,
    "gamma": 0.99,
    "tau": 0.005,
    "update_every": 1,
    "updates_per_step": 1,
    "optimizer": "adam",
    "weight_decay": 0.0,
    "grad_clip": 0.0,
}


# RLx2 (Tan et al., ICLR 2023; tyq1024/RLx2 RLx2_TD3/train.py, RLx2_SAC/train.py, DST/): TD3 and
# SAC at 3M steps, one Adam lr 3e-4, n = 3 after 300k updates, the dynamic-capacity buffer.
_RLX2_COMMON = {
    "total_steps": 3_000_000,  # max_timesteps
    "learning_starts": 25_000,  # start_timesteps
    "batch_size": 256,
    "gamma": 0.99,
    "tau": 0.005,
    "update_every": 1,
    "updates_per_step": 1,
    "actor_lr": 3e-4,  # lr
    "critic_lr": 3e-4,
    "optimizer": "adam",
    "weight_decay": 0.0,
    "grad_clip": 0.0,
    "n_step": 3,  # README: --nstep 3 --delay_nstep 300000
    # delay_nstep counts updates (total_it), which start after the 25k random steps: n-step
    # returns from agent step 325k on
    "n_step_start": 325_000,
    "buffer_check_every": 10_000,  # buffer_adjustment_interval
    "buffer_threshold": 0.2,
    "buffer_drop_fraction": 0.1,  # ReplayBuffer.shrink: the oldest 10%
    "buffer_drop": "once",  # its code: one drop per check (its paper: until below the threshold)
}
# RLx2's topology (DST/DST_Scheduler.py): ER allocation with float counts, actor and critic
# (both Q nets) each on its own; the initial mask is the top-|w| of the random init; RigL every
# 10000 steps (--delta), zeta 0.5 (--zeta) with cosine decay to T_end = total - start steps
# (the actor's scheduler is called on actor steps only: T_end / policy_freq); grown weights 0,
# Adam's moments not reset (reset_momentum handles SGD only); targets multiplied by the online
# masks. The levels are Table 2's HalfCheetah (the specs write each env's).
_RLX2_SPARSITY = {
    "regime": "dst",
    "distribution": "er_float",
    "criterion": "magnitude",
    "prune_at": 0,
    "dense_layers": [],
    "topology": {
        "method": "rigl",
        "every": 10_000,
        "drop_fraction": 0.5,
        "decay": "cosine",
        "end": 1.0,
        "reset_moments": False,
    },
}
# DS-TD3 (Sokar et al. 2022; GhadaSokar/Dynamic-Sparse-Training-for-Deep-Reinforcement-Learning
# DS_TD3.py, main.py, sparse_utils.py): eps-ER Bernoulli masks (eps 7 on the input layer, 64 on
# the hidden one, the output layer dense); SET every 1000 iterations with zeta 0.05 dropping the
# positive and the negative weights closest to zero and regrowing at random, after the optimizer
# step; no gradient masking, no Adam reset, targets pruned to the online non-zero count; the
# topology frozen after max_timesteps - start_timesteps - 50k iterations.
_DS_TD3_SPARSITY = {
    "regime": "dst",
    "distribution": "epsilon_er",
    "epsilon": [7.0, 64.0],
    "criterion": "random",
    "prune_at": 0,
    "dense_layers": ["output"],
    "topology": {
        "method": "set",
        "drop": "sign_split",
        "every": 1000,
        "drop_fraction": 0.05,
        "decay": "constant",
        # (1M - 25k - 50k) / (1M - 25k) of the module's gradient steps: the last update at
        # iteration 925k (Sokar's code stops after max_timesteps - start_timesteps - 5e4)
        "end": 0.94872,
        "reset_moments": False,
        "mask_gradients": False,
        "skip_step": False,
        "targets": "count",
        # DS_TD3.py sets lastTopologyChange at the first update past the stop iteration and
        # passes it to changeConnectivitySET, which then drops without regrowing: the module
        # ends sparser by the drop fraction (sparse_utils.py)
        "grow_last": False,
    },
}

PRESETS: dict[str, Preset] = {
    "cleanrl": Preset(
        name="cleanrl",
        source="CleanRL continuous-control defaults (sac_continuous_action.py, td3_continuous_action.py, ddpg_continuous_action.py at fe8d8a03)",
        train={
            "sac": {
                **_CLEANRL_COMMON,
                "learning_starts": 5000,
                "actor_lr": 3e-4,  # policy_lr
                "critic_lr": 1e-3,  # q_lr
                "alpha": "auto",  # autotune=True
                "alpha_init": 1.0,  # log_alpha initialised to 0
                "alpha_lr": 1e-3,  # the alpha optimizer uses q_lr
                "target_entropy": "auto",  # -prod(action shape)
                "policy_delay": 2,  # policy_frequency
                "clipped_double_q": True,  # qf1, qf2 and their minimum
            },
            "td3": {
                **_CLEANRL_COMMON,
                "learning_starts": 25000,
                "actor_lr": 3e-4,
                "critic_lr": 3e-4,
                "exploration_noise": 0.1,
                "policy_delay": 2,
                "policy_noise": 0.2,
                "noise_clip": 0.5,
            },
            "ddpg": {
                **_CLEANRL_COMMON,
                "learning_starts": 25000,
                "actor_lr": 3e-4,
                "critic_lr": 3e-4,
                "exploration_noise": 0.1,
                "policy_delay": 2,
                "ddpg_variant": "cleanrl",  # target actor, noise-free losses
            },
        },
        networks={
            a: {"actor": dict(_CLEANRL_MLP), "critic": dict(_CLEANRL_MLP)}
            for a in ("sac", "td3", "ddpg")
        },
        runtime={},
    ),
    "tar": Preset(
        name="tar",
        source="TAR paper (Topology-Aware Revival), Table 3; values it leaves open follow CleanRL",
        train={
            "sac": {
                **_CLEANRL_COMMON,
                "learning_starts": 25000,
                "actor_lr": 3e-4,
                "critic_lr": 3e-4,
                "update_every": 50,  # "update frequency: 50 env steps", 50 gradient steps each
                "updates_per_step": 1,
                "alpha": 0.35,
                "policy_delay": 1,
                "clipped_double_q": True,  # SAC as CleanRL's (the table is silent)
            },
            "td3": {
                **_CLEANRL_COMMON,
                "learning_starts": 25000,
                "actor_lr": 1e-4,
                "critic_lr": 1e-4,
                "update_every": 50,
                "updates_per_step": 1,
                "exploration_noise": 0.15,
                "policy_delay": 1,
                "policy_noise": 0.2,  # not in Table 3: TD3's default
                "noise_clip": 0.5,  # not in Table 3: TD3's default
            },
            "ddpg": {
                **_CLEANRL_COMMON,
                "learning_starts": 25000,
                "actor_lr": 1e-4,
                "critic_lr": 1e-4,
                "update_every": 50,
                "updates_per_step": 1,
                "exploration_noise": 0.15,
                "policy_delay": 1,
                "ddpg_variant": "cleanrl",  # the table is silent: CleanRL's
            },
        },
        networks={
            a: {"actor": dict(_CLEANRL_MLP), "critic": dict(_CLEANRL_MLP)}
            for a in ("sac", "td3", "ddpg")
        },
        runtime={"eval.every": 2500, "checkpoint.every": 100000},
    ),
    "simba": Preset(
        name="simba",
        source="Sparsity-scaling paper (Ma et al. 2025) Tables 2-3 and the SimBa code (configs/agent/sac_simba.yaml, ddpg_simba.yaml)",
        train={
            "sac": {
                "total_steps": 1_000_000,
                "learning_starts": 5000,
                "batch_size": 256,
                "buffer_size": 1_000_000,
                "gamma": "auto",
                "tau": 0.005,
                "update_every": 1,
                "updates_per_step": 2,
                "actor_lr": 1e-4,
                "critic_lr": 1e-4,
                "optimizer": "adamw",
                "weight_decay": 1e-2,
                "grad_clip": 0.0,
                "alpha": "auto",
                "alpha_init": 1e-2,
                "alpha_lr": 1e-4,
                "target_entropy": "half",
                "policy_delay": 1,
                # SimBa: clipped double Q when the env is episodic (its MuJoCo config; on DMC,
                # suite_train below turns it off)
                "clipped_double_q": True,
            },
            "ddpg": {
                "total_steps": 1_000_000,
                "learning_starts": 5000,
                "batch_size": 256,
                "buffer_size": 1_000_000,
                "gamma": "auto",
                "tau": 0.005,
                "update_every": 1,
                "updates_per_step": 2,
                "actor_lr": 1e-4,
                "critic_lr": 1e-4,
                "optimizer": "adamw",
                "weight_decay": 1e-2,
                "grad_clip": 0.0,
                "exploration_noise": 0.1,  # constant schedule 0.1 -> 0.1 (ddpg_simba.yaml)
                "policy_delay": 1,
                "ddpg_variant": "simba",  # scale_rl/agents/ddpg: no target actor, noise in both losses
            },
        },
        networks={
            a: {
                "actor": {"arch": "simba", "width": 128, "depth": 1},
                "critic": {"arch": "simba", "width": 512, "depth": 2},
            }
            for a in ("sac", "ddpg")
        },
        runtime={"eval.every": 5000},
        # DMC is not episodic in SimBa's configs (episodic: false): one critic, no clipped double
        # Q, as Ma et al.'s Table 2 says ("Clipped Double Q: False"); DDPG has one critic anyway
        suite_train={"dmc": {"sac": {"clipped_double_q": False}}},
        # SimBa's SAC update order: actor, temperature, critic, target (scale_rl sac_update.py)
        options={"sac": {"actor_first": True}},
    ),
    "mrq": Preset(
        name="mrq",
        source="MR.Q (Fujimoto et al. 2025): MRQ/MRQ.py Hyperparameters, MRQ/models.py and MRQ/main.py at 8a44a7d; block networks: MST paper Table 2 (encoder and critic type 4, actor type 3)",
        train={
            "mrq": {
                "total_steps": 1_000_000,  # Gym (DMC: 500k agent steps, from suite dmc)
                "learning_starts": 10_000,  # buffer_size_before_training
                "batch_size": 256,
                "buffer_size": 1_000_000,
                "gamma": 0.99,  # discount
                "actor_lr": 3e-4,  # policy_lr
                "critic_lr": 3e-4,  # value_lr
                "encoder_lr": 1e-4,  # enc_lr
                "optimizer": "adamw",  # one AdamW per module
                "weight_decay": 1e-4,  # enc_wd = value_wd = policy_wd
                "grad_clip": 20.0,  # value_grad_clip (the value net only)
                "exploration_noise": 0.2,
                "policy_noise": 0.2,  # target_policy_noise
                "noise_clip": 0.3,  # not TD3's 0.5
                "target_every": 250,  # target_update_freq; also the encoder's burst length
                "encoder_horizon": 5,  # enc_horizon
                "value_horizon": 3,  # Q_horizon
                "lap_alpha": 0.4,
                "lap_min_priority": 1.0,
                "dynamics_weight": 1.0,  # dyn_weight
                "reward_weight": 0.1,
                "done_weight": 0.1,
                "pre_activation_weight": 1e-5,  # pre_activ_weight
                "reward_bins": 65,  # num_bins
                "reward_range": 10.0,  # lower = -10, upper = 10: bins symexp(linspace(-10, 10, 65))
                "terminal_reward": "dropped",  # MR.Q's code (reference 1.9.1)
            },
            # MR.SAC: MR.Q's values for everything MR.Q has; the temperature as SAC (Haarnoja et
            # al. 2018, "SAC: algorithms and applications"): learned from alpha 1 with lr 3e-4 (the
            # paper's single learning rate, MR.Q's policy and value lr) towards entropy -|A|
            "mrsac": {
                "total_steps": 1_000_000,
                "learning_starts": 10_000,
                "batch_size": 256,
                "buffer_size": 1_000_000,
                "gamma": 0.99,
                "actor_lr": 3e-4,
                "critic_lr": 3e-4,
                "encoder_lr": 1e-4,
                "optimizer": "adamw",
                "weight_decay": 1e-4,
                "grad_clip": 20.0,
                "alpha": "auto",
                "alpha_init": 1.0,
                "alpha_lr": 3e-4,
                "target_entropy": "auto",
                "target_every": 250,
                "encoder_horizon": 5,
                "value_horizon": 3,
                "lap_alpha": 0.4,
                "lap_min_priority": 1.0,
                "dynamics_weight": 1.0,
                "reward_weight": 0.1,
                "done_weight": 0.1,
                "reward_bins": 65,
                "reward_range": 10.0,
                "terminal_reward": "dropped",
            },
        },
        # MR.Q's own networks (MRQ/models.py): BaseMLP (3 Linears, LayerNorm without parameters
        # and the activation after the first two) is an mlp of depth 2, the value network (a
        # BaseMLP, ln_activ, then a Linear) one of depth 3
        networks={
            a: {
                "encoder": _MRQ_MLP | {"depth": 2, "activation": "elu"},
                "critic": _MRQ_MLP | {"depth": 3, "activation": "elu"},
                "actor": _MRQ_MLP | {"depth": 2, "activation": "relu"},
            }
            for a in ("mrq", "mrsac")
        },
        runtime={"eval.every": 5000},  # Gym: every 5e3 steps, 10 episodes
        # a spec that picks the block arch gets the MST paper's default MR.Q (Table 2): one
        # block (4 Linears per network), encoder and critic type 4, actor type 3
        arch_networks={
            a: {
                "encoder": {"block": {"type": 4, "depth": 1}},
                "critic": {"block": {"type": 4, "depth": 1}},
                "actor": {"block": {"type": 3, "depth": 1}},
            }
            for a in ("mrq", "mrsac")
        },
    ),
    "rlx2": Preset(
        name="rlx2",
        source="RLx2 (Tan et al. 2023): tyq1024/RLx2 at 3f4898b (RLx2_TD3/train.py, RLx2_SAC/train.py, DST/DST_Scheduler.py) and the paper's Table 2 (HalfCheetah sparsities)",
        train={
            "td3": {
                **_RLX2_COMMON,
                "buffer_size": 1_000_000,  # buffer_max_size
                "buffer_min_size": 100_000,
                "exploration_noise": 0.1,  # expl_noise
                "policy_delay": 2,  # policy_freq
                "policy_noise": 0.2,
                "noise_clip": 0.5,
            },
            "sac": {
                **_RLX2_COMMON,
                "buffer_size": 3_000_000,  # buffer_max_size
                "buffer_min_size": 200_000,
                "alpha": "auto",  # log_alpha learned from 0 with lr 3e-4 towards -|A|
                "alpha_init": 1.0,
                "alpha_lr": 3e-4,
                "target_entropy": "auto",
                "policy_delay": 1,  # actor_update_frequency
                "clipped_double_q": True,  # DoubleQCritic, min of both
            },
        },
        networks={
            a: {"actor": dict(_CLEANRL_MLP), "critic": dict(_CLEANRL_MLP)} for a in ("td3", "sac")
        },
        runtime={"eval.every": 5000},  # eval_freq
        # RLx2_SAC/modules_SAC.py (pytorch_sac's DiagGaussianActor and DoubleQCritic): the
        # actor's last Linear is (256 -> 2|A|), split into mean and log std after it, and
        # weight_init makes every Linear orthogonal (gain 1) with zero bias. The initial
        # magnitude mask is drawn from these weights, and the ER allocation sees 3 actor layers.
        # RLx2_TD3's networks keep PyTorch's default init.
        options={"sac": {"init": "orthogonal", "joint_actor_output": True}},
        sparsity={
            "td3": {
                "actor": _RLX2_SPARSITY | {"level": 0.9},
                "critic": _RLX2_SPARSITY | {"level": 0.85},
            },
            "sac": {
                "actor": _RLX2_SPARSITY | {"level": 0.9},
                "critic": _RLX2_SPARSITY | {"level": 0.8},
            },
        },
    ),
    "ds_td3": Preset(
        name="ds_td3",
        source="DS-TD3 (Sokar et al. 2022): GhadaSokar/Dynamic-Sparse-Training-for-Deep-Reinforcement-Learning at 0c8fa33 (main.py, DS_TD3.py, sparse_utils.py), Fujimoto's TD3 defaults",
        train={
            "td3": {
                "total_steps": 1_000_000,
                "learning_starts": 25_000,  # start_timesteps
                "batch_size": 100,
                "buffer_size": 1_000_000,
                "gamma": 0.99,
                "tau": 0.005,
                "update_every": 1,
                "updates_per_step": 1,
                "actor_lr": 1e-3,
                "critic_lr": 1e-3,
                "optimizer": "adam",
                "weight_decay": 2e-4,  # Adam's weight_decay: L2 in the gradient
                "grad_clip": 0.0,
                "exploration_noise": 0.1,
                "policy_delay": 2,
                "policy_noise": 0.2,
                "noise_clip": 0.5,
            },
        },
        networks={"td3": {"actor": dict(_CLEANRL_MLP), "critic": dict(_CLEANRL_MLP)}},
        runtime={"eval.every": 5000},  # eval_freq
        sparsity={
            "td3": {
                # the actor's update runs inside the delayed branch at iterations % 1000 == 2:
                # every 1000 critic iterations = every 500 of its own gradient steps
                "actor": _DS_TD3_SPARSITY
                | {"topology": _DS_TD3_SPARSITY["topology"] | {"every": 500}},
                "critic": _DS_TD3_SPARSITY,
            },
        },
    ),
}

# --------------------------------------------------------------------------- environments
# What each suite's generated env code is, which pip packages it needs, and the protocol the
# papers run it with. A new suite (Atari, pixels) is entries here plus its env template.
ENV_TEMPLATES: dict[str, str] = {"gymnasium": "envs/gymnasium.py.jinja", "dmc": "envs/dmc.py.jinja"}

# pip requirements per install extra, as pyproject.toml's optional-dependencies list them
# (tests/test_packaging.py checks that they agree). dm_control 1.0.50 needs mujoco >= 3.17 and
# fails with mujoco 4 (MjModel has no flex_vertedge); Gymnasium's MuJoCo v5 envs run on 3.17.
GYMNASIUM_REQUIREMENT = "gymnasium>=1.0,<2"  # what an env needs when it needs no extra
EXTRAS: dict[str, tuple[str, ...]] = {
    "mujoco": ("gymnasium[mujoco]>=1.0,<2",),
    "box2d": ("gymnasium[box2d]>=1.0,<2",),
    "dmc": (
        "gymnasium[mujoco]>=1.0,<2",
        "shimmy[dm-control]==2.0.1",
        "dm-control==1.0.50",
        "mujoco>=3.17,<4",
    ),
}

# Gymnasium env families (the id without its -vN suffix) that need an extra beyond gymnasium
# itself; an id in none of them (classic control: Pendulum-v1, MountainCarContinuous-v0, or an
# env another package registers) needs only gymnasium.
GYMNASIUM_EXTRAS: dict[str, tuple[str, ...]] = {
    "mujoco": (
        "Ant",
        "HalfCheetah",
        "Hopper",
        "Humanoid",
        "HumanoidStandup",
        "InvertedDoublePendulum",
        "InvertedPendulum",
        "Pusher",
        "Reacher",
        "Swimmer",
        "Walker2d",
    ),
    "box2d": ("BipedalWalker", "BipedalWalkerHardcore", "LunarLanderContinuous", "CarRacing"),
}

# The DeepMind Control suite's tasks as the papers write them, "domain-task" (dm_control 1.0.50
# suite.ALL_TASKS; shimmy registers each as dm_control/<domain>-<task>-v0). lqr is left out:
# its actions are unbounded and its episodes have no time limit.
DMC_TASKS: tuple[str, ...] = (
    "acrobot-swingup",
    "acrobot-swingup_sparse",
    "ball_in_cup-catch",
    "cartpole-balance",
    "cartpole-balance_sparse",
    "cartpole-swingup",
    "cartpole-swingup_sparse",
    "cartpole-two_poles",
    "cartpole-three_poles",
    "cheetah-run",
    "dog-stand",
    "dog-walk",
    "dog-trot",
    "dog-run",
    "dog-fetch",
    "finger-spin",
    "finger-turn_easy",
    "finger-turn_hard",
    "fish-upright",
    "fish-swim",
    "hopper-stand",
    "hopper-hop",
    "humanoid-stand",
    "humanoid-walk",
    "humanoid-run",
    "humanoid-run_pure_state",
    "humanoid_CMU-stand",
    "humanoid_CMU-walk",
    "humanoid_CMU-run",
    "manipulator-bring_ball",
    "manipulator-bring_peg",
    "manipulator-insert_ball",
    "manipulator-insert_peg",
    "pendulum-swingup",
    "point_mass-easy",
    "point_mass-hard",
    "quadruped-walk",
    "quadruped-run",
    "quadruped-escape",
    "quadruped-fetch",
    "reacher-easy",
    "reacher-hard",
    "stacker-stack_2",
    "stacker-stack_4",
    "swimmer-swimmer6",
    "swimmer-swimmer15",
    "walker-stand",
    "walker-walk",
    "walker-run",
)
# Every suite task above ends at 1000 frames (20 s, or 10 s at a 0.01 s control step): a time
# limit, so a truncation, never a termination (DMC tasks do not terminate).
DMC_EPISODE_FRAMES = 1000

# Defaults that belong to a suite's protocol rather than to an algorithm's preset: on dmc they
# replace the preset's Gymnasium values (a value the spec gives still wins). MR.Q's DMC setting
# (MRQ/main.py): action repeat 2, 500k agent steps = 1M frames, an evaluation of 10 episodes
# every 5k agent steps; Ma et al.'s SimBa DMC runs use the same (1M env frames, eval every 5k).
SUITE_DEFAULTS: dict[str, dict[str, Any]] = {
    "dmc": {
        "env.action_repeat": 2,
        "train.total_steps": 500_000,
        "eval.every": 5000,
        "eval.episodes": 10,
    },
}
SUITE_DEFAULT_SOURCES: dict[str, str] = {
    "dmc": "suite dmc (MR.Q and SimBa DMC protocol)",
}


# The generated Config's comment on env_id, per suite.
ENV_ID_HELP: dict[str, str] = {
    "gymnasium": "Gymnasium environment id",
    "dmc": "DeepMind Control task, domain-task",
}


def install_extra(suite: str, env_id: str) -> str:
    """The install extra an env needs ("" when gymnasium alone runs it)."""
    if suite != "gymnasium":
        return suite
    family = env_id.rsplit("-v", 1)[0]
    return next((extra for extra, fams in GYMNASIUM_EXTRAS.items() if family in fams), "")


# specc's own defaults (not from a preset): the spec language's documented defaults.
DEFAULTS: dict[str, Any] = {
    "seed": 1,
    "env.suite": "gymnasium",
    "env.action_repeat": 1,
    "eval.every": 10000,
    "eval.episodes": 10,
    "checkpoint.every": 100000,
    "logging.tensorboard": "auto",
    "logging.every": 1000,
    # diagnostics: the sparsity-scaling paper's metrics (SPEC_LANGUAGE.md defaults); batch 256 as
    # Ma et al.'s code (scale_rl/networks/metrics.py). k = 16 is specc's choice (the paper gives
    # none): per-sample gradients hold k copies of the module's parameters.
    "diagnostics.every": 10000,
    "diagnostics.metrics": [
        "dormant_ratio",
        "srank",
        "grad_norm",
        "param_norm",
        "grad_interference",
    ],
    "diagnostics.dormant_tau": 0.1,
    "diagnostics.srank_delta": 0.01,
    "diagnostics.batch_size": 256,
    "diagnostics.interference_samples": 16,
    # dormant_ratio's layers: `auto` = Ma et al.'s code on simba modules (every Dense output
    # before its activation, comparable with their Fig. 5), the paper's formula (post-activation
    # outputs) on mlp and block modules
    "diagnostics.dormant_layers": "auto",
    # reset: the whole agent (Nikishin et al. 2022 reset all of SAC's networks), masks kept.
    # reset.temperature (sac with a learned temperature) defaults to whether reset.modules lists
    # the actor: resolve.py derives it (Nikishin et al. re-create the whole agent, temperature
    # and its optimizer included; the temperature belongs to the policy's objective)
    "reset.modules": ["actor", "critic"],
    "reset.keep_mask": True,
}

# What `diagnostics.dormant_layers: auto` means per architecture.
DORMANT_LAYERS_AUTO: dict[str, str] = {
    "simba": "dense_outputs",
    "mlp": "activations",
    "block": "activations",
}

# Network keys by architecture (which keys an arch uses).
ARCH_KEYS: dict[str, tuple[str, ...]] = {
    "mlp": ("width", "depth", "activation", "layer_norm"),
    "block": ("width", "depth", "type", "activation", "layer_norm", "residual"),
    "simba": ("width", "depth"),
}

# The MST paper's block variants (ARCH_CONFIGS): type -> (activation, layer_norm, residual).
BLOCK_TYPES: dict[int, tuple[str, bool, bool]] = {
    1: ("relu", False, False),
    2: ("elu", False, False),
    3: ("relu", True, False),
    4: ("elu", True, False),
    5: ("relu", True, True),
    6: ("elu", True, True),
}

# What an architecture fixes for the network keys it does not expose (ARCH_KEYS): SimBa's
# blocks are pre-LayerNorm residual MLPs with ReLU (Lee et al. 2025).
ARCH_FIXED: dict[str, dict[str, Any]] = {
    "mlp": {"residual": False},
    "block": {},
    "simba": {"activation": "relu", "layer_norm": True, "residual": True},
}

# What `depth` counts, by architecture (the help of networks.MODULE.depth and of the flags).
DEPTH_MEANING: dict[str, str] = {
    "mlp": "hidden layers",
    "block": "residual blocks",
    "simba": "residual blocks",
}

# The generated code of an architecture: its trunk class (templates/networks) and activations.
TRUNK_CLASS: dict[str, str] = {"mlp": "MLP", "block": "BlockMLP", "simba": "SimbaEncoder"}
ACTIVATION_FN: dict[str, str] = {"relu": "F.relu", "elu": "F.elu"}

# Per architecture: the lower bound of a SAC policy's log std (CleanRL -5; SimBa's actor -10),
# and whether observations are normalised by running statistics (SimBa's RSNorm).
ACTOR_LOG_STD_MIN: dict[str, float] = {"mlp": -5.0, "block": -5.0, "simba": -10.0}
ACTOR_LOG_STD_SOURCES: dict[float, str] = {
    -10.0: "SimBa's NormalTanhPolicy (CleanRL uses -5)",
    -5.0: "CleanRL (spinning-up uses -20)",
}
OBS_NORM_ARCHS: tuple[str, ...] = ("simba",)

# Regimes whose masks change during training, and those of them whose sparsity follows a
# schedule (their mask is the schedule's: no new initial mask on reset).
DYNAMIC_REGIMES: tuple[str, ...] = ("dst", "d2s", "s2d")
SCHEDULED_REGIMES: tuple[str, ...] = ("d2s", "s2d")
DENSE_START_REGIMES: tuple[str, ...] = ("d2s",)  # dense at first, pruned along the schedule

# Each distribution's allocation function in the generated code (templates/sparsity/masks; for
# Linear layers ER and ERK coincide), and in words (the prune functions' docstrings).
ALLOCATION_FUNCTIONS: dict[str, str] = {
    "uniform": "uniform_counts",
    "er": "er_counts",
    "erk": "er_counts",
    "global": "global_count",
    "er_float": "er_float_counts",
    "epsilon_er": "epsilon_er_densities",
}
ALLOCATION_TEXT: dict[str, str] = {
    "uniform": "uniform allocation",
    "er": "ER allocation",
    "erk": "ERK allocation",
    "global": "one global threshold",
    "er_float": "ER allocation with float counts (RLx2)",
    "epsilon_er": "epsilon-ER Bernoulli densities (SET, Sokar et al.)",
}

# Fallback network defaults when a preset gives none for a module.
NETWORK_DEFAULTS: dict[str, Any] = {
    "arch": "mlp",
    "width": 256,
    "depth": 2,
    "activation": "relu",
    "layer_norm": False,
    "residual": False,
}


def presets_for(algorithm: str) -> list[str]:
    return sorted(n for n, p in PRESETS.items() if algorithm in p.train)


# specc's defaults for the sparsity keys a regime uses but a spec leaves out. `er`: the
# sparsity-scaling and MST papers' random ER allocation (for Linear layers ER and ERK coincide).
SPARSITY_DEFAULTS: dict[str, Any] = {
    "distribution": "er",
    "criterion": "random",
    "prune_at": 0,
    "dense_layers": [],
    "revival.method": "none",
    # RigL's defaults (update every 1000 gradient steps as Graesser et al.'s SAC; drop 0.3,
    # cosine decay, frozen after 75% of training)
    "topology.every": 1000,
    "topology.drop_fraction": 0.3,
    "topology.decay": "cosine",
    "topology.end": 0.75,
    # Zhu & Gupta's GMP schedule as in Obando-Ceron et al. (20%-80% of training, cubic)
    "schedule.start": 0.2,
    "schedule.end": 0.8,
    "schedule.power": 3,
}

# Where each module's layers live in the generated classes (templates/algorithms): the attribute
# holding the trunk, and the module's output layers (module-relative names). `dense_layers`
# roles resolve to these names: `input` is the trunk's first Linear, `output` the heads.
MODULE_LAYOUT: dict[tuple[str, str], tuple[str, tuple[str, ...]]] = {
    ("sac", "actor"): ("trunk", ("fc_mean", "fc_logstd")),
    ("sac", "critic"): ("q", ("q.out",)),
    ("td3", "actor"): ("mu", ("mu.out",)),
    ("td3", "critic"): ("q", ("q.out",)),
    ("ddpg", "actor"): ("mu", ("mu.out",)),
    ("ddpg", "critic"): ("q", ("q.out",)),
    # MR.Q's encoder: the zs network's first Linear and za read the inputs; the model head is
    # its output (done | next zs | reward logits)
    ("mrq", "encoder"): ("zs_net", ("model",)),
    ("mrq", "actor"): ("pi", ("pi.out",)),
    ("mrq", "critic"): ("q", ("q.out",)),
    ("mrsac", "encoder"): ("zs_net", ("model",)),
    ("mrsac", "actor"): ("pi", ("pi.out",)),  # one output layer: mean and log std
    ("mrsac", "critic"): ("q", ("q.out",)),
}
# A SAC actor with one output layer of 2|A| (Preset.options joint_actor_output: RLx2's, as
# MR.SAC's) is one network `pi` whose output layer holds mean and log std.
JOINT_OUTPUT_LAYOUT: dict[tuple[str, str], tuple[str, tuple[str, ...]]] = {
    ("sac", "actor"): ("pi", ("pi.out",)),
}
# Input layers of a module beyond its trunk's first Linear (the `input` role of dense_layers).
MODULE_EXTRA_INPUTS: dict[tuple[str, str], tuple[str, ...]] = {
    ("mrq", "encoder"): ("za",),
    ("mrsac", "encoder"): ("za",),
}

# Target networks by algorithm: module -> the variable holding its target (templates/algorithms).
TARGETS: dict[str, dict[str, str]] = {
    "sac": {"critic": "critic_target"},
    "td3": {"actor": "actor_target", "critic": "critic_target"},
    "ddpg": {"actor": "actor_target", "critic": "critic_target"},
    "mrq": {"encoder": "encoder_target", "actor": "actor_target", "critic": "critic_target"},
    "mrsac": {"encoder": "encoder_target", "critic": "critic_target"},  # SAC: no target actor
}

# What a module's forward takes (SynFlow scores it on all-ones inputs of these sizes).
# An encoded algorithm's actor reads zs and its critic zsa (their widths: zs_dim, zsa_dim).
MODULE_INPUTS: dict[str, tuple[str, ...]] = {
    "actor": ("obs_dim",),
    "critic": ("obs_dim", "act_dim"),
}
ENCODED_MODULE_INPUTS: dict[str, tuple[str, ...]] = {
    "encoder": ("obs_dim", "act_dim"),
    "actor": ("zs_dim",),
    "critic": ("zsa_dim",),
}

# What a module's forward takes from a replay batch (diagnostics run it on one); zs and zsa are
# the (online) encoder's features of the batch's observations and actions.
MODULE_BATCH_INPUTS: dict[str, tuple[str, ...]] = {"actor": ("obs",), "critic": ("obs", "actions")}
ENCODED_MODULE_BATCH_INPUTS: dict[str, tuple[str, ...]] = {
    "encoder": ("obs", "actions"),
    "actor": ("zs",),
    "critic": ("zsa",),
}


def module_inputs(algorithm: str, module: str, batch: bool = False) -> tuple[str, ...]:
    """What a module's forward takes: sizes (SynFlow's all-ones input) or, with batch, the
    tensors of a replay batch (diagnostics)."""
    if algorithm in ENCODED_ALGORITHMS:
        return (ENCODED_MODULE_BATCH_INPUTS if batch else ENCODED_MODULE_INPUTS)[module]
    return (MODULE_BATCH_INPUTS if batch else MODULE_INPUTS)[module]


# The first Linear of each trunk class (templates/networks).
TRUNK_INPUT_LAYER: dict[str, str] = {"mlp": "hidden.0", "block": "projection", "simba": "embedding"}


# --------------------------------------------------------------------------- help texts
# The meaning of every key of the language, once: the JSON Schema's descriptions
# (specc.schema), the comments of the generated Config (specc.lower) and `specc explain` read
# these; docs/spec.md's key reference says the same at more length (tests/test_docs.py checks
# that both list the same keys). Keys of a module are written networks.MODULE.*.
HELP: dict[str, str] = {
    "specc": "format version; must be 1",
    "name": "[a-z][a-z0-9_]{0,63}; the output is <name>.py",
    "description": "goes into the generated script's docstring",
    "algorithm": "the RL algorithm",
    "preset": "a family of defaults (see docs/spec.md, Presets)",
    "seed": "seed of python, numpy, torch and the environments",
    "env.id": "environment id: a Gymnasium id, or for suite dmc the task as domain-task (dog-run)",
    "env.suite": "environment suite: gymnasium | dmc (DeepMind Control through shimmy)",
    "env.action_repeat": "environment frames per agent step, rewards summed (default 1; dmc: 2)",
    "train.total_steps": "agent steps of the whole run",
    "train.learning_starts": "agent steps of uniform random actions before updates start",
    "train.batch_size": "transitions per gradient step",
    "train.buffer_size": "replay buffer capacity (transitions)",
    "train.gamma": "discount factor",
    "train.tau": "Polyak coefficient of the target networks",
    "train.update_every": "agent steps between update phases",
    "train.updates_per_step": "gradient steps per agent step (replay ratio)",
    "train.actor_lr": "actor learning rate",
    "train.critic_lr": "critic learning rate",
    "train.optimizer": "adam or adamw",
    "train.weight_decay": "weight decay of the optimizers (L2 for adam, decoupled for adamw)",
    "train.grad_clip": "max global gradient norm per module (0: none)",
    "train.exploration_noise": "std of the Gaussian exploration noise, in units of the action scale",
    "train.alpha": "entropy temperature (a number: fixed; auto: learned)",
    "train.alpha_init": "initial entropy temperature (learned)",
    "train.alpha_lr": "temperature learning rate",
    "train.target_entropy": "target entropy of the learned temperature (auto: -|A|, half: -|A|/2)",
    "train.policy_delay": "critic updates between actor phases (each runs policy_delay actor updates, as CleanRL)",
    "train.policy_noise": "std of the target policy smoothing noise, in units of the action scale",
    "train.noise_clip": "clip of the target policy smoothing noise",
    "train.encoder_lr": "encoder learning rate",
    "train.target_every": "updates between hard copies of the target networks (also the encoder's burst of updates)",
    "train.encoder_horizon": "transitions the encoder's model is unrolled over",
    "train.value_horizon": "steps of the multi-step value target",
    "train.lap_alpha": "LAP priority exponent (0: uniform replay)",
    "train.lap_min_priority": "LAP priorities are max(|TD error|, this) ** lap_alpha",
    "train.dynamics_weight": "weight of the encoder's next-state (dynamics) loss",
    "train.reward_weight": "weight of the encoder's reward loss",
    "train.done_weight": "weight of the encoder's termination loss",
    "train.pre_activation_weight": "weight of the policy's pre-activation penalty",
    "train.reward_bins": "bins of the two-hot reward model",
    "train.reward_range": "the reward bins are symexp(linspace(-range, range, bins))",
    "train.terminal_reward": "dropped (MR.Q's code: the terminating transition's reward is left out of the value target) | kept",
    "train.n_step": "steps of the multi-step TD target (RLx2); 1: one-step",
    "train.n_step_start": "agent step from which the n-step target is used (before: one-step)",
    "train.buffer_check_every": "agent steps between checks of the dynamic-capacity buffer (RLx2; 0: fixed capacity)",
    "train.buffer_threshold": "policy distance of the oldest transitions above which the buffer drops its oldest ones",
    "train.buffer_min_size": "the buffer drops nothing while it holds this many transitions or fewer",
    "train.buffer_drop_fraction": "fraction of the stored transitions dropped (oldest first) per drop",
    "train.buffer_drop": "once (RLx2's code: one drop per check) | until_below (its paper: drops repeated until the distance is below the threshold)",
    "train.clipped_double_q": "two critics, the TD target and the actor from their minimum (false: one critic)",
    "train.ddpg_variant": "cleanrl (target actor, noise-free losses) | simba (no target actor; exploration noise in the actor loss and the target action; actor updated first)",
    "eval.every": "agent steps between evaluations (0: never)",
    "eval.episodes": "episodes per evaluation (deterministic policy)",
    "checkpoint.every": "agent steps between checkpoints (0: only model.pt at the end)",
    "networks.MODULE.arch": "network architecture",
    "networks.MODULE.width": "hidden width",
    "networks.MODULE.depth": "; ".join(f"{arch}: {m}" for arch, m in DEPTH_MEANING.items()),
    "networks.MODULE.type": "block only: 1..6, the MST paper's variants",
    "networks.MODULE.activation": "hidden activation (mlp and block)",
    "networks.MODULE.layer_norm": "LayerNorm before each activation (mlp and block)",
    "networks.MODULE.residual": "residual connections (block)",
    "networks.MODULE.sparsity.regime": "dense | sst (static) | dst (dynamic) | d2s (dense to sparse) | s2d (sparse to dense)",
    "networks.MODULE.sparsity.level": "fraction of the module's Linear weights pruned",
    "networks.MODULE.sparsity.distribution": "layer-wise allocation of the level",
    "networks.MODULE.sparsity.epsilon": "epsilon_er: eps of each sparse layer of a member in order (the last repeats); density eps (n_in + n_out) / (n_in n_out)",
    "networks.MODULE.sparsity.criterion": "how the initial mask is chosen",
    "networks.MODULE.sparsity.prune_at": "agent step at which its mask is taken (0: at initialization)",
    "networks.MODULE.sparsity.dense_layers": "layer roles kept dense",
    "networks.MODULE.sparsity.revival.method": "one-shot revival after pruning (TAR paper, Algorithm 1)",
    "networks.MODULE.sparsity.revival.ratio": "revival ratio rr (TAR paper)",
    "networks.MODULE.sparsity.topology.method": "how the mask changes during training",
    "networks.MODULE.sparsity.topology.every": "gradient steps between mask updates",
    "networks.MODULE.sparsity.topology.drop_fraction": "initial fraction of active weights replaced per update",
    "networks.MODULE.sparsity.topology.decay": "decay of the drop fraction",
    "networks.MODULE.sparsity.topology.end": "fraction of its gradient steps after which the topology is frozen",
    "networks.MODULE.sparsity.topology.drop": "which active weights are dropped: magnitude (smallest |w|) | sign_split (Sokar's SET: the fraction of positive and of negative weights closest to zero)",
    "networks.MODULE.sparsity.topology.reset_moments": "grown weights start with zero Adam moments (false: RLx2, Sokar)",
    "networks.MODULE.sparsity.topology.mask_gradients": "pruned weights get no gradient (false: Sokar; Adam's moments then follow the dense gradient)",
    "networks.MODULE.sparsity.topology.skip_step": "the mask update replaces that step's optimizer update (RigL; false: it follows the step, Sokar)",
    "networks.MODULE.sparsity.topology.grow_last": "the last mask update (the last one before topology.end) grows back what it drops (false: Sokar; it only drops, and the module ends sparser by the drop fraction)",
    "networks.MODULE.sparsity.topology.targets": "the target network: mask (multiplied by the online masks) | count (pruned to the online non-zero count by magnitude after each Polyak step, Sokar)",
    "networks.MODULE.sparsity.schedule.start": "sparsity schedule start (fraction of its gradient steps)",
    "networks.MODULE.sparsity.schedule.end": "sparsity schedule end (fraction of its gradient steps)",
    "networks.MODULE.sparsity.schedule.power": "exponent of the sparsity schedule",
    "diagnostics.every": "agent steps between network-health diagnostics (from learning_starts on)",
    "diagnostics.metrics": "the metrics computed",
    "diagnostics.dormant_tau": "a neuron is dormant when its activation score is <= tau (Sokar et al. 2023)",
    "diagnostics.dormant_layers": "dormant_ratio: dense_outputs (every hidden Linear output before its activation, Ma et al.'s code) | activations (post-activation outputs, the paper's formula) | auto (dense_outputs on simba, activations on mlp and block)",
    "diagnostics.srank_delta": "srank: smallest k whose top-k singular values hold 1 - delta of their sum (Kumar et al. 2021)",
    "diagnostics.batch_size": "replay transitions the diagnostics are computed on",
    "diagnostics.interference_samples": "grad_interference: samples k (the first of the diagnostics batch) of the k x k gradient-cosine matrix",
    "reset.every": "agent steps between resets of the reset modules (Nikishin et al. 2022)",
    "reset.modules": "the modules re-initialised",
    "reset.keep_mask": "sparse modules keep their masks (false: a new initial mask is drawn)",
    "reset.temperature": "sac with a learned temperature: also reset the temperature and its optimizer state (default: when modules lists the actor)",
    "logging.tensorboard": "also write TensorBoard events (when the tensorboard package is installed)",
    "logging.every": "agent steps between progress lines and training-metric rows",
}


def help_for(path: tuple[str, ...], algorithm: str = "") -> str:
    """The help text of the key at ``path`` (networks.actor.width -> networks.MODULE.width),
    the algorithm's own where it has one."""
    if path[0] == "networks" and len(path) > 2:
        path = ("networks", "MODULE", *path[2:])
    key = ".".join(path)
    return HELP_BY_ALGORITHM.get((algorithm, key), HELP[key])


# Help texts that differ by algorithm (DDPG and TD3 have no actor phases: one actor update
# every policy_delay critic updates).
HELP_BY_ALGORITHM: dict[tuple[str, str], str] = {
    ("mrq", "train.actor_lr"): "policy learning rate",
    ("mrq", "train.critic_lr"): "value network learning rate",
    ("mrq", "train.weight_decay"): "AdamW weight decay of the encoder, value and policy",
    ("mrq", "train.grad_clip"): "max gradient norm of the value network (0 = none)",
    ("mrq", "train.learning_starts"): "agent steps of uniform random actions before updates start",
    ("mrsac", "train.actor_lr"): "policy learning rate",
    ("mrsac", "train.critic_lr"): "value network learning rate",
    ("mrsac", "train.weight_decay"): "AdamW weight decay of the encoder, value and policy",
    ("mrsac", "train.grad_clip"): "max gradient norm of the value network (0 = none)",
    (
        "td3",
        "train.policy_delay",
    ): "critic updates between actor updates (targets move with the actor)",
    (
        "ddpg",
        "train.policy_delay",
    ): "critic updates between actor updates (targets move with the actor)",
}

# The meaning of the level, by regime (its flag's help).
LEVEL_MEANING: dict[str, str] = {
    "sst": "fraction of its Linear weights pruned",
    "dst": "fraction of its Linear weights pruned",
    "d2s": "sparsity reached at the schedule's end (starts dense)",
    "s2d": "sparsity at the start (ends dense)",
}

# Flags of the generated script that are no spec key.
FLAG_HELP: dict[str, str] = {
    "target_entropy_per_dim": "target entropy per action dimension (target = this * |A|)",
}
