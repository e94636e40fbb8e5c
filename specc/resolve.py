"""Stage 4: resolve a validated spec into the resolved tree: every key that applies to it,
with its value and where that value came from.

The sources, in order of precedence: ``spec`` (the file) or ``override`` (``-s``); ``derived
from type`` (the flags of a block type the spec gives); ``preset NAME (SUITE)`` (a preset's
value for the env suite, :attr:`specc.catalog.Preset.suite_train`, ``suite_env`` and
``suite_runtime``); ``suite NAME (...)`` (the
suite's protocol, the suite record's ``defaults``); ``preset NAME`` (and ``preset NAME
(type N)`` for the flags of a preset's block type); ``default`` (specc's own,
:data:`specc.catalog.DEFAULTS`).
Keys that do not apply (a learned temperature's keys with a fixed alpha, a metric's keys
without the metric, ...) are left out. ``specc explain`` prints the tree with its sources
(:func:`tree_to_yaml`); :mod:`specc.rules` checks it (``check_resolved``) and
:mod:`specc.lower` turns it into the plan.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any, Callable

from pydantic import BaseModel
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from . import catalog
from .catalog import (
    BLOCK_TYPES,
    DEFAULTS,
    DIAGNOSTICS_METRIC_KEYS,
    DISCRETE_TRAIN_KEYS,
    DST_ONLY_TOPOLOGY_KEYS,
    LEARNED_ALPHA_KEYS,
    NETWORK_DEFAULTS,
    PIXEL_DEFAULTS,
    PIXEL_TRAIN_KEYS,
    PRESETS,
    SPARSITY_DEFAULTS,
    TRAIN_DEFAULTS,
    TRAIN_KEY_GATES,
)
from .loader import LoadedSpec
from .schema import NetworkSpec, SparsitySpec, Spec, unwrap


@dataclass(frozen=True)
class Value:
    value: Any
    source: str


Tree = dict[str, Any]  # nested dicts whose leaves are Value
Comment = Callable[[tuple[str, ...], Value], str]


def _source(smap, path: tuple) -> str:
    for i in range(len(path), 0, -1):
        if tuple(path[:i]) in smap.overrides:
            return "override"
    return "spec"


def effective_arch(spec: Spec, module: str) -> str:
    net: NetworkSpec | None = getattr(spec.networks, module)
    if net is not None and net.arch is not None:
        return net.arch
    preset = PRESETS[spec.preset or catalog.algorithm(spec.algorithm).default_preset]
    arch = preset.networks.get(spec.algorithm, {}).get(module, {}).get("arch")
    return arch or NETWORK_DEFAULTS["arch"]


def effective_alpha(spec: Spec) -> Any:
    """train.alpha as written, else the preset's (auto when neither sets it)."""
    if spec.train is not None and spec.train.alpha is not None:
        return spec.train.alpha
    preset = PRESETS[spec.preset or catalog.algorithm(spec.algorithm).default_preset]
    return preset.train.get(spec.algorithm, {}).get("alpha", "auto")


def resolve_tree(spec: Spec, loaded: LoadedSpec) -> Tree:
    """The resolved spec: every key that applies, with its value and source."""
    return _Resolver(spec, loaded).tree()


_BLOCK_FLAGS = ("activation", "layer_norm", "residual")  # what a block type sets
_DIAGNOSTICS_KEYS = (
    "every",
    "metrics",
    "dormant_tau",
    "dormant_layers",
    "srank_delta",
    "batch_size",
    "interference_samples",
)


