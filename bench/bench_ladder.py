"""What a tuned policy's decisions cost next to a doctrine's, per role, measured in one run.

    python bench/bench_ladder.py [RULESET] [--games 20000]

For each role with a tuned policy: the time of one ``act`` over a batch (mean over the turns of a
game played by mixed doctrines), for the role's doctrines and its tuned policy, and the ratio of the
tuned policy to the slowest and the fastest doctrine. The issue's goal: no more than about 2x.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from endgame_game.ai import make_agents
from endgame_game.ai.doctrine import DoctrineAgent
from endgame_game.ai.play import play_turn
from endgame_game.ai.tuned import TunedAgent, has_policy
from endgame_game.engine import CompiledModel
from endgame_game.engine.api import Game


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("ruleset", nargs="?", default="endgame-2024")
    ap.add_argument("--games", type=int, default=20_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    model = CompiledModel.load(args.ruleset)
    roles = [model.actors[a] for a in sorted(model.scores) if has_policy(model, model.actors[a])]
    print(f"{model.id}: one act() over {args.games:,} games, mean over the turns of a game (ms)")
    agents = make_agents(model, {}, default="mixed")
    game = Game(model, seed=1, batch=args.games, log=False, history=False)
    timings: dict[str, dict[str, list[float]]] = {r: {} for r in roles}
    players = {r: {**{f"doctrine:{d}": DoctrineAgent(model, r, d) for d in model.doctrines.get(r, {})},
                   "tuned": TunedAgent(model, r)} for r in roles}
    while not game.done:
        for r in roles:
            for name, agent in players[r].items():
                obs = game.observe(r, agent.reads)
                best = np.inf
                for _ in range(args.repeat):
                    t0 = time.perf_counter()
                    agent.act(obs)
                    best = min(best, time.perf_counter() - t0)
                timings[r].setdefault(name, []).append(best)
        play_turn(game, agents, validate=False)
    for r in roles:
        means = {n: 1000 * float(np.mean(t)) for n, t in timings[r].items()}
        docs = [v for n, v in means.items() if n.startswith("doctrine:")]
        cells = ", ".join(f"{n} {v:.1f}" for n, v in means.items())
        print(f"  {r:<11} {cells}; tuned / doctrines: {means['tuned'] / max(docs):.2f}x-{means['tuned'] / min(docs):.2f}x")


if __name__ == "__main__":
    main()
