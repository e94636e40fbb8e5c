"""Stage 1: load a spec file into plain Python data plus a map of source positions.

We compose the YAML (ruamel.yaml, round-trip resolver, YAML 1.2) into nodes ourselves instead
of constructing it directly, so that we can (a) report *every* duplicate key with both of its
positions instead of stopping at the first, and (b) keep a position for every key and value.
The data handed on is plain dicts, lists, str, int, float, bool and None: nothing downstream
ever sees a ruamel type.

The input is bounded before anything is built from it (specs, sweep files and override values
all come through :func:`parse_yaml_text`): aliases may repeat at most
:data:`MAX_ALIAS_VALUES` values in all (an "alias bomb" is an error at the alias that crosses
the cap, found while composing, in time linear in the file), an alias inside its own anchor is
an error, collections nest at most :data:`MAX_DEPTH` deep, and strings (keys too) hold no
control characters but tab and newline (:data:`_BAD_CHAR`: they would reach a generated
script's docstring, a terminal or a file name).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.composer import Composer
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import AliasEvent
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.reader import ReaderError

from .diagnostics import Diagnostic, Location, SpecError

Path_ = tuple  # a key path: ("train", "total_steps") or ("networks", "critic", "sparsity", "dense_layers", 0)

# A spec is some 100 values nested 5 deep; an anchor shared by a few modules repeats a few
# dozen. The caps leave room for any real spec or sweep file and stop hostile ones at once.
MAX_ALIAS_VALUES = 1000  # values (keys, scalars, collections) that aliases repeat, in all
MAX_DEPTH = 64  # nesting of mappings and lists

# Characters YAML does not allow in a file at all (its printable set, as ruamel's reader checks)
_NON_PRINTABLE = re.compile(
    "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)
# Characters a string of a spec may not hold (written as escapes, "\0", "\e", "\u202e"): the
# control characters but tab and newline, surrogates (not encodable), and the bidirectional
# overrides and isolates (text that reads otherwise than it runs).
_BAD_CHAR = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069]")
_CHAR_NAMES = {
    0x00: "NUL",
    0x07: "BEL",
    0x08: "BS",
    0x0B: "VT",
    0x0C: "FF",
    0x0D: "CR",
    0x1B: "ESC",
    0x7F: "DEL",
    0x85: "NEL",
}

_SCALAR_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
}


@dataclass(frozen=True)
class Span:
    line: int  # 1-based
    col: int  # 1-based
    width: int = 1


@dataclass
class SourceMap:
    """Positions of the keys and values of one spec, plus where overrides put values."""

    source: str
    lines: list[str]
    keys: dict[Path_, Span] = field(default_factory=dict)
    values: dict[Path_, Span] = field(default_factory=dict)
    overrides: dict[Path_, "Override"] = field(default_factory=dict)

    def _line_text(self, line: int) -> str | None:
        if 1 <= line <= len(self.lines):
            return self.lines[line - 1]
        return None

    def has(self, path: Path_) -> bool:
        """The spec gives ``path``: in its file or by an override."""
        return tuple(path) in self.keys or tuple(path) in self.overrides

    def location(self, path: Path_, *, at: str = "value") -> Location:
        """The best location for ``path``: the override that set it, else its value or key
        in the file, else the nearest ancestor that exists."""
        for i in range(len(path), -1, -1):
            p = tuple(path[:i])
            if p in self.overrides:
                ov = self.overrides[p]
                if ov.site is not None and p == ov.path:  # from a sweep file: point into it
                    return ov.site.location(at, tuple(path[i:]))
                return ov.location(at=at if i == len(path) else "key")
            table = self.values if (at == "value" and i == len(path)) else self.keys
            span = table.get(p) or self.keys.get(p)
            if span is not None:
                return Location(
                    self.source, span.line, span.col, span.width, self._line_text(span.line)
                )
        return Location(self.source, 1, 1, 1, self._line_text(1))


@dataclass(frozen=True)
class OverrideSite:
    """Where an override was written when it comes from a sweep file rather than the command
    line (``grid: {networks.critic.width: [256, 512]}``): the paths of its key and of its value
    in that file's source map, so that a problem with the override points into the sweep file."""

    smap: SourceMap = field(compare=False)
    key_path: Path_  # ("grid", "networks.critic.width")
    value_path: Path_  # ("grid", "networks.critic.width", 1)

    def location(self, at: str, sub: Path_ = ()) -> Location:
        """``sub``: a path inside the override's value (a key of a mapping value)."""
        if at == "key" and not sub:
            return self.smap.location(self.key_path, at="key")
        return self.smap.location(self.value_path + tuple(sub), at=at)


