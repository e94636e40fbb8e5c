"""The semantic rules: relations between keys that the schema's shapes cannot express.

Two entry points, one a stage: :func:`check_rules` runs on the validated spec (stage 3b: keys
that do not apply to the chosen algorithm or regime, a block ``type`` and explicit flags that
disagree, ...), :func:`check_resolved` on the resolved tree (after stage 4: rules whose values
may come from a preset or a default, and what this version of specc generates). Each rule
reports at the key that breaks it. The rules are the ones SPEC_LANGUAGE.md states plus the
consistency checks a researcher would expect.
"""

from __future__ import annotations

import re
from typing import Any

from . import __version__, catalog
from .catalog import (
    BLOCK_TYPES,
    DEFAULTS,
    DIAGNOSTICS_METRIC_KEYS,
    DISCRETE_TRAIN_KEYS,
    DST_ONLY_TOPOLOGY_KEYS,
    LEARNED_ALPHA_KEYS,
    MODULE_NAMES,
    PIXEL_TRAIN_KEYS,
    PRESETS,
    SUPPORTED,
    TRAIN_KEY_GATES,
    presets_for,
)
from .diagnostics import Diagnostic, did_you_mean
from .loader import LoadedSpec, dotted
from .resolve import Tree, effective_alpha, effective_arch
from .schema import NetworkSpec, Spec, SparsitySpec


def _set_keys(model: Any) -> list[str]:
    return [k for k in type(model).model_fields if getattr(model, k) is not None]


def check_rules(spec: Spec, loaded: LoadedSpec) -> list[Diagnostic]:
    """Relations between the keys of a valid spec: every problem, each at its key."""
    smap = loaded.smap
    diags: list[Diagnostic] = []

    def err(path: tuple, message: str, at: str = "key") -> None:
        diags.append(Diagnostic(smap.location(path, at=at), message, dotted(path)))

    algo = spec.algorithm
    preset = spec.preset or catalog.algorithm(algo).default_preset
    if spec.preset is not None and algo not in PRESETS[preset].train:
        err(
            ("preset",),
            f"preset {preset!r} has no defaults for algorithm {algo!r} (presets for {algo}: {', '.join(presets_for(algo)) or 'none'})",
            at="value",
        )
    if spec.train is not None:
        _check_train_keys(spec, preset, err)
    _check_modules(spec, err)
    _check_reset_and_diagnostics(spec, err)
    _check_env_id(spec, err)
    return diags


def _check_train_keys(spec: Spec, preset: str, err) -> None:
    """Train keys the algorithm uses, a feature's keys only with it on, the learned
    temperature's only when it is learned."""
    algo, record = spec.algorithm, catalog.algorithm(spec.algorithm)
    for key in _set_keys(spec.train):
        if key not in record.train_keys:
            users = [a.name for a in catalog.ALGORITHM_RECORDS.values() if key in a.train_keys]
            err(
                ("train", key),
                f"not used by algorithm {algo!r}"
                + (f" (used by: {', '.join(users)})" if users else ""),
            )
    for key, (switch, off) in TRAIN_KEY_GATES.items():
        if key in record.train_keys and getattr(spec.train, key) is not None:
            on = getattr(spec.train, switch)
            if on is None:
                on = PRESETS[preset].train.get(algo, {}).get(switch, off)
            if on == off:
                err(
                    ("train", key),
                    f"applies only with train.{switch} other than {off} ({switch} is {on})",
                )
    if not record.learned_temperature(effective_alpha(spec)):
        for key in LEARNED_ALPHA_KEYS:
            if key in record.train_keys and getattr(spec.train, key) is not None:
                err(("train", key), _fixed_alpha(spec))


def _check_modules(spec: Spec, err) -> None:
    """The networks the spec writes are modules of its algorithm, each checked."""
    algo = spec.algorithm
    modules = catalog.algorithm(algo).modules
    if spec.networks.encoder is not None and "encoder" not in modules:
        err(
            ("networks", "encoder"),
            "an encoder module exists only with the algorithms that have one ("
            + ", ".join(
                repr(a.name) for a in catalog.ALGORITHM_RECORDS.values() if "encoder" in a.modules
            )
            + f"), not {algo!r}",
        )
    for module in MODULE_NAMES:
        net = getattr(spec.networks, module)
        if net is not None and module in modules:
            _check_network(spec, module, net, err)


