"""Sweeps: many runs of one spec, as a reproducible artifact (``specc sweep``).

A sweep file names a base spec, a grid and/or a list of override sets, seeds and per-run
resources::

    sweep: 1
    name: mst_critic_regimes
    spec: ../specs/mst_sac.yaml          # relative to this file
    variants:                            # override sets, each one or more variants
      - {networks.critic.sparsity.regime: sst, networks.critic.sparsity.topology: null}
      - {networks.critic.sparsity.regime: dst}
    grid:                                # every combination, crossed with every set
      networks.critic.sparsity.level: [0.6, 0.8, 0.9]
    seeds: [1, 2, 3, 4, 5]
    resources: {threads: 1, gpus: 0, time: "4:00:00"}

It is read like a spec (positions kept, every problem reported at once where it is) and
expanded in a fixed order: for each set of ``variants`` (in file order), every combination of
the grid values (the first grid key varies slowest). A variant is the base spec with its
overrides applied as ``specc compile -s KEY=VALUE`` applies them: the set's keys, then the grid
keys, then the command line's ``-s`` (the same for every variant), then ``name=<variant>``. Its
script is byte for byte what ``specc compile SPEC -s ... -o DIR`` writes with those overrides
(the script's header lists them), so it can be shared as it is. A problem a variant's overrides
cause is reported at the key or value in the sweep file.

Variant names (:func:`variant_names`) are derived from the values that differ between variants;
the manifest (:func:`manifest`) records the variants, their overrides, the seeds, the run
directories and each script's sha256, with sorted keys, no timestamps and only paths relative to
the sweep directory, so that the same sweep gives the same bytes anywhere.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Callable, Optional, Sequence, Union

from pydantic import Field, ValidationError

from .. import __version__
from ..compiler import compile_one, front_end
from ..diagnostics import Diagnostic, Location, SpecError
from ..loader import LoadedSpec, OverrideSite, load_mapping, parse_yaml_text
from ..overrides import parse_override
from ..schema import NAME_RE, NonNegInt, PosInt, Model, model_fields_at, number_in
from ..validate import pydantic_diagnostic
from ..writer import write_atomic

SWEEP_VERSION = 1
MANIFEST = "manifest.json"
SCRIPTS = "scripts"  # the variants' scripts, in the sweep directory
NAME_MAX = 64  # the spec language's name: [a-z][a-z0-9_]{0,63}
# keys a sweep may not set: the sweep names each variant, the seeds come from `seeds:`
_RESERVED = {
    "name": "the sweep names each variant (see docs/sweeps.md, Variant names)",
    "seed": "the seeds of a sweep are its 'seeds:' list",
    "specc": "the format version of the base spec is not a sweep parameter",
}
_SEGMENT = re.compile(r"^(?:[A-Za-z_][A-Za-z0-9_]*|[0-9]+)$")


# --------------------------------------------------------------------------- the file format
class ResourcesModel(Model):
    threads: Optional[PosInt] = Field(None, description="torch threads (and CPUs) per run")
    gpus: Optional[number_in(ge=0.0)] = Field(None, description="GPUs per run (Ray: fractions)")
    time: Optional[Union[PosInt, str]] = Field(
        None, description="time limit per run: minutes, or H:MM:SS, or D-H:MM:SS"
    )
    mem_gb: Optional[number_in(gt=0.0)] = Field(None, description="memory per run (Ray, SLURM)")


class SweepModel(Model):
    """A specc sweep file, version 1."""

    sweep: int
    name: Annotated[str, Field(pattern=NAME_RE)]
    description: Optional[str] = None
    spec: str
    grid: Optional[dict[str, Annotated[list[Any], Field(min_length=1)]]] = None
    variants: Optional[
        Annotated[list[Annotated[dict[str, Any], Field(min_length=1)]], Field(min_length=1)]
    ] = None
    seeds: Annotated[list[NonNegInt], Field(min_length=1)]
    resources: Optional[ResourcesModel] = None


@dataclass(frozen=True)
class Resources:
    """Per-run resources of a sweep file (None: not given)."""

    threads: int | None = None
    gpus: float = 0.0
    time_min: int | None = None
    mem_gb: float | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "threads": self.threads,
            "gpus": self.gpus,
            "time_min": self.time_min,
            "mem_gb": self.mem_gb,
        }


@dataclass(frozen=True)
class Assignment:
    """One override of a variant as the sweep file writes it."""

    key: str  # "networks.critic.sparsity.level"
    path: tuple  # ("networks", "critic", "sparsity", "level")
    value: Any
    site: OverrideSite  # where in the sweep file (errors point there)

    @property
    def text(self) -> str:
        """The override as ``specc compile -s`` takes it (parsed back to the same value)."""
        return f"{self.key}={flow(self.value)}"


@dataclass(frozen=True)
class Variant:
    name: str
    assignments: tuple[Assignment, ...]


@dataclass(frozen=True)
class Sweep:
    path: str  # the sweep file, as the user named it
    raw: bytes
    name: str
    spec: str  # as written in the file
    spec_path: str  # the spec as opened: relative to the sweep file's folder
    seeds: tuple[int, ...]
    resources: Resources
    variants: tuple[Variant, ...]
    overrides: tuple[str, ...]  # the command line's -s, applied to every variant
    loaded: LoadedSpec  # the sweep file's data and positions

    def run_dir(self, variant: Variant, seed: int) -> str:
        """A run's directory, relative to the sweep directory: ``<variant>__<seed>`` (the
        grouping of ``specc plot`` and ``specc report``)."""
        return f"{variant.name}__{seed}"


# --------------------------------------------------------------------------- loading
def load_sweep(path: str, overrides: Sequence[str] = ()) -> Sweep:
    """Read, validate and expand a sweep file (``overrides``: the command line's ``-s``).
    Raises :class:`SpecError` with every problem found.

    Every problem at once where one does not hide another: the shape of every key (pydantic),
    the base spec's path, the seeds, the resources, the override keys, the command line's -s,
    the variant names and, when the variants are well defined and the base spec exists, what
    compiling each variant finds (its front end: validation and the rules). Only a file that is
    no YAML mapping, and a version other than 1, stop at once: nothing else can be read then.
    """
    loaded = load_mapping(
        path,
        "sweep",
        "the sweep file is empty; expected a mapping with at least 'sweep', 'name', 'spec' and 'seeds'",
    )
    diags: list[Diagnostic] = []
    data = _versioned(loaded, diags)
    smap = loaded.smap
    bad: list[tuple] = []
    try:
        SweepModel.model_validate(data)
    except ValidationError as exc:
        for e in exc.errors(include_url=False):
            diags.append(pydantic_diagnostic(e, smap, lambda p: model_fields_at(p, SweepModel)))
            bad.append(tuple(e["loc"]))
    ok = _valid_part(data, bad)  # what the later checks may read: the keys that validated
    # the variants are well defined when neither their sets nor the grid has a shape error
    expandable = not any(loc[:1] in (("variants",), ("grid",)) for loc in bad)

    spec_path = _spec_path(ok, path, smap, diags)
    _check_seeds(ok, smap, diags)
    resources, problems = _resources(ok.get("resources"), loaded)
    diags += problems

    sets = [dict(s) for s in ok["variants"]] if ok.get("variants") else [{}]
    grid = dict(ok.get("grid") or {})
    problems = _check_keys(sets, grid, loaded) + _check_command_line(overrides, sets, grid)
    diags += problems
    if not expandable or problems:
        raise SpecError(diags)

    expanded = _expand(sets, grid, loaded)
    fallback = ok.get("name", "sweep")
    base_name = _base_name(spec_path, fallback) if spec_path else fallback
    names, problems = variant_names(expanded, base_name, loaded)
    diags += problems
    variants = tuple(Variant(n, tuple(a)) for n, a in zip(names, expanded))
    if diags:
        if spec_path is not None:  # what compiling the variants would find, in the same pass
            diags += _variant_problems(spec_path, variants, overrides, _front_end)[1]
        raise SpecError(diags)
    assert spec_path is not None
    return Sweep(
        path=path,
        raw=loaded.raw,
        name=ok["name"],
        spec=ok["spec"],
        spec_path=spec_path,
        seeds=tuple(ok["seeds"]),
        resources=resources,
        variants=variants,
        overrides=tuple(overrides),
        loaded=loaded,
    )


def _versioned(loaded: LoadedSpec, diags: list[Diagnostic]) -> dict:
    """The sweep file's data, read as version 1; a missing `sweep` key is a problem (the rest
    is still read), another version stops at once."""
    data, smap = loaded.data, loaded.smap
    if "sweep" not in data:
        diags.append(
            Diagnostic(
                smap.location(()),
                "missing required key 'sweep' (the format version; write 'sweep: 1' as the first line)",
                "sweep",
            )
        )
        data = {"sweep": SWEEP_VERSION, **data}  # the rest is read as version 1
    version = data["sweep"]
    if isinstance(version, bool) or not isinstance(version, int) or version != SWEEP_VERSION:
        raise SpecError(
            [
                Diagnostic(
                    smap.location(("sweep",)),
                    f"unsupported sweep version {version!r}; this specc reads version {SWEEP_VERSION}",
                    "sweep",
                )
            ]
        )
    return data


def _spec_path(ok: dict, path: str, smap, diags: list[Diagnostic]) -> str | None:
    """The base spec's path (relative to the sweep file), None when it is missing."""
    spec_path: str | None = None
    if "spec" in ok:
        spec_path = ok["spec"]
        if not os.path.isabs(spec_path):
            spec_path = os.path.normpath(os.path.join(os.path.dirname(path), spec_path))
        if not os.path.isfile(spec_path):
            diags.append(
                Diagnostic(
                    smap.location(("spec",)),
                    f"no such file: {spec_path} (paths in a sweep file are relative to the file)",
                    "spec",
                )
            )
            spec_path = None
    return spec_path


