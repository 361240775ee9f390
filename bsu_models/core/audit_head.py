"""The audit chain's head, written to a file outside the database after every commit.

Someone able to edit the database could rewrite the whole chain consistently, or cut events
off its end together with the head row; the file, kept elsewhere (``BSU_AUDIT_HEAD_FILE``, e.g.
on write-once storage or a different machine's share), still names the last event and its hash,
and ``verify`` compares the two. The file holds one line: ``<event id> <sha256>``.

Where a local file cannot serve several app servers (blobs in a bucket), the head is kept by a
``HeadAnchor`` instead, e.g. an object beside the blobs (``s3_blobstore.S3AuditHead``).
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import Protocol
from weakref import WeakKeyDictionary

from sqlalchemy import Engine


class HeadAnchor(Protocol):
    """A place other than a local file that keeps the head; ``str()`` names it."""

    def read(self) -> tuple[int, str] | None: ...
    def write(self, head: tuple[int, str]) -> None: ...


HeadPlace = Path | HeadAnchor

_HEAD_FILES: WeakKeyDictionary[Engine, HeadPlace] = WeakKeyDictionary()
SESSION_KEY = "bsu_audit_head"


def register_head_file(engine: Engine, path: HeadPlace) -> None:
    _HEAD_FILES[engine] = path


def registered_head(engine: Engine, default: Path) -> HeadPlace:
    """Where ``engine``'s catalogue keeps its head (``register_head_file``), else ``default``."""
    return _HEAD_FILES.get(engine, default)


def parse_head(text: str) -> tuple[int, str]:
    """``(event id, hash)`` from the one line ``<event id> <sha256>``; ``(-1, "")`` if not."""
    words = text.split()
    if len(words) != 2 or not words[0].isdigit():
        return (-1, "")
    return int(words[0]), words[1]


def read_head_file(path: HeadPlace) -> tuple[int, str] | None:
    if not isinstance(path, Path):
        return path.read()
    try:
        text = path.read_text(encoding="ascii")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError):
        return (-1, "")
    return parse_head(text)


def write_head_file(engine: Engine, head: tuple[int, str] | None) -> None:
    """Record ``head`` (event id, hash) once its transaction has committed.

    Writers take a lock and never move the head backwards, so a slow writer cannot overwrite a
    later head with an earlier one.
    """
    path = _HEAD_FILES.get(engine)
    if path is None or head is None:
        return
    if not isinstance(path, Path):
        path.write(head)
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
