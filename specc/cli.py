"""The ``specc`` command line. Thin: it parses arguments, calls the pipeline, prints.

Exit codes: 0 success; 1 ``compile --check`` found generated files that differ, or ``sweep
--run`` left runs that are not finished (failed or pending); 2 any error in a spec, a sweep
file, an override, a run directory or the command line, or a command without its optional
package (matplotlib, numpy, ray, submitit): nothing is written; 3 an internal error.
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
from pathlib import Path

from . import __version__
from .compiler import compile_specs, front_end, resolve_spec
from .experiments import MissingDependency
from .experiments import cli as experiments
from .experiments.cli import UsageError
from .experiments.launch import BackendError
from .diagnostics import Diagnostic, SpecError, format_diagnostics
from .overrides import add_override_option
from .render import TemplateBug
from .catalog import help_for
from .resolve import tree_to_yaml
from .schema import json_schema
from .writer import write_atomic

EXIT_OK, EXIT_DIFF, EXIT_ERROR, EXIT_INTERNAL = 0, 1, 2, 3


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="specc",
        description="Compile sparse deep-RL experiment specs into standalone PyTorch training scripts.",
    )
    p.add_argument("--version", action="version", version=f"specc {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    c = sub.add_parser(
        "compile",
        help="compile specs into scripts",
        description="Compile each SPEC into DIR/<name>.py.",
    )
    c.add_argument("specs", nargs="+", metavar="SPEC")
    c.add_argument("-o", "--out", required=True, metavar="DIR", help="output folder")
    add_override_option(c, "override a spec key (repeatable), e.g. -s train.total_steps=50000")
    c.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 with a diff if DIR differs from what would be written",
    )

    v = sub.add_parser("validate", help="validate specs without writing anything")
    v.add_argument("specs", nargs="+", metavar="SPEC")
    add_override_option(v)

    e = sub.add_parser(
        "explain", help="print the resolved spec, each value annotated with its source"
    )
    e.add_argument("spec", metavar="SPEC")
    add_override_option(e)

    sub.add_parser("schema", help="print the JSON Schema of the spec language (for YAML editors)")
    experiments.add_parsers(sub)
    return p


def _compile(args: argparse.Namespace) -> int:
    outputs = compile_specs(args.specs, args.overrides)
    out_dir = Path(args.out)
    if args.check:
        drift = False
        for c in outputs:
            target = out_dir / c.filename
            old = target.read_text(encoding="utf-8") if target.is_file() else ""
            if old != c.source:
                drift = True
                sys.stdout.writelines(
                    difflib.unified_diff(
                        old.splitlines(True),
                        c.source.splitlines(True),
                        fromfile=str(target),
                        tofile=f"{target} (fresh compile of {c.spec_path})",
                    )
                )
        if drift:
            print(
                f"specc: {out_dir} differs from a fresh compile; run: specc compile {' '.join(args.specs)} -o {out_dir}",
                file=sys.stderr,
            )
            return EXIT_DIFF
        return EXIT_OK
    for c in outputs:
        write_atomic(out_dir / c.filename, c.source)
        print(f"wrote {out_dir / c.filename}")
    return EXIT_OK


def _validate(args: argparse.Namespace) -> int:
    diags: list[Diagnostic] = []
    for path in args.specs:
        try:
            front_end(path, args.overrides)
        except SpecError as exc:
            diags.extend(exc.diagnostics)
    if diags:
        raise SpecError(diags)
    for path in args.specs:
        print(f"{path}: ok")
    return EXIT_OK


def _explain(args: argparse.Namespace) -> int:
    """The resolved spec; also for a valid spec this version does not generate yet (MR.Q's
    keys and defaults are visible before its templates), which then ends with a note."""
    _, _, tree, diags = resolve_spec(args.spec, args.overrides)
    if any(not d.unsupported for d in diags):
        raise SpecError(diags)
    print(f"# {args.spec} resolved by specc {__version__}; '# source: meaning' after each value")
    algorithm = tree["algorithm"].value
    sys.stdout.write(
        tree_to_yaml(tree, comment=lambda path, v: f"{v.source}: {help_for(path, algorithm)}")
    )
    for d in sorted(diags, key=Diagnostic.sort_key):
        print(f"# not generated yet (specc compile refuses it): {d.key}: {d.message}")
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "compile":
            return _compile(args)
        if args.command == "validate":
            return _validate(args)
        if args.command == "explain":
            return _explain(args)
        if args.command == "schema":
            print(json.dumps(json_schema(), indent=2, sort_keys=True))
            return EXIT_OK
        if args.command in experiments.COMMANDS:
            return experiments.COMMANDS[args.command](args)
    except SpecError as exc:
        print(format_diagnostics(exc.diagnostics), file=sys.stderr)
        return EXIT_ERROR
    except (MissingDependency, BackendError, UsageError) as exc:
        print(f"specc: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except TemplateBug as exc:
        print(f"specc: internal error (a bug in specc, please report it): {exc}", file=sys.stderr)
        return EXIT_INTERNAL
    except OSError as exc:
        print(f"specc: error: {exc.filename or ''}: {exc.strerror}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 - never show a traceback to a user
        print(
            f"specc: internal error (a bug in specc, please report it): {type(exc).__name__}: {exc}",
            file=sys.stderr,
        )
        return EXIT_INTERNAL
    return EXIT_ERROR  # pragma: no cover


def entry() -> None:
    sys.exit(main())
