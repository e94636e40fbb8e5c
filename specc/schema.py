"""Stage 3a: the spec language v1 as pydantic models (the structure users may write).

Every model forbids unknown keys and validates strictly (no "1" for 1, no 1.5 for an int, no
"yes" for true). Every optional key is ``None`` here: defaults and presets are applied by
:mod:`specc.resolve`, which records where each value came from. Rules that relate several
keys (a key that does not apply to the chosen algorithm or regime, ...) live in
:mod:`specc.rules`, so this module stays a plain description of shapes, types and ranges.
"""

from __future__ import annotations

import functools
import json
import math
import types
import typing
from typing import Annotated, Any, Callable, Optional

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

from . import catalog
from .diagnostics import did_you_mean

NAME_RE = r"^[a-z][a-z0-9_]{0,63}$"
# Gymnasium ids ("HalfCheetah-v5", "ALE/Pong-v5", "my_pkg:Env-v0") and dmc "domain-task" ids.
ENV_ID_RE = r"^[A-Za-z][A-Za-z0-9_.:/-]{0,127}$"


# --------------------------------------------------------------------------- custom scalar types
def _describe(v: Any) -> str:
    if isinstance(v, bool):
        return f"{str(v).lower()} (a boolean)"
    if isinstance(v, (dict, list)):
        return "a mapping" if isinstance(v, dict) else "a list"
    if v is None:
        return "null"
    return f"{v!r} ({type(v).__name__})"


def choice(*values: str):
    """A string restricted to ``values``; errors list them and suggest the closest one."""
    return choice_of(lambda: values)


class _LiveEnum:
    """The JSON Schema of a choice whose values are read when the schema is made."""

    def __init__(self, values: Callable[[], tuple[str, ...]]):
        self.values = values

    def __get_pydantic_json_schema__(self, core_schema: Any, handler: Any) -> dict[str, Any]:
        return {"type": "string", "enum": list(self.values())}


def choice_of(values: Callable[[], tuple[str, ...]]):
    """A choice whose values are read at validation time (a catalog registry: a record added
    to it, as tests/test_plugin.py does, is a valid name at once)."""

    def check(v: Any) -> str:
        allowed = values()
        if isinstance(v, str) and v in allowed:
            return v
        hint = did_you_mean(v, allowed) if isinstance(v, str) else ""
        raise PydanticCustomError(
            "choice",
            "expected one of {allowed}, got {got}{hint}",
            {"allowed": ", ".join(allowed), "got": _describe(v), "hint": hint},
        )

    return Annotated[str, PlainValidator(check), _LiveEnum(values)]


def number_or(
    *words: str,
    gt: float | None = None,
    ge: float | None = None,
    lt: float | None = None,
    le: float | None = None,
):
    """A float in range, or one of the given words (e.g. ``auto``)."""
    schema: dict[str, Any] = {"type": "number"}
    for k, b in (
        ("exclusiveMinimum", gt),
        ("minimum", ge),
        ("exclusiveMaximum", lt),
        ("maximum", le),
    ):
        if b is not None:
            schema[k] = b

    def check(v: Any) -> Any:
        if isinstance(v, str) and v in words:
            return v
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            hint = did_you_mean(v, words) if isinstance(v, str) else ""
            alts = " or ".join(repr(w) for w in words)
            raise PydanticCustomError(
                "number_or",
                "expected a number or {alts}, got {got}{hint}",
                {"alts": alts, "got": _describe(v), "hint": hint},
            )
        x = float(v)
        if not math.isfinite(x):
            raise PydanticCustomError(
                "finite", "expected a finite number, got {got}", {"got": repr(v)}
            )
        for ok, text in (
            (gt is None or x > gt, f"> {gt}"),
            (ge is None or x >= ge, f">= {ge}"),
            (lt is None or x < lt, f"< {lt}"),
            (le is None or x <= le, f"<= {le}"),
        ):
            if not ok:
                raise PydanticCustomError(
                    "range", "must be {bound}, got {got}", {"bound": text, "got": repr(v)}
                )
        return x

    return Annotated[
        Any,
        PlainValidator(check),
        WithJsonSchema({"anyOf": [schema, {"type": "string", "enum": list(words)}]}),
    ]


