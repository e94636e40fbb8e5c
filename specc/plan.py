"""The plan: a typed, fully defaulted description of one generated script.

This is the only thing templates see. Everything here is resolved: no ``None`` that means
"use the default", no preset names to look up, no raw YAML. Collections are tuples in a fixed
order so that rendering is deterministic.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from . import catalog
from .catalog import (
    ACTIVATION_METRICS,
    ACTOR_LOG_STD_SOURCES,
    ALLOCATION_FUNCTIONS,
    ALLOCATION_TEXT,
    DIAGNOSTICS_METRIC_KEYS,
    EXTRAS,
    GYMNASIUM_REQUIREMENT,
    MASKED_METRICS,
)


@dataclass(frozen=True)
class ConfigField:
    """One field of the generated ``Config`` dataclass, hence one command-line flag."""

    name: str  # python identifier; the flag is --name-with-dashes
    type: str  # "int" | "float" | "str" | "bool"
    value: Any
    help: str
    source: str  # spec | override | preset NAME | default | derived
    key: str = ""  # the spec key it sets ("train.batch_size", "networks.critic.width", ...)
    # what the flag accepts, as its spec key does: (op, bound) with op one of > >= < <= and the
    # bound a number (the schema's range) or another field's name (a relation of the rules)
    rules: tuple[tuple[str, Any], ...] = ()
    # the values a str flag takes, as its spec key's choices (env.stack_padding): a Literal field
    choices: tuple[str, ...] = ()

    @property
    def rule_texts(self) -> tuple[str, ...]:
        """The rules as the script writes them in the field's annotation: ">= 1", "< total_steps"."""
        return tuple(f"{op} {_bound_text(bound)}" for op, bound in self.rules)


def _bound_text(bound: Any) -> str:
    """A rule's bound as written: a field name, an int, or a float (0 rather than 0.0)."""
    if isinstance(bound, float) and bound.is_integer():
        return str(int(bound))
    return str(bound)


@dataclass(frozen=True)
class ConfigGroup:
    title: str  # a comment line above the group
    fields: tuple[ConfigField, ...]
    note: str = ""  # e.g. where the preset's values come from


@dataclass(frozen=True)
class SparsityPlan:
    regime: str  # dense | sst (dst, d2s, s2d arrive with their templates)
    level: float = 0.0
    distribution: str = ""  # uniform | er | erk | global
    criterion: str = (
        ""  # random | magnitude | synflow | snip; "" for d2s (it starts dense, no initial mask)
    )
    prune_at: int = 0
    dense_layers: tuple[str, ...] = ()  # layer names (module-relative) kept dense
    output_layers: tuple[
        str, ...
    ] = ()  # the module's output layers (SynFlow's R sums their outputs)
    inputs: tuple[
        str, ...
    ] = ()  # what the module's forward takes: "obs_dim" | "act_dim" (SynFlow's all-ones input)
    revival: str = "none"  # none | uniform | tar
    revival_ratio: float = 0.0
    growth: str = (
        ""  # dynamic regimes: set | rigl | importance; "" = no drop-and-grow (d2s without topology.method)
    )
    topology_every: int = 0
    drop_fraction: float = 0.0
    decay: str = ""  # cosine | constant | linear
    topology_end: float = 0.0
    schedule_start: float = 0.0  # d2s/s2d
    schedule_end: float = 0.0
    schedule_power: float = 0.0
    # distribution epsilon_er: eps per sparse layer of a member, in order (the last repeats)
    epsilon: tuple[float, ...] = ()
    # dynamic topology details (the RLx2 and DS-TD3 presets differ from specc's RigL/SET here)
    drop: str = "magnitude"  # magnitude | sign_split (Sokar's SET)
    reset_moments: bool = True  # grown weights start with zero Adam moments
    mask_gradients: bool = True  # pruned weights get no gradient
    skip_step: bool = True  # a mask update replaces that step's optimizer update (RigL)
    target_masking: str = "mask"  # mask | count (Sokar: pruned to the online non-zero count)
    grow_last: bool = True  # the last mask update grows back what it drops (Sokar: prunes only)
    # its masked weights are convolution kernels (out, in, kh, kw) beside Linear matrices: the
    # conv arch's encoder of pixels (ERK then has its kernel terms)
    kernels: bool = False

    @property
    def bernoulli(self) -> bool:
        """The mask is drawn per weight with the layer's epsilon-ER density (no budget)."""
        return self.distribution == "epsilon_er"

    @property
    def sparse(self) -> bool:
        return catalog.regime(self.regime).sparse

    @property
    def init_zeros(self) -> bool:
        """SparseInit: a fraction (the level) of each unit's incoming weights starts at zero."""
        return catalog.regime(self.regime).init_zeros

    @property
    def allocation(self) -> str:
        """The generated function that allocates the module's active weights."""
        if self.distribution == "erk" and self.kernels:
            return "erk_counts"  # ERK's kernel terms; on Linear layers alone ER and ERK coincide
        return ALLOCATION_FUNCTIONS[self.distribution]

    @property
    def dynamic(self) -> bool:
        return catalog.regime(self.regime).dynamic

    @property
    def scheduled(self) -> bool:
        """The module's level follows a schedule (d2s, s2d); the others take their mask once,
        at prune_at."""
        return catalog.regime(self.regime).scheduled

    @property
    def starts_dense(self) -> bool:
        """The module trains dense at first and is pruned along its schedule (d2s)."""
        return catalog.regime(self.regime).starts_dense

    @property
    def layerwise_schedule(self) -> bool:
        """The schedule scales a per-layer reference allocation (Masks.set_reference); with
        distribution global only the module's count follows it."""
        return self.scheduled and self.distribution != "global"

    @property
    def allocation_text(self) -> str:
        """The allocation in words (the prune function's docstring)."""
        return ALLOCATION_TEXT[self.distribution]

    def prune_params(
        self, module: str, targets: str, optimizer_state: bool = True, optimizer: str = ""
    ) -> tuple[str, ...]:
        """What prune_<module>() takes, by the names main() holds them under: the masks; unless
        the module starts dense (d2s), its optimizer (where a mask taken after training started
        clears its state: optimizer_state), its targets (`targets`: the variable(s) holding
        them, "" for none), and for SynFlow the network and its input sizes; the config where a
        level or a revival ratio is read (not for epsilon-ER draws alone)."""
        params = [f"{module}_masks"]
        if not self.starts_dense:
            params += [optimizer or f"{module}_opt"] if optimizer_state else []
            params += [targets] if targets else []
            params += [module, *self.inputs] if self.criterion == "synflow" else []
        if not self.bernoulli or self.revival != "none":
            params.append("cfg")
        return tuple(params)

    def schedule_levels(self, module: str) -> tuple[str, str]:
        """The schedule's initial and final levels as config expressions: d2s from dense to the
        module's level, s2d back."""
        level = f"cfg.{module}_sparsity_level"
        return ("0.0", level) if self.starts_dense else (level, "0.0")

    def prune_docstring(self, module: str) -> str:
        """prune_<module>()'s docstring: how the module's first mask is taken."""
        if self.starts_dense and self.layerwise_schedule:
            return (
                "D2S starts dense: only the per-layer shape of the final level "
                f"({self.allocation_text}) is fixed now."
            )
        if self.starts_dense:
            return (
                "D2S starts dense; with one global threshold only the module's count follows "
                "the schedule. Checked now: the final level can be reached with the dense layers "
                "kept."
            )
        if self.bernoulli:
            eps = ", ".join(str(e) for e in self.epsilon)
            how = f"Bernoulli draws at the {self.allocation_text} of eps {eps} per sparse layer"
        else:
            scores = {
                "synflow": " (100 rounds)",
                "snip": " of `loss`, its loss on one replay batch",
            }
            how = (
                f"{self.criterion} scores{scores.get(self.criterion, '')}, "
                f"{self.allocation_text} at level cfg.{module}_sparsity_level"
            )
        dense = f" ({', '.join(self.dense_layers)} dense)" if self.dense_layers else ""
        revival = {
            "none": "",
            "tar": ", then TAR revival",
            "uniform": ", then uniform (UR) revival",
        }
        mask = "initial mask" if self.dynamic else "mask"
        return f"The {module}'s {mask}: {how}{dense}{revival[self.revival]}."


