"""The host: the one authoritative game, and a WebSocket per seat (aiohttp).

Seats join with a code: one per team role, one for the umpire, one shared by observers. Every
message is checked (``protocol.decode_client``), rate-limited and size-limited before the host acts;
a refused message changes nothing and is counted (``Host.refused``, shown to the umpire). Orders go
through ``Game.submit``, the same legality check as the local app. Each seat receives only its
view (``views``). Turns resolve when every team has ended its turn (or its timer ran out); the
session autosaves every turn as in the local app, and the host saves the game when it ends or stops.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections import Counter
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import attrs
from aiohttp import WSMsgType, web

from endgame_game.errors import EndgameError, OrderError
from endgame_game.net import protocol, views
from endgame_game.net.protocol import ProtocolError
from endgame_game.tui import view
from endgame_game.tui.session import Session


@attrs.define(eq=False)
class Seat:
    """One connected seat."""

    kind: str  # team / umpire / observer
    role: str  # the team's role ("" for the umpire and observers)
    code: str
    ws: web.WebSocketResponse
    limit: protocol.RateLimit = attrs.Factory(protocol.RateLimit)
    flooded: int = 0
    ready: bool = False  # welcomed: it gets views from now on


def make_codes(roles: list[str]) -> dict[str, tuple[str, str]]:
    """code → (kind, role): one per team role, one for the umpire, one for observers."""
    def code(prefix: str) -> str:
        return f"{prefix}-{secrets.token_urlsafe(6)}"

    out = {code(r): ("team", r) for r in roles}
    out[code("umpire")] = ("umpire", "")
    out[code("observe")] = ("observer", "")
    return out


class Host:
    """The authoritative game behind the seats.

    Args:
        session: the game (its ``humans`` are the team seats; other roles are played by agents).
        turn_timer: seconds each turn lasts for the teams (0: none); at zero every team that has
            not ended its turn ends it with its queued orders.
        briefing_timer: seconds added to the first turn's timer (the teams read the briefing the
            seat app shows on joining).
        codes: code → (kind, role) (default: fresh random codes).
        clock: the timer's clock.
    """

    def __init__(self, session: Session, *, turn_timer: float = 0.0, briefing_timer: float = 0.0,
                 codes: Mapping[str, tuple[str, str]] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.session = session
        self.codes = dict(codes) if codes is not None else make_codes(list(session.humans))
        self.seats: list[Seat] = []
        self.queues: dict[str, list[str]] = {}
        self.refused: Counter[str] = Counter()
        self.turn_timer, self.clock = float(turn_timer), clock
        self.paused = False
        self.deadline: float | None = None
        self.final_save: Path | None = None
        self.errors: list[str] = []
        self._last_tick = clock()
        self._start_turn()
        if self.deadline is not None and session.game.turn == 1:
            self.deadline += max(0.0, float(briefing_timer))

    # -- reading --
    def code_of(self, kind: str, role: str = "") -> str:
        return next(c for c, (k, r) in self.codes.items() if k == kind and r == role)

    @property
    def time_left(self) -> float | None:
        return None if self.deadline is None else self.deadline - self.clock()

    def view_of(self, seat: Seat) -> dict[str, Any]:
        g, waiting = self.session.game, list(self.session.pending)
        left = self.time_left
        if seat.kind == "team":
            return views.team_view(g, seat.role, self.queues.get(seat.role, []), seat.role not in waiting,
                                   waiting, left, self.paused)
        if seat.kind == "umpire":
            return views.umpire_view(g, waiting, left, self.paused, self.refused,
                                     [x.role or x.kind for x in self.seats])
        return views.observer_view(g, waiting, left, self.paused)

    # -- the turn --
    def _start_turn(self) -> None:
        self.queues = {}
        self.deadline = self.clock() + self.turn_timer if self.turn_timer > 0 and not self.session.done else None

    def _resolve_if_ready(self) -> bool:
        s = self.session
        if not s.ready:
            return False
        try:
            s.resolve()
        except Exception as e:  # noqa: BLE001 - reported to the umpire; the turn can be ordered again
            self.errors.append(f"turn {s.game.turn}: {type(e).__name__}: {e}")
            s.begin_turn()
        self._start_turn()
        if s.done:
            self.save_final()
        return True

    def save_final(self) -> Path | None:
        s = self.session
        if s.saves_dir is None:
            return None
        try:
            self.final_save = s.save(s.saves_dir / f"{s.model.id}-seed{s.game.seed}-host.toml")
        except (EndgameError, OSError) as e:
            self.errors.append(f"final save failed: {e}")
        return self.final_save

    def tick(self) -> bool:
        """Advance the turn timer (it stands still during the umpire's pause); at zero the waiting
        teams' queued orders go. True if a turn resolved."""
        now = self.clock()
        dt, self._last_tick = now - self._last_tick, now
        if self.deadline is None:
            return False
        if self.paused:
            self.deadline += dt
            return False
        if self.clock() < self.deadline:
            return False
        for role in list(self.session.pending):
            self.session.confirm(role)
        return self._resolve_if_ready()

    # -- messages --
    def refuse(self, code: str, message: str) -> str:
        self.refused[code] += 1
        return protocol.encode("error", code=code, message=message)

    def handle(self, seat: Seat, msg: dict[str, Any]) -> tuple[str | None, bool]:
        """Act on a checked message; (the reply, or None; whether every seat's view changed)."""
        kind = msg["type"]
        s, g = self.session, self.session.game
        if kind == "ping":
            return protocol.encode("pong"), False
        if kind == "hello":
            return self.refuse("hello_twice", "this connection has already said hello"), False
        if kind in ("orders", "end_turn"):
            if seat.kind != "team":
                return self.refuse("not_a_team", f"the {seat.kind} seat gives no orders"), False
            if msg.get("role", seat.role) != seat.role:
                return self.refuse("not_your_role", f"this seat plays {seat.role}, not {msg['role']!r}"), False
            if s.done:
                return self.refuse("ended", "the game has ended"), False
            if seat.role not in s.pending:
                return self.refuse("turn_ended", f"{seat.role} has already ended turn {g.turn}"), False
            if kind == "orders":
                orders = list(msg["orders"])
                if len(set(orders)) != len(orders):
                    return self.refuse("illegal", "a move is given twice"), False
                for mid in orders:
                    why = g.reason(mid) if mid in g.moves_of(seat.role) else None
                    if why is not None:
                        return self.refuse("illegal", f"{mid}: {why}"), False
                try:
                    g.set_orders(seat.role, orders)  # the app's own check: the role's moves, legality, AP
                except OrderError as e:
                    return self.refuse("illegal", str(e)), False
                self.queues[seat.role] = orders
                return None, False
            s.confirm(seat.role)
            self._resolve_if_ready()
            return None, True
        if kind == "umpire":
            if seat.kind != "umpire":
                return self.refuse("not_umpire", "only the umpire seat has umpire controls"), False
            return self._umpire(msg)
        return self.refuse("unknown_type", f"unknown message type {kind!r}"), False

    def _umpire(self, msg: dict[str, Any]) -> tuple[str | None, bool]:
        g = self.session.game
        action, target = msg["action"], str(msg.get("target", ""))
        value, reason = msg.get("value"), str(msg.get("reason", "")).strip()
        try:
            if action == "adjust":
                if not isinstance(value, int | float) or isinstance(value, bool):
                    return self.refuse("malformed", "adjust needs a number 'value'"), False
                g.adjust(target, float(value), reason)
            elif action == "flag":
                if not reason:
                    return self.refuse("malformed", "setting a flag needs a reason"), False
                g.adjust(f"flags.{target}", 1.0 if value else 0.0, reason)
            elif action == "inject":
                g.inject(target, reason)
            elif action == "note":
                if not reason:
                    return self.refuse("malformed", "a note needs its text in 'reason'"), False
                g.note(reason)
            elif action == "pause":
                g.pause(reason or "Pause for discussion")
                self.paused = True
            elif action == "resume":
                g.note(reason or "resumed")
                self.paused = False
        except EndgameError as e:
            return self.refuse("umpire", str(e)), False
        return None, True

    # -- the server --
    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get(protocol.PATH, self._ws)
        app.router.add_get("/", self._index)
        return app

    async def _index(self, request: web.Request) -> web.Response:
        return web.Response(text=f"endgame host · {self.session.model.meta.title} · seat protocol v{protocol.VERSION}"
                                 f" at {protocol.PATH}\n")

    async def _send(self, seat: Seat, text: str) -> None:
        if not seat.ws.closed:
            try:
                await seat.ws.send_str(text)
            except (ConnectionError, RuntimeError):
                pass

    async def _send_view(self, seat: Seat) -> None:
        await self._send(seat, protocol.encode("view", view=self.view_of(seat)))

    async def broadcast(self, only: Seat | None = None) -> None:
        for seat in list(self.seats):
            if seat.ready and (only is None or seat is only or seat.kind == "umpire"):
                await self._send_view(seat)

    async def _ws(self, request: web.Request) -> web.WebSocketResponse:
        # aiohttp closes a connection whose message exceeds 4x the limit; smaller oversized ones are refused.
        ws = web.WebSocketResponse(max_msg_size=protocol.MAX_MESSAGE * 4, heartbeat=30)
        await ws.prepare(request)
        seat = await self._hello(ws)
        if seat is None:
            await ws.close()
            return ws
        self.seats.append(seat)  # holds the code from now on
        try:
            await self._send(seat, protocol.encode("welcome", **self._welcome(seat)))
            await self._send_view(seat)
            seat.ready = True
            await self._to_umpire()  # the umpire sees who is connected
            await self._serve(seat)
        finally:
            if seat in self.seats:
                self.seats.remove(seat)
            await self._to_umpire()
        return ws

    async def _to_umpire(self) -> None:
        for seat in list(self.seats):
            if seat.ready and seat.kind == "umpire":
                await self._send_view(seat)

    def _welcome(self, seat: Seat) -> dict[str, Any]:
        model = self.session.model
        out: dict[str, Any] = {"seat": seat.kind, "role": seat.role, "ruleset": model.id, "title": model.meta.title,
                               "protocol": protocol.VERSION}
        if seat.kind == "team":
            actor = model.ruleset.actors[seat.role]
            out["name"] = actor.name
            out["briefing"] = actor.briefing.strip() or actor.summary or ""
        return out

    async def _hello(self, ws: web.WebSocketResponse) -> Seat | None:
        try:
            raw = await asyncio.wait_for(ws.receive(), protocol.HELLO_TIMEOUT)
        except TimeoutError:
            await ws.send_str(self.refuse("hello_timeout", "say hello with your code first"))
            return None
        if raw.type != WSMsgType.TEXT:
            self.refused["malformed" if raw.type == WSMsgType.BINARY else "oversized"] += 1
            return None
        try:
            msg = protocol.decode_client(raw.data)
        except ProtocolError as e:
            await ws.send_str(self.refuse(e.code, str(e)))
            return None
        if msg["type"] != "hello":
            await ws.send_str(self.refuse("hello_first", "the first message is hello with your code"))
            return None
        found = self.codes.get(msg["code"])
        if found is None:
            await ws.send_str(self.refuse("bad_code", "no seat has that code"))
            return None
        kind, role = found
        if kind != "observer" and any(s.code == msg["code"] for s in self.seats):
            await ws.send_str(self.refuse("code_in_use", "that seat is already connected"))
            return None
        if kind == "observer" and sum(s.kind == "observer" for s in self.seats) >= protocol.MAX_OBSERVERS:
            await ws.send_str(self.refuse("full", f"at most {protocol.MAX_OBSERVERS} observers"))
            return None
        return Seat(kind, role, msg["code"], ws)

    async def _serve(self, seat: Seat) -> None:
        async for raw in seat.ws:
            if raw.type == WSMsgType.ERROR:
                self.refused["oversized"] += 1
                break
            if raw.type != WSMsgType.TEXT:
                await self._send(seat, self.refuse("malformed", "messages are JSON text"))
                continue
            if not seat.limit.allow(self.clock()):
                seat.flooded += 1
                await self._send(seat, self.refuse("rate", f"more than {protocol.RATE:g} messages a second"))
                if seat.flooded >= protocol.FLOOD_CLOSE:
                    await seat.ws.close(code=1008, message=b"flooding")
                    break
                continue
            try:
                msg = protocol.decode_client(raw.data)
            except ProtocolError as e:
                await self._send(seat, self.refuse(e.code, str(e)))
                continue
            turn = self.session.game.turn
            reply, everyone = self.handle(seat, msg)
            if reply is not None:
                await self._send(seat, reply)
            if everyone or self.session.game.turn != turn:
                await self.broadcast()
            elif reply is None:
                await self.broadcast(only=seat)

    async def run_timer(self) -> None:
        while True:
            await asyncio.sleep(0.25)
            if self.tick():
                await self.broadcast()


async def serve(host: Host, address: str = "127.0.0.1", port: int = 8765,
                started: Callable[[int], None] | None = None, stop: asyncio.Event | None = None) -> None:
    """Serve ``host`` until ``stop`` is set; ``started(port)`` once listening (port 0: any free port)."""
    runner = web.AppRunner(host.app(), handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, address, port)
    await site.start()
    server = site._server  # noqa: SLF001 - aiohttp's site does not expose the bound port otherwise
    sockets = getattr(server, "sockets", None) or []
    real = sockets[0].getsockname()[1] if sockets else port
    if started is not None:
        started(int(real))
    timer = asyncio.create_task(host.run_timer())
    try:
        await (stop or asyncio.Event()).wait()
    finally:
        timer.cancel()
        for seat in list(host.seats):
            await seat.ws.close(code=1001, message=b"host stopping")
        await runner.cleanup()


def seat_label(model: Any, kind: str, role: str) -> str:
    if kind == "team":
        return view.actor_name(model, role)
    return {"umpire": "Umpire", "observer": "Observers (any number)"}[kind]
