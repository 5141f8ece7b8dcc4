"""Network play over loopback: a real host process (``endgame host``) and real seat clients.

Refused messages change nothing and are counted; no frame to a team seat carries another role's true
hidden values; 4 team seats, the umpire and 20 observers play a 12-turn game to the same final state
as the host, whose save replays with every checksum; a dropped seat resumes with its code.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from endgame_game.engine.api import Game
from endgame_game.net import protocol, views
from endgame_game.net.client import SeatClient, seat_url
from endgame_game.net.protocol import ProtocolError, RateLimit, decode_client
from endgame_game.saves import load_game

ROOT = Path(__file__).resolve().parents[1]
MINI = ROOT / "tests" / "rulesets" / "mini.toml"
CLI = [sys.executable, "-c", "import sys; from endgame_game.cli import main; sys.exit(main())"]


class HostProcess:
    def __init__(self, proc: subprocess.Popen[str], codes: dict[str, str], address: str, saves: Path) -> None:
        self.proc, self.codes, self.address, self.saves = proc, codes, address, saves
        self.output = ""

    def stop(self) -> str:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            out, _ = self.proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, _ = self.proc.communicate()
        self.output = out
        return out


def start_host(tmp: Path, *args: str) -> HostProcess:
    codes_file, saves = tmp / "codes.json", tmp / "saves"
    proc = subprocess.Popen([*CLI, "host", *args, "--port", "0", "--saves", str(saves), "--codes-file",
                             str(codes_file)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            cwd=tmp, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    end = time.monotonic() + 90
    while not (codes_file.exists() and codes_file.stat().st_size):
        if proc.poll() is not None or time.monotonic() > end:
            out = proc.communicate(timeout=10)[0] if proc.poll() is not None else ""
            proc.kill()
            raise AssertionError(f"the host did not start: {out}")
        time.sleep(0.2)
    time.sleep(0.2)
    data = json.loads(codes_file.read_text())
    assert oct(codes_file.stat().st_mode & 0o777) == "0o600"
    return HostProcess(proc, data["codes"], data["address"], saves)


@pytest.fixture
def mini_host(tmp_path: Path) -> Iterator[HostProcess]:
    host = start_host(tmp_path, str(MINI), "--seed", "5")
    yield host
    host.stop()


# -- the protocol on its own --

def test_decode_client_checks_every_field():
    ok = decode_client(protocol.encode("orders", orders=["attack"]))
    assert ok["orders"] == ["attack"]
    bad = {
        "not json": "malformed", "[1]": "malformed", '{"v":2,"type":"ping"}': "version",
        '{"v":1}': "malformed", '{"v":1,"type":"shout"}': "unknown_type",
        '{"v":1,"type":"orders","orders":"attack"}': "malformed",
        '{"v":1,"type":"orders","orders":[1]}': "malformed",
        '{"v":1,"type":"orders"}': "malformed", '{"v":1,"type":"ping","extra":1}': "malformed",
        '{"v":1,"type":"umpire","action":"explode"}': "malformed",
        '{"v":1,"type":"umpire","action":"adjust","value":NaN}': "malformed",
        '{"v":1,"type":"hello","code":"' + "x" * 600 + '"}': "malformed",
        '{"v":1,"type":"hello","code":"' + "x" * (protocol.MAX_MESSAGE + 1) + '"}': "oversized",
    }
    for text, code in bad.items():
        with pytest.raises(ProtocolError) as e:
            decode_client(text)
        assert e.value.code == code, text[:60]


def test_rate_limit_allows_a_burst_then_the_average():
    r = RateLimit(rate=10, burst=5)
    assert [r.allow(0.0) for _ in range(7)] == [True] * 5 + [False] * 2
    assert r.allow(0.1) and not r.allow(0.1)  # one token back after 0.1 s at 10/s


def test_seat_url():
    assert seat_url("127.0.0.1:9000") == "ws://127.0.0.1:9000/seat"
    assert seat_url("example.org") == "ws://example.org:8765/seat"
    assert seat_url("ws://h:1/seat") == "ws://h:1/seat"


# -- a real host --

async def _refusals(host: HostProcess) -> None:
    addr, codes = host.address, host.codes
    async with SeatClient(addr, codes["red"]) as red, SeatClient(addr, codes["blue"]) as blue, \
            SeatClient(addr, codes["umpire"]) as ump, SeatClient(addr, codes["observer"]) as obs:
        await red.next_view()
        before = await ump.next_view()
        seen: Counter[str] = Counter()

        async def refused(client: SeatClient, text: str | bytes, code: str) -> None:
            await client.send_raw(text)
            err = await client.next_error()
            assert err["code"] == code, (text if isinstance(text, str) else b"bytes", err)
            seen[code] += 1

        await refused(red, protocol.encode("orders", role="blue", orders=["dig_in"]), "not_your_role")
        await refused(red, protocol.encode("end_turn", role="blue"), "not_your_role")
        await refused(obs, protocol.encode("orders", orders=["attack"]), "not_a_team")
        await refused(ump, protocol.encode("orders", orders=["attack"]), "not_a_team")
        await refused(red, protocol.encode("orders", orders=["dig_in"]), "illegal")  # Blue's move
        await refused(red, protocol.encode("orders", orders=["no_such_move"]), "illegal")
        await refused(red, protocol.encode("orders", orders=["attack", "attack"]), "illegal")
        await refused(red, protocol.encode("umpire", action="adjust", target="blue.men", value=1, reason="x"),
                      "not_umpire")
        await refused(ump, protocol.encode("umpire", action="adjust", target="blue.men", value=1, reason=""),
                      "umpire")  # an adjustment needs a reason
        await refused(ump, protocol.encode("umpire", action="inject", target="no_event"), "umpire")
        for text, code in (("not json", "malformed"), ('{"v":1,"type":"orders","orders":"x"}', "malformed"),
                           ('{"v":9,"type":"ping"}', "version"), ('{"v":1,"type":"launch"}', "unknown_type"),
                           (b"\x00\x01", "malformed"), (protocol.encode("hello", code=codes["red"]), "hello_twice"),
                           (protocol.encode("ping")[:-1] + ',"pad":"' + "x" * 20000 + '"}', "oversized")):
            await refused(red, text, code)
        # A wrong code and a code already in use are refused at the door.
        for code, why in (("red-wrong", "bad_code"), (codes["red"], "code_in_use"), (codes["umpire"], "code_in_use")):
            with pytest.raises(ProtocolError) as e:
                await SeatClient(addr, code).connect()
            assert e.value.code == why
            seen[why] += 1
        # A flood: the burst passes, the rest is refused.
        for _ in range(protocol.BURST + 20):
            await blue.send("ping")
        await asyncio.sleep(1.0)
        await blue.drain()
        seen["rate"] += sum(1 for e in blue.errors if e["code"] == "rate")
        assert seen["rate"] >= 15
        # A message far over the limit closes that connection (and changes nothing either).
        big = SeatClient(addr, codes["observer"])
        await big.connect()
        await big.next_view()
        await big.send_raw('{"v":1,"type":"ping","pad":"' + "x" * (protocol.MAX_MESSAGE * 5) + '"}')
        with pytest.raises(ConnectionError):
            await big.next_view(timeout=10)
        await big.close()
        seen["oversized"] += 1
        await asyncio.sleep(0.3)
        # Nothing changed: the same state, no orders, no umpire actions, still turn 1; every refusal counted.
        # (The umpire rejoins for a fresh view.)
        await ump.close()
        await asyncio.sleep(0.3)
        await ump.connect()
        after = await ump.next_view()
        assert after["checksum"] == before["checksum"] and after["turn"] == 1
        assert after["orders"] == {} and after["umpire"] == [] and after["waiting"] == ["Red", "Blue"]
        assert after["refused"] == dict(seen), (after["refused"], dict(seen))
        assert red.view["queue"] == [] and not red.view["confirmed"]


def test_refused_messages_change_nothing_and_are_counted(mini_host: HostProcess):
    asyncio.run(_refusals(mini_host))
    out = mini_host.stop()
    assert "refused messages:" in out and "not_your_role 2" in out


async def _resume(host: HostProcess) -> None:
    addr, codes = host.address, host.codes
    red = SeatClient(addr, codes["red"])
    await red.connect()
    await red.next_view()
    await red.send("orders", orders=["attack"])
    await red.next_view(lambda v: v["queue"] == ["attack"])
    await red.close()  # the laptop's lid closes
    await asyncio.sleep(0.3)
    again = SeatClient(addr, codes["red"])
    await again.connect()
    v = await again.next_view()
    assert v["queue"] == ["attack"] and v["role"] == "red" and v["turn"] == 1
    async with SeatClient(addr, codes["blue"]) as blue:
        await blue.next_view()
        await again.send("end_turn")
        await blue.send("end_turn")
        v = await again.next_view(lambda v: v["turn"] == 2)
        assert any("Red: Attack" in line for line in v["report"])
    await again.close()


def test_a_dropped_seat_resumes_with_its_code(mini_host: HostProcess):
    asyncio.run(_resume(mini_host))


def _scripted_orders(v: dict, turn: int, k: int) -> list[str]:
    """A deterministic, legal order from the seat's own view: one available move (no proposals),
    rotating with the turn (with seed 11 this game runs all 12 turns)."""
    legal = [m["id"] for m in v["moves"] if m["reason"] is None and m["kind"] != "proposal"]
    return [legal[turn % len(legal)]] if legal else []


async def _class(host: HostProcess, turns: int, observers: int) -> tuple[dict[str, list[str]], dict[str, dict]]:
    addr, codes = host.address, host.codes
    teams = {r: SeatClient(addr, c, keep_frames=True) for r, c in codes.items() if r not in ("umpire", "observer")}
    ump = SeatClient(addr, codes["umpire"])
    obs = [SeatClient(addr, codes["observer"], keep_frames=True) for _ in range(observers)]
    everyone = [*teams.values(), ump, *obs]
    await asyncio.gather(*(c.connect() for c in everyone))
    await asyncio.gather(*(c.next_view() for c in everyone))
    for t in range(1, turns + 1):
        for k, seat in enumerate(teams.values()):
            orders = _scripted_orders(seat.view, t, k)
            await seat.send("orders", orders=orders)
            msg = await seat.recv()
            assert msg["type"] == "view" and msg["view"]["queue"] == orders, msg
        if t == 5:  # one team's laptop drops mid-class and rejoins with its code
            role = next(iter(teams))
            await teams[role].close()
            teams[role] = SeatClient(addr, codes[role], keep_frames=True)
            await teams[role].connect()
            await teams[role].next_view()
            everyone = [*teams.values(), ump, *obs]
        for seat in teams.values():
            await seat.send("end_turn")
        await asyncio.gather(*(c.next_view(lambda v, t=t: v["turn"] == t + 1 or v["done"], timeout=60)
                               for c in everyone))
    await asyncio.gather(*(c.drain(0.3) for c in everyone))
    frames = {r: s.frames for r, s in teams.items()} | {"observer": obs[0].frames}
    finals = {r: s.view for r, s in teams.items()} | {"umpire": ump.view} | {f"obs{i}": o.view for i, o in enumerate(obs)}
    await asyncio.gather(*(c.close() for c in everyone))
    return frames, finals


@pytest.mark.slow
def test_four_teams_umpire_and_20_observers_play_12_turns(tmp_path: Path):
    host = start_host(tmp_path, "endgame-2024", "--seed", "11")
    try:
        t0 = time.monotonic()
        frames, finals = asyncio.run(_class(host, 12, 20))
        took = time.monotonic() - t0
    finally:
        out = host.stop()
    print(f"12 turns, 4 teams + umpire + 20 observers: {took:.1f} s")
    saves = sorted(host.saves.glob("*-host.toml"))
    assert saves, out
    loaded = load_game(saves[0])
    final = loaded.game
    assert final.done and len(final.turn_records) == 12 and int(final.state.end_turn[0]) == 12
    # Every seat ends on the host's final state.
    checks = {name: v["checksum"] for name, v in finals.items()}
    assert set(checks.values()) == {final.state.checksum()}, checks
    assert all(v["done"] for v in finals.values())
    # The save replays with every checksum, in-process and with `endgame replay`.
    again, diverged = Game.from_record(final.model, final.record())
    assert diverged is None and again.state.checksum() == final.state.checksum()
    r = subprocess.run([*CLI, "replay", str(saves[0])], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "match" in r.stdout, r.stdout + r.stderr
    # On the wire: a team's frames carry only its own observation.
    model = final.model
    games = {}
    for t in range(1, len(final.turn_records) + 2):
        games[t], _ = Game.from_record(model, final.record(), upto=t)
    checked = 0
    for role, raws in frames.items():
        for raw in raws:
            msg = json.loads(raw)
            if msg["type"] != "view":
                continue
            v = msg["view"]
            g = games[v["turn"]]
            if role == "observer":
                assert not {"own", "intel", "true", "moves"} & set(v)
                assert v["news"] == views.observer_view(g, [])["news"]
                continue
            assert v["role"] == role and "true" not in v
            expect = views.team_view(g, role, v["queue"], v["confirmed"], [])
            assert v["own"] == expect["own"] and v["intel"] == expect["intel"] and v["news"] == expect["news"]
            for j, name in enumerate(model.symbols.values):
                owner = model.symbols.value_owner[j]
                if owner in ("", role) or model.intel_noise[j] == 0:
                    continue
                true = float(g.state.values[0, j])
                exact = repr(true)
                if np.isfinite(true) and true != round(true) and len(exact) >= 6:
                    # the full-precision true value appears nowhere in the frame, as any number
                    assert not re.search(r"(?<![\d.])" + re.escape(exact) + r"(?!\d)", raw), (role, name, exact)
                rows = [r for _, rs in v["intel"] for r in rs if r["target"] == name]
                assert rows and rows[0]["text"].startswith("≈") and not rows[0]["exact"], (role, name, rows)
                checked += 1
    assert checked > 100


def test_host_turn_timer_sends_the_queued_orders_and_stands_still_in_a_pause():
    from endgame_game.tui.session import Session

    now = [0.0]
    session = Session.new(MINI, ["red", "blue"], seed=3, umpire=True, saves_dir=None)
    from endgame_game.net.host import Host, Seat

    host = Host(session, turn_timer=60, briefing_timer=30, clock=lambda: now[0])
    red = Seat("team", "red", host.code_of("team", "red"), None)  # type: ignore[arg-type]
    ump = Seat("umpire", "", host.code_of("umpire"), None)  # type: ignore[arg-type]
    assert host.handle(red, {"type": "orders", "orders": ["attack"]}) == (None, False)
    now[0] = 80
    assert not host.tick() and host.time_left == 10  # the briefing's 30 s come on top of turn 1
    host.handle(ump, {"type": "umpire", "action": "pause", "reason": "discuss"})
    now[0] = 500
    assert not host.tick()  # paused: nothing goes
    host.handle(ump, {"type": "umpire", "action": "resume"})
    now[0] = 511
    assert host.tick() and session.game.turn == 2
    assert session.game.turn_records[0].orders == {"red": (("attack",),)}  # Red's queue went; Blue passed
    assert [a.action for a in session.game.turn_records[0].umpire] == ["pause", "note"]
    assert host.time_left == 60


async def test_a_seat_without_a_code_asks_for_it_and_one_with_a_code_connects() -> None:
    """The seat app's start-up: no code, the code screen (a browser tab's first page); a code, it
    connects at once (here to nothing, so it says it is reconnecting)."""
    from endgame_game.net.seat_app import CodeScreen, SeatApp

    app = SeatApp("ws://127.0.0.1:9/seat")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, CodeScreen)
        assert "Join a hosted game" in str(app.screen.query_one("#handover-title").render())
    app = SeatApp("ws://127.0.0.1:9/seat", "red-xxxxxxxx")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.code == "red-xxxxxxxx" and not isinstance(app.screen, CodeScreen)
