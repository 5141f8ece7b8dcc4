"""The default scenario and its presets: they load, every number is sourced, every role is briefed,
and the model moves in the direction a domain expert expects when an assumption changes.

The face-validity tests compare two settings over a few hundred seeded games with a margin, so they
fail if the model stops responding (or responds the wrong way) to the assumption.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np
import pytest

from endgame_game.batch.coverage import coverage
from endgame_game.cli import main
from endgame_game.engine.api import Game
from endgame_game.engine.model import CompiledModel
from endgame_game.rules import check_file

ROOT = Path(__file__).resolve().parents[1]
RULESETS = ROOT / "rulesets"
BASE = RULESETS / "endgame-2024.toml"
ALL = sorted(RULESETS.glob("*.toml"))
PLAYABLE = ("moscow", "kyiv", "washington", "brussels")
NON_PLAYABLE = ("ankara", "budapest", "london_baltics", "pyongyang", "beijing_brics", "nato")
DEFEAT = ("collapse_manpower", "collapse_grid", "german_model", "rump_ukraine", "russia_imposes_terms")
GAMES = 200


def raw(path: Path) -> dict:
    with open(path, "rb") as f:
        return tomllib.load(f)


# -- Loading -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ALL, ids=[p.name for p in ALL])
def test_every_ruleset_checks_without_errors_or_warnings(path: Path) -> None:
    checked = check_file(path)
    assert not checked.errors, [str(i) for i in checked.errors]
    assert not checked.warnings, [str(i) for i in checked.warnings]


def test_endgame_check_cli_passes_on_all_rulesets(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", *map(str, ALL)]) == 0
    out = capsys.readouterr().out
    assert out.count(": ok") == len(ALL)


def test_expected_rulesets_exist() -> None:
    names = {p.stem for p in ALL}
    assert {"endgame-2024", "endgame-2024-essay", "endgame-2024-critics", "tutorial"} <= names


# -- The default scenario's content ---------------------------------------------------------------------


def test_calendar_and_actors() -> None:
    d = raw(BASE)
    meta = d["ruleset"]
    assert str(meta["start"]) == "2024-12-01" and meta["turn_months"] == 1 and meta["max_turns"] == 12
    for a in PLAYABLE:
        assert d["actors"][a]["playable"] is True
    for a in NON_PLAYABLE:
        assert d["actors"][a]["playable"] is False
        assert not [m for m in d["moves"] if m["actor"] == a], f"{a} must act only through events and params"


def test_every_number_has_a_source() -> None:
    d = raw(BASE)
    sources = d["sources"]
    for sid, s in sources.items():
        if sid not in ("source-essay", "designer"):
            assert s.get("url", "").startswith("http"), f"source {sid} needs a URL"
    for table in ("params", "resources", "tracks"):
        for key, item in d[table].items():
            assert item.get("source") in sources, f"{table}.{key} has no valid source"
    for kind in ("moves", "flows", "events", "thresholds"):
        for item in d[kind]:
            assert item.get("source") in sources, f"{kind} {item['id']} has no valid source"
    for pid, p in d["params"].items():
        assert "min" in p and "max" in p and p["min"] <= p["value"] <= p["max"], f"params.{pid} needs a range"
        assert p.get("doc"), f"params.{pid} needs a doc"


def test_manpower_horizon_param_is_the_pentagon_range() -> None:
    p = raw(BASE)["params"]["ua_manpower_months"]
    assert (p["min"], p["max"]) == (6.0, 12.0)


def test_briefings_summaries_and_debriefs() -> None:
    d = raw(BASE)
    for a in PLAYABLE:
        actor = d["actors"][a]
        words = len(actor["briefing"].split())
        assert 250 <= words <= 500, f"{a}'s briefing has {words} words"  # incl. the stakes paragraph
        assert actor["summary"] and "\n" not in actor["summary"]
        assert "believe" in actor["briefing"], f"{a}'s briefing must say what the others believe"
    for e in d["endings"]:
        assert len(e["text"].split()) >= 20, f"ending {e['id']} needs a debrief"


def test_every_outcome_of_the_source_analysis_is_an_ending() -> None:
    ids = {e["id"] for e in raw(BASE)["endings"]}
    assert {"collapse_manpower", "collapse_grid", "russia_imposes_terms", "rump_ukraine", "buffer_zone",
            "german_model", "settlement_guaranteed", "direct_war"} <= ids
    assert sum(1 for e in raw(BASE)["endings"] if e.get("fallback")) == 1


def test_key_mechanisms_are_present() -> None:
    d = raw(BASE)
    moves = {m["id"]: m for m in d["moves"]}
    # The negotiation ban must be lifted before Kyiv can accept talks.
    assert "negotiation_ban" in moves["propose_talks"]["accept_requires"]
    assert d["flags"]["negotiation_ban"]["initial"] is True
    # The escalation ladder starts on the rung where long-range strikes are authorised.
    levels = d["tracks"]["escalation"]["levels"]
    assert "authorised" in levels[1] and 1.0 <= d["params"]["escalation_start"]["value"] < 2.0
    assert d["flags"]["deep_strikes"]["initial"] is True
    # The US transition is scripted in turn 2 (20 January 2025).
    inauguration = next(e for e in d["events"] if e["id"] == "inauguration")
    assert inauguration["when"] == "turn == 2"
    # Winter is derived, not hard-coded.
    assert "winter" in d["derived"]


def test_playable_roles_have_two_doctrines_each() -> None:
    d = raw(BASE)
    for a in PLAYABLE:
        assert len(d["doctrines"][a]) >= 2, f"{a} needs at least two doctrines"


@pytest.mark.parametrize("name", ["endgame-2024-essay", "endgame-2024-critics", "endgame-2024-harsh-winter"])
def test_presets_extend_the_base_and_say_whose_view(name: str) -> None:
    d = raw(RULESETS / f"{name}.toml")
    assert d["extends"] == "endgame-2024"
    assert "view" in d["ruleset"]["description"] or "IEA" in d["ruleset"]["description"]
    base_params = raw(BASE)["params"]
    for pid, p in d.get("params", {}).items():
        lo, hi = base_params[pid]["min"], base_params[pid]["max"]
        assert lo <= p["value"] <= hi, f"{name}: params.{pid} outside the documented range"


def test_presets_move_outcomes_apart() -> None:
    essay = coverage(RULESETS / "endgame-2024-essay.toml", 150, seed=4)
    critics = coverage(RULESETS / "endgame-2024-critics.toml", 150, seed=4)
    assert essay.share(*DEFEAT) > critics.share(*DEFEAT) + 0.3


def test_one_game_plays_to_an_ending_through_the_api() -> None:
    from endgame_game.ai import make_agents, play_turn
    from endgame_game.engine.api import new_game

    game = new_game(str(BASE), seed=1)
    agents = make_agents(game.model, {})
    while not game.done:
        play_turn(game, agents)
    assert game.turn <= 13
    assert game.results()["ending"][0] != ""


# -- Face validity ---------------------------------------------------------------------------------------


def variant(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(f'extends = "{BASE.as_posix()}"\n[ruleset]\nid = "{name}"\ntitle = "{name}"\n{body}', encoding="utf-8")
    return path


def test_more_ukrainian_recruits_mean_fewer_collapses() -> None:
    low = coverage(BASE, GAMES, seed=21, overrides={"params.ua_recruits": 18})
    high = coverage(BASE, GAMES, seed=21, overrides={"params.ua_recruits": 35})
    collapse = ("collapse_manpower", "german_model", "collapse_grid")
    assert high.share(*collapse) + 0.15 < low.share(*collapse)


def test_a_longer_manpower_horizon_means_fewer_manpower_collapses() -> None:
    # A smaller effect than the others (about 3 points, since a reform can refill the pool), so paired games:
    # the same 600 games at 6 and at 12 months (common random numbers), and the whole interval below zero.
    from endgame_game.batch.sensitivity import sensitivity

    rep = sensitivity(BASE, games=600, seed=22, params=["ua_manpower_months"])
    eff = rep.params[0].endings["collapse_manpower"]
    assert (rep.params[0].low, rep.params[0].high) == (6.0, 12.0)
    assert eff.hi < 0, eff


def test_an_aid_cut_off_brings_kyivs_exhaustion_earlier(tmp_path: Path) -> None:
    cut = variant(tmp_path, "cut", '[flags.us_cutoff]\nlabel = "cut"\ninitial = true\n'
                                   '[[moves]]\nid = "resume_aid"\nrequires = "false"\n')
    kept = variant(tmp_path, "kept", '[[moves]]\nid = "cut_off"\nrequires = "false"\n')
    r_cut = coverage(cut, GAMES, seed=23)
    r_kept = coverage(kept, GAMES, seed=23)
    assert r_cut.share(*DEFEAT) > r_kept.share(*DEFEAT) + 0.2
    # Exhaustion: the line thins (a threshold) in more games, and sooner (earlier game ends).
    assert r_cut.thresholds["line_thins"] > r_kept.thresholds["line_thins"] + 0.2 * GAMES
    assert r_cut.end_turns.mean() < r_kept.end_turns.mean()
    assert r_cut.results["kyiv.manpower"].mean() < r_kept.results["kyiv.manpower"].mean() - 20


def test_authorising_deep_strikes_raises_escalation(tmp_path: Path) -> None:
    off = variant(tmp_path, "strikes_off", '[flags.deep_strikes]\nlabel = "off"\ninitial = false\n'
                                           '[[moves]]\nid = "authorise_strikes"\nrequires = "false"\n')
    on = variant(tmp_path, "strikes_on", '[[moves]]\nid = "rollback_strikes"\nrequires = "false"\n')
    r_off = coverage(off, GAMES, seed=24)
    r_on = coverage(on, GAMES, seed=24)
    assert r_on.results["escalation"].mean() > r_off.results["escalation"].mean() + 0.4
    assert r_on.thresholds["western_assets_targets"] > r_off.thresholds["western_assets_targets"] + 0.15 * GAMES
    assert r_on.share("direct_war") > r_off.share("direct_war")


# -- Exploits a lookahead player found in the first edition, closed --------------------------------------


def _one_turn(orders: dict[str, list[str]], batch: int = 64, seed: int = 7, **set_values: float) -> Game:
    model = CompiledModel.load(BASE)
    game = Game(model, seed=seed, batch=batch, log=False, history=False)
    for role, ids in orders.items():
        game.set_orders(role, ids)
    game.step()
    return game


def _v(game: Game, name: str) -> np.ndarray:
    return game.state.values[:, game.model.value_index[name]]


def test_fortify_cuts_losses_but_creates_no_troops() -> None:
    # Same seed, same dice: fortifying can only save some of the month's losses, never add men.
    base = _one_turn({})
    fort = _one_turn({"kyiv": ["fortify"]})
    saved = _v(fort, "kyiv.manpower") - _v(base, "kyiv.manpower")
    assert np.all(saved > 0)
    # The month's losses from attrition at the start (loss factor 1): fortify saves at most a quarter of them.
    losses = base.model.ruleset.params["ua_casualties"].value
    assert np.all(saved <= 0.25 * losses * 1.01)
    assert not any(e.target == "kyiv.manpower" for m in fort.model.ruleset.moves if m.id == "fortify" for e in m.effects)


def test_deep_strikes_cut_the_russian_fire_that_reaches_the_front() -> None:
    # A salvo hits depots and supply lines (ru_depots_hit), scaled by the contested deep_strike_value: the
    # next month's Russian fire is lower, so the same offensive on the same dice costs Kyiv fewer men.
    def two_turns(strike: bool, value: float = 1.0) -> Game:
        model = CompiledModel.load(BASE, overrides={"params.deep_strike_value": value})
        game = Game(model, seed=7, batch=64, log=False, history=False)
        for t in range(2):
            game.set_orders("moscow", ["offensive"])
            if strike and t == 0:
                game.set_orders("kyiv", ["deep_strike"])
            game.step()
        return game

    base, hit, weak = two_turns(False), two_turns(True), two_turns(True, value=0.3)
    assert np.all(_v(base, "ru_depots_hit") == 0)
    assert np.all(_v(hit, "ru_depots_hit") > _v(weak, "ru_depots_hit"))
    saved, saved_weak = (_v(g, "kyiv.manpower") - _v(base, "kyiv.manpower") for g in (hit, weak))
    assert np.all(saved > 0) and np.all(saved > saved_weak)


def test_mediation_costs_brussels_will_instead_of_giving_it() -> None:
    base = _one_turn({})
    med = _one_turn({"brussels": ["mediate"]})
    assert np.all(_v(med, "brussels.will") < _v(base, "brussels.will"))
    assert np.all(_v(med, "brics_pressure") > _v(base, "brics_pressure"))  # what it buys: pressure on Moscow


def test_an_occupation_plan_does_not_relabel_a_collapse_for_points() -> None:
    model = CompiledModel.load(BASE)
    g = Game(model, seed=0, batch=2, log=False, history=False)
    idx = {e.id: i for i, e in enumerate(model.endings)}
    g.state.ending[:] = [idx["collapse_manpower"], idx["german_model"]]
    g.state.end_turn[:] = 6
    score = model.scores[model.actor_index["moscow"]](g.state)
    # At the default burden the occupation is worth no more than the collapse itself...
    assert score[1] <= score[0]
    # ...and declaring it holds troops down every month after (a running cost).
    garrison = [f for f in model.ruleset.flows if f.id == "occupation_garrison"]
    assert garrison and garrison[0].when == "flags.occ_german"
    played = _one_turn({}, batch=8)
    plan = CompiledModel.load(BASE)
    g2 = Game(plan, seed=7, batch=8, log=False, history=False)
    g2.state.flags[:, plan.flag_index["occ_german"]] = True
    g2.step()
    assert np.all(_v(g2, "moscow.manpower") < _v(played, "moscow.manpower"))


def test_washington_cannot_bank_a_supplemental_for_points() -> None:
    model = CompiledModel.load(BASE)
    g = Game(model, seed=0, batch=2, log=False, history=False)
    g.state.values[1, model.value_index["washington.budget"]] += 60  # appropriated, never spent
    score = model.scores[model.actor_index["washington"]](g.state)
    assert score[0] == score[1]
    # Spending counts against Washington; cutting Ukraine off risks the losses its rule names.
    rule = model.ruleset.scores["washington"]
    assert "us_spent" in rule.value and "ending.collapse_manpower" in (rule.lose or "")


def _flagged(flag: str, batch: int = 8, seed: int = 7) -> tuple[Game, Game]:
    """One turn played twice on the same dice: as it starts, and with ``flag`` set."""
    games = []
    for on in (False, True):
        model = CompiledModel.load(BASE)
        g = Game(model, seed=seed, batch=batch, log=False, history=False)
        g.state.flags[:, model.flag_index[flag]] = on
        g.step()
        games.append(g)
    return games[0], games[1]


def test_the_buffer_zone_holds_troops_down_and_wins_only_while_it_holds() -> None:
    # A running cost: the belt's garrison leaves the front every month (a fifth of params.buffer_troops)...
    base, belt = _flagged("buffer_zone")
    troops = belt.model.ruleset.params["buffer_troops"].value
    assert np.all(_v(base, "moscow.manpower") - _v(belt, "moscow.manpower") >= troops / 5 - 1e-9)
    # ...and the ending is no label: it needs the belt still held, and wins only with latitude left at home.
    model = belt.model
    g = Game(model, seed=0, batch=3, log=False, history=False)
    idx = {e.id: i for i, e in enumerate(model.endings)}
    g.state.ending[:], g.state.end_turn[:] = idx["buffer_zone"], model.max_turns
    g.state.values[:, model.value_index["moscow.will"]] = [50, 30, 50]
    outcome = model.outcomes(g.state)["moscow"]
    assert outcome.tolist()[:2] == ["win", "draw"]
    ending = next(e for e in model.ruleset.endings if e.id == "buffer_zone")
    assert "territory >= 4" in ending.when
    # Worth less to Moscow than a guaranteed settlement (it was worth more, and the strong AI always took it).
    assert "12 if ending.buffer_zone" in model.ruleset.scores["moscow"].value


def test_each_month_of_a_us_cut_off_costs_washington_credibility() -> None:
    base, cut = _flagged("us_cutoff")
    model = cut.model
    cost = model.ruleset.params["us_abandonment_cost"].value
    assert np.allclose(_v(cut, "us_credibility_lost"), cost / 12) and np.all(_v(base, "us_credibility_lost") == 0)
    w = model.actor_index["washington"]
    g = Game(model, seed=0, batch=2, log=False, history=False)
    g.state.values[1, model.value_index["us_credibility_lost"]] = 5.0
    score = model.scores[w](g.state)
    assert score[0] - score[1] == pytest.approx(5.0)  # resuming aid stops the drain; it gives nothing back


@pytest.mark.parametrize(("role", "move", "share"), [
    # The tuned Moscow declared the buffer zone in 201 of the 210 games where it was legal (it won at the
    # horizon for a point of will a month); the tuned Washington cut Ukraine off in 235 of 280.
    ("moscow", "buffer_zone", 0.6),
    ("washington", "cut_off", 0.6),
])
def test_the_tuned_policies_no_longer_take_a_dominant_move(role: str, move: str, share: float) -> None:
    from endgame_game.batch.coverage import coverage

    rep = coverage(BASE, games=150, seed=4, agents={role: "tuned"})
    assert rep.legal[move] >= 50
    assert rep.taken[move] / rep.legal[move] <= share, (rep.taken[move], rep.legal[move])


@pytest.mark.parametrize(("role", "move"), [
    ("brussels", "mediate"),  # the first edition's lookahead mediated 6.8 times a game (free will)
    ("washington", "supplemental"),  # 1.9 times (banked money counted in its score)
    ("moscow", "occupation_plan"),  # in 62 % of games (relabelled a collapse for +5)
    ("washington", "cut_off"),  # 1.2 times a game (cut off, resume before the end, cut off again)
])
def test_the_lookahead_no_longer_takes_a_former_exploit(role: str, move: str) -> None:
    # A depth-1 lookahead takes any move that pays at once; on the same 24 games it now leaves these alone.
    from endgame_game.ai.play import run_games
    from endgame_game.batch.stakes import agents_for

    model = CompiledModel.load(BASE)
    game = Game(model, seed=11, batch=24, log=False, history=False)
    run_games(game, agents_for(model, {role: "lookahead:1"}), validate=False)
    assert game.state.taken[:, model.move_ids.index(move)].mean() <= 0.25


# -- Neutral texts ----------------------------------------------------------------------------------------

INVENTED_OR_ASSERTED = (
    "offers Hungary as a guarantor",  # invented: no such offer is on record
    "the essay expects from",  # a move described as what the essay expects, not what it argues
    "The essay's expected outcome",
    "by the essay's reading, distrusts",  # the essay does not make the Minsk claim
    "fell on 6 November over",  # the cause of the German coalition's fall is contested
)
# A sentence that names one of these contested claims must say whose claim it is.
CONTESTED = ("Minsk", "debt brake", "guarantor", "air supply", "reckless", "globally inadequate", "red line",
             "'new realities'", "rearm")
ATTRIBUTION = ("argue", "says", "say ", "said", "report", "according to", "claim", "cite", "calls", "call ",
               "called", "believe", "view", "fear", "expect", "source essay", "the essay", "reading", "named by",
               "(", "declared", "blamed", "warn", "doubt", "stress")


def _texts() -> list[tuple[str, str]]:
    data = raw(BASE)
    out: list[tuple[str, str]] = [("ruleset.description", data["ruleset"]["description"])]
    for aid, a in data["actors"].items():
        out += [(f"actors.{aid}.summary", a.get("summary", "")), (f"actors.{aid}.briefing", a.get("briefing", ""))]
    for key in ("moves", "events", "thresholds", "endings"):
        for item in data[key]:
            for field in ("label", "summary", "text"):
                if field in item:
                    out.append((f"{key}.{item['id']}.{field}", item[field]))
    for pid, p in data["params"].items():
        out.append((f"params.{pid}.doc", p.get("doc", "")))
    for role, s in data["scores"].items():
        out.append((f"scores.{role}.stakes", s.get("stakes", "")))
    return out


def test_no_text_asserts_an_invented_or_contested_claim() -> None:
    for where, text in _texts():
        flat = " ".join(text.split())
        for phrase in INVENTED_OR_ASSERTED:
            assert phrase not in flat, f"{where}: {phrase!r}"


def test_every_contested_claim_in_the_texts_is_attributed() -> None:
    import re

    checked = 0
    for where, text in _texts():
        for sentence in re.split(r"(?<=[.!?])\s+", " ".join(text.split())):
            if any(c in sentence for c in CONTESTED):
                checked += 1
                assert any(w in sentence for w in ATTRIBUTION), f"{where}: unattributed: {sentence!r}"
    assert checked >= 10  # the check reads real sentences


def test_every_role_states_its_stakes_and_outcome_rule() -> None:
    model = CompiledModel.load(BASE)
    for role in PLAYABLE:
        s = model.ruleset.scores[role]
        assert s.win and s.lose and "Win:" in s.stakes and "Loss:" in s.stakes
        assert "**Your stakes.**" in model.ruleset.actors[role].briefing


def test_no_role_is_safe_and_every_roles_choices_matter() -> None:
    # The bar, on 2,000 mixed-doctrine games (seed fixed): every role wins, draws and loses in at
    # least 10 % of games, and its best doctrine outscores its worst by at least 4 points.
    from endgame_game.batch.stakes import stakes

    rep = stakes(BASE, games=2000, seed=0)
    for role in PLAYABLE:
        rs = rep.roles[role]
        assert all(rs.outcomes[o].share >= 0.10 for o in ("win", "draw", "loss")), (role, rs.outcomes)
        assert rs.spread >= 4.0, (role, rs.spread)
    assert max(s.share for s in rep.endings.values()) <= 0.35  # no decision, the most frequent, is at 31-32 %
    assert all(s.k > 0 for s in rep.endings.values())


def test_every_doctrine_beats_random_play_and_the_doctrines_differ_on_paired_games() -> None:
    # The AI issue's bar: each doctrine scores higher than random play for its role in at least 65 % of
    # paired games (same seeds; the other roles on mixed doctrines). Washington's "Quick end" fell to 51 %
    # when a cut-off started costing credibility every month and it never resumed the aid. On the same
    # games, each role's best doctrine outscores its worst by at least 4 points.
    from endgame_game.batch.stakes import doctrine_pairs

    res = doctrine_pairs(BASE, games=1000, seed=0)
    doctrines = CompiledModel.load(BASE).doctrines
    assert {(p.role, p.doctrine) for p in res.vs_random} >= {(r, d) for r in PLAYABLE for d in doctrines[r]}
    for p in res.vs_random:
        assert p.better.share >= 0.65, (p.role, p.doctrine, p.better.share)
    for role in PLAYABLE:
        assert res.spread[role].diff.mean >= 4.0, (role, res.spread[role])
