"""Tuned policies: doctrine-shaped rules whose weights were tuned by simulation (``endgame train``).

A tuned policy is data, one TOML file per ruleset and role, kept beside the ruleset in a ``tuned/``
folder (``rulesets/tuned/endgame-2024.kyiv.toml``) and reviewed like a ruleset::

    [policy]
    ruleset = "endgame-2024"
    role = "kyiv"
    label = "Tuned"
    pass_weight = 0.0          # weight of stopping early, each round (0: spend what fits)

    [trained]                  # how it was made (informational; `command` re-makes it)
    command = "endgame train endgame-2024 --role kyiv --seed 1"

    [bargain]                  # optional: how it bargains (a doctrine's concede, firm, prefer, avoid)
    concede = 3.5
    prefer = ["us_framework.aid.continued"]

    [[rules]]                  # like a doctrine's rules: the move, an optional condition, a weight
    move = "counteroffensive"
    when = "kyiv.manpower > 80"
    weight = 2.4

The agent (``TunedAgent``, spec ``tuned``) plays it exactly like a doctrine: each turn the rules
whose ``when`` holds and whose move is legal and fits are picked in proportion to ``weight``
(``ai.base.weighted_picks``), so it costs about what a doctrine costs. With a ``[bargain]`` table it
bargains over terms as a doctrine does (``ai.bargain``); without one (files trained before it existed)
it answers and proposes by its rules alone.

``tuned`` for a role looks for ``tuned/<ruleset>.<role>.toml`` beside the ruleset's file, then
beside each ruleset it extends (a variant plays its base's policy until it has its own).
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from endgame_game.ai.bargain import Bargainer, allowed_answers, answer_rules
from endgame_game.ai.base import weighted_picks
from endgame_game.engine.model import CompiledModel
from endgame_game.engine.observe import Observation
from endgame_game.errors import EndgameError, ExpressionError, Issue, RulesetError
from endgame_game.rules import expr
from endgame_game.rules.compile import Compiled, compile_expr
from endgame_game.rules.expr import BOOL, did_you_mean
from endgame_game.rules.lines import find_line
from endgame_game.rules.loader import parse_toml
from endgame_game.rules.registry import beside_rulesets

FORMAT = 1
"""The policy file format this version writes and reads."""
TUNED_DIR = "tuned"
"""The folder beside a ruleset that holds its tuned policies (not scanned for rulesets)."""
MAX_RULES = 400
MAX_WEIGHT = 1e6
MAX_FILE_BYTES = 1_000_000


@attrs.frozen
class TunedRule:
    move: str
    when: str | None
    weight: float


@attrs.frozen
class Bargain:
    """How a tuned policy bargains over terms: what a doctrine says (``rules.schema`` Doctrine)."""

    concede: float = 0.0
    firm: tuple[str, ...] = ()
    prefer: tuple[str, ...] = ()
    avoid: tuple[str, ...] = ()


BARGAIN_KEYS = ("concede", "firm", "prefer", "avoid")


@attrs.frozen
class Policy:
    """One role's tuned policy (the contents of one policy file)."""

    ruleset: str
    role: str
    rules: tuple[TunedRule, ...]
    pass_weight: float = 0.0
    label: str = "Tuned"
    doc: str = ""
    trained: Mapping[str, Any] = attrs.field(factory=dict)
    path: str = ""
    bargain: Bargain | None = None

    def to_toml(self) -> str:
        """The policy as TOML text (``parse_policy`` reads it back to an equal policy)."""
        out = [f"# Tuned policy for {self.role} in ruleset {self.ruleset}: doctrine-shaped rules whose weights were",
               "# tuned by simulation. Data, reviewed like a ruleset; see docs/agents.md (the AI ladder)."]
        if self.trained.get("command"):
            out.append(f"# Re-make it with: {self.trained['command']}")
        out += ["", "[policy]", f"format = {FORMAT}", f"ruleset = {_str(self.ruleset)}", f"role = {_str(self.role)}",
                f"label = {_str(self.label)}"]
        if self.doc:
            out.append(f"doc = {_str(self.doc)}")
        out.append(f"pass_weight = {_num(self.pass_weight)}")
        if self.bargain is not None:
            b = self.bargain
            out += ["", "[bargain]", f"concede = {_num(b.concede)}"]
            out += [f"{k} = [{', '.join(map(_str, getattr(b, k)))}]" for k in BARGAIN_KEYS[1:] if getattr(b, k)]
        if self.trained:
            out += ["", "[trained]"]
            out += [f"{k} = {_value(v)}" for k, v in self.trained.items()]
        for r in self.rules:
            out += ["", "[[rules]]", f"move = {_str(r.move)}"]
            if r.when is not None:
                out.append(f"when = {_str(r.when)}")
            out.append(f"weight = {_num(r.weight)}")
        return "\n".join(out) + "\n"