# DynamicMasks' parameters for the dst variants of RLx2 and DS-TD3, in signature order: the
# SparsityPlan field each sets, specc's default (RigL's semantics), and a comment: the values,
# or what False does
TOPOLOGY_VARIANTS: tuple[tuple[str, Any, str], ...] = (
    ("drop", "magnitude", "magnitude | sign_split (Sokar's SET)"),
    ("reset_moments", True, "False: grown weights keep Adam's moments (RLx2, Sokar)"),
    ("mask_gradients", True, "False: pruned weights get gradients (Sokar)"),
    ("skip_step", True, "False: a mask update follows the step's update (Sokar)"),
    ("target_masking", "mask", "mask | count (Sokar: targets keep the online count)"),
    ("grow_last", True, "False: the last mask update drops only (Sokar)"),
)


@dataclass(frozen=True)
class SparsityCode:
    """What sparsity code a script needs, derived once from all its sparse modules: the
    templates select with these fields and never combine per-module facts themselves."""

    allocations: tuple[str, ...]  # allocation functions: uniform_counts | er_counts | global_count
    criteria: tuple[str, ...]  # initial-mask scores: random | magnitude | synflow | snip
    revivals: tuple[str, ...]  # revival budgets: tar | uniform
    scored: bool  # some module takes a mask from scores (Masks.prune); d2s alone starts dense
    global_select: bool  # some module ranks all its weights together (one count, not one per layer)
    ensembled: bool  # some sparse module holds ensemble layers (EnsembleLinear)
    dynamic: bool  # some module's topology changes (dst, d2s, s2d): DynamicMasks
    decays: tuple[str, ...]  # drop-fraction schedules of the modules that drop and grow
    growth: tuple[str, ...]  # growth methods: set | rigl | importance
    prune_only: bool  # a dynamic module without drop-and-grow (d2s without topology.method)
    scheduled: bool  # some module's level follows a schedule (d2s, s2d)
    scheduled_global: bool  # ... with one global count
    scheduled_layerwise: bool  # ... with per-layer counts scaled from a reference allocation
    snip_batch: bool  # a module scores a replay batch (SNIP): --dry-run builds a random one
    # the variants of the dynamic topology some module uses (each off: specc's RigL/SET code)
    sign_split: bool = False  # Sokar's SET drop (topology.drop: sign_split)
    keeps_moments: bool = False  # grown weights keep Adam's moments (reset_moments: false)
    unmasked_grads: bool = False  # some module's gradients are not masked (mask_gradients: false)
    step_then_topology: bool = (
        False  # the mask update follows the optimizer step (skip_step: false)
    )
    count_targets: bool = False  # targets pruned to the online count (targets: count)
    prunes_last: bool = False  # some module's last mask update only drops (grow_last: false)
    bernoulli: bool = False  # some module draws epsilon-ER Bernoulli masks
    dense_modules: tuple[str, ...] = ()  # the modules beside the sparse ones that stay dense
    # a mask may be taken after training started, so it clears its optimizer's state (Adam's
    # moments); a streaming agent's masks come before its first step
    optimizer_state: bool = True
    kernels: bool = False  # some sparse module masks convolution kernels (the conv arch)
    # the sparse modules that one optimizer steps together, per such optimizer (DrQ-v2's critic
    # and encoder): their masks act as one MaskGroup in optimizer_step
    mask_groups: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # some sparse module has noisy layers (DER's head): a weight's noise scale shares its mask
    noisy: bool = False

    @property
    def floor_counts(self) -> bool:
        """Some count is a floor of a float product (every allocation but epsilon_er's draws,
        revival budgets, scheduled counts): the script defines floor_count."""
        budgets = set(self.allocations) - {"epsilon_er_densities"}
        return bool(budgets or self.revivals or self.scheduled)

    @property
    def importance(self) -> bool:
        """Some module grows by neuron importance (the topology-adaptation paper)."""
        return "importance" in self.growth

    @property
    def scheduled_mixed(self) -> bool:
        """Scheduled modules of both kinds: one with a global count, one with per-layer counts
        (scheduled_counts chooses at run time by whether the module has a reference)."""
        return self.scheduled_global and self.scheduled_layerwise

    @property
    def growth_by_module(self) -> bool:
        """The growth method is chosen at run time per module: several methods, or a module that
        does not grow beside one that does."""
        return len(self.growth) > 1 or self.optional_growth

    @property
    def optional_growth(self) -> bool:
        """Some module drops and grows beside a d2s module that prunes only: DynamicMasks checks
        its growth at run time (None: no drop-and-grow)."""
        return self.prune_only and bool(self.growth)

    @property
    def selects(self) -> bool:
        """Some mask is chosen from scores, an initial one or a topology update's (Masks.select)."""
        return self.scored or self.dynamic

    @property
    def initial_mask(self) -> bool:
        """Some module takes its first mask at its prune_at, from scores or Bernoulli draws,
        after training dense until then (Masks.mask_optimizer_state); d2s alone starts dense."""
        return self.scored or self.bernoulli

    @property
    def clears_optimizer_state(self) -> bool:
        """Masks.mask_optimizer_state exists: a first mask may come after training started."""
        return self.initial_mask and self.optimizer_state

    @property
    def topology_variants(self) -> tuple[tuple[str, Any, str], ...]:
        """The dst variants of RLx2 and DS-TD3 some module uses, as DynamicMasks parameters:
        (name, specc's default, what it says); each one off is RigL's semantics, not emitted."""
        used = {
            "drop": self.sign_split,
            "reset_moments": self.keeps_moments,
            "mask_gradients": self.unmasked_grads,
            "skip_step": self.step_then_topology,
            "target_masking": self.count_targets,
            "grow_last": self.prunes_last,
        }
        return tuple(v for v in TOPOLOGY_VARIANTS if used[v[0]])

    @property
    def masks_params(self) -> tuple[str, ...]:
        """DynamicMasks.__init__'s parameters with specc's defaults, only those some module
        sets: the growth method and drop schedule where a module drops and grows, the
        topology variants some module uses."""
        params = ["net", "optimizer", "targets=()", "dense_layers=()"]
        if self.growth:
            params.append(f"growth={self.growth[0]!r}")
        if self.decays:
            params.append(f"drop_schedule={self.decays[0]}_drop_fraction")
        params.append("every=1000")
        if self.decays:
            params.append("drop_fraction=0.3")
        params.append("end_step=1")
        params += [f"{name}={default!r}" for name, default, _ in self.topology_variants]
        return tuple(params)

    def masks_kwargs(
        self, sp: SparsityPlan, module: str, targets: str
    ) -> tuple[tuple[str, str], ...]:
        """The keyword arguments of a module's DynamicMasks(...) after the network and its
        optimizer, as (name, Python source): every parameter of masks_params the module has a
        value for. `targets`: the variable(s) holding its targets ("" for none); the end step
        counts the module's gradient steps, `<module>_steps`."""
        m = module
        kwargs = [("targets", f"({targets},)")] if targets else []
        if sp.dense_layers:
            kwargs.append(("dense_layers", repr(sp.dense_layers)))
        if self.growth:
            kwargs.append(("growth", repr(sp.growth or None)))
        if sp.growth:
            kwargs.append(("drop_schedule", f"{sp.decay}_drop_fraction"))
        kwargs.append(("every", f"cfg.{m}_topology_every"))
        if sp.growth:
            kwargs.append(("drop_fraction", f"cfg.{m}_drop_fraction"))
        end = {
            (False, True): f"cfg.{m}_topology_end",
            (True, False): f"cfg.{m}_schedule_end",
            (True, True): f"max(cfg.{m}_schedule_end, cfg.{m}_topology_end)",
        }[(sp.scheduled, bool(sp.growth))]
        kwargs.append(("end_step", f"int({end} * {m}_steps)"))
        kwargs += [(name, repr(getattr(sp, name))) for name, _, _ in self.topology_variants]
        return tuple(kwargs)


