"""Tree search for Gomoku; imports only gomoku, never TensorFlow.

``MCTSPurePlayer`` is pure-rollout MCTS (the evaluation opponent, one compiled call per move).
``BatchedSearch`` runs PUCT on many trees in lock step with one evaluator call per playout step;
``SelfPlay`` plays many self-play games on it, and ``MCTSPlayer`` is the reference's one-game
player over a one-tree search. A search sees the net only as
``evaluate(states float32 [B, 4, H, W]) -> (priors [B, H*W], values [B])``.
"""
from .batched import BatchedSearch, most_visited, visit_distribution
from .puct import MCTSPlayer
from .pure import MCTSPurePlayer
from .search_config import SearchConfig
from .selfplay import GameRecord, SelfPlay, play_games

__all__ = ["BatchedSearch", "GameRecord", "MCTSPlayer", "MCTSPurePlayer", "SearchConfig",
           "SelfPlay", "most_visited", "play_games", "visit_distribution"]
