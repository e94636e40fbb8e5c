"""Stage 4: resolve a validated spec into a fully defaulted tree and a typed :class:`Plan`.

Each value of the resolved tree records where it came from: ``spec`` (the file),
``override`` (``-s``), ``preset NAME`` or ``default`` (specc's own default). ``specc explain``
prints that tree; the generated script embeds it verbatim.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from . import __version__
from .catalog import (
    DIAGNOSTICS_METRIC_KEYS,
    REGIME_KEYS,
    SUPPORTED,
    ARCH_KEYS,
    BLOCK_TYPES,
    DEFAULT_PRESET,
    DEFAULTS,
    DORMANT_LAYERS_AUTO,
    LEARNED_ALPHA_KEYS,
    MODULE_BATCH_INPUTS,
    MODULE_INPUTS,
    MODULE_LAYOUT,
    MODULES,
    NETWORK_DEFAULTS,
    PRESETS,
    SPARSITY_DEFAULTS,
    TARGETS,
    TRAIN_KEYS,
    TRUNK_INPUT_LAYER,
)
from .diagnostics import Diagnostic, SpecError
from .loader import LoadedSpec, dotted
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
from .schema import Spec

ACTIVATION_FN = {"relu": "F.relu", "elu": "F.elu"}
TRUNK_CLASS = {"mlp": "MLP", "block": "BlockMLP", "simba": "SimbaEncoder"}


@dataclass(frozen=True)
class Value:
    value: Any
    source: str


Tree = dict[str, Any]  # nested dicts whose leaves are Value


def _source(smap, path: tuple) -> str:
    for i in range(len(path), 0, -1):
        if tuple(path[:i]) in smap.overrides:
            return "override"
    return "spec"


def resolve_tree(spec: Spec, loaded: LoadedSpec) -> Tree:
    """The resolved spec: every key that applies, with its value and source."""
    smap = loaded.smap
    algo = spec.algorithm
    preset_name = spec.preset or DEFAULT_PRESET[algo]
    preset = PRESETS[preset_name]

    def given(path: tuple, value: Any) -> Value:
        return Value(value, _source(smap, path))

    def pick(path: tuple, value: Any, *fallbacks: tuple[Any, str]) -> Value | None:
        if value is not None:
            return given(path, value)
        for fb, src in fallbacks:
            if fb is not None:
                return Value(fb, src)
        return None

    psrc = f"preset {preset_name}"
    tree: Tree = {
        "specc": given(("specc",), spec.specc),
        "name": given(("name",), spec.name),
    }
    if spec.description is not None:
        tree["description"] = given(("description",), spec.description)
    tree["algorithm"] = given(("algorithm",), spec.algorithm)
    tree["preset"] = (
        given(("preset",), spec.preset) if spec.preset else Value(preset_name, "default")
    )
    tree["seed"] = pick(("seed",), spec.seed, (DEFAULTS["seed"], "default"))
    tree["env"] = {
        "id": given(("env", "id"), spec.env.id),
        "suite": pick(("env", "suite"), spec.env.suite, (DEFAULTS["env.suite"], "default")),
        "action_repeat": pick(
            ("env", "action_repeat"),
            spec.env.action_repeat,
            (DEFAULTS["env.action_repeat"], "default"),
        ),
    }

    train_spec = spec.train
    ptrain = preset.train.get(algo, {})
    train: Tree = {}
    given_alpha = train_spec.alpha if train_spec is not None else None
    alpha = given_alpha if given_alpha is not None else ptrain.get("alpha", "auto")
    fixed_alpha = (
        algo == "sac" and alpha != "auto"
    )  # then the learned-temperature keys do not apply
    for key in TRAIN_KEYS[algo]:
        if fixed_alpha and key in LEARNED_ALPHA_KEYS:
            continue
        v = pick(
            ("train", key),
            getattr(train_spec, key) if train_spec else None,
            (ptrain.get(key), psrc),
        )
        if v is not None:
            train[key] = v
    tree["train"] = train

    def runtime(section: str, key: str, spec_section: Any) -> Value:
        dk = f"{section}.{key}"
        return pick(
            (section, key),
            getattr(spec_section, key) if spec_section else None,
            (preset.runtime.get(dk), psrc),
            (DEFAULTS.get(dk), "default"),
        )

    tree["eval"] = {
        "every": runtime("eval", "every", spec.eval),
        "episodes": runtime("eval", "episodes", spec.eval),
    }
    tree["checkpoint"] = {"every": runtime("checkpoint", "every", spec.checkpoint)}

    networks: Tree = {}
    for module in MODULES[algo]:
        net = getattr(spec.networks, module)
        pnet = preset.networks.get(algo, {}).get(module, {})
        base = ("networks", module)
        arch = pick(
            base + ("arch",),
            net.arch if net else None,
            (pnet.get("arch"), psrc),
            (NETWORK_DEFAULTS["arch"], "default"),
        )
        entry: Tree = {"arch": arch}
        for key in ARCH_KEYS[arch.value]:
            if key == "type":
                if net is not None and net.type is not None:
                    entry["type"] = given(base + ("type",), net.type)
                continue
            implied = None
            if (
                arch.value == "block"
                and net is not None
                and net.type is not None
                and key in ("activation", "layer_norm", "residual")
            ):
                act, ln, res = BLOCK_TYPES[net.type]
                implied = {"activation": act, "layer_norm": ln, "residual": res}[key]
            entry[key] = pick(
                base + (key,),
                getattr(net, key) if net else None,
                (implied, "derived from type"),
                (pnet.get(key), psrc),
                (NETWORK_DEFAULTS.get(key), "default"),
            )
        entry["sparsity"] = _resolve_sparsity(
            net.sparsity if net else None, base + ("sparsity",), given
        )
        networks[module] = entry
    tree["networks"] = networks

    tree["logging"] = {
        "tensorboard": runtime("logging", "tensorboard", spec.logging),
        "every": runtime("logging", "every", spec.logging),
    }
    if spec.diagnostics is not None:
        # a key that only some metrics use, only with them (as the learned-temperature keys)
        metrics = runtime("diagnostics", "metrics", spec.diagnostics)
        keys = (
            "every",
            "metrics",
            "dormant_tau",
            "dormant_layers",
            "srank_delta",
            "batch_size",
            "interference_samples",
        )
        keys = [
            k
            for k in keys
            if k not in DIAGNOSTICS_METRIC_KEYS
            or set(DIAGNOSTICS_METRIC_KEYS[k]) & set(metrics.value)
        ]
        tree["diagnostics"] = {
            k: metrics if k == "metrics" else runtime("diagnostics", k, spec.diagnostics)
            for k in keys
        }
    if spec.reset is not None:
        tree["reset"] = {
            k: runtime("reset", k, spec.reset) for k in ("every", "modules", "keep_mask")
        }
        if algo == "sac" and alpha == "auto":
            # default: reset the temperature with the actor (catalog.DEFAULTS, reset.temperature)
            with_actor = "actor" in tree["reset"]["modules"].value
            tree["reset"]["temperature"] = pick(
                ("reset", "temperature"), spec.reset.temperature, (with_actor, "default")
            )
    return tree


def _resolve_sparsity(sp: Any, base: tuple, given: Any) -> Tree:
    """The sparsity entry of one module: the keys its regime uses, specc's defaults filled in."""
    if sp is None:
        return {"regime": Value("dense", "default")}
    keys = REGIME_KEYS[sp.regime]
    entry: Tree = {"regime": given(base + ("regime",), sp.regime)}
    for key in keys[1:]:
        val = getattr(sp, key)
        if key == "revival":
            rv = val
            method = rv.method if rv is not None else None
            sub: Tree = {
                "method": (
                    given(base + ("revival", "method"), method)
                    if method
                    else Value(SPARSITY_DEFAULTS["revival.method"], "default")
                )
            }
            if rv is not None and rv.ratio is not None:
                sub["ratio"] = given(base + ("revival", "ratio"), rv.ratio)
            entry[key] = sub
        elif key in ("topology", "schedule"):
            sub = {}
            for k in (
                (type(val).model_fields if val is not None else ())
                if key == "topology"
                else ("start", "end", "power")
            ):
                if k == "method":
                    if val is not None and val.method is not None:
                        sub[k] = given(base + (key, k), val.method)
                    continue
                v = getattr(val, k) if val is not None else None
                sub[k] = (
                    given(base + (key, k), v)
                    if v is not None
                    else Value(SPARSITY_DEFAULTS[f"{key}.{k}"], "default")
                )
            if key == "topology" and val is None:
                sub = {
                    k: Value(SPARSITY_DEFAULTS[f"topology.{k}"], "default")
                    for k in ("every", "drop_fraction", "decay", "end")
                }
            if key == "topology" and sp.regime == "d2s" and "method" not in sub:
                sub = {"every": sub["every"]}  # prunes only: no drop-and-grow keys apply
            entry[key] = sub
        elif hasattr(val, "model_fields"):
            entry[key] = {
                k: given(base + (key, k), getattr(val, k))
                for k in type(val).model_fields
                if getattr(val, k) is not None
            }
        elif val is not None:
            entry[key] = given(base + (key,), list(val) if isinstance(val, list) else val)
        elif key in SPARSITY_DEFAULTS:
            entry[key] = Value(SPARSITY_DEFAULTS[key], "default")
    return entry


