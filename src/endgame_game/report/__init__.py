"""Reports: turn narration (``report.text``) and the after-action report (``report.aar``).

    >>> from endgame_game.report import write_report
    >>> files = write_report("saves/seminar.toml", "handout", batch="runs.csv")   # doctest: +SKIP

matplotlib is imported only when charts are drawn (``report.charts``).
"""

from __future__ import annotations

from typing import Any

__all__ = ["build", "write_report"]


def write_report(*args: Any, **kwargs: Any) -> Any:
    """See ``endgame_game.report.aar.write_report``."""
    from endgame_game.report.aar import write_report as _w

    return _w(*args, **kwargs)


def build(*args: Any, **kwargs: Any) -> Any:
    """See ``endgame_game.report.aar.build``."""
    from endgame_game.report.aar import build as _b

    return _b(*args, **kwargs)