def _check_reset_and_diagnostics(spec: Spec, err) -> None:
    """Diagnostics and reset name modules of this algorithm; their keys apply to what the spec
    turns on (a learned temperature, the metrics that use a key)."""
    algo, record = spec.algorithm, catalog.algorithm(spec.algorithm)
    if spec.reset is not None and spec.reset.modules is not None:
        _check_module_list(("reset", "modules"), spec.reset.modules, record.modules, err)
    if spec.reset is not None and spec.reset.temperature is not None:
        if "alpha" not in record.train_keys:
            err(
                ("reset", "temperature"),
                f"applies only to sac's learned temperature; algorithm {algo!r} has none",
            )
        elif not record.learned_temperature(effective_alpha(spec)):
            err(("reset", "temperature"), _fixed_alpha(spec))
    if spec.diagnostics is not None and spec.diagnostics.metrics is not None:
        _check_unique(("diagnostics", "metrics"), spec.diagnostics.metrics, err)
        seen = set(spec.diagnostics.metrics)
        # a key of metrics that the list leaves out
        for key, users in DIAGNOSTICS_METRIC_KEYS.items():
            if getattr(spec.diagnostics, key) is not None and not seen & set(users):
                names = " or ".join(repr(m) for m in users)
                err(("diagnostics", key), f"applies only when diagnostics.metrics lists {names}")


def _check_env_id(spec: Spec, err) -> None:
    """A suite with a closed list of tasks takes one of them; a task of such a suite under a
    suite without one is a forgotten ``env.suite`` (other ids are not checked: packages may
    register their own)."""
    env_id = spec.env.id
    record = catalog.suite(spec.env.suite or DEFAULTS["env.suite"])
    if record.tasks:
        if env_id not in record.tasks:
            err(("env", "id"), f"{env_id!r}: {_unknown_task(record, env_id)}", at="value")
        return
    for other in catalog.SUITE_RECORDS.values():
        task = other.task_of(env_id)
        if task in other.tasks:
            fix = f"set env.suite: {other.name}" + ("" if task == env_id else f", env.id: {task!r}")
            err(("env", "id"), f"{env_id!r} is {other.task}: {fix}", at="value")
            return


def _unknown_task(record: catalog.Suite, env_id: str) -> str:
    """Why ``env_id`` is none of the tasks of ``record``, a suite with a closed list."""
    task = record.task_of(env_id)
    unsupported = [why for prefix, why in record.unsupported.items() if env_id.startswith(prefix)]
    if unsupported:
        return unsupported[0]
    if task in record.tasks:
        return f"write the task as the papers do: {task!r}"
    if re.search(r"-v\d+$", env_id):
        default = catalog.suite(DEFAULTS["env.suite"])
        why = f"a {default.title} id: set env.suite: {default.name}, or name {record.task}"
        return why + did_you_mean(env_id, record.tasks)
    why = f"not {record.task}"
    return why + (did_you_mean(env_id, record.tasks) or f" ({record.task_form})")


def _fixed_alpha(spec: Spec) -> str:
    """The message of a learned-temperature key when the temperature is fixed."""
    alpha = effective_alpha(spec)
    if spec.train is not None and spec.train.alpha is not None:
        return f"applies only to a learned temperature (alpha: auto); alpha is fixed at {alpha}"
    preset = spec.preset or catalog.algorithm(spec.algorithm).default_preset
    return f"applies only to a learned temperature (alpha: auto); alpha is fixed at {alpha} (preset {preset})"


def _check_unique(path: tuple, values: list[Any], err, among: Any = None) -> None:
    """Each value once (only those in ``among``, when given: the others are errors already)."""
    seen: set[Any] = set()
    for i, v in enumerate(values):
        if v in seen:
            err(path + (i,), f"{v!r} is listed twice", at="value")
        if among is None or v in among:
            seen.add(v)


def _check_module_list(path: tuple, names: list[str], modules: tuple[str, ...], err) -> None:
    for i, m in enumerate(names):
        if m not in modules:
            err(
                path + (i,),
                f"module {m!r} does not exist for this algorithm (modules: {', '.join(modules)})",
                at="value",
            )
    _check_unique(path, names, err, among=modules)