def _check_seeds(ok: dict, smap, diags: list[Diagnostic]) -> None:
    """Each seed once."""
    seen: dict[int, int] = {}
    for i, seed in enumerate(ok.get("seeds", [])):
        if seed in seen:
            diags.append(
                Diagnostic(smap.location(("seeds", i)), f"seed {seed} is listed twice", "seeds")
            )
        seen.setdefault(seed, i)


def _valid_part(data: dict, bad: Sequence[tuple]) -> dict:
    """``data`` without what pydantic found wrong (``bad``: the errors' locations): a grid key
    or a resource alone, any other key whole. What is left is valid, so the later checks read
    plain values of the expected types (the models are strict: no coercion)."""
    out = dict(data)
    for loc in bad:
        if not loc:
            continue
        top = loc[0]
        inner = out.get(top)
        if top in ("grid", "resources") and len(loc) > 1 and isinstance(inner, dict):
            out[top] = {k: v for k, v in inner.items() if k != loc[1]}
        else:
            out.pop(top, None)
    return out


def parse_time(value: int | str) -> int | None:
    """A time limit in whole minutes: an int (minutes) or ``H:MM:SS`` / ``D-H:MM:SS`` (SLURM's
    notation); None when ``value`` is not one of these."""
    if isinstance(value, int):
        return value if value >= 1 else None
    m = re.fullmatch(r"(?:(\d+)-)?(\d+):([0-5]\d):([0-5]\d)", value.strip())
    if not m:
        return None
    days, hours, minutes, seconds = (int(g) if g else 0 for g in m.groups())
    total = days * 1440 + hours * 60 + minutes + math.ceil(seconds / 60)
    return total if total >= 1 else None


