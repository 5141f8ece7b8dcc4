"""The project's fuzzers (issue 18): bounded in a normal run, longer with ``pytest -m slow tests/fuzz``."""

from __future__ import annotations

from typing import Any


def key_paths(d: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key path of parsed TOML data (tables by key, arrays by index), parents before children."""
    out = []
    if isinstance(d, dict):
        for k, v in d.items():
            out.append((*prefix, k))
            out += key_paths(v, (*prefix, k))
    elif isinstance(d, list):
        for i, v in enumerate(d):
            out.append((*prefix, i))
            out += key_paths(v, (*prefix, i))
    return out
