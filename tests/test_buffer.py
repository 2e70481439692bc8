"""The replay buffer: symmetries on entry, FIFO bound, uniform sampling, checkpoint round trip."""
import numpy as np
import pytest

from gomoku import ascii
from pipeline.replay_buffer import ReplayBuffer


def _game(board_picture, n_in_row=3):
    """One position of a game: the state of a drawn board and a one-hot move on its last stone."""
    board = ascii.parse(board_picture, n_in_row)
    state = board.current_state()[None]
    probs = np.zeros((1, board.width * board.height), np.float32)
    probs[0, board.last_move] = 1.0
    return board, state, probs, np.array([1.0], np.float32)


POSITION = """
  . . . .
  . X . .
  . . O .
  [X]. . .
"""


def test_a_game_enters_with_its_eight_symmetries_on_a_square_board():
    board, s, p, z = _game(POSITION)
    buf = ReplayBuffer(100, board.height, board.width)
    assert buf.add_game(s, p, z) == 8
    states, probs, winners = buf.oldest_first()
    # the probability mass follows the marked stone under each symmetry
    for state, prob in zip(states, probs):
        move = int(np.argmax(prob))
        row, col = divmod(move, board.width)
        # state planes have rows flipped; plane 2 is the last move
        assert state[2, board.height - 1 - row, col] == 1
    assert len({s.tobytes() for s in states}) == 8
    assert np.all(winners == 1.0)


def test_non_square_board_gives_four_symmetries():
    board, s, p, z = _game("""
      . . . . .
      . X . . .
      [O]. . . .
    """)
    buf = ReplayBuffer(100, board.height, board.width)
    assert buf.add_game(s, p, z) == 4


def test_fifo_drops_the_oldest_positions():
    buf = ReplayBuffer(5, 2, 2)
    for i in range(8):
        buf.extend(np.full((1, 4, 2, 2), i % 2, np.uint8), np.full((1, 4), i, np.float32),
                   np.array([i], np.float32))
    assert len(buf) == 5
    assert list(buf.oldest_first()[2]) == [3, 4, 5, 6, 7]


def test_sampling_is_uniform_without_replacement():
    buf = ReplayBuffer(10, 2, 2)
    buf.extend(np.zeros((10, 4, 2, 2), np.uint8), np.zeros((10, 4), np.float32),
               np.arange(10, dtype=np.float32))
    rng = np.random.default_rng(0)
    counts = np.zeros(10)
    for _ in range(2000):
        _, _, z = buf.sample(3, rng)
        assert len(set(z)) == 3
        counts[z.astype(int)] += 1
    # each position is drawn with probability 3/10: 600 expected, sd ~ 20
    assert np.all(np.abs(counts - 600) < 100)
    with pytest.raises(ValueError):
        buf.sample(11, rng)


def test_restored_buffer_samples_the_same_minibatches():
    rng = np.random.default_rng(1)
    buf = ReplayBuffer(7, 2, 2)
    buf.extend(rng.integers(0, 2, (11, 4, 2, 2)).astype(np.uint8),
               rng.random((11, 4)).astype(np.float32), rng.random(11).astype(np.float32))
    other = ReplayBuffer(7, 2, 2)
    other.load_arrays(buf.to_arrays())
    a, b = np.random.default_rng(5), np.random.default_rng(5)
    for _ in range(3):
        for x, y in zip(buf.sample(4, a), other.sample(4, b)):
            np.testing.assert_array_equal(x, y)
    assert buf.sample(2, a)[0].dtype == np.float32