def _check_network(spec: Spec, module: str, net: NetworkSpec, err) -> None:
    base = ("networks", module)
    arch = effective_arch(spec, module)
    record = catalog.algorithm(spec.algorithm)
    allowed = record.module_archs.get(module, record.archs)
    if net.arch is not None and net.arch not in allowed:
        what = f"its {module}" if module in record.module_archs else "its networks"
        err(
            base + ("arch",),
            f"algorithm {spec.algorithm!r} builds {what} as {' or '.join(allowed)},"
            f" not {net.arch!r}",
            at="value",
        )
        return
    for key in _set_keys(net):
        if key in ("arch", "sparsity"):
            continue
        if key not in catalog.arch(arch).keys:
            users = [a.name for a in catalog.ARCH_RECORDS.values() if key in a.keys]
            err(
                base + (key,),
                f"does not apply to arch {arch!r}"
                + (f" (used by: {', '.join(users)})" if users else ""),
            )
    if "type" in catalog.arch(arch).keys and net.type is not None:
        activation, layer_norm, residual = BLOCK_TYPES[net.type]
        for key, implied in (
            ("activation", activation),
            ("layer_norm", layer_norm),
            ("residual", residual),
        ):
            given = getattr(net, key)
            if given is not None and given != implied:
                shown = str(implied).lower() if isinstance(implied, bool) else implied
                err(
                    base + (key,),
                    f"block type {net.type} sets {key} to {shown}; remove one of the two",
                    at="value",
                )
    if net.sparsity is not None:
        preset = PRESETS[spec.preset or catalog.algorithm(spec.algorithm).default_preset]
        preset_sp = preset.sparsity.get(spec.algorithm, {}).get(module, {})
        _check_sparsity(module, net.sparsity, base + ("sparsity",), err, preset_sp)
        topology = net.sparsity.topology
        if (
            catalog.algorithm(spec.algorithm).encoded
            and topology is not None
            and topology.targets == "count"
        ):
            err(
                base + ("sparsity", "topology", "targets"),
                f"'count' prunes Polyak-averaged targets after each step; {spec.algorithm} copies its targets whole (use 'mask')",
                at="value",
            )


def _effective(sp: SparsitySpec, preset_sp: dict[str, Any], *path: str) -> Any:
    """A sparsity key as written, else a method preset's value (None when neither gives it)."""
    v: Any = sp
    for part in path:
        v = getattr(v, part, None) if v is not None else None
    if v is not None:
        return v
    p: Any = preset_sp
    for part in path:
        p = p.get(part) if isinstance(p, dict) else None
    return p


def _check_sparsity(
    module: str, sp: SparsitySpec, base: tuple, err, preset_sp: dict[str, Any] | None = None
) -> None:
    """One module's sparsity entry: the keys its regime uses, its level or epsilon, then its
    allocation, revival, topology and schedule (each check in order, every problem at its key)."""
    preset_sp = preset_sp or {}
    regime = sp.regime
    distribution = _effective(sp, preset_sp, "distribution")
    bernoulli = distribution == "epsilon_er" and "epsilon" in catalog.regime(regime).keys
    for key in _set_keys(sp):
        if key not in catalog.regime(regime).keys:
            users = [r.name for r in catalog.REGIME_RECORDS.values() if key in r.keys]
            err(
                base + (key,),
                f"does not apply to regime {regime!r} (applies to: {', '.join(users)})",
            )
    if bernoulli:
        if sp.level is not None:
            err(
                base + ("level",),
                "does not apply to distribution 'epsilon_er' (its densities come from epsilon, with no budget)",
            )
        if _effective(sp, preset_sp, "epsilon") is None:
            err(base, "distribution 'epsilon_er' needs 'epsilon' (one eps per sparse layer)")
        if _effective(sp, preset_sp, "criterion") not in (None, "random"):
            err(
                base + ("criterion",),
                "distribution 'epsilon_er' draws Bernoulli masks: its criterion is 'random'",
                at="value",
            )
    elif catalog.regime(regime).sparse and _effective(sp, preset_sp, "level") is None:
        err(base, f"regime {regime!r} needs a sparsity 'level'")
    _check_allocation(sp, base, err, preset_sp)
    _check_revival_and_topology(module, sp, base, err, preset_sp)
    _check_schedule(sp, base, err)


