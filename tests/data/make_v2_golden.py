"""How ``v2-mini.toml`` was made (kept for provenance; the golden file itself must never be regenerated
casually: it stands for saves written by the format-2 release, before the game record of format 3).

It was run once, at commit e337119 (the last to write format 2; later code writes format 3). It covers
what format 3 reads differently: a game that is not game 0 of its seed and has its own parameters (as
``endgame batch --save-games`` and sweeps save them), umpire adjust, inject and pause actions in the
log, and a save made mid-turn (umpire actions and orders already given for the turn in progress).

    .venv/bin/python tests/data/make_v2_golden.py
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    sys.path.insert(0, str(HERE.parents[1] / "src"))
    import numpy as np

    from endgame_game.ai import make_agents, play_turn
    from endgame_game.engine import CompiledModel, Game
    from endgame_game.saves import save_game

    os.chdir(HERE.parent)  # the save names its ruleset as "rulesets/mini.toml", no user folders
    model = CompiledModel.load("rulesets/mini.toml")
    params = model.params_array(1, {"params.growth": 9.0})
    game = Game(model, seed=11, games=np.array([17], dtype=np.uint64), params=params)
    agents = make_agents(model, {"red": "doctrine:hawk", "blue": "random"})
    play_turn(game, agents)
    game.adjust("blue.men", 70.0, "the umpire rules the flank held")
    play_turn(game, agents)
    game.inject("storm", "a storm, as in the 1950 log")
    game.note("the teams asked for a break", action="pause")
    play_turn(game, agents)
    game.adjust("red.ammo", 25.0, "resupply")  # the turn in progress: an umpire action and orders given
    game.set_orders("red", ["attack"])
    save_game(game, HERE / "v2-mini.toml", agents={"red": "doctrine:hawk", "blue": "random"},
              meta={"humans": ["red"], "umpire": True}, saved_at="2026-11-30T09:00:00Z")


if __name__ == "__main__":
    main()
