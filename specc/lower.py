"""Stage 5: lower a resolved tree into the typed :class:`~specc.plan.Plan` the templates read.

The tree says what the user asked for, with every default filled in (:mod:`specc.resolve`);
the plan says what the script contains: its Config fields (one command-line flag each, with
the help text of the catalog), its networks with their sparsity, the structural choices that
select code (the optimizer, a learned temperature, the DDPG variant, ...) and the metrics
columns. Every derived fact is computed here or in :mod:`specc.plan`, none in a template.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
from pathlib import PurePath
from typing import Any

from . import __version__, catalog
from .catalog import (
    ACTIVATION_FN,
    DDPG_VARIANT_OPTIONS,
    FLAG_HELP,
    HELP,
    PRESETS,
    help_for,
)
from .loader import LoadedSpec
from .plan import (
    AlgoPlan,
    ConfigField,
    ConfigGroup,
    DiagnosticsPlan,
    EnvPlan,
    NetworkPlan,
    Plan,
    ResetPlan,
    RuntimePlan,
    SparsityPlan,
    sparsity_code,
)
from .resolve import Tree, Value, tree_to_yaml
from .rules import flag_relations

from .schema import (
    SPARSITY_KEY,
    DiagnosticsSpec,
    SparsitySpec,
    Spec,
    TrainSpec,
    float_fields,
    is_float_key,
)

# Train keys whose flags are floats (a preset may give 1 for 1.0): the schema's float keys.
FLOAT_TRAIN_KEYS = float_fields(TrainSpec)

# Train keys that choose code rather than a value: they are no flag.
STRUCTURAL_TRAIN_KEYS = (
    "optimizer",
    "ddpg_variant",
    "terminal_reward",
    "clipped_double_q",
    "buffer_drop",
)
# Train keys whose value says a feature is off: then no flag (and no code).
OFF_VALUES = {"n_step": 1, "buffer_check_every": 0}

# The diagnostics keys that are flags: flag name -> key, in Config order (a flag is a float
# where the schema's key is: is_float_key).
DIAGNOSTICS_FLAGS = {
    "diagnostics_every": "every",
    "diagnostics_batch_size": "batch_size",
    "dormant_tau": "dormant_tau",
    "srank_delta": "srank_delta",
    "interference_samples": "interference_samples",
}


# The tunable numbers of a sparse module: flag suffix -> path in its sparsity entry (its help
# key is SPARSITY_KEY + the dotted path; a flag is a float where the schema's key is);
# structural choices (distribution, criterion, revival method) decide which code the script
# contains, so they are no flags. The level's help depends on the regime.
SPARSITY_FLAGS: dict[str, tuple[str, ...]] = {
    "sparsity_level": ("level",),
    "prune_at": ("prune_at",),
    "topology_every": ("topology", "every"),
    "drop_fraction": ("topology", "drop_fraction"),
    "topology_end": ("topology", "end"),
    "schedule_start": ("schedule", "start"),
    "schedule_end": ("schedule", "end"),
    "schedule_power": ("schedule", "power"),
    "revival_ratio": ("revival", "ratio"),
}


def _v(tree: Tree, dotted_key: str) -> Any:
    node: Any = tree
    for part in dotted_key.split("."):
        node = node[part]
    return node.value


def _type_of(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    return "str"


# --------------------------------------------------------------------------- flag rules
# JSON Schema's bounds as the comparison a value must pass
_SCHEMA_BOUNDS = (
    ("minimum", ">="),
    ("exclusiveMinimum", ">"),
    ("maximum", "<="),
    ("exclusiveMaximum", "<"),
)


@functools.cache
def _spec_schema() -> dict[str, Any]:
    return Spec.model_json_schema()


def _alternatives(node: dict[str, Any]) -> list[dict[str, Any]]:
    """A schema node's alternatives, with $refs followed and anyOf (Optional, number_or) flattened."""
    if "$ref" in node:
        return _alternatives(_spec_schema()["$defs"][node["$ref"].rsplit("/", 1)[1]])
    if "anyOf" in node:
        return [alt for branch in node["anyOf"] for alt in _alternatives(branch)]
    return [node]


def key_schema(key: str) -> dict[str, Any]:
    """The JSON Schema of the spec key at dotted ``key`` ("networks.critic.sparsity.level")."""
    node: dict[str, Any] = _spec_schema()
    for part in key.split("."):
        node = next(a for a in _alternatives(node) if part in a.get("properties", {}))
        node = node["properties"][part]
    return node