def _resources(given: dict | None, loaded: LoadedSpec) -> tuple[Resources, list]:
    if not given:
        return Resources(), []
    model = ResourcesModel.model_validate(given)
    time_min = None
    if model.time is not None:
        time_min = parse_time(model.time)
        if time_min is None:
            return Resources(), [
                Diagnostic(
                    loaded.smap.location(("resources", "time")),
                    f"expected minutes (an integer >= 1) or H:MM:SS or D-H:MM:SS, got {model.time!r}",
                    "resources.time",
                )
            ]
    return Resources(model.threads, model.gpus or 0.0, time_min, model.mem_gb), []


def _key_path(key: str) -> tuple | None:
    segments = key.split(".")
    if not all(_SEGMENT.match(s) for s in segments) or segments[0].isdigit():
        return None
    return tuple(int(s) if s.isdigit() else s for s in segments)


def _covers(a: tuple, b: tuple) -> bool:
    """Whether setting ``a`` replaces ``b`` (``a`` is ``b`` or one of its ancestors)."""
    return b[: len(a)] == a


def _check_keys(sets: list[dict], grid: dict, loaded: LoadedSpec) -> list[Diagnostic]:
    """Override keys: dotted paths of the spec language (checked by the compile), not reserved,
    and not overlapping so that the order of application would matter."""
    smap = loaded.smap
    diags: list[Diagnostic] = []

    def check(where: tuple, key: str) -> tuple | None:
        path = _key_path(key)
        if path is None:
            diags.append(
                Diagnostic(
                    smap.location(where, at="key"),
                    f"invalid key {key!r}: expected a dotted path of the spec, such as train.total_steps",
                    key,
                )
            )
        elif path[0] in _RESERVED:
            diags.append(
                Diagnostic(
                    smap.location(where, at="key"), f"cannot be swept: {_RESERVED[path[0]]}", key
                )
            )
            return None
        return path

    grid_paths: dict[str, tuple] = {}
    for key in grid:
        path = check(("grid", key), key)
        if path is None:
            continue
        for other, other_path in grid_paths.items():
            if _covers(other_path, path) or _covers(path, other_path):
                diags.append(
                    Diagnostic(
                        smap.location(("grid", key), at="key"),
                        f"overlaps the grid key {other!r}: one would replace the other's values",
                        key,
                    )
                )
        grid_paths[key] = path
    for i, overrides in enumerate(sets):
        set_paths: dict[str, tuple] = {}
        for key in overrides:
            where = ("variants", i, key)
            path = check(where, key)
            if path is None:
                continue
            for other, other_path in set_paths.items():
                if _covers(other_path, path) or _covers(path, other_path):
                    diags.append(
                        Diagnostic(
                            smap.location(where, at="key"),
                            f"overlaps {other!r} in the same set: one would replace the other",
                            key,
                        )
                    )
            for gkey, gpath in grid_paths.items():
                # a set may give a mapping that a grid key then varies inside
                # (networks.critic.sparsity: {...} with grid networks.critic.sparsity.level),
                # but a grid key that replaces a set's value would make the set's value moot
                if _covers(gpath, path):
                    diags.append(
                        Diagnostic(
                            smap.location(where, at="key"),
                            f"the grid key {gkey!r} replaces this value in every variant",
                            key,
                        )
                    )
            set_paths[key] = path
    return diags


