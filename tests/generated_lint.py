"""The lint gate on generated code: a script contains only what its spec uses.

Three checks, run on generated/ and on every script the property tests compile:
- ruff (pyflakes, unused arguments, bugbear; the rules in pyproject.toml) finds unused imports
  and variables, undefined names, redefinitions and arguments a function never reads;
- `unused_definitions` finds top-level functions and classes that nothing references, and
  methods whose name is never used as an attribute anywhere in the script (an AST walk);
- `unused_axis_text` finds the words of a sparse-topology axis (a level schedule, importance
  growth, each RLx2 / DS-TD3 variant) in a script none of whose modules uses it.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

from specc.plan import TOPOLOGY_VARIANTS, SparsityCode

ROOT = Path(__file__).resolve().parent.parent

# Methods that Python, torch or Gymnasium call by protocol, not by name (an ObservationWrapper's
# step calls its observation()).
PROTOCOL_METHODS = {"forward", "observation"}


def unused_definitions(source: str) -> list[str]:
    """'line: what' for each top-level function or class that is never referenced, and each
    method whose name never appears as an attribute (`x.name`) in the script."""
    tree = ast.parse(source)
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    attrs = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    found = []
    for node in tree.body:
        if (
            isinstance(node, (ast.FunctionDef, ast.ClassDef))
            and node.name not in names
            and node.name != "main"
        ):
            found.append(f"{node.lineno}: {node.name} is never used")
        if isinstance(node, ast.ClassDef):
            for item in node.body:
                if (
                    not isinstance(item, ast.FunctionDef)
                    or item.name.startswith("__")
                    or item.name in PROTOCOL_METHODS
                ):
                    continue
                if item.name not in attrs:
                    found.append(f"{item.lineno}: {node.name}.{item.name} is never used")
    return found


def code_text(source: str) -> str:
    """The script's lines without its spec's words: the module docstring and RESOLVED_SPEC (the
    resolved spec, whose description is the user's text) are blanked."""
    skip = set()
    for node in ast.parse(source).body:
        docstring = isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
        spec = isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "RESOLVED_SPEC" for t in node.targets
        )
        if docstring or spec:
            skip.update(range(node.lineno, node.end_lineno + 1))
    lines = source.splitlines()
    return "\n".join("" if i in skip else line for i, line in enumerate(lines, 1))


# The words of each axis of the dynamic topology (templates/sparsity: schedule.py.jinja,
# importance.py.jinja, variants.py.jinja), and whether a script's modules use it
AXES = {
    "a level schedule (d2s, s2d)": (
        re.compile(r"\b[ds]2[sd]\b|scheduled_", re.IGNORECASE),
        lambda code: code.scheduled,
    ),
    "importance growth": (
        re.compile(r"importance_|td_error_term|td_term"),
        lambda code: code.importance,
    ),
    **{
        f"the topology variant {name}": (
            re.compile(r"sign_split|\.drop\b|\bdrop=" if name == "drop" else rf"\b{name}\b"),
            lambda code, name=name: name in [v for v, _, _ in code.topology_variants],
        )
        for name, _, _ in TOPOLOGY_VARIANTS
    },
}


def unused_axis_text(source: str, code: SparsityCode | None) -> list[str]:
    """'line: what' for each line that names an axis of the dynamic topology that no module of
    the script uses (`code`: the plan's sparsity, None for a dense script)."""
    found = []
    for i, line in enumerate(code_text(source).splitlines(), 1):
        for axis, (words, used) in AXES.items():
            if words.search(line) and not (code is not None and used(code)):
                found.append(f"{i}: {axis}: {line.strip()}")
    return found


def ruff(*paths: Path | str) -> subprocess.CompletedProcess:
    """`ruff check` with the project's configuration (pyproject.toml)."""
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "ruff",
            "check",
            "--no-cache",
            "--config",
            str(ROOT / "pyproject.toml"),
            *map(str, paths),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