def schema_rules(key: str, kind: str) -> tuple[tuple[str, Any], ...]:
    """The range the schema gives the numeric spec key ``key``, as (op, bound) rules for a flag of
    type ``kind`` (int | float): the one source of a flag's range (schema.PosInt, number_in,
    number_or, ...). Finiteness is the float flag's type."""
    numbers = [a for a in _alternatives(key_schema(key)) if a.get("type") in ("integer", "number")]
    if kind not in ("int", "float") or not numbers:
        return ()
    (number,) = numbers
    cast = int if kind == "int" else float
    return tuple((op, cast(number[b])) for b, op in _SCHEMA_BOUNDS if b in number)


def schema_choices(key: str) -> tuple[str, ...]:
    """The values the schema gives the str spec key ``key`` where it is a choice (its enum)."""
    return tuple(v for a in _alternatives(key_schema(key)) for v in a.get("enum", ()))


def _field(
    name: str, value: Value, help_text: str, *, key: str, cast_float: bool = False
) -> ConfigField:
    v = float(value.value) if cast_float else value.value
    kind = _type_of(v)
    choices = schema_choices(key) if kind == "str" and key else ()
    return ConfigField(
        name, kind, v, help_text, value.source, key, schema_rules(key, kind), choices
    )


def _get(entry: Tree, path: tuple[str, ...]) -> Value | None:
    node: Any = entry
    for part in path:
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


# --------------------------------------------------------------------------- networks
def _layout(algo: str, module: str, joint_output: bool) -> tuple[str, tuple[str, ...]]:
    """The module's trunk attribute and output layers (joint_output_layouts for a SAC actor
    with one output layer)."""
    record = catalog.algorithm(algo)
    if joint_output and module in record.joint_output_layouts:
        return record.joint_output_layouts[module]
    return record.layouts[module]


def _sparsity_plan(
    algo: str,
    module: str,
    arch: str,
    sp: Tree,
    joint_output: bool = False,
    observation: str = "state",
) -> SparsityPlan:
    if not catalog.regime(sp["regime"].value).sparse:  # dense, or sparse_init's zeros (no masks)
        level = float(sp["level"].value) if "level" in sp else 0.0
        return SparsityPlan(regime=sp["regime"].value, level=level)
    trunk, outputs = _layout(algo, module, joint_output)
    # the trunk's first layer, named from the module ("" : the module is its trunk)
    first = ".".join(x for x in (trunk, catalog.arch(arch).trunk_input_layer) if x)
    inputs = (first,) + catalog.algorithm(algo).extra_inputs.get(module, ())
    roles = {"input": inputs, "output": outputs}
    revival = sp.get("revival", {})
    regime = sp["regime"].value
    topo, sched = sp.get("topology", {}), sp.get("schedule", {})
    record = catalog.regime(regime)
    growth = topo["method"].value if "method" in topo else record.default_growth

    def topo_key(name: str, default: Any) -> Any:
        return topo[name].value if name in topo else default

    return SparsityPlan(
        regime=regime,
        level=float(sp["level"].value) if "level" in sp else 0.0,
        epsilon=tuple(float(e) for e in sp["epsilon"].value) if "epsilon" in sp else (),
        distribution=sp["distribution"].value,
        # s2d's initial mask is random (no criterion key); d2s starts dense and has none
        criterion=sp["criterion"].value if "criterion" in sp else record.default_criterion,
        prune_at=sp["prune_at"].value if "prune_at" in sp else 0,
        growth=growth,
        topology_every=topo["every"].value if topo else 0,
        drop_fraction=float(topo["drop_fraction"].value) if "drop_fraction" in topo else 0.0,
        decay=topo["decay"].value if "decay" in topo else "",
        topology_end=float(topo["end"].value) if "end" in topo else 0.0,
        schedule_start=float(sched["start"].value) if sched else 0.0,
        schedule_end=float(sched["end"].value) if sched else 0.0,
        schedule_power=float(sched["power"].value) if sched else 0.0,
        dense_layers=tuple(name for role in sp["dense_layers"].value for name in roles[role]),
        output_layers=outputs,
        inputs=catalog.algorithm(algo).module_inputs(module, observation=observation),
        revival=revival["method"].value if revival else "none",
        revival_ratio=float(revival["ratio"].value) if "ratio" in revival else 0.0,
        drop=topo_key("drop", "magnitude"),
        reset_moments=topo_key("reset_moments", True),
        mask_gradients=topo_key("mask_gradients", True),
        skip_step=topo_key("skip_step", True),
        target_masking=topo_key("targets", "mask"),
        grow_last=topo_key("grow_last", True),
        kernels=catalog.arch(arch).image
        or (observation == "pixels" and catalog.algorithm(algo).pixel_stem == module),
    )


