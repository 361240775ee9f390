"""The audit chain's head, written to a file outside the database after every commit.

Someone able to edit the database could rewrite the whole chain consistently, or cut events
off its end together with the head row; the file, kept elsewhere (``BSU_AUDIT_HEAD_FILE``, e.g.
on write-once storage or a different machine's share), still names the last event and its hash,
and ``verify`` compares the two. The file holds one line: ``<event id> <sha256>``.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from weakref import WeakKeyDictionary

from sqlalchemy import Engine

_HEAD_FILES: WeakKeyDictionary[Engine, Path] = WeakKeyDictionary()
SESSION_KEY = "bsu_audit_head"


def register_head_file(engine: Engine, path: Path) -> None:
    _HEAD_FILES[engine] = path


def read_head_file(path: Path) -> tuple[int, str] | None:
    try:
        text = path.read_text(encoding="ascii").split()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError):
        return (-1, "")
    if len(text) != 2 or not text[0].isdigit():
        return (-1, "")
    return int(text[0]), text[1]


def write_head_file(engine: Engine, head: tuple[int, str] | None) -> None:
    """Record ``head`` (event id, hash) once its transaction has committed.

    Writers take a lock and never move the head backwards, so a slow writer cannot overwrite a
    later head with an earlier one.
    """
    path = _HEAD_FILES.get(engine)
    if path is None or head is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        current = read_head_file(path)
        if current is not None and current[0] >= head[0]:
            return
        temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        with open(temp, "w", encoding="ascii") as handle:
            handle.write(f"{head[0]} {head[1]}\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
