"""The seat app: the Textual app of one seat in a hosted game (``endgame join HOST CODE``).

A team seat shows the same dashboard as the local app (the same widgets, fed with the view rows the
host sends: own values exact, the others as estimates) and sends its orders to the host, which
checks them as the local app does; the umpire seat shows the true values, gauges, scores and flags
with inject / adjust / flag / pause; an observer sees the public record. When the connection drops
the app reconnects with the same code and resumes where the host is.
"""

from __future__ import annotations

import abc
import asyncio
import time
from typing import Any

from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message_pump import _MessagePumpMeta  # a screen's metaclass, to add abstract methods to
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, Label, Markdown, Static, TabbedContent, TabPane

from endgame_game.net import views
from endgame_game.net.client import SeatClient
from endgame_game.net.protocol import ProtocolError
from endgame_game.tui import view as tv
from endgame_game.tui.messages import MoveChosen, MoveHighlighted
from endgame_game.tui.screens.dialogs import AdjustDialog, ChoiceDialog, ConfirmDialog, TextDialog
from endgame_game.tui.widgets.calendar import CalendarBar
from endgame_game.tui.widgets.countdown import Countdown
from endgame_game.tui.widgets.inbox import InboxPanel
from endgame_game.tui.widgets.move_list import MoveDetail, MoveList
from endgame_game.tui.widgets.news_feed import NewsFeed
from endgame_game.tui.widgets.order_queue import OrderQueue
from endgame_game.tui.widgets.resource_panel import IntelPanel, ResourcePanel
from endgame_game.tui.widgets.track_ladder import TrackLadder

RETRY_SECONDS = 2.0
"""Between two attempts to reconnect after the connection dropped."""
FATAL = {"bad_code", "version", "full", "hello_first"}
"""Refusals of the hello that another attempt cannot fix."""


def status_line(v: dict[str, Any]) -> str:
    if v.get("done"):
        return f"The game has ended: {v.get('ending') or 'over'}"
    waiting = v.get("waiting") or []
    return ("Waiting for: " + ", ".join(waiting)) if waiting else "Resolving the turn…"


class _SeatMeta(abc.ABCMeta, _MessagePumpMeta):
    """Textual's screen metaclass with abstract methods, so a seat screen without ``show`` cannot be made."""


class SeatScreen(Screen[None], metaclass=_SeatMeta):
    """Base of the three seat screens: ``show(view)`` redraws from the host's view."""

    @abc.abstractmethod
    def show(self, v: dict[str, Any]) -> None:
        """Redraw from the host's latest view of this seat."""

    def on_mount(self) -> None:
        app = self.app
        if isinstance(app, SeatApp):
            app.call_after_refresh(app.show_last)


class CodeScreen(Screen[None]):
    """Asks for the join code (a browser tab, or ``endgame join HOST`` without one)."""

    def __init__(self, url: str) -> None:
        super().__init__()
        self.url = url

    def compose(self) -> ComposeResult:
        with Vertical(id="handover"):
            yield Static("Join a hosted game", id="handover-title")
            yield Label(f"Host: {self.url}", classes="dim")
            yield Input(placeholder="your join code, e.g. kyiv-Ab3dE9fG", id="code")
            yield Button("Join", variant="primary", id="join")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#code", Input).focus()

    def _go(self) -> None:
        code = self.query_one("#code", Input).value.strip()
        if code:
            app = self.app
            assert isinstance(app, SeatApp)
            app.start(code)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._go()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self._go()


