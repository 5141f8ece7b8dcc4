"""The seat protocol: JSON text messages over one WebSocket per seat (docs/protocol.md).

Every message is a JSON object with ``v`` (the protocol version) and ``type``. A seat's first message
is ``hello`` with its join code; the host answers ``welcome`` and then sends a ``view`` whenever what
the seat may see changes. ``decode_client`` checks a seat's message completely (types, sizes, known
fields) before the host acts on it, so a malformed message changes nothing.
"""

from __future__ import annotations

import json
import math
from typing import Any

VERSION = 1
PATH = "/seat"
"""The WebSocket's path on the host."""
MAX_MESSAGE = 16 * 1024
"""Largest message a seat may send, bytes (the host closes the connection on a larger one)."""
RATE = 10.0
"""Messages per second a seat may send on average …"""
BURST = 30
"""… and at once; beyond it a message is refused (``rate``)."""
FLOOD_CLOSE = 200
"""Refused-for-rate messages after which the host closes the seat's connection."""
HELLO_TIMEOUT = 10.0
"""Seconds a new connection has to send its ``hello``."""
MAX_OBSERVERS = 64
MAX_ORDERS = 64
MAX_TEXT = 500

UMPIRE_ACTIONS = ("adjust", "flag", "inject", "note", "pause", "resume")
CLIENT_TYPES: dict[str, dict[str, tuple[type | tuple[type, ...], bool]]] = {
    # type: {field: (python type(s), required)}
    "hello": {"code": (str, True)},
    "orders": {"orders": (list, True), "role": (str, False)},
    "end_turn": {"role": (str, False)},
    "umpire": {"action": (str, True), "target": (str, False), "value": ((int, float, bool, type(None)), False),
               "reason": (str, False)},
    "ping": {},
}
SEATS = ("team", "umpire", "observer")


class ProtocolError(Exception):
    """A refused message: ``code`` (machine-readable, e.g. ``malformed``) and a readable message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def encode(type_: str, **fields: Any) -> str:
    """A message as JSON text (``v`` and ``type`` first)."""
    return json.dumps({"v": VERSION, "type": type_, **fields}, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False)


def decode(text: str | bytes) -> dict[str, Any]:
    """Parse any message (host's or seat's): a JSON object of this protocol's version with a type."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise ProtocolError("malformed", "messages are UTF-8 JSON text") from None
    if len(text.encode("utf-8")) > MAX_MESSAGE * 64:
        raise ProtocolError("oversized", "message too large")
    try:
        msg = json.loads(text, parse_constant=_no_constant)
    except (ValueError, RecursionError) as e:
        raise ProtocolError("malformed", f"not JSON: {e}") from None
    if not isinstance(msg, dict):
        raise ProtocolError("malformed", "a message is a JSON object")
    if msg.get("v") != VERSION:
        raise ProtocolError("version", f"protocol version {msg.get('v')!r} is not supported (this host speaks {VERSION})")
    if not isinstance(msg.get("type"), str):
        raise ProtocolError("malformed", "a message needs a string 'type'")
    return msg


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not allowed")


def decode_client(text: str | bytes) -> dict[str, Any]:
    """Parse and check a seat's message (raises ``ProtocolError`` naming what is wrong)."""
    raw = text.encode("utf-8") if isinstance(text, str) else text
    if len(raw) > MAX_MESSAGE:
        raise ProtocolError("oversized", f"message of {len(raw)} bytes; at most {MAX_MESSAGE}")
    msg = decode(text)
    kind = msg["type"]
    spec = CLIENT_TYPES.get(kind)
    if spec is None:
        raise ProtocolError("unknown_type", f"unknown message type {kind!r}; known: {', '.join(CLIENT_TYPES)}")
    extra = set(msg) - {"v", "type", *spec}
    if extra:
        raise ProtocolError("malformed", f"{kind}: unknown field(s) {', '.join(sorted(extra))}")
    for name, (typ, required) in spec.items():
        if name not in msg:
            if required:
                raise ProtocolError("malformed", f"{kind}: missing field {name!r}")
            continue
        value = msg[name]
        if not isinstance(value, typ) or (isinstance(value, bool) and typ in (int, float)):
            raise ProtocolError("malformed", f"{kind}.{name}: wrong type {type(value).__name__}")
        if isinstance(value, str) and len(value) > MAX_TEXT:
            raise ProtocolError("malformed", f"{kind}.{name}: longer than {MAX_TEXT} characters")
        if isinstance(value, float) and not math.isfinite(value):
            raise ProtocolError("malformed", f"{kind}.{name}: not a finite number")
    if kind == "orders":
        orders = msg["orders"]
        if len(orders) > MAX_ORDERS or not all(isinstance(o, str) and 0 < len(o) <= 100 for o in orders):
            raise ProtocolError("malformed", f"orders: a list of at most {MAX_ORDERS} move ids")
    if kind == "umpire" and msg["action"] not in UMPIRE_ACTIONS:
        raise ProtocolError("malformed", f"umpire.action {msg['action']!r}; one of {', '.join(UMPIRE_ACTIONS)}")
    return msg


class RateLimit:
    """A token bucket: ``RATE`` messages a second on average, ``BURST`` at once."""

    def __init__(self, rate: float = RATE, burst: int = BURST) -> None:
        self.rate, self.burst = rate, float(burst)
        self.tokens, self.last = float(burst), -1.0

    def allow(self, now: float) -> bool:
        if self.last >= 0:
            self.tokens = min(self.burst, self.tokens + (now - self.last) * self.rate)
        self.last = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False
