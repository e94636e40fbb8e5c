"""Presets are data: one YAML file per preset (specc/catalog/presets/NAME.yaml), a partial spec
per algorithm that a user reads, loaded into catalog.PRESETS. Each file loads, each algorithm
section is a spec's train and networks that the compiler accepts, every value has the type the
spec language gives its key, and a malformed file fails loudly with its name."""

import re
import warnings

import pytest
from ruamel.yaml import YAML
from ruamel.yaml.error import MantissaNoDotYAML1_1Warning

from conftest import ROOT
from specc import catalog
from specc.catalog import PRESET_NAMES, PRESETS, PresetFileError, parse_preset, preset_file
from specc.compiler import front_end
from specc.diagnostics import SpecError, format_diagnostics
from specc.loader import parse_yaml_text
from specc.schema import json_schema

SCHEMA = json_schema()
# env ids for the sections' specs, by suite
ENV_IDS = {"gymnasium": "HalfCheetah-v5", "dmc": "cheetah-run", "atari": "Pong"}


def text(name: str) -> str:
    return preset_file(name).read_text(encoding="utf-8")


def raw(name: str) -> dict:
    return YAML(typ="safe", pure=True).load(text(name))


def sections() -> list[tuple[str, str, str]]:
    """(preset, algorithm, suite): each algorithm section of each preset, and its variant for
    each suite that the preset gives values for."""
    out = []
    for name in PRESET_NAMES:
        data = raw(name)
        for algo in data["algorithms"]:
            if "state" in catalog.algorithm(algo).observations:  # not drqv2: pixels only
                out.append((name, algo, "gymnasium"))
            out += [(name, algo, s) for s, algos in data.get("suites", {}).items() if algo in algos]
    return out


def partial_spec(name: str, algo: str, suite: str) -> dict:
    """The spec that a preset file's section is, completed by the keys a spec must name."""
    data = raw(name)
    section = data["algorithms"][algo]
    train = dict(section["train"])
    on_suite = data["suites"][suite][algo] if suite != "gymnasium" else {}
    train |= on_suite.get("train", {})
    observations = catalog.suite(suite).observations  # the spec's: the suite's default kind
    if observations[0] == "state" and "state" in catalog.algorithm(algo).observations:
        train = {k: v for k, v in train.items() if k not in catalog.PIXEL_TRAIN_KEYS}
    if catalog.suite(suite).actions[0] != "discrete":
        train = {k: v for k, v in train.items() if k not in catalog.DISCRETE_TRAIN_KEYS}
    spec = {
        "specc": 1,
        "name": f"preset_{name}_{algo}_{suite}",
        "algorithm": algo,
        "preset": name,
        "env": {"id": ENV_IDS[suite], "suite": suite} | on_suite.get("env", {}),
        "train": train,
        "networks": section["networks"],
    }
    spec |= {k: v for k, v in data.items() if k in catalog.PRESET_RUNTIME_SECTIONS}
    spec |= {k: v for k, v in on_suite.items() if k in catalog.PRESET_RUNTIME_SECTIONS}
    return spec


# --------------------------------------------------------------------------- the files
def test_the_folder_holds_one_file_per_preset():
    folder = ROOT / "specc" / "catalog" / "presets"
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"{n}.yaml" for n in PRESET_NAMES)
    assert list(PRESETS) == list(PRESET_NAMES)


@pytest.mark.parametrize("name", PRESET_NAMES)
def test_each_preset_file_loads_into_its_record(name):
    p = parse_preset(name, text(name))
    assert p == PRESETS[name] and p.name == name == raw(name)["name"]
    assert p.source == raw(name)["source"]
    assert catalog.preset(name) is PRESETS[name]


@pytest.mark.parametrize("name", PRESET_NAMES)
def test_a_preset_file_reads_the_same_as_a_spec_and_in_yaml_1_1(name):
    """Through the spec language's own loader (YAML 1.2, no merge keys) the file gives the same
    values; so does YAML 1.1 (3e-4 would be a string there, yes a bool: write 3.0e-4)."""
    data, _, diags = parse_yaml_text(text(name), name)
    assert not diags and data == raw(name)
    yaml11 = YAML(typ="safe", pure=True)
    yaml11.version = (1, 1)
    with warnings.catch_warnings():
        warnings.simplefilter("error", MantissaNoDotYAML1_1Warning)
        assert yaml11.load(text(name)) == raw(name)


@pytest.mark.parametrize("name", PRESET_NAMES)
def test_numbers_have_no_digit_groups(name):
    """1_000_000 is no number in YAML 1.2 (ruamel reads it as one all the same): 1000000."""
    for n, line in enumerate(text(name).splitlines(), 1):
        assert not re.search(r"\d_\d", line.split("#")[0]), f"{name}.yaml:{n}: {line}"


