"""Result rows: one row per game, written chunk by chunk to CSV (always) or Parquet (with pyarrow).

Columns, in order::

    seed, point, game, params.<swept>..., ending, end_turn, score.<actor>..., <actor>.<resource>..., <track>...

``point`` is the sweep point (0 without a sweep), ``game`` the game index within the point (the
same indices at every point: see ``batch.sweep``), ``ending`` the ending id, ``end_turn`` the turn
the game ended (0 if it was stopped before an ending). Floats are written with Python's shortest
round-trip ``repr``, so a CSV reads back bit-identical.

Both writers produce the same bytes for the same rows, however the rows arrive (Parquet row groups
have a fixed size, independent of the chunking), so a run's file does not depend on ``--workers``
or ``--chunk``. Open the files directly: ``pandas.read_csv``, ``polars.read_parquet``.

**Provenance.** Every file says what made it (``provenance``): the ruleset's id, title, version and
content hash (the same sha256 a save records), the project version, Python/numpy/platform, the seed,
games per point, the sweep grid, every agent, every ``--set`` override, and at the end how many rows
were written and whether the run was stopped. A Parquet file holds it as key-value metadata under
``endgame.provenance`` (JSON); a CSV file keeps plain rows and has a sidecar ``FILE.csv.meta.json``.
``read_provenance`` reads either; ``check_same_ruleset`` refuses rows of another ruleset or variant.

**Stopping and failing safely.** A CSV gains whole chunks of rows only: a chunk is written with one
``write`` loop and, if the disk fills (or any write fails), the file is cut back to the last whole
row and the error says how many rows it keeps. A Parquet file is written to ``FILE.parquet.part`` and
renamed when complete (footer written), so a file at the name you gave is always readable; a run
killed with SIGKILL leaves only the ``.part``.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from endgame_game.engine.api import Game
from endgame_game.errors import EndgameError

PROVENANCE_KEY = "endgame.provenance"
"""The Parquet key-value metadata key (and the sidecar's top-level ``kind``) of a run's provenance."""
PROVENANCE_FORMAT = 1

Rows = dict[str, np.ndarray]
"""Column name → [n] array, in column order."""

PARQUET_ROW_GROUP = 65_536


def make_rows(game: Game, seed: int, points: np.ndarray, swept: Mapping[str, np.ndarray],
              agents: Mapping[str, object] | None = None) -> Rows:
    """The rows of a finished (or stopped) chunk of games.

    Args:
        points: [B] the sweep point of each game.
        swept: swept column → [B] values.
        agents: the agents; those that vary per game (``mixed``) add a ``doctrine.<role>`` column.
    """
    res = game.results()
    n = game.batch
    rows: Rows = {
        "seed": np.full(n, seed, dtype=np.int64),
        "point": np.asarray(points, dtype=np.int64),
        "game": res.pop("game").astype(np.int64),
    }
    for k, v in swept.items():
        rows[k] = np.asarray(v, dtype=np.float64)
    rows["ending"] = res.pop("ending").astype(str)
    rows["end_turn"] = res.pop("end_turn").astype(np.int64)
    for role, agent in (agents or {}).items():
        doctrine_of = getattr(agent, "doctrine_of", None)
        if doctrine_of is not None:
            rows[f"doctrine.{role}"] = doctrine_of(game.state).astype(str)
    rows.update(res)  # score.<actor>..., then every value slot
    return rows


def trajectory_rows(game: Game, seed: int, points: np.ndarray, swept: Mapping[str, np.ndarray], running: np.ndarray,
                    took: np.ndarray) -> Rows:
    """One row per game that played the turn just resolved (``running``: [B] the games not ended
    before it), in this column order::

        seed, point, game, params.<swept>..., turn, ended, ending, score.<actor>..., <values>...,
        flags.<flag>..., move.<move id>...

    ``turn`` is the turn just played, the values, flags and scores are those after it, ``ended`` says
    the game ended in it (``ending`` then names the ending, else it is empty), and ``move.<id>`` is
    True where the move was taken that turn (``took``: [B, M] times each move was taken in it).
    """
    m = game.model
    st = game.state
    idx = np.nonzero(running)[0]
    turn = game.turn - 1
    rows: Rows = {
        "seed": np.full(idx.size, seed, dtype=np.int64),
        "point": np.asarray(points, dtype=np.int64)[idx],
        "game": st.games[idx].astype(np.int64),
    }
    for k, v in swept.items():
        rows[k] = np.asarray(v, dtype=np.float64)[idx]
    rows["turn"] = np.full(idx.size, turn, dtype=np.int64)
    ended = st.ended[idx] & (st.end_turn[idx] == turn)
    rows["ended"] = ended.astype(bool)
    ids = np.array([""] + [e.id for e in m.endings])
    rows["ending"] = ids[np.where(ended, st.ending[idx] + 1, 0)]
    for a in sorted(m.scores):
        rows[f"score.{m.actors[a]}"] = st.scores[idx, a].astype(np.float64)
    for j, name in enumerate(m.symbols.values):
        rows[name] = st.values[idx, j].astype(np.float64)
    for j, name in enumerate(m.symbols.flags):
        rows[f"flags.{name}"] = st.flags[idx, j].astype(bool)
    t = np.asarray(took)[idx] > 0
    for s, mv in enumerate(m.moves):
        rows[f"move.{mv.id}"] = t[:, s]
    return rows


def concat(parts: list[Rows]) -> Rows:
    """Join chunks of rows (same columns) into one."""
    if not parts:
        return {}
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def n_rows(rows: Rows) -> int:
    return 0 if not rows else len(next(iter(rows.values())))


class Writer(Protocol):
    """Accepts chunks of rows in order and writes them to one file."""

    path: Path

    def write(self, rows: Rows) -> None: ...

    def close(self, status: Mapping[str, Any] | None = None) -> None: ...


def sidecar_path(path: str | Path) -> Path:
    """Where a CSV file's provenance lives: ``runs.csv`` → ``runs.csv.meta.json``."""
    p = Path(path)
    return p.with_name(p.name + ".meta.json")


def write_json(path: Path, data: Mapping[str, Any]) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n", encoding="utf-8")
        os.replace(tmp, path)
    except OSError as e:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise EndgameError(f"cannot write {path}: {e.strerror or e}") from None


def _cells(v: np.ndarray) -> list[Any]:
    # tolist() gives Python ints and floats (csv writes floats with repr: shortest round-trip); bools as 0/1.
    return (v.astype(np.int8) if v.dtype == bool else v).tolist()


class CsvWriter:
    """Rows to CSV, a chunk at a time (a header first). Each chunk goes to the file in one write loop;
    a failed write (full disk, quota) cuts the file back to the last whole row and raises."""

    def __init__(self, path: str | Path, meta: Mapping[str, Any] | None = None):
        self.path = Path(path)
        self.meta = dict(meta) if meta is not None else None
        self.rows = 0
        self._f = self.path.open("wb", buffering=0)
        self._header = False
        self._good = 0  # bytes of whole rows in the file
        if self.meta is not None:
            write_json(sidecar_path(self.path), {**self.meta, "rows": 0, "complete": False})

    def write(self, rows: Rows) -> None:
        if not rows:
            return
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        if not self._header:
            w.writerow(list(rows))
        w.writerows(zip(*(_cells(v) for v in rows.values()), strict=True))
        data = memoryview(buf.getvalue().encode("utf-8"))
        try:
            done = 0
            while done < len(data):
                n = self._f.write(data[done:])
                done += n or 0
        except OSError as e:
            with contextlib.suppress(OSError):
                self._f.truncate(self._good)
                self._f.seek(self._good)
            raise EndgameError(f"cannot write {self.path}: {e.strerror or e}; the file keeps the {self.rows:,} "
                               "whole rows written before") from None
        self._header = True
        self._good += len(data)
        self.rows += n_rows(rows)

    def close(self, status: Mapping[str, Any] | None = None) -> None:
        if not self._f.closed:
            self._f.close()
            if self.meta is not None:
                write_json(sidecar_path(self.path), {**self.meta, **(status or {}), "rows": self.rows})


class ParquetWriter:
    """Rows to Parquet (needs pyarrow: ``pip install endgame-game[parquet]``), in row groups of a fixed
    size so the file does not depend on how the rows were chunked. Written to ``FILE.part`` and renamed
    to ``FILE`` once complete; the provenance goes into the file's key-value metadata."""

    def __init__(self, path: str | Path, row_group: int = PARQUET_ROW_GROUP, meta: Mapping[str, Any] | None = None):
        try:
            import pyarrow  # noqa: F401
            import pyarrow.parquet  # noqa: F401
        except ImportError:
            raise EndgameError("writing Parquet needs pyarrow: pip install 'endgame-game[parquet]' "
                               "(or write CSV: --out results.csv)") from None
        self.path = Path(path)
        self.part = self.path.with_name(self.path.name + ".part")
        self.row_group = row_group
        self.meta = dict(meta) if meta is not None else None
        self.rows = 0
        self._buf: list[Rows] = []
        self._n = 0
        self._writer: Any = None
        self._failed = False

    def write(self, rows: Rows) -> None:
        if not rows:
            return
        self._buf.append(rows)
        self._n += n_rows(rows)
        while self._n >= self.row_group:
            allrows = concat(self._buf)
            self._flush({k: v[: self.row_group] for k, v in allrows.items()})
            rest = {k: v[self.row_group:] for k, v in allrows.items()}
            self._buf, self._n = ([rest], n_rows(rest)) if n_rows(rest) else ([], 0)

    def _flush(self, rows: Rows) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.table({k: pa.array(v) for k, v in rows.items()})
        try:
            if self._writer is None:
                self._writer = pq.ParquetWriter(self.part, table.schema)
            self._writer.write_table(table)
        except OSError as e:
            self._failed = True
            raise EndgameError(f"cannot write {self.path}: {e}; the Parquet file cannot be completed") from None
        self.rows += n_rows(rows)

    def close(self, status: Mapping[str, Any] | None = None) -> None:
        try:
            if self._buf and not self._failed:
                self._flush(concat(self._buf))
                self._buf, self._n = [], 0
            if self._writer is not None:
                if self.meta is not None:
                    meta = {**self.meta, **(status or {}), "rows": self.rows}
                    self._writer.add_key_value_metadata({PROVENANCE_KEY: json.dumps(meta)})
                try:
                    self._writer.close()
                except OSError as e:
                    self._failed = True
                    raise EndgameError(f"cannot write {self.path}: {e}; the Parquet file cannot be completed") from None
                finally:
                    self._writer = None
                if not self._failed:
                    os.replace(self.part, self.path)
        finally:
            if self._failed:
                with contextlib.suppress(OSError):
                    self.part.unlink()


def check_target(path: str | Path, what: str, *, folder: bool = False) -> Path:
    """Fail now, before a long run, if ``path`` cannot be written (a file, or with ``folder`` a folder
    that may not exist yet). ``what`` names the option in the message (``--out``, ``--summary``)."""
    p = Path(path)
    if folder:
        if p.exists() and not p.is_dir():
            raise EndgameError(f"{what} {p}: not a folder")
        probe = p
        while not probe.exists():
            probe = probe.parent
        if not probe.is_dir() or not os.access(probe, os.W_OK | os.X_OK):
            raise EndgameError(f"{what} {p}: cannot write in {probe}")
        return p
    if p.is_dir():
        raise EndgameError(f"{what} {p}: it is a folder; give a file name such as {p / 'results.csv'}")
    if not p.parent.is_dir():
        raise EndgameError(f"{what} {p}: folder {p.parent} does not exist")
    if not os.access(p.parent, os.W_OK | os.X_OK):
        raise EndgameError(f"{what} {p}: cannot write in folder {p.parent}")
    if p.exists() and not (p.is_file() and os.access(p, os.W_OK)):
        raise EndgameError(f"{what} {p}: exists and cannot be overwritten")
    return p


def open_writer(path: str | Path, meta: Mapping[str, Any] | None = None) -> Writer:
    """A writer for ``path``: ``.csv`` → CSV (provenance ``meta`` in a sidecar), ``.parquet``/``.pq`` →
    Parquet (``meta`` in the file's metadata).

    Raises:
        EndgameError: another suffix (``runs.xlsx`` would silently be CSV), the folder does not exist or
            cannot be written, or Parquet without pyarrow.
    """
    p = Path(path)
    if not p.is_dir() and p.suffix.lower() not in (".csv", ".parquet", ".pq"):
        raise EndgameError(f"cannot write {p}: results are written as .csv or .parquet; "
                           f"name the file e.g. {p.with_suffix('.csv').name} or {p.with_suffix('.parquet').name}")
    check_target(p, "cannot write")
    try:
        if p.suffix.lower() in (".parquet", ".pq"):
            w: Writer = ParquetWriter(p, meta=meta)
            check_target(w.part, "cannot write")  # type: ignore[attr-defined]
            with contextlib.suppress(FileNotFoundError):
                p.unlink()  # a stale file of that name must not pass for this run's results
            return w
        return CsvWriter(p, meta=meta)
    except OSError as e:
        raise EndgameError(f"cannot write {p}: {e.strerror or e}") from None


# --- provenance ------------------------------------------------------------------------------------


def ruleset_sha256(model: Any) -> str:
    """The ruleset's content hash: sha256 over its texts (child first), as a save's ``ruleset_sha256``."""
    from endgame_game.saves.format import ruleset_hash

    return ruleset_hash([t for _p, t in model.files])


def provenance(model: Any, *, kind: str, seed: int, games: int, agents: Mapping[str, str], default_agent: str,
               columns: Sequence[str] = (), points: np.ndarray | None = None, validate: bool = False,
               extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """What made a run's output: everything the rows depend on, nothing they do not (no worker count,
    chunk size or clock), so two runs that must give the same rows give the same provenance."""
    from endgame_game.saves.format import environment

    env = environment()
    return {
        "kind": kind,
        "format": PROVENANCE_FORMAT,
        "endgame_version": env.pop("engine_version"),
        **env,
        "ruleset": {"id": model.id, "title": model.meta.title, "version": model.meta.version,
                    "sha256": ruleset_sha256(model), "files": [Path(p).name for p, _t in model.files]},
        "overrides": {k: _plain(v) for k, v in sorted((model.overrides or {}).items())},
        "seed": int(seed),
        "games_per_point": int(games),
        "points": 1 if points is None else int(points.shape[0]),
        "sweep": {c: sorted({float(x) for x in points[:, j]}) for j, c in enumerate(columns)} if points is not None else {},
        "agents": dict(sorted(agents.items())),
        "default_agent": default_agent,
        "validate_orders": bool(validate),
        **(dict(extra) if extra else {}),
    }


def _plain(v: Any) -> Any:
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    return v


def read_provenance(path: str | Path) -> dict[str, Any] | None:
    """A results file's provenance (Parquet metadata, or a CSV's sidecar), or None if it has none.

    Raises:
        EndgameError: the file or its sidecar cannot be read.
    """
    p = Path(path)
    try:
        if p.suffix.lower() in (".parquet", ".pq"):
            try:
                import pyarrow.parquet as pq
            except ImportError:
                raise EndgameError("reading Parquet needs pyarrow: pip install 'endgame-game[parquet]'") from None
            md = pq.read_metadata(p).metadata or {}
            raw = md.get(PROVENANCE_KEY.encode())
            return json.loads(raw) if raw else None
        side = sidecar_path(p)
        if not side.is_file():
            return None
        data = json.loads(side.read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else None
    except (OSError, ValueError) as e:
        raise EndgameError(f"cannot read the provenance of {p}: {e}") from None


def check_same_ruleset(path: str | Path, ruleset_id: str, sha256: str | None = None) -> dict[str, Any] | None:
    """Refuse batch results of another ruleset (or variant) than ``ruleset_id``: a comparison of a game
    with AI games of another ruleset means nothing. Returns the provenance (None for a file without one).

    Raises:
        EndgameError: naming both rulesets (or both content hashes, for another version of the same id).
    """
    prov = read_provenance(path)
    if prov is None:
        return None
    rs: dict[str, Any] = prov["ruleset"] if isinstance(prov.get("ruleset"), dict) else {}
    theirs = str(rs.get("id", ""))
    if theirs != ruleset_id:
        raise EndgameError(f"{path} holds games of ruleset {theirs!r}, not {ruleset_id!r}: "
                           f"compare it with batch results of {ruleset_id!r}")
    their_hash = str(rs.get("sha256", ""))
    if sha256 and their_hash and their_hash != sha256:
        raise EndgameError(f"{path} holds games of another version of ruleset {ruleset_id!r} "
                           f"(content {their_hash[:12]}…, this game's {sha256[:12]}…): re-run the batch on this version")
    return prov


def read_csv(path: str | Path) -> Rows:
    """Read a results CSV back into columns (numbers as int64/float64, ``ending`` and ``doctrine.*`` as str); for tests
    and small files. Use pandas or polars for real analysis.

    A last line without its newline is a row torn by a kill during a write (SIGKILL stops a write at a
    page boundary) and is left out: every row read is whole."""
    text = Path(path).read_text(encoding="utf-8", errors="replace")
    if not text.endswith("\n") and "\n" in text:
        text = text[: text.rindex("\n") + 1]
    reader = csv.reader(io.StringIO(text))
    header = next(reader)
    cols: list[list[str]] = [[] for _ in header]
    for row in reader:
        for c, v in zip(cols, row, strict=True):
            c.append(v)
    out: Rows = {}
    for name, c in zip(header, cols, strict=True):
        if name == "ending" or name.startswith("doctrine."):
            out[name] = np.array(c, dtype=str)
        elif name.startswith(("move.", "flags.")) or name == "ended":
            out[name] = np.array([x == "1" for x in c], dtype=bool)
        elif name in ("seed", "point", "game", "end_turn", "turn"):
            out[name] = np.array([int(x) for x in c], dtype=np.int64)
        else:
            out[name] = np.array([float(x) for x in c], dtype=np.float64)
    return out
