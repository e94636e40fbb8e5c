"""Presets: families of defaults, each value with the source it was taken from (cited in the
generated config and by ``specc explain``). A preset is a partial spec per algorithm."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

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


def presets_for(algorithm: str) -> list[str]:
    return sorted(n for n, p in PRESETS.items() if algorithm in p.train)
