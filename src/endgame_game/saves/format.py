"""The save format: a game ⇄ plain TOML data, the body hash, and strict validation with key paths.

Layout of a format-3 save (see ``docs/save-format.md``)::

    format = "endgame-save"
    format_version = 3
    body_sha256 = "…"            # sha256 of the canonical JSON of everything else
    [header]                     # engine/python/numpy/platform, saved_at, ruleset id/title/sha256, turn…
    [agents]                     # role → agent spec
    [meta]                       # the app's data (human roles, hotseat, umpire, a save name…)
    [record]                     # the game record (``engine.record.GameRecord``): ruleset, seed, games,
                                 # params, overrides, [[files]], [[turns]], [current], [[branches]]
    [state]                      # BatchState arrays; uint64 and out-of-int64 integers as decimal text

The record is read and written by the strict converter the rulesets use (``rules.convert``).
Nothing here runs anything from a save: the data is parsed by ``tomllib`` and checked key by key, and
the only code a save reaches is the ruleset loader (``model_from_texts``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import platform
import re
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from endgame_game.engine.record import GameRecord, RecordError, from_data, to_data
from endgame_game.errors import SaveError
from endgame_game.rules.convert import describe_value as describe
from endgame_game.rules.convert import errors as structuring_errors

MAGIC = "endgame-save"
FORMAT_VERSION = 3
MAX_SAVE_BYTES = 64 * 1024 * 1024
INT64_MIN, INT64_MAX = -(1 << 63), (1 << 63) - 1
INT32_MAX = (1 << 31) - 1
# Dtype kinds of the BatchState arrays (checked against the model's template too).
_DIGITS = re.compile(r"^-?[0-9]{1,40}$")


class SaveDataError(SaveError):
    """A save's content is wrong: ``key`` names where, ``problem`` says what."""

    def __init__(self, path: str | Path | None, key: str, problem: str):
        self.path = str(path) if path is not None else ""
        self.key = key
        self.problem = problem
        where = f"save {Path(self.path).name!r}: " if self.path else "save: "
        super().__init__(where + (f"{key}: {problem}" if key else problem))


class SaveWarning(UserWarning):
    """Something about a save that the user should know but that does not stop loading."""


# --- environment -----------------------------------------------------------------------------------


def environment() -> dict[str, str]:
    """What a replay's bit-identity depends on (recorded in every header)."""
    from endgame_game import __version__

    return {
        "engine_version": __version__,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "platform": f"{platform.system()}-{platform.machine()}",
    }


def same_environment(header: Mapping[str, Any]) -> bool:
    env = environment()
    return all(str(header.get(k, "")) == v for k, v in env.items())


def now_iso() -> str:
    """UTC time of saving; ``SOURCE_DATE_EPOCH`` pins it (reproducible saves, as for builds)."""
    sde = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if sde.isdigit():
        t = dt.datetime.fromtimestamp(int(sde), dt.UTC)
    else:
        t = dt.datetime.now(dt.UTC)
    return t.replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- canonical bytes and hashes ----------------------------------------------------------------------


