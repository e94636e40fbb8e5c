"""Stage 3a: the spec language v1 as pydantic models (the structure users may write).

Every model forbids unknown keys and validates strictly (no "1" for 1, no 1.5 for an int, no
"yes" for true). Every optional key is ``None`` here: defaults and presets are applied by
:mod:`specc.resolve`, which records where each value came from. Rules that relate several
keys (a key that does not apply to the chosen algorithm or regime, ...) live in
:mod:`specc.rules`, so this module stays a plain description of shapes, types and ranges.
"""

from __future__ import annotations

import math
import types
import typing
from typing import Annotated, Any, Optional

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

    def check(v: Any) -> str:
        if isinstance(v, str) and v in values:
            return v
        hint = did_you_mean(v, values) if isinstance(v, str) else ""
        raise PydanticCustomError(
            "choice",
            "expected one of {allowed}, got {got}{hint}",
            {"allowed": ", ".join(values), "got": _describe(v), "hint": hint},
        )

    return Annotated[
        str, PlainValidator(check), WithJsonSchema({"type": "string", "enum": list(values)})
    ]


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


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


# --------------------------------------------------------------------------- env
class EnvSpec(_Model):
    id: Annotated[
        str,
        Field(
            pattern=ENV_ID_RE, description="Gymnasium id (suite dmc: 'domain-task', e.g. dog-run)"
        ),
    ]
    suite: Optional[choice(*catalog.SUITES)] = Field(None, description="gymnasium (default) | dmc")
    action_repeat: Optional[PosInt] = Field(None, description="default 1 (the dmc papers use 2)")


# --------------------------------------------------------------------------- train
class TrainSpec(_Model):
    """Algorithm hyperparameters. Which keys apply to which algorithm: specc.catalog.TRAIN_KEYS."""

    # common
    total_steps: Optional[PosInt] = Field(None, description="env steps of the whole run")
    learning_starts: Optional[NonNegInt] = Field(
        None, description="env steps of uniform random actions before updates start"
    )
    batch_size: Optional[PosInt] = None
    buffer_size: Optional[PosInt] = None
    gamma: Optional[number_or("auto", gt=0.0, lt=1.0)] = Field(
        None, description="discount, or auto: the SimBa/TD-MPC2 heuristic from the episode length"
    )
    tau: Optional[number_in(gt=0.0, le=1.0)] = Field(
        None, description="Polyak coefficient of the target networks"
    )
    update_every: Optional[PosInt] = Field(None, description="env steps between update phases")
    updates_per_step: Optional[PosInt] = Field(
        None, description="gradient updates per env step (replay ratio)"
    )
    actor_lr: Optional[number_in(gt=0.0)] = None
    critic_lr: Optional[number_in(gt=0.0)] = None
    optimizer: Optional[choice(*catalog.OPTIMIZERS)] = None
    weight_decay: Optional[number_in(ge=0.0)] = None
    grad_clip: Optional[number_in(ge=0.0)] = Field(
        None, description="max global grad norm per module; 0 = none"
    )
    exploration_noise: Optional[number_in(ge=0.0)] = Field(
        None, description="td3/ddpg: std of the Gaussian action noise, in units of the action scale"
    )
    # sac
    alpha: Optional[number_or("auto", gt=0.0)] = Field(
        None, description="entropy temperature, or auto to learn it"
    )
    alpha_init: Optional[number_in(gt=0.0)] = Field(
        None, description="sac with alpha auto: initial temperature"
    )
    alpha_lr: Optional[number_in(gt=0.0)] = None
    target_entropy: Optional[number_or("auto", "half")] = Field(
        None, description="a number, auto = -|A|, half = -|A|/2"
    )
    policy_delay: Optional[PosInt] = Field(
        None,
        description="critic updates between actor phases (each runs policy_delay actor updates)",
    )
    # td3
    policy_noise: Optional[number_in(ge=0.0)] = Field(
        None, description="td3: std of the target policy smoothing noise"
    )
    noise_clip: Optional[number_in(ge=0.0)] = Field(
        None, description="td3: clip of the target policy smoothing noise"
    )
    # ddpg
    ddpg_variant: Optional[choice(*catalog.DDPG_VARIANTS)] = Field(
        None,
        description="ddpg: cleanrl (target actor, noise-free losses) | simba (no target actor; exploration noise in the actor loss and the target action; actor updated first)",
    )


# --------------------------------------------------------------------------- networks and sparsity
class RevivalSpec(_Model):
    method: choice(*catalog.REVIVAL_METHODS)
    ratio: Optional[Fraction01] = Field(
        None, description="rr: the revival ratio of Algorithm 1 (TAR paper)"
    )


class TopologySpec(_Model):
    method: Optional[choice(*catalog.TOPOLOGY_METHODS)] = None
    every: Optional[PosInt] = Field(None, description="gradient steps between mask updates")
    drop_fraction: Optional[number_in(gt=0.0, le=1.0)] = None
    decay: Optional[choice(*catalog.DECAYS)] = None
    end: Optional[number_in(gt=0.0, le=1.0)] = Field(
        None, description="fraction of training after which the topology is frozen"
    )


class ScheduleSpec(_Model):
    start: Optional[Fraction01] = None
    end: Optional[Fraction01] = None
    power: Optional[number_in(gt=0.0)] = None


