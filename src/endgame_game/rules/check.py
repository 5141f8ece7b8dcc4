"""Check a structured ruleset: references, types of every expression, and semantic warnings.

``check`` never stops at the first problem: it returns every issue it finds, each with its key path.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import attrs

from endgame_game.errors import ExpressionError, Issue
from endgame_game.rules import expr, schema
from endgame_game.rules.expr import BOOL, NUM, Node, Type
from endgame_game.rules.lines import locate
from endgame_game.rules.loader import RawRuleset
from endgame_game.rules.symbols import MAX_OPTIONS, Symbols, build_symbols, negotiation_ids, response_ids

ID_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
RULESET_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
MAX_DERIVED_DEPTH = 32
"""Derived values may read derived values this many deep (``a`` reads ``b`` reads ``c`` …: 3)."""
MAX_INLINED_NODES = 20_000
"""An expression with every derived value it reads written out in full may have this many parts."""
MAX_INLINED_DEPTH = 160
"""... and be nested this deep: what ``check`` accepts compiles and evaluates within Python's stack."""
MAX_TOTAL_INLINED = 200_000
"""... and all the expressions of a ruleset together this many parts (endgame-2024 has about 2,300)."""
MAX_EXPIRES = 1000
_ID_RULE = " (ASCII letters, digits and _, starting with a letter)"
LAST_YEAR = 9999  # the calendar's last year (datetime.MAXYEAR): the last turn must fall in it or before


@attrs.frozen
class Checked:
    """A ruleset with its layout and every expression parsed and type-checked, keyed by path."""

    ruleset: schema.Ruleset
    symbols: Symbols
    trees: dict[str, Node]
    issues: tuple[Issue, ...]
    files: tuple[tuple[str, str], ...] = ()

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "error"]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "warning"]