@dataclass(frozen=True)
class Override:
    text: str  # the override as given: "train.total_steps=5"
    key: str
    path: Path_
    value: Any
    site: OverrideSite | None = field(default=None, compare=False)  # None: the command line

    def location(self, at: str = "value") -> Location:
        if self.site is not None:
            return self.site.location(at)
        label = f"override {self.text!r}"
        shown = show_text(self.text)
        if at == "key":
            return Location(label, 0, 1, max(len(self.key), 1), shown, is_override=True)
        start = len(self.key) + 2
        return Location(label, 0, start, max(len(shown) - start + 1, 1), shown, is_override=True)


def show_text(text: str) -> str:
    """Text for a one-line snippet: control characters shown as escapes."""
    text = text.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
    return _BAD_CHAR.sub(
        lambda m: f"\\x{ord(m[0]):02x}" if ord(m[0]) < 0x100 else f"\\u{ord(m[0]):04x}", text
    )


def char_name(c: str) -> str:
    """``U+0000 (NUL)``: a character as a message names it."""
    code = ord(c)
    name = _CHAR_NAMES.get(code)
    return f"U+{code:04X}" + (f" ({name})" if name else "")


def _visible(line: str) -> str:
    """A source line for a snippet: characters a terminal would act on shown as one visible
    character each (U+2400's control pictures, or U+FFFD), so the caret stays in its column."""

    def pic(m: re.Match) -> str:
        code = ord(m[0])
        return chr(0x2400 + code) if code < 0x20 else ("\u2421" if code == 0x7F else "\ufffd")

    return _NON_PRINTABLE.sub("\ufffd", _BAD_CHAR.sub(pic, line))


@dataclass
class LoadedSpec:
    path: str  # as the user named it
    raw: bytes
    data: dict[str, Any]
    smap: SourceMap


class _Bounded(Exception):
    """A bound of the input broken while composing: where, and what to say."""

    def __init__(self, mark: Any, message: str, width: int = 1):
        super().__init__(message)
        self.mark = mark
        self.message = message
        self.width = width


class _BoundedComposer(Composer):
    """ruamel's composer, which shares an anchored node among its aliases (so composing costs
    what the file is long), plus the bounds: it counts the values each alias repeats (a node's
    size, memoized) and refuses an alias of a collection still being composed (its own
    anchor), and nesting deeper than MAX_DEPTH. Building the data then expands at most
    MAX_ALIAS_VALUES values more than the file holds."""

    def compose_document(self) -> Any:
        self.repeated = 0
        self.sizes: dict[int, int] = {}
        self.nesting = 0
        return super().compose_document()

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.parser.check_event(AliasEvent):
            event = self.parser.peek_event()
            node = self.anchors.get(event.anchor)
            if node is not None:  # (an undefined alias is ruamel's error)
                self._alias(event, node)
            return super().compose_node(parent, index)
        self.nesting += 1
        if self.nesting > MAX_DEPTH:
            raise _Bounded(
                self.parser.peek_event().start_mark,
                f"mappings and lists nested more than {MAX_DEPTH} deep; a spec needs a few levels",
            )
        try:
            return super().compose_node(parent, index)
        finally:
            self.nesting -= 1

    def _alias(self, event: Any, node: Node) -> None:
        if node.end_mark is None:  # a mapping or list whose end has not been read yet
            at = node.start_mark
            raise _Bounded(
                event.start_mark,
                f"alias *{event.anchor} is inside its own anchor &{event.anchor} (line {at.line + 1}): a recursive structure is not allowed",
                len(event.anchor) + 1,
            )
        self.repeated += self._size(node)
        if self.repeated > MAX_ALIAS_VALUES:
            raise _Bounded(
                event.start_mark,
                f"aliases repeat more than {MAX_ALIAS_VALUES} values (with *{event.anchor}, which repeats {self._size(node)}); a spec needs a few",
                len(event.anchor) + 1,
            )

    def _size(self, node: Node) -> int:
        """Values of ``node`` with everything its aliases repeat (the node itself included)."""
        key = id(node)
        if key not in self.sizes:
            if isinstance(node, MappingNode):
                items = [n for pair in node.value for n in pair]
            elif isinstance(node, SequenceNode):
                items = node.value
            else:
                items = []
            self.sizes[key] = 1 + sum(self._size(n) for n in items)
        return self.sizes[key]


