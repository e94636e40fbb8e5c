"""Stage 2: apply ``-s KEY=VALUE`` overrides to the loaded data, before validation.

Semantics follow OmegaConf's dotlist: split on the first ``=``, the key is a dotted path
(``networks.critic.sparsity.level``; list items by index, ``dense_layers.0``) and the value is
parsed with the same YAML 1.2 loader as spec files, so ``1e-3`` is a float, ``true`` a bool and
``[input, output]`` a list. An override may set a key the file does not have (it is then
validated like any other key, so a misspelled key is reported at the override with a "did you
mean"); it replaces whatever value was there. Overrides apply left to right.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any, Sequence

from .diagnostics import Diagnostic, Location
from .loader import LoadedSpec, Override, OverrideSite, parse_yaml_text, show_text

_SEGMENT = re.compile(r"^(?:[A-Za-z_][A-Za-z0-9_]*|[0-9]+)$")


def parse_override(text: str) -> tuple[Override | None, list[Diagnostic]]:
    label = f"override {text!r}"
    shown = show_text(text)
    if "=" not in text:
        loc = Location(label, 0, 1, max(len(shown), 1), shown, is_override=True)
        return None, [Diagnostic(loc, "expected KEY=VALUE, e.g. train.total_steps=50000")]
    key, _, value_text = text.partition("=")
    key = key.strip()
    segments = key.split(".") if key else []
    if not segments or not all(_SEGMENT.match(s) for s in segments):
        loc = Location(label, 0, 1, max(len(key), 1), shown, is_override=True)
        return None, [
            Diagnostic(
                loc, f"invalid key {key!r}: expected a dotted path such as train.total_steps"
            )
        ]
    path = tuple(int(s) if s.isdigit() else s for s in segments)
    if isinstance(path[0], int):
        loc = Location(label, 0, 1, max(len(key), 1), shown, is_override=True)
        return None, [Diagnostic(loc, f"invalid key {key!r}: the top level of a spec is a mapping")]
    value, _, diags = parse_yaml_text(value_text, label)
    if diags:
        start = len(key) + 2
        loc = Location(label, 0, start, max(len(shown) - start + 1, 1), shown, is_override=True)
        problem = diags[0].message
        if problem.startswith("invalid YAML"):  # (else a bound of the loader: said as it is)
            problem = f"cannot parse the value: {problem}"
        return None, [Diagnostic(loc, problem, key)]
    return Override(text=text, key=key, path=path, value=value), []


def apply_overrides(
    spec: LoadedSpec,
    overrides: Sequence[str],
    sites: Sequence[OverrideSite | None] | None = None,
) -> list[Diagnostic]:
    """Apply overrides in order to ``spec.data`` (in place); returns the problems found.

    ``sites`` (one per override, or None) says where an override was written in a sweep file;
    the problems it causes are then located there instead of at the override's text."""
    diags: list[Diagnostic] = []
    for i, text in enumerate(overrides):
        site = sites[i] if sites is not None else None
        ov, problems = parse_override(text)
        if problems:
            if site is not None:
                problems = [replace(d, location=site.location("key")) for d in problems]
            diags.extend(problems)
            continue
        assert ov is not None
        if site is not None:
            ov = replace(ov, site=site)
        node: Any = spec.data
        created: list[tuple] = []  # mappings the override creates are located at the override
        for i, seg in enumerate(ov.path[:-1]):
            nxt_is_index = isinstance(ov.path[i + 1], int)
            if isinstance(node, dict) and isinstance(seg, str):
                if seg not in node or node[seg] is None:
                    node[seg] = [] if nxt_is_index else {}
                    created.append(ov.path[: i + 1])
                node = node[seg]
            elif isinstance(node, list) and isinstance(seg, int) and seg < len(node):
                node = node[seg]
            else:
                node = None
            if not isinstance(node, (dict, list)):
                parent = ".".join(str(s) for s in ov.path[: i + 1])
                diags.append(
                    Diagnostic(
                        ov.location("key"),
                        f"cannot set {ov.key!r}: {parent!r} is not a mapping",
                        ov.key,
                    )
                )
                break
        else:
            last = ov.path[-1]
            if isinstance(node, dict) and isinstance(last, str):
                node[last] = ov.value
            elif isinstance(node, list) and isinstance(last, int) and last <= len(node):
                if last == len(node):
                    node.append(ov.value)
                else:
                    node[last] = ov.value
            else:
                diags.append(Diagnostic(ov.location("key"), f"cannot set {ov.key!r} here", ov.key))
                continue
            smap = spec.smap
            for table in (smap.keys, smap.values):
                for p in [p for p in table if p[: len(ov.path)] == ov.path]:
                    del table[p]
            for p in [p for p in smap.overrides if p[: len(ov.path)] == ov.path]:
                del smap.overrides[p]
            smap.overrides[ov.path] = ov
            for p in created:
                smap.overrides.setdefault(p, ov)
    return diags


def add_override_option(parser: Any, help: str | None = None) -> None:
    """The `-s/--set KEY=VALUE` option of a command (repeatable), collected in args.overrides."""
    parser.add_argument(
        "-s", "--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE", help=help
    )