class _Resolver:
    """One spec's resolution: each key's value from the first of the spec, the preset's values
    for the suite, the suite's protocol, the preset, specc's defaults that has one, with that
    source. One method per section of the tree, in the tree's order."""

    def __init__(self, spec: Spec, loaded: LoadedSpec):
        self.spec, self.smap, self.algo = spec, loaded.smap, spec.algorithm
        self.record = catalog.algorithm(spec.algorithm)
        self.preset_name = spec.preset or self.record.default_preset
        self.preset = PRESETS[self.preset_name]
        self.psrc = f"preset {self.preset_name}"
        self.suite = spec.env.suite or DEFAULTS["env.suite"]
        # a suite's protocol (dmc: action repeat, agent steps, evaluation cadence) comes before
        # the preset's values, which are the papers' Gymnasium settings
        self.suite_defaults = catalog.suite(self.suite).defaults
        self.ssrc = catalog.suite(self.suite).defaults_source
        # the preset's values for this suite (its env protocol and runtime keys there) come
        # before the suite's: MR.Q's Atari protocol is not Atari-100k's
        self.psuite_env = self.preset.suite_env.get(self.suite, {}).get(self.algo, {})
        self.psuite_runtime = self.preset.suite_runtime.get(self.suite, {}).get(self.algo, {})
        self.pssrc = f"{self.psrc} ({self.suite})"
        self.alpha = effective_alpha(spec)

    def given(self, path: tuple, value: Any) -> Value:
        return Value(value, _source(self.smap, path))

    def pick(self, path: tuple, value: Any, *fallbacks: tuple[Any, str]) -> Value | None:
        """The spec's value at ``path``, else the first fallback that has one."""
        if value is not None:
            return self.given(path, value)
        for fb, src in fallbacks:
            if fb is not None:
                return Value(fb, src)
        return None

    def runtime(self, section: str, key: str, spec_section: Any) -> Value:
        """A key of a runtime section (eval, checkpoint, logging, diagnostics, reset)."""
        dk = f"{section}.{key}"
        return self.pick(
            (section, key),
            getattr(spec_section, key) if spec_section else None,
            (self.psuite_runtime.get(dk), self.pssrc),
            (self.suite_defaults.get(dk), self.ssrc),
            (self.preset.runtime.get(dk), self.psrc),
            (DEFAULTS.get(dk), "default"),
        )

    def tree(self) -> Tree:
        spec = self.spec
        tree: Tree = {
            "specc": self.given(("specc",), spec.specc),
            "name": self.given(("name",), spec.name),
        }
        if spec.description is not None:
            tree["description"] = self.given(("description",), spec.description)
        tree["algorithm"] = self.given(("algorithm",), spec.algorithm)
        tree["preset"] = (
            self.given(("preset",), spec.preset)
            if spec.preset
            else Value(self.preset_name, "default")
        )
        tree["seed"] = self.pick(("seed",), spec.seed, (DEFAULTS["seed"], "default"))
        tree["env"] = self.env()
        self.observation = tree["env"]["observation"].value
        self.actions = catalog.suite(self.suite).actions[0]  # the suite's action kind
        tree["train"] = self.train()
        tree["eval"] = {k: self.runtime("eval", k, spec.eval) for k in ("every", "episodes")}
        tree["checkpoint"] = {"every": self.runtime("checkpoint", "every", spec.checkpoint)}
        tree["networks"] = {m: self.network(m) for m in self.record.modules}
        tree["logging"] = {
            k: self.runtime("logging", k, spec.logging) for k in ("tensorboard", "every")
        }
        if spec.diagnostics is not None:
            tree["diagnostics"] = self.diagnostics()
        if spec.reset is not None:
            tree["reset"] = self.reset()
        return tree

    def env(self) -> Tree:
        """The env keys; the observation kind defaults to the first one the suite produces that
        the algorithm takes (pixels for drqv2 on dmc), the frame keys exist only for pixels."""
        env = self.spec.env
        suite = catalog.suite(self.suite)
        kinds = [k for k in suite.observations if k in self.record.observations]
        tree: Tree = {
            "id": self.given(("env", "id"), env.id),
            "suite": self.pick(("env", "suite"), env.suite, (DEFAULTS["env.suite"], "default")),
            "observation": self.pick(
                ("env", "observation"),
                env.observation,
                ((kinds or suite.observations)[0], "default"),
            ),
            "action_repeat": self.pick(
                ("env", "action_repeat"),
                env.action_repeat,
                (self.psuite_env.get("action_repeat"), self.pssrc),
                (self.suite_defaults.get("env.action_repeat"), self.ssrc),
                (DEFAULTS["env.action_repeat"], "default"),
            ),
        }
        if tree["observation"].value == "pixels":
            for key in ("image_size", "frame_stack"):
                tree[key] = self.pick(
                    ("env", key),
                    getattr(env, key),
                    (self.psuite_env.get(key), self.pssrc),
                    (self.suite_defaults.get(f"env.{key}"), self.ssrc),
                    (PIXEL_DEFAULTS[f"env.{key}"], "default (DrQ-v2's dmc.py)"),
                )
        for key in suite.env_keys:  # the suite's protocol (atari: sticky actions, lives, ...)
            tree[key] = self.pick(
                ("env", key),
                getattr(env, key),
                (self.psuite_env.get(key), self.pssrc),
                (self.suite_defaults[f"env.{key}"], self.ssrc),
            )
        return tree

    def train(self) -> Tree:
        """The algorithm's train keys: the learned temperature's only when it is learned, a
        feature's keys (TRAIN_KEY_GATES) only while its switch is on."""
        train_spec = self.spec.train
        ptrain = self.preset.train.get(self.algo, {})
        # the preset's values for this suite (SimBa on DMC: one critic), before the suite's,
        # and for this task before those (DrQ-v2's easy, medium and hard tasks)
        psuite = self.preset.suite_train.get(self.suite, {}).get(self.algo, {})
        task = self.spec.env.id
        ptask = self.preset.task_train.get(self.suite, {}).get(self.algo, {}).get(task, {})
        train: Tree = {}
        for key in self.record.train_keys:
            if key in LEARNED_ALPHA_KEYS and not self.record.learned_temperature(self.alpha):
                continue
            if key in PIXEL_TRAIN_KEYS and self.observation != "pixels":
                continue
            if key in DISCRETE_TRAIN_KEYS and self.actions != "discrete":
                continue
            default = None
            if key in TRAIN_KEY_GATES:
                switch, off = TRAIN_KEY_GATES[key]
                if switch not in train or train[switch].value == off:
                    continue
                default = TRAIN_DEFAULTS[key]
            v = self.pick(
                ("train", key),
                getattr(train_spec, key) if train_spec else None,
                (ptask.get(key), f"{self.psrc} ({task})"),
                (psuite.get(key), f"{self.psrc} ({self.suite})"),
                (self.suite_defaults.get(f"train.{key}"), self.ssrc),
                (ptrain.get(key), self.psrc),
                (default, "default"),
            )
            if v is not None:
                train[key] = v
        return train

    def network(self, module: str) -> Tree:
        """One module's network keys (those its arch uses) and its sparsity entry."""
        net = getattr(self.spec.networks, module)
        pnet = self.preset.networks.get(self.algo, {}).get(module, {})
        base = ("networks", module)
        arch = self.pick(
            base + ("arch",),
            net.arch if net else None,
            (pnet.get("arch"), self.psrc),
            (NETWORK_DEFAULTS["arch"], "default"),
        )
        entry: Tree = {"arch": arch}
        if arch.value != pnet.get("arch"):  # the preset's values for the arch the spec picks
            by_arch = self.preset.arch_networks.get(self.algo, {}).get(module, {})
            pnet = pnet | by_arch.get(arch.value, {})
        block_type, preset_flags = self._block_type(net, pnet, base, arch.value)
        for key in catalog.arch(arch.value).keys:
            if key == "type":
                if block_type is not None:
                    entry["type"] = block_type
                continue
            implied = None
            if block_type is not None and key in _BLOCK_FLAGS:
                implied = dict(zip(_BLOCK_FLAGS, BLOCK_TYPES[block_type.value]))[key]
            entry[key] = self.pick(
                base + (key,),
                getattr(net, key) if net else None,
                (implied, "derived from type"),
                ((preset_flags or {}).get(key), f"{self.psrc} (type {pnet.get('type')})"),
                (pnet.get(key), self.psrc),
                (NETWORK_DEFAULTS.get(key), "default"),
            )
        entry["sparsity"] = _resolve_sparsity(
            net.sparsity if net else None,
            base + ("sparsity",),
            self.given,
            self.preset.sparsity.get(self.algo, {}).get(module),
            self.psrc,
        )
        return entry

    def _block_type(
        self, net: NetworkSpec | None, pnet: dict[str, Any], base: tuple, arch: str
    ) -> tuple[Value | None, dict[str, Any] | None]:
        """A block type: the spec's, else the preset's. The preset's type gives the flags the
        spec does not set; it names the block only while the spec sets none of them. Returns
        (the type, the preset type's flags)."""
        if "type" not in catalog.arch(arch).keys:
            return None, None
        if net is not None and net.type is not None:
            return self.given(base + ("type",), net.type), None
        if pnet.get("type") is None:
            return None, None
        preset_flags = dict(zip(_BLOCK_FLAGS, BLOCK_TYPES[pnet["type"]]))
        if net is not None and any(getattr(net, f) is not None for f in _BLOCK_FLAGS):
            return None, preset_flags
        return Value(pnet["type"], self.psrc), preset_flags

    def diagnostics(self) -> Tree:
        """A key that only some metrics use, only with them (as the learned-temperature keys)."""
        spec_section = self.spec.diagnostics
        metrics = self.runtime("diagnostics", "metrics", spec_section)
        keys = [
            k
            for k in _DIAGNOSTICS_KEYS
            if k not in DIAGNOSTICS_METRIC_KEYS
            or set(DIAGNOSTICS_METRIC_KEYS[k]) & set(metrics.value)
        ]
        return {
            k: metrics if k == "metrics" else self.runtime("diagnostics", k, spec_section)
            for k in keys
        }

    def reset(self) -> Tree:
        reset = {
            k: self.runtime("reset", k, self.spec.reset) for k in ("every", "modules", "keep_mask")
        }
        if self.record.learned_temperature(self.alpha):
            # default: reset the temperature with the actor (catalog.DEFAULTS, reset.temperature)
            with_actor = "actor" in reset["modules"].value
            reset["temperature"] = self.pick(
                ("reset", "temperature"), self.spec.reset.temperature, (with_actor, "default")
            )
        return reset