# --------------------------------------------------------------------------- as specs
@pytest.mark.parametrize(("name", "algo", "suite"), sections())
def test_an_algorithm_section_is_a_spec_the_compiler_accepts(tmp_path, name, algo, suite):
    """The section's train and networks (with sparsity), the preset's eval and checkpoint,
    written as a spec: it validates, resolves and lowers, and every value it sets is the
    resolved one, from the spec."""
    spec = partial_spec(name, algo, suite)
    path = tmp_path / "spec.yaml"
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    yaml.dump(spec, path)
    try:
        _, _, tree, _ = front_end(str(path), [])
    except SpecError as exc:
        problems = format_diagnostics(exc.diagnostics)
        pytest.fail(f"{name}.yaml, algorithms.{algo} ({suite}) as a spec:\n{problems}")

    def same(values: dict, resolved: dict, where: str) -> None:
        for key, v in values.items():
            if isinstance(v, dict):
                same(v, resolved[key], f"{where}.{key}")
            else:
                assert resolved[key].value == v and resolved[key].source == "spec", (where, key)

    for section in ("train", "networks", *catalog.PRESET_RUNTIME_SECTIONS):
        if section in spec:
            same(spec[section], tree[section], section)


@pytest.mark.parametrize("name", PRESET_NAMES)
def test_a_preset_sets_only_keys_of_its_algorithm(name):
    p = PRESETS[name]
    for algo, values in p.train.items():
        keys = catalog.algorithm(algo).train_keys
        assert set(values) <= set(keys), (name, algo, set(values) - set(keys))
        for suite, algos in p.suite_train.items():
            assert set(algos.get(algo, {})) <= set(keys), (name, suite, algo)
        modules = catalog.algorithm(algo).modules
        assert set(p.networks.get(algo, {})) <= set(modules), (name, algo)
        assert set(p.sparsity.get(algo, {})) <= set(p.networks.get(algo, {})), (name, algo)
        for module, net in p.networks.get(algo, {}).items():
            assert set(net) <= {"arch", *catalog.arch(net["arch"]).keys}, (name, algo, module)
        for module, archs in p.arch_networks.get(algo, {}).items():
            assert module in modules, (name, algo, module)
            for arch, values in archs.items():
                assert set(values) <= set(catalog.arch(arch).keys), (name, algo, module, arch)
    for section in p.runtime:
        assert section.split(".")[0] in catalog.PRESET_RUNTIME_SECTIONS
    assert set(p.options) <= set(p.train) and set(p.arch_networks) <= set(p.networks)
    assert set(p.suite_train) <= set(catalog.SUITES)


def _matches(v, schema: dict) -> bool:
    """``v`` has the type the JSON Schema gives, strictly: a number is a float (0.0, not 0),
    an integer an int, never a bool (bounds are validate's: the test above)."""
    if "$ref" in schema:
        return _matches(v, SCHEMA["$defs"][schema["$ref"].split("/")[-1]])
    if "anyOf" in schema:
        return any(_matches(v, s) for s in schema["anyOf"])
    kind = schema.get("type")
    if kind == "null" or kind is None:
        return False
    if kind == "object":
        props = schema.get("properties", {})
        return isinstance(v, dict) and all(
            k in props and _matches(x, props[k]) for k, x in v.items()
        )
    ok = {
        "integer": isinstance(v, int) and not isinstance(v, bool),
        "number": isinstance(v, float),
        "boolean": isinstance(v, bool),
        "string": isinstance(v, str),
        "array": isinstance(v, list) and all(_matches(x, schema.get("items", {})) for x in v),
    }[kind]
    return ok and ("enum" not in schema or v in schema["enum"])


def _typed_values(name: str):
    """(dotted key, value, the key's JSON Schema) of every value a preset sets that is a spec
    key: train (with its suites'), networks (sparsity included), arch_networks, runtime."""
    p = PRESETS[name]
    props = SCHEMA["properties"]
    defs = SCHEMA["$defs"]
    train, net = defs["TrainSpec"]["properties"], defs["NetworkSpec"]["properties"]
    for algo, values in p.train.items():
        for key, v in values.items():
            yield f"{algo}: train.{key}", v, train[key]
        for suite, algos in p.suite_train.items():
            for key, v in algos.get(algo, {}).items():
                yield f"{algo} ({suite}): train.{key}", v, train[key]
        for module, values in p.networks.get(algo, {}).items():
            for key, v in values.items():
                yield f"{algo}: networks.{module}.{key}", v, net[key]
        for module, entry in p.sparsity.get(algo, {}).items():
            yield f"{algo}: networks.{module}.sparsity", entry, net["sparsity"]
        for module, archs in p.arch_networks.get(algo, {}).items():
            for arch, values in archs.items():
                yield f"{algo}: arch_networks.{module}.{arch}", values, {"$ref": "NetworkSpec"}
    for dotted, v in p.runtime.items():
        section, key = dotted.split(".")
        yield dotted, v, defs[props[section]["anyOf"][0]["$ref"].split("/")[-1]]["properties"][key]


