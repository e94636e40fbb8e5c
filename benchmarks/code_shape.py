"""The compiler's and the generated scripts' shape, in figures: the largest modules and functions
of specc/, the templates' `{% if` count (and how many combine plan values with and/or), and the
length of a few generated scripts, their main() and their training loop.

    python benchmarks/code_shape.py [--generated DIR] [--scripts sac_dense mst_mrq]

Issue 25's before/after figures come from this script (run on each side of the change).
"""

from __future__ import annotations

import argparse
import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IF = re.compile(r"{%-?\s*(?:el)?if\b(.*?)-?%}", re.S)


def functions(path: Path) -> list[tuple[int, str]]:
    """(lines, qualified name) of every function and method of a Python file."""
    tree = ast.parse(path.read_text())
    found = []

    def visit(node, prefix):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                name = f"{prefix}{child.name}"
                found.append((child.end_lineno - child.lineno + 1, name))
                visit(child, name + ".")
            elif isinstance(child, ast.ClassDef):
                visit(child, f"{prefix}{child.name}.")

    visit(tree, "")
    return found


def loop_lines(path: Path) -> tuple[int, int]:
    """Lines of main() and of its training loop (the outermost while/for over steps)."""
    tree = ast.parse(path.read_text())
    main = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "main")
    loops = [n for n in ast.walk(main) if isinstance(n, (ast.While, ast.For))]
    loop = max(loops, key=lambda n: n.end_lineno - n.lineno)
    return main.end_lineno - main.lineno + 1, loop.end_lineno - loop.lineno + 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--generated", type=Path, default=ROOT / "generated")
    parser.add_argument("--scripts", nargs="+", default=["sac_dense", "mst_mrq"])
    parser.add_argument("--top", type=int, default=5)
    args = parser.parse_args()

    modules = sorted(
        (
            (len(p.read_text().splitlines()), p.relative_to(ROOT))
            for p in (ROOT / "specc").rglob("*.py")
        ),
        reverse=True,
    )
    print("largest modules of specc/:")
    for n, p in modules[: args.top]:
        print(f"  {n:5d}  {p}")
    funcs = sorted(
        (
            (n, f"{p.relative_to(ROOT)}:{name}")
            for p in (ROOT / "specc").rglob("*.py")
            for n, name in functions(p)
        ),
        reverse=True,
    )
    print("longest functions of specc/:")
    for n, name in funcs[: args.top]:
        print(f"  {n:5d}  {name}")
    print(f"  functions over 80 lines: {sum(n > 80 for n, _ in funcs)}")

    ifs = compound = lines = 0
    for p in sorted((ROOT / "templates").rglob("*.jinja")):
        text = p.read_text()
        lines += len(text.splitlines())
        for cond in IF.findall(text):
            ifs += 1
            compound += bool(re.search(r"\b(and|or)\b", cond))
    print(f"templates: {lines} lines, {ifs} if/elif, {compound} of them with and/or")

    for name in args.scripts:
        path = args.generated / f"{name}.py"
        main_lines, loop = loop_lines(path)
        total = len(path.read_text().splitlines())
        print(f"{name}.py: {total} lines, main() {main_lines}, training loop {loop}")


if __name__ == "__main__":
    main()
