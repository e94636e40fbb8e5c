"""The spec language's other enumerations, the diagnostics' metrics, and specc's own defaults
(not from a preset)."""

from __future__ import annotations

from typing import Any

from .algorithms import ALGORITHM_RECORDS
from .networks import ARCHS
from .sparsity import REGIMES, TOPOLOGY_METHODS
from .envs import SUITES

# Order matters in every enumeration: it is the order users see in errors and `specc schema`.
ALGORITHMS: tuple[str, ...] = tuple(ALGORITHM_RECORDS)
OPTIMIZERS = ("adam", "adamw")
DDPG_VARIANTS = ("cleanrl", "simba")
MODULE_NAMES = ("actor", "critic", "encoder")
# The dynamic-capacity buffer (RLx2): one drop of buffer_drop_fraction per check (its code), or
# drops repeated while the policy distance stays above the threshold (its paper's text)
BUFFER_DROPS = ("once", "until_below")
METRICS = ("dormant_ratio", "fau", "srank", "grad_norm", "param_norm", "grad_interference")
DORMANT_LAYERS = ("auto", "dense_outputs", "activations")
# MR.Q: whether the multi-step value target keeps the reward of the terminating transition
# (MR.Q's code drops it: ../shared/reference/mrq_simba.md 1.9.1).
TERMINAL_REWARDS = ("dropped", "kept")

# What this version of the compiler generates; everything else in the language validates, then
# is reported as not implemented yet, at the key that asks for it.
SUPPORTED: dict[str, tuple[str, ...]] = {
    "algorithm": ALGORITHMS,
    "arch": ARCHS,
    "regime": REGIMES,
    "topology": TOPOLOGY_METHODS,
    "suite": SUITES,
}


# Diagnostics keys that only some metrics use (grad_norm and param_norm need no replay batch).
DIAGNOSTICS_METRIC_KEYS: dict[str, tuple[str, ...]] = {
    "dormant_tau": ("dormant_ratio",),
    "dormant_layers": ("dormant_ratio",),
    "srank_delta": ("srank",),
    "batch_size": ("dormant_ratio", "fau", "srank", "grad_interference"),
    "interference_samples": ("grad_interference",),
}

# Metrics that read a module's hidden activations (its class gets an activations() method).
ACTIVATION_METRICS = ("dormant_ratio", "fau", "srank")
# Metrics of gradients, which count only a sparse module's active weights (its mask).
MASKED_METRICS = ("grad_norm", "grad_interference")

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
    # diagnostics: the sparsity-scaling paper's Sec. 4 metrics (SPEC_LANGUAGE.md defaults; not
    # fau, which the paper uses only for visual RL, its Fig. 11: a spec asks for it); batch 256 as
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
