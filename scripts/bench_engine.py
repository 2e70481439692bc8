"""The Gomocup engine under a tournament's limits: memory, start-up and move times, per runtime.

For each runtime (--runtimes, default light and tensorflow) it launches the engine as a manager
does (`python -m pipeline pbrain --model M --runtime R --playouts P`, a subprocess on pipes) and
measures:
- ``start_s``: from the launch to the ``OK`` of ``START`` (sent at once, as managers do; the
  engine answers after loading the net and warming the search up);
- ``peak_rss_mb``: the engine's peak resident memory, VmHWM of /proc/<pid>/status (polled while
  it runs) and ru_maxrss of its os.wait4 (where there is no /proc), whichever is larger;
- ``move_s``: the time from sending ``BEGIN`` / ``TURN`` to the move's answer, over --games whole
  games against pure MCTS (--pure playouts, played by this script) under ``INFO timeout_turn``
  (--timeout-turn ms): max, mean and the budget; with --playouts 100000 (the default) the time
  limit, not the cap, ends every search, so the max says how close to its budget the engine
  answers. ``playouts_per_s`` is the engine's own count (its MESSAGE lines) over its search time;
- ``net``: positions/s of the runtime's ``evaluate`` at batch 1 and 8 (--net-seconds each, in a
  subprocess of its own), per wall second and per CPU second of that process (the CPU figure
  suffers less from other jobs on a shared machine).
Prints one JSON document (also written to --json), then a table. Gomocup's limit is 350 MB of
memory; a manager expects START within a few seconds.

    python scripts/bench_engine.py [--model PATH] [--runtimes light,tensorflow]
        [--timeout-turn 1000] [--pure 1000] [--games 1] [--net-seconds 2] [--json OUT]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import queue
import re
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))  # this checkout's code, also when another one is installed

from gomoku import Board, BoardConfig  # noqa: E402
from mcts import MCTSPurePlayer  # noqa: E402
from net.model_file import read_model_file  # noqa: E402
from pipeline.brain import RUNTIMES  # noqa: E402
from pipeline.commands.common import DEFAULT_MODEL, repo_path  # noqa: E402

START_TIMEOUT = 300  # seconds: TensorFlow on a loaded machine
MOVE_TIMEOUT = 120
POLL_S = 0.02  # how often VmHWM is read
MESSAGE_RE = re.compile(r"MESSAGE (\d+) playouts in ([0-9.]+)s")
# positions/s of a runtime's evaluate, in a process of its own: argv model runtime seconds
NET_SPEED = r"""
import json, sys, time
import numpy as np
from pipeline.brain import load_net
net = load_net(sys.argv[1], sys.argv[2])
seconds = float(sys.argv[3])
rng = np.random.default_rng(0)
out = {}
for batch in (1, 8):
    states = (rng.random((batch, 4, net.board_height, net.board_width)) < 0.3).astype(np.float32)
    for _ in range(3):
        net.evaluate(states)  # XLA compiles, buffers
    n, wall, cpu = 0, time.perf_counter(), time.process_time()
    while time.perf_counter() - wall < seconds:
        net.evaluate(states)
        n += 1
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    out[f"batch_{batch}"] = {"per_wall_s": round(n * batch / wall), "per_cpu_s": round(n * batch / cpu)}
print(json.dumps(out))
"""


def vm_hwm_kib(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


class Engine:
    """The engine process: lines in (CRLF), answers out, its peak memory polled."""

    def __init__(self, command: list[str]):
        self.launched = time.perf_counter()
        self.proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, cwd=REPO_ROOT)
        self.lines: queue.Queue = queue.Queue()
        self.peak_kib = 0
        self.stderr = b""
        self._running = True
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._read_stderr, daemon=True).start()
        threading.Thread(target=self._poll, daemon=True).start()

    def _read(self):
        for raw in self.proc.stdout:
            self.lines.put(raw.decode("utf-8", "replace").rstrip("\r\n"))
        self.lines.put(None)

    def _read_stderr(self):
        self.stderr = self.proc.stderr.read()

    def _poll(self):
        while self._running:
            kib = vm_hwm_kib(self.proc.pid)
            if kib is not None:
                self.peak_kib = max(self.peak_kib, kib)
            time.sleep(POLL_S)

    def send(self, *lines: str) -> None:
        self.proc.stdin.write(b"".join(line.encode() + b"\r\n" for line in lines))
        self.proc.stdin.flush()

    def answer(self, timeout: float) -> tuple[str, list[str]]:
        """The next answer line, and the MESSAGE lines before it."""
        messages = []
        while True:
            line = self.lines.get(timeout=timeout)
            if line is None:
                raise RuntimeError("engine closed its output: "
                                   + self.stderr.decode(errors="replace")[-2000:])
            if not line.startswith(("MESSAGE", "DEBUG")):
                return line, messages
            messages.append(line)

    def close(self) -> int:
        """END, then wait; the peak memory includes the process's whole life."""
        kib = vm_hwm_kib(self.proc.pid)
        self.peak_kib = max(self.peak_kib, kib or 0)
        self.send("END")
        self.proc.stdin.close()
        _, status, usage = os.wait4(self.proc.pid, 0)
        self._running = False
        self.proc.returncode = os.waitstatus_to_exitcode(status)
        maxrss = usage.ru_maxrss // (1024 if sys.platform == "darwin" else 1)  # KiB
        self.peak_kib = max(self.peak_kib, maxrss)
        return self.proc.returncode


