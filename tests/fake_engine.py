"""A tiny Gomocup protocol engine for the match tests: ``python fake_engine.py MODE LOG``.

It keeps its own position from START, BEGIN, TURN and BOARD ... DONE and answers the first empty
point (lowest y, then x), writing every line it reads to LOG. MODE says how it misbehaves when
asked for a move: ``good`` (never), ``die`` (exits with code 3 and a line on stderr), ``garbage``
(answers "hello"), ``taken`` (answers a point with a stone on it, or off the board when the board
is empty), ``silent`` (never answers).
"""
import sys


def main(mode: str, log_path: str) -> int:
    log = open(log_path, "a")
    size, stones, block = (0, 0), set(), None

    def answer():
        if mode == "die":
            print("fake engine: told to die", file=sys.stderr, flush=True)
            sys.exit(3)
        if mode == "silent":
            return
        if mode == "garbage":
            reply = "hello"
        elif mode == "taken":
            reply = "%d,%d" % min(stones) if stones else "%d,0" % size[0]
        else:
            free = [(x, y) for y in range(size[1]) for x in range(size[0]) if (x, y) not in stones]
            reply = "%d,%d" % free[0]
            stones.add(free[0])
        sys.stdout.write(reply + "\r\n")
        sys.stdout.flush()

    for raw in sys.stdin:
        line = raw.strip()
        log.write(line + "\n")
        log.flush()
        word, _, rest = line.partition(" ")
        if block is not None:
            if line == "DONE":
                stones, block = block, None
                answer()
            else:
                x, y, _ = (int(v) for v in line.split(","))
                block.add((x, y))
        elif word in ("START", "RECTSTART"):
            sides = [int(v) for v in rest.split(",")]
            size, stones = (sides[0], sides[-1]), set()
            sys.stdout.write("OK\r\n")
            sys.stdout.flush()
        elif word == "BEGIN":
            answer()
        elif word == "TURN":
            stones.add(tuple(int(v) for v in rest.split(",")))
            answer()
        elif word == "BOARD":
            block = set()
        elif word == "END":
            return 0
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
