"""The local web GUI: play the model or pure MCTS in a browser, look at its search, watch a run.

``server.create_app`` makes the Starlette app; ``engines`` wraps the programs that play,
``games`` keeps one game per browser tab, ``runs`` reads run directories; ``static/`` is the page
(plain HTML, CSS and JavaScript, no build step, nothing fetched from elsewhere).
"""
