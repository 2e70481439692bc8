"""Positions shared by the rule tests, drawn as ASCII boards (X is black, player 1)."""

# Renju, black to move: both empty points are forbidden (each makes six in a line: a column,
# a diagonal), so black has no legal point left and the game is a draw.
STUCK = """
    X O X X O X
    O X X . X O
    O O X X O X
    O O X X O O
    X O O X . O
    O O X X O X
"""
