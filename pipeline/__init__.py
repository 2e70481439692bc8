"""Training pipeline: config, self-play driver, replay buffer, trainer, evaluation, checkpoints, CLI."""
