"""The ``endgame`` command: one module per subcommand, each with ``add_parser`` and ``run``.

This package imports everything and owns nothing: each command module parses its arguments and calls
the layer that does the work. Heavy imports (textual, matplotlib) happen inside ``run``.
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import sys
import warnings
from collections.abc import Sequence
from pathlib import PurePath
from typing import Any

from endgame_game import __version__
from endgame_game.errors import EndgameError, EndgameWarning, RulesetError

# (command, module) in the order `endgame --help` lists them.
COMMANDS = (
    ("play", "play_cmd"),
    ("check", "check_cmd"),
    ("rulesets", "rulesets_cmd"),
    ("simulate", "simulate_cmd"),
    ("batch", "batch_cmd"),
    ("coverage", "coverage_cmd"),
    ("sensitivity", "sensitivity_cmd"),
    ("train", "train_cmd"),
    ("tournament", "tournament_cmd"),
    ("replay", "replay_cmd"),
    ("report", "report_cmd"),
    ("completion", "completion_cmd"),
    ("host", "host_cmd"),
    ("join", "join_cmd"),
)


def json_safe(v: Any) -> Any:
    """Plain JSON data: NaN and infinities as null (strict JSON has neither), numpy scalars and arrays
    as numbers and lists, paths as text."""
    if isinstance(v, float):
        return v if math.isfinite(v) else None
    if isinstance(v, dict):
        return {str(k): json_safe(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [json_safe(x) for x in v]
    if hasattr(v, "tolist"):
        return json_safe(v.tolist())
    if isinstance(v, PurePath):
        return str(v)
    return v


def print_json(data: Any) -> None:
    """What ``--json`` prints: one JSON document on stdout."""
    print(json.dumps(json_safe(data), indent=2, ensure_ascii=False))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="endgame",
        description="A text-based strategy wargame engine: play, check and batch-run TOML rulesets.",
    )
    parser.add_argument("--version", action="version", version=f"endgame {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for _name, mod in COMMANDS:
        try:
            module = importlib.import_module(f"endgame_game.cli.{mod}")
        except ImportError as e:
            if e.name == f"endgame_game.cli.{mod}":
                continue  # the command is not built yet
            raise
        p = module.add_parser(sub)
        p.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        # Plain `endgame`: play the default scenario.
        args = parser.parse_args(["play", *(argv or sys.argv[1:])]) if any(c == "play" for c, _ in COMMANDS) else args
        if not getattr(args, "_run", None):
            parser.print_help()
            return 0
    with warnings.catch_warnings():
        warnings.showwarning = _show_warning
        return _run(args)


def _show_warning(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                  file: Any = None, line: str | None = None) -> None:
    """The project's own warnings as one line ("endgame: warning: ..."); others as Python prints them."""
    if issubclass(category, EndgameWarning):
        print(f"endgame: warning: {message}", file=sys.stderr if file is None else file)
    else:
        sys.stderr.write(warnings.formatwarning(message, category, filename, lineno, line))


def _run(args: argparse.Namespace) -> int:
    try:
        return int(args._run(args) or 0)
    except RulesetError as e:
        for issue in e.issues:
            print(issue, file=sys.stderr)
        n = sum(1 for i in e.issues if i.severity == "error")
        print(f"{n} error(s)", file=sys.stderr)
        return 1
    except EndgameError as e:
        print(f"endgame: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