def _yaml() -> YAML:
    y = YAML(typ="rt")
    y.version = (1, 2)
    y.Composer = _BoundedComposer
    return y


def _span(node: Node) -> Span:
    start, end = node.start_mark, node.end_mark
    width = end.column - start.column if end.line == start.line else 1
    return Span(start.line + 1, start.column + 1, max(width, 1))


class _Builder:
    def __init__(self, source: str, smap: SourceMap, yaml: YAML):
        self.source = source
        self.smap = smap
        self.yaml = yaml
        self.diags: list[Diagnostic] = []

    def error(self, span: Span, message: str, key: str = "") -> None:
        loc = Location(
            self.source, span.line, span.col, span.width, self.smap._line_text(span.line)
        )
        self.diags.append(Diagnostic(loc, message, key))

    def build(self, node: Node, path: Path_) -> Any:
        self.smap.values[path] = _span(node)
        expected = (
            "tag:yaml.org,2002:map" if isinstance(node, MappingNode) else "tag:yaml.org,2002:seq"
        )
        if isinstance(node, (MappingNode, SequenceNode)) and node.tag != expected:
            self.error(
                _span(node), f"YAML tag {node.tag!r} is not allowed in a spec", _dotted(path)
            )
            return None
        if isinstance(node, MappingNode):
            out: dict[str, Any] = {}
            first_seen: dict[str, Span] = {}
            for knode, vnode in node.value:
                kspan = _span(knode)
                if not isinstance(knode, ScalarNode):
                    self.error(kspan, "keys must be plain strings", _dotted(path))
                    continue
                key = self.scalar(knode, path, is_key=True)
                if key is _BAD:
                    continue
                if not isinstance(key, str):
                    key = str(key) if not isinstance(key, bool) else str(key).lower()
                if key in first_seen:
                    prev = first_seen[key]
                    self.error(
                        kspan,
                        f"duplicate key (first defined at {self.source}:{prev.line}:{prev.col})",
                        _dotted(path + (key,)),
                    )
                    continue
                first_seen[key] = kspan
                self.smap.keys[path + (key,)] = kspan
                out[key] = self.build(vnode, path + (key,))
            return out
        if isinstance(node, SequenceNode):
            items = []
            for i, item in enumerate(node.value):
                self.smap.keys[path + (i,)] = _span(item)
                items.append(self.build(item, path + (i,)))
            return items
        value = self.scalar(node, path)
        return None if value is _BAD else value

    def scalar(self, node: ScalarNode, path: Path_, is_key: bool = False) -> Any:
        if node.tag == "tag:yaml.org,2002:merge":
            self.error(
                _span(node),
                "merge keys (<<) are not allowed in a spec; write the keys",
                _dotted(path),
            )
            return _BAD
        if node.tag not in _SCALAR_TAGS:
            self.error(
                _span(node), f"YAML tag {node.tag!r} is not allowed in a spec", _dotted(path)
            )
            return _BAD
        value = self.yaml.constructor.construct_object(node, deep=True)
        if isinstance(value, str) and (bad := _BAD_CHAR.search(value)):
            self.error(
                _span(node),
                f"{'a key' if is_key else 'the string'} holds the control character {char_name(bad[0])} (character {bad.start() + 1}); strings may hold tabs and newlines but no other control characters",
                _dotted(path),
            )
            return _BAD
        return plain(value)


_BAD = object()