def _finite(v: float) -> float:
    if not math.isfinite(v):
        raise PydanticCustomError("finite", "expected a finite number, got {got}", {"got": repr(v)})
    return v


def number_in(**bounds: float):
    """A finite float within ``bounds`` (pydantic's gt/ge/lt/le)."""
    return Annotated[float, Field(allow_inf_nan=False, **bounds), AfterValidator(_finite)]


PosInt = Annotated[int, Field(ge=1)]
NonNegInt = Annotated[int, Field(ge=0)]
Fraction01 = number_in(ge=0.0, le=1.0)


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


def key(path: str, default: Any = None) -> Any:
    """A field of the spec at dotted ``path``, described by its help text in the catalog."""
    return Field(default, description=catalog.HELP[path])


# --------------------------------------------------------------------------- env
class EnvSpec(Model):
    id: Annotated[str, Field(pattern=ENV_ID_RE)] = key("env.id", ...)
    suite: Optional[choice_of(lambda: tuple(catalog.SUITE_RECORDS))] = key("env.suite")
    action_repeat: Optional[PosInt] = key("env.action_repeat")
    observation: Optional[choice_of(lambda: tuple(catalog.OBSERVATION_KINDS))] = key(
        "env.observation"
    )
    image_size: Optional[Annotated[int, Field(ge=16, le=512)]] = key("env.image_size")
    frame_stack: Optional[PosInt] = key("env.frame_stack")
    # atari
    sticky_actions: Optional[number_in(ge=0.0, lt=1.0)] = key("env.sticky_actions")
    terminal_on_life_loss: Optional[bool] = key("env.terminal_on_life_loss")
    clip_rewards: Optional[bool] = key("env.clip_rewards")
    noop_max: Optional[NonNegInt] = key("env.noop_max")
    stack_padding: Optional[choice_of(lambda: catalog.STACK_PADDINGS)] = key("env.stack_padding")