class _Checker:
    def __init__(self, rs: schema.Ruleset, raw: RawRuleset):
        self.rs = rs
        self.raw = raw
        self.issues: list[Issue] = []
        self.trees: dict[str, Node] = {}
        self.derived_trees: dict[str, Node] = {}
        self.derived_types: dict[str, Type] = {}
        self.derived_chain: dict[str, int] = {}  # the longest chain of derived values below each, itself included
        self.derived_size: dict[str, tuple[int, int]] = {}  # inlined (parts, depth) of each derived value
        self.derived_over: dict[str, bool] = {}
        self.total_inlined = 0
        self.total_reported = False
        self.symbols = build_symbols(rs)
        self.phases = set(rs.ruleset.phases)
        self.used_phases: set[str] = set()
        self.flag_setters: set[str] = set()
        self.value_changers: set[str] = set()

    # -- reporting --
    def err(self, path: str, message: str, hint: str = "", severity: str = "error") -> None:
        file, line = locate(self.raw.files, path)
        self.issues.append(Issue(path, message, file=file, line=line, hint=hint, severity=severity))

    def warn(self, path: str, message: str, hint: str = "") -> None:
        self.err(path, message, hint, severity="warning")

    def ref(self, path: str, value: str, known: Iterable[str], what: str) -> bool:
        known = list(known)
        if value in known:
            return True
        self.err(path, f"unknown {what} {value!r}", expr.did_you_mean(value, known))
        return False

    # -- expressions --
    def expression(self, path: str, text: str | None, want: Type, *, allow_random: bool = True) -> None:
        if text is None:
            return
        try:
            node = expr.parse(text)
            typ = expr.check_names(node, self.known_types, self._name_hint)
        except ExpressionError as e:
            where = f" at column {e.col + 1}" if e.col is not None else ""
            self.err(path, f"{e.message}{where} in {text!r}" if len(text) < 80 else f"{e.message}{where}", e.hint)
            return
        if typ != want:
            need = "a number" if want == NUM else "a condition (true/false)"
            got = "a number" if typ == NUM else "true/false"
            self.err(path, f"needs {need}, but {text!r} is {got}")
            return
        if not allow_random and any(isinstance(n, expr.Call) and expr.FUNCTIONS[n.func].random for n in expr.walk(node)):
            self.err(path, "random draws are not allowed here")
            return
        if not any(self.derived_over.get(d) for d in expr.names(node)):  # else reported at the derived value
            nodes, depth = self.inlined(node)
            if nodes > MAX_INLINED_NODES or depth > MAX_INLINED_DEPTH:
                self.err(path, self._too_big(nodes, depth))
                return
            self.total_inlined += nodes
            if self.total_inlined > MAX_TOTAL_INLINED and not self.total_reported:
                self.total_reported = True
                self.err(path, f"with the derived values they read written out, the ruleset's expressions have more "
                               f"than {MAX_TOTAL_INLINED} parts in all by here (the limit is {MAX_TOTAL_INLINED})")
        self.trees[path] = node

    def _name_hint(self, name: str) -> str:
        head, _, tail = name.partition(".")
        if head in self.rs.resources and tail:
            return f"write it owner first, e.g. '{tail}.{head}'"
        if tail and head in self.rs.actors:
            owned = [f"{head}.{r}" for r, res in self.rs.resources.items() if head in res.owners]
            hint = expr.did_you_mean(name, owned)
            return hint or (f"{head} owns: {', '.join(owned)}" if owned else f"{head} owns no resources")
        return ""

    @property
    def known_types(self) -> dict[str, Type]:
        return {k: (self.derived_types.get(k, s.type) if s.kind == "derived" else s.type) for k, s in self.symbols.table.items()}

    # -- the checks --
    def run(self) -> None:
        self.meta()
        self.sources()
        self.params()
        self.actors()
        self.resources_and_tracks()
        self.derived()
        self.moves()
        self.flows()
        self.thresholds()
        self.events()
        self.endings()
        self.scores()
        self.doctrines()
        self.intel()  # intelligence block (below)
        self.semantics()

    def meta(self) -> None:
        m = self.rs.ruleset
        if not RULESET_ID_RE.match(m.id):
            self.err("ruleset.id", f"{m.id!r} is not a valid id (ASCII letters, digits, '-' and '_')")
        if m.schema > schema.SCHEMA_VERSION:
            self.err("ruleset.schema", f"written for ruleset format {m.schema}; this engine reads up to {schema.SCHEMA_VERSION}",
                     "upgrade endgame-game")
        elif m.schema < 1:
            self.err("ruleset.schema", "must be 1 or more")
        if m.max_turns < 1 or m.max_turns > 1000:
            self.err("ruleset.max_turns", "must be from 1 to 1000")
        if m.turn_months < 1 or m.turn_months > 12:
            self.err("ruleset.turn_months", "must be from 1 to 12")
        else:
            months = m.start.month - 1 + max(1, min(m.max_turns, 1000)) * m.turn_months
            if m.start.year + months // 12 > LAST_YEAR:
                self.err("ruleset.start", f"{m.start} is too late: the last turn would fall after the year {LAST_YEAR}")
        if not m.phases:
            self.err("ruleset.phases", "needs at least one phase")
        if len(set(m.phases)) != len(m.phases):
            self.err("ruleset.phases", "lists a phase twice")
        for i, p in enumerate(m.phases):
            if not ID_RE.match(p):
                self.err(f"ruleset.phases[{i}]", f"{p!r} is not a valid phase name" + _ID_RULE)

    def source(self, path: str, src: str) -> None:
        if src:
            self.ref(path, src, self.rs.sources, "source")

    def sources(self) -> None:
        for sid, s in self.rs.sources.items():
            if not s.title.strip():
                self.err(f"sources.{sid}.title", "is empty")

    def params(self) -> None:
        for pid, p in self.rs.params.items():
            path = f"params.{pid}"
            if not ID_RE.match(pid):
                self.err(path, f"{pid!r} is not a valid id" + _ID_RULE)
            if p.min is not None and p.max is not None and p.min > p.max:
                self.err(path, f"min {p.min} is above max {p.max}")
            if (p.min is not None and p.value < p.min) or (p.max is not None and p.value > p.max):
                self.err(f"{path}.value", f"{p.value} is outside its own range [{p.min}, {p.max}]")
            self.source(f"{path}.source", p.source)

    def actors(self) -> None:
        if not self.rs.actors:
            self.err("actors", "a ruleset needs at least one actor")
        for aid, a in self.rs.actors.items():
            if not ID_RE.match(aid):
                self.err(f"actors.{aid}", f"{aid!r} is not a valid id" + _ID_RULE)
            if a.action_points < 0 or a.action_points > 20:
                self.err(f"actors.{aid}.action_points", "must be from 0 to 20")
        if not any(a.playable for a in self.rs.actors.values()) and self.rs.actors:
            self.err("actors", "no actor is playable")

    def resources_and_tracks(self) -> None:
        names_seen: dict[str, str] = {}
        for rid, r in self.rs.resources.items():
            path = f"resources.{rid}"
            if not ID_RE.match(rid):
                self.err(path, f"{rid!r} is not a valid id" + _ID_RULE)
            if not r.owners:
                self.err(f"{path}.owners", "needs at least one owner")
            for i, o in enumerate(r.owners):
                self.ref(f"{path}.owners[{i}]", o, self.rs.actors, "actor")
            for o in r.owners:
                if o not in r.initial:
                    self.err(f"{path}.initial", f"has no value for owner {o!r}")
            for k, v in r.initial.items():
                if k not in r.owners:
                    self.err(f"{path}.initial.{k}", f"{k!r} is not an owner of {rid}", expr.did_you_mean(k, r.owners))
                else:
                    self.expression(f"{path}.initial.{k}", v, NUM, allow_random=False)
            if r.min is not None and r.max is not None and r.min > r.max:
                self.err(path, f"min {r.min} is above max {r.max}")
            if r.intel_noise < 0 or r.intel_noise > 5:
                self.err(f"{path}.intel_noise", "must be from 0 to 5")
            self.source(f"{path}.source", r.source)
        for tid, t in self.rs.tracks.items():
            path = f"tracks.{tid}"
            if not ID_RE.match(tid):
                self.err(path, f"{tid!r} is not a valid id" + _ID_RULE)
            if tid in self.rs.actors or tid in ("flags", "params", "taken", "fired", "crossed", "agreed", "pending", "ending"):
                self.err(path, f"{tid!r} is a reserved name")
            names_seen[tid] = path
            if t.min is not None and t.max is not None and t.min > t.max:
                self.err(path, f"min {t.min} is above max {t.max}")
            self.expression(f"{path}.initial", t.initial, NUM, allow_random=False)
            self.source(f"{path}.source", t.source)
        for fid in self.rs.flags:
            if not ID_RE.match(fid):
                self.err(f"flags.{fid}", f"{fid!r} is not a valid id" + _ID_RULE)

    def derived(self) -> None:
        # Parse all first, then type them in dependency order (cycles are errors).
        parsed: dict[str, Node] = {}
        for did, d in self.rs.derived.items():
            path = f"derived.{did}"
            if did in self.symbols.table and self.symbols.table[did].kind != "derived":
                self.err(path, f"{did!r} is already a name of another kind")
                continue
            try:
                parsed[did] = expr.parse(d.value)
            except ExpressionError as e:
                self.err(f"{path}.value", e.message, e.hint)
        # Depth-first in dependency order with an explicit stack: a chain of any length cannot exhaust
        # Python's own (a derived value reading the next, 400 deep, once did).
        state: dict[str, int] = {}
        for root in parsed:
            if state.get(root):
                continue
            state[root] = 1
            trail = [root]
            stack = [iter(expr.names(parsed[root]))]
            cycle = False
            while stack:
                dep = next(stack[-1], None)
                if dep is None:
                    stack.pop()
                    self._type_derived(trail.pop(), parsed)
                    continue
                if dep not in parsed or state.get(dep) == 2:
                    continue
                if state.get(dep) == 1:
                    self.err(f"derived.{trail[-1]}.value", "cycle in derived formulas: " + " → ".join([*trail, dep]))
                    cycle = True
                    break
                state[dep] = 1
                trail.append(dep)
                stack.append(iter(expr.names(parsed[dep])))
            if cycle:
                for n in parsed:
                    if state.get(n) == 1:
                        state[n] = 2
                        self.derived_types.setdefault(n, NUM)
            else:
                state[root] = 2
            for n in trail:
                state[n] = 2
        self.symbols = build_symbols(self.rs, self.derived_types)

    def _type_derived(self, name: str, parsed: dict[str, Node]) -> None:
        """Type one derived value (its dependencies are typed already) and bound its inlined size."""
        node = parsed[name]
        path = f"derived.{name}.value"
        try:
            typ = expr.check_names(node, self.known_types, self._name_hint)
            self.derived_types[name] = typ
            self.derived_trees[name] = node
        except ExpressionError as e:
            self.err(path, e.message, e.hint)
            self.derived_types[name] = NUM
        chain = 1 + max((self.derived_chain.get(d, 0) for d in expr.names(node) if d in parsed), default=0)
        self.derived_chain[name] = min(chain, MAX_DERIVED_DEPTH + 1)
        over_before = any(self.derived_over.get(d) for d in expr.names(node) if d in parsed)
        nodes, depth = self.inlined(node)
        self.derived_size[name] = (nodes, depth)
        over = chain > MAX_DERIVED_DEPTH or nodes > MAX_INLINED_NODES or depth > MAX_INLINED_DEPTH
        self.derived_over[name] = over
        if over and not over_before:  # report the first value over a limit, not every one built on it
            self.err(path, self._too_big(nodes, depth, chain))

    def _too_big(self, nodes: int, depth: int, chain: int = 0) -> str:
        if chain > MAX_DERIVED_DEPTH:
            return (f"derived values read derived values more than {MAX_DERIVED_DEPTH} deep here "
                    f"(the limit is {MAX_DERIVED_DEPTH})")
        if nodes > MAX_INLINED_NODES:
            return (f"with the derived values it reads written out, this has more than {MAX_INLINED_NODES} parts "
                    f"(the limit is {MAX_INLINED_NODES}): read fewer derived values, or each fewer times")
        return (f"with the derived values it reads written out, this is nested {depth} deep "
                f"(the limit is {MAX_INLINED_DEPTH})")

    def inlined(self, node: Node) -> tuple[int, int]:
        """The parts and nesting depth of ``node`` with every derived value it reads written out in full
        (as the compiler inlines them), from the sizes of the derived values already known; capped just
        over the limits, so a bomb's 2**40 is never counted out."""
        nodes, depth = 0, 0
        stack: list[tuple[Node, int]] = [(node, 1)]
        while stack:
            n, d = stack.pop()
            if isinstance(n, expr.Name) and n.name in self.derived_size:
                dn, dd = self.derived_size[n.name]
                nodes += dn
                depth = max(depth, d - 1 + dd)
            else:
                nodes += 1
                depth = max(depth, d)
                stack.extend((c, d + 1) for c in _children(n))
            if nodes > MAX_INLINED_NODES:
                return MAX_INLINED_NODES + 1, depth
        return nodes, depth

    def effect_list(self, path: str, effects: Iterable[schema.Effect]) -> None:
        for i, e in enumerate(effects):
            self.effect(f"{path}[{i}]", e)

    def effect(self, path: str, e: schema.Effect | schema.Flow) -> None:
        sym = self.symbols.table.get(e.target)
        if sym is None or sym.kind not in ("value", "flag"):
            targets = [k for k, s in self.symbols.table.items() if s.kind in ("value", "flag")]
            hint = expr.did_you_mean(e.target, targets) or self._name_hint(e.target)
            self.err(f"{path}.target", f"unknown target {e.target!r}", hint)
            return
        if (e.add is None) == (e.set is None):
            self.err(path, "needs exactly one of 'add' or 'set'")
            return
        if sym.kind == "flag":
            if e.add is not None:
                self.err(f"{path}.add", f"a flag cannot be added to; use set = \"true\" or \"false\" on {e.target}")
                return
            self.flag_setters.add(e.target)
            self.expression(f"{path}.set", e.set, BOOL)
        else:
            self.value_changers.add(e.target)
            key = "add" if e.add is not None else "set"
            self.expression(f"{path}.{key}", e.add if e.add is not None else e.set, NUM)
        self.expression(f"{path}.when", e.when, BOOL)

    def phase(self, path: str, ph: str | None) -> None:
        if ph is None:
            return
        if ph not in self.phases:
            self.err(path, f"unknown phase {ph!r}", expr.did_you_mean(ph, self.phases))
        else:
            self.used_phases.add(ph)

    def unique(self, kind: str, items: Iterable[Any], what: str = "id", optional: bool = True) -> None:
        """Every item's ``id`` is a valid id and appears once (``what`` names it in the message); an empty id
        is left alone where ids are ``optional``."""
        seen: set[str] = set()
        for i, it in enumerate(items):
            if not it.id and optional:
                continue
            if not ID_RE.match(it.id):
                self.err(f"{kind}[{i}].id", f"{it.id!r} is not a valid id" + _ID_RULE)
            if it.id in seen:
                self.err(f"{kind}[{i}].id", f"duplicate {what} {it.id!r}")
            seen.add(it.id)

    def moves(self) -> None:
        self.unique("moves", self.rs.moves)
        ids = {m.id for m in self.rs.moves}
        for i, m in enumerate(self.rs.moves):
            path = f"moves[{i}]"
            self.ref(f"{path}.actor", m.actor, self.rs.actors, "actor")
            if m.kind not in ("action", "proposal"):
                self.err(f"{path}.kind", f"must be 'action' or 'proposal', not {m.kind!r}")
            if m.ap < 0 or m.ap > 20:
                self.err(f"{path}.ap", "must be from 0 to 20")
            self.phase(f"{path}.phase", m.phase or self.rs.ruleset.phases[0] if self.rs.ruleset.phases else None)
            self.expression(f"{path}.requires", m.requires, BOOL)
            for k, v in m.cost.items():
                sym = self.symbols.table.get(k)
                if sym is None or sym.kind != "value":
                    values = [n for n, s in self.symbols.table.items() if s.kind == "value"]
                    self.err(f"{path}.cost.{k}", f"unknown resource {k!r}", expr.did_you_mean(k, values) or self._name_hint(k))
                else:
                    self.value_changers.add(k)
                    self.expression(f"{path}.cost.{k}", v, NUM, allow_random=False)
            self.effect_list(f"{path}.effects", m.effects)
            self.source(f"{path}.source", m.source)
            if m.kind == "proposal":
                if not m.to:
                    self.err(f"{path}.to", "a proposal needs at least one party")
                for j, party in enumerate(m.to):
                    if self.ref(f"{path}.to[{j}]", party, self.rs.actors, "actor"):
                        if party == m.actor:
                            self.err(f"{path}.to[{j}]", "an actor cannot propose to itself")
                        elif not self.rs.actors[party].playable:
                            self.warn(f"{path}.to[{j}]", f"{party} is not playable; only AI agents will answer")
                if m.expires < 1 or m.expires > MAX_EXPIRES:
                    self.err(f"{path}.expires", f"must be from 1 to {MAX_EXPIRES} turns")
                for gen in (*response_ids(m.id), *(negotiation_ids(m.id) if m.terms else ())):
                    if gen in ids:
                        self.err(f"{path}.id", f"the generated response {gen!r} clashes with a move of that id")
                self.terms(path, m)
                self.expression(f"{path}.accept_requires", m.accept_requires, BOOL)
                self.effect_list(f"{path}.on_accept", m.on_accept)
                self.effect_list(f"{path}.on_reject", m.on_reject)
                self.effect_list(f"{path}.on_lapse", m.on_lapse)
            else:
                for key in ("to", "accept_requires", "on_accept", "on_reject", "on_lapse", "terms", "guarantors",
                            "deadline"):
                    if getattr(m, key):
                        self.err(f"{path}.{key}", "only proposals (kind = \"proposal\") take this key")

    def terms(self, path: str, m: schema.Move) -> None:
        """A proposal's negotiable terms, guarantors and deadline (docs/negotiation.md)."""
        actors = list(self.rs.actors)
        for j, g in enumerate(m.guarantors):
            if self.ref(f"{path}.guarantors[{j}]", g, actors, "actor"):
                if g == m.actor or g in m.to:
                    self.err(f"{path}.guarantors[{j}]", f"{g} is already a party to this proposal")
        if m.deadline < 0 or m.deadline > MAX_EXPIRES:
            self.err(f"{path}.deadline", f"must be from 0 (none) to {MAX_EXPIRES} turns")
        if not m.terms:
            if m.guarantors or m.deadline:
                self.err(f"{path}.terms", "guarantors and a deadline need negotiable terms ([[moves.terms]])")
            return
        roles = list(self.rs.actors)
        self.unique(f"{path}.terms", m.terms, "term", optional=False)
        for j, t in enumerate(m.terms):
            tp = f"{path}.terms[{j}]"
            ranged = t.min is not None or t.max is not None or t.step is not None
            if t.options and ranged:
                self.err(tp, "a term has options or a range (min, max, step), not both")
                continue
            if not t.options and not ranged:
                self.err(tp, "a term needs options ([[moves.terms.options]]) or a range (min, max, step)")
                continue
            for a, text in t.appeal.items():
                if self.ref(f"{tp}.appeal.{a}", a, roles, "actor"):
                    self.expression(f"{tp}.appeal.{a}", text, NUM)
            if ranged:
                if t.min is None or t.max is None:
                    self.err(f"{tp}.min" if t.min is None else f"{tp}.max", "a range needs both min and max")
                    continue
                if t.max < t.min:
                    self.err(f"{tp}.max", f"must be at least min ({t.min:g})")
                    continue
                if t.step is not None and t.step <= 0:
                    self.err(f"{tp}.step", "must be more than 0")
                    continue
                step = t.step or (t.max - t.min or 1.0)
                n = (t.max - t.min) / step
                if abs(n - round(n)) > 1e-6:
                    self.err(f"{tp}.step", f"must divide max - min ({t.max - t.min:g}) into whole steps")
                elif n > 1000:
                    self.err(f"{tp}.step", "gives more than 1000 values; take a larger step")
                if t.default:
                    try:
                        d = float(t.default)
                    except ValueError:
                        self.err(f"{tp}.default", f"must be a number of the range, not {t.default!r}")
                    else:
                        k = (d - t.min) / step
                        if not t.min <= d <= t.max or abs(k - round(k)) > 1e-6:
                            self.err(f"{tp}.default", f"must be one of the range's values ({t.min:g} to {t.max:g} in "
                                                      f"steps of {step:g})")
                continue
            if t.appeal:
                self.err(f"{tp}.appeal", "a term with options takes appeal on each option")
            if len(t.options) > MAX_OPTIONS:
                self.err(f"{tp}.options", f"at most {MAX_OPTIONS} options")
            self.unique(f"{tp}.options", t.options, "option", optional=False)
            for o, opt in enumerate(t.options):
                op = f"{tp}.options[{o}]"
                for a, text in opt.appeal.items():
                    if self.ref(f"{op}.appeal.{a}", a, roles, "actor"):
                        self.expression(f"{op}.appeal.{a}", text, NUM)
                self.expression(f"{op}.requires", opt.requires, BOOL)
                self.expression(f"{op}.accept_requires", opt.accept_requires, BOOL)
                if opt.guarantor and self.ref(f"{op}.guarantor", opt.guarantor, actors, "actor"):
                    if opt.guarantor in (m.actor, *m.to):
                        self.err(f"{op}.guarantor", f"{opt.guarantor} is already a party to this proposal")
                self.effect_list(f"{op}.effects", opt.effects)
            oids = {opt.id for opt in t.options}
            if t.default and t.default not in oids:
                self.err(f"{tp}.default", f"unknown option {t.default!r}", expr.did_you_mean(t.default, oids))

    def flows(self) -> None:
        self.unique("flows", self.rs.flows)
        for i, f in enumerate(self.rs.flows):
            path = f"flows[{i}]"
            self.phase(f"{path}.phase", f.phase or self.rs.ruleset.phases[0] if self.rs.ruleset.phases else None)
            self.effect(path, f)
            self.source(f"{path}.source", f.source)

    def thresholds(self) -> None:
        self.unique("thresholds", self.rs.thresholds)
        for i, t in enumerate(self.rs.thresholds):
            path = f"thresholds[{i}]"
            self.phase(f"{path}.phase", t.phase or self._last_phase())
            if t.when is not None and (t.track is not None or t.at is not None):
                self.err(path, "give either 'when' or 'track' with 'at', not both")
            elif t.when is None:
                if t.track is None or t.at is None:
                    self.err(path, "needs 'when', or 'track' with 'at'")
                else:
                    self.ref(f"{path}.track", t.track, self.rs.tracks, "track")
            else:
                self.expression(f"{path}.when", t.when, BOOL)
            self.effect_list(f"{path}.effects", t.effects)
            self.source(f"{path}.source", t.source)

    def _last_phase(self) -> str | None:
        return self.rs.ruleset.phases[-1] if self.rs.ruleset.phases else None

    def events(self) -> None:
        self.unique("events", self.rs.events)
        for i, e in enumerate(self.rs.events):
            path = f"events[{i}]"
            self.phase(f"{path}.phase", e.phase or self._last_phase())
            self.expression(f"{path}.when", e.when, BOOL)
            self.expression(f"{path}.chance", e.chance, NUM)
            self.effect_list(f"{path}.effects", e.effects)
            self.source(f"{path}.source", e.source)

    def endings(self) -> None:
        self.unique("endings", self.rs.endings)
        fallbacks = [i for i, e in enumerate(self.rs.endings) if e.fallback]
        if len(fallbacks) != 1:
            self.err("endings", f"exactly one ending needs fallback = true (found {len(fallbacks)})")
        for i, e in enumerate(self.rs.endings):
            path = f"endings[{i}]"
            if e.when is None and not e.fallback:
                self.err(f"{path}.when", "is missing (only the fallback ending may have no condition)")
            self.expression(f"{path}.when", e.when, BOOL)

    def scores(self) -> None:
        for aid, s in self.rs.scores.items():
            if self.ref(f"scores.{aid}", aid, self.rs.actors, "actor"):
                self.expression(f"scores.{aid}.value", s.value, NUM, allow_random=False)
                self.expression(f"scores.{aid}.win", s.win, BOOL, allow_random=False)
                self.expression(f"scores.{aid}.lose", s.lose, BOOL, allow_random=False)
                self.expression(f"scores.{aid}.outlook", s.outlook, NUM, allow_random=False)
        for aid, a in self.rs.actors.items():
            if a.playable and aid not in self.rs.scores:
                self.err("scores", f"playable actor {aid!r} has no score")

    def doctrines(self) -> None:
        for aid, docs in self.rs.doctrines.items():
            if not self.ref(f"doctrines.{aid}", aid, self.rs.actors, "actor"):
                continue
            own = [s.id for s in self.symbols.moves if s.actor == aid]
            for name, d in docs.items():
                if not d.rules:
                    self.err(f"doctrines.{aid}.{name}.rules", "a doctrine needs at least one rule")
                for i, r in enumerate(d.rules):
                    path = f"doctrines.{aid}.{name}.rules[{i}]"
                    if r.move not in own:
                        self.err(f"{path}.move", f"{aid} has no move {r.move!r}", expr.did_you_mean(r.move, own))
                    if r.weight < 0:
                        self.err(f"{path}.weight", "must be 0 or more")
                    self.expression(f"{path}.when", r.when, BOOL)
                if d.concede < 0:
                    self.err(f"doctrines.{aid}.{name}.concede", "must be 0 or more (score points it gives up for a deal)")
                options = {f"{m.id}.{t.id}.{o.id}" for m in self.rs.moves if m.kind == "proposal"
                           for t in m.terms for o in t.options}
                for key, opts in (("prefer", d.prefer), ("avoid", d.avoid)):
                    for j, opt in enumerate(opts):
                        if opt not in options:
                            self.err(f"doctrines.{aid}.{name}.{key}[{j}]",
                                     f"no option {opt!r} (write <proposal>.<term>.<option>)",
                                     expr.did_you_mean(opt, options))
                terms = {t.id for m in self.rs.moves if m.kind == "proposal" for t in m.terms}
                for j, tid in enumerate(d.firm):
                    if tid not in terms:
                        self.err(f"doctrines.{aid}.{name}.firm[{j}]", f"no proposal has a term {tid!r}",
                                 expr.did_you_mean(tid, terms))

    def semantics(self) -> None:
        """Warnings about things that load but are probably mistakes."""
        for p in self.rs.ruleset.phases:
            if p not in self.used_phases:
                self.warn("ruleset.phases", f"phase {p!r} has no moves, flows, thresholds or events (unreachable)")
        for path, node in self.trees.items():
            if ".requires" not in path and ".accept_requires" not in path:
                continue
            for name in expr.names(node):
                if name.startswith("flags.") and name not in self.flag_setters:
                    initial = self.rs.flags.get(name[6:], schema.Flag()).initial
                    self.warn(path, f"{name} is never set by any effect, so it stays {str(initial).lower()}")
        for rid, r in self.rs.resources.items():
            for o in r.owners:
                name = f"{o}.{rid}"
                if name not in self.value_changers:
                    self.warn(f"resources.{rid}", f"{name} is never changed by any flow, move or event")


    # --- intelligence ([intel]) ---------------------------------------------------------------------
    # (a separate block: the negotiation work edits the move/proposal checks above)

    def intel(self) -> None:
        """``[intel]``: observers and owners exist, qualities and drifts are sane, flows and moves named."""
        it = self.rs.intel
        actors = list(self.rs.actors)
        if not 0 <= it.drift <= 10:
            self.err("intel.drift", f"{it.drift} must be from 0 to 10 (a share of the value's scale per turn)")
        if it.gain is not None and not 0 < it.gain <= 1:
            self.err("intel.gain", f"{it.gain} must be above 0 and at most 1 (1: each estimate is the latest reading)")
        if not 0 < it.assessment <= 10:
            self.err("intel.assessment", f"{it.assessment} must be above 0 and at most 10 (a share of one reading's error)")
        self.source("intel.source", it.source)
        noisy = {f"{o}.{rid}" for rid, r in self.rs.resources.items() for o in r.owners if r.intel_noise > 0}
        for i, r in enumerate(it.rules):
            path = f"intel.rules[{i}]"
            if r.observer != "*" and self.ref(f"{path}.observer", r.observer, actors, "actor"):
                self._observer_warning(f"{path}.observer", r.observer)
            if r.of != "*" and r.of not in self.rs.actors:
                if r.of in self.symbols.values:
                    if r.of not in noisy:
                        self.warn(f"{path}.of", f"{r.of} has no intel_noise: every actor sees it exactly already")
                else:
                    self.err(f"{path}.of", f"unknown actor or value {r.of!r}",
                             expr.did_you_mean(r.of, [*actors, *sorted(noisy)]))
            if r.quality is None and r.drift is None:
                self.err(path, "sets neither quality nor drift")
            if r.quality is not None and not 0 <= r.quality <= 10:
                self.err(f"{path}.quality", f"{r.quality} must be from 0 (seen exactly) to 10")
            if r.drift is not None and not 0 <= r.drift <= 10:
                self.err(f"{path}.drift", f"{r.drift} must be from 0 to 10")
            if r.observer != "*" and r.observer == r.of:
                self.warn(path, "an actor always sees its own values exactly; this rule changes nothing")
            self.source(f"{path}.source", r.source)
        flows = [f.id for f in self.rs.flows if f.id]
        for fid, who in it.flows.items():
            if self.ref(f"intel.flows.{fid}", fid, flows, "flow") and self.ref(f"intel.flows.{fid}", who, actors, "actor"):
                self._observer_warning(f"intel.flows.{fid}", who)
        sources = [*flows, *(m.id for m in self.rs.moves)]
        for i, sid in enumerate(it.exact_effects):
            self.ref(f"intel.exact_effects[{i}]", sid, sources, "move or flow")

    def _observer_warning(self, path: str, actor: str) -> None:
        a = self.rs.actors[actor]
        if not a.playable and not any(m.actor == actor for m in self.rs.moves):
            self.warn(path, f"{actor} has no moves and is not playable: it keeps no estimates and gets no reports")