def _resolve_sparsity(
    sp: SparsitySpec | None,
    base: tuple,
    given: Any,
    preset_sp: dict[str, Any] | None = None,
    psrc: str = "",
) -> Tree:
    """The sparsity entry of one module: the keys its regime uses (its record's keys), the spec's
    values, then a method preset's (rlx2, ds_td3: Preset.sparsity), then specc's defaults
    (SPARSITY_DEFAULTS); a key with no default is left out when not given (revival.ratio,
    topology.method)."""
    if sp is None and preset_sp is None:
        return {"regime": Value(catalog.DEFAULT_REGIME, "default")}
    preset_sp = preset_sp or {}

    def value(path: tuple[str, ...], v: Any) -> Value | None:
        if v is not None:
            return given(base + path, list(v) if isinstance(v, list) else v)
        p: Any = preset_sp
        for part in path:
            p = p.get(part) if isinstance(p, dict) else None
        if p is not None:
            return Value(list(p) if isinstance(p, list) else p, psrc)
        default = SPARSITY_DEFAULTS.get(".".join(path))
        return None if default is None else Value(default, "default")

    regime = value(("regime",), sp.regime if sp is not None else None)
    if catalog.regime(regime.value).keys == ("regime",):  # dense
        return {"regime": regime}
    if sp is None:
        sp = SparsitySpec(regime=regime.value)
    entry: Tree = {}
    for key in catalog.regime(sp.regime).keys:
        if key == "regime":
            entry[key] = regime
            continue
        annotation = SparsitySpec.model_fields[key].annotation
        section = unwrap(annotation)
        if isinstance(section, type) and issubclass(section, BaseModel):
            given_section = getattr(sp, key)
            sub = {
                k: value((key, k), getattr(given_section, k, None)) for k in section.model_fields
            }
            entry[key] = {k: v for k, v in sub.items() if v is not None}
        elif (v := value((key,), getattr(sp, key))) is not None:
            entry[key] = v
        elif key == "level" and catalog.regime(sp.regime).default_level is not None:
            entry[key] = Value(catalog.regime(sp.regime).default_level, "default")
    distribution, level = entry.get("distribution"), entry.get("level")
    if distribution is not None and distribution.value == "epsilon_er" and level is not None:
        del entry["level"]  # a preset's level (another regime's) does not apply to Bernoulli draws
    topology = entry.get("topology")
    record = catalog.regime(sp.regime)
    if topology is not None and not record.topology_variants:  # a preset's dst variants
        entry["topology"] = topology = {
            k: v for k, v in topology.items() if k not in DST_ONLY_TOPOLOGY_KEYS
        }
    if topology is not None and "method" not in topology and record.prune_only_topology:
        entry["topology"] = {"every": topology["every"]}  # prunes only: no drop-and-grow keys
    return entry


