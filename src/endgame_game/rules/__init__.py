"""The ruleset language: schema, loader, expressions, checks. Imports nothing of ours but ``errors``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from endgame_game.errors import Issue, RulesetError
from endgame_game.rules.check import Checked, check
from endgame_game.rules.loader import (
    RawRuleset,
    apply_overrides,
    load_raw,
    parse_assignments,
    raw_from_texts,
)
from endgame_game.rules.registry import RulesetInfo, find_ruleset, list_rulesets
from endgame_game.rules.schema import Ruleset
from endgame_game.rules.structure import structure


def check_file(ref: str | Path, overrides: Mapping[str, Any] | None = None) -> Checked:
    """Load, merge, structure and check a ruleset; returns issues instead of raising for checks.

    Raises:
        RulesetError: when the file cannot be read or structured at all.
    """
    return _check_raw(load_raw(ref), overrides)


def check_texts(files: Sequence[tuple[str, str]], overrides: Mapping[str, Any] | None = None) -> Checked:
    """Like ``check_file``, from ruleset texts in memory (child first, then each base it extends)."""
    return _check_raw(raw_from_texts(files), overrides)


def _check_raw(raw: RawRuleset, overrides: Mapping[str, Any] | None) -> Checked:
    if overrides:
        raw = apply_overrides(raw, overrides)
    st = structure(raw)
    return check(st.ruleset, raw, st.issues, st.repaired)


def load_ruleset(ref: str | Path, overrides: Mapping[str, Any] | None = None) -> Checked:
    """Load a ruleset ready for the engine.

    Raises:
        RulesetError: with every error found.
    """
    checked = check_file(ref, overrides)
    if checked.errors:
        raise RulesetError(checked.issues)
    return checked


__all__ = [
    "Checked",
    "Issue",
    "Ruleset",
    "RulesetError",
    "RulesetInfo",
    "check_file",
    "check_texts",
    "find_ruleset",
    "list_rulesets",
    "load_ruleset",
    "parse_assignments",
]
