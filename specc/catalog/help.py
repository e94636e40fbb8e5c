"""The meaning of every key of the language, once."""

from __future__ import annotations

from .networks import ARCH_RECORDS

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
    "env.id": "environment id: a Gymnasium id; for suite dmc the task as domain-task (dog-run); for suite atari an Atari-100k game (Pong)",
    "env.suite": "environment suite: gymnasium | dmc (DeepMind Control through shimmy) | atari (the ALE, Atari-100k's protocol)",
    "env.observation": "what the agent observes: state (the task's state vector) | pixels (frames rendered by the task's camera on dmc; the screen on atari)",
    "env.image_size": "pixels: height and width of a rendered frame (DrQ-v2: 84)",
    "env.frame_stack": "pixels: frames stacked into one observation (DrQ-v2: 3)",
    "env.action_repeat": "environment frames per agent step, rewards summed (default 1; dmc: 2)",
    "env.sticky_actions": "atari: probability that the ALE repeats the previous action at a frame (0: none, Atari-100k and DER; 0.25: Machado et al. 2018, MR.Q)",
    "env.terminal_on_life_loss": "atari: a lost life ends the chain of bootstrapped targets and restarts the frame stack; the game goes on (Atari-100k, DER)",
    "env.clip_rewards": "atari: rewards stored for learning are clipped to [-1, 1]; returns are reported unclipped",
    "env.noop_max": "atari: each episode starts with a uniform 0..noop_max - 1 agent steps of NOOP (Dopamine's runner; 0: none)",
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
    "train.adam_eps": "epsilon of Adam's denominator (DER: 1.5e-4)",
    "train.num_atoms": "atoms of the return distribution's support (C51: 51)",
    "train.v_max": "the return distribution's support spans [-v_max, v_max] (Dopamine's vmax)",
    "train.noisy_sigma": "noisy nets: initial noise scale sigma_0 (each weight's sigma starts at sigma_0 / sqrt(fan_in))",
    "train.priority_exponent": "prioritized replay: a sample's priority is its loss ** this (0: uniform replay)",
    "train.priority_weight": "prioritized replay: the importance-sampling exponent beta, weights (1 / P) ** beta over the batch's largest (Kaixhin/Rainbow's name)",
    "train.eval_epsilon": "evaluation: probability of a uniform random action (epsilon-greedy evaluation)",
    "train.feature_dim": "DrQ-v2: features of the actor's and critic's Linear -> LayerNorm -> tanh trunk",
    "train.stddev_init": "DrQ-v2: exploration std at step 0 (the schedule's start)",
    "train.stddev_final": "DrQ-v2: exploration std from stddev_steps on",
    "train.stddev_steps": "DrQ-v2: agent steps over which the std falls linearly from stddev_init to stddev_final",
    "train.stddev_clip": "DrQ-v2: clip of the noise on the target's and the actor loss's actions",
    "train.random_shift": "random-shift augmentation: pixels of replicate padding, then a random crop back to size, bilinear (DrQ-v2: 4; 0: none)",
    "train.n_step": "steps of the multi-step TD target (RLx2); 1: one-step",
    "train.n_step_start": "agent step from which the n-step target is used (before: one-step)",
    "train.buffer_check_every": "agent steps between checks of the dynamic-capacity buffer (RLx2; 0: fixed capacity)",
    "train.buffer_threshold": "policy distance of the oldest transitions above which the buffer drops its oldest ones",
    "train.buffer_min_size": "the buffer drops nothing while it holds this many transitions or fewer",
    "train.buffer_drop_fraction": "fraction of the stored transitions dropped (oldest first) per drop",
    "train.buffer_drop": "once (RLx2's code: one drop per check) | until_below (its paper: drops repeated until the distance is below the threshold)",
    "train.clipped_double_q": "two critics, the TD target and the actor from their minimum (false: one critic)",
    "train.ddpg_variant": "cleanrl (target actor, noise-free losses) | simba (no target actor; exploration noise in the actor loss and the target action; actor updated first)",
    "train.td_lambda": "lambda of the eligibility traces (decayed by gamma * lambda each step, reset at episode ends)",
    "train.actor_kappa": "ObGD's overshooting bound kappa of the policy's step",
    "train.critic_kappa": "ObGD's overshooting bound kappa of the value network's step",
    "train.entropy_coeff": "weight of the policy's entropy bonus (signed by the TD error, as Stream AC)",
    "eval.every": "agent steps between evaluations (0: never)",
    "eval.episodes": "episodes per evaluation (deterministic policy)",
    "checkpoint.every": "agent steps between checkpoints (0: only model.pt at the end)",
    "networks.MODULE.arch": "network architecture",
    "networks.MODULE.width": "hidden width",
    "networks.MODULE.depth": "; ".join(
        f"{a.name}: {a.depth_meaning}" for a in ARCH_RECORDS.values()
    ),
    "networks.MODULE.type": "block only: 1..6, the MST paper's variants",
    "networks.MODULE.activation": "hidden activation (mlp and block)",
    "networks.MODULE.layer_norm": "LayerNorm before each activation (mlp and block)",
    "networks.MODULE.residual": "residual connections (block)",
    "networks.MODULE.sparsity.regime": "dense | sst (static) | dst (dynamic) | d2s (dense to sparse) | s2d (sparse to dense) | sparse_init (trainable weights that start at zero)",
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
    the algorithm's own where its record has one."""
    from .algorithms import ALGORITHM_RECORDS

    if path[0] == "networks" and len(path) > 2:
        path = ("networks", "MODULE", *path[2:])
    key = ".".join(path)
    record = ALGORITHM_RECORDS.get(algorithm)
    return record.help.get(key, HELP[key]) if record else HELP[key]


# Flags of the generated script that are no spec key.
FLAG_HELP: dict[str, str] = {
    "target_entropy_per_dim": "target entropy per action dimension (target = this * |A|)",
}
