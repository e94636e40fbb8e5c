"""Stage 3: validate loaded (and overridden) data against the spec language.

Runs the version check first (a spec of another version is not read any further), then the
pydantic models of :mod:`specc.schema`, then the cross-field rules of :mod:`specc.rules`.
Every pydantic error becomes a :class:`Diagnostic` located through the spec's source map.
"""

from __future__ import annotations

from typing import Any, Callable

from pydantic import ValidationError

from .catalog import ALGORITHM_RECORDS, PRESETS
from . import SPEC_VERSION
from .diagnostics import Diagnostic, SpecError, did_you_mean
from .loader import LoadedSpec, SourceMap, dotted
from .rules import check_rules
from .schema import Spec, model_fields_at

_YAML11_BOOLS = {"yes", "no", "on", "off", "y", "n", "True", "False", "TRUE", "FALSE", "Yes", "No"}


def validate(spec: LoadedSpec) -> Spec:
    """Return the validated :class:`Spec` or raise :class:`SpecError` with every problem."""
    data, smap = spec.data, spec.smap
    version = data.get("specc", None)
    if "specc" not in data:
        raise SpecError(
            [
                Diagnostic(
                    smap.location(()),
                    "missing required key 'specc' (the format version; write 'specc: 1' as the first line)",
                    "specc",
                )
            ]
        )
    if isinstance(version, bool) or version != SPEC_VERSION or not isinstance(version, int):
        raise SpecError(
            [
                Diagnostic(
                    smap.location(("specc",)),
                    f"unsupported spec version {version!r}; this specc reads version {SPEC_VERSION}",
                    "specc",
                )
            ]
        )
    required = _required_networks(spec)
    try:
        model = Spec.model_validate(data)
    except ValidationError as exc:
        diags = [
            d for e in exc.errors(include_url=False) if (d := _diagnostic(e, spec)) is not None
        ]
        # Rules need a valid model; report the structural problems first.
        raise SpecError(diags + required) from None
    if required:
        raise SpecError(required)
    diags = check_rules(model, spec)
    if diags:
        raise SpecError(diags)
    return model


def _required_networks(spec: LoadedSpec) -> list[Diagnostic]:
    """`networks` with its actor and critic is required, unless the preset is a whole method
    (rlx2, ds_td3, stream: it carries the networks and their sparsity;
    catalog.Preset.is_method), be it named or the algorithm's default preset."""
    data, smap = spec.data, spec.smap
    algorithm = data.get("algorithm")
    preset = data.get("preset")
    if preset is None and isinstance(algorithm, str) and algorithm in ALGORITHM_RECORDS:
        preset = ALGORITHM_RECORDS[algorithm].default_preset
    if (
        isinstance(preset, str)
        and preset in PRESETS
        and isinstance(algorithm, str)
        and PRESETS[preset].is_method(algorithm)
    ):
        return []
    required = (
        ALGORITHM_RECORDS[algorithm].required_networks
        if isinstance(algorithm, str) and algorithm in ALGORITHM_RECORDS
        else ("actor", "critic")
    )
    if not required:  # its preset gives every module's network (DER: Dopamine's)
        return []
    if "networks" not in data:
        return [Diagnostic(smap.location(()), "missing required key 'networks'", "")]
    networks = data["networks"]
    if not isinstance(networks, dict):
        return []  # the schema reports its type
    return [
        Diagnostic(
            smap.location(("networks",), at="key"),
            f"missing required key {module!r}",
            "networks",
        )
        for module in required
        if module not in networks
    ]


def _diagnostic(err: dict[str, Any], spec: LoadedSpec) -> Diagnostic | None:
    return pydantic_diagnostic(err, spec.smap, model_fields_at)


def pydantic_diagnostic(
    err: dict[str, Any], smap: SourceMap, fields_at: Callable[[tuple], list[str] | None]
) -> Diagnostic:
    """One pydantic error as a located diagnostic; ``fields_at(path)`` lists the keys allowed
    at ``path`` (for "did you mean"). Also used for sweep files (:mod:`specc.experiments.sweep`)."""
    loc = tuple(err["loc"])
    kind = err["type"]
    value = err.get("input")
    key = dotted(loc)
    if kind == "missing":
        parent = loc[:-1]
        return Diagnostic(
            smap.location(parent, at="key"),
            f"missing required key {loc[-1]!r}",
            dotted(parent) or "",
        )
    if kind == "extra_forbidden":
        allowed = fields_at(loc[:-1]) or []
        return Diagnostic(
            smap.location(loc, at="key"), "unknown key" + did_you_mean(str(loc[-1]), allowed), key
        )
    return Diagnostic(smap.location(loc), _message(kind, err, value), key)


def _got(v: Any) -> str:
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, dict):
        return "a mapping"
    if isinstance(v, list):
        return "a list"
    if v is None:
        return "null (nothing)"
    return f"{v!r} ({type(v).__name__})"


def _message(kind: str, err: dict[str, Any], v: Any) -> str:
    ctx = err.get("ctx") or {}
    if kind == "int_type":
        if isinstance(v, float) and v.is_integer() and abs(v) <= 2**53:
            # (beyond 2**53 a float is no longer every integer: 1e29 is not 10**29)
            return f"expected an integer, got {v!r}; write {int(v)}"
        return f"expected an integer, got {_got(v)}"
    if kind == "float_type":
        return f"expected a number, got {_got(v)}"
    if kind == "bool_type":
        if isinstance(v, str) and v in _YAML11_BOOLS:
            return f"expected true or false, got {v!r}: YAML 1.2 reads it as a string"
        return f"expected true or false, got {_got(v)}"
    if kind == "string_type":
        return f"expected a string, got {_got(v)}"
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return f"expected a mapping, got {_got(v)}"
    if kind == "list_type":
        return f"expected a list, got {_got(v)}"
    if kind == "too_short":
        return "must not be empty"
    if kind == "string_pattern_mismatch":
        return f"{v!r} does not match the pattern {ctx.get('pattern')}"
    bounds = {
        "greater_than": ">",
        "greater_than_equal": ">=",
        "less_than": "<",
        "less_than_equal": "<=",
    }
    if kind in bounds:
        bound = next(iter(ctx.values()))
        return f"must be {bounds[kind]} {bound}, got {v!r}"
    if kind in ("finite_number",):
        return f"expected a finite number, got {v!r}"
    return str(err["msg"])