def _check_allocation(sp: SparsitySpec, base: tuple, err, preset_sp: dict[str, Any]) -> None:
    """Where the module's weights go: epsilon-ER's Bernoulli draws, global's scores."""
    regime = sp.regime
    distribution = _effective(sp, preset_sp, "distribution")
    bernoulli = distribution == "epsilon_er" and "epsilon" in catalog.regime(regime).keys
    if distribution == "epsilon_er" and catalog.regime(regime).scheduled and sp.distribution:
        err(
            base + ("distribution",),
            f"'epsilon_er' draws a fixed Bernoulli mask (sst, dst); regime {regime!r} follows a level schedule",
            at="value",
        )
    if sp.epsilon is not None and not bernoulli and "epsilon" in catalog.regime(regime).keys:
        err(base + ("epsilon",), "applies only to distribution 'epsilon_er'")
    if sp.epsilon is not None and not sp.epsilon:
        err(base + ("epsilon",), "lists no eps: give one per sparse layer", at="value")
    if (
        sp.distribution == "global"
        and sp.criterion in (None, "random")
        and "criterion" in catalog.regime(regime).keys
    ):
        where = base + ("distribution",)
        err(
            where,
            "'global' ranks all of a module's weights by one score, so it needs a scoring criterion (magnitude, synflow or snip), not random",
            at="value",
        )
    if sp.dense_layers:
        _check_unique(base + ("dense_layers",), sp.dense_layers, err)


def _check_revival_and_topology(
    module: str, sp: SparsitySpec, base: tuple, err, preset_sp: dict[str, Any]
) -> None:
    """Revival after a static prune; a dynamic regime's topology keys."""
    regime, record = sp.regime, catalog.regime(sp.regime)
    if (
        sp.revival is not None
        and "revival" in record.keys
        and sp.revival.method != "none"
        and sp.revival.ratio is None
    ):
        err(base + ("revival",), f"revival method {sp.revival.method!r} needs a 'ratio' (rr)")
    if sp.revival is not None and sp.revival.method == "none" and sp.revival.ratio is not None:
        err(base + ("revival", "ratio"), "does not apply to revival method 'none'")
    if sp.topology is not None and sp.topology.method == "importance" and module != "critic":
        err(
            base + ("topology", "method"),
            "'importance' (TD-error based) applies only to the critic",
            at="value",
        )
    if not record.topology_variants and sp.topology is not None:
        variants = " or ".join(
            repr(r.name) for r in catalog.REGIME_RECORDS.values() if r.topology_variants
        )
        for key in DST_ONLY_TOPOLOGY_KEYS:
            if getattr(sp.topology, key) is not None:
                err(base + ("topology", key), f"applies only to regime {variants}, not {regime!r}")
    if record.prune_only_topology and sp.topology is not None and sp.topology.method is None:
        for key in ("drop_fraction", "decay", "end"):
            if getattr(sp.topology, key) is not None:
                err(
                    base + ("topology", key),
                    f"applies only with 'topology.method' ({regime} without one prunes by magnitude only, no drop-and-grow)",
                )
    if record.topology_variants and _effective(sp, preset_sp, "topology", "method") is None:
        err(base, f"regime {regime!r} needs 'topology.method' (set, rigl or importance)")


def _check_schedule(sp: SparsitySpec, base: tuple, err) -> None:
    if (
        sp.schedule is not None
        and sp.schedule.start is not None
        and sp.schedule.end is not None
        and sp.schedule.start >= sp.schedule.end
    ):
        err(
            base + ("schedule", "end"),
            f"must be after schedule.start ({sp.schedule.start})",
            at="value",
        )


# --------------------------------------------------------------------------- on the resolved tree
def _v(tree: Tree, dotted_key: str) -> Any:
    node: Any = tree
    for part in dotted_key.split("."):
        node = node[part]
    return node.value