def xy(width: int, move: int) -> str:
    return f"{move % width},{move // width}"


def play_games(engine: Engine, board_config, games: int, pure: int, seed: int) -> dict:
    """Whole games against pure MCTS, the engine starting the even ones; move times."""
    times, playouts, search_s, results = [], [], [], []
    width = board_config.width
    for game in range(games):
        if game:
            engine.send("RESTART")
            assert engine.answer(MOVE_TIMEOUT)[0] == "OK"
        board = Board.from_config(board_config)
        opponent = MCTSPurePlayer(c_puct=5, n_playout=pure, seed=seed + game)
        engine_first = game % 2 == 0
        command = "BEGIN"
        if not engine_first:
            board.do_move(opponent.get_action(board))
            command = f"TURN {xy(width, board.last_move)}"
        while True:
            sent = time.perf_counter()
            engine.send(command)
            answer, messages = engine.answer(MOVE_TIMEOUT)
            times.append(time.perf_counter() - sent)
            for message in messages:
                found = MESSAGE_RE.match(message)
                if found:
                    playouts.append(int(found.group(1)))
                    search_s.append(float(found.group(2)))
            x, y = (int(v) for v in answer.split(","))
            board.do_move(y * width + x)
            if board.game_end()[0]:
                break
            board.do_move(opponent.get_action(board))
            if board.game_end()[0]:
                break
            command = f"TURN {xy(width, board.last_move)}"
        winner = board.game_end()[1]
        engine_player = 1 if engine_first else 2
        results.append("draw" if winner == -1 else "win" if winner == engine_player else "loss")
    return {"moves": len(times), "move_s": {"max": round(max(times), 4),
                                            "mean": round(statistics.fmean(times), 4),
                                            "each": [round(t, 3) for t in times]},
            "playouts_each": playouts,
            "playouts_mean": round(statistics.fmean(playouts)) if playouts else None,
            "playouts_per_s": round(sum(playouts) / sum(search_s)) if sum(search_s) else None,
            "results": results}


def bench_runtime(runtime: str, args, board_config) -> dict:
    command = [sys.executable, "-m", "pipeline", "pbrain", "--model", str(args.model),
               "--runtime", runtime, "--playouts", str(args.playouts)]
    engine = Engine(command)
    try:
        engine.send(f"RECTSTART {board_config.width},{board_config.height}"
                    if board_config.width != board_config.height else
                    f"START {board_config.width}")
        answer, _ = engine.answer(START_TIMEOUT)
        start_s = time.perf_counter() - engine.launched
        if answer != "OK":
            raise RuntimeError(f"START answered {answer!r}")
        engine.send(f"INFO timeout_turn {args.timeout_turn}")
        games = play_games(engine, board_config, args.games, args.pure, args.seed)
        code = engine.close()
    finally:
        if engine.proc.returncode is None and engine.proc.poll() is None:
            engine.proc.kill()
            engine.proc.wait()
    entry = {"runtime": runtime, "start_s": round(start_s, 3),
             "peak_rss_mb": round(engine.peak_kib / 1024, 1), "exit_code": code,
             "budget_s": args.timeout_turn / 1000, **games}
    if args.net_seconds > 0:
        speed = subprocess.run([sys.executable, "-c", NET_SPEED, str(args.model), runtime,
                                str(args.net_seconds)], capture_output=True, text=True,
                               cwd=REPO_ROOT, check=True)
        entry["net_positions_per_s"] = json.loads(speed.stdout.strip().splitlines()[-1])
    return entry


