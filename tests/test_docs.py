"""docs/spec.md must agree with the code: the same keys, the same per-algorithm train keys."""

import re

from pydantic import BaseModel

from conftest import ROOT
from specc.catalog import COMMON_TRAIN_KEYS, TRAIN_KEYS
from specc.schema import Spec, _unwrap

DOC = (ROOT / "docs" / "spec.md").read_text()


def _schema_leaf_keys(model=Spec, prefix=""):
    for name, field in model.model_fields.items():
        t = _unwrap(field.annotation)
        key = prefix + name
        if isinstance(t, type) and issubclass(t, BaseModel):
            yield from _schema_leaf_keys(t, key + ".")
        else:
            yield re.sub(r"^networks\.(actor|critic|encoder)\.", "networks.MODULE.", key)


def test_key_reference_lists_exactly_the_schema_keys():
    documented = set(re.findall(r"^\| `([a-zA-Z_.]+)` \|", DOC, flags=re.M))
    documented -= {"sac", "td3", "ddpg", "cleanrl", "tar", "simba", "mrq"}  # rows of other tables
    assert documented == set(_schema_leaf_keys())


def test_train_key_table_matches_the_catalog():
    for algo in ("sac", "td3", "ddpg"):
        row = re.search(rf"^\| `{algo}` \| (.*) \|$", DOC, flags=re.M).group(1)
        assert re.findall(r"`(\w+)`", row) == [
            k for k in TRAIN_KEYS[algo] if k not in COMMON_TRAIN_KEYS
        ]


def test_readme_and_ci_use_the_same_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    command = ci.strip().splitlines()[-1]
    assert command in readme
