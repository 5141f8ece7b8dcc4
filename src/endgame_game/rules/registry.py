"""Where rulesets are found: a path, ./rulesets, or the rulesets built into the package."""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Sequence
from pathlib import Path

import attrs

from endgame_game.errors import Issue, RulesetError
from endgame_game.files import FileRefused, read_limited
from endgame_game.rules.expr import did_you_mean
from endgame_game.rules.loader import MAX_FILE_BYTES, MAX_REF_CHARS


@attrs.frozen
class RulesetInfo:
    """One ruleset found: its id, title, version, where it is and whether it is built in."""

    id: str
    title: str
    version: str
    path: Path
    builtin: bool
    extends: str | None = None
    description: str = ""


def builtin_dir() -> Path:
    """The folder of the rulesets shipped with the package.

    An installed wheel carries them as the ``endgame_game.rulesets`` package; an editable install
    (or a source checkout) reads the repository's top-level ``rulesets/`` folder.
    """
    installed = Path(__file__).resolve().parents[1] / "rulesets"
    if installed.is_dir():
        return installed
    return Path(__file__).resolve().parents[3] / "rulesets"


def search_dirs(relative_to: Path | None = None) -> list[tuple[Path, bool]]:
    dirs: list[tuple[Path, bool]] = []
    if relative_to is not None:
        dirs.append((relative_to, False))
    builtin = builtin_dir()
    local = Path.cwd() / "rulesets"
    if local.resolve() != builtin.resolve():  # in a source checkout ./rulesets is the built-in folder
        dirs.append((local, False))
    dirs.append((builtin, True))
    return dirs


def beside_rulesets(files: Sequence[str], folder: str, name: Callable[[Path], str]) -> list[Path]:
    """Where a file that goes with a ruleset (its guide, its tuned policies) is looked for, in order:
    ``folder/name(file)`` beside each of the ruleset's files (its own, then each base it extends). A file
    known by its name only, as in a game loaded from a save (the save carries the rulesets' text), is
    looked for where rulesets are found (``./rulesets``, the built-in folder)."""
    out = []
    for file in files:
        f = Path(file)
        if f.is_file():
            out.append(f.parent / folder / name(f))
        else:
            out += [d / folder / name(f) for d, _ in search_dirs()]
    return list(dict.fromkeys(out))


def find_ruleset(ref: str, relative_to: Path | None = None) -> Path:
    """Resolve a ruleset reference (a path, or an id like ``endgame-2024``) to a file."""
    if len(ref) > MAX_REF_CHARS or "\x00" in ref:
        what = f"is {len(ref)} characters long; the limit is {MAX_REF_CHARS}" if len(ref) > MAX_REF_CHARS else "holds a NUL character"
        raise RulesetError([Issue("", f"the ruleset name {what}")])
    try:
        return _find(ref, relative_to)
    except (OSError, ValueError) as e:  # a name the file system refuses (too long a part, …)
        reason = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
        raise RulesetError([Issue("", f"no ruleset {ref[:80]!r}: not a usable file name ({reason})")]) from None


def _find(ref: str, relative_to: Path | None) -> Path:
    p = Path(ref)
    if p.suffix == ".toml" and p.exists():  # not only a regular file: reading it says why a FIFO or folder is refused
        return p
    if relative_to is not None and (relative_to / ref).is_file():
        return relative_to / ref
    name = p.name if p.suffix == ".toml" else f"{ref}.toml"
    for d, _ in search_dirs(relative_to):
        if (d / name).is_file():
            return d / name
    known = [r.id for r in list_rulesets()]
    raise RulesetError([Issue("", f"no ruleset {ref!r} (not a file, nor an id in ./rulesets or the built-in rulesets)",
                              hint=did_you_mean(ref, known))])


def list_rulesets() -> list[RulesetInfo]:
    """Every ruleset in ./rulesets and built in (a local file shadows a built-in one of the same id)."""
    found: dict[str, RulesetInfo] = {}
    for d, builtin in search_dirs():
        if not d.is_dir():
            continue
        for f in sorted(d.glob("*.toml")):
            try:
                data = tomllib.loads(read_limited(f, MAX_FILE_BYTES).decode("utf-8"))
            except (FileRefused, UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError):
                continue  # not a ruleset (a FIFO, too big, not TOML, nested too deep): `endgame check` says why
            meta = data.get("ruleset", {}) if isinstance(data.get("ruleset"), dict) else {}
            rid = str(meta.get("id", f.stem))
            if rid in found:
                continue
            found[rid] = RulesetInfo(
                id=rid,
                title=str(meta.get("title", "")),
                version=str(meta.get("version", "")),
                path=f,
                builtin=builtin,
                extends=data.get("extends") if isinstance(data.get("extends"), str) else None,
                description=str(meta.get("description", "")),
            )
    # A base ruleset first, then its variants; families and tutorials by id.
    infos = list(found.values())
    ids = {r.id for r in infos}

    def family(r: RulesetInfo) -> tuple[str, int, str]:
        base = r.extends if r.extends in ids else None
        return (base or r.id, 0 if base is None else 1, r.id)

    return sorted(infos, key=family)