def _ordered(values) -> tuple[str, ...]:
    """Each value once, in first-seen order (module order)."""
    return tuple(dict.fromkeys(v for v in values if v))


def sparsity_code(
    networks: tuple[NetworkPlan, ...],
    masks_later: bool = True,
    optimizer: Any = None,
    noisy_modules: tuple[str, ...] = (),
) -> SparsityCode | None:
    """The script-level sparsity facts of a plan's networks; None when every module is dense.
    masks_later: a mask may be taken after training started (the loop kind's); optimizer(module):
    the variable of the optimizer that steps a module (Algorithm.optimizer); noisy_modules: the
    modules built of noisy layers (Algorithm.noisy_modules)."""
    sparse = [n.sparsity for n in networks if n.sparsity.sparse]
    if not sparse:
        return None
    stepped: dict[str, list[str]] = {}
    for n in networks:
        if n.sparsity.sparse and optimizer is not None:
            stepped.setdefault(optimizer(n.module), []).append(n.module)
    dynamic = [s for s in sparse if s.dynamic]
    scheduled = [s for s in dynamic if s.scheduled]
    return SparsityCode(
        allocations=_ordered(s.allocation for s in sparse),
        # epsilon_er's Bernoulli masks are drawn, not chosen from scores (Masks.draw)
        criteria=_ordered(s.criterion for s in sparse if not s.bernoulli),
        revivals=_ordered(s.revival for s in sparse if s.revival != "none"),
        scored=any(s.criterion and not s.bernoulli for s in sparse),
        global_select=any(s.distribution == "global" for s in sparse),
        ensembled=any(n.ensemble > 1 for n in networks if n.sparsity.sparse),
        dynamic=bool(dynamic),
        decays=_ordered(s.decay for s in dynamic if s.growth),
        growth=_ordered(s.growth for s in dynamic),
        prune_only=any(not s.growth for s in dynamic),
        scheduled=bool(scheduled),
        scheduled_global=any(s.distribution == "global" for s in scheduled),
        scheduled_layerwise=any(s.distribution != "global" for s in scheduled),
        snip_batch=any(s.criterion == "snip" for s in sparse),
        sign_split=any(s.drop == "sign_split" for s in dynamic),
        keeps_moments=any(not s.reset_moments for s in dynamic),
        unmasked_grads=any(not s.mask_gradients for s in dynamic),
        step_then_topology=any(not s.skip_step for s in dynamic),
        count_targets=any(s.target_masking == "count" for s in dynamic),
        prunes_last=any(not s.grow_last for s in dynamic),
        bernoulli=any(s.bernoulli for s in sparse),
        dense_modules=tuple(n.module for n in networks if not n.sparsity.sparse),
        optimizer_state=masks_later,
        kernels=any(s.kernels for s in sparse),
        mask_groups=tuple((opt, tuple(ms)) for opt, ms in stepped.items() if len(ms) > 1),
        noisy=any(n.sparsity.sparse and n.module in noisy_modules for n in networks),
    )


