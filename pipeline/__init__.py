"""The training library, and apart from it the commands (pipeline.commands) that sit on top.

Data flow of a run (training_run.TrainingRun): the actor (actor.py) plays rounds of self-play
games with the current net, many at once on mcts.SelfPlay with one network call per playout step;
each finished game enters the replay buffer (replay_buffer.py) with its 8 symmetries and earns
updates, which the learner (learner.py) runs as the reference's KL-adaptive train steps on
minibatches from the buffer; every ``check_freq`` games the evaluator (evaluator.py) matches the
net against pure MCTS (from balanced openings if asked) and the best model is kept, or, with the
gate (gate.py), the net plays the best net and replaces it on a winning score; every
``keep_generation_every`` games generations.py keeps a copy of the net. Between rounds,
checkpoint.py saves net, optimizer, buffer and generators atomically, so ``--resume`` goes on
where the run stopped; metrics.py and log_lines.py write what happened. brain.py loads the
program that plays for the console game (console.py), the Gomocup engine (gomocup.py) and the
web GUI (gui/, a Starlette app with its page). run_config.py reads the YAML.

Strength (apart from training): players.py makes players from specs (nets, pure MCTS, random,
Gomocup engines through gomocup_manager.py), match.py plays two of them over colour-balanced
openings, match_report.py writes the score, Elo and interval (rating.py), and ladder.py rates a
run's generations against each other and fixed anchors (ladder_plot.py draws it).
"""
