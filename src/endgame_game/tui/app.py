"""EndgameApp: the Textual app. ``make_app(...)`` builds it (the CLI and the tests use the factory).

The app owns the flow between screens: title → (handover) → (turn report) → (briefing) → game →
… → ending. Screens post messages up (``StartRequested``, ``OrdersConfirmed``, ``SessionChanged``);
the app reacts and sets what the game screen shows. Resolving a turn (agents + engine) runs in a
thread worker and posts ``TurnResolved``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from textual import on, work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer

from endgame_game.engine.model import CompiledModel
from endgame_game.errors import EndgameError, RulesetError
from endgame_game.report.debrief import AI_GAMES
from endgame_game.rules.registry import RulesetInfo, list_rulesets
from endgame_game.tui import view
from endgame_game.tui.guide import load_guide
from endgame_game.tui.messages import (
    LoadRequested,
    OrdersConfirmed,
    SessionChanged,
    StartRequested,
    TurnResolved,
)
from endgame_game.tui.screens.briefing import BriefingScreen
from endgame_game.tui.screens.dialogs import ChoiceDialog, ConfirmDialog, TextDialog
from endgame_game.tui.screens.ending import EndingScreen
from endgame_game.tui.screens.game import GameScreen
from endgame_game.tui.screens.handover import HandoverScreen
from endgame_game.tui.screens.help import HelpScreen
from endgame_game.tui.screens.pause import PauseScreen
from endgame_game.tui.screens.title import TitleScreen
from endgame_game.tui.screens.turn_report import TurnReportScreen
from endgame_game.tui.screens.umpire import PassphraseDialog, UmpireScreen
from endgame_game.tui.session import SAVES_DIR, Session, load_session, resume_latest
from endgame_game.tui.umpire_lock import hash_passphrase, verify
from endgame_game.tui.widgets.countdown import Countdown

LOCKOUT_AFTER = 3
"""Wrong umpire passphrases in a row before the prompt refuses for ``LOCKOUT_SECONDS``."""
LOCKOUT_SECONDS = 30.0
TICK = 0.25
"""Seconds between two looks at the class timer."""

Step = Callable[[Callable[[], None]], object]


def error_text(e: BaseException) -> str:
    if isinstance(e, RulesetError):
        return "\n".join(str(i) for i in e.issues[:6])
    return str(e)


class EndgameApp(App[int]):
    """The game in a terminal. See ``make_app`` for the arguments."""

    CSS_PATH = "app.tcss"
    TITLE = "Endgame"
    BINDINGS = [
        Binding("question_mark", "help", "Help"),
        Binding("t", "toggle_theme", "Theme", show=False),
        Binding("q", "quit", "Quit"),
        Binding("ctrl+s", "save", "Save", show=False),
        # The umpire's way in when the console is locked (hot-seat): not shown in any footer.
        Binding("ctrl+u", "umpire_console", "Umpire", show=False, priority=True),
    ]

    def __init__(self, *, ruleset: str | None = None, roles: Sequence[str] = (), agents: Mapping[str, str] | None = None,
                 seed: int = 0, load: str | None = None, turn: int | None = None, umpire: bool = False,
                 saves_dir: str | Path | None = SAVES_DIR, session: Session | None = None,
                 rulesets: list[RulesetInfo] | None = None, animate: bool = True, trust_agents: bool = False,
                 umpire_pass: str | None = None, turns: int | None = None, turn_timer: float = 0.0,
                 briefing_timer: float = 0.0, clock: Callable[[], float] = time.monotonic,
                 guided: bool = False) -> None:
        super().__init__()
        self.guided = guided
        # The umpire lock: only the salted hash is kept (and saved); ``_unlocked`` while the console is open.
        self.umpire_hash = hash_passphrase(umpire_pass) if umpire_pass else ""
        self._unlocked = False
        self._failed: list[float] = []
        # The class format: turns (title screen default), per-team turn timer and briefing timer, seconds.
        self.turns, self.turn_timer, self.briefing_timer = turns, float(turn_timer), float(briefing_timer)
        self.clock = clock
        self._timer: tuple[Screen[Any], Countdown, str, str, Callable[[], None]] | None = None
        self._timer_left = 0.0
        self._timer_last = 0.0
        self.trust_agents = trust_agents
        self.ruleset, self.roles, self.agent_specs = ruleset, tuple(roles), dict(agents or {})
        self.seed, self.load_path, self.load_turn, self.umpire = seed, load, turn, umpire
        self.saves_dir = Path(saves_dir) if saves_dir is not None else None
        self.rulesets = rulesets
        self.session: Session | None = session
        self.game_screen: GameScreen | None = None
        self.reported: dict[str, int] = {}
        self.report_path: Path | None = None
        if not animate:
            self.animation_level = "none"

    # -- start --
    def on_mount(self) -> None:
        self.theme = "textual-dark"
        self.set_interval(TICK, self.tick)
        if self.session is not None:
            self.start_session(self.session)
            return
        try:
            if self.load_path:
                self.start_session(load_session(self.load_path, upto=self.load_turn, humans=self.roles or None,
                                                umpire=self.umpire or None, saves_dir=self.saves_dir,
                                                agents=self.agent_specs, trust_agents=self.trust_agents))
                return
            if self.ruleset and self.roles:
                over = {"ruleset.max_turns": self.turns} if self.turns else None
                session = Session.new(self.ruleset, self.roles, self.agent_specs, seed=self.seed,
                                      umpire=self.umpire, saves_dir=self.saves_dir, overrides=over)
                session.guided = self.guided
                if session.guided:
                    load_guide(session.model)
                self.start_session(session)
                return
        except (EndgameError, OSError) as e:
            self.notify(error_text(e), title="Cannot start that game", severity="error", timeout=10)
        self.show_title()

    def show_title(self) -> None:
        rulesets = self.rulesets if self.rulesets is not None else list_rulesets()
        pre = None
        if self.ruleset:
            p = Path(self.ruleset)
            known = {r.id: r for r in rulesets}
            if p.suffix == ".toml" and p.is_file() and not any(r.path.resolve() == p.resolve() for r in rulesets):
                rid = p.stem if p.stem not in known else str(p)  # a copy of a built-in's file: its own entry
                rulesets = [RulesetInfo(rid, rid, "", p, False), *rulesets]
                pre = rid
            else:
                pre = p.stem if p.stem in known else self.ruleset
        self.session = None
        self._base(TitleScreen(rulesets, seed=self.seed, preselect=pre, umpire=self.umpire, guided=self.guided))
        if self.turns or self.turn_timer:
            self.call_after_refresh(self._fill_title)

    def _fill_title(self) -> None:
        """The class format given on the command line, pre-filled on the title screen."""
        from textual.widgets import Input

        for wid, v in (("#turns", self.turns), ("#turn-timer", int(self.turn_timer) or None)):
            for w in self.screen.query(wid).results(Input):
                if v:
                    w.value = str(v)

    def _base(self, screen: Screen[None]) -> None:
        """Make ``screen`` the only screen above the default one."""
        while len(self.screen_stack) > 1:
            self.pop_screen()
        self.push_screen(screen)

    @on(StartRequested)
    def _start_requested(self, msg: StartRequested) -> None:
        turns, timer, passphrase = (getattr(msg, k, None) for k in ("turns", "turn_timer", "umpire_pass"))
        try:
            session = Session.new(msg.ruleset, msg.humans, msg.agents, seed=msg.seed, umpire=msg.umpire,
                                  saves_dir=self.saves_dir,
                                  overrides={"ruleset.max_turns": turns} if turns else None)
            session.guided = bool(getattr(msg, "guided", False))
            if session.guided:
                load_guide(session.model)  # a bad guide file is said here, with its lines
        except (EndgameError, OSError) as e:
            self.notify(error_text(e), title="Cannot start", severity="error", timeout=10)
            return
        if timer is not None:
            self.turn_timer = float(timer)
        if passphrase:
            self.umpire_hash = hash_passphrase(passphrase)
        self.start_session(session)

    @on(LoadRequested)
    def _load_requested(self, msg: LoadRequested) -> None:
        try:
            if msg.path is None:
                session = resume_latest(self.saves_dir or SAVES_DIR, agents=self.agent_specs,
                                        trust_agents=self.trust_agents)
                if session is None:
                    self.notify("No autosave to resume yet.", severity="warning")
                    return
            else:
                session = load_session(msg.path, saves_dir=self.saves_dir, agents=self.agent_specs,
                                       trust_agents=self.trust_agents)
        except (EndgameError, OSError) as e:
            self.notify(error_text(e), title="Cannot load", severity="error", timeout=10)
            return
        self.start_session(session)
        self.notify(f"Resumed at turn {session.game.turn}.")

    def start_session(self, session: Session) -> None:
        self._stop_timer()
        self._unlocked = False
        if session.umpire and not session.umpire_lock and self.umpire_hash:
            session.umpire_lock = self.umpire_hash
        if session.umpire and session.hotseat and not session.umpire_lock:
            # Hot-seat teams share this terminal: the console needs a passphrase before anyone plays.
            def chosen(text: str | None) -> None:
                if text:
                    session.umpire_lock = hash_passphrase(text)
                else:
                    session.umpire = False
                    self.notify("No passphrase: umpire controls are off for this game.", severity="warning")
                self.start_session(session)

            self.push_screen(PassphraseDialog(
                "Set the umpire passphrase", "Hot-seat: the teams share this terminal, so the umpire console "
                "opens only with this passphrase (ctrl+u). Only a salted hash is kept in saves.", confirm=True),
                chosen)
            return
        self.session = session
        self.refresh_bindings()
        self.reported = {h: len(session.game.logs) for h in session.humans}
        self.game_screen = GameScreen(session)
        self._base(self.game_screen)
        self.next_step()

    # -- the turn flow --
    def next_step(self) -> None:
        s, gs = self.session, self.game_screen
        if s is None or gs is None:
            return
        if s.done:
            self.show_ending()
            return
        role = s.current_role
        if role is None:
            self.resolve_turn()
            return
        name = view.actor_name(s.model, role)
        cal = view.calendar(s.game)
        if s.hotseat:
            # The handover screen covers the dashboard before it switches to the next role.
            self.push_screen(HandoverScreen(name, f"Turn {cal['turn']} · {cal['date']}"),
                             lambda _=None: self._after_handover(role))
            gs.set_role(role)
        else:
            gs.set_role(role)
            self._after_handover(role)

    def _after_handover(self, role: str) -> None:
        s, gs = self.session, self.game_screen
        assert s is not None and gs is not None
        steps: list[Step] = []
        done_turns = len(s.game.logs)
        if self.reported.get(role, 0) < done_turns:
            self.reported[role] = done_turns
            title = f"Turn report — {view.actor_name(s.model, role)}"
            lines = view.role_turn_report(s.game, done_turns, role)
            note = s.autosave_error or (f"Autosaved to {s.last_autosave}" if s.last_autosave else "")
            tip = view.guide_report(s.game, role, done_turns) if s.guided else ""
            steps.append(lambda k: self.push_screen(TurnReportScreen(title, lines, note, tip), lambda _=None: k()))
        if role not in s.briefed:
            s.briefed.add(role)
            steps.append(lambda k: self._briefing(role, k))

        def start() -> None:
            gs.focus_moves()
            self._start_turn_timer(role)

        self._chain(steps, start)

    def _briefing(self, role: str, then: Callable[[], None]) -> None:
        s = self.session
        assert s is not None
        screen = BriefingScreen(s.model, role)
        def closed(_: object = None) -> None:
            self._stop_timer()
            then()

        self.push_screen(screen, closed)
        if self.briefing_timer > 0:
            self.call_after_refresh(self._start_timer, screen, self.briefing_timer, view.actor_name(s.model, role),
                                    "briefing: at 0:00 the turn starts", lambda: screen.dismiss(None))

    # -- the class timer --
    def _start_turn_timer(self, role: str) -> None:
        s, gs = self.session, self.game_screen
        if self.turn_timer <= 0 or s is None or gs is None or s.current_role != role:
            return
        self._start_timer(gs, self.turn_timer, view.actor_name(s.model, role),
                          "at 0:00 the queued orders go", lambda: self._time_up(role))

    def _start_timer(self, screen: Screen[Any], seconds: float, who: str, at_zero: str,
                     on_zero: Callable[[], None]) -> None:
        """A countdown line on ``screen`` (above its footer); ``on_zero`` runs when it reaches 0:00.
        Frozen while the umpire console, a pause or a turn being resolved is in front."""
        self._stop_timer()
        if not screen.is_attached:
            return
        widget = Countdown(classes="class-timer")
        footers = list(screen.query(Footer).results(Footer))
        screen.mount(widget, before=footers[0] if footers else None)
        self._timer = (screen, widget, who, at_zero, on_zero)
        self._timer_left, self._timer_last = float(seconds), self.clock()
        widget.show(self._timer_left, who, at_zero)

    def _stop_timer(self) -> None:
        if self._timer is not None:
            _, widget, *_ = self._timer
            self._timer = None
            if widget.is_attached:
                widget.remove()

    @property
    def timer_frozen(self) -> bool:
        """The clock stands still while the umpire has the floor or the engine is working."""
        frozen = any(isinstance(sc, UmpireScreen | PauseScreen | PassphraseDialog) for sc in self.screen_stack)
        return frozen or bool(self.game_screen is not None and self.game_screen.loading)

    @property
    def timer_left(self) -> float | None:
        """Seconds left on the running countdown (None when none runs)."""
        return self._timer_left if self._timer is not None else None

    def tick(self) -> None:
        """Advance the countdown by the clock's time since the last tick (the app calls it every
        ``TICK`` seconds; tests with an injected clock may call it directly)."""
        if self._timer is None:
            return
        screen, widget, who, at_zero, on_zero = self._timer
        now = self.clock()
        dt, self._timer_last = now - self._timer_last, now
        if not screen.is_attached:
            self._stop_timer()
            return
        if self.timer_frozen:
            widget.show(self._timer_left, who, at_zero, paused=True)
            return
        self._timer_left -= dt
        widget.show(self._timer_left, who, at_zero)
        if self._timer_left <= 0:
            self._stop_timer()
            on_zero()

    def _time_up(self, role: str) -> None:
        """A team's time is up: whatever it queued goes (each order was checked when queued)."""
        s, gs = self.session, self.game_screen
        if s is None or gs is None or s.current_role != role:
            return
        while len(self.screen_stack) > 1 and self.screen is not gs:
            self.pop_screen()
        n = len(s.game.orders_of(role))
        name = view.actor_name(s.model, role)
        self.notify(f"{name}: {n} queued order(s) go." if n else f"{name} passes (no orders queued).",
                    title="Time is up", timeout=6)
        self.post_message(OrdersConfirmed(role))

    def _chain(self, steps: list[Step], final: Callable[[], None]) -> None:
        if not steps:
            final()
            return
        first, rest = steps[0], steps[1:]
        first(lambda: self._chain(rest, final))

    @on(OrdersConfirmed)
    def _orders_confirmed(self, msg: OrdersConfirmed) -> None:
        self._stop_timer()
        if self.session is None:
            return
        self.session.confirm(msg.role)
        self.next_step()

    def resolve_turn(self) -> None:
        if self.game_screen is not None:
            self.game_screen.loading = True
        self._resolve()

    @work(thread=True, exclusive=True, group="resolve")
    def _resolve(self) -> None:
        s = self.session
        assert s is not None
        turn = s.game.turn
        try:
            s.resolve()
            self.post_message(TurnResolved(turn))
        except Exception as e:  # noqa: BLE001 - an engine error is reported, the app keeps running
            self.post_message(TurnResolved(turn, f"{type(e).__name__}: {e}"))

    @on(TurnResolved)
    def _turn_resolved(self, msg: TurnResolved) -> None:
        gs, s = self.game_screen, self.session
        if gs is None or s is None:
            return
        gs.loading = False
        if msg.error:
            self.notify(msg.error, title="The turn could not be resolved", severity="error", timeout=15)
            s.begin_turn()
        gs.refresh_view()
        self.next_step()

    def show_ending(self) -> None:
        s = self.session
        assert s is not None
        screen = EndingScreen(s)
        last = len(s.game.logs)
        if s.humans and not s.hotseat and self.reported.get(s.humans[0], 0) < last:
            self.reported[s.humans[0]] = last
            lines = view.turn_report(s.game, last, None)
            self.push_screen(TurnReportScreen("The last turn", lines), lambda _=None: self._base(screen))
        else:
            self._base(screen)

    # -- umpire --
    @property
    def umpire_locked(self) -> bool:
        """The console needs the passphrase now (a hot-seat game, or one started with a passphrase)."""
        s = self.session
        return bool(s is not None and s.umpire and s.umpire_lock and not self._unlocked)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "umpire":
            # Screens ask this for their ``u``: hidden while the console is locked (ctrl+u still asks).
            return bool(self.session is not None and self.session.umpire and not self.umpire_locked)
        return True

    def action_umpire_console(self) -> None:
        """ctrl+u and the command palette: the console, or the passphrase prompt while locked."""
        self.action_umpire()

    def action_umpire(self) -> None:
        s = self.session
        if s is None or not s.umpire:
            return
        if any(isinstance(sc, UmpireScreen | PassphraseDialog) for sc in self.screen_stack):
            return
        if self.umpire_locked:
            self._ask_passphrase(s)
            return
        self._open_console(s)

    def _open_console(self, s: Session) -> None:
        def closed(_: object = None) -> None:
            self._unlocked = False  # locked again as soon as the umpire leaves the console
            self._refresh_game()

        self._unlocked = True
        self.push_screen(UmpireScreen(s), closed)

    def _ask_passphrase(self, s: Session) -> None:
        now = self.clock()
        recent = [t for t in self._failed if now - t < LOCKOUT_SECONDS]
        if len(recent) >= LOCKOUT_AFTER:
            wait = int(LOCKOUT_SECONDS - (now - recent[-LOCKOUT_AFTER])) + 1
            self.notify(f"Too many wrong passphrases: try again in {wait} s.", severity="error")
            return

        def typed(text: str | None) -> None:
            if text is None:
                return
            if verify(text, s.umpire_lock):
                self._failed.clear()
                self._open_console(s)
            else:
                self._failed.append(self.clock())
                self.notify("Wrong umpire passphrase.", severity="error")

        self.push_screen(PassphraseDialog("Umpire passphrase", "The umpire console is locked."), typed)

    def _refresh_game(self) -> None:
        if self.game_screen is not None and self.game_screen.is_mounted:
            self.game_screen.refresh_view()

    @on(SessionChanged)
    def _session_changed(self, msg: SessionChanged) -> None:
        s, gs = self.session, self.game_screen
        if s is None or gs is None:
            return
        if msg.rewound:
            self.reported = {h: len(s.game.logs) for h in s.humans}
            while len(self.screen_stack) > 1 and self.screen is not gs:
                self.pop_screen()
            gs.refresh_view()
            self.next_step()
        else:
            self._refresh_game()

    # -- saves and reports --
    def action_save(self) -> None:
        s = self.session
        if s is None:
            self.notify("No game to save yet.")
            return
        folder = self.saves_dir or SAVES_DIR
        default = str(folder / f"{s.model.id}-turn{s.game.turn}.toml")

        def done(path: str | None) -> None:
            if not path:
                return
            try:
                saved = s.save(path)
            except (EndgameError, OSError) as e:
                self.notify(error_text(e), title="Not saved", severity="error", timeout=10)
                return
            self.notify(f"Saved to {saved}", title="Saved")

        self.push_screen(TextDialog("Save the game as", default), done)

    def action_load(self) -> None:
        folder = self.saves_dir or SAVES_DIR
        options: list[tuple[str, str]] = []
        try:
            from endgame_game.saves import list_saves

            for info in list_saves(folder):
                path = str(getattr(info, "path", info))
                if not getattr(info, "ok", True):
                    options.append(("__bad__" + path, f"✗ {Path(path).name}: {getattr(info, 'error', 'damaged')}"))
                    continue
                options.append((path, view.save_line(info)))
        except ImportError:
            self.notify("Saves are not available in this build.", severity="error")
            return
        except Exception as e:  # noqa: BLE001 - an unreadable folder is a message
            self.notify(f"Cannot list saves in {folder}: {e}", severity="error")
        options.append(("__path__", "Type a path…"))

        def typed(path: str | None) -> None:
            if path:
                self.post_message(LoadRequested(path))

        def chosen(choice: str | None) -> None:
            if choice and choice.startswith("__bad__"):
                self.notify(f"{choice[7:]} is damaged and cannot be loaded.", severity="error")
            elif choice == "__path__":
                self.push_screen(TextDialog("Load which save file?", str(folder) + "/"), typed)
            elif choice:
                self.post_message(LoadRequested(choice))

        self.push_screen(ChoiceDialog(f"Load a save ({folder})", options), chosen)

    def action_report(self) -> None:
        s = self.session
        if s is None:
            return
        folder = self.saves_dir or SAVES_DIR
        try:
            saved = s.save(folder / f"{s.model.id}-seed{s.game.seed}-final.toml")
        except (EndgameError, OSError) as e:
            self.notify(error_text(e), title="Cannot save for the report", severity="error", timeout=10)
            return
        self._set_ending_status(f"Saved {saved}; playing {AI_GAMES_FOR_REPORT:,} AI games to compare, "
                                "then writing the after-action report…")
        self._write_report(saved, s.model)

    @work(thread=True, exclusive=True, group="report")
    def _write_report(self, save: Path, model: CompiledModel) -> None:
        msg = write_report(save, model)
        self.call_from_thread(self._set_ending_status, msg)
        self.call_from_thread(self.notify, msg, title="After-action report", timeout=10)

    def _set_ending_status(self, text: str) -> None:
        if isinstance(self.screen, EndingScreen):
            self.screen.set_status(text)

    # -- everything else --
    def action_new_game(self) -> None:
        self.show_title()

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_toggle_theme(self) -> None:
        self.theme = "textual-light" if self.theme == "textual-dark" else "textual-dark"

    async def action_quit(self) -> None:
        s = self.session
        if s is None or s.done:
            self.exit(0)
            return

        def done(ok: bool | None) -> None:
            if ok:
                self.exit(0)

        note = f"The game was autosaved at the start of this turn ({s.last_autosave})." if s.last_autosave else \
            "Save first (s) to resume later."
        self.push_screen(ConfirmDialog("Quit the game?", note, yes="Quit"), done)

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Save game", "Save the game to a file", self.action_save)
        yield SystemCommand("Load game", "Load a saved game", self.action_load)
        yield SystemCommand("Toggle light/dark", "Switch between the light and the dark theme", self.action_toggle_theme)
        yield SystemCommand("Keys and help", "Show the key bindings", self.action_help)
        yield SystemCommand("New game", "Back to the title screen", self.action_new_game)
        if self.session is not None and self.session.umpire:
            yield SystemCommand("Umpire controls", "True values, inject, adjust, pause, rewind", self.action_umpire_console)