def _sparsity_fields(module: str, sp: Tree, masks_later: bool = True) -> list[ConfigField]:
    """The module's tunable sparsity numbers that its regime uses (SPARSITY_FLAGS); prune_at
    only where the loop kind takes masks after training started (masks_later)."""
    regime = catalog.regime(sp["regime"].value)
    if not (regime.sparse or regime.init_zeros):
        return []
    fields = []
    for suffix, path in SPARSITY_FLAGS.items():
        value = _get(sp, path)
        if path == ("prune_at",) and not masks_later:
            continue
        if value is not None:
            dotted = ".".join(path)
            meaning = regime.level_meaning if path == ("level",) else HELP[SPARSITY_KEY + dotted]
            fields.append(
                _field(
                    f"{module}_{suffix}",
                    value,
                    f"{module}: {meaning}",
                    key=f"networks.{module}.sparsity.{dotted}",
                    cast_float=is_float_key(path, SparsitySpec),
                )
            )
    return fields


def _network(
    algo: str,
    module: str,
    entry: Tree,
    clipped_double_q: bool,
    options: dict[str, Any],
    observation: str = "state",
) -> NetworkPlan:
    """options: the preset's structural choices for the algorithm (catalog.PRESET_OPTIONS);
    observation: the env's observation kind (a pixel stem's kernels are masked weights)."""
    arch = entry["arch"].value
    fixed = catalog.arch(arch).fixed
    joint_output = options.get("joint_actor_output", False)

    def key(name: str) -> Any:
        return entry[name].value if name in entry else fixed[name]

    return NetworkPlan(
        module=module,
        arch=arch,
        template=f"networks/{arch}.py.jinja",
        trunk_class=catalog.arch(arch).trunk_class,
        width=entry["width"].value,
        depth=key("depth"),  # the nature CNN fixes its three convolutions
        activation=key("activation"),
        activation_fn=ACTIVATION_FN[key("activation")],
        layer_norm=key("layer_norm"),
        residual=key("residual"),
        ensemble=catalog.algorithm(algo).ensemble_size(module, clipped_double_q),
        sparsity=_sparsity_plan(algo, module, arch, entry["sparsity"], joint_output, observation),
        # MR.Q's LayerNorm has no learnable parameters (ln_activ), on every network of its agent
        affine_norm=not catalog.algorithm(algo).encoded,
        # a preset's init applies to the plain MLPs; SimBa and the MR.Q-style networks (block,
        # encoded algorithms) keep their own
        init=(
            options.get("init", "")
            if catalog.arch(arch).preset_init and not catalog.algorithm(algo).encoded
            else ""
        ),
    )


def _network_fields(module: str, entry: Tree) -> list[ConfigField]:
    depth = catalog.arch(entry["arch"].value).depth_meaning
    width = catalog.arch(entry["arch"].value).width_meaning or HELP["networks.MODULE.width"]
    fields = [
        _field(
            f"{module}_width",
            entry["width"],
            f"{module}: {width}",
            key=f"networks.{module}.width",
        )
    ]
    if "depth" in entry:  # (the nature CNN fixes its depth)
        fields.append(
            _field(
                f"{module}_depth",
                entry["depth"],
                f"{module}: {depth}",
                key=f"networks.{module}.depth",
            )
        )
    return fields


# --------------------------------------------------------------------------- config
def _train_fields(algo: str, train: Tree) -> list[ConfigField]:
    """The algorithm's hyperparameters that are values (not structure), as flags."""
    fields: list[ConfigField] = []
    for key, val in train.items():
        if key in STRUCTURAL_TRAIN_KEYS:
            continue
        if key == "gamma" and val.value == "auto":
            continue  # computed at run time from the episode length
        if key == "weight_decay" and train["optimizer"].value == "adam" and val.value == 0:
            continue
        if key == "grad_clip" and val.value == 0:
            continue  # no clipping: no code
        if key in OFF_VALUES and val.value == OFF_VALUES[key]:
            continue  # one-step target, fixed capacity: no code
        if key == "alpha" and val.value == "auto":
            continue  # learned: alpha_init is its flag
        text = help_for(("train", key), algo)
        if key == "target_entropy" and val.value in ("auto", "half"):
            per_dim = -1.0 if val.value == "auto" else -0.5
            name = "target_entropy_per_dim"
            # derived from train.target_entropy, which takes any finite number: so does the
            # per-dimension value (a float flag is finite; no range beyond that)
            fields.append(
                ConfigField(
                    name, "float", per_dim, FLAG_HELP[name], val.source, "train.target_entropy"
                )
            )
            continue
        fields.append(
            _field(key, val, text, key=f"train.{key}", cast_float=key in FLOAT_TRAIN_KEYS)
        )
    return fields


