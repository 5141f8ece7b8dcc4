"""A scripted class over the network: what the machinery costs a seminar, apart from thinking time.

Starts a real host (``endgame host endgame-2024 --turns 8``), joins four team seats and the umpire
over loopback, and plays 8 turns with scripted orders (each team queues up to two affordable legal
moves from its own view, ends its turn; the umpire sets a flag with a reason on turn 3). Prints the
wall time from the first order to the last resolved turn, per turn, and the host's start-up time;
the class plan in docs/seminar.md adds the teams' thinking time (the turn timer) to these figures.

With ``--hotseat`` it plays the same class on one terminal instead: the Textual app at 80×24 (Pilot)
with the four teams in hot-seat, every handover, turn report and briefing screen passed with a key,
one order a team a turn, the end-turn dialog confirmed.

Run: .venv/bin/python bench/bench_seminar.py [--turns N] [--observers K] [--hotseat]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from endgame_game.net.client import SeatClient

CLI = [sys.executable, "-c", "import sys; from endgame_game.cli import main; sys.exit(main())"]


def orders_from(v: dict, turn: int, k: int) -> list[str]:
    """One available move (no proposals), rotating with the turn: a game that runs its full length."""
    legal = [m["id"] for m in v["moves"] if m["reason"] is None and m["kind"] != "proposal"]
    return [legal[turn % len(legal)]] if legal else []


async def play(address: str, codes: dict[str, str], turns: int, observers: int) -> list[float]:
    teams = {r: SeatClient(address, c) for r, c in codes.items() if r not in ("umpire", "observer")}
    ump = SeatClient(address, codes["umpire"])
    obs = [SeatClient(address, codes["observer"]) for _ in range(observers)]
    seats = [*teams.values(), ump, *obs]
    await asyncio.gather(*(s.connect() for s in seats))
    await asyncio.gather(*(s.next_view() for s in seats))
    per_turn = []
    for t in range(1, turns + 1):
        t0 = time.perf_counter()
        if t == 3:
            await ump.send("umpire", action="flag", target="talks_open", value=True, reason="the class voted for talks")
        for k, seat in enumerate(teams.values()):
            await seat.send("orders", orders=orders_from(seat.view, t, k))
            msg = await seat.recv()
            if msg["type"] == "error":
                raise SystemExit(f"turn {t}: {msg}")
            await seat.send("end_turn")
        await asyncio.gather(*(s.next_view(lambda v, t=t: v["turn"] > t or v["done"], timeout=120) for s in seats))
        per_turn.append(time.perf_counter() - t0)
        if all(s.view.get("done") for s in seats):
            break
    await asyncio.gather(*(s.close() for s in seats))
    return per_turn


async def hotseat(turns: int) -> tuple[float, int]:
    """The class on one terminal; (seconds, turns played)."""
    from endgame_game.tui.app import make_app
    from endgame_game.tui.screens.game import GameScreen

    roles = ["moscow", "kyiv", "washington", "brussels"]
    with tempfile.TemporaryDirectory() as tmp:
        app = make_app("endgame-2024", roles, seed=1, saves_dir=tmp, animate=False, umpire=True,
                       umpire_pass="white-cell", turns=turns)
        async with app.run_test(size=(80, 24)) as pilot:
            t0 = time.perf_counter()
            assert app.session is not None
            while not app.session.done:
                for _ in range(8):
                    if isinstance(app.screen, GameScreen) or app.session.done:
                        break
                    await pilot.press("enter")
                    await pilot.pause()
                    await app.workers.wait_for_complete()
                if app.session.done:
                    break
                gs = app.screen
                assert isinstance(gs, GameScreen)
                v = {"moves": [{"id": m.id, "reason": m.reason, "kind": m.kind} for m in gs._moves.values()]}
                for mid in orders_from(v, app.session.game.turn, roles.index(gs.role)):
                    gs.add_order(mid)
                await pilot.press("e")
                await pilot.pause()
                await pilot.press("y")
                await pilot.pause()
                await app.workers.wait_for_complete()
                await pilot.pause()
            return time.perf_counter() - t0, len(app.session.game.turn_records)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--turns", type=int, default=8)
    ap.add_argument("--observers", type=int, default=0)
    ap.add_argument("--hotseat", action="store_true", help="one terminal, the Textual app, four teams in hot-seat")
    args = ap.parse_args()
    if args.hotseat:
        took, played = asyncio.run(hotseat(args.turns))
        print(f"hot-seat, 4 teams at 80x24, {played} turns: {took:.1f} s ({took / max(1, played):.2f} s a turn)")
        return
    with tempfile.TemporaryDirectory() as tmp:
        codes_file = Path(tmp) / "codes.json"
        t0 = time.perf_counter()
        host = subprocess.Popen([*CLI, "host", "endgame-2024", "--turns", str(args.turns), "--seed", "1",
                                 "--port", "0", "--saves", str(Path(tmp) / "saves"), "--codes-file", str(codes_file)],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                env={**os.environ, "PYTHONUNBUFFERED": "1"})
        while not (codes_file.exists() and codes_file.stat().st_size):
            if host.poll() is not None:
                raise SystemExit(host.communicate()[0])
            time.sleep(0.1)
        started = time.perf_counter() - t0
        data = json.loads(codes_file.read_text())
        try:
            per_turn = asyncio.run(play(data["address"], data["codes"], args.turns, args.observers))
        finally:
            host.send_signal(signal.SIGINT)
            out = host.communicate(timeout=60)[0]
    total = sum(per_turn)
    print(f"host start-up: {started:.1f} s")
    print(f"{len(per_turn)} turns, 4 team seats + umpire + {args.observers} observers: {total:.1f} s "
          f"({total / max(1, len(per_turn)):.2f} s a turn; slowest {max(per_turn):.2f} s)")
    print("per turn: " + " ".join(f"{x:.2f}" for x in per_turn))
    print(out.strip().splitlines()[-1])


if __name__ == "__main__":
    main()
