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
    policies = sorted(p.name for p in (ROOT / "rulesets" / "tuned").glob("*.toml"))
    assert policies  # the tuned AI policies (endgame play --opponents tuned)
    for name in policies:
        assert f"endgame_game/rulesets/tuned/{name}" in names
    guides = sorted(p.name for p in (ROOT / "rulesets" / "guides").glob("*.toml"))
    assert guides  # the guided first games (endgame play --guided)
    for name in guides:
        assert f"endgame_game/rulesets/guides/{name}" in names
    assert "endgame_game/tui/app.tcss" in names and "endgame_game/net/seat.tcss" in names
    # Metadata: the SPDX license expression with its file, classifiers, and an index-safe description.
    meta_name = next(n for n in names if n.endswith(".dist-info/METADATA"))
    meta = zipfile.ZipFile(wheel).read(meta_name).decode()
    head, _, description = meta.partition("\n\n")
    assert "License-Expression: MIT" in head and "License-File: LICENSE" in head
    assert not any(line.startswith("Classifier: License ::") for line in head.splitlines())  # PEP 639
    assert "Classifier: Programming Language :: Python :: 3.13" in head
    assert any(n.endswith("licenses/LICENSE") for n in names)
    assert "](docs/" not in description and "](./" not in description and "<img" not in description
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


def test_the_index_description_shows_only_commands_the_readme_has():
    """PYPI.md (the package index's page) repeats README commands, which test_readme runs."""
    readme = (ROOT / "README.md").read_text()
    text = (ROOT / "PYPI.md").read_text()
    commands = [ln.strip() for ln in text.split("```sh")[1:] for ln in ln.split("```")[0].splitlines() if ln.strip()]
    assert commands
    for cmd in commands:
        if cmd.startswith("pip install"):
            continue
        assert cmd.removeprefix("endgame ") in readme, cmd
