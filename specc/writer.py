"""Stage 6: write generated files atomically (temporary file in the same folder + rename).

Every file specc writes (scripts, a sweep's manifest and status files, plots, CSV) goes
through :func:`write_atomic`. The temporary file is created as ``open()`` creates a file, with
mode 0o666 less the user's umask (so a generated script can be shared as any file the user
writes), and a problem is reported for the file the user asked for, never for the
temporary one.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)


def write_atomic(path: Path, text: str | bytes) -> None:
    """Write ``text`` (UTF-8, ``\\n`` newlines) or ``bytes`` as they are, replacing ``path``
    whole. An ``OSError`` names ``path`` (its ``filename``), whatever step failed."""
    path = Path(path)
    data = text if isinstance(text, bytes) else text.encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = None
    try:
        tmp, fd = _create_temporary(path)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except OSError as exc:
        _remove(tmp)
        raise OSError(exc.errno, exc.strerror or str(exc), str(path)) from None
    except BaseException:
        _remove(tmp)
        raise


def _create_temporary(path: Path) -> tuple[Path, int]:
    """A new file beside ``path`` (``.<name>.<random>.tmp``), created with mode 0o666: the
    kernel applies the umask (and a default ACL), as for ``open(path, "w")``."""
    for _ in range(100):
        tmp = path.parent / f".{path.name}.{secrets.token_hex(4)}.tmp"
        try:
            return tmp, os.open(tmp, _FLAGS, 0o666)
        except FileExistsError:
            continue
    raise FileExistsError(17, "no free temporary name", str(path))  # pragma: no cover


def _remove(tmp: Path | None) -> None:
    if tmp is None:
        return
    try:
        os.unlink(tmp)
    except OSError:  # gone already, or the folder forbids it: the first error is the one to tell
        pass