def _v(tree: Tree, dotted_key: str) -> Any:
    node: Any = tree
    for part in dotted_key.split("."):
        node = node[part]
    return node.value


def _check_supported(spec: Spec, tree: Tree, loaded: LoadedSpec) -> list[Diagnostic]:
    smap = loaded.smap
    diags: list[Diagnostic] = []

    def unsupported(path: tuple, what: str) -> None:
        diags.append(
            Diagnostic(
                smap.location(path),
                f"{what} is not implemented in specc {__version__} yet",
                dotted(path),
            )
        )

    if spec.algorithm not in SUPPORTED["algorithm"]:
        unsupported(("algorithm",), f"algorithm {spec.algorithm!r}")
        return diags
    if _v(tree, "env.suite") not in SUPPORTED["suite"]:
        unsupported(("env", "suite"), f"suite {_v(tree, 'env.suite')!r}")
    if _v(tree, "env.action_repeat") != 1:
        unsupported(("env", "action_repeat"), "action_repeat other than 1")
    for module, entry in tree["networks"].items():
        if entry["arch"].value not in SUPPORTED["arch"]:
            unsupported(("networks", module, "arch"), f"arch {entry['arch'].value!r}")
        regime = entry["sparsity"]["regime"].value
        if regime not in SUPPORTED["regime"]:
            unsupported(("networks", module, "sparsity", "regime"), f"sparsity regime {regime!r}")
        else:
            diags.extend(_check_prune_at(module, entry["sparsity"], tree, smap))
            method = entry["sparsity"].get("topology", {}).get("method")
            if method is not None and method.value not in SUPPORTED["topology"]:
                unsupported(
                    ("networks", module, "sparsity", "topology", "method"),
                    f"topology method {method.value!r}",
                )
    diags.extend(_check_diagnostics_reset(tree, smap))
    return diags


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
            if regime in ("d2s", "s2d"):
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
    if "prune_at" not in sp:
        return []
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