# --------------------------------------------------------------------------- train
class TrainSpec(Model):
    """Algorithm hyperparameters. Which keys apply to which algorithm: its catalog record's
    train_keys."""

    # common
    total_steps: Optional[PosInt] = key("train.total_steps")
    learning_starts: Optional[NonNegInt] = key("train.learning_starts")
    batch_size: Optional[PosInt] = key("train.batch_size")
    buffer_size: Optional[PosInt] = key("train.buffer_size")
    gamma: Optional[number_or("auto", gt=0.0, lt=1.0)] = key("train.gamma")
    tau: Optional[number_in(gt=0.0, le=1.0)] = key("train.tau")
    update_every: Optional[PosInt] = key("train.update_every")
    updates_per_step: Optional[PosInt] = key("train.updates_per_step")
    actor_lr: Optional[number_in(gt=0.0)] = key("train.actor_lr")
    critic_lr: Optional[number_in(gt=0.0)] = key("train.critic_lr")
    optimizer: Optional[choice(*catalog.OPTIMIZERS)] = key("train.optimizer")
    weight_decay: Optional[number_in(ge=0.0)] = key("train.weight_decay")
    grad_clip: Optional[number_in(ge=0.0)] = key("train.grad_clip")
    exploration_noise: Optional[number_in(ge=0.0)] = key("train.exploration_noise")
    # sac
    alpha: Optional[number_or("auto", gt=0.0)] = key("train.alpha")
    alpha_init: Optional[number_in(gt=0.0)] = key("train.alpha_init")
    alpha_lr: Optional[number_in(gt=0.0)] = key("train.alpha_lr")
    target_entropy: Optional[number_or("auto", "half")] = key("train.target_entropy")
    policy_delay: Optional[PosInt] = key("train.policy_delay")
    clipped_double_q: Optional[bool] = key("train.clipped_double_q")
    # td3
    policy_noise: Optional[number_in(ge=0.0)] = key("train.policy_noise")
    noise_clip: Optional[number_in(ge=0.0)] = key("train.noise_clip")
    # ddpg
    ddpg_variant: Optional[choice(*catalog.DDPG_VARIANTS)] = key("train.ddpg_variant")
    # mrq
    encoder_lr: Optional[number_in(gt=0.0)] = key("train.encoder_lr")
    target_every: Optional[PosInt] = key("train.target_every")
    encoder_horizon: Optional[PosInt] = key("train.encoder_horizon")
    value_horizon: Optional[PosInt] = key("train.value_horizon")
    lap_alpha: Optional[number_in(ge=0.0)] = key("train.lap_alpha")
    lap_min_priority: Optional[number_in(gt=0.0)] = key("train.lap_min_priority")
    dynamics_weight: Optional[number_in(ge=0.0)] = key("train.dynamics_weight")
    reward_weight: Optional[number_in(ge=0.0)] = key("train.reward_weight")
    done_weight: Optional[number_in(ge=0.0)] = key("train.done_weight")
    pre_activation_weight: Optional[number_in(ge=0.0)] = key("train.pre_activation_weight")
    reward_bins: Optional[Annotated[int, Field(ge=2)]] = key("train.reward_bins")
    reward_range: Optional[number_in(gt=0.0)] = key("train.reward_range")
    terminal_reward: Optional[choice(*catalog.TERMINAL_REWARDS)] = key("train.terminal_reward")
    # RLx2's delayed multi-step target and dynamic-capacity buffer
    n_step: Optional[PosInt] = key("train.n_step")
    # der (Data-Efficient Rainbow)
    adam_eps: Optional[number_in(gt=0.0)] = key("train.adam_eps")
    num_atoms: Optional[Annotated[int, Field(ge=2)]] = key("train.num_atoms")
    v_max: Optional[number_in(gt=0.0)] = key("train.v_max")
    noisy_sigma: Optional[number_in(ge=0.0)] = key("train.noisy_sigma")
    priority_exponent: Optional[number_in(ge=0.0)] = key("train.priority_exponent")
    priority_weight: Optional[number_in(ge=0.0, le=1.0)] = key("train.priority_weight")
    eval_epsilon: Optional[Fraction01] = key("train.eval_epsilon")
    # DrQ-v2
    feature_dim: Optional[PosInt] = key("train.feature_dim")
    stddev_init: Optional[number_in(gt=0.0)] = key("train.stddev_init")
    stddev_final: Optional[number_in(gt=0.0)] = key("train.stddev_final")
    stddev_steps: Optional[PosInt] = key("train.stddev_steps")
    stddev_clip: Optional[number_in(gt=0.0)] = key("train.stddev_clip")
    random_shift: Optional[NonNegInt] = key("train.random_shift")
    gumbel_tau: Optional[number_in(gt=0.0)] = key("train.gumbel_tau")
    n_step_start: Optional[NonNegInt] = key("train.n_step_start")
    buffer_check_every: Optional[NonNegInt] = key("train.buffer_check_every")
    buffer_threshold: Optional[number_in(ge=0.0)] = key("train.buffer_threshold")
    buffer_min_size: Optional[NonNegInt] = key("train.buffer_min_size")
    buffer_drop_fraction: Optional[number_in(gt=0.0, lt=1.0)] = key("train.buffer_drop_fraction")
    buffer_drop: Optional[choice(*catalog.BUFFER_DROPS)] = key("train.buffer_drop")
    # stream_ac (Elsayed et al. 2024): ObGD's eligibility traces and overshooting bound
    td_lambda: Optional[number_in(ge=0.0, le=1.0)] = key("train.td_lambda")
    actor_kappa: Optional[number_in(gt=0.0)] = key("train.actor_kappa")
    critic_kappa: Optional[number_in(gt=0.0)] = key("train.critic_kappa")
    entropy_coeff: Optional[number_in(ge=0.0)] = key("train.entropy_coeff")


# --------------------------------------------------------------------------- networks and sparsity
SPARSITY_KEY = "networks.MODULE.sparsity."  # the help key prefix of a sparsity entry


class RevivalSpec(Model):
    method: choice(*catalog.REVIVAL_METHODS) = key(SPARSITY_KEY + "revival.method", ...)
    ratio: Optional[Fraction01] = key(SPARSITY_KEY + "revival.ratio")