def check_resolved(tree: Tree, loaded: LoadedSpec) -> list[Diagnostic]:
    """Rules on the resolved tree (values a preset or default may have given): what this
    version generates, prune_at against the training budget, diagnostics and reset."""
    smap = loaded.smap
    diags: list[Diagnostic] = []

    def unsupported(path: tuple, what: str) -> None:
        diags.append(
            Diagnostic(
                smap.location(path),
                f"{what} is not implemented in specc {__version__} yet",
                dotted(path),
                unsupported=True,
            )
        )

    algorithm = _v(tree, "algorithm")
    if algorithm not in SUPPORTED["algorithm"]:
        # the rest is checked as well: every algorithm of the language has its keys resolved
        unsupported(("algorithm",), f"algorithm {algorithm!r}")
    if _v(tree, "env.suite") not in SUPPORTED["suite"]:
        unsupported(("env", "suite"), f"suite {_v(tree, 'env.suite')!r}")
    for module, entry in tree["networks"].items():
        if entry["arch"].value not in SUPPORTED["arch"]:
            unsupported(("networks", module, "arch"), f"arch {entry['arch'].value!r}")
        regime = entry["sparsity"]["regime"].value
        if regime not in SUPPORTED["regime"]:
            unsupported(("networks", module, "sparsity", "regime"), f"sparsity regime {regime!r}")
        elif _v(tree, "env.observation") == "pixels" and (
            entry["sparsity"].get("criterion") is not None
            and entry["sparsity"]["criterion"].value == "snip"
        ):
            # SNIP's batch of random transitions is built for the state buffer only
            unsupported(
                ("networks", module, "sparsity", "criterion"),
                "criterion 'snip' with pixel observations",
            )
        else:
            diags.extend(_check_prune_at(module, entry["sparsity"], tree, smap))
            method = entry["sparsity"].get("topology", {}).get("method")
            if method is not None and method.value not in SUPPORTED["topology"]:
                unsupported(
                    ("networks", module, "sparsity", "topology", "method"),
                    f"topology method {method.value!r}",
                )
    diags.extend(_check_accepts(tree, smap))
    _check_shared_optimizer(tree, unsupported)
    diags.extend(_check_module_regimes(tree, smap))
    diags.extend(_check_loop_sections(tree, smap))
    diags.extend(_check_learning_starts(tree, smap))
    diags.extend(_check_diagnostics_reset(tree, smap))
    return diags


def _feature_map(size: int, strides: tuple[int, ...]) -> int:
    """The side of a square image after unpadded 3x3 convolutions of these strides."""
    for stride in strides:
        size = (size - 3) // stride + 1 if size >= 3 else 0
    return size


def least_image_size(strides: tuple[int, ...]) -> int:
    """The smallest frame that unpadded 3x3 convolutions of these strides leave a pixel of."""
    return next(s for s in range(1, 4096) if _feature_map(s, strides) >= 1)


def _check_image_size(tree: Tree, smap: Any, record: Any) -> list[Diagnostic]:
    """A frame is large enough for the convolutions that read it: the conv encoder's `depth`
    (the first with stride 2), MR.Q's pixel stem (strides 2, 2, 2, 1)."""
    size = _v(tree, "env.image_size")
    if record.pixel_stem:
        strides, what = (
            catalog.MRQ_PIXEL_STRIDES,
            f"{record.name}'s pixel stem (strides 2, 2, 2, 1)",
        )
    else:
        convs = [  # unpadded convolutions (DrQ-v2's; with SAME padding any size works)
            (m, e["depth"].value)
            for m, e in tree["networks"].items()
            if catalog.arch(e["arch"].value).image
            and not catalog.arch(e["arch"].value).same_padding
        ]
        if not convs:
            return []
        module, depth = convs[0]
        strides, what = (2,) + (1,) * (depth - 1), f"networks.{module} ({depth} convolutions)"
    if _feature_map(size, strides) >= 1:
        return []
    least = least_image_size(strides)
    return [
        Diagnostic(
            smap.location(("env", "image_size")),
            f"frames of {size} pixels are too small for {what}: at least {least}",
            "env.image_size",
        )
    ]


def _check_shared_optimizer(tree: Tree, unsupported: Any) -> None:
    """Sparse modules that one optimizer steps together (DrQ-v2's critic and encoder) act as
    one MaskGroup in its step, which implements RigL's step semantics: DS-TD3's variants that
    change the step itself (topology.skip_step or topology.mask_gradients false) are not
    generated for them yet."""
    record = catalog.algorithm(_v(tree, "algorithm"))
    sparse = [
        m
        for m, entry in tree["networks"].items()
        if catalog.regime(entry["sparsity"]["regime"].value).sparse
    ]
    for module in sparse:
        shared = [
            m for m in sparse if m != module and record.optimizer(m) == record.optimizer(module)
        ]
        topo = tree["networks"][module]["sparsity"].get("topology", {})
        for key in ("skip_step", "mask_gradients"):
            if shared and key in topo and topo[key].value is False:
                unsupported(
                    ("networks", module, "sparsity", "topology", key),
                    f"topology.{key}: false on a module whose optimizer also steps the "
                    f"sparse {shared[0]}",
                )


