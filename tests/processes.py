"""Starting test processes from a forkserver while pytest's ``__main__`` is hidden.

A child started by ``forkserver`` re-imports the parent's ``__main__``. After an AppTest in
this process that is a Streamlit page, which must not run in a child; a bare module has nothing
to re-import.
"""

from __future__ import annotations

import sys
import types
from collections.abc import Iterable
from multiprocessing.process import BaseProcess


def start_processes(processes: Iterable[BaseProcess]) -> None:
    """Start each process with a bare ``__main__`` in place, restoring the real one after."""
    saved_main = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        for process in processes:
            process.start()
    finally:
        sys.modules["__main__"] = saved_main
