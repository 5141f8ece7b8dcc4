"""The layers keep their direction: errors ← rules ← engine ← {ai, saves} ← {batch, report} ← tui ← cli.
Nothing below tui imports textual; nothing below batch/report imports plotting."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "endgame_game"

ALLOWED = {
    "rules": {"errors", "rules"},
    "engine": {"errors", "rules", "engine"},
    "ai": {"errors", "rules", "engine", "ai"},
    "saves": {"errors", "rules", "engine", "saves", "ai"},
    "batch": {"errors", "rules", "engine", "ai", "batch", "saves", "report"},
    "report": {"errors", "rules", "engine", "ai", "saves", "report"},
    "tui": {"errors", "rules", "engine", "ai", "saves", "report", "batch", "tui", "__init__"},
}
for _allowed in ALLOWED.values():
    _allowed.add("files")  # safe file reading sits beside errors at the bottom: every layer reads files with it
FORBIDDEN_BELOW_TUI = {"textual"}
PLOTTING = {"matplotlib"}


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append(node.module)
    return out


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_layer_direction(layer):
    for f in (SRC / layer).rglob("*.py"):
        for mod in _imports(f):
            top = mod.split(".")[0]
            if top == "endgame_game":
                parts = mod.split(".")
                sub = parts[1] if len(parts) > 1 else "__init__"  # the package itself: __version__ only
                assert sub in ALLOWED[layer] | {"__init__"}, f"{f.relative_to(SRC)} imports {mod}"
            if layer != "tui":
                assert top not in FORBIDDEN_BELOW_TUI, f"{f.relative_to(SRC)} imports {mod}"
            if layer not in ("report", "tui", "batch"):
                assert top not in PLOTTING, f"{f.relative_to(SRC)} imports {mod}"
