"""The training library, and apart from it the commands (pipeline.commands) that sit on top.

Data flow of a run (training_run.TrainingRun): the actor (actor.py) plays rounds of self-play
games with the current net, many at once on mcts.SelfPlay with one network call per playout step;
each finished game enters the replay buffer (replay_buffer.py) with its 8 symmetries and earns
updates, which the learner (learner.py) runs as the reference's KL-adaptive train steps on
minibatches from the buffer; every ``check_freq`` games the evaluator (evaluator.py) matches the
net against pure MCTS and the best model is kept. Between rounds, checkpoint.py saves net,
optimizer, buffer and generators atomically, so ``--resume`` goes on where the run stopped;
metrics.py and log_lines.py write what happened. brain.py loads the program that plays for the
console game (console.py), the Gomocup engine (gomocup.py) and the web GUI (gui/, a Starlette
app with its page). run_config.py reads the YAML.
"""