def _suite_note(fields: list[ConfigField]) -> str:
    """The fields a suite's protocol sets instead of the preset, with its source."""
    by_source: dict[str, list[str]] = {}
    for f in fields:
        if f.source.startswith("suite "):
            by_source.setdefault(f.source, []).append(f.name)
    return "".join(f"; {', '.join(names)} from the {src}" for src, names in by_source.items())


def _runtime_fields(tree: Tree) -> list[ConfigField]:
    fields = [
        _field("eval_every", tree["eval"]["every"], HELP["eval.every"], key="eval.every"),
        _field(
            "eval_episodes", tree["eval"]["episodes"], HELP["eval.episodes"], key="eval.episodes"
        ),
        _field(
            "checkpoint_every",
            tree["checkpoint"]["every"],
            HELP["checkpoint.every"],
            key="checkpoint.every",
        ),
        _field("log_every", tree["logging"]["every"], HELP["logging.every"], key="logging.every"),
    ]
    tb = tree["logging"]["tensorboard"]
    if tb.value is not False:  # auto or true: the flag turns it off
        fields.append(
            ConfigField(
                "tensorboard",
                "bool",
                True,
                HELP["logging.tensorboard"],
                tb.source,
                "logging.tensorboard",
            )
        )
    return fields


def _diagnostics_fields(tree: Tree) -> list[ConfigField]:
    fields = []
    d = tree.get("diagnostics", {})
    for name, key in DIAGNOSTICS_FLAGS.items():
        if key in d:  # the tree holds only the keys its metrics use (resolve)
            fields.append(
                _field(
                    name,
                    d[key],
                    HELP[f"diagnostics.{key}"],
                    key=f"diagnostics.{key}",
                    cast_float=is_float_key((key,), DiagnosticsSpec),
                )
            )
    if "reset" in tree:
        fields.append(
            _field("reset_every", tree["reset"]["every"], HELP["reset.every"], key="reset.every")
        )
    return fields


_LOWER, _UPPER = (">", ">="), ("<", "<=")


def _narrowed(rules: tuple, extra: tuple) -> tuple:
    """A field's rules with the extra ones: a numeric bound of the rules replaces the schema's
    bound on that side (it is narrower: the rules only add to the schema)."""
    for op, bound in extra:
        if not isinstance(bound, str):
            side = _LOWER if op in _LOWER else _UPPER
            rules = tuple(r for r in rules if isinstance(r[1], str) or r[0] not in side)
    return tuple(sorted(rules + extra, key=lambda r: isinstance(r[1], str)))  # numbers first


def _with_relations(groups: tuple[ConfigGroup, ...], tree: Tree) -> tuple[ConfigGroup, ...]:
    extra = flag_relations(tree)
    return tuple(
        dataclasses.replace(
            g,
            fields=tuple(
                dataclasses.replace(f, rules=_narrowed(f.rules, extra.get(f.name, ())))
                for f in g.fields
            ),
        )
        for g in groups
    )