class TeamScreen(SeatScreen):
    """A team's dashboard and orders, as in the local app."""

    BINDINGS = [
        Binding("e", "end_turn", "End turn"),
        Binding("backspace,z", "undo", "Undo"),
        Binding("x", "clear_orders", "Clear", show=False),
        Binding("o", "tab('tab-orders')", "Orders", show=False),
        Binding("i", "tab('tab-inbox')", "Inbox"),
        Binding("n", "tab('tab-news')", "News"),
        Binding("b", "briefing", "Briefing"),
    ]

    def __init__(self, briefing: str = "") -> None:
        super().__init__()
        self.briefing = briefing
        self.v: dict[str, Any] = {}
        self._moves: dict[str, tv.MoveView] = {}

    def compose(self) -> ComposeResult:
        yield CalendarBar(id="calendar")
        with Horizontal(id="main"):
            with VerticalScroll(id="left"):
                yield Label("Your resources", classes="section")
                yield ResourcePanel(id="own")
                yield TrackLadder(ladders=True, id="ladders")
                yield Label("Others (intelligence estimates)", classes="section")
                yield IntelPanel(id="intel")
            with TabbedContent(id="right", initial="tab-orders"):
                with TabPane("Orders", id="tab-orders"):
                    with Vertical(id="orders"):
                        yield MoveList(id="moves")
                        yield MoveDetail(id="move-detail")
                        yield OrderQueue(id="queue")
                with TabPane("Inbox", id="tab-inbox"):
                    with VerticalScroll():
                        yield InboxPanel(id="inbox")
                with TabPane("News", id="tab-news"):
                    with VerticalScroll():
                        yield NewsFeed(id="news")
        yield Countdown(id="seat-status")
        yield Footer()

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one(MoveList).focus()

    @property
    def queue(self) -> list[str]:
        return list(self.v.get("queue", []))

    def show(self, v: dict[str, Any]) -> None:
        self.v = v
        extra = "network seat" + (" · turn ended, waiting" if v.get("confirmed") and not v.get("done") else "")
        self.query_one(CalendarBar).show(v["calendar"], v["name"], v["title"], extra)
        self.query_one(ResourcePanel).show(views.rows(v["own"]))
        self.query_one(IntelPanel).show([(name, views.rows(rs)) for name, rs in v["intel"]])
        self.query_one(TrackLadder).show(views.tracks(v["tracks"]), compact=True)
        mv = views.moves(v["moves"])
        self._moves = {m.id: m for m in mv}
        ml = self.query_one(MoveList)
        ml.show(mv)
        hi = ml.highlighted_option.id if ml.highlighted_option is not None else None
        self.query_one(MoveDetail).show(self._moves.get(hi or ""))
        labels = [self._moves[q].label if q in self._moves else q for q in self.queue]
        self.query_one(OrderQueue).show(labels, int(v["ap_left"]), int(v["ap_total"]))
        box = views.inbox(v["inbox"])
        self.query_one(InboxPanel).show(box)
        self.query_one(TabbedContent).get_tab("tab-inbox").label = (
            f"Inbox ({len(box.to_answer)})" if box.to_answer else "Inbox")
        self.query_one(NewsFeed).show(v["news"])
        _status(self.query_one(Countdown), v)

    @on(MoveHighlighted)
    def _highlight(self, event: MoveHighlighted) -> None:
        self.query_one(MoveDetail).show(self._moves.get(event.move_id or ""))

    @on(MoveChosen)
    def _choose(self, event: MoveChosen) -> None:
        m = self._moves.get(event.move_id)
        if event.move_id in self.queue:
            self.notify("Already in this turn's orders (⌫ removes the last one).", severity="warning")
        elif m is not None and m.reason is not None:
            self.notify(f"{m.label}: {m.reason}", title="Not available", severity="error")
        else:
            self._send_orders([*self.queue, event.move_id])

    def _send_orders(self, orders: list[str]) -> None:
        app = self.app
        assert isinstance(app, SeatApp)
        app.send("orders", orders=orders)

    def action_undo(self) -> None:
        if self.queue:
            self._send_orders(self.queue[:-1])

    def action_clear_orders(self) -> None:
        self._send_orders([])

    def action_end_turn(self) -> None:
        labels = [self._moves[q].label if q in self._moves else q for q in self.queue]
        body = ("Orders:\n" + "\n".join(f"  • {x}" for x in labels)) if labels else "No orders: you pass this turn."

        def done(ok: bool | None) -> None:
            app = self.app
            if ok and isinstance(app, SeatApp):
                app.send("end_turn")

        self.app.push_screen(ConfirmDialog(f"End {self.v.get('name', '')}'s turn?", body, yes="End turn"), done)

    def action_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab

    def action_briefing(self) -> None:
        self.app.push_screen(TextScreen(f"{self.v.get('name', '')} — briefing", self.briefing or "No briefing."))


def _status(widget: Countdown, v: dict[str, Any], since: float = 0.0) -> None:
    """The status line: who is awaited and the turn timer, ``since`` seconds after the view came."""
    left = v.get("deadline")
    line = status_line(v)
    if left is not None and not v.get("paused"):
        left = max(0.0, float(left) - since)
    if left is None:
        widget.update(Text(line, style="dim"))
    else:
        widget.show(float(left), "", line, paused=bool(v.get("paused")))


class TextScreen(Screen[None]):
    BINDINGS = [Binding("enter,escape,space", "close", "Back")]

    def __init__(self, title: str, text: str) -> None:
        super().__init__()
        self.title_text, self.text = title, text

    def compose(self) -> ComposeResult:
        with Vertical(id="briefing"):
            yield Label(self.title_text, classes="screen-title")
            with VerticalScroll(id="briefing-body"):
                yield Markdown(self.text)
        yield Footer()

    def action_close(self) -> None:
        self.dismiss(None)


