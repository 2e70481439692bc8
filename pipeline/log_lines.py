"""The training log's lines, in the reference trainer's exact formats."""
from __future__ import annotations

from .learner import UpdateResult


def batch_line(batch: int, episode_len: int) -> str:
    """``batch`` counts self-play games from 1."""
    return f"batch i:{batch}, episode_len:{episode_len}"


def update_line(r: UpdateResult) -> str:
    return (f"kl:{r.kl:.5f},lr_multiplier:{r.lr_multiplier:.3f},loss:{r.loss:.4f},"
            f"entropy:{r.entropy:.4f},explained_var_old:{r.explained_var_old:.3f},"
            f"explained_var_new:{r.explained_var_new:.3f}")


def epoch_line(epoch: int, epochs: int, loss: float) -> str:
    """The verbose per-train-step line (the Keras log's, without its accuracy)."""
    return f"Epoch {epoch}/{epochs} - loss: {loss:.4f}"


def checkpoint_batch_line(batch: int) -> str:
    return f"current self-play batch: {batch}"


def match_line(pure_playouts: int, win: int, lose: int, tie: int) -> str:
    return f"num_playouts:{pure_playouts}, win: {win}, lose: {lose}, tie:{tie}"


NEW_BEST_LINE = "New best policy!!!!!!!!"


def gate_line(win: int, lose: int, tie: int, score: float, new_best: bool) -> str:
    """The gate's match of the current net against the best (evaluation.gate)."""
    return (f"gate vs best: win: {win}, lose: {lose}, tie:{tie}, score {score:.3f}, "
            f"{'new best' if new_best else 'best kept'}")
