"""Algorithms: one record per `algorithm`, everything the compiler knows about it in one place:
its modules and their layout in the generated classes, the train keys it reads, its default
preset, its template and loss columns, its target networks and ensembles, and what it accepts
(observation kinds, action kinds, its loop: replay or streaming). The stages ask a record
(``algorithm(name).train_keys``); none tests an algorithm's name."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .axes import OBSERVATION_KINDS
from .networks import REPLAY_ARCHS

# The sparsity regimes of a replay agent's modules (every masking regime; SparseInit is the
# stream networks' init), and of a streaming agent's (masks taken once, before its first step)
REPLAY_REGIMES = ("dense", "sst", "dst", "d2s", "s2d")
STREAMING_REGIMES = ("dense", "sst", "sparse_init")

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

# MR.Q's and MR.SAC's train keys (their records below say why), in config order: what the two
# share (the encoder, replay and value target), with each one's policy keys between.
_ENCODED_RUN_KEYS = (
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
)
_ENCODED_MODEL_KEYS = (
    "target_every",
    "encoder_horizon",
    "value_horizon",
    "lap_alpha",
    "lap_min_priority",
    "dynamics_weight",
    "reward_weight",
    "done_weight",
)
_REWARD_KEYS = ("reward_bins", "reward_range", "terminal_reward")
MRQ_TRAIN_KEYS = (
    _ENCODED_RUN_KEYS
    + ("exploration_noise", "policy_noise", "noise_clip")
    + _ENCODED_MODEL_KEYS
    + ("pre_activation_weight",)
    + _REWARD_KEYS
    + ("random_shift",)  # pixels only (MR.Q's pixel_augs)
    + ("gumbel_tau", "eval_epsilon")  # discrete actions only (MR.Q's Atari branch)
)
MRSAC_TRAIN_KEYS = (
    _ENCODED_RUN_KEYS
    + ("alpha", "alpha_init", "alpha_lr", "target_entropy")
    + _ENCODED_MODEL_KEYS
    + _REWARD_KEYS
)

# DrQ-v2's train keys (Yarats et al. 2022; facebookresearch/drqv2, cfgs/config.yaml), in config
# order: one Adam learning rate per module (the reference's single lr, 1e-4, for all three), its
# n-step target, the trunk's feature size, the scheduled exploration std and the random shift.
DRQV2_TRAIN_KEYS = (
    "total_steps",
    "learning_starts",
    "batch_size",
    "buffer_size",
    "gamma",
    "tau",
    "update_every",
    "n_step",
    "encoder_lr",
    "actor_lr",
    "critic_lr",
    "optimizer",
    "weight_decay",
    "feature_dim",
    "stddev_init",
    "stddev_final",
    "stddev_steps",
    "stddev_clip",
    "random_shift",
)

# Data-Efficient Rainbow's train keys (van Hasselt et al. 2019 as Dopamine runs it; the
# sparsity-scaling paper's Table 5), in config order: the replay and its schedule, the n-step
# target and the target network's period, Adam, C51's support, noisy nets, prioritized replay.
DER_TRAIN_KEYS = (
    "total_steps",
    "learning_starts",
    "batch_size",
    "buffer_size",
    "gamma",
    "update_every",
    "n_step",
    "target_every",
    "critic_lr",
    "adam_eps",
    "grad_clip",
    "num_atoms",
    "v_max",
    "noisy_sigma",
    "priority_exponent",
    "priority_weight",
    "eval_epsilon",
)

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

# Train keys that mean something only on pixel observations (env.observation: pixels): resolved
# then, a located error in a spec on states. DrQ-v2 sees pixels only; MR.Q shifts its pixel
# batches as DrQ-v2 (MRQ.py pixel_augs) and has nothing to shift on states.
PIXEL_TRAIN_KEYS = ("random_shift",)
# Train keys that mean something only with discrete actions (the suite's action kind): resolved
# then, a located error in a spec on box actions. MR.Q's discrete branch: the Gumbel-softmax
# temperature of its policy and its evaluation env's epsilon (DER's evaluation epsilon too: DER
# takes discrete actions only).
DISCRETE_TRAIN_KEYS = ("gumbel_tau", "eval_epsilon")
# MR.Q's pixel stem (MRQ/models.py): 3x3 convolutions of 32 channels with these strides, no
# padding (a frame needs 31 pixels at least: 31 -> 15 -> 7 -> 3 -> 1)
MRQ_PIXEL_STRIDES = (2, 2, 2, 1)

# Keys of SAC that only mean something with a learned temperature.
LEARNED_ALPHA_KEYS = ("alpha_init", "alpha_lr", "target_entropy")


# What a module's forward takes: sizes (SynFlow scores it on all-ones inputs of these sizes) and
# the tensors of a replay batch (diagnostics run it on one).
_INPUTS = {"actor": ("obs_dim",), "critic": ("obs_dim", "act_dim")}
_BATCH_INPUTS = {"actor": ("obs",), "critic": ("obs", "actions")}
# An encoded algorithm's actor reads zs and its critic zsa (their widths: zs_dim, zsa_dim); zs
# and zsa of a batch are the (online) encoder's features of its observations and actions.
_ENCODED_INPUTS = {"encoder": ("obs_dim", "act_dim"), "actor": ("zs_dim",), "critic": ("zsa_dim",)}
_ENCODED_BATCH_INPUTS = {"encoder": ("obs", "actions"), "actor": ("zs",), "critic": ("zsa",)}


@dataclass(frozen=True)
class Algorithm:
    """One algorithm of the language."""

    name: str
    modules: tuple[str, ...]
    train_keys: tuple[str, ...]  # in the order they appear in the generated config
    default_preset: str
    template: str  # templates/algorithms
    loss_columns: tuple[str, ...]  # the losses it logs (metrics.csv columns, in this order)
    targets: dict[str, str]  # module -> the variable holding its target network
    # module -> (the attribute holding its trunk, its output layers, module-relative): the
    # `dense_layers` roles resolve to these (`input`: the trunk's first Linear, `output`: heads)
    layouts: dict[str, tuple[str, tuple[str, ...]]]
    inputs: dict[str, tuple[str, ...]] = field(default_factory=lambda: dict(_INPUTS))
    batch_inputs: dict[str, tuple[str, ...]] = field(default_factory=lambda: dict(_BATCH_INPUTS))
    # what the diagnostics compute from a batch's obs before calling activations(), where a
    # module reads more than the batch holds (DrQ-v2's actor and critic read the encoder's h)
    batch_features: str = ""
    # the optimizer variable of a module where it is not MODULE_opt (DrQ-v2's encoder is a
    # parameter group of critic_opt: the critic's loss trains it)
    optimizer_of: dict[str, str] = field(default_factory=dict)
    # members of a module's ensemble (twin critics); 1 when absent
    ensembles: dict[str, int] = field(default_factory=dict)
    # input layers of a module beyond its trunk's first Linear (the `input` role)
    extra_inputs: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # its exploration std follows a schedule over agent steps (DrQ-v2): the loop passes the
    # steps taken so far to the policy's act()
    scheduled_exploration: bool = False
    # the layouts with Preset.options joint_actor_output (one output Linear of 2|A|)
    joint_output_layouts: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)
    # its agent reads a learned encoder's features (MR.Q): LAP replay over sub-trajectories,
    # MR.Q's network conventions (xavier-uniform init, LayerNorm without parameters)
    encoded: bool = False
    # its update is one function per optimizer step (critic_update, actor_update): the unit
    # --compile compiles whole and --cudagraphs captures (templates/runtime/fast_path)
    update_functions: bool = False
    target_smoothing: bool = False  # TD3's target policy smoothing
    # its actor loss reads the first twin critic alone, -Q_1(s, mu(s)) (Fujimoto et al.; CleanRL)
    q1_actor_loss: bool = False
    # modules updated once every policy_delay-th critic update (SAC instead makes up the delay
    # with policy_delay actor updates, as CleanRL)
    delayed_modules: tuple[str, ...] = ()
    archs: tuple[str, ...] = REPLAY_ARCHS  # the architectures its networks may use
    # per module, where a module takes fewer of them (DER: a CNN encoder, an mlp head)
    module_archs: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # modules whose network its template writes in full (DER's noisy dueling head): no trunk
    # template (networks/ARCH) is emitted for them; their arch gives width and depth
    own_networks: tuple[str, ...] = ()
    # modules built of noisy layers (NoisyLinear: DER's head): a mask covers a weight's noise
    # scale too
    noisy_modules: tuple[str, ...] = ()
    # it acts with uniform random actions until learning_starts; else its policy acts from the
    # first step (warmup_note: why)
    random_warmup: bool = True
    warmup_note: str = ""
    # the modules a spec must give under `networks` (unless its preset is a whole method)
    required_networks: tuple[str, ...] = ("actor", "critic")
    help: dict[str, str] = field(default_factory=dict)  # its own help texts of keys
    observations: tuple[str, ...] = ("state",)  # observation kinds it accepts
    # the module that reads pixel observations through a convolutional stem of its own, its
    # architecture's network behind it (MR.Q's encoder: its f_s), "" for none
    pixel_stem: str = ""
    actions: tuple[str, ...] = ("box",)  # action kinds it accepts
    loop: str = "replay"  # replay (minibatches from a buffer) | streaming (one transition)
    regimes: tuple[str, ...] = REPLAY_REGIMES  # the sparsity regimes its modules may use
    display: str = ""  # its name in the script's header and config ("" : the name in capitals)
    # templates/: its own replay buffer, where the observation kind's does not serve it (DER's
    # prioritized n-step frame replay)
    buffer: str = ""

    @property
    def title(self) -> str:
        return self.display or self.name.upper()

    def module_inputs(
        self, module: str, batch: bool = False, observation: str = "state"
    ) -> tuple[str, ...]:
        """What a module's forward takes: sizes (SynFlow's all-ones input) or, with batch, the
        tensors of a replay batch (diagnostics). An observation's size is the main() variable
        of its kind (obs_dim; obs_shape on pixels)."""
        inputs = (self.batch_inputs if batch else self.inputs)[module]
        if batch:
            return inputs
        size = OBSERVATION_KINDS[observation].variable
        return tuple(size if x == "obs_dim" else x for x in inputs)

    def optimizer(self, module: str) -> str:
        """The variable of the optimizer that steps a module's parameters."""
        return self.optimizer_of.get(module, f"{module}_opt")

    def ensemble_size(self, module: str, clipped_double_q: bool = True) -> int:
        """Members of a module's ensemble, and one critic where a spec turns clipped double Q
        off (train.clipped_double_q: false, SimBa's single critic on DMC)."""
        if module == "critic" and not clipped_double_q:
            return 1
        return self.ensembles.get(module, 1)

    def learned_temperature(self, alpha: Any) -> bool:
        """The fixed-alpha rule, once: an algorithm with an entropy temperature (a train key
        `alpha`) learns it when alpha is `auto`; only then do LEARNED_ALPHA_KEYS apply."""
        return "alpha" in self.train_keys and alpha == "auto"