def _check_command_line(overrides: Sequence[str], sets: list[dict], grid: dict) -> list:
    """The command line's -s: parsed like specc compile's; one that replaces a swept key would
    make the variants the same, so it is an error."""
    swept = [p for p in (_key_path(k) for s in sets for k in s) if p] + [
        p for p in (_key_path(k) for k in grid) if p
    ]
    diags: list[Diagnostic] = []
    for text in overrides:
        ov, problems = parse_override(text)
        if problems:
            diags += problems
            continue
        assert ov is not None
        if ov.path[0] in _RESERVED:
            diags.append(
                Diagnostic(ov.location("key"), f"cannot be set: {_RESERVED[ov.path[0]]}", ov.key)
            )
        elif any(_covers(ov.path, p) for p in swept):
            diags.append(
                Diagnostic(
                    ov.location("key"),
                    "the sweep varies this key: an override for every variant would make them the same",
                    ov.key,
                )
            )
    return diags


def _expand(sets: list[dict], grid: dict, loaded: LoadedSpec) -> list[list[Assignment]]:
    """Every variant's assignments, in the sweep's order: sets in file order, and within a set
    the grid's combinations with the first grid key varying slowest."""
    smap = loaded.smap
    keys = list(grid)
    out: list[list[Assignment]] = []
    for i, overrides in enumerate(sets):
        fixed = [
            Assignment(
                k,
                _key_path(k),
                v,
                OverrideSite(smap, ("variants", i, k), ("variants", i, k)),
            )
            for k, v in overrides.items()
        ]
        for combo in itertools.product(*(range(len(grid[k])) for k in keys)):
            swept = [
                Assignment(
                    k,
                    _key_path(k),
                    grid[k][j],
                    OverrideSite(smap, ("grid", k), ("grid", k, j)),
                )
                for k, j in zip(keys, combo)
            ]
            out.append(fixed + swept)
    return out