def _str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _num(x: float) -> str:
    return repr(round(float(x), 4))


def _value(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return _num(v)
    if isinstance(v, Mapping):  # an inline table: win_shares = { steady = 0.7, "two words" = 0.5 }
        keys = (k if re.fullmatch(r"[A-Za-z0-9_-]+", k) else _str(k) for k in map(str, v))
        return "{ " + ", ".join(f"{k} = {_value(x)}" for k, x in zip(keys, v.values(), strict=True)) + " }"
    return _str(str(v))


# -- reading and checking --

def parse_policy(text: str, path: str = "<policy>") -> Policy:
    """Read a policy file's text (structure only; ``check_policy`` checks it against a ruleset).

    Raises:
        RulesetError: every problem found, each with its key path and line.
    """
    issues: list[Issue] = []

    def err(key: str, message: str, hint: str = "") -> None:
        issues.append(Issue(key, message, file=path, line=find_line(text, key) if key else None, hint=hint))

    data = parse_toml(text, path)  # the rulesets' reader: syntax errors with their line, size and nesting limits
    for key in data:
        if key not in ("policy", "bargain", "trained", "rules"):
            err(key, f"unknown key {key!r}", did_you_mean(key, ["policy", "bargain", "trained", "rules"]))
    meta = data.get("policy")
    if not isinstance(meta, dict):
        err("policy", "missing [policy] table (with ruleset and role)")
        meta = {}
    known = ("format", "ruleset", "role", "label", "doc", "pass_weight")
    for key in meta:
        if key not in known:
            err(f"policy.{key}", f"unknown key {key!r}", did_you_mean(key, known))
    fmt = meta.get("format", FORMAT)
    if not isinstance(fmt, int) or isinstance(fmt, bool) or fmt > FORMAT or fmt < 1:
        err("policy.format", f"unsupported policy format {fmt!r}: this version reads format {FORMAT}")
    strings = {}
    for key, required in (("ruleset", True), ("role", True), ("label", False), ("doc", False)):
        v = meta.get(key)
        if v is None and required:
            err(f"policy.{key}" if meta else "policy", f"missing policy.{key}")
        elif v is not None and not (isinstance(v, str) and v.strip()):
            err(f"policy.{key}", f"must be a non-empty string, got {v!r}")
        else:
            strings[key] = v
    pass_weight = _weight(meta.get("pass_weight", 0.0), "policy.pass_weight", err)
    bargain = _bargain(data["bargain"], err) if "bargain" in data else None
    trained = data.get("trained", {})
    if not isinstance(trained, dict):
        err("trained", "must be a table")
        trained = {}
    raw_rules = data.get("rules", [])
    rules: list[TunedRule] = []
    if not isinstance(raw_rules, list) or not all(isinstance(r, dict) for r in raw_rules):
        err("rules", "must be an array of tables ([[rules]])")
        raw_rules = []
    if not raw_rules:
        err("rules" if "rules" in data else "", "a policy needs at least one [[rules]] entry")
    if len(raw_rules) > MAX_RULES:
        err("rules", f"{len(raw_rules)} rules; at most {MAX_RULES}")
        raw_rules = raw_rules[:MAX_RULES]
    for i, r in enumerate(raw_rules):
        p = f"rules[{i}]"
        for key in r:
            if key not in ("move", "when", "weight"):
                err(f"{p}.{key}", f"unknown key {key!r}", did_you_mean(key, ["move", "when", "weight"]))
        move, when = r.get("move"), r.get("when")
        if not isinstance(move, str) or not move:
            err(f"{p}.move" if "move" in r else p, "missing move" if "move" not in r else f"must be a move id, got {move!r}")
            continue
        if when is not None and not (isinstance(when, str) and when.strip()):
            err(f"{p}.when", f"must be a condition (a string), got {when!r}")
            continue
        if "weight" not in r:
            err(p, "missing weight")
            continue
        w = _weight(r["weight"], f"{p}.weight", err)
        rules.append(TunedRule(move, when, w))
    if issues:
        raise RulesetError(issues)
    return Policy(str(strings["ruleset"]), str(strings["role"]), tuple(rules), pass_weight, strings.get("label") or "Tuned",
                  strings.get("doc") or "", dict(trained), path, bargain)


def _bargain(raw: object, err: Any) -> Bargain | None:
    if not isinstance(raw, dict):
        err("bargain", "must be a table ([bargain])")
        return None
    for key in raw:
        if key not in BARGAIN_KEYS:
            err(f"bargain.{key}", f"unknown key {key!r}", did_you_mean(key, BARGAIN_KEYS))
    concede = _weight(raw.get("concede", 0.0), "bargain.concede", err)
    lists: dict[str, tuple[str, ...]] = {}
    for key in BARGAIN_KEYS[1:]:
        v = raw.get(key, [])
        if not isinstance(v, list) or not all(isinstance(x, str) and x for x in v):
            err(f"bargain.{key}", f"must be a list of names, got {v!r}")
            v = []
        lists[key] = tuple(v)
    return Bargain(concede, lists["firm"], lists["prefer"], lists["avoid"])


def _weight(v: object, key: str, err: Any) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or not 0 <= v <= MAX_WEIGHT:
        err(key, f"must be a number from 0 to {MAX_WEIGHT:g}, got {v!r}")
        return 0.0
    return float(v)


def read_policy(path: str | Path) -> Policy:
    """Read a policy file (structure only).

    Raises:
        RulesetError: unreadable, too large, or malformed, with key paths and lines.
    """
    p = Path(path)
    try:
        if not p.is_file():
            raise RulesetError([Issue("", "not a file", file=str(p))])
        if p.stat().st_size > MAX_FILE_BYTES:
            raise RulesetError([Issue("", f"larger than {MAX_FILE_BYTES:,} bytes: not a policy file", file=str(p))])
        text = p.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise RulesetError([Issue("", f"cannot read: {e}", file=str(p))]) from None
    return parse_policy(text, str(p))


@attrs.frozen
class CompiledPolicy:
    """A policy checked and compiled against a model: (move slot, condition or None, weight) per rule."""

    policy: Policy
    rules: tuple[tuple[int, Compiled | None, float], ...]
    reads: np.ndarray


def check_policy(policy: Policy, model: CompiledModel, text: str | None = None) -> CompiledPolicy:
    """Check a policy against the ruleset it plays and compile its conditions.

    Raises:
        RulesetError: unknown role or move, a move of another role, a bad condition; with key paths and lines.
    """
    if text is None and policy.path and Path(policy.path).is_file():
        text = Path(policy.path).read_text("utf-8")
    issues: list[Issue] = []

    def err(key: str, message: str, hint: str = "") -> None:
        issues.append(Issue(key, message, file=policy.path or "<policy>", line=find_line(text, key) if text else None,
                            hint=hint))

    role = policy.role
    if role not in model.actor_index:
        err("policy.role", f"no role {role!r} in ruleset {model.id!r}", did_you_mean(role, model.actors))
        raise RulesetError(issues)
    a = model.actor_index[role]
    if policy.bargain is not None:
        _check_bargain(policy.bargain, model, a, err)
    own = {model.moves[s].id: s for s in model.moves_of[a]}
    known = {k: s.type for k, s in model.symbols.table.items()}
    derived = {k.removeprefix("derived."): v for k, v in model.checked.trees.items() if k.startswith("derived.")}
    out: list[tuple[int, Compiled | None, float]] = []
    trees: list[expr.Node] = []
    for i, r in enumerate(policy.rules):
        p = f"rules[{i}]"
        if r.move not in own:
            other = next((model.actors[m.actor] for m in model.moves if m.id == r.move), None)
            if other is not None:
                err(f"{p}.move", f"{r.move!r} is a move of {other}, not of {role}")
            else:
                err(f"{p}.move", f"{role} has no move {r.move!r}", did_you_mean(r.move, own))
            continue
        fn: Compiled | None = None
        if r.when is not None:
            try:
                node = expr.parse(r.when)
                typ = expr.check_names(node, known)
            except ExpressionError as e:
                where = f" at column {e.col + 1}" if e.col is not None else ""
                err(f"{p}.when", f"{e.message}{where} in {r.when!r}", e.hint)
                continue
            if typ != BOOL:
                err(f"{p}.when", f"needs a condition (true/false), but {r.when!r} is a number")
                continue
            fn = compile_expr(node, model.symbols, f"tuned.{role}.{p}.when", derived)
            trees.append(node)
        out.append((own[r.move], fn, r.weight))
    if issues:
        raise RulesetError(issues)
    return CompiledPolicy(policy, tuple(out), _reads(model, trees, a))


def _check_bargain(b: Bargain, model: CompiledModel, actor: int, err: Any) -> None:
    """Its names against the ruleset, as a doctrine's are checked (``rules.check``)."""
    if not any(actor in n.answerers for n in model.negotiation):
        err("bargain", f"{model.actors[actor]} takes part in no negotiation with terms: there is nothing to bargain over")
        return
    moves = [m for m in model.ruleset.moves if m.kind == "proposal"]
    options = {f"{m.id}.{t.id}.{o.id}" for m in moves for t in m.terms for o in t.options}
    terms = {t.id for m in moves for t in m.terms}
    for key, names, known, what in (("prefer", b.prefer, options, "option"), ("avoid", b.avoid, options, "option"),
                                    ("firm", b.firm, terms, "term")):
        for j, name in enumerate(names):
            if name not in known:
                err(f"bargain.{key}[{j}]", f"no {what} {name!r}" + (" (write <proposal>.<term>.<option>)"
                                                                      if what == "option" else ""),
                    did_you_mean(name, known))


def _reads(model: CompiledModel, trees: Sequence[expr.Node], actor: int) -> np.ndarray:
    """The value slots the conditions and the role's move costs read (only those are estimated)."""
    slots: set[int] = set()
    todo = list(trees)
    seen: set[str] = set()
    derived = {k.removeprefix("derived."): v for k, v in model.checked.trees.items() if k.startswith("derived.")}
    while todo:
        for n in expr.names(todo.pop()):
            if n in model.value_index:
                slots.add(model.value_index[n])
            d = n.removeprefix("derived.")
            if d in derived and d not in seen:
                seen.add(d)
                todo.append(derived[d])
    own = {m.id for m in model.moves if m.actor == actor}
    costs = [k for i, m in enumerate(model.ruleset.moves) if m.id in own
             for k in model.checked.trees if k.startswith(f"moves[{i}].cost.")]
    return np.union1d(np.array(sorted(slots), dtype=np.intp), model.reads(costs)).astype(np.intp)


# -- finding --

def policy_paths(model: CompiledModel, role: str) -> list[Path]:
    """Where ``tuned`` looks for a role's policy, in order: beside the ruleset's file, then beside each
    ruleset it extends (``rules.registry.beside_rulesets``: a game loaded from a save knows its rulesets
    by file name only, and finds their policies where rulesets are found)."""
    return beside_rulesets([file for file, _ in model.files], TUNED_DIR, lambda f: f"{f.stem}.{role}.toml")


def default_path(model: CompiledModel, role: str) -> Path:
    """Where ``endgame train`` writes a role's policy by default: beside the ruleset's own file."""
    return policy_paths(model, role)[0]


def find_policy(model: CompiledModel, role: str) -> Path | None:
    """The policy file ``tuned`` would play for ``role``, or None."""
    return next((p for p in policy_paths(model, role) if p.is_file()), None)


def has_policy(model: CompiledModel, role: str) -> bool:
    return find_policy(model, role) is not None


def load_policy(model: CompiledModel, role: str) -> CompiledPolicy:
    """The role's tuned policy, checked and compiled.

    Raises:
        EndgameError: no policy file (saying where it looked and how to train one).
        RulesetError: a bad policy file, with key paths and lines.
    """
    path = find_policy(model, role)
    if path is None:
        where = ", ".join(str(p) for p in dict.fromkeys(policy_paths(model, role)))
        raise EndgameError(f"no tuned policy for {role} in ruleset {model.id!r} (looked for {where}); "
                           f"train one with: endgame train {model.ref} --role {role} --seed 1")
    policy = read_policy(path)
    if policy.role != role:
        raise RulesetError([Issue("policy.role", f"this file is for {policy.role!r}, but it was loaded for {role!r}",
                                  file=str(path), line=find_line(path.read_text("utf-8"), "policy.role"))])
    return check_policy(policy, model)


def ruleset_digest(model: CompiledModel) -> str:
    """A short digest of the ruleset's text (its file and every base): a policy records the one it was trained on."""
    h = hashlib.sha256()
    for _, text in model.files:
        h.update(text.encode("utf-8"))
    return h.hexdigest()[:16]


def is_stale(policy: Policy, model: CompiledModel) -> bool:
    """True when the policy was trained on another version of the ruleset (it still plays, maybe worse)."""
    d = policy.trained.get("ruleset_digest")
    return bool(d) and d != ruleset_digest(model)


# -- the agent --

class TunedAgent:
    """Plays a tuned policy: the rules whose ``when`` holds, picked in proportion to ``weight``."""

    def __init__(self, model: CompiledModel, actor: str, policy: CompiledPolicy | None = None, spec: str = "tuned",
                 label: str | None = None):
        if actor not in model.actor_index:
            raise EndgameError(f"no actor {actor!r} in {model.id}")
        self.model = model
        self.actor = model.actor_index[actor]
        self.compiled = policy if policy is not None else load_policy(model, actor)
        self.policy = self.compiled.policy
        self.name = f"{actor}/tuned"
        self.spec = spec
        self.reads = self.compiled.reads
        self.pass_weight = float(self.policy.pass_weight)
        self._label = label or f"tuned/{actor}"  # keys its draws (another label: another sample of the policy)
        self.bargainer: Bargainer | None = None
        b = self.policy.bargain
        if b is not None and any(self.actor in n.answerers for n in model.negotiation):
            self.bargainer = Bargainer(model, actor, b.concede, b.firm, b.prefer, b.avoid)
            self.reads = np.union1d(self.reads, model.reads(self.bargainer.reads())).astype(np.intp)
            self._answer_rules = answer_rules(model, self.actor, [(m, w) for m, _, w in self.compiled.rules])

    def act(self, obs: Observation) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
        B = obs.legal.shape[0]
        cands = []
        with np.errstate(all="ignore"):
            for slot, when, weight in self.compiled.rules:
                ok = np.ones(B, dtype=bool) if when is None else np.broadcast_to(
                    np.asarray(when(obs.state), dtype=bool), (B,))
                cands.append((slot, ok, weight))
        orders = weighted_picks(self.model, obs, self.actor, cands, self._label, self.pass_weight)
        if self.bargainer is not None:
            allowed = allowed_answers(self.model, B, self._answer_rules, [ok for _, ok, _ in cands])
            return self.bargainer.decide(obs, orders, allowed)
        return orders