_DELAYED_ACTOR_HELP = "critic updates between actor updates (targets move with the actor)"
_MRQ_HELP = {
    "train.actor_lr": "policy learning rate",
    "train.critic_lr": "value network learning rate",
    "train.weight_decay": "AdamW weight decay of the encoder, value and policy",
    "train.grad_clip": "max gradient norm of the value network (0 = none)",
}
_MRQ_LOSSES = (
    # the encoder's total and its three terms (summed over the unroll), the value (Huber) and
    # policy losses, and the reward scale the value net is trained in
    "encoder_loss",
    "dynamics_loss",
    "reward_loss",
    "done_loss",
    "critic_loss",
    "actor_loss",
    "reward_scale",
)
# MR.Q's encoder: the zs network's first Linear and za read the inputs; the model head is its
# output (done | next zs | reward logits)
_MRQ_LAYOUTS = {
    "encoder": ("zs_net", ("model",)),
    "actor": ("pi", ("pi.out",)),  # MR.SAC: one output layer, mean and log std
    "critic": ("q", ("q.out",)),
}
_DETERMINISTIC_LAYOUTS = {"actor": ("mu", ("mu.out",)), "critic": ("q", ("q.out",))}

# Which train keys an algorithm uses (in the order they appear in the generated config).
# `exploration_noise` is listed as "common" by SPEC_LANGUAGE.md but SAC explores by sampling its
# policy, so for SAC it is a key that "the chosen algorithm does not use" and is rejected.
# `policy_delay` is accepted for DDPG: CleanRL's DDPG updates its actor every 2 steps.
# `ddpg_variant` (specc): CleanRL's DDPG (target actor, noise-free losses) or SimBa's (no target
# actor, exploration noise in the actor loss and the target action, actor-first update order).
ALGORITHM_RECORDS: dict[str, Algorithm] = {
    a.name: a
    for a in (
        Algorithm(
            name="sac",
            modules=("actor", "critic"),
            train_keys=COMMON_TRAIN_KEYS
            + ("alpha", "alpha_init", "alpha_lr", "target_entropy", "policy_delay")
            + ("clipped_double_q",)
            + RLX2_TRAIN_KEYS,
            default_preset="cleanrl",
            template="algorithms/sac.py.jinja",
            loss_columns=("critic_loss", "actor_loss"),
            targets={"critic": "critic_target"},
            layouts={"actor": ("trunk", ("fc_mean", "fc_logstd")), "critic": ("q", ("q.out",))},
            joint_output_layouts={"actor": ("pi", ("pi.out",))},
            ensembles={"critic": 2},
            update_functions=True,
        ),
        Algorithm(
            name="td3",
            modules=("actor", "critic"),
            train_keys=COMMON_TRAIN_KEYS
            + ("exploration_noise", "policy_delay", "policy_noise", "noise_clip")
            + RLX2_TRAIN_KEYS,
            default_preset="cleanrl",
            template="algorithms/deterministic.py.jinja",
            loss_columns=("critic_loss", "actor_loss"),
            targets={"actor": "actor_target", "critic": "critic_target"},
            layouts=_DETERMINISTIC_LAYOUTS,
            ensembles={"critic": 2},
            update_functions=True,
            target_smoothing=True,
            q1_actor_loss=True,
            delayed_modules=("actor",),
            help={"train.policy_delay": _DELAYED_ACTOR_HELP},
        ),
        Algorithm(
            name="ddpg",
            modules=("actor", "critic"),
            train_keys=COMMON_TRAIN_KEYS
            + ("exploration_noise", "policy_delay", "ddpg_variant")
            + RLX2_TRAIN_KEYS,
            default_preset="cleanrl",
            template="algorithms/deterministic.py.jinja",
            loss_columns=("critic_loss", "actor_loss"),
            targets={"actor": "actor_target", "critic": "critic_target"},
            layouts=_DETERMINISTIC_LAYOUTS,
            update_functions=True,
            q1_actor_loss=True,
            delayed_modules=("actor",),
            help={"train.policy_delay": _DELAYED_ACTOR_HELP},
        ),
        # MR.Q (Fujimoto et al. 2025): hard target copies every target_every updates (no tau),
        # one RL update per agent step (replay ratio 1), the value net's gradient clip
        # (grad_clip), its encoder's own learning rate, unroll and value horizons, LAP replay and
        # loss weights. Its networks are its BaseMLPs (mlp) or the MST paper's BlockMLP (block).
        Algorithm(
            name="mrq",
            modules=("encoder", "actor", "critic"),
            train_keys=MRQ_TRAIN_KEYS,
            default_preset="mrq",
            template="algorithms/mrq.py.jinja",
            loss_columns=_MRQ_LOSSES,
            targets={
                "encoder": "encoder_target",
                "actor": "actor_target",
                "critic": "critic_target",
            },
            layouts=_MRQ_LAYOUTS,
            inputs=_ENCODED_INPUTS,
            batch_inputs=_ENCODED_BATCH_INPUTS,
            # MR.Q's two value networks (min in the target, mean in the policy loss)
            ensembles={"critic": 2},
            extra_inputs={"encoder": ("za",)},
            encoded=True,
            archs=("mlp", "block"),
            help=_MRQ_HELP
            | {
                "train.learning_starts": "agent steps of uniform random actions before updates start"
            },
            observations=("state", "pixels"),
            pixel_stem="encoder",
            # its discrete branch (Atari): a Gumbel-softmax policy, one-hot actions
            # (templates/actions/discrete.py.jinja)
            actions=("box", "discrete"),
        ),
        # MR.SAC (MST paper, App. E): MR.Q's encoder, replay, multi-step target, reward scale and
        # target copies, with SAC's tanh-Gaussian actor, soft critic loss and learned temperature
        Algorithm(
            name="mrsac",
            modules=("encoder", "actor", "critic"),
            train_keys=MRSAC_TRAIN_KEYS,
            default_preset="mrq",
            template="algorithms/mrsac.py.jinja",
            loss_columns=_MRQ_LOSSES,
            targets={"encoder": "encoder_target", "critic": "critic_target"},  # no target actor
            layouts=_MRQ_LAYOUTS,
            inputs=_ENCODED_INPUTS,
            batch_inputs=_ENCODED_BATCH_INPUTS,
            ensembles={
                "critic": 2
            },  # SAC's clipped double Q (min in the target and the actor loss)
            extra_inputs={"encoder": ("za",)},
            encoded=True,
            archs=("mlp", "block"),
            help=_MRQ_HELP,
        ),
        # DrQ-v2 (Yarats et al. 2022, facebookresearch/drqv2 drqv2.py): a convolutional encoder
        # trained by the critic's loss alone, a deterministic actor and twin critics each behind
        # its own Linear -> LayerNorm -> tanh trunk of feature_dim, exploration and target noise
        # from a scheduled std, n-step targets, random-shift augmentation of every batch
        Algorithm(
            name="drqv2",
            modules=("encoder", "actor", "critic"),
            train_keys=DRQV2_TRAIN_KEYS,
            default_preset="drqv2",
            template="algorithms/drqv2.py.jinja",
            loss_columns=("critic_loss", "actor_loss", "stddev"),
            targets={"critic": "critic_target"},
            # the encoder has no output layer; the actor's and critic's `input` role is their
            # feature trunk's Linear, which reads the encoder's flattened features
            layouts={
                "encoder": ("", ()),  # the encoder is its trunk (ConvEncoder)
                "actor": ("policy", ("policy.out",)),
                "critic": ("q", ("q.out",)),
            },
            inputs={
                "encoder": ("obs_shape",),
                "actor": ("repr_dim",),
                "critic": ("repr_dim", "act_dim"),
            },
            batch_inputs={"encoder": ("obs",), "actor": ("h",), "critic": ("h", "actions")},
            batch_features='h = nets["encoder"](obs)  # the features of the stacks, not shifted',
            optimizer_of={"encoder": "critic_opt"},
            ensembles={"critic": 2},
            extra_inputs={"actor": ("features",), "critic": ("features",)},
            update_functions=False,
            archs=("conv", "mlp"),
            help={
                "train.learning_starts": "agent steps of uniform random actions before updates start (DrQ-v2's seed frames / action repeat)",
                "train.update_every": "agent steps between updates (one update each)",
                "train.n_step": "rewards summed in the TD target (n-step return, DrQ-v2's nstep)",
            },
            observations=("pixels",),
            scheduled_exploration=True,
            display="DrQ-v2",
        ),
        # Stream AC(lambda) (Elsayed et al. 2024, stream_ac_continuous.py): a Gaussian policy and
        # a state-value network, each stepped by its own ObGD optimizer (eligibility traces, the
        # overshooting bound) on every transition as it arrives: no buffer, no targets, no batch
        Algorithm(
            name="stream_ac",
            modules=("actor", "critic"),
            train_keys=(
                "total_steps",
                "gamma",
                "td_lambda",
                "actor_lr",
                "critic_lr",
                "actor_kappa",
                "critic_kappa",
                "entropy_coeff",
            ),
            default_preset="stream",
            template="algorithms/stream_ac.py.jinja",
            # the mean |TD error| since the last row and each ObGD's last step size (lr, or
            # lr / (kappa max(|delta|, 1) |z|_1) where the bound binds)
            loss_columns=("td_error", "actor_step_size", "critic_step_size"),
            targets={},
            layouts={"actor": ("trunk", ("mu", "std")), "critic": ("trunk", ("out",))},
            inputs={"actor": ("obs_dim",), "critic": ("obs_dim",)},  # the critic is V(s)
            batch_inputs={"actor": ("obs",), "critic": ("obs",)},
            archs=("stream",),
            help={
                "train.actor_lr": "ObGD step size of the policy (before the overshooting bound)",
                "train.critic_lr": "ObGD step size of the value network (before the bound)",
                "train.total_steps": "agent steps of the whole run (one update each)",
            },
            loop="streaming",
            regimes=STREAMING_REGIMES,
            display="Stream AC(lambda)",
        ),
        # Data-Efficient Rainbow (van Hasselt et al. 2019) as Dopamine configures it (the
        # sparsity-scaling paper's C.3, Table 5): a CNN encoder (IMPALA by default) and a
        # distributional (C51) dueling head of noisy layers, the Q-network's online and target
        # copies, double-DQN n-step targets projected on the support, prioritized replay. The
        # head is the `critic` module (the value network); one Adam steps both modules.
        Algorithm(
            name="der",
            modules=("encoder", "critic"),
            train_keys=DER_TRAIN_KEYS,
            default_preset="der",
            template="algorithms/der.py.jinja",
            loss_columns=("critic_loss", "q_mean"),
            targets={"encoder": "encoder_target", "critic": "critic_target"},
            layouts={"encoder": ("", ()), "critic": ("", ("advantage", "value"))},
            inputs={"encoder": ("obs_shape",), "critic": ("repr_dim",)},
            batch_inputs={"encoder": ("obs",), "critic": ("h",)},
            batch_features='h = nets["encoder"](obs)  # the encoder\'s features of the stacks',
            optimizer_of={"encoder": "critic_opt"},
            archs=("impala", "nature", "mlp"),
            module_archs={"encoder": ("impala", "nature"), "critic": ("mlp",)},
            own_networks=("critic",),
            noisy_modules=("critic",),
            required_networks=(),  # the der preset gives both (Table 5's networks)
            random_warmup=False,
            warmup_note="its noisy network explores; Dopamine's DER has no epsilon, warm-up included",
            help={
                "train.critic_lr": "Adam's learning rate of the whole Q-network (encoder and head)",
                "train.learning_starts": "agent steps before updates start (Dopamine's min_replay_history; the noisy network acts from the first)",
                "train.eval_epsilon": "evaluation: probability of a uniform random action (Dopamine's epsilon_eval; the network acts without noise)",
                "train.update_every": "agent steps between updates (one update each)",
                "train.n_step": "rewards summed in the TD target (n-step return, Dopamine's update_horizon)",
                "train.target_every": "agent steps between copies of the online network into the target network (Dopamine's target_update_period, counted in agent steps)",
                "train.grad_clip": "max global gradient norm of the Q-network (0: none, Dopamine)",
            },
            observations=("pixels",),
            actions=("discrete",),
            buffer="runtime/prioritized_frame_buffer.py.jinja",
            display="DER",
        ),
    )
}


def algorithm(name: str) -> Algorithm:
    return ALGORITHM_RECORDS[name]
