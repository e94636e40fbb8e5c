"""Stage 3b: rules that relate several keys of a structurally valid spec.

Each rule reports at the key that breaks it. The rules are the ones SPEC_LANGUAGE.md states
(keys that do not apply to the chosen algorithm or regime, ...) plus the consistency checks a
researcher would expect (a block ``type`` and explicit flags must agree, ...).
"""

from __future__ import annotations

from typing import Any

from .catalog import (
    ARCH_KEYS,
    BLOCK_TYPES,
    DEFAULT_PRESET,
    LEARNED_ALPHA_KEYS,
    MODULES,
    PRESETS,
    TRAIN_KEYS,
    presets_for,
    DIAGNOSTICS_METRIC_KEYS,
    MODULE_NAMES,
    REGIME_KEYS,
)
from .diagnostics import Diagnostic
from .loader import LoadedSpec, dotted
from .schema import NetworkSpec, Spec, SparsitySpec


def _set_keys(model: Any) -> list[str]:
    return [k for k in type(model).model_fields if getattr(model, k) is not None]


def effective_arch(spec: Spec, module: str) -> str:
    net: NetworkSpec | None = getattr(spec.networks, module)
    if net is not None and net.arch is not None:
        return net.arch
    preset = PRESETS[spec.preset or DEFAULT_PRESET[spec.algorithm]]
    return preset.networks.get(spec.algorithm, {}).get(module, {}).get("arch", "mlp")


def effective_alpha(spec: Spec) -> Any:
    """sac's train.alpha as written, else the preset's (auto when neither sets it)."""
    if spec.train is not None and spec.train.alpha is not None:
        return spec.train.alpha
    preset = PRESETS[spec.preset or DEFAULT_PRESET[spec.algorithm]]
    return preset.train.get(spec.algorithm, {}).get("alpha", "auto")


def check_rules(spec: Spec, loaded: LoadedSpec) -> list[Diagnostic]:
    smap = loaded.smap
    diags: list[Diagnostic] = []

    def err(path: tuple, message: str, at: str = "key") -> None:
        diags.append(Diagnostic(smap.location(path, at=at), message, dotted(path)))

    algo = spec.algorithm
    preset = spec.preset or DEFAULT_PRESET[algo]
    if spec.preset is not None and algo not in PRESETS[preset].train and algo != "mrq":
        err(
            ("preset",),
            f"preset {preset!r} has no defaults for algorithm {algo!r} (presets for {algo}: {', '.join(presets_for(algo)) or 'none'})",
            at="value",
        )

    # train keys the algorithm does not use
    if spec.train is not None:
        allowed = TRAIN_KEYS[algo]
        for key in _set_keys(spec.train):
            if key not in allowed:
                users = [a for a, keys in TRAIN_KEYS.items() if key in keys]
                err(
                    ("train", key),
                    f"not used by algorithm {algo!r}"
                    + (f" (used by: {', '.join(users)})" if users else ""),
                )
        if algo == "sac" and spec.train.alpha is not None and spec.train.alpha != "auto":
            for key in LEARNED_ALPHA_KEYS:
                if getattr(spec.train, key) is not None:
                    err(("train", key), "applies only to a learned temperature (alpha: auto)")

    # modules
    modules = MODULES[algo]
    if spec.networks.encoder is not None and "encoder" not in modules:
        err(
            ("networks", "encoder"),
            f"an encoder module exists only with algorithm 'mrq', not {algo!r}",
        )
    for module in MODULE_NAMES:
        net = getattr(spec.networks, module)
        if net is not None and module in modules:
            _check_network(spec, module, net, err)

    # diagnostics and reset name modules of this algorithm
    if spec.reset is not None and spec.reset.modules is not None:
        _check_module_list(("reset", "modules"), spec.reset.modules, modules, err)
    if spec.reset is not None and spec.reset.temperature is not None:
        if algo != "sac":
            err(
                ("reset", "temperature"),
                f"applies only to sac's learned temperature; algorithm {algo!r} has none",
            )
        elif effective_alpha(spec) != "auto":
            where = (
                ""
                if spec.train is not None and spec.train.alpha is not None
                else f" (preset {spec.preset or DEFAULT_PRESET[algo]})"
            )
            err(
                ("reset", "temperature"),
                f"applies only to a learned temperature (alpha: auto); alpha is fixed at {effective_alpha(spec)}{where}",
            )
    if spec.diagnostics is not None and spec.diagnostics.metrics is not None:
        seen: set[str] = set()
        for i, m in enumerate(spec.diagnostics.metrics):
            if m in seen:
                err(("diagnostics", "metrics", i), f"{m!r} is listed twice", at="value")
            seen.add(m)
        # a key of metrics that the list leaves out
        for key, users in DIAGNOSTICS_METRIC_KEYS.items():
            if getattr(spec.diagnostics, key) is not None and not seen & set(users):
                names = " or ".join(repr(m) for m in users)
                err(("diagnostics", key), f"applies only when diagnostics.metrics lists {names}")

    if spec.env.suite == "dmc" and "-" not in spec.env.id:
        err(
            ("env", "id"),
            f"a dmc id is 'domain-task' (e.g. 'dog-run'), got {spec.env.id!r}",
            at="value",
        )
    return diags


