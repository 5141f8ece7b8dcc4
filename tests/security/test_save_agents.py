"""A save is data: the agent specs it names never import or run code unless the user says so
(issue 18, item 1), and built-in agents' parameters are bounded wherever they come from."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from endgame_game.ai import make_agent
from endgame_game.engine import CompiledModel, Game
from endgame_game.errors import EndgameError
from endgame_game.saves import save_game
from endgame_game.tui.session import load_session, resume_latest

MINI = Path(__file__).resolve().parents[1] / "rulesets" / "mini.toml"
SPEC = "evil_agent_mod:Boom"


@pytest.fixture
def evil(tmp_path, monkeypatch):
    """A module that leaves a marker file when imported: the proof that a save ran code."""
    marker = tmp_path / "imported"
    (tmp_path / "evil_agent_mod.py").write_text(textwrap.dedent(f"""
        from pathlib import Path
        Path({str(marker)!r}).write_text("ran")

        class Boom:
            def __init__(self, model, actor):
                self.model, self.actor = model, actor

            def act(self, obs):
                import numpy as np
                return np.zeros_like(obs.legal)
    """))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "evil_agent_mod", raising=False)
    return marker


def _save_with_agent(tmp_path: Path, spec: str) -> Path:
    model = CompiledModel.load(MINI)
    game = Game(model, seed=3)
    ai_role = [a for a in model.playable if a != model.playable[0]][0]
    return save_game(game, tmp_path / "saves" / "autosave-000001-gabcdef01-t01.toml", agents={ai_role: spec},
                     meta={"humans": [model.playable[0]], "ruleset": str(MINI)})


def test_load_refuses_agent_code_and_imports_nothing(tmp_path, evil):
    path = _save_with_agent(tmp_path, SPEC)
    with pytest.raises(EndgameError) as e:
        load_session(path, saves_dir=None)
    assert "never runs code" in str(e.value) and "--trust-agents" in str(e.value) and SPEC in str(e.value)
    assert not evil.exists()


def test_continue_refuses_agent_code(tmp_path, evil):
    _save_with_agent(tmp_path, SPEC)
    with pytest.raises(EndgameError, match="never runs code"):
        resume_latest(tmp_path / "saves")
    assert not evil.exists()


def test_same_spec_on_the_command_line_or_trust_runs_it(tmp_path, evil):
    path = _save_with_agent(tmp_path, SPEC)
    model = CompiledModel.load(MINI)
    role = [a for a in model.playable if a != model.playable[0]][0]
    session = load_session(path, saves_dir=None, agents={role: SPEC})
    assert evil.exists() and session.agent_specs[role] == SPEC
    evil.unlink()
    del sys.modules["evil_agent_mod"]
    load_session(path, saves_dir=None, trust_agents=True)
    assert evil.exists()


def test_another_spec_on_the_command_line_does_not_trust_the_saved_one(tmp_path, evil):
    path = _save_with_agent(tmp_path, SPEC)
    model = CompiledModel.load(MINI)
    role = [a for a in model.playable if a != model.playable[0]][0]
    # --ai for this role replaces the saved agent: nothing of the save's is imported.
    session = load_session(path, saves_dir=None, agents={role: "random"})
    assert session.agent_specs[role] == "random" and not evil.exists()


def test_cli_play_load_refuses_before_any_terminal(tmp_path, evil):
    path = _save_with_agent(tmp_path, SPEC)
    env_path = f"{evil.parent}"
    r = subprocess.run([sys.executable, "-m", "endgame_game", "play", "--load", str(path)], capture_output=True,
                       text=True, env={"PYTHONPATH": env_path, "PATH": "/usr/bin:/bin"}, timeout=120)
    assert r.returncode != 0 and "never runs code" in r.stderr
    assert not evil.exists()


def test_replay_names_the_agent_code_it_does_not_run(tmp_path, evil):
    path = _save_with_agent(tmp_path, SPEC)
    r = subprocess.run([sys.executable, "-m", "endgame_game", "replay", str(path)], capture_output=True, text=True,
                       env={"PYTHONPATH": f"{evil.parent}", "PATH": "/usr/bin:/bin"}, timeout=120)
    assert r.returncode == 0, r.stderr
    assert SPEC in r.stdout and "does not run agents" in r.stdout
    assert not evil.exists()


@pytest.mark.parametrize("spec", ["lookahead:1:100000", "lookahead:100000", "lookahead:0", "lookahead:2:0",
                                  "lookahead:²", "lookahead:1:2:3"])
def test_lookahead_parameters_are_bounded(spec):
    model = CompiledModel.load(MINI)
    with pytest.raises(EndgameError, match="bad agent"):
        make_agent(spec, model, model.playable[0])


def test_a_save_with_an_absurd_lookahead_is_refused_cleanly(tmp_path):
    path = _save_with_agent(tmp_path, "lookahead:1:100000")
    with pytest.raises(EndgameError, match="1 to 64 samples"):
        load_session(path, saves_dir=None)