# --------------------------------------------------------------------------- the plan
_HELP = {
    "env_id": "Gymnasium environment id",
    "seed": "seed of python, numpy, torch and the environments",
    "total_steps": "environment steps of the whole run",
    "learning_starts": "environment steps of uniform random actions before updates start",
    "batch_size": "transitions per gradient step",
    "buffer_size": "replay buffer capacity (transitions)",
    "gamma": "discount factor",
    "tau": "Polyak coefficient of the target networks",
    "update_every": "environment steps between update phases",
    "updates_per_step": "gradient steps per environment step (replay ratio)",
    "actor_lr": "actor learning rate",
    "critic_lr": "critic learning rate",
    "weight_decay": "decoupled weight decay of the optimizers",
    "grad_clip": "max global gradient norm per module",
    "alpha": "entropy temperature (fixed)",
    "alpha_init": "initial entropy temperature (learned)",
    "alpha_lr": "temperature learning rate",
    "target_entropy": "target entropy of the learned temperature",
    "target_entropy_per_dim": "target entropy per action dimension (target = this * |A|)",
    "policy_delay": "critic updates between actor phases (each runs policy_delay actor updates, as CleanRL)",
    "exploration_noise": "std of the Gaussian exploration noise, in units of the action scale",
    "policy_noise": "std of the target policy smoothing noise, in units of the action scale",
    "noise_clip": "clip of the target policy smoothing noise",
    "eval_every": "environment steps between evaluations (0: never)",
    "eval_episodes": "episodes per evaluation (deterministic policy)",
    "checkpoint_every": "environment steps between checkpoints (0: only model.pt at the end)",
    "log_every": "environment steps between progress lines and training-metric rows",
    "tensorboard": "also write TensorBoard events (when the tensorboard package is installed)",
    "diagnostics_every": "environment steps between network-health diagnostics (from learning_starts on)",
    "diagnostics_batch_size": "replay transitions the diagnostics are computed on",
    "dormant_tau": "a neuron is dormant when its activation score is <= tau (Sokar et al. 2023)",
    "srank_delta": "srank: smallest k whose top-k singular values hold 1 - delta of their sum (Kumar et al. 2021)",
    "interference_samples": "grad_interference: samples k (the first of the diagnostics batch) of the k x k gradient-cosine matrix",
    "reset_every": "environment steps between resets of the reset modules (Nikishin et al. 2022)",
}


