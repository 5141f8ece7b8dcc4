"""Train MaskablePPO (sb3-contrib) for one role of a ruleset and compare it with random play.

Needs PyTorch and sb3-contrib, which the project does not install:

    pip install "endgame-game[rl]" sb3-contrib        # sb3-contrib brings stable-baselines3 and torch

    python docs/examples/maskable_ppo.py                           # tutorial, north, 20,000 steps
    python docs/examples/maskable_ppo.py --ruleset endgame-2024 --role kyiv --steps 60000

The environment is ``EndgameEnv``: one game of one role against the ruleset's AI opponents, the full
set of a turn's orders as ``MultiDiscrete([2] * moves)`` and ``action_masks()`` in the layout
MaskablePPO reads for MultiDiscrete (for each move: [can skip, can take]). Evaluation plays the same
seeded games (new ones, not seen in training) with the trained policy and with random legal orders.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from sb3_contrib import MaskablePPO
from sb3_contrib.common.maskable.utils import get_action_masks

from endgame_game.rl_vector import EndgameEnv


def evaluate(env: EndgameEnv, pick, games: int, first_seed: int) -> float:
    """Mean return over ``games`` seeded games (the same seeds for every policy compared)."""
    total = 0.0
    for k in range(games):
        obs, _info = env.reset(seed=first_seed + k)
        done = False
        while not done:
            obs, reward, done, _trunc, _info = env.step(pick(obs, get_action_masks(env)))
            total += reward
    return total / games


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--ruleset", default="tutorial")
    p.add_argument("--role", default="north")
    p.add_argument("--steps", type=int, default=20_000, help="training steps (turns played)")
    p.add_argument("--games", type=int, default=300, help="evaluation games per policy")
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()

    env = EndgameEnv(a.ruleset, role=a.role)
    model = MaskablePPO("MlpPolicy", env, n_steps=512, batch_size=128, learning_rate=3e-4, gamma=1.0,
                        seed=a.seed, verbose=0)
    t0 = time.perf_counter()
    model.learn(total_timesteps=a.steps)
    trained_s = time.perf_counter() - t0

    rng = np.random.default_rng(a.seed)
    k = len(env.move_ids)

    def trained(obs, mask):
        action, _ = model.predict(obs, action_masks=mask, deterministic=True)
        return action

    def random(obs, mask):
        legal = mask.reshape(k, 2)[:, 1]
        return ((rng.random(k) < 0.5) & legal).astype(np.int64)

    first = 1_000_000  # evaluation seeds far from the training episodes'
    r_trained = evaluate(env, trained, a.games, first)
    r_random = evaluate(env, random, a.games, first)
    print(f"{a.ruleset} as {a.role}: {a.steps:,} steps in {trained_s:.0f} s; mean return over {a.games} new games: "
          f"MaskablePPO {r_trained:.2f}, random legal orders {r_random:.2f}")


if __name__ == "__main__":
    main()