@dataclass(frozen=True)
class TrunkPlan:
    """What one trunk class (one network template) must support: the union over the script's
    modules of that architecture, so that the class is emitted once for all of them."""

    arch: str  # mlp | block | simba
    ensembled: bool  # some module of this arch holds ensemble layers: the class takes `ensemble`
    layer_norm: bool  # some module of this arch normalizes (an MLP's optional LayerNorm)
    ensemble_layer_norm: bool  # ... an ensembled one: EnsembleLayerNorm (learnable per member)
    dense_outputs: bool  # dormant_ratio scores pre-activation Linear outputs (Ma et al.'s code)
    plain_layer_norm: bool = False  # some module normalizes without learnable parameters (MR.Q)
    # activations() also returns the post-activation outputs, third, for fau (some trunk of the
    # script gives dormant_ratio its dense outputs: DiagnosticsPlan.active_outputs)
    active_outputs: bool = False


@dataclass(frozen=True)
class NetworkPlan:
    module: str  # actor | critic | encoder
    arch: str  # mlp | block | simba
    template: str  # the network template that defines this module's trunk
    trunk_class: str  # the class that template defines: MLP | BlockMLP
    width: int
    depth: int
    activation: str
    activation_fn: str  # the torch function, chosen by the compiler: "F.relu" | "F.elu"
    layer_norm: bool
    residual: bool  # block only
    ensemble: int  # members evaluated in one batched forward (2 for twin critics)
    sparsity: SparsityPlan
    # the LayerNorm has a learnable scale and bias (nn.LayerNorm); MR.Q's has none
    affine_norm: bool = True
    # "orthogonal": every Linear orthogonal (gain 1), zero bias (a preset's init, RLx2's SAC);
    # "": the architecture's own
    init: str = ""

    @property
    def trunk_kwargs(self) -> tuple[tuple[str, str], ...]:
        """The keyword arguments of the module's trunk constructor after (in, width, depth, out),
        as (name, Python source): the activation (not SimBa's, always ReLU), BlockMLP's
        layer_norm and residual, an MLP's layer_norm when on, the ensemble size when > 1."""
        kwargs = []
        arch = self.arch_record
        if arch.activation_arg:
            kwargs.append(("activation", self.activation_fn))
        if arch.block_flags:
            kwargs += [("layer_norm", repr(self.layer_norm)), ("residual", repr(self.residual))]
        elif arch.norm == "module" and self.layer_norm:
            kwargs.append(("layer_norm", "True"))
            if not self.affine_norm:
                kwargs.append(("affine", "False"))
        if self.ensembled:
            kwargs.append(("ensemble", str(self.ensemble)))
        return tuple(kwargs)

    @property
    def orthogonal_init(self) -> bool:
        """The module's constructor makes every Linear orthogonal with zero bias (RLx2)."""
        return self.init == "orthogonal"

    @property
    def orthogonal_heads(self) -> bool:
        """SimBa initialises the layers after its trunk (a SAC actor's heads) orthogonally."""
        return self.arch_record.orthogonal_init

    @property
    def arch_record(self) -> catalog.Arch:
        return catalog.arch(self.arch)

    @property
    def norm_module(self) -> bool:
        """Its layers normalise with nn.LayerNorm modules (SimBa; an MLP with layer_norm)."""
        norm = self.arch_record.norm
        return norm == "always" or (norm == "module" and self.layer_norm)

    @property
    def functional_norm(self) -> bool:
        """Its architecture normalises with MR.Q's parameter-free ln_activ (BlockMLP)."""
        return self.arch_record.norm == "functional"

    @property
    def ensembled(self) -> bool:
        """The module's layers hold several members (EnsembleLinear)."""
        return self.ensemble > 1


@dataclass(frozen=True)
class AlgoPlan:
    name: str  # the algorithm (its record: self.record)
    preset: str
    preset_source: str
    optimizer: str  # adam | adamw
    weight_decay: bool  # emit a weight_decay field and pass it to the optimizers
    grad_clip: bool  # emit gradient-norm clipping
    gamma_auto: bool  # discount from the SimBa/TD-MPC2 heuristic at run time
    learned_alpha: bool  # sac: learned temperature
    target_entropy: str  # sac: "per_dim" (a multiple of |A|) | "fixed" | ""
    actor_first: (
        bool  # update order: actor (and temperature) before the critic (SimBa) or after (CleanRL)
    )
    log_std_min: float  # sac: lower bound of the policy's log std (CleanRL -5, SimBa -10)
    targets: dict[
        str, str
    ]  # module -> the variable holding its target network (a mask applies to both)
    # ddpg: "cleanrl" (target actor) | "simba" (no target actor, noisy losses, actor first); ""
    ddpg_variant: str = ""
    # two critics in one ensemble, the TD target (and SAC's actor) from their minimum (clipped
    # double Q: TD3, and SAC unless train.clipped_double_q is false); the loss is the sum of both
    # members' losses, logged halved (CleanRL)
    twin_critics: bool = False
    # MR.Q: whether the multi-step value target keeps the terminating transition's reward
    # (train.terminal_reward: dropped, as MR.Q's code, | kept); "" for the other algorithms
    terminal_reward: str = ""
    # RLx2's delayed multi-step TD target (train.n_step > 1): the buffer returns windows of
    # n transitions and the TD target sums their rewards up to the episode's end
    n_step: bool = False
    # RLx2's dynamic-capacity buffer (train.buffer_check_every > 0): once | until_below; ""
    buffer_drop: str = ""
    # sac: the actor's mean and log std come from one output layer of 2|A| (RLx2), not two heads
    joint_actor_output: bool = False

    @property
    def record(self) -> catalog.Algorithm:
        """The algorithm's catalog record."""
        return catalog.algorithm(self.name)

    @property
    def actor_reads_q1(self) -> bool:
        """TD3's actor loss is -Q_1(s, mu(s)) (Fujimoto et al.; CleanRL): the twin critics'
        ensemble then also evaluates member 0 alone (Critic.q1), half the work of both."""
        return self.twin_critics and self.record.q1_actor_loss and not self.noisy_losses

    @property
    def clips_value_grads_only(self) -> bool:
        """MR.Q clips the value network's gradients only, when grad_clip is on at run time."""
        return self.grad_clip and self.encoded

    @property
    def dynamic_buffer(self) -> bool:
        """The buffer drops its oldest transitions when the policy has moved away from them."""
        return bool(self.buffer_drop)

    @property
    def buffer_extras(self) -> tuple[str, ...]:
        """What rb.add takes after `terminated` (the loop's variable names): the truncation flag
        (encoded algorithms, n-step windows stop at episode ends) and the noise-free action (the
        dynamic buffer's policy distance)."""
        extras = ("truncated",) if self.encoded or self.n_step else ()
        return extras + (("policy_action",) if self.dynamic_buffer else ())

    @property
    def template(self) -> str:
        """The algorithm template that defines the script's agent (its algo.* macros)."""
        return self.record.template

    @property
    def encoded(self) -> bool:
        """The agent learns an encoder (MR.Q): the actor acts on its zs, the critic values its
        zsa, and the replay is LAP over sub-trajectories (runtime/lap_buffer)."""
        return self.record.encoded

    @property
    def acting(self) -> str:
        """The variable main() acts and evaluates with: the actor, or (an agent with an encoder:
        MR.Q's zs, DrQ-v2's features) the policy that reads the encoder."""
        return "policy" if "encoder" in self.record.modules else "actor"

    @property
    def phased_updates(self) -> bool:
        """Updates come in phases of update_every * updates_per_step gradient steps from
        learning_starts on; MR.Q instead updates once per agent step after learning_starts."""
        return not self.encoded

    @property
    def target_smoothing(self) -> bool:
        """TD3's target policy smoothing: clipped Gaussian noise on the target actor's action."""
        return self.record.target_smoothing

    @property
    def critic_loss_hparams(self) -> tuple[str, ...]:
        """Config fields the critic loss takes beyond the networks and the discount."""
        return ("policy_noise", "noise_clip") if self.target_smoothing else ()

    @property
    def target_actor(self) -> bool:
        """The actor has a target network (TD3, CleanRL's DDPG; not SAC nor SimBa's DDPG)."""
        return "actor" in self.targets

    @property
    def next_actor(self) -> str:
        """The variable of the network whose action the TD target bootstraps from (TD3, DDPG)."""
        return self.targets.get("actor", "actor")

    @property
    def noisy_losses(self) -> bool:
        """SimBa's DDPG: the exploration noise is added to the action in the actor loss and to
        the next action of the TD target (actor.act)."""
        return self.ddpg_variant == "simba"

    @property
    def target_entropy_per_dim(self) -> bool:
        """SAC's target entropy is a multiple of the action dimension (set at run time)."""
        return self.target_entropy == "per_dim"

    @property
    def log_std_source(self) -> str:
        """Where the policy's log-std bounds come from (a comment beside them)."""
        return ACTOR_LOG_STD_SOURCES[self.log_std_min]

    @property
    def alpha_value(self) -> str:
        """sac: the temperature in the losses (finished text: the learned one's exp, or alpha)."""
        return "log_alpha.exp()" if self.learned_alpha else "alpha"

    @property
    def grad_clip_arg(self) -> str:
        """The critic's optimizer_step argument for gradient-norm clipping (finished text)."""
        return ", cfg.grad_clip" if self.grad_clip else ""

    @property
    def temperature_weight_decay(self) -> str:
        """The temperature's parameter group entry: no weight decay on it (finished text)."""
        return ', "weight_decay": 0.0' if self.weight_decay else ""

    @property
    def delayed_modules(self) -> tuple[str, ...]:
        """Modules updated only every policy_delay-th update, once (TD3, DDPG); SAC makes up the
        delay with policy_delay actor updates, so its actor steps as often as its critic."""
        return self.record.delayed_modules


