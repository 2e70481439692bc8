"""The match against pure MCTS: alternating starts, batched net searches, reproducible results."""

from gomoku import DRAW, Board, BoardConfig
from mcts import SearchConfig
from pipeline.evaluator import NET_PLAYER, PURE_PLAYER, play_match, play_match_games
from evaluators import UniformNet

BOARD = BoardConfig(width=4, height=4, n_in_row=3)


def _games(seed, net=None, n_games=6):
    net = net or UniformNet(BOARD)
    return play_match_games(net, BOARD, SearchConfig(n_playout=16), n_games=n_games,
                            pure_playout=60, pure_c_puct=5.0, seed=seed, threads=2)


def test_games_alternate_who_starts_and_follow_the_rules():
    games = _games(seed=1)
    assert [g.first_player for g in games] == [NET_PLAYER, PURE_PLAYER] * 3
    for g in games:
        board = Board.from_config(BOARD)
        board.init_board(0 if g.first_player == 1 else 1)
        for move in g.moves:
            board.do_move(move)  # raises on an illegal move
        ended, winner = board.game_end()
        assert ended and winner == g.winner
        assert g.winner in (NET_PLAYER, PURE_PLAYER, DRAW)


def test_net_moves_of_all_waiting_games_are_one_batched_search():
    net = UniformNet(BOARD)
    _games(seed=2, net=net)
    # three games wait for the net at every step at the start: batches of 3 rows
    assert max(net.batches) == 3


def test_a_match_is_reproducible_from_its_seed():
    assert [g.moves for g in _games(seed=5)] == [g.moves for g in _games(seed=5)]


def test_pure_mcts_beats_a_net_that_knows_nothing():
    wins, losses, ties = play_match(UniformNet(BOARD), BOARD, SearchConfig(n_playout=2), n_games=4,
                                    pure_playout=400, pure_c_puct=5.0, seed=0)
    assert wins + losses + ties == 4
    assert losses >= 3