def plain(value: Any) -> Any:
    """ruamel scalar subclasses -> plain Python scalars."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    return value


def _dotted(path: Path_) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


dotted = _dotted


def parse_yaml_text(
    text: str, source: str, lines: list[str] | None = None
) -> tuple[Any, SourceMap, list[Diagnostic]]:
    """Compose and build ``text``; returns (data, source map, diagnostics)."""
    lines = lines if lines is not None else [_visible(line) for line in text.splitlines()]
    smap = SourceMap(source, lines)
    bad = _non_printable(text, source, lines)
    if bad:
        return None, smap, bad
    yaml = _yaml()
    try:
        node = yaml.compose(text)
    except _Bounded as exc:
        line, col = exc.mark.line + 1, exc.mark.column + 1
        text_line = lines[line - 1] if 1 <= line <= len(lines) else None
        loc = Location(source, line, col, exc.width, text_line)
        return None, smap, [Diagnostic(loc, exc.message)]
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        line = (mark.line + 1) if mark else 1
        col = (mark.column + 1) if mark else 1
        if line > len(lines) and lines:  # an error at the end of the input: show the last line
            line, col = len(lines), len(lines[-1]) + 1
        text_line = lines[line - 1] if 1 <= line <= len(lines) else None
        return (
            None,
            smap,
            [Diagnostic(Location(source, line, col, 1, text_line), f"invalid YAML: {problem}")],
        )
    except ReaderError as exc:  # pragma: no cover - _non_printable finds these first
        return None, smap, [Diagnostic(Location(source), f"invalid YAML: {exc.reason}")]
    except YAMLError as exc:  # pragma: no cover - ruamel always marks its errors
        return None, smap, [Diagnostic(Location(source), f"invalid YAML: {exc}")]
    if node is None:
        return None, smap, []
    builder = _Builder(source, smap, yaml)
    data = builder.build(node, ())
    return data, smap, builder.diags


def _non_printable(text: str, source: str, lines: list[str]) -> list[Diagnostic]:
    """The characters YAML does not allow in a file (NUL, ESC, ...), the first of each line,
    located on the lines a snippet shows (``str.splitlines``, which also breaks at some of
    them: such a character is located at the end of the line it ends)."""
    if not _NON_PRINTABLE.search(text):
        return []
    diags = []
    for n, line in enumerate(text.splitlines(keepends=True), 1):
        m = _NON_PRINTABLE.search(line)
        if m:
            shown = lines[n - 1] if n <= len(lines) else None
            diags.append(
                Diagnostic(
                    Location(source, n, m.start() + 1, 1, shown),
                    f"invalid YAML: the character {char_name(m[0])} is not allowed (YAML allows no control characters but tab and line breaks)",
                )
            )
    return diags


def load_spec(path: str) -> LoadedSpec:
    """Read and compose one spec file. Raises :class:`SpecError` on any problem."""
    return load_mapping(
        path,
        "spec",
        "the spec is empty; expected a mapping with at least 'specc', 'name', 'algorithm' and 'env'",
    )


def load_mapping(path: str, what: str, empty: str) -> LoadedSpec:
    """Read and compose a YAML file whose top level is a mapping (a spec, or a sweep file:
    ``what``); ``empty`` is the message for an empty file. Raises :class:`SpecError`."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise SpecError([Diagnostic(Location(path), "no such file")]) from None
    except IsADirectoryError:
        raise SpecError(
            [Diagnostic(Location(path), f"is a directory, expected a YAML {what} file")]
        ) from None
    except OSError as exc:
        raise SpecError([Diagnostic(Location(path), f"cannot read: {exc.strerror}")]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SpecError(
            [Diagnostic(Location(path), f"not UTF-8 text (byte {exc.start})")]
        ) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    data, smap, diags = parse_yaml_text(text, path)
    if diags:
        raise SpecError(diags)
    if data is None:
        raise SpecError([Diagnostic(Location(path, 1, 1, 1, smap._line_text(1)), empty)])
    if not isinstance(data, dict):
        span = smap.values[()]
        raise SpecError(
            [
                Diagnostic(
                    Location(path, span.line, span.col, span.width, smap._line_text(span.line)),
                    f"the {what} must be a mapping of keys to values, not a {type(data).__name__}",
                )
            ]
        )
    return LoadedSpec(path=path, raw=raw, data=data, smap=smap)
