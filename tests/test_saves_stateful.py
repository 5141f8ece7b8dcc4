"""A Hypothesis state machine over ``Game``: random sequences of set_orders, step, umpire actions, save,
load, autosave and rewind. After every step ``Game.from_record(game.record())`` is identical to the live
game (state, every checksum, orders given, umpire actions, branches), and the game that is saved,
reloaded and rewound stays identical to a twin that only ever lives in memory."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import numpy as np
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from endgame_game.ai import make_agents
from endgame_game.engine import Adjust, CompiledModel, Game, Inject, Note, Pause, Rewind
from endgame_game.errors import OrderError
from endgame_game.saves import autosave, latest_autosave, load_game, save_game

MINI = Path(__file__).resolve().parent / "rulesets" / "mini.toml"
MODEL = CompiledModel.load(MINI)
TARGETS = [*MODEL.symbols.values, "flags.talks"]


def same(a: Game, b: Game) -> None:
    """Two games are the same game: state, record (every checksum, orders, umpire, branches), logs."""
    assert a.state.equals(b.state)
    assert a.state.checksum() == b.state.checksum()
    assert a.record() == b.record()
    assert [tl.records for tl in a.logs] == [tl.records for tl in b.logs]
    for actor in MODEL.actors:
        for i in range(a.batch):
            assert a.orders_of(actor, i) == b.orders_of(actor, i)


class GameMachine(RuleBasedStateMachine):
    @initialize(seed=st.integers(0, 2**64 - 1), batch=st.sampled_from([1, 2]), first=st.sampled_from([0, 17]),
                growth=st.sampled_from([None, 0.0, 12.5]))
    def start(self, seed: int, batch: int, first: int, growth: float | None) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="endgame-stateful-"))
        games = np.arange(first, first + batch, dtype=np.uint64)  # game 17 of a batch, with its own params
        params = None if growth is None else {"params.growth": growth}
        self.twin = Game(MODEL, seed=seed, games=games, params=params)  # never saved
        self.game = Game(MODEL, seed=seed, games=games, params=params)  # saved, reloaded, rewound
        self.agents = make_agents(MODEL, {}, default="random")
        self.n = 0

    def both(self, fn) -> None:
        fn(self.twin)
        fn(self.game)

    @precondition(lambda self: not self.game.done)
    @rule()
    def agents_order_and_step(self) -> None:
        self.both(lambda g: g.play(self.agents, turns=1))

    @precondition(lambda self: not self.game.done)
    @rule()
    def step(self) -> None:
        self.both(Game.step)

    @precondition(lambda self: not self.game.done)
    @rule(actor=st.sampled_from(MODEL.actors), data=st.data())
    def set_orders(self, actor: str, data) -> None:
        moves = data.draw(st.lists(st.sampled_from(self.game.moves_of(actor)), max_size=3, unique=True))
        try:
            self.twin.set_orders(actor, moves)
        except OrderError:
            # refused: nothing changed, in either game
            before = self.game.orders_of(actor)
            try:
                self.game.set_orders(actor, moves)
            except OrderError:
                pass
            else:
                raise AssertionError("the same orders were refused by one game and not the other") from None
            assert self.game.orders_of(actor) == before
            return
        self.game.set_orders(actor, moves)
        assert self.game.orders_of(actor) == list(dict.fromkeys(moves))  # in the order given

    @precondition(lambda self: not self.game.done)
    @rule(actor=st.sampled_from(MODEL.actors))
    def agent_orders_without_stepping(self, actor: str) -> None:
        self.both(lambda g: g.set_orders(actor, self.agents[actor].act(g.observe(actor))))

    @rule(name=st.sampled_from(TARGETS), value=st.floats(-1e6, 1e6), kind=st.sampled_from(["adjust", "inject", "note", "pause"]))
    def umpire(self, name: str, value: float, kind: str) -> None:
        act = {"adjust": Adjust(name, value, "umpire ruling"), "inject": Inject("storm", "umpire inject"),
               "note": Note("a note"), "pause": Pause("discussion")}[kind]
        self.both(lambda g: g.umpire(act))

    @rule()
    def save_and_load(self) -> None:
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
    @rule(data=st.data(), via_save=st.booleans())
    def rewind(self, data, via_save: bool) -> None:
        n = data.draw(st.integers(1, self.game.turn))
        old = self.game.turn
        assert self.twin.rewind(n) is None
        if via_save:  # endgame play --load SAVE --turn N, then the umpire notes it as the app does
            self.n += 1
            self.game = load_game(save_game(self.game, self.dir / f"r{self.n}.toml"), upto=n).game
            self.game.umpire(Rewind(f"rewound from turn {old} to turn {n}"))
        else:
            assert self.game.rewind(n) is None
        assert self.game.turn == n
        if n < old:  # the abandoned turns are kept, as a branch that starts at turn n
            assert self.game.branches[-1].fork == n and len(self.game.branches[-1].turns) == old - n

    def teardown(self) -> None:
        if hasattr(self, "dir"):
            shutil.rmtree(self.dir, ignore_errors=True)

    @invariant()
    def the_record_replays_to_the_live_game(self) -> None:
        if not hasattr(self, "game"):
            return
        again, diverged = Game.from_record(MODEL, self.game.record())
        assert diverged is None
        same(again, self.game)
        for i in range(len(self.game.branches)):  # every abandoned line replays too
            _, diverged = Game.from_record(MODEL, self.game.record().branch(i))
            assert diverged is None

    @invariant()
    def same_as_never_saved(self) -> None:
        if hasattr(self, "game"):
            same(self.game, self.twin)


GameMachine.TestCase.settings = settings(max_examples=30, stateful_step_count=20, deadline=None)
TestGameRecord = GameMachine.TestCase
