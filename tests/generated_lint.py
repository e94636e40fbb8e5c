"""The lint gate on generated code: a script contains only what its spec uses.

Two checks, run on generated/ and on every script the property tests compile:
- ruff (pyflakes, unused arguments, bugbear; the rules in pyproject.toml) finds unused imports
  and variables, undefined names, redefinitions and arguments a function never reads;
- `unused_definitions` finds top-level functions and classes that nothing references, and
  methods whose name is never used as an attribute anywhere in the script (an AST walk).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

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
