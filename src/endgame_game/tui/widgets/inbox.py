"""Diplomacy inbox: proposals to answer (the answers are moves in the orders list), own proposals
waiting, agreements in force; and for negotiations with terms, each offer on the table with its
terms, its history of counters, how each party is likely to view it (your estimate, from what you
observe: never the true values), and your answers, with the reason and what would unlock one that
is not available."""

from __future__ import annotations

from rich.console import Group
from rich.text import Text
from textual.widgets import Static

from endgame_game.engine.api import Game
from endgame_game.engine.log import ProposalRecord
from endgame_game.engine.negotiation import CNegotiation, offer_text
from endgame_game.tui.view import Inbox

STATUS = {1: "agreed", 2: "rejected", 3: "lapsed", 4: "withdrawn"}


def negotiation_lines(game: Game, role: str) -> list[Text]:
    """The negotiations ``role`` takes part in that are open, or settled last turn."""
    from endgame_game.ai.bargain import view_words, views

    m = game.model
    st = game.state
    a = m.actor_index[role]
    out: list[Text] = []
    obs = None
    for neg in m.negotiation:
        if a not in neg.answerers:
            continue
        made = int(st.pending[0, neg.q])
        history = _history(game, neg)
        if made < 0 and not (history and history[-1].turn >= st.turn - 1 and int(st.status[0, neg.n]) > 0):
            continue
        label = m.proposals[neg.q].label
        by = int(st.offer_by[0, neg.n])
        who = m.ruleset.actors[m.actors[by]].name if by >= 0 else "?"
        if made < 0:
            out.append(Text(f"◦ {label}: {STATUS.get(int(st.status[0, neg.n]), 'closed')} "
                            f"(last offer by {who})", style="dim"))
            continue
        head = Text(f"◆ {label}", style="bold")
        head.append(f" — {who}'s offer, round {int(st.rounds[0, neg.n]) + 1}, made turn {made}")
        out.append(head)
        out.append(Text("    " + offer_text(neg, st, 0)))
        if len(history) > 1:
            steps = " → ".join(f"{r.status} by {r.actor or '?'} (t{r.turn})" for r in history[-4:] if r.actor)
            out.append(Text(f"    history: {steps}", style="dim"))
        if obs is None:
            obs = game.observe(role)
        est = [f"{m.ruleset.actors[x].name}: {view_words(v)}" for x, v in
               views(m, obs, neg, st.terms[0, neg.cols]) if x != m.actors[by]]
        if est:
            out.append(Text("    they may view it (your estimate): " + "; ".join(est), style="italic"))
        out.append(_answers(game, role, neg, made))
    return out


def _history(game: Game, neg: CNegotiation) -> list[ProposalRecord]:
    recs = [r for r in game.records(0) if isinstance(r, ProposalRecord) and r.proposal == neg.move]
    start = max((i for i, r in enumerate(recs) if r.status == "made"), default=0)
    return recs[start:]


def _answers(game: Game, role: str, neg: CNegotiation, made: int) -> Text:
    from endgame_game.tui.view import readable_refusal

    m = game.model
    if made >= game.turn:
        return Text("    answerable from next turn", style="dim")
    parts = Text("    ")
    for verb, mid in (("Accept", f"accept_{neg.move}"), ("Counter", f"counter_{neg.move}"),
                      ("Reject", f"reject_{neg.move}"), ("Withdraw", f"withdraw_{neg.move}")):
        if mid not in {m.moves[s].id for s in m.moves_of[m.actor_index[role]]}:
            continue
        why = game.refusal(mid, actor=role)
        if why is None:
            key = " (c: compose)" if verb == "Counter" else " (Orders tab)"
            parts.append(f"{verb} ✓{key}  ", style="green")
        elif verb == "Accept" and why.kind in ("cannot_accept", "term_cannot_accept"):
            parts.append(f"Accept ✗ {readable_refusal(m, why)}  ", style="red")
    return parts


class InboxPanel(Static):
    def show(self, box: Inbox) -> None:
        game, role = _session_of(self)
        talks = negotiation_lines(game, role) if game is not None and role else []
        plain = [x for x in box.to_answer if not _negotiable(game, x)] if game is not None else list(box.to_answer)
        parts: list[Text] = [Text("To answer", style="bold underline")]
        parts += [Text(f"• {x}") for x in plain] or ([] if talks else [Text("  nothing waiting", style="dim")])
        if plain:
            parts.append(Text("  (answer with Accept/Reject in the Orders tab)", style="dim"))
        if talks:
            parts.append(Text("Negotiations", style="bold underline"))
            parts += talks
        parts.append(Text("Your proposals waiting", style="bold underline"))
        parts += [Text(f"• {x}") for x in box.waiting] or [Text("  none", style="dim")]
        parts.append(Text("Agreements in force", style="bold underline"))
        parts += [Text(f"✓ {x}", style="green") for x in box.agreed] or [Text("  none", style="dim")]
        self.update(Group(*parts))


def _session_of(widget: Static) -> tuple[Game | None, str | None]:
    """The game and role of the screen showing the inbox (the game screen has both)."""
    try:
        screen = widget.screen
    except Exception:  # not mounted yet
        return None, None
    session = getattr(screen, "session", None)
    return (getattr(session, "game", None), getattr(screen, "role", None))


def _negotiable(game: Game | None, line: str) -> bool:
    """Whether an inbox line (``view.inbox``) is about a proposal with terms (shown under Negotiations)."""
    if game is None:
        return False
    labels = [game.model.proposals[n.q].label for n in game.model.negotiation]
    return any(f": {label} (" in line for label in labels)
