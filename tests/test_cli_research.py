"""--json on batch, coverage, check, simulate, rulesets; shell completion; --ai/--agents alike in batch
and coverage; the help and check fixes."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from endgame_game.cli import build_parser, main

RULES = Path(__file__).resolve().parent / "rulesets"
MINI = str(RULES / "mini.toml")


def _json(capsys: pytest.CaptureFixture[str], argv: list[str], code: int = 0) -> object:
    assert main(argv) == code
    return json.loads(capsys.readouterr().out)


def test_json_outputs(capsys: pytest.CaptureFixture[str]) -> None:
    data = _json(capsys, ["batch", MINI, "--games", "8", "--json", "--no-progress"])
    assert data["games"] == 8 and data["provenance"]["ruleset"]["id"] == "mini"  # type: ignore[index]
    cov = _json(capsys, ["coverage", MINI, "--games", "20", "--json"])
    assert cov["games"] == 20 and {o["id"] for o in cov["outcomes"]} and "never_legal" in cov  # type: ignore[index]
    chk = _json(capsys, ["check", MINI, "tutorial", "--json"])
    assert [c["ok"] for c in chk] == [True, True]  # type: ignore[union-attr,index]
    sim = _json(capsys, ["simulate", MINI, "--json"])
    assert sim["ruleset"] == "mini" and sim["turns"] and sim["ending"]  # type: ignore[index]
    rs = _json(capsys, ["rulesets", "--json"])
    assert "endgame-2024" in {r["id"] for r in rs}  # type: ignore[union-attr,index]


def test_json_check_reports_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(Path(MINI).read_text().replace('id = "mini"', 'id = "mini"\nbogus = 1', 1))
    out = _json(capsys, ["check", str(bad), "--json"], code=1)
    assert out[0]["ok"] is False and out[0]["issues"][0]["severity"] == "error"  # type: ignore[index]


def test_check_refuses_a_misspelled_variant_parameter(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    v = tmp_path / "v.toml"
    v.write_text('extends = "endgame-2024"\n[ruleset]\nid = "v"\ntitle = "V"\nversion = "0.1"\n'
                 "[params.ua_recruitz]\nvalue = 3\n")
    assert main(["check", str(v)]) == 1
    err = capsys.readouterr().err
    assert "params.ua_recruitz" in err and "ua_recruits" in err
    # The shipped variants are fine.
    assert main(["check", "endgame-2024-harsh-winter", "endgame-2024-critics", "endgame-2024-essay"]) == 0


def test_coverage_help_prints_one_percent_sign(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["coverage", "--help"])
    out = capsys.readouterr().out
    assert "95%" in out and "95%%" not in out


def test_ai_and_agents_mean_the_same_in_batch_and_coverage(capsys: pytest.CaptureFixture[str]) -> None:
    for cmd in ("batch", "coverage"):
        p = build_parser()
        sub = next(a for a in p._actions if a.__class__.__name__ == "_SubParsersAction").choices[cmd]
        helps = {a.dest: a.help for a in sub._actions}
        assert "ROLE" not in (helps["agents"] or "") and "agents per role" in (helps["ai"] or "")
    cov = _json(capsys, ["coverage", MINI, "--games", "10", "--ai", "red=random", "--agents", "doctrine", "--json"])
    assert cov["agents"]["red"] == {"random": 10} and list(cov["agents"]["blue"]) == ["doctrine:steady"]  # type: ignore[index]
    # The old form still works, with a note.
    cov = _json(capsys, ["coverage", MINI, "--games", "10", "--agents", "red=random", "--json"])
    assert cov["agents"]["red"] == {"random": 10}  # type: ignore[index]


def _bash_complete(script: Path, line: str) -> list[str]:
    words = line.split(" ")
    cmd = (f"source {script}; COMP_WORDS=({' '.join(repr(w) for w in words)}); COMP_CWORD={len(words) - 1}; "
           "_endgame; printf '%s\\n' \"${COMPREPLY[@]}\"")
    p = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True, check=True)
    return p.stdout.split()


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_bash_completion_script(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["completion", "bash"]) == 0
    script = tmp_path / "endgame.bash"
    script.write_text(capsys.readouterr().out)
    assert {"batch", "coverage", "check", "play"} <= set(_bash_complete(script, "endgame "))
    assert "--trajectories" in _bash_complete(script, "endgame batch --tr")
    assert _bash_complete(script, "endgame batch --backend ") == ["local", "dask"]
    assert "endgame-2024" in _bash_complete(script, "endgame batch end")


def test_zsh_and_fish_scripts(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["completion", "zsh"]) == 0
    z = capsys.readouterr().out
    assert z.startswith("#compdef endgame") and "bashcompinit" in z and "_endgame" in z
    assert main(["completion", "fish"]) == 0
    f = capsys.readouterr().out
    assert "__fish_seen_subcommand_from batch" in f and "-l trajectories" in f