class SparsitySpec(_Model):
    regime: choice(*catalog.REGIMES)
    level: Optional[number_in(ge=0.0, lt=1.0)] = None
    distribution: Optional[choice(*catalog.DISTRIBUTIONS)] = None
    criterion: Optional[choice(*catalog.CRITERIA)] = None
    prune_at: Optional[NonNegInt] = None
    dense_layers: Optional[list[choice(*catalog.DENSE_LAYER_ROLES)]] = None
    revival: Optional[RevivalSpec] = None
    topology: Optional[TopologySpec] = None
    schedule: Optional[ScheduleSpec] = None


class NetworkSpec(_Model):
    arch: Optional[choice(*catalog.ARCHS)] = None
    width: Optional[PosInt] = None
    depth: Optional[PosInt] = Field(
        None, description="mlp: hidden layers; block and simba: residual blocks"
    )
    type: Optional[Annotated[int, Field(ge=1, le=6)]] = Field(
        None, description="block only: 1..6, the MST paper's variants"
    )
    activation: Optional[choice(*catalog.ACTIVATIONS)] = None
    layer_norm: Optional[bool] = None
    residual: Optional[bool] = None
    sparsity: Optional[SparsitySpec] = None


class NetworksSpec(_Model):
    actor: NetworkSpec
    critic: NetworkSpec
    encoder: Optional[NetworkSpec] = None


# --------------------------------------------------------------------------- runtime
class EvalSpec(_Model):
    every: Optional[NonNegInt] = Field(
        None, description="env steps between evaluations; 0 disables"
    )
    episodes: Optional[PosInt] = None


class CheckpointSpec(_Model):
    every: Optional[NonNegInt] = Field(
        None, description="env steps between checkpoints; 0 disables periodic checkpoints"
    )


MetricName = choice(*catalog.METRICS)
ModuleName = choice(*catalog.MODULE_NAMES)


class DiagnosticsSpec(_Model):
    every: Optional[PosInt] = Field(None, description="env steps between diagnostics")
    metrics: Optional[list[MetricName]] = None
    dormant_tau: Optional[number_in(gt=0.0, lt=1.0)] = None
    srank_delta: Optional[number_in(gt=0.0, lt=1.0)] = None
    batch_size: Optional[PosInt] = Field(
        None, description="replay transitions the metrics are computed on"
    )
    interference_samples: Optional[PosInt] = Field(
        None, description="grad_interference: samples k of the k x k gradient-cosine matrix"
    )
    dormant_layers: Optional[choice(*catalog.DORMANT_LAYERS)] = Field(
        None,
        description="dormant_ratio: dense_outputs (every hidden Linear output before its activation, Ma et al.'s code) | activations (post-activation outputs, the paper's formula) | auto (dense_outputs on simba, activations on mlp and block)",
    )


class ResetSpec(_Model):
    every: PosInt
    modules: Optional[list[ModuleName]] = None
    keep_mask: Optional[bool] = None
    temperature: Optional[bool] = Field(
        None,
        description="sac with a learned temperature: also reset the temperature and its optimizer state (default: when modules lists the actor)",
    )


class LoggingSpec(_Model):
    tensorboard: Optional[
        Annotated[
            Any,
            PlainValidator(lambda v: _tb(v)),
            WithJsonSchema({"anyOf": [{"type": "boolean"}, {"enum": ["auto"]}]}),
        ]
    ] = None
    every: Optional[PosInt] = Field(
        None, description="env steps between progress lines and training-metric rows"
    )


def _tb(v: Any) -> Any:
    if isinstance(v, bool) or v == "auto":
        return v
    raise PydanticCustomError(
        "choice",
        "expected auto, true or false, got {got}{hint}",
        {"got": _describe(v), "hint": did_you_mean(v, ["auto"]) if isinstance(v, str) else ""},
    )


class Spec(_Model):
    """A specc spec, version 1."""

    specc: int = Field(description="format version; must be 1")
    name: Annotated[
        str, Field(pattern=NAME_RE, description="[a-z][a-z0-9_]{0,63}; the output is <name>.py")
    ]
    description: Optional[str] = None
    algorithm: choice(*catalog.ALGORITHMS)
    preset: Optional[choice(*catalog.PRESETS)] = None
    seed: Optional[NonNegInt] = None
    env: EnvSpec
    train: Optional[TrainSpec] = None
    eval: Optional[EvalSpec] = None
    checkpoint: Optional[CheckpointSpec] = None
    networks: NetworksSpec
    diagnostics: Optional[DiagnosticsSpec] = None
    reset: Optional[ResetSpec] = None
    logging: Optional[LoggingSpec] = None


def json_schema() -> dict[str, Any]:
    schema = Spec.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "specc spec, version 1"
    return schema


def model_fields_at(path: tuple) -> list[str] | None:
    """The allowed keys of the model found at ``path`` (for "did you mean"), or None."""
    model: Any = Spec
    for seg in path:
        if isinstance(seg, int):
            continue
        if (
            not (isinstance(model, type) and issubclass(model, BaseModel))
            or seg not in model.model_fields
        ):
            return None
        model = _unwrap(model.model_fields[seg].annotation)
    if isinstance(model, type) and issubclass(model, BaseModel):
        return list(model.model_fields)
    return None


def _unwrap(tp: Any) -> Any:
    args = [a for a in typing.get_args(tp) if a is not type(None)]
    if typing.get_origin(tp) in (typing.Union, types.UnionType) and len(args) == 1:
        return _unwrap(args[0])
    if typing.get_origin(tp) is list and args:
        return _unwrap(args[0])
    return tp
