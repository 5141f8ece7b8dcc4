"""Crash safety: a writer killed with SIGKILL at random moments never leaves a broken save.

A forked child overwrites one save in a loop, alternating two different games; the parent kills it
after a random delay, then loads the file: it must exist, load, and be exactly one of the two games.
``KILLS`` rounds run in CI (about 10 s); set ``ENDGAME_CRASH_KILLS`` for more.

What this does not show: a power cut can lose writes the OS had not flushed; that is what the fsync of
the file and the folder in ``atomic_write`` is for, and a SIGKILL cannot test it.
"""

from __future__ import annotations

import os
import random
import signal
import sys
import time
from pathlib import Path

import pytest

from endgame_game.ai import make_agents, play_turn
from endgame_game.engine import CompiledModel, Game
from endgame_game.saves import load_game, save_game
from endgame_game.saves.format import dumps, encode

MINI = Path(__file__).resolve().parent / "rulesets" / "mini.toml"
KILLS = int(os.environ.get("ENDGAME_CRASH_KILLS", "300"))

pytestmark = pytest.mark.skipif(not hasattr(os, "fork") or sys.platform == "darwin",
                                reason="needs fork() (POSIX; macOS fork is unsafe with some numpy builds)")


def _games() -> list[Game]:
    model = CompiledModel.load(MINI)
    out = []
    for seed, turns in ((1, 2), (2, 4)):
        g = Game(model, seed=seed)
        agents = make_agents(model, {}, default="random")
        for _ in range(turns):
            play_turn(g, agents)
        out.append(g)
    return out


def test_sigkill_during_saves_leaves_the_old_or_the_new_save(tmp_path):
    games = _games()
    want = {g.state.checksum() for g in games}
    path = tmp_path / "game.toml"
    save_game(games[0], path)  # the "old" save exists before any writer starts
    rng = random.Random(7)
    # How long one save takes, to spread the kills over whole write cycles.
    t0 = time.perf_counter()
    for _ in range(5):
        save_game(games[1], tmp_path / "timing.toml")
    cycle = (time.perf_counter() - t0) / 5
    torn_writes = 0
    seen = set()
    for _round in range(KILLS):
        ready_r, ready_w = os.pipe()
        pid = os.fork()
        if pid == 0:  # the writer: the new game first, then the two in turn
            try:
                os.close(ready_r)
                os.write(ready_w, b"1")
                i = 1
                while True:
                    save_game(games[i % 2], path, meta={"seq": i})
                    i += 1
            finally:
                os._exit(0)
        # Start the clock once the writer runs: on a loaded machine fork() alone can outlast the delay.
        os.close(ready_w)
        os.read(ready_r, 1)
        os.close(ready_r)
        time.sleep(rng.uniform(0, 3 * cycle))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        leftovers = list(tmp_path.glob(".game.toml.*.tmp"))
        torn_writes += bool(leftovers)
        for p in leftovers:
            p.unlink()
        loaded = load_game(path)  # raises SaveError if the file is broken
        cs = loaded.game.state.checksum()
        assert cs in want
        seen.add(cs)
    print(f"\n{KILLS} SIGKILLs, {torn_writes} of them mid-write (a temp file was left), every save loaded; "
          f"one save takes {1000 * cycle:.1f} ms")
    assert seen == want  # both games were written and survived kills
    assert torn_writes >= KILLS // 50  # the kills really landed during writes (about 1 in 9 does)


def test_a_failed_write_leaves_the_old_save_and_no_temp_file(tmp_path, monkeypatch):
    g1, g2 = _games()
    path = save_game(g1, tmp_path / "s.toml")
    data = dumps(encode(g2))

    def boom(*_a, **_k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", boom)
    from endgame_game.errors import SaveError
    from endgame_game.saves import atomic_write

    with pytest.raises(SaveError, match="No space left"):
        atomic_write(path, data)
    monkeypatch.undo()
    assert load_game(path).game.state.checksum() == g1.state.checksum()
    assert not list(tmp_path.glob(".*.tmp"))


def test_windows_sharing_violations_are_retried_then_reported(tmp_path, monkeypatch):
    from endgame_game.errors import SaveError
    from endgame_game.saves import atomic_write, store

    real = os.replace
    calls = {"n": 0}

    def flaky(src, dst, fails):
        calls["n"] += 1
        if calls["n"] <= fails:
            e = PermissionError(13, "The process cannot access the file because it is being used by another process")
            e.winerror = 32  # ERROR_SHARING_VIOLATION, while OneDrive or Defender holds the file
            raise e
        return real(src, dst)

    monkeypatch.setattr(store.sys, "platform", "win32")
    monkeypatch.setattr(store.time, "sleep", lambda s: None)
    monkeypatch.setattr(os, "replace", lambda s, d: flaky(s, d, 3))
    atomic_write(tmp_path / "a.toml", b"x = 1\n")
    assert calls["n"] == 4 and (tmp_path / "a.toml").read_bytes() == b"x = 1\n"
    calls["n"] = 0
    monkeypatch.setattr(os, "replace", lambda s, d: flaky(s, d, 10_000))
    with pytest.raises(SaveError, match="being used by another process"):
        atomic_write(tmp_path / "a.toml", b"x = 2\n")
    assert calls["n"] == store.REPLACE_ATTEMPTS and (tmp_path / "a.toml").read_bytes() == b"x = 1\n"
    assert not list(tmp_path.glob(".*.tmp"))