class TopologySpec(Model):
    method: Optional[choice(*catalog.TOPOLOGY_METHODS)] = key(SPARSITY_KEY + "topology.method")
    every: Optional[PosInt] = key(SPARSITY_KEY + "topology.every")
    drop_fraction: Optional[number_in(gt=0.0, le=1.0)] = key(
        SPARSITY_KEY + "topology.drop_fraction"
    )
    decay: Optional[choice(*catalog.DECAYS)] = key(SPARSITY_KEY + "topology.decay")
    end: Optional[number_in(gt=0.0, le=1.0)] = key(SPARSITY_KEY + "topology.end")
    drop: Optional[choice(*catalog.TOPOLOGY_DROPS)] = key(SPARSITY_KEY + "topology.drop")
    reset_moments: Optional[bool] = key(SPARSITY_KEY + "topology.reset_moments")
    mask_gradients: Optional[bool] = key(SPARSITY_KEY + "topology.mask_gradients")
    skip_step: Optional[bool] = key(SPARSITY_KEY + "topology.skip_step")
    targets: Optional[choice(*catalog.TARGET_MASKINGS)] = key(SPARSITY_KEY + "topology.targets")
    grow_last: Optional[bool] = key(SPARSITY_KEY + "topology.grow_last")


class ScheduleSpec(Model):
    start: Optional[Fraction01] = key(SPARSITY_KEY + "schedule.start")
    end: Optional[Fraction01] = key(SPARSITY_KEY + "schedule.end")
    power: Optional[number_in(gt=0.0)] = key(SPARSITY_KEY + "schedule.power")


class SparsitySpec(Model):
    regime: choice_of(lambda: tuple(catalog.REGIME_RECORDS)) = key(SPARSITY_KEY + "regime", ...)
    level: Optional[number_in(ge=0.0, lt=1.0)] = key(SPARSITY_KEY + "level")
    distribution: Optional[choice(*catalog.DISTRIBUTIONS)] = key(SPARSITY_KEY + "distribution")
    epsilon: Optional[list[number_in(gt=0.0)]] = key(SPARSITY_KEY + "epsilon")
    criterion: Optional[choice(*catalog.CRITERIA)] = key(SPARSITY_KEY + "criterion")
    prune_at: Optional[NonNegInt] = key(SPARSITY_KEY + "prune_at")
    dense_layers: Optional[list[choice(*catalog.DENSE_LAYER_ROLES)]] = key(
        SPARSITY_KEY + "dense_layers"
    )
    revival: Optional[RevivalSpec] = None
    topology: Optional[TopologySpec] = None
    schedule: Optional[ScheduleSpec] = None


class NetworkSpec(Model):
    arch: Optional[choice_of(lambda: tuple(catalog.ARCH_RECORDS))] = key("networks.MODULE.arch")
    width: Optional[PosInt] = key("networks.MODULE.width")
    depth: Optional[PosInt] = key("networks.MODULE.depth")
    type: Optional[Annotated[int, Field(ge=1, le=6)]] = key("networks.MODULE.type")
    activation: Optional[choice(*catalog.ACTIVATIONS)] = key("networks.MODULE.activation")
    layer_norm: Optional[bool] = key("networks.MODULE.layer_norm")
    residual: Optional[bool] = key("networks.MODULE.residual")
    sparsity: Optional[SparsitySpec] = None


class NetworksSpec(Model):
    # actor and critic are required, unless the preset is a whole method (rules.check_rules)
    actor: Optional[NetworkSpec] = None
    critic: Optional[NetworkSpec] = None
    encoder: Optional[NetworkSpec] = None


# --------------------------------------------------------------------------- runtime
class EvalSpec(Model):
    every: Optional[NonNegInt] = key("eval.every")
    episodes: Optional[PosInt] = key("eval.episodes")


class CheckpointSpec(Model):
    every: Optional[NonNegInt] = key("checkpoint.every")


MetricName = choice(*catalog.METRICS)
ModuleName = choice(*catalog.MODULE_NAMES)


