"""A seat's connection to a host (the seat app uses it; so can scripts and tests).

    >>> async with SeatClient("127.0.0.1:8765", "moscow-Xy12ab") as seat:   # doctest: +SKIP
    ...     view = await seat.next_view()
    ...     await seat.send("orders", orders=["offensive"])
    ...     await seat.send("end_turn")
"""

from __future__ import annotations

import time
from types import TracebackType
from typing import Any

import aiohttp

from endgame_game.net import protocol
from endgame_game.net.protocol import ProtocolError


def seat_url(host: str) -> str:
    """``127.0.0.1:8765`` → ``ws://127.0.0.1:8765/seat`` (a full ws:// or wss:// URL is kept)."""
    if host.startswith(("ws://", "wss://")):
        return host if host.rstrip("/").endswith(protocol.PATH) else host.rstrip("/") + protocol.PATH
    if host.startswith(("http://", "https://")):
        host = host.split("://", 1)[1]
    if ":" not in host:
        host += ":8765"
    return f"ws://{host.rstrip('/')}{protocol.PATH}"


class SeatClient:
    """One seat: ``connect`` says hello with the code; ``recv``/``next_view`` read the host's messages.

    Attributes:
        welcome: the host's welcome (seat, role, ruleset…).
        view: the latest view received.
        frames: every text frame received, raw (for checks of what went over the wire).
        errors: the host's refusals received (``{"code": …, "message": …}``).
    """

    def __init__(self, host: str, code: str, *, keep_frames: bool = False) -> None:
        self.url, self.code = seat_url(host), code
        self.keep_frames = keep_frames
        self.welcome: dict[str, Any] = {}
        self.view: dict[str, Any] = {}
        self.frames: list[str] = []
        self.errors: list[dict[str, Any]] = []
        self._http: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None

    async def __aenter__(self) -> SeatClient:
        await self.connect()
        return self

    async def __aexit__(self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        await self.close()

    @property
    def connected(self) -> bool:
        return self._ws is not None and not self._ws.closed

    async def connect(self, timeout: float = 10.0) -> dict[str, Any]:
        """Open the connection and say hello; returns the welcome (raises ``ProtocolError`` if refused)."""
        await self.close()
        self._http = aiohttp.ClientSession()
        try:
            self._ws = await self._http.ws_connect(self.url, timeout=aiohttp.ClientWSTimeout(ws_close=timeout),
                                                   max_msg_size=0)
        except BaseException:
            await self.close()
            raise
        await self.send("hello", code=self.code)
        msg = await self.recv(timeout)
        if msg.get("type") != "welcome":
            await self.close()
            raise ProtocolError(str(msg.get("code", "refused")), str(msg.get("message", msg)))
        self.welcome = msg
        return msg

    async def send(self, type_: str, **fields: Any) -> None:
        await self.send_raw(protocol.encode(type_, **fields))

    async def send_raw(self, text: str | bytes) -> None:
        """Send anything (tests send malformed messages with it)."""
        if self._ws is None:
            raise ConnectionError("not connected")
        if isinstance(text, bytes):
            await self._ws.send_bytes(text)
        else:
            await self._ws.send_str(text)

    async def recv(self, timeout: float = 10.0) -> dict[str, Any]:
        """The next message from the host (raises ``ConnectionError`` when the host closed)."""
        if self._ws is None:
            raise ConnectionError("not connected")
        raw = await self._ws.receive(timeout=timeout)
        if raw.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING,
                        aiohttp.WSMsgType.ERROR):
            raise ConnectionError(f"the host closed the connection ({self._ws.close_code})")
        if raw.type != aiohttp.WSMsgType.TEXT:
            raise ProtocolError("malformed", "the host sent a non-text frame")
        if self.keep_frames:
            self.frames.append(raw.data)
        msg = protocol.decode(raw.data)
        if msg["type"] == "view":
            self.view = msg["view"]
        elif msg["type"] == "error":
            self.errors.append(msg)
        return msg

    async def next_view(self, pred: Any = None, timeout: float = 10.0) -> dict[str, Any]:
        """Read until a view (for which ``pred(view)`` holds, when given) arrives; returns it."""
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no such view within {timeout:g} s (last: turn {self.view.get('turn')})")
            msg = await self.recv(left)
            if msg["type"] == "view" and (pred is None or pred(msg["view"])):
                return msg["view"]

    async def next_error(self, timeout: float = 10.0) -> dict[str, Any]:
        """Read until the host's next refusal; returns it."""
        n = len(self.errors)
        end = time.monotonic() + timeout
        while len(self.errors) == n:
            left = end - time.monotonic()
            if left <= 0:
                raise TimeoutError("no refusal arrived")
            await self.recv(left)
        return self.errors[n]

    async def drain(self, quiet: float = 0.2) -> None:
        """Read whatever arrives until the host is quiet for ``quiet`` seconds."""
        while True:
            try:
                await self.recv(quiet)
            except TimeoutError:
                return

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
            self._ws = None
        if self._http is not None:
            await self._http.close()
            self._http = None
