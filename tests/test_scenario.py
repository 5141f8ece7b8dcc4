"""The default scenario and its presets: they load, every number is sourced, every role is briefed,
and the model moves in the direction a domain expert expects when an assumption changes.

The face-validity tests compare two settings over a few hundred seeded games with a margin, so they
fail if the model stops responding (or responds the wrong way) to the assumption.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from endgame_game.batch.coverage import coverage
from endgame_game.cli import main
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
        assert 250 <= words <= 400, f"{a}'s briefing has {words} words"
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
    # A smaller effect than the others (about 6 points), so more games.
    short = coverage(BASE, 600, seed=22, overrides={"params.ua_manpower_months": 6})
    long = coverage(BASE, 600, seed=22, overrides={"params.ua_manpower_months": 12})
    assert long.share("collapse_manpower", "german_model") + 0.04 < short.share("collapse_manpower", "german_model")


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