class DiagnosticsSpec(Model):
    every: Optional[PosInt] = key("diagnostics.every")
    metrics: Optional[list[MetricName]] = key("diagnostics.metrics")
    dormant_tau: Optional[number_in(gt=0.0, lt=1.0)] = key("diagnostics.dormant_tau")
    srank_delta: Optional[number_in(gt=0.0, lt=1.0)] = key("diagnostics.srank_delta")
    batch_size: Optional[PosInt] = key("diagnostics.batch_size")
    interference_samples: Optional[PosInt] = key("diagnostics.interference_samples")
    dormant_layers: Optional[choice(*catalog.DORMANT_LAYERS)] = key("diagnostics.dormant_layers")


class ResetSpec(Model):
    every: PosInt = key("reset.every", ...)
    modules: Optional[list[ModuleName]] = key("reset.modules")
    keep_mask: Optional[bool] = key("reset.keep_mask")
    temperature: Optional[bool] = key("reset.temperature")


class LoggingSpec(Model):
    tensorboard: Optional[
        Annotated[
            Any,
            PlainValidator(lambda v: _tb(v)),
            WithJsonSchema({"anyOf": [{"type": "boolean"}, {"enum": ["auto"]}]}),
        ]
    ] = key("logging.tensorboard")
    every: Optional[PosInt] = key("logging.every")


def _tb(v: Any) -> Any:
    if isinstance(v, bool) or v == "auto":
        return v
    raise PydanticCustomError(
        "choice",
        "expected auto, true or false, got {got}{hint}",
        {"got": _describe(v), "hint": did_you_mean(v, ["auto"]) if isinstance(v, str) else ""},
    )


class Spec(Model):
    """A specc spec, version 1."""

    specc: int = key("specc", ...)
    name: Annotated[str, Field(pattern=NAME_RE)] = key("name", ...)
    description: Optional[str] = key("description")
    algorithm: choice_of(lambda: tuple(catalog.ALGORITHM_RECORDS)) = key("algorithm", ...)
    preset: Optional[choice_of(lambda: tuple(catalog.PRESETS))] = key("preset")
    seed: Optional[Annotated[int, Field(ge=0, le=2**32 - 1)]] = key("seed")
    env: EnvSpec
    train: Optional[TrainSpec] = None
    eval: Optional[EvalSpec] = None
    checkpoint: Optional[CheckpointSpec] = None
    networks: NetworksSpec = NetworksSpec()  # required unless the preset is a method (rules)
    diagnostics: Optional[DiagnosticsSpec] = None
    reset: Optional[ResetSpec] = None
    logging: Optional[LoggingSpec] = None


def json_schema() -> dict[str, Any]:
    schema = Spec.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "specc spec, version 1"
    return schema


def model_fields_at(path: tuple, root: type[BaseModel] | None = None) -> list[str] | None:
    """The allowed keys of the model found at ``path`` of ``root`` (default: the spec) for "did
    you mean", or None."""
    model: Any = root or Spec
    for seg in path:
        if isinstance(seg, int):
            continue
        if (
            not (isinstance(model, type) and issubclass(model, BaseModel))
            or seg not in model.model_fields
        ):
            return None
        model = unwrap(model.model_fields[seg].annotation)
    if isinstance(model, type) and issubclass(model, BaseModel):
        return list(model.model_fields)
    return None


def unwrap(tp: Any) -> Any:
    args = [a for a in typing.get_args(tp) if a is not type(None)]
    if typing.get_origin(tp) in (typing.Union, types.UnionType) and len(args) == 1:
        return unwrap(args[0])
    if typing.get_origin(tp) is list and args:
        return unwrap(args[0])
    return tp


@functools.cache
def float_fields(model: type[BaseModel]) -> frozenset[str]:
    """The fields of ``model`` whose numbers are floats (a float, or a float or a word): a
    preset may write 1 for 1.0, and the generated flag of such a key is a float. Read off the
    JSON Schema, so each key's type is stated once, here."""
    props = model.model_json_schema()["properties"]
    return frozenset(k for k, v in props.items() if '"number"' in json.dumps(v))


def is_float_key(path: tuple[str, ...], root: type[BaseModel]) -> bool:
    """Whether the key at ``path`` of ``root`` (a model of the spec) holds a float, as its
    model's field says (float_fields)."""
    model: Any = root
    for seg in path[:-1]:
        model = unwrap(model.model_fields[seg].annotation)
    return path[-1] in float_fields(model)