@dataclass(frozen=True)
class EnvPlan:
    id: str  # a Gymnasium id, or a DeepMind Control task "domain-task"
    suite: str  # gymnasium | dmc
    action_repeat: int  # frames per agent step (the loop and its counters count agent steps)
    observation: str = "state"  # state | pixels (the observation kind)

    @property
    def template(self) -> str:
        """The suite's make_env (and env RNG state) template for the observation kind."""
        return self.record.env_template(self.observation)

    @property
    def cameras(self) -> dict[str, int]:
        """Pixels: the camera of each domain rendered from another camera than 0."""
        return self.record.cameras

    @property
    def record(self) -> catalog.Suite:
        """The suite's catalog record."""
        return catalog.suite(self.suite)

    @property
    def repeats(self) -> bool:
        """Each agent step runs several frames (an ActionRepeat wrapper, a Config field)."""
        return self.action_repeat > 1

    @property
    def repeat_param(self) -> str:
        """make_env's and discount_heuristic's action_repeat parameter (finished text)."""
        return ", action_repeat" if self.repeats else ""

    @property
    def repeat_arg(self) -> str:
        """main()'s action_repeat argument to those (finished text)."""
        return ", cfg.action_repeat" if self.repeats else ""

    @property
    def pixels(self) -> bool:
        """The agent sees rendered frames (env.observation: pixels)."""
        return self.observation == "pixels"

    @property
    def make_params(self) -> str:
        """make_env's parameters after (env_id, seed) (finished text): the action repeat, the
        image size and frames stacked of pixel observations, the suite's protocol keys."""
        frames = ", image_size, frame_stack" if self.observation == "pixels" else ""
        return self.repeat_param + frames + "".join(f", {k}" for k in self.record.make_env_keys)

    @property
    def make_args(self) -> str:
        """main()'s arguments to make_env after (cfg.env_id, cfg.seed) (finished text)."""
        frames = ", cfg.image_size, cfg.frame_stack" if self.observation == "pixels" else ""
        keys = "".join(f", cfg.{k}" for k in self.record.make_env_keys)
        return self.repeat_arg + frames + keys

    @property
    def imports(self) -> tuple[str, ...]:
        """The standard-library modules its env template imports (beyond every script's)."""
        return self.record.imports.get(self.observation, ())

    @property
    def repeat_wrapper(self) -> bool:
        """An ActionRepeat wrapper repeats actions (the Atari env repeats its own)."""
        return self.repeats and not self.record.own_repeat

    @property
    def stored_reward(self) -> str:
        """What the learner stores of a step's reward (main()'s expression; atari: clipped)."""
        return self.record.stored_reward

    @property
    def learning_terminal(self) -> str:
        """Whether a step ends the chain of bootstrapped targets (main()'s expression; atari:
        a lost life too)."""
        return self.record.learning_terminal

    @property
    def step_info(self) -> str:
        """The loop's name for env.step's info: read where the learner's terminal uses it."""
        return "info" if "info" in self.learning_terminal else "_"

    @property
    def extra(self) -> str:
        """specc's install extra that the env needs ("" when gymnasium alone runs it)."""
        return self.record.extra(self.id)

    @property
    def pip_install(self) -> str:
        """The pip command that installs what the env needs beyond torch and numpy."""
        reqs = EXTRAS[self.extra] if self.extra else (GYMNASIUM_REQUIREMENT,)
        return "pip install " + " ".join(f"'{r}'" for r in reqs)

    @property
    def episode_frames(self) -> int:
        """The suite's time limit in frames (dmc), applied as a truncation."""
        return self.record.episode_frames

    @property
    def tasks(self) -> tuple[str, ...]:
        """The suite's tasks that specc runs, where it has a closed list (dmc): --env-id is one
        of them, as env.id is."""
        return self.record.tasks