def _base_name(spec_path: str, fallback: str) -> str:
    """The base spec's ``name`` (the name of a sweep's only variant), read without validating."""
    try:
        data = load_mapping(spec_path, "spec", "empty").data
    except SpecError:
        return fallback
    name = data.get("name")
    return name if isinstance(name, str) and re.fullmatch(NAME_RE, name) else fallback


# --------------------------------------------------------------------------- values as overrides
_PLAIN_TOP = re.compile(r"^[A-Za-z_][A-Za-z0-9_.:/+-]*$")
_PLAIN_INNER = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")


def _flow(value: Any, inner: bool) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        if math.isinf(value):
            return ".inf" if value > 0 else "-.inf"
        return repr(value)
    if isinstance(value, str):
        plain = (_PLAIN_INNER if inner else _PLAIN_TOP).match(value)
        if plain and _same(parse_yaml_text(value, "value")[0], value):
            return value
        return _quoted(value)
    if isinstance(value, list):
        return "[" + ", ".join(_flow(v, True) for v in value) + "]"
    if isinstance(value, dict):
        items = (f"{_flow(str(k), True)}: {_flow(v, True)}" for k, v in value.items())
        return "{" + ", ".join(items) + "}"
    raise TypeError(f"not a YAML value: {value!r}")  # pragma: no cover - the loader's types


def _quoted(text: str) -> str:
    """A YAML double-quoted scalar in printable ASCII (escapes for everything else, so that
    no character is folded or normalised on the way back)."""
    out = []
    for ch in text:
        code = ord(ch)
        if ch in '"\\':
            out.append("\\" + ch)
        elif 0x20 <= code < 0x7F:
            out.append(ch)
        elif code <= 0xFF:
            out.append(f"\\x{code:02x}")
        elif code <= 0xFFFF:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    return '"' + "".join(out) + '"'


def _same(a: Any, b: Any) -> bool:
    """Equal values of the same types (1, 1.0 and true differ)."""
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def flow(value: Any) -> str:
    """``value`` as YAML flow text that the override parser reads back as the same value
    (``0.6``, ``sst``, ``[input, output]``, ``{regime: sst, level: 0.6}``, ``"true"``)."""
    text = _flow(value, False)
    back, _, diags = parse_yaml_text(text, "value")
    if diags or not _same(back, value):  # pragma: no cover - a bug in _flow
        raise AssertionError(f"{value!r} is written {text!r}, which reads back as {back!r}")
    return text


# --------------------------------------------------------------------------- naming
def _leaves(path: tuple, value: Any) -> list[tuple[tuple, Any]]:
    """A mapping value as its leaves (``sparsity: {regime: sst}`` -> ``sparsity.regime: sst``)."""
    if isinstance(value, dict) and value:
        return [leaf for k, v in value.items() for leaf in _leaves(path + (str(k),), v)]
    return [(path, value)]


def _effective(assignments: Sequence[Assignment]) -> dict[tuple, Any]:
    """The leaf values a variant's overrides set, in order (a later key replaces what an
    earlier one set below it)."""
    out: dict[tuple, Any] = {}
    for a in assignments:
        for p in [p for p in out if _covers(a.path, p)]:
            del out[p]
        for p, v in _leaves(a.path, a.value):
            out[p] = v
    return out


def _token(text: str) -> str:
    return re.sub(r"_+", "_", re.sub(r"[^a-z0-9]+", "_", text.lower())).strip("_")


