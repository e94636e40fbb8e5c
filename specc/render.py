"""Stage 5: render a plan with Jinja, format it with black, and check that it compiles.

The environment is strict (``StrictUndefined``): a template that asks the plan for something
it does not have is a compiler bug and fails loudly, never renders as an empty string. Spec
strings reach the generated code only through the ``py`` filter (a Python literal via
``repr``) or the ``docstring`` filter (escaped for a triple-quoted docstring).
"""

from __future__ import annotations

import ast
import functools
import hashlib
import importlib.resources
from pathlib import Path
from typing import Any

import black
import jinja2

from .plan import Plan

BLACK_MODE = black.Mode(target_versions={black.TargetVersion.PY310}, line_length=100)


class TemplateBug(Exception):
    """The templates produced something invalid: a bug in specc, not in the spec."""


def templates_dir() -> Path:
    try:
        root = importlib.resources.files("specc.templates")
        path = Path(str(root))
        if (path / "script.py.jinja").is_file():
            return path
    except ModuleNotFoundError:
        pass
    return Path(__file__).resolve().parent.parent / "templates"  # a source checkout


def py_literal(value: Any) -> str:
    """A Python literal for a plain value (str, int, float, bool, None, list, tuple, dict)."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10_000:
        return f"{value:_}"  # 1_000_000 reads better than 1000000
    if isinstance(value, (str, bool, int)) or value is None:
        return repr(value)
    if isinstance(value, float):
        text = repr(value)
        return text if text not in ("inf", "-inf", "nan") else f"float({text!r})"
    if isinstance(value, (list, tuple)):
        inner = ", ".join(py_literal(v) for v in value)
        if isinstance(value, tuple):
            return f"({inner},)" if len(value) == 1 else f"({inner})"
        return f"[{inner}]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{py_literal(k)}: {py_literal(v)}" for k, v in value.items()) + "}"
    raise TemplateBug(f"no Python literal for {type(value).__name__}")


def docstring_text(text: str) -> str:
    """Escape text for the inside of a triple-double-quoted docstring."""
    return text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"').replace("\r", "\\r")


def flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def comment_text(text: str, width: int = 0, indent: int = 0) -> str:
    """Text for a ``#`` comment: one line, or with ``width`` wrapped onto ``# `` lines."""
    flat = " ".join(str(text).split())
    if not width:
        return flat
    import textwrap

    pad = " " * indent
    return f"\n{pad}# ".join(textwrap.wrap(flat, width))


@functools.lru_cache(maxsize=None)
def environment() -> jinja2.Environment:
    """One environment per process: Jinja compiles each template once and caches it."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters["py"] = py_literal
    env.filters["docstring"] = docstring_text
    env.filters["flag"] = flag
    env.filters["comment"] = comment_text
    return env


def render_plan(plan: Plan) -> str:
    env = environment()
    try:
        text = env.get_template(plan.script_template).render(plan=plan)
    except jinja2.TemplateError as exc:
        where = f"{getattr(exc, 'filename', None) or '?'}:{getattr(exc, 'lineno', None) or '?'}"
        raise TemplateBug(f"template error at {where}: {exc}") from exc
    return text


def drop_unused_imports(text: str) -> str:
    """Remove the top-level imports that the module never uses.

    `runtime/imports.py.jinja` lists what any script may import; which of those a script uses
    follows from its code (``math`` only with a formula that needs it, ``copy`` only with target
    networks or SynFlow), so the code itself is the one source of that fact. Only whole lines
    are rewritten: ``import x`` and ``from m import a, b`` each on one line."""
    tree = ast.parse(text)
    used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    lines = text.splitlines(keepends=True)
    for node in reversed(tree.body):
        if not isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        if node.lineno != node.end_lineno:
            raise TemplateBug(
                f"an import spans several lines at line {node.lineno}: write one import per line"
            )
        keep = [a for a in node.names if (a.asname or a.name.split(".")[0]) in used]
        if len(keep) == len(node.names):
            continue
        if not keep:
            del lines[node.lineno - 1]
            continue
        names = ", ".join(a.name if a.asname is None else f"{a.name} as {a.asname}" for a in keep)
        head = (
            f"import {names}"
            if isinstance(node, ast.Import)
            else f"from {node.module} import {names}"
        )
        lines[node.lineno - 1] = " " * node.col_offset + head + "\n"
    return "".join(lines)


def format_python(text: str, name: str) -> str:
    try:
        out = black.format_str(text, mode=BLACK_MODE)
    except black.InvalidInput as exc:
        raise TemplateBug(f"the templates produced invalid Python for {name}: {exc}") from exc
    try:
        compile(out, name, "exec", dont_inherit=True)
        ast.parse(out)
    except SyntaxError as exc:  # pragma: no cover - black parses first
        raise TemplateBug(f"the generated {name} does not compile: {exc}") from exc
    return out


def render_source(plan: Plan) -> str:
    """The script before formatting: rendered, with only the imports it uses."""
    text = render_plan(plan)
    try:
        return drop_unused_imports(text)
    except SyntaxError as exc:
        raise TemplateBug(
            f"the templates produced invalid Python for {plan.name}.py: {exc}"
        ) from exc


# The script's own hash (runtime/imports.py.jinja): rendered blank, then set to the sha256 of the
# formatted script with this blank line in it, so that anyone can check it (blank the value again
# and hash the file) and the script can tell whether it was edited after specc wrote it.
SCRIPT_SHA256_BLANK = 'SCRIPT_SHA256 = "' + "0" * 64 + '"'


def stamp_script_sha256(text: str, name: str) -> str:
    """``text`` with SCRIPT_SHA256 set to the sha256 of ``text`` (in which it is still blank)."""
    if text.count(SCRIPT_SHA256_BLANK + "\n") != 1:
        raise TemplateBug(f"{name} must hold the line {SCRIPT_SHA256_BLANK} once")
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return text.replace(SCRIPT_SHA256_BLANK, f'SCRIPT_SHA256 = "{digest}"', 1)


def generate(plan: Plan) -> str:
    name = f"{plan.name}.py"
    return stamp_script_sha256(format_python(render_source(plan), name), name)
