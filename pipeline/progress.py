"""tqdm progress bars on stderr, silent when stderr is not a terminal."""
from __future__ import annotations

import sys

from tqdm import tqdm


def progress_bar(total: int, desc: str, unit: str = "game", leave: bool = False) -> tqdm:
    return tqdm(total=total, desc=desc, unit=unit, leave=leave, file=sys.stderr,
                disable=None if sys.stderr.isatty() else True, dynamic_ncols=True)
