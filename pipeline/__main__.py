"""``python -m pipeline`` is the ``gomoku-zero`` command."""
import sys

from pipeline.cli import main

sys.exit(main())