@dataclass(frozen=True)
class RuntimePlan:
    tensorboard: str  # "off" | "auto" | "on"
    obs_norm: bool  # SimBa's running observation normalisation (when a module is a simba network)
    metrics: tuple[str, ...]  # metrics.csv columns, in order
    # the update runs as functions of one step each (critic_update, actor_update): --compile
    # compiles each whole (forward, backward, optimizer step), --amp autocasts its forward passes
    # (the algorithms with one critic and one actor step; MR.Q's and MR.SAC's compile their losses)
    update_functions: bool = False
    # --cudagraphs can capture those functions: nothing in them is decided on the host during
    # training (no masks, which prune_at and topology updates change, and no resets, which drop
    # optimizer state); otherwise the flag is refused with the reason
    cudagraphs: bool = False

    @property
    def obs_norm_arg(self) -> str:
        """The argument the buffer, evaluate() and save_model() take with SimBa's observation
        normalisation (finished text: ", obs_norm" or nothing)."""
        return ", obs_norm" if self.obs_norm else ""

    @property
    def tensorboard_arg(self) -> str:
        """MetricsLog's tensorboard argument, where the spec allows TensorBoard (finished text)."""
        return ", cfg.tensorboard" if self.tensorboard != "off" else ""

    @property
    def capturable_arg(self) -> str:
        """The optimizers' capturable argument, where --cudagraphs exists (finished text)."""
        return ", capturable=capturable" if self.cudagraphs else ""


@dataclass(frozen=True)
class DiagnosticsPlan:
    """Network-health metrics of every module, computed every `diagnostics_every` env steps."""

    metrics: tuple[
        str, ...
    ]  # dormant_ratio | fau | srank | grad_norm | param_norm | grad_interference, spec order
    modules: tuple[str, ...]  # the modules measured (all of the agent's), in module order
    inputs: dict[
        str, tuple[str, ...]
    ]  # module -> what its activations() takes from a batch: "obs" | "actions"
    # arch -> what dormant_ratio scores in that trunk class: "dense_outputs" (every hidden
    # Linear output before its activation, Ma et al.'s code) | "activations" (post-activation
    # outputs, the paper's formula); only the archs of the script, only with dormant_ratio
    dormant_layers: dict[str, str] = field(default_factory=dict)
    # the replay batch holds sub-trajectories (LAP buffer): the diagnostics read its first
    # transition, and zs / zsa from the encoder
    encoded: bool = False
    # the line that computes what modules read beyond the batch (DrQ-v2: the encoder's h)
    features: str = ""

    def columns(self) -> tuple[str, ...]:
        return tuple(f"{m}_{metric}" for m in self.modules for metric in self.metrics)

    @property
    def uses_batch(self) -> bool:
        """Some metric is computed on a replay batch (grad_norm and param_norm need none)."""
        return bool(set(DIAGNOSTICS_METRIC_KEYS["batch_size"]) & set(self.metrics))

    @property
    def uses_masks(self) -> bool:
        """Some metric counts only a sparse module's active weights (its gradients)."""
        return bool(set(MASKED_METRICS) & set(self.metrics))

    @property
    def active_outputs(self) -> bool:
        """fau counts post-activation outputs, and dormant_ratio scores the dense (pre-activation)
        outputs of some trunk of the script: every trunk's activations() then returns its
        post-activation outputs as a third value (without dense outputs, fau reads `hidden`)."""
        return "fau" in self.metrics and "dense_outputs" in self.dormant_layers.values()

    @property
    def activation_names(self) -> tuple[str, ...]:
        """What diagnose() unpacks a module's activations() into ("_": no metric reads it)."""
        hidden = "hidden" if {"dormant_ratio", "fau"} & set(self.metrics) else "_"
        features = "features" if "srank" in self.metrics else "_"
        return (hidden, features) + (("active",) if self.active_outputs else ())

    @property
    def fau_input(self) -> str:
        """The name of the post-activation outputs that fau counts in diagnose()."""
        return "active" if self.active_outputs else "hidden"


@dataclass(frozen=True)
class ResetPlan:
    """Periodic re-initialisation of modules (Nikishin et al. 2022), every `reset_every` env steps."""

    modules: tuple[str, ...]  # in module order
    keep_mask: bool  # sparse modules keep their masks (else the initial mask is drawn again)
    temperature: bool = (
        False  # sac with a learned temperature: log_alpha back to its init, its optimizer state dropped
    )

    def keeps_mask_of(self, net: NetworkPlan) -> bool:
        """A reset of this module re-applies its mask to the fresh weights."""
        return self.keep_mask and net.sparsity.sparse

    def redraws_mask_of(self, net: NetworkPlan) -> bool:
        """A reset of this (sparse) module draws its initial mask again."""
        return net.sparsity.sparse and not self.keep_mask


