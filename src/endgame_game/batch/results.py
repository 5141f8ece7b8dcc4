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
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from endgame_game.engine.api import Game
from endgame_game.errors import EndgameError

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

    def close(self) -> None: ...


class CsvWriter:
    """Rows to CSV, a chunk at a time (a header first); flushed after every chunk."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._f = self.path.open("w", newline="", encoding="utf-8")
        self._w = csv.writer(self._f, lineterminator="\n")
        self._header = False

    def write(self, rows: Rows) -> None:
        if not rows:
            return
        if not self._header:
            self._w.writerow(list(rows))
            self._header = True
        # tolist() gives Python ints and floats; csv writes floats with repr (shortest round-trip).
        self._w.writerows(zip(*(v.tolist() for v in rows.values()), strict=True))
        self._f.flush()

    def close(self) -> None:
        if not self._f.closed:
            self._f.close()


class ParquetWriter:
    """Rows to Parquet (needs pyarrow: ``pip install endgame-game[parquet]``), in row groups of a fixed
    size so the file does not depend on how the rows were chunked."""

    def __init__(self, path: str | Path, row_group: int = PARQUET_ROW_GROUP):
        try:
            import pyarrow  # noqa: F401
            import pyarrow.parquet  # noqa: F401
        except ImportError:
            raise EndgameError("writing Parquet needs pyarrow: pip install 'endgame-game[parquet]' "
                               "(or write CSV: --out results.csv)") from None
        self.path = Path(path)
        self.row_group = row_group
        self._buf: list[Rows] = []
        self._n = 0
        self._writer: Any = None

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
        if self._writer is None:
            self._writer = pq.ParquetWriter(self.path, table.schema)
        self._writer.write_table(table)

    def close(self) -> None:
        if self._buf:
            self._flush(concat(self._buf))
            self._buf, self._n = [], 0
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        elif self.path.exists() and self.path.stat().st_size == 0:
            self.path.unlink()  # no rows at all: no (invalid, empty) Parquet file


def open_writer(path: str | Path) -> Writer:
    """A writer for ``path``: ``.csv`` → CSV, ``.parquet``/``.pq`` → Parquet.

    Raises:
        EndgameError: another suffix (``runs.xlsx`` would silently be CSV), the folder does not exist,
            or Parquet without pyarrow.
    """
    p = Path(path)
    if not p.parent.exists():
        raise EndgameError(f"cannot write {p}: folder {p.parent} does not exist")
    if p.is_dir():
        raise EndgameError(f"cannot write {p}: it is a folder; give a file name such as {p / 'results.csv'}")
    if p.suffix.lower() not in (".csv", ".parquet", ".pq"):
        raise EndgameError(f"cannot write {p}: results are written as .csv or .parquet; "
                           f"name the file e.g. {p.with_suffix('.csv').name} or {p.with_suffix('.parquet').name}")
    try:
        if p.suffix.lower() in (".parquet", ".pq"):
            w: Writer = ParquetWriter(p)
            p.touch()  # fail now, not after the first row group, if the file cannot be written
            return w
        return CsvWriter(p)
    except OSError as e:
        raise EndgameError(f"cannot write {p}: {e.strerror or e}") from None


def read_csv(path: str | Path) -> Rows:
    """Read a results CSV back into columns (numbers as int64/float64, ``ending`` and ``doctrine.*`` as str); for tests
    and small files. Use pandas or polars for real analysis."""
    text = Path(path).read_text(encoding="utf-8")
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
        elif name in ("seed", "point", "game", "end_turn"):
            out[name] = np.array([int(x) for x in c], dtype=np.int64)
        else:
            out[name] = np.array([float(x) for x in c], dtype=np.float64)
    return out
