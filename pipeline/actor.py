"""The actor: the training's self-play rounds, on mcts.selfplay's batched games, with a progress bar.

``SelfPlayRounds`` is the in-process self-play source; ``pipeline.distributed`` has the interface
and the other source, Ray actors.
"""
from __future__ import annotations

from mcts.selfplay import GameRecord, SelfPlay

from .run_config import Config
from .progress import progress_bar


class SelfPlayRounds:
    """Plays rounds of games with the current weights of ``net`` (``net.evaluate``, batched).

    Game ``i`` of the run depends only on ``(search.seed, i)`` and the weights, so a round's
    games are the same however many are played at once.
    """

    def __init__(self, net, config: Config):
        self.runner = SelfPlay(net.evaluate, config.board, config.search,
                               n_parallel=config.training.games_at_once,
                               n_threads=config.training.selfplay_threads)

    def play(self, first_game: int, n_games: int) -> list[GameRecord]:
        """Games ``first_game .. first_game + n_games - 1``, ordered by index."""
        records = []
        next_game, stop = first_game, first_game + n_games
        with progress_bar(n_games, f"self-play {first_game + 1}-{stop}") as bar:
            while next_game < stop or self.runner.n_active:
                while next_game < stop and self.runner.n_active < self.runner.search.n_trees:
                    self.runner.start_game(next_game)
                    next_game += 1
                finished = self.runner.play_move()
                records.extend(finished)
                bar.update(len(finished))
        return sorted(records, key=lambda r: r.game_index)

    @property
    def moves_played(self) -> int:
        return self.runner.moves_played

    # the rest of a self-play source's interface (pipeline.distributed): nothing to do here
    def weights_changed(self) -> None:
        """The net's weights changed: the next round plays with them (``net.evaluate``)."""

    def round_stats(self) -> dict:
        return {}

    def state(self) -> dict:
        return {}  # the next round's first game is the run's batch count

    def load_state(self, state: dict) -> None:
        pass

    def close(self) -> None:
        pass