def value_token(value: Any) -> str:
    """A value in a variant name: lower-case letters, digits and single underscores; in
    numbers ``.`` is ``p`` and ``-`` is ``m`` (``0.6`` -> ``0p6``, ``3e-4`` -> ``0p0003``,
    ``-1`` -> ``m1``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        text = repr(value) if isinstance(value, float) else str(value)
        return _token(text.replace(".", "p").replace("-", "m").replace("+", "")) or "0"
    if isinstance(value, list):
        return "_".join(value_token(v) for v in value) or "empty"
    if isinstance(value, dict):
        return "_".join(f"{_token(str(k))}_{value_token(v)}" for k, v in value.items()) or "empty"
    return _token(str(value)) or "empty"


def _key_tokens(paths: Sequence[tuple]) -> dict[tuple, str]:
    """For each key path, its shortest suffix (whole segments) that no other path ends with and
    that starts with a letter, as a token (``networks.critic.sparsity.level`` -> ``level``, or
    ``critic_sparsity_level`` beside ``networks.actor.sparsity.level``)."""
    out = {}
    for path in paths:
        for n in range(1, len(path) + 1):
            suffix = path[-n:]
            token = _token("_".join(str(s) for s in suffix))
            unique = not any(o != path and o[-n:] == suffix for o in paths)
            if unique and token[:1].isalpha():
                break
        out[path] = token
    return out


def _twins_once(
    varying: Sequence[tuple], effective: Sequence[dict]
) -> tuple[list[tuple], dict[tuple, tuple]]:
    """Keys that vary together name a variant once: two kept keys of the same length and last
    segment with the same value (or absence) in every variant, such as the actor's and the
    critic's width, keep the first, shown by the segments they share (``networks.width`` ->
    ``width``). Returns the keys kept and the path each is shown by."""
    kept: list[tuple] = []
    shown: dict[tuple, tuple] = {}

    def values(p: tuple) -> list[str]:
        return [json.dumps([p in e, e.get(p)], sort_keys=True) for e in effective]

    for p in varying:
        twin = next(
            (q for q in kept if len(q) == len(p) and q[-1] == p[-1] and values(q) == values(p)),
            None,
        )
        if twin is None:
            kept.append(p)
            shown[p] = p
        else:
            shown[twin] = tuple(a for a, b in zip(shown[twin], p) if a == b)
    return kept, shown


def variant_names(
    expanded: Sequence[Sequence[Assignment]], base: str, loaded: LoadedSpec
) -> tuple[list[str], list[Diagnostic]]:
    """Each variant's name, from the values that differ between variants.

    The rule (docs/sweeps.md, Variant names): take the leaf keys the variants set (a mapping
    value counts as its leaves) and keep those whose value is not the same in every variant;
    keys that vary together (the actor's and the critic's width) count once (_twins_once);
    a variant's name is ``<key>_<value>`` for each kept key it sets to something other than
    null, joined by ``__``, in the file's order (the sets' keys, then the grid's keys). ``<key>`` is the key's shortest
    suffix that tells it apart from the other kept keys, ``<value>`` the value as
    :func:`value_token` writes it. A name longer than 64 characters keeps its first 55 and ends
    in ``_`` and 8 hex digits of the sha256 of its overrides; an empty name (one variant, or
    only nulls) is the base spec's name. Two variants with the same name are an error.
    """
    effective = [_effective(a) for a in expanded]
    # the keys in the order the file gives them: the sets' keys, then the grid's
    rank: dict[tuple, tuple] = {}
    for assignments in expanded:
        grid_keys = [a.key for a in assignments if a.site.key_path[0] == "grid"]
        for a in assignments:
            in_grid = a.site.key_path[0] == "grid"
            group = (1, grid_keys.index(a.key)) if in_grid else (0, 0)
            for p, _ in _leaves(a.path, a.value):
                rank.setdefault(p, (*group, len(rank)))
    order = sorted(rank, key=rank.__getitem__)
    varying = [
        p
        for p in order
        if len({json.dumps([p in e, e.get(p)], sort_keys=True) for e in effective}) > 1
    ]
    varying, shown = _twins_once(varying, effective)
    tokens = _key_tokens([shown[p] for p in varying])
    keys = {p: tokens[shown[p]] for p in varying}
    names: list[str] = []
    for assignments, e in zip(expanded, effective):
        parts = [f"{keys[p]}_{value_token(e[p])}" for p in varying if e.get(p) is not None]
        name = "__".join(parts) or base
        if len(name) > NAME_MAX:
            digest = hashlib.sha256(
                "\n".join(a.text for a in assignments).encode("utf-8")
            ).hexdigest()
            name = name[:55].rstrip("_") + "_" + digest[:8]
        names.append(name)
    diags = []
    first: dict[str, int] = {}
    for i, name in enumerate(names):
        if name in first:
            j = first[name]
            diags.append(
                Diagnostic(
                    loaded.smap.location(expanded[i][0].site.value_path if expanded[i] else ()),
                    f"variants {j + 1} and {i + 1} would both be named {name!r}: their values differ only in characters a name cannot hold",
                    notes=(
                        "variant " + str(j + 1) + ": " + " ".join(a.text for a in expanded[j]),
                        "variant " + str(i + 1) + ": " + " ".join(a.text for a in expanded[i]),
                    ),
                )
            )
        first.setdefault(name, i)
    return names, diags


# --------------------------------------------------------------------------- compiling
@dataclass(frozen=True)
class CompiledVariant:
    variant: Variant
    overrides: tuple[str, ...]  # as specc compile -s takes them, in order
    source: str  # the script

    @property
    def script(self) -> str:
        """The script's path relative to the sweep directory."""
        return f"{SCRIPTS}/{self.variant.name}.py"

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.source.encode("utf-8")).hexdigest()


