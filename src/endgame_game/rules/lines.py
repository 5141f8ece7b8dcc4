"""Where a key path is written in TOML text (best effort: the line number, when it can be found)."""

from __future__ import annotations

import re
from collections.abc import Sequence

_SEG = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def split_path(path: str) -> list[str | int]:
    """``moves[3].effects[0].target`` → ``["moves", 3, "effects", 0, "target"]``."""
    out: list[str | int] = []
    for name, idx in _SEG.findall(path):
        out.append(int(idx) if idx else name)
    return out


def locate(files: Sequence[tuple[str, str]], path: str) -> tuple[str, int | None]:
    """The file and line where a key path is written, searching ``files`` (a variant, then the bases
    it extends) in order; the first file and no line when it cannot be found."""
    for file, text in files:
        line = find_line(text, path)
        if line is not None:
            return file, line
    return (files[0][0] if files else ""), None


def find_line(text: str, path: str) -> int | None:
    """Best-effort line number of a key path in TOML text (None when it cannot be found)."""
    segs = split_path(path)
    if not segs:
        return None
    lines = text.splitlines()
    start, end = 0, len(lines)
    rest: list[str | int] = segs
    # Array of tables: [[moves]] number k.
    if len(segs) >= 2 and isinstance(segs[0], str) and isinstance(segs[1], int):
        header = re.compile(r"^\s*\[\[\s*" + re.escape(segs[0]) + r"\s*\]\]")
        hits = [i for i, ln in enumerate(lines) if header.match(ln)]
        if segs[1] >= len(hits):
            return None
        start = hits[segs[1]]
        nxt = [i for i, ln in enumerate(lines) if i > start and re.match(r"^\s*\[", ln)]
        end = nxt[0] if nxt else len(lines)
        rest = segs[2:]
        if not rest:
            return start + 1
    else:
        # Longest table header that matches a prefix of the path.
        names: list[str] = [s for s in segs if isinstance(s, str)]
        for k in range(len(names), 0, -1):
            dotted = r"\s*\.\s*".join(re.escape(n) for n in names[:k])
            header = re.compile(r"^\s*\[\s*" + dotted + r"\s*\]")
            hits = [i for i, ln in enumerate(lines) if header.match(ln)]
            if hits:
                start = hits[0]
                nxt = [i for i, ln in enumerate(lines) if i > start and re.match(r"^\s*\[", ln)]
                end = nxt[0] if nxt else len(lines)
                rest = [*names[k:]]
                if not rest:
                    return start + 1
                break
    keys = [s for s in rest if isinstance(s, str)]
    pos = start
    found = None
    for key in keys:
        pat = re.compile(r"(^|[\s{,])\"?" + re.escape(key) + r"\"?\s*=")
        for i in range(pos, end):
            if pat.search(lines[i]):
                found = pos = i
                break
    return None if found is None else found + 1