# Help texts that differ by algorithm.
_HELP_BY_ALGO = {
    ("td3", "policy_delay"): "critic updates between actor updates (targets move with the actor)",
    ("ddpg", "policy_delay"): "critic updates between actor updates (targets move with the actor)",
}


def _type_of(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    return "str"


def _sparsity_plan(algo: str, module: str, arch: str, sp: Tree) -> SparsityPlan:
    if sp["regime"].value == "dense":
        return SparsityPlan(regime="dense")
    trunk, outputs = MODULE_LAYOUT[(algo, module)]
    roles = {"input": (f"{trunk}.{TRUNK_INPUT_LAYER[arch]}",), "output": outputs}
    revival = sp.get("revival", {})
    regime = sp["regime"].value
    topo, sched = sp.get("topology", {}), sp.get("schedule", {})
    growth = topo["method"].value if "method" in topo else ("rigl" if regime == "s2d" else "")
    return SparsityPlan(
        regime=regime,
        level=float(sp["level"].value),
        distribution=sp["distribution"].value,
        # s2d's initial mask is random (no criterion key); d2s starts dense and has none
        criterion=(
            sp["criterion"].value if "criterion" in sp else ("" if regime == "d2s" else "random")
        ),
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
        inputs=MODULE_INPUTS[module],
        revival=revival["method"].value if revival else "none",
        revival_ratio=float(revival["ratio"].value) if "ratio" in revival else 0.0,
    )


def _sparsity_fields(module: str, sp: Tree) -> list[ConfigField]:
    """The tunable numbers of a sparse module; structural choices (distribution, criterion,
    revival method) decide which code the script contains, so they are not flags."""
    if sp["regime"].value == "dense":
        return []
    regime = sp["regime"].value
    level_help = {
        "sst": "fraction of its Linear weights pruned",
        "dst": "fraction of its Linear weights pruned",
        "d2s": "sparsity reached at the schedule's end (starts dense)",
        "s2d": "sparsity at the start (ends dense)",
    }[regime]
    fields = [
        ConfigField(
            f"{module}_sparsity_level",
            "float",
            float(sp["level"].value),
            f"{module}: {level_help}",
            sp["level"].source,
        )
    ]
    if "prune_at" in sp:
        fields.append(
            ConfigField(
                f"{module}_prune_at",
                "int",
                sp["prune_at"].value,
                f"{module}: env step at which its mask is taken (0: at initialization)",
                sp["prune_at"].source,
            )
        )
    topo, sched = sp.get("topology", {}), sp.get("schedule", {})
    if topo:
        fields.append(
            ConfigField(
                f"{module}_topology_every",
                "int",
                topo["every"].value,
                f"{module}: gradient steps between mask updates",
                topo["every"].source,
            )
        )
    if "drop_fraction" in topo:
        fields += [
            ConfigField(
                f"{module}_drop_fraction",
                "float",
                float(topo["drop_fraction"].value),
                f"{module}: initial fraction of active weights replaced per update",
                topo["drop_fraction"].source,
            ),
            ConfigField(
                f"{module}_topology_end",
                "float",
                float(topo["end"].value),
                f"{module}: fraction of its gradient steps after which the topology is frozen",
                topo["end"].source,
            ),
        ]
    if sched:
        fields += [
            ConfigField(
                f"{module}_schedule_start",
                "float",
                float(sched["start"].value),
                f"{module}: sparsity schedule start (fraction of its gradient steps)",
                sched["start"].source,
            ),
            ConfigField(
                f"{module}_schedule_end",
                "float",
                float(sched["end"].value),
                f"{module}: sparsity schedule end (fraction of its gradient steps)",
                sched["end"].source,
            ),
            ConfigField(
                f"{module}_schedule_power",
                "float",
                float(sched["power"].value),
                f"{module}: exponent of the sparsity schedule",
                sched["power"].source,
            ),
        ]
    revival = sp.get("revival", {})
    if "ratio" in revival:
        fields.append(
            ConfigField(
                f"{module}_revival_ratio",
                "float",
                float(revival["ratio"].value),
                f"{module}: revival ratio rr (TAR paper)",
                revival["ratio"].source,
            )
        )
    return fields


def build_plan(spec: Spec, loaded: LoadedSpec, tree: Tree, overrides: tuple[str, ...]) -> Plan:
    algo = spec.algorithm
    preset = PRESETS[_v(tree, "preset")]
    train = tree["train"]

    def field(name: str, value: Value, *, cast: type | None = None) -> ConfigField:
        v = value.value
        if cast is float:
            v = float(v)
        return ConfigField(
            name, _type_of(v), v, _HELP_BY_ALGO.get((algo, name), _HELP[name]), value.source
        )

    run_fields = [field("env_id", tree["env"]["id"]), field("seed", tree["seed"])]
    train_fields: list[ConfigField] = []
    float_keys = {
        "gamma",
        "tau",
        "actor_lr",
        "critic_lr",
        "weight_decay",
        "grad_clip",
        "alpha",
        "alpha_init",
        "alpha_lr",
        "target_entropy",
        "exploration_noise",
        "policy_noise",
        "noise_clip",
    }
    gamma_auto = train["gamma"].value == "auto"
    learned_alpha = algo == "sac" and train.get("alpha", Value("auto", "")).value == "auto"
    target_entropy_mode = ""
    for key, val in train.items():
        if key in ("optimizer", "ddpg_variant"):
            continue  # structural: they choose the code, not a value
        if key == "gamma" and gamma_auto:
            continue  # computed at run time from the episode length
        if key == "weight_decay" and train["optimizer"].value == "adam" and val.value == 0:
            continue
        if key == "grad_clip" and val.value == 0:
            continue
        if key == "alpha" and val.value == "auto":
            continue
        if key == "target_entropy":
            if val.value in ("auto", "half"):
                target_entropy_mode = "per_dim"
                per_dim = -1.0 if val.value == "auto" else -0.5
                train_fields.append(
                    ConfigField(
                        "target_entropy_per_dim",
                        "float",
                        per_dim,
                        _HELP["target_entropy_per_dim"],
                        val.source,
                    )
                )
                continue
            target_entropy_mode = "fixed"
        train_fields.append(field(key, val, cast=float if key in float_keys else None))

    net_fields: list[ConfigField] = []
    sparsity_fields: list[ConfigField] = []
    networks: list[NetworkPlan] = []
    for module, entry in tree["networks"].items():
        for key in ("width", "depth"):
            name = f"{module}_{key}"
            net_fields.append(
                ConfigField(
                    name,
                    "int",
                    entry[key].value,
                    f"{module} hidden {'width' if key == 'width' else 'layers'}",
                    entry[key].source,
                )
            )
        arch = entry["arch"].value
        networks.append(
            NetworkPlan(
                module=module,
                arch=arch,
                template=f"networks/{arch}.py.jinja",
                trunk_class=TRUNK_CLASS[arch],
                width=entry["width"].value,
                depth=entry["depth"].value,
                activation=entry["activation"].value if "activation" in entry else "relu",
                activation_fn=ACTIVATION_FN[
                    entry["activation"].value if "activation" in entry else "relu"
                ],
                layer_norm=entry["layer_norm"].value if "layer_norm" in entry else True,
                residual=entry["residual"].value if "residual" in entry else False,
                ensemble=2 if (module == "critic" and algo in ("sac", "td3")) else 1,
                sparsity=_sparsity_plan(algo, module, arch, entry["sparsity"]),
            )
        )
        sparsity_fields.extend(_sparsity_fields(module, entry["sparsity"]))

    tb = _v(tree, "logging.tensorboard")
    tb_mode = "auto" if tb == "auto" else ("on" if tb else "off")
    loop_fields = [
        field("eval_every", tree["eval"]["every"]),
        field("eval_episodes", tree["eval"]["episodes"]),
        field("checkpoint_every", tree["checkpoint"]["every"]),
        field("log_every", tree["logging"]["every"]),
    ]
    if tb_mode != "off":
        loop_fields.append(
            ConfigField(
                "tensorboard",
                "bool",
                True,
                _HELP["tensorboard"],
                tree["logging"]["tensorboard"].source,
            )
        )

    diag_fields: list[ConfigField] = []
    diagnostics = reset = None
    modules = tuple(n.module for n in networks)
    if "diagnostics" in tree:
        d = tree["diagnostics"]
        metric_names = tuple(d["metrics"].value)
        layers = d["dormant_layers"].value if "dormant_layers" in d else ""
        dormant_layers = (
            {n.arch: DORMANT_LAYERS_AUTO[n.arch] if layers == "auto" else layers for n in networks}
            if layers
            else {}
        )
        diagnostics = DiagnosticsPlan(
            metric_names, modules, {m: MODULE_BATCH_INPUTS[m] for m in modules}, dormant_layers
        )
        # the tree holds only the keys its metrics use (resolve_tree): one field each
        names = {
            "every": "diagnostics_every",
            "batch_size": "diagnostics_batch_size",
            "dormant_tau": "dormant_tau",
            "srank_delta": "srank_delta",
            "interference_samples": "interference_samples",
        }
        for key, name in names.items():
            if key in d:
                diag_fields.append(
                    field(
                        name, d[key], cast=float if key in ("dormant_tau", "srank_delta") else None
                    )
                )
    if "reset" in tree:
        r = tree["reset"]
        chosen = set(r["modules"].value)
        temperature = r["temperature"].value if "temperature" in r else False
        reset = ResetPlan(
            modules=tuple(m for m in modules if m in chosen),
            keep_mask=r["keep_mask"].value,
            temperature=temperature,
        )
        diag_fields.append(field("reset_every", r["every"]))

    groups = (
        ConfigGroup("experiment", tuple(run_fields)),
        ConfigGroup(
            f"{algo.upper()} hyperparameters",
            tuple(train_fields),
            note=f"preset {preset.name}: {preset.source}",
        ),
        ConfigGroup("networks", tuple(net_fields)),
        *(
            (ConfigGroup("sparsity (masks of the Linear weight matrices)", tuple(sparsity_fields)),)
            if sparsity_fields
            else ()
        ),
        *((ConfigGroup("diagnostics and reset", tuple(diag_fields)),) if diag_fields else ()),
        ConfigGroup("evaluation, checkpoints and logging", tuple(loop_fields)),
    )
    names = [f.name for g in groups for f in g.fields]
    assert len(names) == len(set(names)), names

    metrics = (
        "step",
        "time",
        "episode_return",
        "eval_return",
        "sps",
        "critic_loss",
        "actor_loss",
    ) + (("alpha",) if algo == "sac" else ())
    metrics += tuple(f"{n.module}_sparsity" for n in networks if n.sparsity.sparse)
    metrics += tuple(f"{n.module}_topology_changed" for n in networks if n.sparsity.dynamic)
    if diagnostics is not None:
        metrics += diagnostics.columns()
    raw = loaded.raw
    ddpg_variant = train["ddpg_variant"].value if "ddpg_variant" in train else ""
    return Plan(
        name=spec.name,
        description=spec.description or "",
        algorithm=algo,
        compiler_version=__version__,
        spec_file=PurePath(loaded.path).name,
        spec_sha256=hashlib.sha256(raw).hexdigest(),
        overrides=overrides,
        resolved_yaml=tree_to_yaml(tree, with_sources=False),
        env=EnvPlan(
            id=_v(tree, "env.id"),
            suite=_v(tree, "env.suite"),
            action_repeat=_v(tree, "env.action_repeat"),
        ),
        algo=AlgoPlan(
            name=algo,
            preset=preset.name,
            preset_source=preset.source,
            optimizer=train["optimizer"].value,
            weight_decay=any(f.name == "weight_decay" for f in train_fields),
            grad_clip=any(f.name == "grad_clip" for f in train_fields),
            gamma_auto=gamma_auto,
            learned_alpha=learned_alpha,
            target_entropy=target_entropy_mode,
            actor_first=preset.options.get(algo, {}).get("actor_first", False)
            or ddpg_variant == "simba",
            log_std_min=-10.0 if tree["networks"]["actor"]["arch"].value == "simba" else -5.0,
            # SimBa's DDPG has no target actor
            targets={
                m: t
                for m, t in TARGETS[algo].items()
                if not (m == "actor" and ddpg_variant == "simba")
            },
            ddpg_variant=ddpg_variant,
        ),
        networks=tuple(networks),
        config=groups,
        runtime=RuntimePlan(
            tensorboard=tb_mode, obs_norm=any(n.arch == "simba" for n in networks), metrics=metrics
        ),
        diagnostics=diagnostics,
        reset=reset,
        sparsity=sparsity_code(tuple(networks)),
    )


def resolve(spec: Spec, loaded: LoadedSpec, overrides: tuple[str, ...] = ()) -> tuple[Tree, Plan]:
    tree = resolve_tree(spec, loaded)
    diags = _check_supported(spec, tree, loaded)
    if diags:
        raise SpecError(diags)
    return tree, build_plan(spec, loaded, tree, overrides)


# --------------------------------------------------------------------------- YAML out
def _scalar(v: Any) -> str:
    import json
    import re

    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, list):
        return "[" + ", ".join(_scalar(x) for x in v) + "]"
    s = str(v)
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_./-]*", s) and s not in (
        "true",
        "false",
        "null",
        "yes",
        "no",
        "on",
        "off",
    ):
        return s
    return json.dumps(s, ensure_ascii=False)


def tree_to_yaml(tree: Tree, *, with_sources: bool) -> str:
    """Deterministic YAML for a resolved tree; with_sources adds '# source' to each value."""
    lines: list[str] = []

    def walk(node: Tree, indent: int) -> None:
        for key, val in node.items():
            pad = "  " * indent
            if isinstance(val, dict):
                lines.append(f"{pad}{key}:")
                walk(val, indent + 1)
            else:
                text = f"{pad}{key}: {_scalar(val.value)}"
                if with_sources:
                    text = f"{text}  # {val.source}"
                lines.append(text)

    walk(tree, 0)
    return "\n".join(lines) + "\n"