class ObserverScreen(SeatScreen):
    """The public record: calendar, tracks, news."""

    def compose(self) -> ComposeResult:
        yield CalendarBar(id="calendar")
        with Horizontal(id="main"):
            with VerticalScroll(id="left"):
                yield TrackLadder(ladders=True, id="ladders")
            with VerticalScroll(id="right"):
                yield NewsFeed(id="news")
        yield Countdown(id="seat-status")
        yield Footer()

    def show(self, v: dict[str, Any]) -> None:
        self.query_one(CalendarBar).show(v["calendar"], "Observer", v["title"], "public view")
        self.query_one(TrackLadder).show(views.tracks(v["tracks"]), compact=True)
        self.query_one(NewsFeed).show(v["news"])
        _status(self.query_one(Countdown), v)


class UmpireSeatScreen(SeatScreen):
    """The umpire console of a hosted game."""

    BINDINGS = [
        Binding("j", "inject", "Inject event"),
        Binding("a", "adjust", "Adjust value"),
        Binding("f", "flag", "Set flag"),
        Binding("p", "pause", "Pause"),
        Binding("r", "resume", "Resume"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.v: dict[str, Any] = {}

    def compose(self) -> ComposeResult:
        yield CalendarBar(id="calendar")
        with Horizontal(id="umpire-main"):
            with VerticalScroll(id="umpire-values"):
                yield Static(id="true-values")
            with VerticalScroll(id="umpire-log"):
                yield Static(id="umpire-actions")
        yield Countdown(id="seat-status")
        yield Footer()

    def show(self, v: dict[str, Any]) -> None:
        self.v = v
        self.query_one(CalendarBar).show(v["calendar"], "Umpire", v["title"], "true values")
        t = Table.grid(padding=(0, 1), expand=True)
        t.add_column(ratio=3, no_wrap=True, overflow="ellipsis")
        t.add_column(justify="right", no_wrap=True)
        t.add_column(ratio=2, no_wrap=True, overflow="ellipsis")
        for name, rs in v["true"]:
            t.add_row(Text(name, style="bold underline"), "", "")
            for r in views.rows(rs):
                t.add_row("  " + r.label, Text(r.text, style="bold"), Text(r.unit, style="dim"))
        for head, items in (("Scores (live)", [(n, tv.num(x), "") for n, x in v["scores"]]),
                            ("Derived gauges", [(d, "n/a" if x is None else tv.num(x), doc if doc != d else "")
                                                for d, doc, x in v["derived"]]),
                            ("Flags", [(label, "yes" if is_set else "no", f if f != label else "")
                                       for f, label, is_set in v["flags"]])):
            if items:
                t.add_row(Text(head, style="bold underline"), "", "")
                for a, b, c in items:
                    t.add_row("  " + a, Text(b, style="bold"), Text(c, style="dim"))
        self.query_one("#true-values", Static).update(t)
        acts = Text("This turn's umpire actions\n", style="bold")
        for a in v["umpire"]:
            val = "" if a.get("value") is None else f" = {a['value']:.4g}"
            acts.append(f"• {a['action']} {a.get('target', '')}{val}: {a.get('reason', '')}\n")
        if not v["umpire"]:
            acts.append("none yet\n", style="dim")
        acts.append("\nOrders in this turn so far\n", style="bold")
        for actor, o in v["orders"].items():
            acts.append(f"• {actor}: {', '.join(o)}\n")
        if v.get("seats"):
            acts.append("\nConnected: " + ", ".join(v["seats"]) + "\n", style="dim")
        if v.get("refused"):
            acts.append("\nRefused messages: " + ", ".join(f"{k} {n}" for k, n in sorted(v["refused"].items()))
                        + "\n", style="dim")
        self.query_one("#umpire-actions", Static).update(acts)
        _status(self.query_one(Countdown), v)

    def _umpire(self, **fields: Any) -> None:
        app = self.app
        assert isinstance(app, SeatApp)
        app.send("umpire", **fields)

    def action_inject(self) -> None:
        def chosen(eid: str | None) -> None:
            if eid:
                def why(text: str | None) -> None:
                    if text is not None:
                        self._umpire(action="inject", target=eid, reason=text)

                self.app.push_screen(TextDialog(f"Why inject {eid}? (logged)", required=False), why)

        self.app.push_screen(ChoiceDialog("Inject an event from the ruleset", [(e, lab) for e, lab in self.v["events"]]),
                             chosen)

    def action_adjust(self) -> None:
        def done(res: tuple[str, float, str] | None) -> None:
            if res:
                self._umpire(action="adjust", target=res[0], value=res[1], reason=res[2])

        self.app.push_screen(AdjustDialog([(a, b) for a, b in self.v["values"]], {}), done)

    def action_flag(self) -> None:
        flags = {f: on for f, _, on in self.v["flags"]}

        def chosen(fid: str | None) -> None:
            if fid:
                value = not flags[fid]

                def why(text: str | None) -> None:
                    if text:
                        self._umpire(action="flag", target=fid, value=value, reason=text)

                self.app.push_screen(TextDialog(f"Why {'set' if value else 'clear'} {fid}? (required, logged)"), why)

        self.app.push_screen(ChoiceDialog("Set or clear a flag", [(f, f"{'☑' if on else '☐'} {label}")
                                                                  for f, label, on in self.v["flags"]]), chosen)

    def action_pause(self) -> None:
        def topic(text: str | None) -> None:
            if text:
                self._umpire(action="pause", reason=text)

        self.app.push_screen(TextDialog("Pause for discussion — what is being discussed? (logged)",
                                        value="Pause for discussion"), topic)

    def action_resume(self) -> None:
        self._umpire(action="resume")


class SeatApp(App[int]):
    """One seat of a hosted game. ``code=None``: ask for the code first."""

    CSS_PATH = ["../tui/app.tcss", "seat.tcss"]
    TITLE = "Endgame seat"
    BINDINGS = [Binding("q", "quit", "Quit"), Binding("question_mark", "help", "Help", show=False)]

    def __init__(self, url: str, code: str | None = None) -> None:
        super().__init__()
        self.url, self.code = url, code
        self.client: SeatClient | None = None
        self.seat_screen: SeatScreen | None = None
        self.connected = False
        self.last_view: dict[str, Any] = {}
        self.view_time = 0.0

    def on_mount(self) -> None:
        self.theme = "textual-dark"
        self.set_interval(0.5, self._countdown)
        if self.code:
            self.start(self.code)
        else:
            self.push_screen(CodeScreen(self.url))

    def _countdown(self) -> None:
        """Count the turn timer down between two views from the host."""
        screen, v = self.seat_screen, self.last_view
        if screen is None or not screen.is_mounted or not v or v.get("deadline") is None:
            return
        for w in screen.query(Countdown).results(Countdown):
            _status(w, v, time.monotonic() - self.view_time)

    def start(self, code: str) -> None:
        self.code = code
        self._connection()

    def send(self, type_: str, **fields: Any) -> None:
        """Send a message to the host (dropped with a notice while disconnected)."""
        if self.client is None or not self.client.connected:
            self.notify("Not connected to the host; reconnecting…", severity="warning")
            return
        asyncio.create_task(self.client.send(type_, **fields))

    @work(exclusive=True, group="connection")
    async def _connection(self) -> None:
        assert self.code is not None
        attempt = 0
        while True:
            client = SeatClient(self.url, self.code)
            try:
                welcome = await client.connect()
            except ProtocolError as e:
                await client.close()
                if e.code in FATAL or attempt > 30:
                    self.notify(f"The host refused the seat: {e}", title="Cannot join", severity="error", timeout=15)
                    if isinstance(self.screen, CodeScreen):
                        return
                    self.push_screen(CodeScreen(self.url))
                    return
                attempt += 1
                await asyncio.sleep(RETRY_SECONDS)
                continue
            except (TimeoutError, OSError, ConnectionError) as e:
                await client.close()
                attempt += 1
                if attempt == 1 or attempt % 10 == 0:
                    self.notify(f"Cannot reach {self.url} ({e}); retrying…", severity="warning")
                await asyncio.sleep(RETRY_SECONDS)
                continue
            attempt = 0
            self.client, self.connected = client, True
            self._seat(welcome)
            try:
                while True:
                    msg = await client.recv(timeout=3600)
                    if msg["type"] == "view":
                        self.last_view, self.view_time = msg["view"], time.monotonic()
                        self.call_after_refresh(self.show_last)
                    elif msg["type"] == "error":
                        self.notify(str(msg.get("message", "")), title="Refused", severity="error")
            except (TimeoutError, ConnectionError, OSError, ProtocolError):
                pass
            finally:
                self.connected = False
                await client.close()
            self.notify("Connection to the host lost; reconnecting with your code…", severity="warning")
            await asyncio.sleep(RETRY_SECONDS)

    def show_last(self) -> None:
        """Draw the latest view on the seat's screen (once it is mounted)."""
        if self.seat_screen is not None and self.seat_screen.is_mounted and self.last_view:
            self.seat_screen.show(self.last_view)

    def _seat(self, welcome: dict[str, Any]) -> None:
        kind = welcome.get("seat")
        if self.seat_screen is not None and self.seat_screen.is_attached:
            return  # a reconnection: the same screen shows the host's next view
        screen: SeatScreen
        if kind == "team":
            screen = TeamScreen(str(welcome.get("briefing", "")))
        elif kind == "umpire":
            screen = UmpireSeatScreen()
        else:
            screen = ObserverScreen()
        self.seat_screen = screen
        while len(self.screen_stack) > 1:
            self.pop_screen()
        self.push_screen(screen)
        if kind == "team" and welcome.get("briefing"):
            self.push_screen(TextScreen(f"{welcome.get('name', '')} — briefing", str(welcome["briefing"])))