# --------------------------------------------------------------------------- the plan
def lower(loaded: LoadedSpec, tree: Tree, overrides: tuple[str, ...]) -> Plan:
    algo = _v(tree, "algorithm")
    record = catalog.algorithm(algo)
    preset = PRESETS[_v(tree, "preset")]
    train = tree["train"]
    cdq = train["clipped_double_q"].value if "clipped_double_q" in train else True
    options = preset.options.get(algo, {})
    networks = tuple(
        _network(algo, m, entry, cdq, options, _v(tree, "env.observation"))
        for m, entry in tree["networks"].items()
    )
    train_fields = _train_fields(algo, train)
    diagnostics = _diagnostics_plan(tree, networks)
    reset = _reset_plan(tree, networks)
    suite = catalog.suite(_v(tree, "env.suite"))
    return Plan(
        name=_v(tree, "name"),
        description=_v(tree, "description") if "description" in tree else "",
        algorithm=algo,
        compiler_version=__version__,
        spec_file=PurePath(loaded.path).name,
        spec_sha256=hashlib.sha256(loaded.raw).hexdigest(),
        overrides=overrides,
        resolved_yaml=tree_to_yaml(tree),
        env=EnvPlan(
            id=_v(tree, "env.id"),
            suite=suite.name,
            action_repeat=_v(tree, "env.action_repeat"),
            observation=_v(tree, "env.observation"),
        ),
        observation=_v(tree, "env.observation"),
        action=suite.actions[0],
        loop=record.loop,
        algo=_algo_plan(tree, preset, train_fields, cdq, options),
        networks=networks,
        config=_config_groups(tree, preset, train_fields),
        runtime=RuntimePlan(
            update_functions=record.update_functions,
            cudagraphs=record.update_functions
            and not any(n.sparsity.sparse for n in networks)
            and reset is None,
            tensorboard={"auto": "auto", True: "on", False: "off"}[_v(tree, "logging.tensorboard")],
            obs_norm=any(catalog.arch(n.arch).obs_norm for n in networks),
            metrics=_metric_columns(tree, networks, diagnostics),
        ),
        diagnostics=diagnostics,
        reset=reset,
        sparsity=sparsity_code(
            networks,
            catalog.LOOP_KINDS[record.loop].masks_later,
            record.optimizer,
            record.noisy_modules,
        ),
    )


def _config_groups(tree: Tree, preset: Any, train_fields: list[ConfigField]) -> tuple:
    """The generated Config's groups of fields (one flag each), with the relations' rules."""
    algo = _v(tree, "algorithm")
    masks_later = catalog.LOOP_KINDS[catalog.algorithm(algo).loop].masks_later
    sparsity_fields = [
        f
        for m, entry in tree["networks"].items()
        for f in _sparsity_fields(m, entry["sparsity"], masks_later)
    ]
    diag_fields = _diagnostics_fields(tree)
    experiment = [
        _field(
            "env_id", tree["env"]["id"], catalog.suite(_v(tree, "env.suite")).id_help, key="env.id"
        )
    ]
    if _v(tree, "env.action_repeat") > 1:  # only where frames are repeated: ActionRepeat's count
        experiment.append(
            _field(
                "action_repeat",
                tree["env"]["action_repeat"],
                HELP["env.action_repeat"],
                key="env.action_repeat",
            )
        )
    experiment += [  # pixel observations only: their frames' size and stack
        _field(key, tree["env"][key], HELP[f"env.{key}"], key=f"env.{key}")
        for key in ("image_size", "frame_stack")
        if key in tree["env"]
    ]
    experiment += [  # the suite's protocol keys (atari)
        _field(key, tree["env"][key], HELP[f"env.{key}"], key=f"env.{key}")
        for key in catalog.suite(_v(tree, "env.suite")).env_keys
    ]
    experiment.append(_field("seed", tree["seed"], HELP["seed"], key="seed"))
    groups = [
        ConfigGroup("experiment", tuple(experiment)),
        ConfigGroup(
            f"{catalog.algorithm(algo).title} hyperparameters",
            tuple(train_fields),
            note=f"preset {preset.name}: {preset.source}" + _suite_note(train_fields),
        ),
        ConfigGroup(
            "networks",
            tuple(f for m, entry in tree["networks"].items() for f in _network_fields(m, entry)),
        ),
    ]
    if sparsity_fields:
        title = "sparsity (masks of the Linear weight matrices)"
        groups.append(ConfigGroup(title, tuple(sparsity_fields)))
    if diag_fields:
        groups.append(ConfigGroup("diagnostics and reset", tuple(diag_fields)))
    groups.append(ConfigGroup("evaluation, checkpoints and logging", tuple(_runtime_fields(tree))))
    groups = _with_relations(tuple(groups), tree)
    names = [f.name for g in groups for f in g.fields]
    assert len(names) == len(set(names)), names
    bounds = {b for g in groups for f in g.fields for _, b in f.rules if isinstance(b, str)}
    assert bounds <= set(names), bounds - set(names)  # a relation names another flag
    return groups