def _front_end(path: str, overrides: list[str], sites: list) -> None:
    front_end(path, overrides, sites)


def _variant_problems(
    spec_path: str,
    variants: Sequence[Variant],
    overrides: Sequence[str],
    run: Callable[[str, list[str], list], Any],
) -> tuple[list[tuple[Variant, list[str], Any]], list[Diagnostic]]:
    """``run`` (compile, or only the front end) on every variant: what each gave, and the
    problems of all of them, each once, with a note naming the variants it occurs in."""
    out = []
    found: dict[tuple, tuple[Diagnostic, list[str]]] = {}
    for v in variants:
        texts = [a.text for a in v.assignments] + list(overrides) + [f"name={v.name}"]
        sites = [a.site for a in v.assignments] + [None] * (len(overrides) + 1)
        try:
            out.append((v, texts, run(spec_path, texts, sites)))
        except SpecError as exc:
            for d in exc.diagnostics:
                key = (d.location.prefix(), d.key, d.message)
                found.setdefault(key, (d, []))[1].append(v.name)
    diags = []
    for d, names in found.values():
        shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
        where = f"in variant{'s' if len(names) > 1 else ''} {shown}"
        if len(names) == len(variants):
            where = "in every variant"
        if len(variants) > 1:
            d = Diagnostic(d.location, d.message, d.key, d.level, d.notes + (where,), d.unsupported)
        diags.append(d)
    return out, diags


def compile_sweep(sweep: Sweep) -> list[CompiledVariant]:
    """Compile every variant; raises SpecError with the problems of all of them (each problem
    once, with a note naming the variants it occurs in)."""
    done, diags = _variant_problems(sweep.spec_path, sweep.variants, sweep.overrides, compile_one)
    if diags:
        raise SpecError(diags)
    return [CompiledVariant(v, tuple(texts), c.source) for v, texts, c in done]


