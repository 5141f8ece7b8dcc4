"""A stateful test: random legal (and illegal) orders, umpire actions and turns, with invariants
checked after every step: bounds hold, no NaN, ended games stay ended, thresholds fire once per
crossing, proposals resolve as specified, refused orders change nothing."""

from __future__ import annotations

import numpy as np
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from endgame_game.engine import CompiledModel, Game, ProposalRecord, ThresholdCrossed
from endgame_game.errors import EndgameError, OrderError
from tests.conftest import TEST_RULESETS

MODEL = CompiledModel.load(TEST_RULESETS / "mechanisms.toml")
MINI = CompiledModel.load(TEST_RULESETS / "mini.toml")


class GameMachine(RuleBasedStateMachine):
    @initialize(which=st.sampled_from(["mechanisms", "mini"]), seed=st.integers(0, 2**32), batch=st.integers(1, 4))
    def start(self, which, seed, batch):
        self.model = MODEL if which == "mechanisms" else MINI
        self.g = Game(self.model, seed=seed, batch=batch, log=True)
        self.ended_before = np.zeros(batch, dtype=bool)
        self.prev_cond = None

    @rule(data=st.data())
    def order_legal(self, data):
        actor = data.draw(st.sampled_from(list(self.model.actors)))
        legal = self.g.legal_moves(actor, 0) if self.g.batch == 1 else []
        if not legal:
            return
        picks = data.draw(st.lists(st.sampled_from(legal), max_size=3, unique=True))
        try:
            self.g.set_orders(actor, picks)
        except OrderError as e:
            assert e.reason  # combined orders may not fit: refused with a reason

    @rule(data=st.data())
    def order_illegal_changes_nothing(self, data):
        actor = data.draw(st.sampled_from(list(self.model.actors)))
        before = self.g.state.copy()
        orders_before = {a: [self.g.orders_of(a, i) for i in range(self.g.batch)] for a in self.model.actors}
        bogus = data.draw(st.sampled_from(["no_such_move", *self.model.move_ids]))
        try:
            self.g.set_orders(actor, [bogus])
        except OrderError as e:
            assert e.reason
            assert {a: [self.g.orders_of(a, i) for i in range(self.g.batch)] for a in self.model.actors} == orders_before
        assert self.g.state.equals(before)

    @rule(value=st.floats(-50, 150, allow_nan=False))
    def umpire_adjust(self, value):
        target = self.model.symbols.values[0]
        self.g.adjust(target, value, "stateful test")

    @precondition(lambda self: not self.g.done)
    @rule()
    def end_turn(self):
        st_ = self.g.state
        self.ended_before = st_.ended.copy()
        cond_before = st_.armed.copy()
        tl = self.g.step()
        # Thresholds: fired only where armed (condition false at its last check) and not ended.
        for r in tl.of(ThresholdCrossed):
            idx = [t.id for t in self.model.thresholds].index(r.threshold)
            assert cond_before[r.game, idx] and not self.ended_before[r.game]
        # Proposals: accepted only if every party accepted.
        for r in tl.of(ProposalRecord):
            if r.status == "accepted":
                q = self.model.symbols.proposals.index(r.proposal)
                assert self.g.state.agreed[r.game, q]

    @invariant()
    def bounded_and_finite(self):
        v = self.g.state.values
        assert np.isfinite(v).all()
        assert (v >= self.model.lo - 1e-9).all() and (v <= self.model.hi + 1e-9).all()
        assert np.isfinite(self.g.state.scores).all()

    @invariant()
    def ended_stay_ended(self):
        assert (self.g.state.ended | ~self.ended_before).all()

    @invariant()
    def pending_not_older_than_expiry(self):
        for prop in self.model.proposals:
            p = self.g.state.pending[:, prop.index]
            assert ((p < 0) | (self.g.state.turn - p <= prop.expires) | self.g.state.ended).all()

    @rule()
    def done_games_refuse_steps(self):
        if self.g.done:
            try:
                self.g.step()
                raise AssertionError("stepped an ended batch")
            except EndgameError:
                pass


TestGameMachine = GameMachine.TestCase
TestGameMachine.settings = settings(max_examples=60, stateful_step_count=30, deadline=None)
