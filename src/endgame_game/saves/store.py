"""Writing and finding saves: atomic writes, autosave rotation, the load screen's list.

A save is written to a temporary file in the same folder, flushed and fsync'ed, then moved over the
old one with ``os.replace`` (retried briefly on Windows, where antivirus, indexers and OneDrive hold
files for a moment), and the folder is fsync'ed on POSIX. A kill at any moment leaves the old save or
the new one, never a mixture; an interrupted write leaves at most a ``.<name>.*.tmp`` file.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import sys
import tempfile
import time
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from endgame_game.errors import SaveError
from endgame_game.files import FileRefused, read_limited
from endgame_game.saves.format import (
    FORMAT_VERSION,
    MAX_SAVE_BYTES,
    SaveData,
    SaveDataError,
    SaveWarning,
    check_envelope,
    dumps,
    encode,
    parse_bytes,
    validate,
)

DEFAULT_FOLDER = "saves"
AUTOSAVE_RE = re.compile(r"^autosave-(\d{6,})-.*\.toml$")
GAME_KEY_RE = re.compile(r"-g([0-9a-f]{8})-t\d+\.toml$")
"""Autosaves name their game (``-g<key>-``), so games sharing a folder rotate only their own."""
KEEP_GAMES = 10
"""Autosaves of at most this many games stay in a folder (the games autosaved most recently)."""
# Windows: ERROR_ACCESS_DENIED, ERROR_SHARING_VIOLATION, ERROR_LOCK_VIOLATION while another process
# (Defender, the indexer, OneDrive) holds the file.
_WIN_TRANSIENT = {5, 32, 33}
REPLACE_ATTEMPTS = 20  # 20 tries, 5 ms doubling to 100 ms: at most about 1.6 s


def _replace(src: str, dst: Path) -> None:
    delay = 0.005
    for attempt in range(REPLACE_ATTEMPTS):
        try:
            os.replace(src, dst)
            return
        except PermissionError as e:
            transient = sys.platform == "win32" and getattr(e, "winerror", None) in _WIN_TRANSIENT
            if not transient or attempt == REPLACE_ATTEMPTS - 1:
                raise
        time.sleep(delay)
        delay = min(delay * 2, 0.1)


def _fsync_dir(folder: Path) -> None:
    if os.name != "posix":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError as e:  # some file systems cannot fsync a directory
        if e.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EBADF):
            raise
    finally:
        os.close(fd)


def atomic_write(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` so that a crash leaves either the old file or the new one."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as e:
        raise SaveError(f"cannot write {path}: {e.strerror or e}") from None
    try:
        with os.fdopen(fd, "wb") as f:
            if hasattr(os, "fchmod"):
                os.fchmod(f.fileno(), 0o644)
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        _replace(tmp, path)
    except BaseException as e:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(e, OSError):
            raise SaveError(f"cannot write {path}: {e.strerror or e}") from None
        raise
    _fsync_dir(folder)
    return path


def save_game(game: Any, path: str | Path, *, agents: Mapping[str, str] | None = None,
              meta: Mapping[str, Any] | None = None, saved_at: str | None = None) -> Path:
    """Save a game (atomically) to ``path``; a ``.toml`` suffix is added if missing.

    Args:
        agents: role → agent spec (``"doctrine:hawk"``) for the AI roles.
        meta: the app's data (``name``, ``humans``, ``hotseat``, ``umpire`` …): TOML data only.
        saved_at: the time to record (default: now, or ``SOURCE_DATE_EPOCH``).

    Raises:
        SaveError: the folder cannot be written or ``meta`` holds something TOML cannot.
    """
    path = Path(path)
    if path.suffix != ".toml":
        path = path.with_name(path.name + ".toml")
    data = dumps(encode(game, agents=agents, meta=meta, saved_at=saved_at))
    return atomic_write(path, data)


def read_doc(path: Path) -> tuple[dict[str, Any], int]:
    """Read, check the envelope and the hash, and migrate to the current format."""
    from endgame_game.saves.migrations import migrate

    try:
        raw = read_limited(path, MAX_SAVE_BYTES)
    except FileRefused as e:
        raise SaveDataError(path, "", e.reason) from None
    doc = parse_bytes(raw, path)
    version = check_envelope(doc, path)
    return migrate(doc, version, path), version


def read_save(path: str | Path) -> SaveData:
    """Read and check a save without compiling its ruleset (fast: for lists and headers)."""
    path = Path(path)
    doc, version = read_doc(path)
    return validate(doc, path, version)


# --- autosaves ----------------------------------------------------------------------------------------


def _autosaves(folder: Path) -> list[tuple[int, Path]]:
    if not folder.is_dir():
        return []
    found = []
    for p in folder.iterdir():
        m = AUTOSAVE_RE.match(p.name)
        if m and p.is_file():
            found.append((int(m.group(1)), p))
    return sorted(found)


def game_key(game: Any) -> str:
    """8 hex digits naming a game in autosave file names: its ruleset and seed (a rewound branch
    of a game is the same game)."""
    return hashlib.blake2b(f"{game.model.id}\0{int(game.seed)}".encode(), digest_size=4).hexdigest()


def autosave(game: Any, folder: str | Path = DEFAULT_FOLDER, *, keep: int = 5,
             agents: Mapping[str, str] | None = None, meta: Mapping[str, Any] | None = None) -> Path:
    """Save to ``folder/autosave-<n>-<ruleset>-g<game>-t<turn>.toml`` and delete all but this game's
    newest ``keep`` (and the autosaves of games beyond the ``KEEP_GAMES`` most recent).

    Games sharing a folder (two seminar groups, a player's two games) rotate only their own autosaves.
    The new file is written (atomically) before any old one is deleted, so a crash never leaves
    fewer good autosaves than before.
    """
    folder = Path(folder)
    existing = _autosaves(folder)
    seq = existing[-1][0] + 1 if existing else 1
    rid = re.sub(r"[^A-Za-z0-9_-]", "_", str(game.model.id))[:40]
    path = folder / f"autosave-{seq:06d}-{rid}-g{game_key(game)}-t{int(game.turn):03d}.toml"
    save_game(game, path, agents=agents, meta=meta)
    by_game: dict[str, list[Path]] = {}  # per game, oldest first
    for _n, p in reversed(_autosaves(folder)):  # newest first; older files without a key form one group
        m = GAME_KEY_RE.search(p.name)
        by_game.setdefault(m.group(1) if m else "", []).insert(0, p)
    newest_first = list(by_game.values())  # games in the order of their newest autosave
    stale = [p for i, ps in enumerate(newest_first) for p in (ps if i >= KEEP_GAMES else ps[: -max(1, keep)])]
    for old in stale:
        with contextlib.suppress(OSError):
            old.unlink()
    # Temp files of writes that were killed (older than a minute) are litter.
    now = time.time()
    for p in folder.glob(".autosave-*.tmp"):
        with contextlib.suppress(OSError):
            if now - p.stat().st_mtime > 60:
                p.unlink()
    return path


def latest_autosave(folder: str | Path = DEFAULT_FOLDER) -> Any:
    """The newest autosave that loads (a ``LoadedGame``), or None. Damaged ones are skipped and named
    in a ``SaveWarning``."""
    from endgame_game.saves.replay import load_game

    for _n, p in reversed(_autosaves(Path(folder))):
        try:
            return load_game(p)
        except SaveError as e:
            warnings.warn(f"skipped damaged autosave {p.name}: {e}", SaveWarning, stacklevel=2)
    return None


# --- the load screen ---------------------------------------------------------------------------------------


@attrs.frozen
class SaveInfo:
    """One save as the load screen shows it. ``ok`` is False for a damaged save (``error`` says why)."""

    path: Path
    name: str
    ruleset_id: str = ""
    ruleset_title: str = ""
    turn: int = 0
    saved_at: str = ""
    roles: dict[str, str] = attrs.Factory(dict)  # role → "human" or the agent spec
    done: bool = False
    ending: str = ""
    autosave: bool = False
    format_version: int = FORMAT_VERSION
    ok: bool = True
    error: str = ""


def save_info(path: str | Path) -> SaveInfo:
    path = Path(path)
    is_auto = bool(AUTOSAVE_RE.match(path.name))
    try:
        d = read_save(path)
    except SaveError as e:
        return SaveInfo(path, path.stem, autosave=is_auto, ok=False, error=str(e))
    roles = dict(d.agents)
    humans = d.meta.get("humans", [])
    for h in humans if isinstance(humans, list) else [humans]:
        if isinstance(h, str):
            roles[h] = "human"
    name = d.meta.get("name") if isinstance(d.meta.get("name"), str) and d.meta.get("name") else path.stem
    h = d.header
    return SaveInfo(path, str(name), h["ruleset_id"], h["ruleset_title"], int(h["turn"]), h["saved_at"], roles,
                    bool(h["done"]), h["ending"], is_auto, d.version)


def list_saves(folder: str | Path = DEFAULT_FOLDER) -> list[SaveInfo]:
    """Every ``*.toml`` save in ``folder``, newest first (damaged ones included, with ``ok=False``)."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    infos = [save_info(p) for p in folder.glob("*.toml") if p.is_file()]

    def key(i: SaveInfo) -> tuple[str, float]:
        try:
            mtime = i.path.stat().st_mtime
        except OSError:
            mtime = 0.0
        return (i.saved_at, mtime)

    return sorted(infos, key=key, reverse=True)
