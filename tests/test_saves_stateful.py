"""A Hypothesis state machine: a game that is saved, reloaded, rewound and autosaved at random moments
stays identical to a twin that is never saved (every per-turn checksum, the state, the orders given)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import numpy as np
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from endgame_game.ai import make_agents
from endgame_game.engine import CompiledModel, Game, replay
from endgame_game.saves import autosave, latest_autosave, load_game, save_game

MINI = Path(__file__).resolve().parent / "rulesets" / "mini.toml"
MODEL = CompiledModel.load(MINI)


class SavedGameMachine(RuleBasedStateMachine):
    @initialize(seed=st.integers(0, 2**64 - 1), batch=st.sampled_from([1, 2]))
    def start(self, seed: int, batch: int) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="endgame-stateful-"))
        self.seed = seed
        self.twin = Game(MODEL, seed=seed, batch=batch)  # never saved
        self.game = Game(MODEL, seed=seed, batch=batch)  # saved, reloaded, rewound
        self.agents = make_agents(MODEL, {}, default="random")
        self.n = 0

    def both(self, fn) -> None:
        fn(self.twin)
        fn(self.game)

    @precondition(lambda self: not self.game.done)
    @rule()
    def order_and_step(self) -> None:
        def go(g: Game) -> None:
            for actor, agent in self.agents.items():
                g.submit(actor, agent.act(g.observe(actor)))
            g.step()
        self.both(go)

    @precondition(lambda self: not self.game.done)
    @rule(actor=st.sampled_from(MODEL.actors))
    def order_without_stepping(self, actor: str) -> None:
        self.both(lambda g: g.submit(actor, self.agents[actor].act(g.observe(actor))))

    @precondition(lambda self: not self.game.done)
    @rule(name=st.sampled_from(MODEL.symbols.values), value=st.floats(-1e6, 1e6), inject=st.booleans())
    def umpire(self, name: str, value: float, inject: bool) -> None:
        def act(g: Game) -> None:
            g.adjust(name, value, "umpire ruling")
            if inject:
                g.inject("storm", "umpire inject")
        self.both(act)

    @rule()
    def save_and_reload(self) -> None:
        self.n += 1
        p1 = save_game(self.game, self.dir / f"s{self.n}.toml", saved_at="2026-01-01T00:00:00Z")
        loaded = load_game(p1)
        p2 = save_game(loaded.game, self.dir / f"s{self.n}b.toml", saved_at="2026-01-01T00:00:00Z")
        assert p1.read_bytes() == p2.read_bytes()
        self.game = loaded.game

    @rule()
    def autosave_and_resume(self) -> None:
        autosave(self.game, self.dir / "auto", keep=2)
        self.game = latest_autosave(self.dir / "auto").game

    @precondition(lambda self: self.game.turn > 1)
    @rule(data=st.data())
    def rewind(self, data) -> None:
        n = data.draw(st.integers(1, self.game.turn))
        self.n += 1
        p = save_game(self.game, self.dir / f"r{self.n}.toml")
        self.game = load_game(p, upto=n).game
        self.twin, diverged = replay(MODEL, self.seed, self.twin.entries, games=self.twin.state.games,
                                     params=self.twin.state.params, upto=n)
        assert diverged is None

    def teardown(self) -> None:
        if hasattr(self, "dir"):
            shutil.rmtree(self.dir, ignore_errors=True)

    @invariant()
    def same_as_never_saved(self) -> None:
        if not hasattr(self, "game"):
            return
        assert self.game.state.checksum() == self.twin.state.checksum()
        assert [e.checksum for e in self.game.entries] == [e.checksum for e in self.twin.entries]
        assert np.array_equal(self.game._orders, self.twin._orders)
        assert self.game.current.umpire == self.twin.current.umpire


SavedGameMachine.TestCase.settings = settings(max_examples=30, stateful_step_count=20, deadline=None)
TestSavedGame = SavedGameMachine.TestCase
