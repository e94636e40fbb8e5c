"""Sparsity regimes: one record per `networks.MODULE.sparsity.regime` (which keys apply, whether
its masks change, whether it follows a schedule), the allocation distributions and the sparsity
keys' defaults."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Regime:
    """One sparsity regime."""

    name: str
    keys: tuple[str, ...]  # the sparsity keys it uses
    level_meaning: str = ""  # what its level means (the level flag's help)
    dynamic: bool = False  # its masks change during training
    scheduled: bool = False  # its sparsity follows a schedule (no new initial mask on reset)
    starts_dense: bool = False  # dense at first, pruned along the schedule
    # the initial mask's criterion when the spec gives none (d2s starts dense: none)
    default_criterion: str = "random"
    # the growth of a topology without a method (s2d grows back by RigL's gradients)
    default_growth: str = ""
    # the RLx2 / DS-TD3 topology variants (DST_ONLY_TOPOLOGY_KEYS) and a required topology
    # method: the dst regime's
    topology_variants: bool = False
    # a topology without a method only prunes along the schedule (d2s): no drop-and-grow keys
    prune_only_topology: bool = False
    sparse: bool = True  # it masks the module's weights (dense: none)
    # its level is a fraction of each unit's incoming weights set to zero at initialization,
    # trainable afterwards (SparseInit, Elsayed et al. 2024): no masks
    init_zeros: bool = False
    default_level: float | None = None  # its level where neither spec nor preset gives one
    archs: tuple[str, ...] = ()  # the architectures it applies to (empty: any)


_PRUNED = "fraction of its Linear weights pruned"
_STATIC_KEYS = (
    "regime",
    "level",
    "distribution",
    "epsilon",
    "criterion",
    "prune_at",
    "dense_layers",
)
_SCHEDULED_KEYS = ("regime", "level", "distribution", "dense_layers", "topology", "schedule")

REGIME_RECORDS: dict[str, Regime] = {
    r.name: r
    for r in (
        Regime(name="dense", keys=("regime",), sparse=False),
        Regime(name="sst", keys=_STATIC_KEYS + ("revival",), level_meaning=_PRUNED),
        Regime(
            name="dst",
            keys=_STATIC_KEYS + ("topology",),
            level_meaning=_PRUNED,
            dynamic=True,
            topology_variants=True,
        ),
        Regime(
            name="d2s",
            keys=_SCHEDULED_KEYS,
            level_meaning="sparsity reached at the schedule's end (starts dense)",
            dynamic=True,
            scheduled=True,
            starts_dense=True,
            default_criterion="",
            prune_only_topology=True,
        ),
        Regime(
            name="s2d",
            keys=_SCHEDULED_KEYS,
            level_meaning="sparsity at the start (ends dense)",
            dynamic=True,
            scheduled=True,
            default_growth="rigl",
        ),
        # SparseInit (Elsayed et al. 2024, sparse_init.py): per output unit, ceil(level * fan_in)
        # of its incoming weights (chosen at random) start at zero, in every Linear of the
        # module; they are trained like the others (no mask), so the module is dense afterwards
        Regime(
            name="sparse_init",
            keys=("regime", "level"),
            level_meaning="fraction of each unit's incoming weights that start at zero (trainable)",
            default_criterion="",
            sparse=False,
            init_zeros=True,
            default_level=0.9,  # the reference's sparse_init(sparsity=0.9)
            archs=("stream",),
        ),
    )
}
REGIMES: tuple[str, ...] = tuple(REGIME_RECORDS)
DEFAULT_REGIME = "dense"  # the regime of a module without a sparsity entry


def regime(name: str) -> Regime:
    return REGIME_RECORDS[name]


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