def _diagnostics_plan(tree: Tree, networks: tuple[NetworkPlan, ...]) -> DiagnosticsPlan | None:
    if "diagnostics" not in tree:
        return None
    record = catalog.algorithm(_v(tree, "algorithm"))
    modules = tuple(n.module for n in networks)
    d = tree["diagnostics"]
    layers = d["dormant_layers"].value if "dormant_layers" in d else ""
    dormant_layers = {
        n.arch: catalog.arch(n.arch).dormant_layers if layers == "auto" else layers
        for n in networks
    }
    return DiagnosticsPlan(
        tuple(d["metrics"].value),
        modules,
        {m: record.module_inputs(m, batch=True) for m in modules},
        dormant_layers if layers else {},
        encoded=record.encoded,
        features=record.batch_features,
    )


def _reset_plan(tree: Tree, networks: tuple[NetworkPlan, ...]) -> ResetPlan | None:
    if "reset" not in tree:
        return None
    r = tree["reset"]
    return ResetPlan(
        modules=tuple(n.module for n in networks if n.module in r["modules"].value),
        keep_mask=r["keep_mask"].value,
        temperature=r["temperature"].value if "temperature" in r else False,
    )


def _dynamic_buffer(train: Tree) -> bool:
    """RLx2's dynamic-capacity buffer is on (train.buffer_check_every > 0)."""
    return train["buffer_check_every"].value > 0 if "buffer_check_every" in train else False


def _metric_columns(
    tree: Tree, networks: tuple[NetworkPlan, ...], diagnostics: DiagnosticsPlan | None
) -> tuple[str, ...]:
    """metrics.csv's columns: the run's, the algorithm's losses (and its entropy temperature),
    each sparse module's sparsity and topology changes, the dynamic buffer's, diagnostics'."""
    record = catalog.algorithm(_v(tree, "algorithm"))
    metrics = ("step", "time", "episode_return", "eval_return", "sps") + record.loss_columns
    metrics += ("alpha",) if "alpha" in record.train_keys else ()
    metrics += tuple(f"{n.module}_sparsity" for n in networks if n.sparsity.sparse)
    metrics += tuple(f"{n.module}_topology_changed" for n in networks if n.sparsity.dynamic)
    metrics += ("buffer_size", "buffer_distance") if _dynamic_buffer(tree["train"]) else ()
    metrics += diagnostics.columns() if diagnostics is not None else ()
    return metrics


def _algo_plan(
    tree: Tree, preset: Any, train_fields: list[ConfigField], cdq: bool, options: dict
) -> AlgoPlan:
    """The algorithm's structural choices: optimizer, temperature, update order, targets..."""
    algo = _v(tree, "algorithm")
    record = catalog.algorithm(algo)
    train = tree["train"]
    learned_alpha = "alpha" in train and record.learned_temperature(train["alpha"].value)
    target_entropy = train.get("target_entropy")
    ddpg_variant = train["ddpg_variant"].value if "ddpg_variant" in train else ""
    variant = DDPG_VARIANT_OPTIONS.get(ddpg_variant, {})
    return AlgoPlan(
        name=algo,
        preset=preset.name,
        preset_source=preset.source,
        optimizer=train["optimizer"].value if "optimizer" in train else "",  # stream_ac: ObGD
        weight_decay=any(f.name == "weight_decay" for f in train_fields),
        grad_clip=any(f.name == "grad_clip" for f in train_fields),
        gamma_auto=train["gamma"].value == "auto",
        learned_alpha=learned_alpha,
        target_entropy=(
            ""
            if target_entropy is None
            else "per_dim" if target_entropy.value in ("auto", "half") else "fixed"
        ),
        actor_first=options.get("actor_first", False) or variant.get("actor_first", False),
        joint_actor_output=options.get("joint_actor_output", False),
        log_std_min=(  # no actor (DER): the field is not read
            catalog.arch(_v(tree, "networks.actor.arch")).log_std_min
            if "actor" in tree["networks"]
            else -5.0
        ),
        targets={
            m: t
            for m, t in record.targets.items()
            if m != "actor" or variant.get("target_actor", True)
        },
        ddpg_variant=ddpg_variant,
        twin_critics=record.ensemble_size("critic", cdq) > 1,
        terminal_reward=train["terminal_reward"].value if "terminal_reward" in train else "",
        # RLx2's delayed multi-step target, in the algorithms that have its keys (DrQ-v2's
        # n-step target is its own: its frame buffer returns n-step returns)
        n_step="n_step_start" in record.train_keys
        and "n_step" in train
        and train["n_step"].value > 1,
        buffer_drop=train["buffer_drop"].value if _dynamic_buffer(train) else "",
    )
