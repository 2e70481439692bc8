"""The GUI's web app (Starlette): the page, and a JSON API for games, analysis and runs.

Invariants:
- Every answer under ``/api/`` is JSON; a refused request gets a 4xx status and
  ``{"error": "one line"}``, and the server goes on.
- Searches run in worker threads (``run_in_threadpool``), never on the event loop, so other
  requests (other tabs, the run view's polling) are answered while an engine thinks.
- Request bodies are JSON objects of at most MAX_BODY_BYTES; an empty body is ``{}``.
- The only files served are the page's own (``static/``) and, read-only, the metrics of runs
  inside the runs directory.
"""
from __future__ import annotations

import json
from pathlib import Path

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from .engines import DEFAULT_MS, MS_LIMITS, PLAYOUT_LIMITS, NetEngine, PureEngine, Thinking
from .errors import TOO_LARGE, ApiError, quoted
from .games import BOARD_SIDES, DEFAULT_PURE_BOARD, GameStore, board_name
from .runs import list_runs, run_metrics

STATIC_DIR = Path(__file__).resolve().parent / "static"
MAX_BODY_BYTES = 16 * 1024
RUN_POLL_SECONDS = 5  # how often the page re-reads a run's metrics


async def read_body(request: Request) -> dict:
    """The request's JSON object ({} when the body is empty); ApiError for anything else."""
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > MAX_BODY_BYTES:
            raise ApiError(f"request body over {MAX_BODY_BYTES} bytes", TOO_LARGE)
    if not data.strip():
        return {}
    try:
        body = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(f"malformed JSON in the request body: {exc}") from None
    if not isinstance(body, dict):
        raise ApiError(f"the request body must be a JSON object, got {type(body).__name__}")
    return body


def create_app(runs_dir: Path | str = "runs", model: NetEngine | None = None) -> Starlette:
    """The app: games against ``model`` (if given) and pure MCTS; runs read from ``runs_dir``.

    ``app.state.engines`` maps each opponent's kind ("model", "pure") to its engine.
    """
    runs_dir = Path(runs_dir)
    engines = {"pure": PureEngine()}
    if model is not None:
        engines["model"] = model
    games = GameStore(engines)

    async def page(request: Request):
        return FileResponse(STATIC_DIR / "index.html")

    async def config(request: Request):
        opponents = [{"kind": e.kind, "label": e.label, "default_playouts": e.default_playouts,
                      "board": None if e.board is None else board_name(e.board)}
                     for e in engines.values()]
        return JSONResponse({
            "opponents": sorted(opponents, key=lambda o: o["kind"] != "model"),
            "default_board": DEFAULT_PURE_BOARD, "board_sides": list(BOARD_SIDES),
            "playout_limits": list(PLAYOUT_LIMITS), "ms_limits": list(MS_LIMITS),
            "default_ms": DEFAULT_MS,
            "run_poll_seconds": RUN_POLL_SECONDS, "runs_dir": str(runs_dir)})

    async def new_game(request: Request):
        game = games.create(await read_body(request))
        return JSONResponse(game.state(), status_code=201)

    async def game_state(request: Request):
        return JSONResponse(games.get(request.path_params["game_id"]).state())

    async def move(request: Request):
        game = games.get(request.path_params["game_id"])
        return JSONResponse(game.play(await read_body(request)))

    def thinking_of(game, body: dict) -> Thinking:
        return Thinking.from_json(body, game.engine.default_playouts)

    async def reply(request: Request):
        game = games.get(request.path_params["game_id"])
        thinking = thinking_of(game, await read_body(request))
        return JSONResponse(await run_in_threadpool(game.reply, thinking))

    async def analysis(request: Request):
        game = games.get(request.path_params["game_id"])
        thinking = thinking_of(game, await read_body(request))
        return JSONResponse(await run_in_threadpool(game.analyse, thinking))

    async def take_back(request: Request):
        game = games.get(request.path_params["game_id"])
        await read_body(request)  # takes no fields, but a malformed body is still refused
        return JSONResponse(game.take_back())

    async def swap(request: Request):
        game = games.get(request.path_params["game_id"])
        await read_body(request)
        return JSONResponse(game.swap())

    async def runs(request: Request):
        return JSONResponse({"runs_dir": str(runs_dir),
                             "runs": await run_in_threadpool(list_runs, runs_dir)})

    async def metrics(request: Request):
        params = request.query_params
        start = params.get("start", "0")
        if not start.isdigit():
            raise ApiError(f"start must be a record number >= 0, got {quoted(start)}")
        return JSONResponse(await run_in_threadpool(run_metrics, runs_dir, params.get("run"),
                                                    int(start)))

    async def api_error(request: Request, exc: ApiError):
        return JSONResponse({"error": exc.message}, status_code=exc.status)

    async def http_error(request: Request, exc: HTTPException):
        return JSONResponse({"error": f"{exc.detail}: {request.method} {request.url.path}"},
                            status_code=exc.status_code)

    game_path = "/api/games/{game_id}"
    routes = [
        Route("/", page),
        Route("/api/config", config),
        Route("/api/games", new_game, methods=["POST"]),
        Route(game_path, game_state),
        Route(game_path + "/move", move, methods=["POST"]),
        Route(game_path + "/reply", reply, methods=["POST"]),
        Route(game_path + "/analysis", analysis, methods=["POST"]),
        Route(game_path + "/takeback", take_back, methods=["POST"]),
        Route(game_path + "/swap", swap, methods=["POST"]),
        Route("/api/runs", runs),
        Route("/api/metrics", metrics),
        Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
    ]
    app = Starlette(routes=routes,
                    exception_handlers={ApiError: api_error, HTTPException: http_error})
    app.state.engines = engines
    return app
