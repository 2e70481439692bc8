"""`gomoku-zero gui`: a local web page to play the model or pure MCTS and to watch runs train.

The library is ``pipeline.gui``; this module only reads the flags, opens the socket (so a busy
port is reported before TensorFlow loads), loads the model and serves until Ctrl-C.
"""
from __future__ import annotations

import socket
from pathlib import Path

from .common import DEFAULT_MODEL, UsageError, repo_path

HELP = "play and watch in the browser: a local web page (the model or pure MCTS, run curves)"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def add_arguments(parser) -> None:
    parser.add_argument("--model", default=None,
                        help="saved policy-value net to play, on the game it records; default: "
                             "the committed 6x6x4 model if it is found, else pure MCTS only")
    parser.add_argument("--port", type=int, default=8000, help="TCP port (0: any free one)")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on; anything but loopback opens the page to "
                             "other machines")
    parser.add_argument("--runs-dir", default="runs",
                        help="directory whose runs the run view lists (nothing outside it is read)")


def listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host``:``port``; UsageError saying why not."""
    if not 0 <= port <= 65535:
        raise UsageError(f"--port must be from 0 to 65535, got {port}")
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        sock = socket.socket(family, kind, proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(64)
    except OSError as exc:
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    return sock


def model_to_play(model: str | None) -> Path | None:
    """The model file of ``--model`` (UsageError if it is missing); without the flag, the
    committed model when it can be found, else None (pure MCTS only)."""
    if model is None:
        default = repo_path(DEFAULT_MODEL)
        return default if default.is_file() else None
    path = repo_path(model)
    if not path.is_file():
        raise UsageError(f"--model {model}: no such file (leave the flag out to play the "
                         f"committed model, or pure MCTS when it is missing)")
    return path


def page_url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"


def run(args) -> int:
    try:
        import uvicorn

        from pipeline.gui.engines import load_net_engine
        from pipeline.gui.server import create_app
    except ImportError as exc:
        raise UsageError(f"the gui needs starlette and uvicorn ({exc}): "
                         f"pip install -e '.[gui]'") from None
    runs_dir = Path(args.runs_dir)
    if runs_dir.exists() and not runs_dir.is_dir():
        raise UsageError(f"--runs-dir {runs_dir} is not a directory")
    with listen(args.host, args.port) as sock:
        model_path = model_to_play(args.model)
        model = None if model_path is None else load_net_engine(model_path)
        app = create_app(runs_dir, model)
        for engine in app.state.engines.values():
            engine.warm_up()
        print(f"opponents: {', '.join(e.label for e in app.state.engines.values())}; "
              f"runs from {runs_dir.resolve()}", flush=True)
        if args.host not in LOOPBACK:
            print(f"note: listening on {args.host}, so other machines can open the page",
                  flush=True)
        print(f"gomoku-zero gui: open {page_url(sock)} (Ctrl-C stops)", flush=True)
        try:
            uvicorn.Server(uvicorn.Config(app, log_level="warning")).run(sockets=[sock])
        except KeyboardInterrupt:  # uvicorn shuts down, then raises the Ctrl-C it caught again
            pass
    print("gomoku-zero gui: stopped", flush=True)
    return 0
