"""The layers keep the direction docs/architecture.md draws:

    errors ← rules ← engine ← {ai, saves} ← {batch, report} ← {tui, rl} ← cli

Every module of the package belongs to a layer (a new top-level module must be placed here), imports
only from its own layer and the ones below (peers in braces do not import each other), and imports
inside functions count too. Only the app imports textual, only the report imports matplotlib."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "endgame_game"

BELOW: dict[str, set[str]] = {
    "errors": set(),
    "files": {"errors"},
    "rules": {"errors"},
    "engine": {"errors", "rules"},
    "ai": {"errors", "rules", "engine"},
    "saves": {"errors", "rules", "engine"},
    "batch": {"errors", "rules", "engine", "ai", "saves"},
    "report": {"errors", "rules", "engine", "ai", "saves"},
    "tui": {"errors", "rules", "engine", "ai", "saves", "batch", "report"},
    "rl": {"errors", "rules", "engine", "ai", "saves", "batch", "report"},
    "cli": {"errors", "rules", "engine", "ai", "saves", "batch", "report", "tui", "rl"},
    "__main__": {"cli"},
}
"""Layer → the layers it may import (besides itself and the package root, which holds ``__version__``)."""
BELOW["rl_vector"] = BELOW["rl"] | {"rl"}
for _layer_name, _below in BELOW.items():
    if _layer_name not in ("errors", "files", "__main__"):
        _below.add("files")  # safe file reading sits beside errors at the bottom: every layer reads files with it
BELOW["cli"].add("rl_vector")
BELOW["net"] = BELOW["tui"] | {"tui"}  # network seats: the host runs a Session, a seat shows the app's widgets
BELOW["cli"].add("net")
ONLY_IN = {"textual": {"tui", "net"}, "matplotlib": {"report", "batch"}}  # net: the seat app; batch: the tornado chart
"""Third-party packages only these layers may import."""


def _layer(path: Path) -> str:
    rel = path.relative_to(SRC)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text("utf-8"))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path.relative_to(SRC)}: relative import (use endgame_game.…)"
            out.append(node.module or "")
    return out


MODULES = sorted(p for p in SRC.rglob("*.py") if _layer(p) != "__init__")


def test_every_module_has_a_layer():
    assert {_layer(p) for p in MODULES} <= set(BELOW), "place the new module in BELOW (and in docs/architecture.md)"


@pytest.mark.parametrize("path", MODULES, ids=[str(p.relative_to(SRC)) for p in MODULES])
def test_layer_direction(path: Path):
    layer = _layer(path)
    allowed = BELOW[layer] | {layer}
    for mod in _imports(path):
        parts = mod.split(".")
        if parts[0] == "endgame_game":
            if len(parts) == 1:
                continue  # the package root: __version__
            sub = parts[1]
            assert sub in allowed, f"{path.relative_to(SRC)} ({layer}) imports {mod} ({sub} is not below it)"
        elif parts[0] in ONLY_IN:
            assert layer in ONLY_IN[parts[0]], f"{path.relative_to(SRC)} ({layer}) imports {mod}"


def test_the_layer_map_is_the_documented_one():
    doc = (SRC.parents[1] / "docs" / "architecture.md").read_text("utf-8")
    assert "errors ← rules ← engine ← {ai, saves} ← {batch, report} ← {tui, rl} ← cli" in doc
