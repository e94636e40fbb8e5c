"""Presets: families of defaults, each value with the source it was taken from (cited in the
generated config and by ``specc explain``). A preset is a partial spec per algorithm, kept as
data beside this module: one YAML file per preset, ``specc/catalog/presets/NAME.yaml``, which a
user reads as such (docs/spec.md, Presets) and whose comments give each value's source. This
module loads them into ``Preset`` records (``PRESETS``).

A preset file's layout (the loader checks it; a malformed file is a bug in specc):

- ``name`` (the file's name) and ``source`` (the citation, ``Preset.source``);
- ``eval``, ``checkpoint``, ``logging``: runtime spec keys, for every algorithm of the preset
  (``Preset.runtime``, by dotted key: ``eval.every``);
- ``algorithms.ALGO``: a partial spec for ALGO, in the spec's own shape: ``train`` (its train
  keys, ``Preset.train``) and ``networks.MODULE`` (``Preset.networks``), a module's
  ``sparsity`` (nested as in a spec) going to ``Preset.sparsity`` (a method preset: rlx2,
  ds_td3);
- no spec keys, specc's own: ``suites.SUITE.ALGO.train`` (``Preset.suite_train``), with
  ``.env`` (``Preset.suite_env``) and the runtime sections (``Preset.suite_runtime``),
  ``tasks.SUITE.ALGO.TASK.train`` (``Preset.task_train``: a task's values over the suite's),
  ``options.ALGO`` (``Preset.options``, see PRESET_OPTIONS) and
  ``arch_networks.ALGO.MODULE.ARCH`` (``Preset.arch_networks``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources as _resources
from typing import TYPE_CHECKING, Any, NoReturn

from ruamel.yaml import YAML as _YAML
from ruamel.yaml.error import YAMLError as _YAMLError

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

# The presets, in the order the language lists them (docs, the JSON Schema's enum, errors):
# one file presets/NAME.yaml each, no other file there.
PRESET_NAMES: tuple[str, ...] = (
    "cleanrl",
    "tar",
    "simba",
    "mrq",
    "rlx2",
    "ds_td3",
    "stream",
    "drqv2",
    "der",
)

# The structural choices a preset may make for an algorithm (Preset.options), with their
# meaning (docs/spec.md, Presets). They are no spec keys: each reproduces one reference's code.
PRESET_OPTIONS: dict[str, str] = {
    "actor_first": "update order: the actor (and temperature) before the critic (SimBa)",
    "init": "orthogonal: every Linear of the mlp networks orthogonal (gain 1) with zero bias,"
    " before any mask is drawn (RLx2's SAC, pytorch_sac's weight_init); absent: the"
    " architecture's own init (PyTorch's for mlp)",
    "joint_actor_output": "a SAC actor's mean and log std come from one output Linear of 2|A|,"
    " split after it (RLx2's SAC); absent: two heads (CleanRL)",
}

# The DDPG variants (train.ddpg_variant): CleanRL's has a target actor and updates the critic
# first; SimBa's (scale_rl/agents/ddpg) has no target actor and updates the actor first.
DDPG_VARIANT_OPTIONS: dict[str, dict[str, bool]] = {
    "cleanrl": {"target_actor": True, "actor_first": False},
    "simba": {"target_actor": False, "actor_first": True},
}


@dataclass(frozen=True)
class Preset:
    name: str
    source: str  # cited in the generated config
    train: dict[str, dict[str, Any]]  # algorithm -> key -> value
    networks: dict[str, dict[str, dict[str, Any]]]  # algorithm -> module -> key -> value
    runtime: dict[str, Any]  # dotted key -> value (eval.every, ...)
    # suite -> algorithm -> key -> value: where the paper's setting on that suite differs
    suite_train: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    # suite -> algorithm -> env key -> value: the suite's protocol as the paper runs it there
    # (MR.Q's Atari: sticky actions, no life-loss terminal, ...), over the suite's defaults
    suite_env: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    # suite -> algorithm -> dotted runtime key (eval.every) -> value, over the suite's defaults
    suite_runtime: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    # suite -> algorithm -> task id -> key -> value: a reference's per-task settings over the
    # suite's (DrQ-v2's cfgs/task/*.yaml: easy, medium and hard tasks)
    task_train: dict[str, dict[str, dict[str, dict[str, Any]]]] = field(default_factory=dict)
    # algorithm -> structural choices (PRESET_OPTIONS: what each one means)
    options: dict[str, dict[str, Any]] = field(default_factory=dict)
    # algorithm -> module -> arch -> values: what the preset gives a module whose spec picks
    # another arch than the preset's (the MST paper's block networks on MR.Q)
    arch_networks: dict[str, dict[str, dict[str, dict[str, Any]]]] = field(default_factory=dict)
    # algorithm -> module -> the sparsity entry (nested like the spec's): a preset that is a
    # sparse-training method (rlx2, ds_td3) carries its masks and topology; the spec's own
    # sparsity keys win, key by key
    sparsity: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)

    def is_method(self, algorithm: str) -> bool:
        """The preset is a whole method for this algorithm (networks and sparsity included): a
        spec may leave out `networks`."""
        return bool(self.sparsity.get(algorithm))


# The runtime sections of the spec a preset may set (Preset.runtime), for every algorithm.
PRESET_RUNTIME_SECTIONS = ("eval", "checkpoint", "logging")
# A preset file's top-level keys besides the runtime sections.
_TOP_KEYS = ("name", "source", "algorithms", "suites", "tasks", "options", "arch_networks")


class PresetFileError(Exception):
    """A preset file of specc's catalog is malformed: a bug in specc, not in the user's spec."""


class _PresetFile:
    """One preset file being read: each check fails with the file's name and the key's path."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.where = f"specc/catalog/presets/{name}.yaml"

    def fail(self, path: str, problem: str) -> NoReturn:
        at = f" at {path}" if path else ""
        raise PresetFileError(
            f"{self.where}{at}: {problem} (a malformed preset file: a bug in specc, not in your"
            " spec)"
        )

    def read(self, text: str) -> dict[str, Any]:
        try:
            data = _YAML(typ="safe", pure=True).load(text)
        except _YAMLError as exc:
            self.fail("", str(exc))
        return self.mapping(data, "")

    def mapping(
        self, v: Any, path: str, allowed: tuple[str, ...] = (), required: tuple[str, ...] = ()
    ) -> dict[str, Any]:
        """A non-empty mapping with string keys; with ``allowed``, only those keys."""
        if not isinstance(v, dict) or not v:
            self.fail(path, f"expected a non-empty mapping, got {v!r}")
        for k in v:
            if not isinstance(k, str) or (allowed and k not in allowed):
                self.fail(path, f"unknown key {k!r} (expected {', '.join(allowed) or 'strings'})")
        for k in required:
            if k not in v:
                self.fail(path, f"missing key {k!r}")
        return v

    def value(self, v: Any, path: str, nested: bool = False) -> Any:
        """A scalar (bool, int, float, str); with ``nested`` also a list of scalars or a mapping
        of values (a sparsity entry)."""
        if isinstance(v, (bool, int, float, str)):
            return v
        if nested and isinstance(v, list):
            return [self.value(x, f"{path}[{i}]") for i, x in enumerate(v)]
        if nested and isinstance(v, dict):
            return {k: self.value(x, f"{path}.{k}", True) for k, x in self.mapping(v, path).items()}
        self.fail(path, f"expected a {'value' if nested else 'scalar'}, got {v!r}")

    def scalars(self, v: Any, path: str, allowed: tuple[str, ...] = ()) -> dict[str, Any]:
        """A mapping of keys to scalars (train values, a module's network keys, options)."""
        return {k: self.value(x, f"{path}.{k}") for k, x in self.mapping(v, path, allowed).items()}

    def section(self, data: dict[str, Any], key: str, algorithms: Any) -> dict[str, Any]:
        """A top-level no-spec section keyed by the preset's algorithms (absent: empty)."""
        return self.by_algorithm(data[key], key, algorithms) if key in data else {}

    def by_algorithm(self, v: Any, path: str, algorithms: Any) -> dict[str, Any]:
        """A mapping keyed by the preset's algorithms."""
        for algo in self.mapping(v, path):
            if algo not in algorithms:
                self.fail(f"{path}.{algo}", "no algorithm of the preset's (`algorithms`)")
        return v


