"""Difficulty levels: each maps to a tier of the AI ladder, described with its measured strength.

    easy    random      legal moves at random
    normal  mixed       the ruleset's doctrines, one drawn per game
    hard    tuned       the tuned policy (``endgame train``), the role's first doctrine where it has none
    expert  rollout     search over the tuned policy's rollouts (``ai.rollout``)

The measured strength comes from ``endgame tournament RULESET --record``: it writes the ladder's
steps (each tier against the one below it, per role) to ``tuned/<ruleset>.ladder.toml`` beside the
ruleset (``batch.tournament.record``), and the app quotes them ("beats the best doctrine in 7 of 10 games").
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path

import attrs

from endgame_game.ai.tuned import TUNED_DIR, has_policy
from endgame_game.engine.model import CompiledModel


@attrs.frozen
class Level:
    id: str
    tier: str  # the tournament tier it plays
    what: str  # what it is, in a few words
    beats: str  # whom its measured share is against (the tier below, in words)


LEVELS = (
    Level("easy", "random", "random legal moves", ""),
    Level("normal", "mixed", "the ruleset's doctrines, one drawn per game", "random play"),
    Level("hard", "tuned", "the tuned policy", "the best doctrine"),
    Level("expert", "rollout", "search over the tuned policy's rollouts; slower", "the tuned policy"),
)
DEFAULT_LEVEL = "normal"
LADDER_TIERS = ("random", "mixed", "doctrine:*", "tuned", "rollout")
"""The tiers ``--record`` expects, weakest first: each level's share is against the tier below it."""


def level(name: str) -> Level:
    for lv in LEVELS:
        if lv.id == name:
            return lv
    raise KeyError(name)


def spec_for(model: CompiledModel, role: str, lv: Level) -> str:
    """The agent spec a level gives a role (a tier the role cannot play falls back to a doctrine)."""
    a = model.actor_index[role]
    if lv.tier in ("tuned", "rollout") and not has_policy(model, role):
        return "doctrine" if model.doctrines.get(role) else "random"
    if lv.tier in ("lookahead", "rollout") and a not in model.scores:
        return "doctrine" if model.doctrines.get(role) else "random"
    if lv.tier == "mixed" and len(model.doctrines.get(role, {})) < 2:
        return "doctrine" if model.doctrines.get(role) else "random"
    return lv.tier


def ladder_path(model: CompiledModel) -> Path:
    f = Path(model.files[0][0]) if model.files else Path(model.ref)
    return f.parent / TUNED_DIR / f"{f.stem}.ladder.toml"


def read_shares(model: CompiledModel) -> dict[str, dict[str, float]]:
    """role → tier → its measured share against the tier below (empty when nothing was recorded)."""
    for file, _ in model.files:
        f = Path(file)
        path = f.parent / TUNED_DIR / f"{f.stem}.ladder.toml"
        if path.is_file():
            try:
                data = tomllib.loads(path.read_text("utf-8"))
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
                return {}
            roles = data.get("roles", {})
            out: dict[str, dict[str, float]] = {}
            for role, steps in roles.items() if isinstance(roles, dict) else ():
                if isinstance(steps, dict):
                    out[role] = {t: float(s["share"]) for t, s in steps.items()
                                 if isinstance(s, dict) and isinstance(s.get("share"), (int, float))}
            return out
    return {}


def describe(model: CompiledModel, lv: Level, roles: Mapping[str, str] | None = None,
             shares: Mapping[str, Mapping[str, float]] | None = None) -> str:
    """One line: what the level plays and, where measured, how strong it is.

    Args:
        roles: the AI roles (role → spec) the share is averaged over (default: every recorded role).
        shares: ``read_shares(model)`` (read when not given).
    """
    shares = read_shares(model) if shares is None else shares
    text = f"{lv.id}: {lv.what}"
    if lv.tier in ("tuned", "rollout") and roles and not any(has_policy(model, r) for r in roles):
        return text + " (none trained for this scenario: its doctrines play)"
    if lv.id == "easy":
        got = [s["mixed"] for r, s in shares.items() if "mixed" in s and (roles is None or r in roles)]
        if got:
            text += f"; the doctrines beat it in {_of_ten(sum(got) / len(got))} of 10 games"
        return text
    tier = "doctrine:*" if lv.tier == "mixed" and not any("mixed" in s for s in shares.values()) else lv.tier
    got = [s[tier] for r, s in shares.items() if tier in s and (roles is None or r in roles)]
    if got:
        text += f"; beats {lv.beats} in {_of_ten(sum(got) / len(got))} of 10 games"
    return text


def _of_ten(share: float) -> int:
    return int(round(share * 10))