def canonical(data: Any) -> bytes:
    """Canonical JSON (sorted keys, no spaces, exact float repr) of TOML-parsed data."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=True,
                      default=_json_default).encode("utf-8")


def _json_default(o: Any) -> Any:
    if isinstance(o, dt.datetime | dt.date | dt.time):
        return {"$datetime": o.isoformat()}
    raise TypeError(f"not TOML data: {type(o).__name__}")


def body_hash(doc: Mapping[str, Any], hash_key: str = "body_sha256") -> str:
    return hashlib.sha256(canonical({k: v for k, v in doc.items() if k != hash_key})).hexdigest()


def ruleset_hash(texts: Sequence[str]) -> str:
    """sha256 over the ruleset texts, child first, each prefixed by its byte length."""
    h = hashlib.sha256()
    for t in texts:
        b = t.encode("utf-8")
        h.update(f"{len(b)}\n".encode())
        h.update(b)
    return h.hexdigest()


# --- integers TOML cannot hold -----------------------------------------------------------------------


def enc_int(x: int) -> int | str:
    """An int64 stays an int; anything wider becomes decimal text (TOML 1.0 guarantees only int64)."""
    x = int(x)
    return x if INT64_MIN <= x <= INT64_MAX else str(x)


def dec_int(v: Any, key: str, path: Any = None) -> int:
    if type(v) is int:
        return v
    if isinstance(v, str) and _DIGITS.match(v):
        return int(v)
    raise SaveDataError(path, key, f"expected a whole number (or one written as decimal text), got {describe(v)}")




# --- user data (meta, agents, overrides) -------------------------------------------------------------


def plain(value: Any, key: str) -> Any:
    """Check/convert app data to TOML data: str, int64, float, bool, lists, tables with text keys.

    numpy scalars become Python numbers and tuples become lists; ``None``, sets and other objects are
    refused with the key (TOML has no null)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool | str | float):
        return value
    if isinstance(value, int):
        if not INT64_MIN <= value <= INT64_MAX:
            raise SaveError(f"cannot save {key}: {value} does not fit in 64 bits (store it as text)")
        return value
    if isinstance(value, list | tuple):
        return [plain(v, f"{key}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, Mapping):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise SaveError(f"cannot save {key}: key {k!r} is not text")
            out[k] = plain(v, f"{key}.{k}")
        return out
    what = "None (TOML has no null; leave the key out)" if value is None else type(value).__name__
    raise SaveError(f"cannot save {key}: {what} is not TOML data")


# --- game → data -------------------------------------------------------------------------------------


def _state_table(state: Any) -> dict[str, Any]:
    from endgame_game.engine.state import ARRAYS, NEGOTIATION

    out: dict[str, Any] = {"seed": enc_int(state.seed), "turn": int(state.turn),
                           "builtins": [float(x) for x in state.builtins]}
    for name in ARRAYS:
        a = getattr(state, name)
        if name in NEGOTIATION and a.shape[1] == 0:
            continue  # a ruleset without terms: saved as it always was
        if a.dtype == np.uint64:
            out[name] = _map_nested(a.tolist(), enc_int)
        elif a.dtype.kind == "f":
            out[name] = a.astype(np.float64).tolist()
        else:
            out[name] = a.tolist()
    return out


def _map_nested(v: Any, f: Any) -> Any:
    return [_map_nested(x, f) for x in v] if isinstance(v, list) else f(v)


def record_table(record: GameRecord) -> dict[str, Any]:
    """The record as TOML data: integers beyond int64 (seed, game indices) as decimal text."""
    data = to_data(record)
    data["seed"] = enc_int(record.seed)
    data["games"] = [enc_int(x) for x in record.games]
    data["overrides"] = plain(data["overrides"], "overrides")
    return data


def encode(game: Any, *, agents: Mapping[str, str] | None = None, meta: Mapping[str, Any] | None = None,
           saved_at: str | None = None) -> dict[str, Any]:
    """A ``Game`` as TOML data (without the body hash)."""
    from endgame_game.errors import EndgameError

    model = game.model
    st = game.state
    try:
        record = game.record()
    except EndgameError as e:
        raise SaveError(f"cannot save: {e}") from None
    texts = [f.text for f in record.files]
    ending = ""
    if bool(st.ended[0]):
        ending = model.endings[int(st.ending[0])].label
    header = {
        **environment(),
        "saved_at": saved_at or now_iso(),
        "ruleset_id": model.id,
        "ruleset_title": model.meta.title,
        "ruleset_version": model.meta.version,
        "ruleset_sha256": ruleset_hash(texts),
        "turn": int(st.turn),
        "batch": int(st.batch),
        "done": bool(game.done),
        "ending": ending,
    }
    ag = plain(dict(agents or {}), "agents")
    for k, v in ag.items():
        if not isinstance(v, str):
            raise SaveError(f"cannot save agents.{k}: an agent spec is text, got {describe(v)}")
    return {
        "format": MAGIC,
        "format_version": FORMAT_VERSION,
        "header": header,
        "agents": ag,
        "meta": plain(dict(meta or {}), "meta"),
        "record": record_table(record),
        "state": _state_table(st),
    }


def dumps(doc: dict[str, Any]) -> bytes:
    """TOML bytes of a save (with its body hash), verified to parse back to the same data."""
    import tomli_w

    body = dict(doc)
    body.pop("body_sha256", None)
    h = body_hash(body)
    full = {"format": body.pop("format"), "format_version": body.pop("format_version"), "body_sha256": h, **body}
    want = canonical(full)
    for multiline in (True, False):  # multi-line strings are readable but turn \r\n into \n
        try:
            text = tomli_w.dumps(full, multiline_strings=multiline)
        except (TypeError, ValueError) as e:
            raise SaveError(f"cannot write the save: {e}") from None
        if canonical(tomllib.loads(text)) == want:
            return text.encode("utf-8")
    raise SaveError("cannot write the save: its TOML does not read back identically")


# --- data → SaveData ---------------------------------------------------------------------------------


@attrs.frozen
class SaveData:
    """A save read and checked (format version current), before the ruleset is compiled."""

    path: Path | None
    version: int  # the format version the file was written in
    header: dict[str, Any]
    agents: dict[str, str]
    meta: dict[str, Any]
    record: GameRecord
    state: dict[str, Any]

    @property
    def ruleset_files(self) -> tuple[tuple[str, str], ...]:
        return tuple((f.name, f.text) for f in self.record.files)


def parse_bytes(raw: bytes, path: Path | None) -> dict[str, Any]:
    if len(raw) > MAX_SAVE_BYTES:
        raise SaveDataError(path, "", f"file is {len(raw)} bytes; the limit is {MAX_SAVE_BYTES}")
    if not raw.strip():
        raise SaveDataError(path, "", "the file is empty")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise SaveDataError(path, "", f"not UTF-8 text (byte {e.start}): damaged") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise SaveDataError(path, "", f"not valid TOML ({e}): damaged or truncated") from None
    except (RecursionError, MemoryError) as e:
        raise SaveDataError(path, "", f"not valid TOML ({type(e).__name__})") from None


class _V:
    """Typed access to a table with key paths in every error."""

    def __init__(self, path: Path | None):
        self.path = path

    def fail(self, key: str, problem: str) -> SaveDataError:
        return SaveDataError(self.path, key, problem)

    def table(self, d: Any, key: str, name: str, *, required: bool = True) -> dict[str, Any]:
        full = f"{key}.{name}" if key else name
        if name not in d:
            if required:
                raise self.fail(full, "required key is missing")
            return {}
        v = d[name]
        if not isinstance(v, dict):
            raise self.fail(full, f"expected a table, got {describe(v)}")
        return v

    def get(self, d: Any, key: str, name: str, typ: type | tuple[type, ...], *, default: Any = ...) -> Any:
        full = f"{key}.{name}" if key else name
        if name not in d:
            if default is ...:
                raise self.fail(full, "required key is missing")
            return default
        v = d[name]
        types = typ if isinstance(typ, tuple) else (typ,)
        ok = isinstance(v, types) and not (isinstance(v, bool) and bool not in types)
        if not ok:
            want = " or ".join({str: "text", int: "a whole number", float: "a number", bool: "true/false",
                                list: "a list", dict: "a table"}.get(t, t.__name__) for t in types)
            raise self.fail(full, f"expected {want}, got {describe(v)}")
        return v

    def strict_keys(self, d: dict[str, Any], key: str, allowed: Sequence[str]) -> None:
        extra = sorted(set(d) - set(allowed))
        if extra:
            from endgame_game.rules.expr import did_you_mean

            hint = did_you_mean(extra[0], allowed)
            raise self.fail(f"{key}.{extra[0]}" if key else extra[0], "unknown key" + (f" ({hint})" if hint else ""))


def check_envelope(doc: dict[str, Any], path: Path | None) -> int:
    """The magic and the format version (refusing newer ones); returns the version."""
    v = _V(path)
    magic = doc.get("format")
    if magic != MAGIC:
        if magic is None:
            raise v.fail("format", "required key is missing: this is not an endgame save")
        raise v.fail("format", f"expected {MAGIC!r}, got {describe(magic)}: this is not an endgame save")
    if "format_version" in doc:
        ver = doc["format_version"]
        key = "format_version"
    else:
        ver = doc.get("version")  # format 1 called it "version"
        key = "version"
    if type(ver) is not int:
        raise v.fail(key, f"expected a whole number, got {describe(ver)}" if ver is not None else "required key is missing")
    if ver > FORMAT_VERSION:
        made = doc.get("header", {}).get("engine_version", "?") if isinstance(doc.get("header"), dict) else "?"
        raise v.fail(key, f"format {ver} is newer than this endgame understands (up to {FORMAT_VERSION}); "
                          f"it was written by endgame {made}: upgrade endgame-game to open it")
    if ver < 1:
        raise v.fail(key, f"unknown format version {ver}")
    return ver


def check_hash(doc: dict[str, Any], path: Path | None, hash_key: str) -> None:
    v = _V(path)
    want = v.get(doc, "", hash_key, str)
    got = body_hash(doc, hash_key)
    if got != want:
        raise v.fail(hash_key, "does not match the content: the file was damaged or edited by hand "
                               f"(expected {want[:12]}…, content hashes to {got[:12]}…)")


HEADER_KEYS = ("engine_version", "python", "numpy", "platform", "saved_at", "ruleset_id", "ruleset_title",
               "ruleset_version", "ruleset_sha256", "turn", "batch", "done", "ending")


def read_record(d: Any, path: Path | None, key: str = "record") -> GameRecord:
    """The ``[record]`` table as a ``GameRecord``, strictly: the first problem names its key path."""
    v = _V(path)
    if not isinstance(d, dict):
        raise v.fail(key, f"expected a table, got {describe(d)}")
    data = dict(d)
    for name in ("seed", "games"):
        if name not in data:
            continue
        if name == "seed":
            data["seed"] = dec_int(data["seed"], f"{key}.seed", path)
        elif isinstance(data["games"], list):
            data["games"] = [dec_int(x, f"{key}.games[{i}]", path) for i, x in enumerate(data["games"])]
    games = data.get("games", [])
    if isinstance(games, list) and any(not 0 <= g < 1 << 64 for g in games if isinstance(g, int)):
        raise v.fail(f"{key}.games", "expected whole numbers from 0 to 2**64-1")
    try:
        record = from_data(data)
    except Exception as e:  # noqa: BLE001 - cattrs' grouped errors, turned into the first key path
        found = structuring_errors(e)
        where, problem = found[0] if found else ("", str(e))
        raise v.fail(f"{key}.{where}" if where else key, problem) from None
    if not record.files:
        raise v.fail(f"{key}.files", "is empty: the save carries no ruleset")
    try:
        record.check()
    except RecordError as e:
        raise v.fail(f"{key}.{e.key}", e.problem) from None
    return record


def validate(doc: dict[str, Any], path: Path | None, version: int) -> SaveData:
    """Check a current-format document key by key (types, the record, consistency)."""
    v = _V(path)
    v.strict_keys(doc, "", ("format", "format_version", "body_sha256", "header", "agents", "meta", "record", "state"))
    header = v.table(doc, "", "header")
    v.strict_keys(header, "header", HEADER_KEYS)
    for k in ("engine_version", "python", "numpy", "platform", "saved_at", "ruleset_id", "ruleset_title",
              "ruleset_version", "ruleset_sha256", "ending"):
        v.get(header, "header", k, str)
    v.get(header, "header", "turn", int)
    batch = v.get(header, "header", "batch", int)
    v.get(header, "header", "done", bool)
    if not 1 <= batch <= 10_000_000:
        raise v.fail("header.batch", f"must be between 1 and 10000000, got {batch}")

    agents = v.table(doc, "", "agents", required=False)
    for k, x in agents.items():
        if not isinstance(x, str):
            raise v.fail(f"agents.{k}", f"expected an agent spec (text), got {describe(x)}")
    meta = v.table(doc, "", "meta", required=False)

    record = read_record(v.table(doc, "", "record"), path)
    if ruleset_hash([f.text for f in record.files]) != header["ruleset_sha256"]:
        raise v.fail("header.ruleset_sha256", "does not match the embedded ruleset texts (record.files)")
    if record.batch != batch:
        raise v.fail("record.games", f"expected {batch} game(s) (header.batch), got {record.batch}")

    state = v.table(doc, "", "state")
    for name, arr in state.items():  # the declared size against the body, before anything is allocated for it
        if name not in ("seed", "turn", "builtins") and isinstance(arr, list) and len(arr) != batch:
            raise v.fail(f"state.{name}", f"holds {len(arr)} game(s), but header.batch says {batch}")
    st_turn = v.get(state, "state", "turn", int)
    cur_turn = record.current.turn
    if st_turn != cur_turn or header["turn"] != cur_turn:
        raise v.fail("state.turn", f"state is at turn {st_turn}, the log at turn {cur_turn}, the header says {header['turn']}")
    return SaveData(path, version, dict(header), dict(agents), dict(meta), record, state)


# --- the ruleset from the embedded texts ---------------------------------------------------------------


def model_from_texts(files: Sequence[tuple[str, str]], ref: str, overrides: Mapping[str, Any],
                     path: Path | None = None) -> Any:
    """Compile the embedded ruleset exactly as ``rules.load_ruleset`` would from files on disk: parse each
    text, merge every variant over its base (child first in ``files``), apply the overrides, structure,
    check and compile. Reads no file and runs nothing else."""
    from endgame_game.engine.model import CompiledModel
    from endgame_game.errors import RulesetError
    from endgame_game.rules import check_texts

    try:
        checked = check_texts(files, overrides)
        if checked.errors:
            raise RulesetError(checked.issues)
        return CompiledModel(checked, ref, overrides)
    except RulesetError as e:
        first = "; ".join(str(i) for i in e.issues if i.severity == "error")[:500]
        raise SaveDataError(path, "ruleset_files", f"the embedded ruleset does not load: {first}") from None


# --- the state --------------------------------------------------------------------------------------


def _flatten(v: Any, shape: tuple[int, ...], key: str, out: list[Any], fail: Any) -> None:
    if not shape:
        out.append(v)
        return
    if not isinstance(v, list) or len(v) != shape[0]:
        got = f"a list of {len(v)}" if isinstance(v, list) else describe(v)
        raise fail(key, f"expected a list of {shape[0]}, got {got}")
    for i, x in enumerate(v):
        _flatten(x, shape[1:], f"{key}[{i}]", out, fail)


def decode_state(data: SaveData, template: Any, model: Any = None) -> Any:
    """The stored ``[state]`` as a BatchState shaped like ``template`` (a fresh state of the model: only
    its row shapes and dtypes are read, so a batch of one will do; the body is checked against
    ``header.batch`` before any array is built). With ``model``, indices and counters are range-checked
    too (an ending index must name an ending), as a save from another platform is trusted as stored."""
    from endgame_game.engine.state import ARRAYS, INTEL_ARRAYS, NEGOTIATION, BatchState

    v = _V(data.path)
    st = data.state
    v.strict_keys(st, "state", ("seed", "turn", "builtins", *ARRAYS))
    old_save = not any(n in st for n in INTEL_ARRAYS)  # written before estimates were kept: see below
    seed = dec_int(st.get("seed"), "state.seed", data.path) if "seed" in st else None
    if seed is None:
        raise v.fail("state.seed", "required key is missing")
    b = v.get(st, "state", "builtins", list)
    if len(b) != 4 or not all(isinstance(x, int | float) and not isinstance(x, bool) for x in b):
        raise v.fail("state.builtins", "expected 4 numbers")
    B = int(data.header["batch"])
    arrays = {}
    for name in ARRAYS:
        t = getattr(template, name)
        shape = (B, *t.shape[1:])
        key = f"state.{name}"
        if name not in st and name in NEGOTIATION and t.shape[1] == 0:
            arrays[name] = np.zeros(shape, dtype=t.dtype)
            continue
        if name in INTEL_ARRAYS and old_save:
            # A save written before estimates were kept in the state: they are a function of the
            # record, so the replay fills them in (``saves.replay``); NaN (or -1) marks them as not stored.
            arrays[name] = np.full(shape, np.nan if t.dtype.kind == "f" else -1, dtype=t.dtype)
            continue
        if name not in st:
            raise v.fail(key, "required key is missing")
        leaves: list[Any] = []
        _flatten(st[name], shape, key, leaves, v.fail)
        kind = t.dtype.kind
        if kind == "b":
            if not all(type(x) is bool for x in leaves):
                raise v.fail(key, "expected true/false values")
            arr = np.array(leaves, dtype=bool)
        elif kind == "f":
            if not all(type(x) in (int, float) for x in leaves):
                raise v.fail(key, "expected numbers")
            arr = np.array(leaves, dtype=np.float64)
        elif t.dtype == np.uint64:
            ints = [dec_int(x, key, data.path) for x in leaves]
            if any(x < 0 or x >= 1 << 64 for x in ints):
                raise v.fail(key, "expected whole numbers from 0 to 2**64-1")
            arr = np.array(ints, dtype=np.uint64)
        else:
            info = np.iinfo(t.dtype)
            if not all(type(x) is int and info.min <= x <= info.max for x in leaves):
                raise v.fail(key, f"expected whole numbers from {info.min} to {info.max}")
            arr = np.array(leaves, dtype=t.dtype)
        arrays[name] = arr.reshape(shape)
    if model is not None:
        _check_ranges(v, arrays, int(st["turn"]), len(model.endings))
    return BatchState(seed, int(st["turn"]), (float(b[0]), float(b[1]), float(b[2]), float(b[3])), **arrays)


def _check_ranges(v: _V, arrays: Mapping[str, np.ndarray], turn: int, n_endings: int) -> None:
    """Indices and counters a stored state may hold: what the engine can write, nothing else."""
    limits = {
        "ending": (-1, n_endings - 1, "an ending index (-1 while running)"),
        "end_turn": (0, turn, "the turn the game ended (0 while running)"),
        "pending": (-1, turn, "the turn a proposal was made (-1 for none)"),
        "answers": (0, 4, "0 (none), 1 (accept), 2 (reject), 3 (counter) or 4 (withdraw)"),
        "offer_by": (-1, INT32_MAX, "an actor index (-1 for none)"),
        "opened": (-1, turn, "the turn a negotiation opened (-1 for none)"),
        "rounds": (0, INT32_MAX, "a count (0 or more)"),
        "status": (0, 4, "0 (open or none) to 4 (withdrawn)"),
        "taken": (0, INT32_MAX, "a count (0 or more)"),
        "fired": (0, INT32_MAX, "a count (0 or more)"),
        "crossed": (0, INT32_MAX, "a count (0 or more)"),
    }
    for name, (lo, hi, what) in limits.items():
        a = arrays[name]
        bad = np.argwhere((a < lo) | (a > hi))
        if len(bad):
            idx = tuple(int(i) for i in bad[0])
            raise v.fail(f"state.{name}[{', '.join(map(str, idx))}]",
                         f"{int(a[idx])} is out of range: expected {what}, from {lo} to {hi}")
    ended, end_turn = arrays["ending"] >= 0, arrays["end_turn"]
    wrong = np.nonzero(ended != (end_turn > 0))[0]
    if len(wrong):
        g = int(wrong[0])
        raise v.fail(f"state.end_turn[{g}]", "an ended game has the turn it ended, a running one 0")


def first_difference(a: Any, b: Any, model: Any) -> str:
    """The first field where two states differ, readably (``values[0, 2] (blue.men): 93.2 vs 91``)."""
    from endgame_game.engine.state import ARRAYS

    if a.turn != b.turn:
        return f"turn: {a.turn} vs {b.turn}"
    if a.seed != b.seed:
        return f"seed: {a.seed} vs {b.seed}"
    for name in ARRAYS:
        x, y = getattr(a, name), getattr(b, name)
        if x.shape != y.shape:
            return f"{name}: shape {x.shape} vs {y.shape}"
        diff = np.argwhere(~((x == y) | ((x != x) & (y != y))))
        if len(diff):
            idx = tuple(int(i) for i in diff[0])
            label = ""
            if name == "values" and len(idx) == 2:
                label = f" ({model.symbols.values[idx[1]]})"
            elif name == "scores" and len(idx) == 2:
                label = f" ({model.actors[idx[1]]})"
            return f"{name}[{', '.join(map(str, idx))}]{label}: {x[idx]!r} vs {y[idx]!r}"
    return ""