# --------------------------------------------------------------------------- YAML out
def _yaml_value(v: Any) -> Any:
    if isinstance(v, list):
        seq = CommentedSeq(v)
        seq.fa.set_flow_style()  # [a, b]: a list of names reads best on one line
        return seq
    return v


def _commented(tree: Tree, comment: Comment | None, path: tuple[str, ...] = ()) -> CommentedMap:
    out = CommentedMap()
    for key, val in tree.items():
        if isinstance(val, dict):
            out[key] = _commented(val, comment, path + (key,))
        else:
            out[key] = _yaml_value(val.value)
            if comment is not None:
                out.yaml_add_eol_comment(comment(path + (key,), val), key, column=0)
    return out


def tree_to_yaml(tree: Tree, comment: Comment | None = None) -> str:
    """The tree as YAML (ruamel.yaml, deterministic); ``comment(path, value)`` gives an
    end-of-line comment for each value (``specc explain``: its source and help)."""
    yaml = YAML()
    yaml.width = 4096  # one value a line, never folded
    yaml.indent(mapping=2, sequence=4, offset=2)
    buf = io.StringIO()
    yaml.dump(_commented(tree, comment), buf)
    if comment is None:
        return buf.getvalue()
    # two spaces before a comment, as black writes them (ruamel writes one); the comment is
    # the last " # " of its line (a quoted value may hold one, a comment never does)
    return "".join("  # ".join(line.rsplit(" # ", 1)) for line in buf.getvalue().splitlines(True))
