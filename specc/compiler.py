"""The pipeline: load -> overrides -> validate (schema, rules) -> resolve -> check the resolved
tree -> lower to the plan -> render -> format; the CLI writes the outputs atomically.

:func:`compile_specs` runs every stage for every spec and collects all diagnostics; it either
returns every output or raises :class:`SpecError` with every problem of every spec, so that
nothing is written when anything is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from .diagnostics import Diagnostic, Location, SpecError
from .loader import LoadedSpec, OverrideSite, load_spec
from .lower import lower
from .overrides import apply_overrides
from .plan import Plan
from .render import generate
from .resolve import Tree, resolve_tree
from .rules import check_resolved
from .schema import Spec
from .validate import validate


@dataclass(frozen=True)
class Compiled:
    spec_path: str
    filename: str  # <name>.py
    source: str  # the generated script
    plan: Plan
    tree: Tree


def resolve_spec(
    path: str, overrides: list[str], sites: Sequence[OverrideSite | None] | None = None
) -> tuple[LoadedSpec, Spec, Tree, list[Diagnostic]]:
    """Load, override, validate and resolve one spec; raises on the errors of those stages and
    returns the resolved tree's (check_resolved), which `specc explain` can show past when
    they only say that this version does not generate something yet. ``sites``: where each
    override was written when they come from a sweep file (see :func:`apply_overrides`)."""
    loaded = load_spec(path)
    diags = apply_overrides(loaded, overrides, sites)
    try:
        spec = validate(loaded)
    except SpecError as exc:
        raise SpecError(diags + exc.diagnostics) from None
    if diags:
        raise SpecError(diags)
    tree = resolve_tree(spec, loaded)
    return loaded, spec, tree, check_resolved(tree, loaded)


def front_end(
    path: str, overrides: list[str], sites: Sequence[OverrideSite | None] | None = None
) -> tuple[LoadedSpec, Spec, Tree, Plan]:
    """Load, override, validate, resolve and lower one spec (everything short of rendering)."""
    loaded, spec, tree, diags = resolve_spec(path, overrides, sites)
    if diags:
        raise SpecError(diags)
    return loaded, spec, tree, lower(loaded, tree, tuple(overrides))


def compile_one(
    path: str, overrides: list[str], sites: Sequence[OverrideSite | None] | None = None
) -> Compiled:
    _, _, tree, plan = front_end(path, overrides, sites)
    return Compiled(path, f"{plan.name}.py", generate(plan), plan, tree)


def compile_specs(paths: list[str], overrides: list[str]) -> list[Compiled]:
    out: list[Compiled] = []
    diags: list[Diagnostic] = []
    for path in paths:
        try:
            out.append(compile_one(path, overrides))
        except SpecError as exc:
            diags.extend(exc.diagnostics)
    seen: dict[str, str] = {}
    for c in out:
        if c.filename in seen:
            diags.append(
                Diagnostic(
                    Location(c.spec_path),
                    f"writes {c.filename}, as {seen[c.filename]} does: give one of them another name",
                    "name",
                )
            )
        seen.setdefault(c.filename, c.spec_path)
    if diags:
        raise SpecError(diags)
    return out