AI_GAMES_FOR_REPORT = AI_GAMES
"""AI games the after-action report compares a finished game with (``report.debrief.AI_GAMES``: every
role on ``mixed``, seed 0), the same games the ending screen and ``endgame report`` compare with."""


def write_report(save: Path, model: CompiledModel | None = None) -> str:
    """Write the after-action report of a save next to it (what ``endgame report SAVE`` does), set
    against the AI games of the same ruleset; returns a sentence saying where it went."""
    try:
        from endgame_game.report.aar import write_report as aar_report
    except ImportError as e:
        return f"The after-action report is not available in this build ({e}); the game is saved at {save}."
    out = save.parent / f"{save.stem}-report"
    try:
        files = aar_report(save, out, ai_games=AI_GAMES_FOR_REPORT)
    except Exception as e:  # noqa: BLE001 - a failing report is a message, never a crash
        return f"The report failed: {e}"
    notes = list(getattr(files, "notes", []) or [])
    extra = f" ({'; '.join(notes)})" if notes else ""
    return (f"After-action report written, compared with {AI_GAMES_FOR_REPORT:,} AI games (mixed doctrines): "
            f"{files.markdown} and {files.html}{extra}")


def make_app(ruleset: str | Path | None = None, roles: Sequence[str] | str = (), *, agents: Mapping[str, str] | None = None,
             seed: int = 0, load: str | Path | None = None, turn: int | None = None, umpire: bool = False,
             saves_dir: str | Path | None = SAVES_DIR, rulesets: list[RulesetInfo] | None = None,
             animate: bool = True, umpire_pass: str | None = None, turns: int | None = None,
             turn_timer: float = 0.0, briefing_timer: float = 0.0,
             clock: Callable[[], float] = time.monotonic, guided: bool = False) -> EndgameApp:
    """Build the app.

    Args:
        ruleset: a ruleset id or file; with ``roles`` the game starts at once, else the title screen
            preselects it.
        roles: the human roles (one: play against the AI; several: hot-seat), or "a,b".
        agents: AI agent per role, e.g. ``{"moscow": "doctrine:hawk"}`` (default: doctrine).
        seed: the game's seed.
        load: a save file to resume (``turn`` rewinds it to the start of that turn).
        umpire: umpire controls on.
        saves_dir: where autosaves and saves go (None: no autosave).
        rulesets: the scenarios the title screen offers (default: ``list_rulesets()``).
        animate: False turns animations off (tests, benchmarks).
        umpire_pass: the umpire passphrase (hot-seat: else the app asks for one before play).
        turns: the number of turns (overrides the ruleset's ``max_turns``; the title screen's default).
        turn_timer: seconds each team has per turn (0: no timer); at zero its queued orders go.
        briefing_timer: seconds for each role's first briefing (0: no timer).
        clock: the timer's clock (tests inject one).
        guided: a guided first game (the first turns annotated: ``view.guide``).
    """
    if isinstance(roles, str):
        roles = [r.strip() for r in roles.split(",") if r.strip()]
    return EndgameApp(ruleset=str(ruleset) if ruleset is not None else None, roles=roles, agents=agents, seed=seed,
                      load=str(load) if load is not None else None, turn=turn, umpire=umpire, saves_dir=saves_dir,
                      rulesets=rulesets, animate=animate, umpire_pass=umpire_pass, turns=turns,
                      turn_timer=turn_timer, briefing_timer=briefing_timer, clock=clock, guided=guided)
