"""A normal (non-editable) install carries the built-in rulesets and finds them from any folder."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile

from tests.conftest import ROOT


def test_wheel_ships_the_rulesets_and_finds_them(tmp_path):
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q",
                            "-w", str(tmp_path / "dist"), str(ROOT)], capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr[-2000:]
    wheel = next((tmp_path / "dist").glob("endgame_game-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    shipped = sorted(p.name for p in (ROOT / "rulesets").glob("*.toml"))
    for name in shipped:
        assert f"endgame_game/rulesets/{name}" in names
    assert "endgame_game/tui/app.tcss" in names
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    # Run from an empty folder, importing the extracted wheel rather than the source tree.
    env = {**os.environ, "PYTHONPATH": str(site)}
    code = ("import endgame_game, sys; assert endgame_game.__file__.startswith(sys.argv[1]), endgame_game.__file__;"
            "from endgame_game.rules import list_rulesets, load_ruleset;"
            "ids = [r.id for r in list_rulesets() if r.builtin]; print(' '.join(ids));"
            "load_ruleset('endgame-2024-essay')")
    out = subprocess.run([sys.executable, "-c", code, str(site)], capture_output=True, text=True, cwd=tmp_path,
                         env=env, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    for name in shipped:
        assert name.removesuffix(".toml") in out.stdout.split()
