"""Diagnostics: every problem found in a spec or an override, reported for people.

A problem is collected as a :class:`Diagnostic` (data, not an exception) so that one run
reports all of them at once. Each diagnostic carries a :class:`Location` (a file position or
an override) and is printed gcc-style::

    specs/x.yaml:12:5: error: train.totl_steps: unknown key; did you mean 'total_steps'?
       12 |   totl_steps: 5
          |   ^~~~~~~~~~
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Iterable, Sequence


@dataclass(frozen=True)
class Location:
    """Where a problem is: a 1-based line/column in a file, or an override.

    ``source`` is the file as the user named it, or ``override 'k=v'``. ``line``/``col`` are
    1-based; 0 means "the whole file" (e.g. a missing file). For an override, ``col`` is the
    1-based column inside the override text, used to draw the caret.
    """

    source: str
    line: int = 0
    col: int = 0
    width: int = 1
    text: str | None = None  # the offending source line (or the override text)
    is_override: bool = False

    def prefix(self) -> str:
        if self.is_override or self.line == 0:
            return self.source
        return f"{self.source}:{self.line}:{self.col}"


@dataclass(frozen=True)
class Diagnostic:
    location: Location
    message: str
    key: str = ""  # dotted key path, e.g. "train.total_steps"; empty for file-level problems
    level: str = "error"
    notes: tuple[str, ...] = field(default_factory=tuple)
    # the spec is valid, but asks for something this version does not generate yet
    unsupported: bool = False

    def sort_key(self) -> tuple:
        loc = self.location
        return (loc.is_override, loc.source, loc.line, loc.col, self.key, self.message)

    def render(self) -> str:
        loc = self.location
        head = f"{loc.prefix()}: {self.level}: "
        head += f"{self.key}: {self.message}" if self.key else self.message
        lines = [head]
        if loc.text is not None:
            lines.extend(_snippet(loc))
        lines.extend(f"  note: {n}" for n in self.notes)
        return "\n".join(lines)


def _snippet(loc: Location) -> list[str]:
    text = (loc.text or "").rstrip("\n")
    if loc.is_override:
        gutter = "    "
        col = max(loc.col, 1)
        return [f"{gutter}| {text}", f"{gutter}| " + " " * (col - 1) + "^" + "~" * (loc.width - 1)]
    num = str(loc.line)
    gutter = " " * (len(num) + 2)
    col = max(loc.col, 1)
    caret = " " * (col - 1) + "^" + "~" * max(loc.width - 1, 0)
    return [f"  {num} | {text}", f"{gutter} | {caret}"]


class SpecError(Exception):
    """Raised by a stage that cannot continue; carries every diagnostic found so far."""

    def __init__(self, diagnostics: Sequence[Diagnostic]):
        super().__init__(f"{len(diagnostics)} error(s)")
        self.diagnostics = list(diagnostics)


def format_diagnostics(diags: Iterable[Diagnostic]) -> str:
    """All diagnostics, de-duplicated and in a stable order, plus a summary line."""
    unique: dict[tuple, Diagnostic] = {}
    for d in diags:
        unique.setdefault((d.location.prefix(), d.key, d.message), d)
    ordered = sorted(unique.values(), key=Diagnostic.sort_key)
    body = "\n".join(d.render() for d in ordered)
    n = len(ordered)
    return f"{body}\n{n} error{'s' if n != 1 else ''} found; nothing was written."


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` (or one of several), or ``""`` when nothing is close."""
    pool = sorted({str(c) for c in choices})
    word = str(word)
    matches = difflib.get_close_matches(word, pool, n=3, cutoff=0.6)
    if not matches and len(word) >= 2:
        matches = [c for c in pool if c.startswith(word) or word.startswith(c)][:3]
    if not matches:
        return ""
    if len(matches) == 1:
        return f"; did you mean {matches[0]!r}?"
    return "; did you mean one of " + ", ".join(repr(m) for m in matches) + "?"
