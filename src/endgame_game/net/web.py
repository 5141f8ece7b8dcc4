"""Browser seats: textual-serve runs ``endgame join HOST`` for every browser tab; the tab asks for
its join code. Started by ``endgame host --web`` as ``python -m endgame_game.net.web HOST BIND PORT``."""

from __future__ import annotations

import shlex
import sys


def main(argv: list[str]) -> int:
    from textual_serve.server import Server

    host, bind, port = argv[0], argv[1], int(argv[2])
    command = shlex.join([sys.executable, "-c", "import sys; from endgame_game.cli import main; sys.exit(main())",
                          "join", host])
    public = None if bind != "0.0.0.0" else f"http://{host.rsplit(':', 1)[0]}:{port}"
    Server(command, host=bind, port=port, title="Endgame seat", public_url=public).serve()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