def _check_module_list(path: tuple, names: list[str], modules: tuple[str, ...], err) -> None:
    seen: set[str] = set()
    for i, m in enumerate(names):
        if m not in modules:
            err(
                path + (i,),
                f"module {m!r} does not exist for this algorithm (modules: {', '.join(modules)})",
                at="value",
            )
        elif m in seen:
            err(path + (i,), f"{m!r} is listed twice", at="value")
        seen.add(m)


def _check_network(spec: Spec, module: str, net: NetworkSpec, err) -> None:
    base = ("networks", module)
    arch = effective_arch(spec, module)
    for key in _set_keys(net):
        if key in ("arch", "sparsity"):
            continue
        if key not in ARCH_KEYS[arch]:
            users = [a for a, keys in ARCH_KEYS.items() if key in keys]
            err(
                base + (key,),
                f"does not apply to arch {arch!r}"
                + (f" (used by: {', '.join(users)})" if users else ""),
            )
    if arch == "block" and net.type is not None:
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
        _check_sparsity(module, net.sparsity, base + ("sparsity",), err)


def _check_sparsity(module: str, sp: SparsitySpec, base: tuple, err) -> None:
    regime = sp.regime
    for key in _set_keys(sp):
        if key not in REGIME_KEYS[regime]:
            users = [r for r, keys in REGIME_KEYS.items() if key in keys]
            err(
                base + (key,),
                f"does not apply to regime {regime!r} (applies to: {', '.join(users)})",
            )
    if regime != "dense" and sp.level is None:
        err(base, f"regime {regime!r} needs a sparsity 'level'")
    if (
        sp.distribution == "global"
        and sp.criterion in (None, "random")
        and "criterion" in REGIME_KEYS[regime]
    ):
        where = base + ("distribution",)
        err(
            where,
            "'global' ranks all of a module's weights by one score, so it needs a scoring criterion (magnitude, synflow or snip), not random",
            at="value",
        )
    if sp.dense_layers:
        seen: set[str] = set()
        for i, role in enumerate(sp.dense_layers):
            if role in seen:
                err(base + ("dense_layers", i), f"{role!r} is listed twice", at="value")
            seen.add(role)
    if (
        sp.revival is not None
        and regime == "sst"
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
    if regime == "d2s" and sp.topology is not None and sp.topology.method is None:
        for key in ("drop_fraction", "decay", "end"):
            if getattr(sp.topology, key) is not None:
                err(
                    base + ("topology", key),
                    "applies only with 'topology.method' (d2s without one prunes by magnitude only, no drop-and-grow)",
                )
    if regime == "dst" and (sp.topology is None or sp.topology.method is None):
        err(base, "regime 'dst' needs 'topology.method' (set, rigl or importance)")
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
