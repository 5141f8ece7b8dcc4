"""FIFOs, devices and huge files given as a save or a ruleset are refused before anything is read
(issue 18, item 4): nothing hangs, nothing fills the memory, the error names the file and the limit."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from endgame_game.errors import EndgameError, RulesetError, SaveError
from endgame_game.files import FileRefused, read_limited
from endgame_game.rules import check_file, find_ruleset, list_rulesets
from endgame_game.rules.loader import MAX_FILE_BYTES
from endgame_game.saves import list_saves, load_game, read_save, replay_save
from endgame_game.saves.format import MAX_SAVE_BYTES

MINI = Path(__file__).resolve().parents[1] / "rulesets" / "mini.toml"
posix_only = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
TIMEOUT = 10.0


def _finishes(fn: Callable[[], Any], unblock: Path | None = None) -> BaseException | None:
    """Run ``fn`` in a thread; fail if it is still running after TIMEOUT seconds (a hang). Returns the
    exception it raised (None if it returned). ``unblock``: a FIFO to open for writing afterwards, so a
    reader stuck on it (the bug) is let go and the thread ends."""
    out: list[BaseException | None] = []

    def run() -> None:
        try:
            fn()
            out.append(None)
        except BaseException as e:  # noqa: BLE001 - handed back to the test
            out.append(e)

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(TIMEOUT)
    hung = t.is_alive()
    if hung and unblock is not None:
        with contextlib.suppress(OSError):
            fd = os.open(unblock, os.O_WRONLY | os.O_NONBLOCK)
            os.close(fd)
        t.join(5)
    assert not hung, f"{fn} hung on a non-regular file"
    return out[0]


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    if not hasattr(os, "mkfifo"):
        pytest.skip("needs FIFOs")
    p = tmp_path / "pipe.toml"
    os.mkfifo(p)
    return p


@pytest.fixture
def huge(tmp_path: Path) -> Path:
    """A sparse file of 3 GB: its size says so without taking the disk."""
    p = tmp_path / "huge.toml"
    with p.open("wb") as f:
        f.truncate(3 * 1024**3)
    return p


def test_read_limited_refuses_before_reading(tmp_path: Path, fifo: Path, huge: Path) -> None:
    small = tmp_path / "s.txt"
    small.write_bytes(b"abc")
    assert read_limited(small, 3) == b"abc"
    with pytest.raises(FileRefused, match="the limit is 2"):
        read_limited(small, 2)
    with pytest.raises(FileRefused, match="pipe"):
        read_limited(fifo, 100)
    with pytest.raises(FileRefused, match="folder"):
        read_limited(tmp_path, 100)
    with pytest.raises(FileRefused, match="3221225472 bytes; the limit is 100") as e:
        read_limited(huge, 100)
    assert not e.value.missing
    with pytest.raises(FileRefused, match="no such file") as e:
        read_limited(tmp_path / "nope", 100)
    assert e.value.missing


@posix_only
@pytest.mark.parametrize("load", [read_save, load_game, replay_save], ids=["read_save", "load_game", "replay_save"])
def test_a_fifo_save_is_refused_not_waited_on(fifo: Path, load: Callable[[Path], Any]) -> None:
    err = _finishes(lambda: load(fifo), unblock=fifo)
    assert isinstance(err, SaveError), err
    assert "pipe" in str(err) and "pipe.toml" in str(err)


@posix_only
def test_a_device_save_is_refused(tmp_path: Path) -> None:
    if not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero")
    err = _finishes(lambda: read_save(Path("/dev/zero")))
    assert isinstance(err, SaveError) and "device" in str(err), err


def test_a_huge_save_is_refused_by_its_size(huge: Path) -> None:
    err = _finishes(lambda: load_game(huge))
    assert isinstance(err, SaveError), err
    assert f"the limit is {MAX_SAVE_BYTES}" in str(err)


@posix_only
def test_the_load_list_skips_a_fifo_and_names_a_huge_save(tmp_path: Path, huge: Path) -> None:
    os.mkfifo(tmp_path / "p.toml")
    infos = _finishes(lambda: list_saves(tmp_path), unblock=tmp_path / "p.toml")
    assert infos is None
    infos = list_saves(tmp_path)
    assert [i.path.name for i in infos] == ["huge.toml"]
    assert not infos[0].ok and "limit" in infos[0].error


@posix_only
def test_a_fifo_or_huge_ruleset_is_a_ruleset_error(fifo: Path, huge: Path) -> None:
    err = _finishes(lambda: check_file(fifo), unblock=fifo)
    assert isinstance(err, RulesetError), err
    assert "pipe" in str(err) and err.issues[0].file == str(fifo)
    err = _finishes(lambda: check_file(huge))
    assert isinstance(err, RulesetError) and f"the limit is {MAX_FILE_BYTES}" in str(err), err


@posix_only
def test_a_fifo_in_local_rulesets_does_not_hang_the_list_or_lookups(tmp_path: Path, monkeypatch) -> None:
    local = tmp_path / "rulesets"
    local.mkdir()
    shutil.copy(MINI, local / "mini.toml")
    os.mkfifo(local / "trap.toml")
    with (local / "big.toml").open("wb") as f:
        f.truncate(MAX_FILE_BYTES + 1)
    monkeypatch.chdir(tmp_path)
    assert _finishes(lambda: list_rulesets(), unblock=local / "trap.toml") is None
    ids = [r.id for r in list_rulesets()]
    assert "mini" in ids and "trap" not in ids and "big" not in ids
    assert _finishes(lambda: find_ruleset("mini"), unblock=local / "trap.toml") is None
    err = _finishes(lambda: check_file("trap"), unblock=local / "trap.toml")
    assert isinstance(err, EndgameError), err


@posix_only
def test_cli_commands_refuse_a_fifo_quickly(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "p.toml")
    for cmd in (["replay", "p.toml"], ["check", "p.toml"], ["report", "p.toml", "--no-charts"]):
        try:
            out = subprocess.run([sys.executable, "-m", "endgame_game", *cmd], capture_output=True, text=True,
                                 cwd=tmp_path, timeout=60)
        except subprocess.TimeoutExpired:
            pytest.fail(f"endgame {' '.join(cmd)} hung on a FIFO")
        assert out.returncode != 0, cmd
        assert "Traceback" not in out.stderr, out.stderr
        assert "pipe" in out.stderr, (cmd, out.stderr)


def test_a_deeply_nested_file_in_local_rulesets_does_not_break_the_list(tmp_path: Path) -> None:
    local = tmp_path / "rulesets"
    local.mkdir()
    shutil.copy(MINI, local / "mini.toml")
    (local / "deep.toml").write_text("x = " + "[" * 100_000 + "]" * 100_000 + "\n")
    (local / "deep2.toml").write_text("[" + ".".join(f"t{i}" for i in range(3000)) + "]\n")
    out = subprocess.run([sys.executable, "-m", "endgame_game", "rulesets"], capture_output=True, text=True,
                         cwd=tmp_path, timeout=120)
    assert out.returncode == 0 and "Traceback" not in out.stderr, out.stderr
    assert "mini" in out.stdout
    out = subprocess.run([sys.executable, "-m", "endgame_game", "check", "deep"], capture_output=True, text=True,
                         cwd=tmp_path, timeout=120)
    assert out.returncode != 0 and "Traceback" not in out.stderr, out.stderr
