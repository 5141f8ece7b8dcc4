"""The main screen: one role's dashboard and orders.

Left: own resources with trends, other actors as estimates, the tracks. Right: tabs for orders
(moves with cost and reason, the detail of the highlighted move, the queue), the diplomacy inbox and
the news. The app sets ``role`` and calls ``refresh_view``; the screen posts ``OrdersConfirmed`` up.
"""

from __future__ import annotations

from typing import TypeVar, cast

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.css.query import NoMatches
from textual.events import Resize
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Label, Static, TabbedContent, TabPane

from endgame_game.engine.orders import Refusal
from endgame_game.errors import OrderError
from endgame_game.report import stakes
from endgame_game.tui import view
from endgame_game.tui.messages import MoveChosen, MoveHighlighted, OrdersConfirmed
from endgame_game.tui.screens.dialogs import ConfirmDialog
from endgame_game.tui.session import Session
from endgame_game.tui.widgets.calendar import CalendarBar
from endgame_game.tui.widgets.inbox import InboxPanel
from endgame_game.tui.widgets.move_list import MoveDetail, MoveList
from endgame_game.tui.widgets.news_feed import NewsFeed
from endgame_game.tui.widgets.order_queue import OrderQueue
from endgame_game.tui.widgets.resource_panel import IntelPanel, ResourcePanel
from endgame_game.tui.widgets.stakes_panel import BreakingPoints
from endgame_game.tui.widgets.track_ladder import TrackLadder

W = TypeVar("W", bound=Widget)


