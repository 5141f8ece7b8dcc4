"""Reading a user's file safely: only a regular file, only up to a size limit, checked before reading.

A FIFO, a device (``/dev/zero``), a socket or a directory given where a file is expected would hang the
reader for ever or fill the memory; so would a file of gigabytes. ``read_limited`` refuses them before
reading a byte: the kind of file is checked on the opened descriptor (opened without blocking, so a FIFO
with no writer cannot hang the open either), the size from ``fstat``, and the read itself stops one byte
past the limit (a file growing while it is read is refused too).

Callers turn ``FileRefused`` into their own error (a ``RulesetError`` or a ``SaveError``) naming the file.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from endgame_game.errors import EndgameError


class FileRefused(EndgameError):
    """A file was not read: it is missing, not a regular file, too big or unreadable. ``reason`` says
    which, in words that fit after the file's name."""

    def __init__(self, path: str | Path, reason: str, *, missing: bool = False):
        self.path = str(path)
        self.reason = reason
        self.missing = missing
        super().__init__(f"{self.path}: {reason}")


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def is_regular(path: str | Path) -> bool:
    """True for an existing regular file (or a link to one); never blocks, never raises."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False


def read_limited(path: str | Path, max_bytes: int) -> bytes:
    """The bytes of a regular file of at most ``max_bytes`` bytes.

    Raises:
        FileRefused: the file is missing, is a folder, FIFO, device or socket, is larger than
            ``max_bytes``, or cannot be read (the reason names which).
    """
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise FileRefused(path, "no such file", missing=True) from None
    except (OSError, ValueError) as e:  # ValueError: a NUL byte in the name
        raise FileRefused(path, f"cannot read the file: {_reason(e)}") from None
    if not stat.S_ISREG(st.st_mode):
        raise FileRefused(path, f"cannot read the file: it is {_kind(st.st_mode)}, not a regular file")
    if st.st_size > max_bytes:
        raise FileRefused(path, f"file is {st.st_size} bytes; the limit is {max_bytes}")
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as e:
        raise FileRefused(path, f"cannot read the file: {_reason(e)}") from None
    try:
        st = os.fstat(fd)  # the file opened may not be the one stat'ed (replaced in between)
        if not stat.S_ISREG(st.st_mode):
            raise FileRefused(path, f"cannot read the file: it is {_kind(st.st_mode)}, not a regular file")
        chunks: list[bytes] = []
        total = 0
        while True:
            chunk = os.read(fd, min(1 << 20, max_bytes + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > max_bytes:
                raise FileRefused(path, f"file is more than {max_bytes} bytes (the limit)")
        return b"".join(chunks)
    except OSError as e:
        raise FileRefused(path, f"cannot read the file: {_reason(e)}") from None
    finally:
        os.close(fd)


def _reason(e: Exception) -> str:
    if isinstance(e, OSError):
        return str(e.strerror or e)
    return str(e)