@pytest.mark.parametrize("name", PRESET_NAMES)
def test_every_preset_value_has_its_keys_type(name):
    wrong = [(key, v) for key, v, schema in _typed_values(name) if not _matches(v, schema)]
    assert not wrong, f"{name}.yaml: values of another type than their key's: {wrong}"


def test_the_type_check_can_fail():
    train = SCHEMA["$defs"]["TrainSpec"]["properties"]
    assert _matches(0.0, train["weight_decay"]) and not _matches(0, train["weight_decay"])
    assert _matches(5000, train["learning_starts"]) and not _matches(
        5000.0, train["learning_starts"]
    )
    assert not _matches(True, train["policy_delay"]) and not _matches("adamx", train["optimizer"])
    assert _matches("auto", train["gamma"]) and not _matches("yes", train["clipped_double_q"])


# --------------------------------------------------------------------------- malformed files
@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (("name: tar", "name: cleanrl"), "at name: expected 'tar'"),
        (("      alpha: 0.35\n", "      alpha: [0.35]\n"), "at algorithms.sac.train.alpha"),
        (("algorithms:", "algorithm:"), "unknown key 'algorithm'"),
        (("      policy_delay: 1\n", "      policy_delay:\n"), "expected a scalar, got None"),
        (("eval: {every: 2500}", "eval: {every: 2500, every: 10}"), "duplicate key"),
        (("  td3:\n    train:", "  td3:\n    trian:"), "at algorithms.td3: unknown key 'trian'"),
    ],
)
def test_a_malformed_preset_file_fails_with_its_name(edit, message):
    broken = text("tar").replace(*edit)
    assert broken != text("tar")
    with pytest.raises(PresetFileError) as info:
        parse_preset("tar", broken)
    assert "specc/catalog/presets/tar.yaml" in str(info.value) and message in str(info.value)
    assert "a bug in specc" in str(info.value)


def test_the_no_spec_sections_name_the_presets_algorithms():
    broken = text("simba").replace("options:\n  sac:", "options:\n  td3:")
    with pytest.raises(PresetFileError, match=r"simba.yaml at options.td3: no algorithm"):
        parse_preset("simba", broken)
    broken = text("simba").replace("    actor_first: true", "    actor_frist: true")
    with pytest.raises(PresetFileError, match="unknown key 'actor_frist'"):
        parse_preset("simba", broken)


def test_task_values_name_the_suites_tasks():
    """A preset's per-task values (tasks.SUITE.ALGO.TASK) name tasks the suite has: a typo
    would never apply."""
    for name, preset in PRESETS.items():
        for suite, algos in preset.task_train.items():
            for algo, tasks in algos.items():
                assert set(tasks) <= set(catalog.suite(suite).tasks), (name, suite, algo)


def test_a_tasks_values_come_before_the_suites_and_after_the_specs(tmp_path):
    """DrQ-v2's cfgs/task: cartpole-swingup is easy (1.1M frames, std over 100000 steps),
    quadruped-run medium with a 100000-transition buffer, humanoid-run hard (lr 8e-5, 100
    features); a spec's own value wins."""

    def train(task: str, extra: str = "") -> dict:
        path = tmp_path / f"{task}.yaml"
        path.write_text(
            "specc: 1\nname: t\nalgorithm: drqv2\n"
            f"env: {{suite: dmc, id: {task}}}\n{extra}"
            "networks: {encoder: {}, actor: {}, critic: {}}\n"
        )
        return front_end(str(path), [])[2]["train"]

    easy = train("cartpole-swingup")
    assert (easy["total_steps"].value, easy["stddev_steps"].value) == (550000, 100000)
    assert easy["stddev_steps"].source == "preset drqv2 (cartpole-swingup)"
    assert easy["buffer_size"].value == 1000000
    medium = train("quadruped-run")
    assert (medium["total_steps"].value, medium["stddev_steps"].value) == (1550000, 500000)
    assert medium["buffer_size"].value == 100000
    hard = train("humanoid-run")
    assert hard["feature_dim"].value == 100 and hard["critic_lr"].value == 8.0e-5
    assert hard["total_steps"].value == 15050000
    own = train("cartpole-swingup", "train: {stddev_steps: 7}\n")
    assert own["stddev_steps"].value == 7 and own["stddev_steps"].source == "spec"
