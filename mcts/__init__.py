"""Tree search for Gomoku: pure-rollout MCTS and AlphaZero PUCT search. Never imports TensorFlow."""
from .pure import MCTSPurePlayer

# --- AlphaZero PUCT search (mcts/puct*.py, mcts/player.py, mcts/selfplay*.py): exports below ---
from .batched import BatchedSearch, most_visited, visit_distribution
from .puct import MCTSPlayer
from .search_config import SearchConfig
from .selfplay import GameRecord, SelfPlay, play_games
