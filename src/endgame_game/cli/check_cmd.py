"""``endgame check FILE...``: report every problem in one or more rulesets."""

from __future__ import annotations

import argparse
import sys

from endgame_game.errors import RulesetError
from endgame_game.rules import check_file, parse_assignments


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:  # type: ignore[type-arg]
    p = sub.add_parser("check", help="validate rulesets and list every problem (exit 1 if any error)",
                       description="Validate rulesets: every error with file, line, key path and a did-you-mean.")
    p.add_argument("files", nargs="+", metavar="FILE", help="ruleset files or ids")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument("-q", "--quiet", action="store_true", help="errors only, no warnings")
    return p


def run(args: argparse.Namespace) -> int:
    failed = 0
    overrides = parse_assignments(args.overrides)
    for f in args.files:
        try:
            checked = check_file(f, overrides)
            issues = list(checked.issues)
        except RulesetError as e:
            issues = e.issues
        errors = [i for i in issues if i.severity == "error"]
        warnings = [i for i in issues if i.severity == "warning"]
        for i in errors + ([] if args.quiet else warnings):
            print(i, file=sys.stderr if i.severity == "error" else sys.stdout)
        status = "ok" if not errors else f"{len(errors)} error(s)"
        extra = f", {len(warnings)} warning(s)" if warnings and not args.quiet else ""
        print(f"{f}: {status}{extra}")
        failed += bool(errors)
    return 1 if failed else 0