# --------------------------------------------------------------------------- the manifest
def manifest(sweep: Sweep, compiled: Sequence[CompiledVariant]) -> dict[str, Any]:
    """What the sweep is: its inputs (by hash), its variants with their overrides, scripts and
    run directories. Paths are relative to the sweep directory; nothing depends on the machine,
    the working directory or the time."""
    spec_bytes = Path(sweep.spec_path).read_bytes()
    return {
        "manifest": 1,
        "sweep": sweep.name,
        "sweep_file": os.path.basename(sweep.path),
        "sweep_sha256": hashlib.sha256(sweep.raw).hexdigest(),
        "spec": sweep.spec,
        "spec_sha256": hashlib.sha256(spec_bytes).hexdigest(),
        "specc": __version__,
        "overrides": list(sweep.overrides),
        "seeds": list(sweep.seeds),
        "resources": sweep.resources.as_json(),
        "variants": [
            {
                "name": c.variant.name,
                "values": {a.key: a.value for a in c.variant.assignments},
                "overrides": list(c.overrides),
                "script": c.script,
                "sha256": c.sha256,
                "runs": [{"seed": s, "dir": sweep.run_dir(c.variant, s)} for s in sweep.seeds],
            }
            for c in compiled
        ],
    }


def manifest_bytes(m: dict[str, Any]) -> bytes:
    return (json.dumps(m, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def read_manifest(sweep_dir: Path) -> dict[str, Any] | None:
    path = sweep_dir / MANIFEST
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise SpecError([Diagnostic(Location(str(path)), f"not a valid manifest: {exc}")]) from None
    if not isinstance(data, dict) or data.get("manifest") != 1:
        raise SpecError([Diagnostic(Location(str(path)), "not a specc sweep manifest (version 1)")])
    return data


def _holds_a_run(run_dir: Path) -> bool:
    return run_dir.is_dir() and any(
        (run_dir / f).exists() for f in ("config.json", "metrics.csv", "checkpoint.pt", "model.pt")
    )


def started_runs(sweep_dir: Path, m: dict, variant: str | None = None) -> list[str]:
    """The run directories of a manifest (of one variant, or all) that hold a run."""
    return [
        r["dir"]
        for v in m.get("variants", [])
        if variant is None or v.get("name") == variant
        for r in v.get("runs", [])
        if _holds_a_run(sweep_dir / r["dir"])
    ]


def _what_changed(old: dict, new: dict) -> str:
    """What makes a variant's script differ from the one its manifest records."""
    changed = []
    if old.get("spec_sha256") != new["spec_sha256"]:
        changed.append(f"the base spec {new['spec']} changed")
    if old.get("sweep_sha256") != new["sweep_sha256"]:
        changed.append(f"the sweep file {new['sweep_file']} changed")
    if old.get("specc") != new["specc"]:
        changed.append(f"specc {old.get('specc')} compiled it, this is specc {new['specc']}")
    if old.get("overrides") != new["overrides"]:
        changed.append("its -s changed")
    return "; ".join(changed) or "specc compiles it differently"


def write_sweep(sweep_dir: Path, compiled: Sequence[CompiledVariant], m: dict) -> list[Path]:
    """Write the scripts and the manifest (only files whose bytes change). Refuses (SpecError,
    nothing written) when a variant's script changed while runs of the old script exist: those
    runs would be resumed, or reported, under a script that did not make them."""
    old = read_manifest(sweep_dir)
    if old is not None:
        old_sha = {v.get("name"): v.get("sha256") for v in old.get("variants", [])}
        diags = []
        for c in compiled:
            if c.variant.name in old_sha and old_sha[c.variant.name] != c.sha256:
                started = started_runs(sweep_dir, old, c.variant.name)
                if started:
                    diags.append(
                        Diagnostic(
                            Location(str(sweep_dir / c.script)),
                            f"variant {c.variant.name} now compiles to another script "
                            f"({_what_changed(old, m)}), but runs of the old one exist "
                            f"({', '.join(started[:3])}{' ...' if len(started) > 3 else ''}): "
                            "undo the change to follow or continue them, or give the sweep "
                            "another name or --runs-dir",
                        )
                    )
        if diags:
            raise SpecError(diags)
    written = []
    files = [(sweep_dir / c.script, c.source.encode("utf-8")) for c in compiled]
    files.append((sweep_dir / MANIFEST, manifest_bytes(m)))
    for path, data in files:
        if not path.is_file() or path.read_bytes() != data:
            write_atomic(path, data)
            written.append(path)
    return written
