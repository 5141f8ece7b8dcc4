from endgame_game.cli import main

raise SystemExit(main())