class GameScreen(Screen[None]):
    """One human role's turn."""

    BINDINGS = [
        Binding("e", "end_turn", "End turn"),
        Binding("backspace,z", "undo", "Undo"),
        Binding("x", "clear_orders", "Clear", show=False),
        Binding("o", "tab('tab-orders')", "Orders", show=False),
        Binding("i", "tab('tab-inbox')", "Inbox"),
        Binding("n", "tab('tab-news')", "News"),
        Binding("d", "details", "Details"),
        Binding("g", "stakes", "Endings"),
        Binding("h", "history", "History"),
        Binding("b", "briefing", "Briefing"),
        Binding("s", "app.save", "Save"),
        Binding("u", "app.umpire", "Umpire"),
        Binding("c", "offer", "Offer", show=False),  # named in the inbox ("c: compose")
    ]

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session
        self.role: str = session.current_role or (session.humans[0] if session.humans else session.model.actors[0])
        self._moves: dict[str, view.MoveView] = {}
        self._widgets: dict[str, Widget] = {}

    def compose(self) -> ComposeResult:
        yield CalendarBar(id="calendar")
        with Horizontal(id="main"):
            with VerticalScroll(id="left"):
                yield Label("Breaking points (g: all endings)", classes="section", id="breaking-label")
                yield BreakingPoints(id="breaking")
                yield Label("Your resources", classes="section")
                yield ResourcePanel(id="own")
                yield TrackLadder(ladders=True, id="ladders")
                yield Label("Others (intelligence estimates)", classes="section")
                yield IntelPanel(id="intel")
                yield Label("Other tracks", classes="section", id="gauges-label")
                yield TrackLadder(ladders=False, id="gauges")
                yield Label("Latest news", classes="section wide-only")
                yield NewsFeed(id="news-side", classes="wide-only")
            with TabbedContent(id="right", initial="tab-orders"):
                with TabPane("Orders", id="tab-orders"):
                    with Vertical(id="orders"):
                        yield Static("", id="guide", markup=False)
                        yield MoveList(id="moves")
                        with VerticalScroll(id="move-detail-scroll", can_focus=True):
                            yield MoveDetail(id="move-detail")
                        yield OrderQueue(id="queue")
                with TabPane("Inbox", id="tab-inbox"):
                    with VerticalScroll():
                        yield InboxPanel(id="inbox")
                with TabPane("News", id="tab-news"):
                    with VerticalScroll():
                        yield NewsFeed(id="news")
        yield Footer()

    def on_mount(self) -> None:
        self.refresh_view()
        for ml in self.query(MoveList).results(MoveList):
            ml.focus()

    def on_resize(self, event: Resize) -> None:
        wide = event.size.width >= 110 and event.size.height >= 34
        if wide != self.has_class("-wide"):
            self.set_class(wide, "-wide")
            self.refresh_view()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("umpire", "app.umpire"):
            return self.app.check_action("umpire", parameters)  # hidden while the umpire lock is on
        return True

    # -- state --
    @property
    def queue(self) -> list[str]:
        """The role's orders this turn, in the order given: the game's own (a loaded save's included)."""
        return self.session.game.orders_of(self.role)

    def set_role(self, role: str) -> None:
        """Show ``role``'s dashboard (hot-seat: called behind the handover screen)."""
        self.role = role
        if self.is_mounted:
            self.refresh_view()
            self.query_one(TabbedContent).active = "tab-orders"

    def _one(self, selector: str | type[W], expect: type[W] | None = None) -> W:
        """``query_one``, remembered: the dashboard's widgets live as long as the screen."""
        key = selector if isinstance(selector, str) else selector.__name__
        w = self._widgets.get(key)
        if w is None:
            w = self._widgets[key] = (self.query_one(selector, expect) if isinstance(selector, str) and expect
                                      else self.query_one(selector))
        return cast(W, w)

    def refresh_view(self) -> None:
        """Re-read the game for the current role and update every widget."""
        try:
            self._one(BreakingPoints)
        except NoMatches:
            return  # taken down before it was drawn (a finished game goes straight to its ending)
        s, role = self.session, self.role
        game, model = s.game, s.model
        name = view.actor_name(model, role)
        ap_total = int(model.action_points[model.actor_index[role]])
        left = view.ap_left(game, role, self.queue)
        extra = "UMPIRE" if s.umpire else ""
        if s.hotseat:
            extra = (extra + " · " if extra else "") + "hot-seat"
        self._one(CalendarBar).show(view.calendar(game), name, model.meta.title, extra)
        gauges = stakes.key_gauges(game, role)
        self._one(BreakingPoints).show(gauges, name)
        self._one("#breaking-label", Widget).display = self._one(BreakingPoints).display
        self._show_guide([BreakingPoints.short_label(g, name) for g in gauges])
        self._one(ResourcePanel).show(view.own_rows(game, role))
        self._one(IntelPanel).show(view.intel_rows(game, role))
        tracks = view.tracks(game)
        for ladder in (self._one("#ladders", TrackLadder), self._one("#gauges", TrackLadder)):
            ladder.show(tracks, compact=not self.has_class("-wide"))
        self._one("#gauges-label", Widget).display = self._one("#gauges", Widget).display
        mv = view.moves(game, role, self.queue)
        self._moves = {m.id: m for m in mv}
        self._one(MoveList).show(mv)
        ml = self._one(MoveList)
        hi = ml.highlighted_option.id if ml.highlighted_option is not None else None
        self._show_detail(hi)
        labels = [self.order_label(q) for q in self.queue]
        self._one(OrderQueue).show(labels, left, ap_total)
        box = view.inbox(game, role)
        self._one(InboxPanel).show(box)
        tabs = self._one(TabbedContent)
        tabs.get_tab("tab-inbox").label = f"Inbox ({len(box.to_answer)})" if box.to_answer else "Inbox"
        news = view.news(game, role, turns=6 if self.has_class("-wide") else 3)
        for feed in (self._one("#news", NewsFeed), self._one("#news-side", NewsFeed)):
            feed.show(news if feed.id == "news" else news[:12])

    # -- the guided game --
    POINTS = {"breaking": "#breaking", "resources": "#own", "intel": "#intel", "tracks": "#ladders",
              "moves": "#moves", "detail": "#move-detail-scroll", "queue": "#queue"}
    """A guide step's ``point`` → the widget it highlights (the inbox and the news: their tabs)."""

    def _show_guide(self, glance: list[str]) -> None:
        s = self.session
        tip = view.guide_tip(s.game, self.role, glance) if s.guided else view.GuideTip("")
        box = self._one("#guide", Static)
        box.update(tip.text)
        box.display = bool(tip.text)
        if tip.error and not getattr(self, "_guide_error_told", False):
            self._guide_error_told = True
            self.notify(tip.error, title="The guide file has errors: the generic guide is shown", severity="error",
                        timeout=15)
        pointed: Widget | None = None
        if tip.point in ("inbox", "news"):
            pointed = self._one(TabbedContent).get_tab(f"tab-{tip.point}")
        elif tip.point in self.POINTS:
            pointed = self._one(self.POINTS[tip.point], Widget)
        before = getattr(self, "_pointed", None)
        if before is not pointed:  # the dashboard redraws on every order: only a change touches the classes
            if before is not None:
                before.remove_class("guide-point")
            if pointed is not None:
                pointed.add_class("guide-point")
            self._pointed = pointed

    # -- orders --
    @on(MoveHighlighted)
    def _highlight(self, event: MoveHighlighted) -> None:
        self._show_detail(event.move_id)

    def _show_detail(self, move_id: str | None) -> None:
        self._one(MoveDetail).show(self._moves.get(move_id or ""),
                                   view.proposal_terms(self.session.game, move_id) if move_id else [])
        self._one("#move-detail-scroll", VerticalScroll).scroll_home(animate=False)

    def highlighted_move(self) -> str | None:
        ml = self.query_one(MoveList)
        return ml.highlighted_option.id if ml.highlighted_option is not None else None

    def action_details(self) -> None:
        """The highlighted move in full, on its own screen (o there orders it)."""
        from endgame_game.tui.screens.details import MoveDetailsScreen

        move_id = self.highlighted_move()
        if move_id is None or move_id not in self._moves:
            self.notify("No move highlighted.")
            return

        def done(order: bool | None) -> None:
            if order:
                self.add_order(move_id)
            self.focus_moves()

        self.app.push_screen(MoveDetailsScreen(self._moves[move_id], view.proposal_terms(self.session.game, move_id)),
                             done)

    def action_stakes(self) -> None:
        from endgame_game.tui.screens.stakes import StakesScreen

        self.app.push_screen(StakesScreen(self.session.game, self.role))

    def action_history(self) -> None:
        from endgame_game.tui.screens.history import HistoryScreen

        self.app.push_screen(HistoryScreen(self.session.game, self.role))

    @on(MoveChosen)
    def _choose(self, event: MoveChosen) -> None:
        self.add_order(event.move_id)

    def add_order(self, move_id: str) -> bool:
        """Queue a move; an unavailable move shows its reason and changes nothing."""
        game = self.session.game
        if move_id in self.queue:
            self.notify("Already in this turn's orders (⌫ removes the last one).", severity="warning")
            return False
        label = self._moves[move_id].label if move_id in self._moves else move_id
        why = view.readable_refusal(self.session.model, game.refusal(move_id, actor=self.role))
        if why is not None:
            self.notify(f"{label}: {why}", title="Not available", severity="error")
            return False
        try:
            game.set_orders(self.role, [*self.queue, move_id])
        except OrderError as e:
            typed = e.refusal if isinstance(e.refusal, Refusal) else None
            self.notify(f"{label}: {view.readable_refusal(self.session.model, typed) or e.reason}",
                        title="Not available", severity="error")
            return False
        self.refresh_view()
        return True

    def action_undo(self) -> None:
        queue = self.queue
        if not queue:
            self.notify("No orders to undo.")
            return
        self.session.game.set_orders(self.role, queue[:-1], validate=False)  # a subset of valid orders
        self.refresh_view()

    def action_clear_orders(self) -> None:
        self.session.game.set_orders(self.role, [])
        self.refresh_view()

    def action_end_turn(self) -> None:
        labels = [self.order_label(q) for q in self.queue]
        left = view.ap_left(self.session.game, self.role, self.queue)
        body = ("Orders:\n" + "\n".join(f"  • {x}" for x in labels)) if labels else "No orders: you pass this turn."
        if left > 0:
            body += f"\n\n{left} action point(s) unused."

        def done(ok: bool | None) -> None:
            if ok:
                self.post_message(OrdersConfirmed(self.role))

        self.app.push_screen(ConfirmDialog(f"End {view.actor_name(self.session.model, self.role)}'s turn?",
                                           body, yes="End turn"), done)

    def action_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab
        if tab == "tab-orders":
            self.query_one(MoveList).focus()
        else:
            self.query_one(f"#{tab} VerticalScroll").focus()  # arrows and PgUp/PgDn scroll it

    def action_briefing(self) -> None:
        from endgame_game.tui.screens.briefing import BriefingScreen

        self.app.push_screen(BriefingScreen(self.session.model, self.role))

    def focus_moves(self) -> None:
        if self.is_mounted:
            self.query_one(TabbedContent).active = "tab-orders"
            self.query_one(MoveList).focus()

    # -- negotiation (docs/negotiation.md) --
    def order_label(self, order: str) -> str:
        """An order in words: the move's label, and an offer's terms (``Counter: … — line=current``)."""
        from endgame_game.engine.negotiation import split_order

        mid, terms = split_order(order)
        label = self._moves[mid].label if mid in self._moves else mid
        return label + (f" — {', '.join(f'{k}={v}' for k, v in terms.items())}" if terms else "")

    def action_offer(self) -> None:
        """Compose an offer: for the highlighted proposal or answer, else the first negotiation open to
        this role (an offer to counter first, then a proposal it may make)."""
        from endgame_game.tui.screens.offer import offer_target

        ml = self.query_one(MoveList)
        hi = ml.highlighted_option.id if ml.highlighted_option is not None else None
        target, why = offer_target(self.session.game, self.role, hi)
        if target is None:
            self.notify(why, title="No offer to make", severity="warning")
            return
        self.open_offer(target)

    def open_offer(self, move_id: str) -> None:
        """Open the compose screen for ``move_id`` (a proposal with terms, or ``counter_<id>``); the offer
        composed replaces any earlier one for the same negotiation in this turn's orders."""
        from endgame_game.tui.screens.offer import OfferScreen, replace_offer

        s = self.session
        name = view.actor_name(s.model, self.role)

        def note(text: str) -> None:
            s.game.note(f"{name}, on {s.model.labels.get(move_id, move_id)}: {text}")

        def done(order: str | None) -> None:
            if order is None:
                return
            try:
                s.game.set_orders(self.role, replace_offer(s.model, self.queue, order))
            except OrderError as e:
                typed = e.refusal if isinstance(e.refusal, Refusal) else None
                self.notify(view.readable_refusal(s.model, typed) or e.reason, title="Not available", severity="error")
                return
            self.refresh_view()

        self.app.push_screen(OfferScreen(s.game, self.role, move_id, hotseat=s.hotseat, note=note), done)