def _check_module_regimes(tree: Tree, smap: Any) -> list[Diagnostic]:
    """Each module's regime is one its algorithm generates (a streaming agent: dense, static or
    SparseInit, its masks taken before the first step) on an architecture the regime applies
    to (SparseInit: the stream networks' init)."""
    algo = _v(tree, "algorithm")
    record, diags = catalog.algorithm(algo), []
    for module, entry in tree["networks"].items():
        sp, base = entry["sparsity"], ("networks", module, "sparsity")
        regime = catalog.regime(sp["regime"].value)
        arch = entry["arch"].value
        message = ""
        if regime.archs and arch not in regime.archs:
            users = [
                a.name
                for a in catalog.ALGORITHM_RECORDS.values()
                if set(a.archs) & set(regime.archs)
            ]
            message = (
                f"sparsity regime {regime.name!r} is the init of {' and '.join(regime.archs)}"
                f" networks (algorithm {', '.join(users)}); {module} is a {arch!r} network"
            )
        elif regime.name not in record.regimes:
            message = (
                f"sparsity regime {regime.name!r} is not generated for {algo!r}"
                f" (its regimes: {', '.join(record.regimes)})"
            )
        if message:
            diags.append(
                Diagnostic(smap.location(base + ("regime",)), message, dotted(base + ("regime",)))
            )
            continue
        if record.loop == "streaming" and "prune_at" in sp and sp["prune_at"].value != 0:
            path = base + ("prune_at",)
            diags.append(
                Diagnostic(
                    smap.location(path),
                    f"a streaming agent takes its masks before its first step: prune_at must be"
                    f" 0, not {sp['prune_at'].value}",
                    dotted(path),
                )
            )
        if record.loop == "streaming" and "criterion" in sp and sp["criterion"].value == "snip":
            path = base + ("criterion",)
            diags.append(
                Diagnostic(
                    smap.location(path),
                    "criterion 'snip' scores a replay batch; a streaming agent has none"
                    " (random, magnitude or synflow)",
                    dotted(path),
                )
            )
    return diags


def _check_loop_sections(tree: Tree, smap: Any) -> list[Diagnostic]:
    """The optional sections (diagnostics, reset) a spec gives are ones its loop kind generates."""
    algo = _v(tree, "algorithm")
    loop = catalog.LOOP_KINDS[catalog.algorithm(algo).loop]
    return [
        Diagnostic(
            smap.location((section,), at="key"),
            f"{section} is not generated for {algo!r} (a {loop.name} agent)",
            section,
        )
        for section in ("diagnostics", "reset")
        if tree.get(section) and section not in loop.sections
    ]


def _check_accepts(tree: Tree, smap: Any) -> list[Diagnostic]:
    """The algorithm takes what the suite gives: its observation kind (flat vectors, pixels)
    and its action kind (box, discrete), at the `algorithm` key."""
    algo, suite_name = _v(tree, "algorithm"), _v(tree, "env.suite")
    record, suite = catalog.algorithm(algo), catalog.suite(suite_name)
    observation = _v(tree, "env.observation")
    if observation not in suite.observations:
        return [
            Diagnostic(
                smap.location(("env", "observation")),
                f"suite {suite_name!r} gives {' or '.join(suite.observations)} observations, not"
                f" {observation}"
                + (" (pixel observations: env.suite: dmc)" if observation == "pixels" else ""),
                "env.observation",
            )
        ]
    diags = [
        Diagnostic(
            smap.location(("env", key), at="key"),
            f"env.{key} applies to suite {owner.name!r}, not {suite_name!r}",
            f"env.{key}",
        )
        for owner in catalog.SUITE_RECORDS.values()
        for key in owner.env_keys
        if key not in suite.env_keys and smap.has(("env", key))
    ]
    diags += [
        Diagnostic(
            smap.location(("env", key), at="key"),
            f"env.{key} applies to pixel observations (env.observation: pixels)",
            f"env.{key}",
        )
        for key in ("image_size", "frame_stack")
        if observation != "pixels" and smap.has(("env", key))
    ]
    diags += [
        Diagnostic(
            smap.location(("train", key), at="key"),
            f"train.{key} applies to pixel observations (env.observation: pixels)",
            f"train.{key}",
        )
        for key in PIXEL_TRAIN_KEYS
        if observation != "pixels" and smap.has(("train", key))
    ]
    diags += [
        Diagnostic(
            smap.location(("train", key), at="key"),
            f"train.{key} applies to discrete actions (suite {suite_name!r} gives"
            f" {suite.actions[0]} actions)",
            f"train.{key}",
        )
        for key in DISCRETE_TRAIN_KEYS
        if suite.actions[0] != "discrete" and key in record.train_keys and smap.has(("train", key))
    ]
    if observation == "pixels":
        diags += _check_image_size(tree, smap, record)
    for axis, gives, takes in (
        ("observations", observation, record.observations),
        ("actions", suite.actions[0], record.actions),
    ):
        if gives not in takes:
            diags.append(
                Diagnostic(
                    smap.location(("algorithm",)),
                    f"algorithm {algo!r} takes {' or '.join(takes)} {axis}; suite {suite_name!r}"
                    f" gives {gives} {axis}",
                    "algorithm",
                )
            )
    return diags


