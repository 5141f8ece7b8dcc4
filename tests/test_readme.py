"""Every command the README shows in a shell block works as written (the set-up lines aside, which
CI runs for real)."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys

import pytest

from tests.conftest import ROOT

README = (ROOT / "README.md").read_text()


def _commands() -> list[str]:
    out = []
    for block in re.findall(r"```sh\n(.*?)```", README, flags=re.S):
        for line in block.splitlines():
            line = line.split("  #")[0].strip()
            if line.startswith(".venv/bin/endgame ") and "&&" not in line:
                out.append(line.removeprefix(".venv/bin/endgame "))
    return out


def test_readme_has_the_two_setup_commands():
    assert re.search(r"python3 -m venv \.venv && \.venv/bin/pip install -e \. && \.venv/bin/endgame play", README)
    assert re.search(r"python3 -m venv \.venv && \.venv/bin/pip install -e \"\.\[test\]\" && \.venv/bin/python -m pytest", README)
    ci = (ROOT / ".ci" / "run").read_text()
    assert "pip install -q -e \".[test]\"" in ci and "python -m pytest -n 2" in ci


@pytest.mark.parametrize("command", _commands())
def test_readme_command_runs(command, tmp_path):
    args = shlex.split(command)
    out = subprocess.run([sys.executable, "-m", "endgame_game", *args], capture_output=True, text=True,
                         cwd=ROOT, timeout=300, stdin=subprocess.DEVNULL)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "Traceback" not in out.stderr