@dataclass(frozen=True)
class Plan:
    name: str
    description: str
    algorithm: str
    compiler_version: str
    spec_file: str  # file name only, never a machine path
    spec_sha256: str
    overrides: tuple[str, ...]
    resolved_yaml: str  # the resolved spec, embedded verbatim in the docstring
    env: EnvPlan
    algo: AlgoPlan
    networks: tuple[NetworkPlan, ...]
    config: tuple[ConfigGroup, ...]
    runtime: RuntimePlan
    diagnostics: DiagnosticsPlan | None = None
    reset: ResetPlan | None = None
    sparsity: SparsityCode | None = None  # None: every module dense
    # The axes a new family plugs into (docs/architecture.md): what the agent observes (flat
    # vectors; pixels), what it emits (box: bounded continuous actions; discrete) and how it
    # learns (replay: minibatches from a buffer; streaming: one transition at a time). The suite
    # record gives the first two, the algorithm record the third; today's specs are all
    # flat / box / replay.
    observation: str = "state"
    action: str = "box"
    loop: str = "replay"

    @property
    def observation_kind(self) -> catalog.ObservationKind:
        return catalog.OBSERVATION_KINDS[self.observation]

    @property
    def action_kind(self) -> catalog.ActionKind:
        return catalog.ACTION_KINDS[self.action]

    @property
    def loop_template(self) -> str:
        """main() and its training loop: the loop kind's template."""
        return catalog.LOOP_KINDS[self.loop].template

    @property
    def masks_later(self) -> bool:
        """A static mask may be taken after training started (a prune_at flag per module)."""
        return catalog.LOOP_KINDS[self.loop].masks_later

    @property
    def buffered(self) -> bool:
        """The loop keeps a replay buffer: checkpoints save it (--save-buffer), resume loads it."""
        return catalog.LOOP_KINDS[self.loop].buffer

    @property
    def script_template(self) -> str:
        """The script's skeleton (the sections its loop kind uses): the template rendered."""
        return catalog.LOOP_KINDS[self.loop].script

    @property
    def acting_input(self) -> str:
        """What the acting policy reads of the observation tensor obs_t: normalised by running
        statistics (SimBa's RSNorm) or as it is; and, where the exploration follows a schedule
        (DrQ-v2), the agent steps taken before this one."""
        obs = "obs_norm(obs_t)" if self.runtime.obs_norm else "obs_t"
        return obs + (", step - 1" if self.algo.record.scheduled_exploration else "")

    @property
    def buffer_template(self) -> str:
        """The replay buffer: MR.Q's LAP buffer (encoded algorithms), else the one that stores
        the observation kind (flat tensors; pixel frames stored once)."""
        if self.algo.record.buffer:
            return self.algo.record.buffer
        if self.algo.encoded:
            return self.observation_kind.lap_buffer
        return self.observation_kind.buffer

    @property
    def buffer_args(self) -> str:
        """The frame buffer's arguments after the device (finished text): frames per stack, and
        the steps and discount of its n-step returns (one-step where the algorithm has none)."""
        if self.observation != "pixels":
            return ""
        if self.algo.encoded:  # MR.Q's sub-trajectories (the algorithm adds its own arguments)
            return ", cfg.frame_stack"
        n = "cfg.n_step" if self.has_field("n_step") else "1"  # (n_step 1: no field)
        return f", cfg.frame_stack, {n}, gamma"

    @property
    def stack_padding(self) -> str:
        """How the replay rebuilds a stack before its episode's first frame: the suite's
        padding (repeat | zeros), or env: the run's --stack-padding (env.stack_padding)."""
        return self.env.record.stack_padding

    @property
    def padding_arg(self) -> str:
        """The frame buffer's last argument where the run picks the padding (finished text)."""
        if self.observation != "pixels" or self.stack_padding != "env":
            return ""
        return ', zero_padding=cfg.stack_padding == "zeros"'

    @property
    def buffer_extras(self) -> tuple[str, ...]:
        """What rb.add takes after `terminated`: the algorithm's, and the truncation flag where
        the buffer keeps episodes (frame stacks end at episode starts)."""
        extras = self.algo.buffer_extras
        if self.observation == "pixels" and "truncated" not in extras:
            extras = ("truncated",) + extras
        return extras

    @property
    def layout_text(self) -> str:
        """The header's paragraph on where things are in the script."""
        plumbing = "resume, checkpoints, metrics log and clock, dry run"
        plumbing += ", the updates' fast path" if self.runtime.update_functions else ""
        return (
            "main() with the training loop follows the networks, updates and environment; the"
            f" run plumbing ({plumbing}) follows main(). RESOLVED_SPEC, at the end, is the spec"
            " with every default filled in: --dry-run prints it, a run writes it to"
            " <run_dir>/spec.yaml."
        )

    @property
    def cleanrl_glossary(self) -> str:
        """The header's line for a CleanRL reader: CleanRL's names of this script's values."""
        names = {f.name for g in self.config for f in g.fields}
        pairs = [("total_timesteps", "total_steps")]
        pairs += [
            (c, s)
            for c, s in (("q_lr", "critic_lr"), ("policy_frequency", "policy_delay"))
            if s in names
        ]
        pairs.append(("global_step", "step"))
        return "CleanRL's names here: " + ", ".join(f"{c} -> {s}" for c, s in pairs) + "."

    @property
    def resolved_sha256(self) -> str:
        """The sha256 of the resolved spec's UTF-8 text: the script's SPEC_SHA256, equal to that
        of the spec.yaml its runs write (part of a run's identity)."""
        return hashlib.sha256(self.resolved_yaml.encode("utf-8")).hexdigest()

    @property
    def cudagraphs_refusal(self) -> str:
        """Why --cudagraphs is refused where the script has the flag but cannot capture its
        updates ("" where it can, or where the flag does not exist)."""
        if not self.runtime.update_functions or self.runtime.cudagraphs:
            return ""
        if self.sparse_networks:
            why = "its sparse modules' masks change on the host during training (prune_at, topology updates)"
        else:
            why = "its resets drop optimizer state on the host during training"
        return f"--cudagraphs is not supported by this script: {why}, which a captured update would not see; --compile works"

    def has_field(self, name: str) -> bool:
        """The generated Config has a field `name` (a flag)."""
        return any(f.name == name for g in self.config for f in g.fields)

    def config_value(self, name: str) -> Any:
        """The default of the Config field `name` (what the spec resolved it to)."""
        return next(f.value for g in self.config for f in g.fields if f.name == name)

    def network(self, module: str) -> NetworkPlan:
        for n in self.networks:
            if n.module == module:
                return n
        raise KeyError(module)

    def trunk(self, arch: str) -> TrunkPlan:
        """The facts of the trunk class of `arch` (a network template's class)."""
        nets = [n for n in self.networks if n.arch == arch]
        if not nets:
            raise KeyError(arch)
        dormant = self.diagnostics.dormant_layers if self.diagnostics is not None else {}
        return TrunkPlan(
            arch=arch,
            ensembled=any(n.ensembled for n in nets),
            layer_norm=any(n.layer_norm for n in nets),
            ensemble_layer_norm=any(n.ensembled and n.layer_norm and n.affine_norm for n in nets),
            plain_layer_norm=any(n.layer_norm and not n.affine_norm for n in nets),
            dense_outputs=dormant.get(arch) == "dense_outputs",
            active_outputs=self.active_outputs,
        )

    @property
    def active_outputs(self) -> bool:
        """The trunks' activations() return their post-activation outputs third (fau beside a
        dormant_ratio on dense outputs)."""
        return self.diagnostics is not None and self.diagnostics.active_outputs

    @property
    def probes_activations(self) -> bool:
        """Diagnostics read hidden activations (dormant_ratio, fau, srank): the network classes get
        an activations() method."""
        return self.diagnostics is not None and bool(
            set(ACTIVATION_METRICS) & set(self.diagnostics.metrics)
        )

    @property
    def diagnose_masks(self) -> bool:
        """diagnose() takes the masks: some module is sparse and some metric reads its mask."""
        return (
            bool(self.sparse_networks)
            and self.diagnostics is not None
            and (self.diagnostics.uses_masks)
        )

    @property
    def diagnose_args(self) -> tuple[str, ...]:
        """What diagnose() takes from main(), only what its metrics use."""
        d = self.diagnostics
        if d is None:
            return ()
        return (
            ("nets",)
            + (("masks",) if self.diagnose_masks else ())
            + (("sample_losses",) if "grad_interference" in d.metrics else ())
            + (("rb", "cfg") if d.uses_batch else ())
        )

    @property
    def step_handles_masks(self) -> bool:
        """The optimizer step masks the gradients itself and re-applies the masks after it
        (a topology update after the step, or gradients not masked by hooks: DS-TD3)."""
        code = self.sparsity
        return code is not None and (code.step_then_topology or code.unmasked_grads)

    @property
    def count_targets(self) -> bool:
        """Some module's target is pruned to the online non-zero count (DS-TD3)."""
        return self.sparsity is not None and self.sparsity.count_targets

    @property
    def importance_topology(self) -> bool:
        """The critic's topology follows importance scores from the TD error."""
        return self.sparsity is not None and self.sparsity.importance

    @property
    def reset_keeps_masks(self) -> bool:
        """A reset keeps the masks of the sparse modules it re-initialises."""
        return self.reset is not None and self.reset.keep_mask and bool(self.sparse_networks)

    @property
    def reset_leaves_temperature(self) -> bool:
        """A reset re-initialises the actor but keeps its learned temperature (a comment says so)."""
        reset = self.reset
        return reset is not None and "actor" in reset.modules and self.algo.learned_alpha

    @property
    def orthogonal_actor_heads(self) -> bool:
        """SimBa's SAC actor: its two heads orthogonal (a joint output layer is the trunk's)."""
        return self.network("actor").orthogonal_heads and not self.algo.joint_actor_output

    @property
    def sparse_networks(self) -> tuple[NetworkPlan, ...]:
        return tuple(n for n in self.networks if n.sparsity.sparse)

    @property
    def init_zeros(self) -> bool:
        """Some module starts with SparseInit's zeros (the sparse_init regime)."""
        return any(n.sparsity.init_zeros for n in self.networks)

    @property
    def init_zeros_modules(self) -> tuple[str, ...]:
        """The modules that start with SparseInit's zeros (--dry-run counts them)."""
        return tuple(n.module for n in self.networks if n.sparsity.init_zeros)

    @property
    def dynamic_networks(self) -> tuple[NetworkPlan, ...]:
        return tuple(n for n in self.networks if n.sparsity.dynamic)

    @property
    def sparse_regimes(self) -> dict[str, str]:
        return {n.module: n.sparsity.regime for n in self.sparse_networks}

    @property
    def norm_classes(self) -> tuple[str, ...]:
        """The normalization module classes the script's networks use."""
        classes = []
        if any(n.norm_module for n in self.networks):
            classes.append("nn.LayerNorm")
        if self.ensemble_layer_norm:
            classes.append("EnsembleLayerNorm")
        return tuple(classes)

    @property
    def ensembled(self) -> bool:
        """Some network holds ensemble layers: the script defines EnsembleLinear."""
        return any(n.ensembled for n in self.networks)

    def step_masks(self, optimizer: str) -> str:
        """The masks an optimizer_step of `optimizer` takes: those of the sparse module it
        steps, the MaskGroup `<optimizer>_masks` of several, or "" where it steps dense ones."""
        sparse = [
            n.module
            for n in self.sparse_networks
            if self.algo.record.optimizer(n.module) == optimizer
        ]
        if len(sparse) > 1:
            return f"{optimizer}_masks"
        return f"{sparse[0]}_masks" if sparse else ""

    @property
    def kernels(self) -> bool:
        """Some network convolves (the conv arch): its kernels (out, in, kh, kw) are maskable
        weights beside the Linear matrices, and the dry-run's tables list them."""
        stem = self.algo.record.pixel_stem if self.observation == "pixels" else ""
        return any(catalog.arch(n.arch).image or n.module == stem for n in self.networks)

    @property
    def pixel_scaling(self) -> str:
        """How the script's encoder scales frames (its image arch; MR.Q's pixel stem and
        DrQ-v2's conv: x / 255 - 0.5; Dopamine's CNNs: x / 255): SynFlow's frames of ones."""
        archs = [catalog.arch(n.arch) for n in self.networks if catalog.arch(n.arch).image]
        return archs[0].pixel_scaling if archs else "x / 255 - 0.5"

    @property
    def block_layer_norm(self) -> bool:
        """A BlockMLP normalizes (its parameter-free LayerNorm, F.layer_norm in ln_activ)."""
        return any(n.functional_norm and n.layer_norm for n in self.networks)

    @property
    def normalized(self) -> bool:
        """Some network normalizes, with a module class (norm_classes) or BlockMLP's function
        (SynFlow scores with the normalization skipped)."""
        return bool(self.norm_classes) or self.block_layer_norm

    @property
    def ensemble_layer_norm(self) -> bool:
        """An ensembled network normalizes with learnable affines: an MLP with LayerNorm, or SimBa."""
        return any(
            n.ensemble > 1 and n.norm_module and (n.arch_record.norm == "always" or n.affine_norm)
            for n in self.networks
        )

    @property
    def uses_ln_activ(self) -> bool:
        """MR.Q's parameter-free LayerNorm + activation: in every block network (its norm_act),
        and on an encoder's zs when its network has layer_norm."""
        return any(n.functional_norm for n in self.networks) or (
            self.algo.encoded and self.network("encoder").layer_norm
        )

    @property
    def orthogonal_linears(self) -> bool:
        """Some module initialises all its Linears orthogonally (a preset's init: RLx2)."""
        return any(n.orthogonal_init for n in self.networks)

    @property
    def network_templates(self) -> tuple[str, ...]:
        """Each network template once, in module order; the orthogonal init (SimBa's layers, a
        preset's init) before the first network that uses it."""
        seen: list[str] = ["networks/ensemble.py.jinja"] if self.ensembled else []
        if self.algo.encoded or any(n.functional_norm for n in self.networks):
            seen.append("networks/mrq_init.py.jinja")  # MR.Q's ln_activ and init
        orthogonal = "networks/orthogonal.py.jinja"
        for n in self.networks:
            if n.module in self.algo.record.own_networks:
                continue  # the algorithm's template writes this network (DER's head)
            if (n.orthogonal_heads or n.orthogonal_init) and orthogonal not in seen:
                seen.append(orthogonal)
            if n.template not in seen:
                seen.append(n.template)
        return tuple(seen)