def _frame_windows(tree: Tree) -> bool:
    """The pixel frame buffer samples n-step windows (DrQ-v2's replay: n_step > 1 on pixels)."""
    train = tree["train"]
    return (
        _v(tree, "env.observation") == "pixels"
        and not catalog.algorithm(_v(tree, "algorithm")).encoded
        and "n_step" in train
        and train["n_step"].value > 1
    )


def _check_learning_starts(tree: Tree, smap: Any) -> list[Diagnostic]:
    """learning_starts before total_steps (either may come from a preset or a suite): at the
    key the user wrote (learning_starts when both or neither), naming where the other's value
    came from."""
    train = tree["train"]
    if "learning_starts" not in train or "total_steps" not in train:
        return []
    starts, total = train["learning_starts"], train["total_steps"]
    if _frame_windows(tree) and starts.value < train["n_step"].value:
        # the frame buffer samples n-step windows: none is stored before n_step steps
        path = ("train", "learning_starts")
        return [
            Diagnostic(
                smap.location(path, at="value"),
                f"learning_starts {starts.value} is below n_step {train['n_step'].value}: the"
                " first update would find no n-step transition stored",
                dotted(path),
            )
        ]
    if starts.value < total.value:
        return []

    def shown(v: Any) -> str:
        return "" if v.source in ("spec", "override") else f", from {v.source}"

    if total.source in ("spec", "override") and starts.source not in ("spec", "override"):
        path = ("train", "total_steps")
        message = (
            f"total_steps {total.value} ends training before updates start"
            f" (learning_starts {starts.value}{shown(starts)}): the run would never update its"
            " networks; set train.learning_starts below total_steps"
        )
    else:
        path = ("train", "learning_starts")
        message = (
            f"learning_starts {starts.value}{shown(starts)} is not before the end of training"
            f" (total_steps {total.value}{shown(total)}): the run would never update its networks"
        )
    return [Diagnostic(smap.location(path, at="value"), message, dotted(path))]


def _check_diagnostics_reset(tree: Tree, smap: Any) -> list[Diagnostic]:
    """diagnostics and reset against resolved values (defaults included)."""
    diags: list[Diagnostic] = []
    diag = tree.get("diagnostics")
    if diag is not None:
        if not diag["metrics"].value:
            diags.append(
                Diagnostic(
                    smap.location(("diagnostics", "metrics"), at="value"),
                    "lists no metric: name at least one, or remove 'diagnostics'",
                    "diagnostics.metrics",
                )
            )
        if (
            "interference_samples" in diag
            and not 2 <= diag["interference_samples"].value <= diag["batch_size"].value
        ):
            k, batch = diag["interference_samples"].value, diag["batch_size"].value
            where = (
                ("diagnostics", "interference_samples")
                if diag["interference_samples"].source != "default"
                else ("diagnostics", "batch_size")
            )
            diags.append(
                Diagnostic(
                    smap.location(where, at="value"),
                    f"grad_interference needs 2 <= interference_samples <= batch_size (the k samples are the first of the diagnostics batch); got k = {k}, batch_size = {batch}",
                    dotted(where),
                )
            )
    reset = tree.get("reset")
    if reset is not None and not reset["modules"].value:
        diags.append(
            Diagnostic(
                smap.location(("reset", "modules"), at="value"),
                "lists no module: name at least one, or remove 'reset'",
                "reset.modules",
            )
        )
    if reset is not None and not reset["keep_mask"].value:
        for module in reset["modules"].value:
            regime = tree["networks"][module]["sparsity"]["regime"].value
            if catalog.regime(regime).scheduled:
                diags.append(
                    Diagnostic(
                        smap.location(("reset", "keep_mask"), at="value"),
                        f"keep_mask: false draws the {module}'s initial mask again, but its {regime} schedule owns the mask; use keep_mask: true",
                        "reset.keep_mask",
                    )
                )
    return diags


