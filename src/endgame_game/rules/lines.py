"""Where a key path is written in TOML text (best effort: the line number, when it can be found).

A text is indexed once (``index_of``: its table headers, and for every key the lines that write it),
so locating all the issues of a ruleset costs one pass over the text plus a lookup per issue, however
many issues and lines there are. Lines are counted as ``tomllib`` counts them (at ``\\n``).
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Sequence

_SEG = re.compile(r"([^.\[\]]+)|\[(\d+)\]")
_HEADER = re.compile(r"""^\s*(\[\[?)\s*((?:[A-Za-z0-9_-]+|"[^"\n]*"|'[^'\n]*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"\n]*"|'[^'\n]*'))*)\s*\]\]?\s*(?:#.*)?$""")
_HEADER_PART = re.compile(r"""[A-Za-z0-9_-]+|"[^"\n]*"|'[^'\n]*'""")
_KEY = re.compile(r"""(?:^|(?<=[\s{,]))(?:([A-Za-z0-9_-]+)|"([^"\n]*)"|'([^'\n]*)')\s*=(?!=)""")
MAX_JOIN = 4  # a quoted key with dots ("red.ammo") is split in a key path: try up to this many segments joined


def split_path(path: str) -> list[str | int]:
    """``moves[3].effects[0].target`` → ``["moves", 3, "effects", 0, "target"]``."""
    out: list[str | int] = []
    for name, idx in _SEG.findall(path):
        out.append(int(idx) if idx else name)
    return out


def _dotted(header: str) -> str:
    return ".".join(p.strip("\"'") for p in _HEADER_PART.findall(header))


class LineIndex:
    """One TOML text, indexed: its headers (``[a.b]`` and ``[[a.b]]``) and the lines of every key."""

    def __init__(self, text: str):
        self.text = text
        self.lines = text.split("\n")
        self.offsets: list[int] = []
        pos = 0
        for ln in self.lines:
            self.offsets.append(pos)
            pos += len(ln) + 1
        self.headers: list[int] = []  # every header line, in order
        self.header_name: dict[int, str] = {}
        self.tables: dict[str, list[int]] = {}  # [a.b] → its line(s)
        self.arrays: dict[str, list[int]] = {}  # [[a.b]] → the line of each entry
        self.keys: dict[str, list[int]] = {}  # key → every line writing `key =`, ascending
        self.prefixes: set[str] = set()  # every proper prefix of a header's name (implicit tables)
        self._ends: dict[int, int] = {}
        self._elements: dict[tuple[int, int], list[tuple[int, int]]] = {}
        for i, ln in enumerate(self.lines):
            stripped = ln.lstrip()
            if stripped.startswith("["):
                m = _HEADER.match(ln)
                if m:
                    name = _dotted(m.group(2))
                    self.headers.append(i)
                    self.header_name[i] = name
                    (self.arrays if m.group(1) == "[[" else self.tables).setdefault(name, []).append(i)
                    parts = name.split(".")
                    self.prefixes.update(".".join(parts[:k]) for k in range(1, len(parts)))
                    continue
            if "=" in ln:
                for km in _KEY.finditer(ln):
                    key = km.group(1) if km.group(1) is not None else (km.group(2) if km.group(2) is not None else km.group(3))
                    lines = self.keys.setdefault(key, [])
                    if not lines or lines[-1] != i:
                        lines.append(i)

    # -- ranges --
    def section_end(self, start: int) -> int:
        """The line after the table starting at header ``start``: the next header that is not one of its
        sub-tables (``[[events.effects]]`` belongs to the ``[[events]]`` entry above it)."""
        if start not in self._ends:
            name = self.header_name.get(start, "")
            k = bisect.bisect_right(self.headers, start)
            end = len(self.lines)
            while k < len(self.headers):
                h = self.headers[k]
                if not (name and self.header_name[h].startswith(name + ".")):
                    end = h
                    break
                k += 1
            self._ends[start] = end
        return self._ends[start]

    def _in(self, table: dict[str, list[int]], name: str, lo: int, hi: int) -> list[int]:
        rows = table.get(name, [])
        a, b = bisect.bisect_left(rows, lo), bisect.bisect_left(rows, hi)
        return rows[a:b]

    def key_line(self, key: str, lo: int, hi: int) -> int | None:
        rows = self.keys.get(key)
        if not rows:
            return None
        k = bisect.bisect_left(rows, lo)
        return rows[k] if k < len(rows) and rows[k] < hi else None

    # -- inline arrays --
    def elements(self, line: int, key: str) -> list[tuple[int, int]]:
        """The (first, last) lines of each element of the inline array ``key = [ ... ]`` written on ``line``."""
        cache_key = (line, hash(key))
        if cache_key not in self._elements:
            self._elements[cache_key] = self._scan_array(line, key)
        return self._elements[cache_key]

    def _scan_array(self, line: int, key: str) -> list[tuple[int, int]]:
        m = None
        for km in _KEY.finditer(self.lines[line]):
            if key in km.groups():
                m = km
                break
        if m is None:
            return []
        text = self.text
        i = self.offsets[line] + m.end()
        n = len(text)
        while i < n and text[i] in " \t":
            i += 1
        if i >= n or text[i] != "[":
            return []
        out: list[tuple[int, int]] = []
        depth = 0
        start: int | None = None
        while i < n:
            ch = text[i]
            if ch in "\"'":
                triple = text.startswith(ch * 3, i)
                quote = ch * 3 if triple else ch
                j = i + len(quote)
                while j < n:
                    if ch == '"' and text[j] == "\\":
                        j += 2
                        continue
                    if text.startswith(quote, j):
                        break
                    if not triple and text[j] == "\n":
                        break
                    j += 1
                if depth == 1 and start is None:
                    start = i
                i = j + len(quote)
                continue
            if ch == "#":
                j = text.find("\n", i)
                i = n if j < 0 else j
                continue
            if ch in "[{":
                if depth == 1 and start is None:
                    start = i
                depth += 1
            elif ch in "]}":
                depth -= 1
                if depth == 0:
                    if start is not None:
                        out.append((self._line_of(start), self._line_of(i)))
                    return out
            elif ch == "," and depth == 1:
                if start is not None:
                    out.append((self._line_of(start), self._line_of(i)))
                start = None
            elif depth == 1 and start is None and not ch.isspace():
                start = i
            i += 1
        return out

    def _line_of(self, offset: int) -> int:
        return bisect.bisect_right(self.offsets, offset) - 1

    # -- the lookup --
    def find(self, path: str) -> int | None:
        segs = split_path(path)
        if not segs or not isinstance(segs[0], str):
            return None
        lo, hi = 0, len(self.lines)
        prefix = ""
        found: int | None = None
        i = 0
        while i < len(segs):
            seg = segs[i]
            if isinstance(seg, int):
                i += 1  # an index with nowhere to apply it (the array was not found): skip it
                continue
            nxt = segs[i + 1] if i + 1 < len(segs) else None
            # Try the longest run of segments that names one key (a quoted key with dots).
            step = 1
            name = f"{prefix}.{seg}" if prefix else seg
            run: list[str] = []
            for s in segs[i:i + MAX_JOIN]:
                if not isinstance(s, str):
                    break
                run.append(s)
            for n in range(len(run), 1, -1):
                cand = ".".join(run[:n])
                if self.key_line(cand, lo, hi) is not None:
                    seg, step = cand, n
                    nxt = segs[i + n] if i + n < len(segs) else None
                    break
            if step == 1 and isinstance(nxt, int) and self._in(self.arrays, name, lo, hi):
                rows = self._in(self.arrays, name, lo, hi)
                if nxt >= len(rows):
                    return None
                lo = rows[nxt]
                hi = self.section_end(lo)
                found, prefix = lo, name
                i += 2
                continue
            if step == 1 and self._in(self.tables, name, lo, hi):
                lo = self._in(self.tables, name, lo, hi)[0]
                hi = self.section_end(lo)
                found, prefix = lo, name
                i += 1
                continue
            if step == 1 and name in self.prefixes:
                prefix = name  # an implicit table: [name.x] headers follow
                i += 1
                continue
            line = self.key_line(seg, lo, hi)
            if line is None:
                i += step
                continue
            found, lo = line, line
            i += step
            if isinstance(nxt, int):
                elems = self.elements(line, seg)
                if nxt < len(elems):
                    first, last = elems[nxt]
                    found, lo, hi = first, first, last + 1
                i += 1
        return None if found is None else found + 1


@functools.lru_cache(maxsize=16)
def index_of(text: str) -> LineIndex:
    """The index of a text (kept for the last few texts: a check locates all its issues in the same ones)."""
    return LineIndex(text)


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
    return index_of(text).find(path)
