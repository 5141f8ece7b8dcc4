"""Saves, autosaves, rewind and replay (format documented in ``docs/save-format.md``).

    >>> from endgame_game.saves import save_game, load_game
    >>> save_game(game, "saves/seminar.toml", agents={"moscow": "doctrine:hawk"}, meta={"humans": ["kyiv"]})  # doctest: +SKIP
    >>> loaded = load_game("saves/seminar.toml")            # doctest: +SKIP
    >>> branch = load_game("saves/seminar.toml", upto=5)   # doctest: +SKIP  (back to the start of turn 5)

Every problem with a save is a ``SaveError`` naming the file, the key and what is wrong.
"""

from endgame_game.errors import SaveError
from endgame_game.saves.format import FORMAT_VERSION, SaveData, SaveDataError, SaveWarning
from endgame_game.saves.replay import LoadedGame, ReplayResult, load_game, replay_save
from endgame_game.saves.store import (
    SaveInfo,
    atomic_write,
    autosave,
    latest_autosave,
    list_saves,
    read_save,
    save_game,
    save_info,
)

__all__ = [
    "FORMAT_VERSION", "LoadedGame", "ReplayResult", "SaveData", "SaveDataError", "SaveError", "SaveInfo",
    "SaveWarning", "atomic_write", "autosave", "latest_autosave", "list_saves", "load_game", "read_save",
    "replay_save", "save_game", "save_info",
]
