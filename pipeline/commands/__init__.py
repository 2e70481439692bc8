"""The sub-commands of ``gomoku-zero``: one thin module each (parse flags, call the library, map
errors to exit codes), exposing ``HELP``, ``add_arguments(parser)`` and ``run(args) -> int``.
They share only ``common``; none imports another, and no library module imports them."""
