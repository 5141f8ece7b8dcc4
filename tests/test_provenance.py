"""Every batch output says what made it (ruleset and hash, version, agents, seed, sweep, overrides), and
`endgame report --batch` refuses rows of another ruleset."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from endgame_game.batch import read_csv, run
from endgame_game.batch.results import check_same_ruleset, read_provenance, ruleset_sha256, sidecar_path
from endgame_game.cli import main
from endgame_game.engine import CompiledModel
from endgame_game.errors import EndgameError

RULES = Path(__file__).resolve().parent / "rulesets"
MINI = str(RULES / "mini.toml")


def _check(prov: dict, model: CompiledModel) -> None:
    assert prov["ruleset"]["id"] == "mini"
    assert prov["ruleset"]["sha256"] == ruleset_sha256(model) and len(prov["ruleset"]["sha256"]) == 64
    assert prov["seed"] == 9 and prov["games_per_point"] == 40 and prov["points"] == 2
    assert prov["sweep"] == {"params.growth": [1.0, 3.0]}
    assert prov["overrides"] == {"ruleset.max_turns": 4}
    assert prov["agents"] == {"blue": "doctrine:steady", "red": "random"}
    assert prov["endgame_version"] and prov["numpy"] == np.__version__
    assert prov["complete"] is True and prov["stopped"] is False and prov["rows"] == 80


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_provenance_round_trip(tmp_path: Path, suffix: str) -> None:
    if suffix == ".parquet":
        pytest.importorskip("pyarrow")
    out = tmp_path / f"r{suffix}"
    res = run(MINI, games=40, seed=9, agents="red=random", overrides={"ruleset.max_turns": 4},
              sweep=["params.growth=1:3:2"], out=out, workers=1)
    model = CompiledModel.load(MINI, {"ruleset.max_turns": 4})
    prov = read_provenance(out)
    assert prov is not None
    _check(prov, model)
    assert res.summary.provenance is not None
    _check(res.summary.provenance, model)
    # The hash is a save's ruleset hash: the same ruleset gives the same hash in both.
    assert check_same_ruleset(out, "mini", ruleset_sha256(model)) == prov


def test_provenance_does_not_depend_on_workers_or_chunk(tmp_path: Path) -> None:
    run(MINI, games=60, seed=2, out=tmp_path / "a.csv", workers=1)
    run(MINI, games=60, seed=2, out=tmp_path / "b.csv", workers=2, chunk=7)
    assert sidecar_path(tmp_path / "a.csv").read_text() == sidecar_path(tmp_path / "b.csv").read_text()


def test_stopped_run_says_so(tmp_path: Path) -> None:
    import threading

    stop = threading.Event()
    stop.set()
    res = run(MINI, games=50, seed=1, out=tmp_path / "s.csv", stop=stop, workers=1)
    prov = read_provenance(tmp_path / "s.csv")
    assert res.stopped and prov is not None and prov["complete"] is False and prov["stopped"] is True


def test_cli_summary_and_json_carry_provenance(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "r.csv"
    assert main(["batch", MINI, "--games", "20", "--seed", "3", "--set", "ruleset.max_turns=4", "--out", str(out),
                 "--summary", "--json", "--no-progress"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["provenance"]["ruleset"]["id"] == "mini" and data["provenance"]["overrides"] == {"ruleset.max_turns": "4"}
    assert data["games"] == 20 and data["summary"][0]["kind"] == "ending"
    summ = json.loads(sidecar_path(tmp_path / "r.summary.csv").read_text())
    assert summ["kind"] == "summary" and summ["seed"] == 3
    assert len(read_csv(out)["game"]) == 20  # the CSV itself stays plain rows


def test_report_refuses_rows_of_another_ruleset(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    save = tmp_path / "mini.toml"
    assert main(["simulate", MINI, "--save", str(save), "--quiet"]) == 0
    other = tmp_path / "tut.csv"
    assert main(["batch", "tutorial", "--games", "6", "--out", str(other), "--no-progress"]) == 0
    capsys.readouterr()
    assert main(["report", str(save), "--batch", str(other), "--no-charts", "--out", str(tmp_path / "rep")]) == 2
    err = capsys.readouterr().err
    assert "'tutorial'" in err and "'mini'" in err and not (tmp_path / "rep").exists()
    # The same ruleset is accepted.
    same = tmp_path / "mini-rows.csv"
    assert main(["batch", MINI, "--games", "6", "--out", str(same), "--no-progress"]) == 0
    assert main(["report", str(save), "--batch", str(same), "--no-charts", "--out", str(tmp_path / "rep")]) == 0


def test_another_version_of_the_same_ruleset_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "r.csv"
    run(MINI, games=5, out=out, workers=1)
    with pytest.raises(EndgameError, match="another version"):
        check_same_ruleset(out, "mini", "0" * 64)