def _children(n: Node) -> tuple[Node, ...]:
    if isinstance(n, expr.Unary):
        return (n.operand,)
    if isinstance(n, expr.Bin):
        return (n.left, n.right)
    if isinstance(n, expr.BoolOp | expr.Call):
        return n.values if isinstance(n, expr.BoolOp) else n.args
    if isinstance(n, expr.Compare):
        return (n.left, *n.rights)
    if isinstance(n, expr.IfExp):
        return (n.test, n.body, n.orelse)
    return ()


_BOUNDARY = re.compile(r"[.\[]")


def _under(path: str, prefixes: set[str]) -> bool:
    """Whether ``path`` is one of ``prefixes`` or lies under one (``a.b[2].c`` lies under ``a.b``):
    a lookup per prefix of the path, not a scan of the set."""
    if path in prefixes:
        return True
    return any(path[: m.start()] in prefixes for m in _BOUNDARY.finditer(path))


def check(rs: schema.Ruleset, raw: RawRuleset, earlier: Iterable[Issue] = (), repaired: Iterable[str] = ()) -> Checked:
    """Check a structured ruleset and return it with every expression parsed, and every issue found.

    Args:
        earlier: issues found while reading and structuring, reported first.
        repaired: key paths replaced by placeholders while structuring; issues under them are
            consequences of an issue already reported, and are left out.
    """
    c = _Checker(rs, raw)
    c.run()
    skip = set(repaired)
    own = [i for i in c.issues if not (skip and _under(i.path, skip))]
    c.issues = [*earlier, *own]
    trees = dict(c.trees)
    for name, node in c.derived_trees.items():
        trees[f"derived.{name}"] = node
    return Checked(rs, c.symbols, trees, tuple(c.issues), raw.files)
