"""docs/spec.md must agree with the code: the same keys, the same per-algorithm train keys."""

import re

from pydantic import BaseModel

from conftest import ROOT
from specc import catalog
from specc.catalog import COMMON_TRAIN_KEYS, DEFAULTS, HELP, METRICS, SPARSITY_DEFAULTS, algorithm
from specc.schema import Spec, unwrap, json_schema

DOC = (ROOT / "docs" / "spec.md").read_text()


def _schema_leaf_keys(model=Spec, prefix=""):
    for name, field in model.model_fields.items():
        t = unwrap(field.annotation)
        key = prefix + name
        if isinstance(t, type) and issubclass(t, BaseModel):
            yield from _schema_leaf_keys(t, key + ".")
        else:
            yield re.sub(r"^networks\.(actor|critic|encoder)\.", "networks.MODULE.", key)


def test_key_reference_lists_exactly_the_schema_keys():
    documented = set(re.findall(r"^\| `([a-zA-Z_.]+)` \|", DOC, flags=re.M))
    # rows of other tables: the algorithms' train keys and the presets
    documented -= set(catalog.ALGORITHM_RECORDS) | set(catalog.PRESET_NAMES)
    assert documented == set(_schema_leaf_keys())


def test_train_key_table_matches_the_catalog():
    for algo in ("sac", "td3", "ddpg"):
        row = re.search(rf"^\| `{algo}` \| (.*) \|$", DOC, flags=re.M).group(1)
        assert re.findall(r"`(\w+)`", row) == [
            k for k in algorithm(algo).train_keys if k not in COMMON_TRAIN_KEYS
        ]


def test_readme_and_ci_use_the_same_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    command = ci.strip().splitlines()[-1]
    assert command in readme


def _key_rows() -> dict[str, list[str]]:
    """docs/spec.md's key reference: key -> [type, default, meaning]."""
    rows = {}
    for line in DOC.splitlines():
        m = re.match(r"^\| `([a-zA-Z_.]+)` \| (.*) \|$", line)
        if m and "." in m.group(1) or m and m.group(1) in HELP:
            cells = re.split(r"(?<!\\)\|", m.group(2))
            rows[m.group(1)] = [c.strip() for c in cells]
    return rows


def _schema_enums(node=None, defs=None, prefix=""):
    """Dotted key -> the enumeration the JSON Schema allows there (read from the catalog)."""
    schema = json_schema()
    defs = schema["$defs"] if defs is None else defs
    node = schema if node is None else node
    for name, prop in node.get("properties", {}).items():
        key = prefix + name
        options = prop.get("anyOf", [prop])
        for option in options:
            option = option.get("items", option)
            if "$ref" in option:
                yield from _schema_enums(defs[option["$ref"].split("/")[-1]], defs, key + ".")
            elif "enum" in option:
                yield re.sub(r"^networks\.(actor|critic|encoder)\.", "networks.MODULE.", key), (
                    option["enum"]
                )


def test_every_key_has_one_help_text_in_the_catalog():
    assert set(HELP) == set(_schema_leaf_keys())


def test_key_reference_lists_the_catalog_enumerations():
    rows = _key_rows()
    for key, enum in dict(_schema_enums()).items():
        if key == "reset.modules":
            continue  # "module names": those of the algorithm (its record's modules)
        words = re.findall(r"`([^`]+)`", rows[key][0].replace("\\|", "|"))
        assert [w for w in words if w in enum] == list(enum), (key, rows[key][0], enum)
        assert set(words) <= set(enum) | {"true", "false"}, (key, words, enum)


def test_key_reference_gives_the_catalog_defaults():
    defaults = {**DEFAULTS}
    defaults.update({f"networks.MODULE.sparsity.{k}": v for k, v in SPARSITY_DEFAULTS.items()})
    for key, value in defaults.items():
        cell = _key_rows()[key][1].replace("`", "")
        if isinstance(value, list):
            # the metrics' default: every metric but fau (which a spec asks for)
            sec4 = [m for m in METRICS if m != "fau"]
            shown = "all five" if value == sec4 else "[]" if not value else "all modules"
        else:
            shown = str(value).lower() if isinstance(value, bool) else str(value)
        assert cell.startswith(shown), (key, cell, value)