def table(report: dict) -> str:
    head = (f"{'runtime':<11} {'peak RSS MB':>11} {'START s':>8} {'moves':>5} {'max move s':>10} "
            f"{'mean move s':>11} {'budget s':>8} {'playouts/s':>10} {'net b1/s':>9} "
            f"{'net b8/s':>9}")
    lines = [head, "-" * len(head)]
    for r in report["results"]:
        net = r.get("net_positions_per_s", {})
        b1 = net.get("batch_1", {}).get("per_cpu_s", "-")
        b8 = net.get("batch_8", {}).get("per_cpu_s", "-")
        lines.append(f"{r['runtime']:<11} {r['peak_rss_mb']:>11.1f} {r['start_s']:>8.2f} "
                     f"{r['moves']:>5} {r['move_s']['max']:>10.3f} {r['move_s']['mean']:>11.3f} "
                     f"{r['budget_s']:>8.3f} {r['playouts_per_s'] or '-':>10} {b1:>9} {b8:>9}")
    lines.append("(net b1/s, b8/s: positions per CPU second of evaluate at batch 1 and 8)")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=DEFAULT_MODEL, help="model file (default: %(default)s)")
    parser.add_argument("--runtimes", default=",".join(reversed(RUNTIMES)),
                        help="comma-separated runtimes to measure (default: %(default)s)")
    parser.add_argument("--timeout-turn", type=int, default=1000,
                        help="INFO timeout_turn in ms (default: %(default)s)")
    parser.add_argument("--playouts", type=int, default=100000,
                        help="the engine's playout cap (default %(default)s: the time decides)")
    parser.add_argument("--pure", type=int, default=1000,
                        help="playouts of the pure MCTS opponent (default: %(default)s)")
    parser.add_argument("--games", type=int, default=1, help="games per runtime (default 1)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the opponent")
    parser.add_argument("--net-seconds", type=float, default=2.0,
                        help="seconds per batch size of the net speed test; 0 skips it")
    parser.add_argument("--json", default=None, help="also write the JSON document here")
    args = parser.parse_args()
    runtimes = [r.strip() for r in args.runtimes.split(",") if r.strip()]
    unknown = [r for r in runtimes if r not in RUNTIMES]
    if unknown or not runtimes:
        parser.error(f"--runtimes: unknown {unknown}, choose from {', '.join(RUNTIMES)}")
    if args.timeout_turn < 0 or args.playouts < 1 or args.pure < 1 or args.games < 1:
        parser.error("--timeout-turn must be >= 0; --playouts, --pure and --games positive")
    args.model = repo_path(args.model).resolve()
    saved = read_model_file(args.model)
    width, height = saved.board_size
    board_config = saved.board or BoardConfig(width, height, min(5, width, height))
    load_before = os.getloadavg()
    results = [bench_runtime(runtime, args, board_config) for runtime in runtimes]
    report = {
        "benchmark": "pbrain-gomoku-zero: peak memory, start, move times against pure MCTS",
        "model": os.path.relpath(args.model, REPO_ROOT), "board": board_config.label,
        "timeout_turn_ms": args.timeout_turn, "engine_playouts_cap": args.playouts,
        "pure_playouts": args.pure, "games": args.games,
        "python": platform.python_version(), "cpu_count": os.cpu_count(),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "results": results,
    }
    text = json.dumps(report, indent=2)
    if args.json:
        Path(args.json).write_text(text + "\n")
    print(text)
    print()
    print(table(report))


if __name__ == "__main__":
    main()
