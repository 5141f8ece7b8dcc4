"""``endgame check FILE...``: report every problem in one or more rulesets."""

from __future__ import annotations

import argparse
import sys
import tomllib
from typing import Any

from endgame_game.errors import Issue, RulesetError
from endgame_game.rules import check_file, parse_assignments
from endgame_game.rules.expr import did_you_mean


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:  # type: ignore[type-arg]
    p = sub.add_parser("check", help="validate rulesets and list every problem (exit 1 if any error)",
                       description="Validate rulesets: every error with file, line, key path and a did-you-mean.")
    p.add_argument("files", nargs="+", metavar="FILE", help="ruleset files or ids")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument("-q", "--quiet", action="store_true", help="errors only, no warnings")
    p.add_argument("--json", action="store_true", help="print every file's issues as JSON on stdout")
    return p


def variant_param_issues(files: tuple[tuple[str, str], ...]) -> list[Issue]:
    """A variant (a ruleset that ``extends`` another) that declares a parameter its base lacks, close
    to one the base has, and reads it nowhere: almost surely a misspelling that silently changes
    nothing (``[params.ua_recruitz]`` for ``ua_recruits``)."""
    if len(files) < 2:
        return []
    try:
        own = tomllib.loads(files[0][1])
        base: set[str] = set()
        for _name, text in files[1:]:
            params = tomllib.loads(text).get("params", {})
            base |= set(params) if isinstance(params, dict) else set()
    except (tomllib.TOMLDecodeError, AttributeError):
        return []
    params = own.get("params", {})
    if not isinstance(params, dict):
        return []
    out = []
    text = files[0][1]
    for name in params:
        if name in base:
            continue
        hint = did_you_mean(name, sorted(base))
        if hint and text.count(name) == 1:
            out.append(Issue(f"params.{name}", "is not a parameter of the ruleset this variant extends, and "
                             "nothing reads it: the variant changes nothing", file=files[0][0], hint=hint))
    return out


def guide_issues(checked: Any) -> list[Issue]:
    """The problems of the ruleset's guided-game file (``guides/<ruleset>.toml``, ``tui.guide``), when it
    has one and the ruleset itself has no errors."""
    if checked.errors:
        return []
    from endgame_game.engine.model import CompiledModel
    from endgame_game.tui.guide import find_guide, load_guide

    model = CompiledModel(checked)
    if find_guide(model) is None:
        return []
    try:
        load_guide(model)
    except RulesetError as e:
        return list(e.issues)
    return []


def run(args: argparse.Namespace) -> int:
    failed = 0
    overrides = parse_assignments(args.overrides)
    report: list[dict[str, Any]] = []
    for f in args.files:
        try:
            checked = check_file(f, overrides)
            issues = list(checked.issues) + variant_param_issues(tuple(checked.files)) + guide_issues(checked)
        except RulesetError as e:
            issues = e.issues
        errors = [i for i in issues if i.severity == "error"]
        warnings = [i for i in issues if i.severity == "warning"]
        failed += bool(errors)
        if args.json:
            report.append({"file": f, "ok": not errors, "errors": len(errors), "warnings": len(warnings),
                           "issues": [{"severity": i.severity, "file": i.file, "line": i.line, "path": i.path,
                                       "message": i.message, "hint": i.hint}
                                      for i in errors + ([] if args.quiet else warnings)]})
            continue
        for i in errors + ([] if args.quiet else warnings):
            print(i, file=sys.stderr if i.severity == "error" else sys.stdout)
        status = "ok" if not errors else f"{len(errors)} error(s)"
        extra = f", {len(warnings)} warning(s)" if warnings and not args.quiet else ""
        print(f"{f}: {status}{extra}")
    if args.json:
        from endgame_game.cli import print_json

        print_json(report)
    return 1 if failed else 0
