"""The 8 board symmetries keep states and move probabilities consistent."""
import numpy as np
import pytest

from gomoku import Board
from gomoku.symmetry import augment, inverse, symmetry_indices, transform


def random_position(width, height, n, moves, seed):
    rng = np.random.default_rng(seed)
    board = Board(width, height, n)
    for move in rng.permutation(width * height)[:moves]:
        board.do_move(int(move))
    return board


def stone_probs(board):
    """A probability vector over the stones only, a different weight on each."""
    probs = np.zeros(board.width * board.height, dtype=np.float32)
    for i, move in enumerate(np.flatnonzero(board.stones)):
        probs[move] = i + 1.0
    return probs / probs.sum()


@pytest.mark.parametrize("width,height", [(6, 6), (8, 8), (7, 5), (5, 9)])
def test_probability_follows_its_stone(width, height):
    board = random_position(width, height, 4, moves=5, seed=width)
    state, probs = board.current_state(), stone_probs(board)
    for k in symmetry_indices(height, width):
        new_state, new_probs = transform(state, probs, k)
        # every point with probability holds a stone in the transformed planes, and the
        # probability of each stone is kept: read the move index of each stone back from planes
        stones = new_state[0] + new_state[1]
        picture = new_probs.reshape(height, width)[::-1, :]  # rows flipped like the planes
        np.testing.assert_array_equal(picture > 0, stones > 0)
        assert sorted(picture[stones > 0]) == sorted(probs[probs > 0])
        # the last move plane moves with the stones too
        assert (new_state[2] * stones).sum() == 1


@pytest.mark.parametrize("width,height", [(6, 6), (7, 5)])
def test_transform_matches_a_transformed_game(width, height):
    """Playing the mapped moves on a fresh board gives the mapped planes."""
    rng = np.random.default_rng(1)
    moves = [int(m) for m in rng.permutation(width * height)[:7]]
    board = Board(width, height, 4)
    for m in moves:
        board.do_move(m)
    for k in symmetry_indices(height, width):
        onehots = np.eye(width * height, dtype=np.float32)[moves]
        _, mapped = transform(np.zeros((len(moves), 4, height, width)), onehots, k)
        other = Board(width, height, 4)
        for row in mapped:
            other.do_move(int(np.argmax(row)))
        np.testing.assert_array_equal(transform(board.current_state(), onehots[0], k)[0],
                                      other.current_state())


@pytest.mark.parametrize("width,height", [(6, 6), (7, 5)])
def test_inverse_is_identity(width, height):
    rng = np.random.default_rng(2)
    state = rng.random((3, 4, height, width)).astype(np.float32)
    probs = rng.random((3, width * height)).astype(np.float32)
    for k in symmetry_indices(height, width):
        s, p = transform(state, probs, k)
        s2, p2 = transform(s, p, inverse(k))
        np.testing.assert_array_equal(s2, state)
        np.testing.assert_array_equal(p2, probs)


def test_eight_distinct_maps_on_square_four_on_rectangle():
    rng = np.random.default_rng(4)
    square = rng.random((1, 6, 6))
    assert len({transform(square, np.zeros(36), k)[0].tobytes() for k in range(8)}) == 8
    rect = rng.random((1, 5, 7))
    assert symmetry_indices(5, 7) == (0, 2, 4, 6)
    assert len({transform(rect, np.zeros(35), k)[0].tobytes() for k in (0, 2, 4, 6)}) == 4
    with pytest.raises(ValueError, match="symmetry 1"):
        transform(rect, np.zeros(35), 1)


def test_augment_sizes_and_winners():
    board = random_position(6, 6, 4, moves=6, seed=5)
    states = np.stack([board.current_state()] * 2)
    probs = np.stack([stone_probs(board)] * 2)
    s, p, z = augment(states, probs, np.array([1.0, -1.0]))
    assert s.shape == (16, 4, 6, 6) and p.shape == (16, 36) and z.shape == (16,)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-6)
    assert list(z[:4]) == [1.0, -1.0, 1.0, -1.0]
