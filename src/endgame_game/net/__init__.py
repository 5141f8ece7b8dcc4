"""Network play: one authoritative host (``endgame host``), seats that join it with a code
(``endgame join``, or a browser tab with ``endgame host --web``).

- ``protocol``: the messages (plain JSON, versioned; docs/protocol.md), their checks and limits.
- ``views``: what each seat receives — a team only its role's observation, an observer only the
  public record, the umpire the true values.
- ``host``: the host (aiohttp web server; the game is a ``tui.session.Session``).
- ``client``: a seat's connection (used by the seat app and by scripts and tests).
- ``seat_app``: the Textual app of a seat.
"""