def _check_prune_at(module: str, sp: Tree, tree: Tree, smap: Any) -> list[Diagnostic]:
    """prune_at against the resolved training budget (values may come from a preset)."""
    if "prune_at" not in sp or "learning_starts" not in tree["train"]:
        return []  # a streaming agent's: _check_module_regimes
    path = ("networks", module, "sparsity", "prune_at")
    prune_at, train = sp["prune_at"].value, tree["train"]
    given = sp["prune_at"].source != "default"
    at = path if given else path[:-1]
    where = smap.location(at, at="value" if given else "key")
    diags = []
    total, starts = train["total_steps"].value, train["learning_starts"].value
    if prune_at >= total:
        diags.append(
            Diagnostic(
                where,
                f"prune_at {prune_at} is not before the end of training (total_steps {total}): the mask would never be taken",
                dotted(at),
            )
        )
    if sp.get("criterion") and sp["criterion"].value == "snip" and prune_at < max(starts, 1):
        diags.append(
            Diagnostic(
                where,
                f"criterion 'snip' scores a batch of the module's loss from the replay buffer, so it needs prune_at >= learning_starts ({starts}) and > 0; prune_at is {prune_at}",
                dotted(at),
            )
        )
    return diags


def flag_relations(tree: Tree) -> dict[str, tuple[tuple[str, Any], ...]]:
    """The rules of this module that relate Config values, as rules of the flag they constrain,
    for the generated script's flag checks (on its final config, after --resume merges the
    saved one): the bound is the other flag's name, or a number where a rule narrows the
    schema's range. Each entry names the check it restates at run time; a new relation between
    keys gets its check above and its flag form here."""
    rules: dict[str, tuple[tuple[str, Any], ...]] = {
        # _check_learning_starts: learning_starts < total_steps (else the run never trains)
        "learning_starts": (("<", "total_steps"),),
        # a flag whose spec value 0 means "no such code" exists only where the code does, and
        # there 0 would not switch it off: clipping to norm 0 zeroes every gradient, a check
        # every 0 steps divides by zero
        "grad_clip": ((">", 0.0),),
        "buffer_check_every": ((">=", 1),),
    }
    if _frame_windows(tree):  # _check_learning_starts: an n-step window stored before updates
        rules["learning_starts"] += ((">=", "n_step"),)
    for module, entry in tree["networks"].items():
        sp = entry["sparsity"]
        if "prune_at" in sp:  # _check_prune_at
            snip = "criterion" in sp and sp["criterion"].value == "snip"
            # snip scores a replay batch: the mask is taken after the warm-up, at a step > 0
            rules[f"{module}_prune_at"] = (("<", "total_steps"),) + (
                ((">=", 1), (">=", "learning_starts")) if snip else ()
            )
        if "start" in sp.get("schedule", {}):  # _check_sparsity: end after start
            rules[f"{module}_schedule_end"] = ((">", f"{module}_schedule_start"),)
    if "interference_samples" in tree.get("diagnostics", {}):  # _check_diagnostics_reset
        rules["interference_samples"] = ((">=", 2), ("<=", "diagnostics_batch_size"))
    record = catalog.algorithm(_v(tree, "algorithm"))
    if record.pixel_stem and "image_size" in tree["env"]:  # _check_image_size: MR.Q's stem
        rules["image_size"] = ((">=", least_image_size(catalog.MRQ_PIXEL_STRIDES)),)
    return rules
