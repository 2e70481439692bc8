"""Tree search for Gomoku: pure-rollout MCTS and AlphaZero PUCT search. Never imports TensorFlow."""
from .pure import MCTSPurePlayer

# --- AlphaZero PUCT search (mcts/puct*.py, mcts/player.py, mcts/selfplay*.py): exports below ---
