"""``endgame report SAVE``: an after-action report (Markdown, HTML and PNG charts) of a saved game."""

from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:  # type: ignore[type-arg]
    p = sub.add_parser("report", help="write an after-action report of a save (Markdown, HTML, charts)",
                       description="Write an after-action report of a saved game: the ending and scores, "
                                   "resource curves, the escalation track with thresholds, a timeline of moves, "
                                   "events, agreements and umpire actions; with --batch, where the game sits "
                                   "among AI games of the same ruleset. A game an umpire rewound also gets "
                                   "branches.md/.html: the lines of play compared (decisions that differed, "
                                   "outcomes, the values that parted).")
    p.add_argument("save", metavar="SAVE", help="a save file")
    p.add_argument("--out", metavar="DIR", help="output folder (default: <save name>-report)")
    p.add_argument("--batch", metavar="RESULTS", help="batch results (CSV with 'ending' and 'score.<actor>' columns)")
    p.add_argument("--game", type=int, default=0, help="which game of a batch save (default 0)")
    p.add_argument("--ai-games", type=int, default=None, metavar="N",
                   help="without --batch: compare with N AI games played here (default 10000, as the app; 0: none)")
    p.add_argument("--no-charts", action="store_true", help="text only, no PNG charts")
    return p


def run(args: argparse.Namespace) -> int:
    import sys
    from pathlib import Path

    from endgame_game.report.aar import write_report
    from endgame_game.report.debrief import AI_GAMES

    out = Path(args.out) if args.out else Path(f"{Path(args.save).stem}-report")
    if args.batch:
        from endgame_game.batch.results import check_same_ruleset
        from endgame_game.saves import read_save

        header = read_save(args.save).header
        check_same_ruleset(args.batch, str(header.get("ruleset_id", "")), str(header.get("ruleset_sha256", "")) or None)
    from endgame_game.saves import load_game

    loaded = load_game(args.save)
    ai_games = AI_GAMES if args.ai_games is None else max(0, args.ai_games)
    files = write_report(loaded, out, batch=args.batch, game=args.game, charts=not args.no_charts,
                         ai_games=0 if args.batch else ai_games)
    for note in files.notes:
        print(f"endgame report: {note}", file=sys.stderr)
    wrote = [files.markdown, files.html, *files.charts]
    if loaded.game.branches:
        from endgame_game.report.branches import write_branches

        wrote += write_branches(loaded, out, game=args.game, charts=not args.no_charts)
    print("wrote " + ", ".join(str(p) for p in wrote))
    return 0