def preset_file(name: str) -> Traversable:
    """The file of preset ``name`` (one of PRESET_NAMES): specc/catalog/presets/NAME.yaml."""
    return _resources.files(__package__).joinpath("presets").joinpath(f"{name}.yaml")


def parse_preset(name: str, text: str) -> Preset:
    """The Preset that the text of preset file NAME.yaml gives; a malformed file raises
    PresetFileError with the file's name and the key's path."""
    f = _PresetFile(name)
    data = f.read(text)
    f.mapping(
        data, "", _TOP_KEYS + PRESET_RUNTIME_SECTIONS, required=("name", "source", "algorithms")
    )
    if data["name"] != name:
        f.fail("name", f"expected {name!r} (the file's name), got {data['name']!r}")
    if not isinstance(data["source"], str) or not data["source"]:
        f.fail("source", f"expected the citation, got {data['source']!r}")

    # the runtime sections, in the file's order: "eval.every", ...
    runtime = {
        f"{section}.{k}": v
        for section in data
        if section in PRESET_RUNTIME_SECTIONS
        for k, v in f.scalars(data[section], section).items()
    }
    # algorithms.ALGO: train, and networks with each module's sparsity taken apart
    train: dict[str, dict[str, Any]] = {}
    networks: dict[str, dict[str, dict[str, Any]]] = {}
    sparsity: dict[str, dict[str, dict[str, Any]]] = {}
    for algo, section in f.mapping(data["algorithms"], "algorithms").items():
        path = f"algorithms.{algo}"
        f.mapping(section, path, ("train", "networks"), required=("train",))
        train[algo] = f.scalars(section["train"], f"{path}.train")
        if "networks" not in section:
            continue
        networks[algo] = {}
        for module, net in f.mapping(section["networks"], f"{path}.networks").items():
            mpath = f"{path}.networks.{module}"
            f.mapping(net, mpath)
            networks[algo][module] = f.scalars(
                {k: v for k, v in net.items() if k != "sparsity"}, mpath
            )
            if "sparsity" in net:
                entry = f.value(net["sparsity"], f"{mpath}.sparsity", nested=True)
                if not isinstance(entry, dict):
                    f.fail(f"{mpath}.sparsity", f"expected a mapping, got {entry!r}")
                sparsity.setdefault(algo, {})[module] = entry

    # the no-spec sections (absent: empty)
    suites = f.mapping(data["suites"], "suites") if "suites" in data else {}
    # suites.SUITE.ALGO: its train keys, env keys (a suite's protocol as the paper runs it there)
    # and runtime sections (eval.every, ...) on that suite
    suite_keys = ("train", "env") + PRESET_RUNTIME_SECTIONS
    suite_sections = {
        (suite, algo): f.mapping(section, f"suites.{suite}.{algo}", suite_keys)
        for suite, algos in suites.items()
        for algo, section in f.by_algorithm(algos, f"suites.{suite}", train).items()
    }

    def per_suite(keys: tuple[str, ...], prefixed: bool) -> dict[str, dict[str, dict[str, Any]]]:
        out: dict[str, dict[str, dict[str, Any]]] = {}
        for (suite, algo), section in suite_sections.items():
            values = {
                (f"{k}.{key}" if prefixed else key): v
                for k in keys
                if k in section
                for key, v in f.scalars(section[k], f"suites.{suite}.{algo}.{k}").items()
            }
            if values:
                out.setdefault(suite, {})[algo] = values
        return out

    suite_train = per_suite(("train",), False)
    suite_env = per_suite(("env",), False)
    suite_runtime = per_suite(PRESET_RUNTIME_SECTIONS, True)
    tasks = f.mapping(data["tasks"], "tasks") if "tasks" in data else {}
    task_train = {
        suite: {
            algo: {
                task: f.scalars(
                    f.mapping(entry, f"tasks.{suite}.{algo}.{task}", ("train",), ("train",))[
                        "train"
                    ],
                    f"tasks.{suite}.{algo}.{task}.train",
                )
                for task, entry in f.mapping(section, f"tasks.{suite}.{algo}").items()
            }
            for algo, section in f.by_algorithm(algos, f"tasks.{suite}", train).items()
        }
        for suite, algos in tasks.items()
    }
    options = {
        algo: f.scalars(values, f"options.{algo}", tuple(PRESET_OPTIONS))
        for algo, values in f.section(data, "options", train).items()
    }
    arch_networks = {
        algo: {
            module: {
                arch: f.scalars(values, f"arch_networks.{algo}.{module}.{arch}")
                for arch, values in f.mapping(archs, f"arch_networks.{algo}.{module}").items()
            }
            for module, archs in f.mapping(modules, f"arch_networks.{algo}").items()
        }
        for algo, modules in f.section(data, "arch_networks", train).items()
    }
    return Preset(
        name=name,
        source=data["source"],
        train=train,
        networks=networks,
        runtime=runtime,
        suite_train=suite_train,
        suite_env=suite_env,
        suite_runtime=suite_runtime,
        task_train=task_train,
        options=options,
        arch_networks=arch_networks,
        sparsity=sparsity,
    )


def _load_all() -> dict[str, Preset]:
    folder = _resources.files(__package__).joinpath("presets")
    files = sorted(f.name for f in folder.iterdir() if f.name.endswith(".yaml"))
    expected = sorted(f"{n}.yaml" for n in PRESET_NAMES)
    if files != expected:
        raise PresetFileError(
            f"specc/catalog/presets/ holds {', '.join(files) or 'no preset file'}; PRESET_NAMES"
            f" asks for {', '.join(expected)} (a bug in specc, not in your spec)"
        )
    return {
        name: parse_preset(name, preset_file(name).read_text(encoding="utf-8"))
        for name in PRESET_NAMES
    }


PRESETS: dict[str, Preset] = _load_all()


def preset(name: str) -> Preset:
    """The preset called ``name`` (one of PRESET_NAMES)."""
    try:
        return PRESETS[name]
    except KeyError:
        raise KeyError(f"no preset {name!r} (presets: {', '.join(PRESETS)})") from None


def presets_for(algorithm: str) -> list[str]:
    return sorted(n for n, p in PRESETS.items() if algorithm in p.train)
