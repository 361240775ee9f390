"""Files written side by side as one set: all of them in place, or those there before untouched.

A print is its file(s), its text report and its PDF report; printing again to the same name
replaces an earlier print's set. Each new file is first written whole under a temporary name in
the same folder; only when all are written are they renamed into place, each earlier file kept
under a second name until the set is final (``PlacedFiles.keep``). A failure on the way (the
disk full, a folder where a report goes) or an export refused afterwards (``PlacedFiles.undo``)
puts the earlier files back as they were, never half of one print and half of another.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import secrets
import stat
from pathlib import Path

from bsu_models.core.errors import InvalidInput


def _beside(path: Path, what: str) -> Path:
    # A name of its own: two prints to the same file at once must not share (and steal) one.
    return path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(8)}.{what}")


def _refused(path: Path, exc: OSError) -> InvalidInput:
    return InvalidInput(
        "{path}: cannot be written ({reason}).", path=str(path), reason=exc.strerror
    )


def _set_aside(path: Path) -> Path | None:
    """A second name for what is at ``path`` now (None: nothing there, or a folder, which the
    new file cannot replace anyway)."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return None
    if stat.S_ISDIR(mode):
        return None
    earlier = _beside(path, "earlier")
    try:
        # A second link: the file stays at its name until the new one replaces it.
        os.link(path, earlier, follow_symlinks=False)
    except OSError:
        # No hard links on this disk (a FAT memory card): moved aside instead.
        os.replace(path, earlier)
    return earlier


class PlacedFiles:
    """A set of files in place, with the files they replaced kept until ``keep`` or ``undo``.

    From ``place_files`` until ``keep`` or ``undo``, the set holds its folder's lock (``flock``
    on the folder): a second set of files for the same folder waits, so two prints to one name
    never leave one's file beside the other's report, nor put an earlier file back over
    another print's recorded one."""

    def __init__(self, folder: Path) -> None:
        self._placed: list[tuple[Path, Path | None]] = []  # (path, its earlier file, if any)
        self._lock: int | None = os.open(folder, os.O_RDONLY)
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX)
        except BaseException:
            self._unlock()
            raise

    def _unlock(self) -> None:
        if self._lock is not None:
            os.close(self._lock)  # closing the folder lets its lock go
            self._lock = None

    def keep(self) -> None:
        """The new files are final: the earlier ones are let go."""
        for _path, earlier in self._placed:
            if earlier is not None:
                with contextlib.suppress(OSError):
                    earlier.unlink(missing_ok=True)
        self._placed = []
        self._unlock()

    def undo(self) -> None:
        """The new files removed and the earlier ones back at their names, as before."""
        for path, earlier in reversed(self._placed):
            # Each put back even if another cannot be; one that cannot keeps its second name.
            with contextlib.suppress(OSError):
                if earlier is None:
                    path.unlink(missing_ok=True)
                else:
                    os.replace(earlier, path)
        self._placed = []
        self._unlock()


def place_files(
    files: list[tuple[Path, bytes]], replaced: re.Pattern[str] | None = None
) -> PlacedFiles:
    """Every file of ``files`` (path, bytes) in place, or ``InvalidInput`` with nothing changed:
    the files at those paths before are kept until ``keep`` (or put back by ``undo``). Other
    files of the folder whose names match ``replaced`` (what an earlier set of the same name
    had and this one has not, such as more tiles) go aside with them: gone on ``keep``, back
    on ``undo``."""
    temporaries: list[Path] = []
    folders = {path.parent for path, _data in files}
    if len(folders) != 1:
        raise ValueError("a set of files lies in one folder")
    folder = folders.pop()
    try:
        placed = PlacedFiles(folder)
    except OSError as exc:
        raise _refused(files[0][0].parent, exc) from None
    try:
        if replaced is not None:
            # Listed under the folder's lock: no other set is being placed meanwhile.
            new = {path.name for path, _data in files}
            try:
                names = sorted(entry.name for entry in os.scandir(folder) if entry.is_file())
            except OSError as exc:
                raise _refused(folder, exc) from None
            for name in names:
                if name in new or not replaced.fullmatch(name):
                    continue
                stale = folder / name
                aside = _beside(stale, "earlier")
                try:
                    os.replace(stale, aside)
                except OSError as exc:
                    raise _refused(stale, exc) from None
                placed._placed.append((stale, aside))
        for path, data in files:
            temporary = _beside(path, "partial")
            temporaries.append(temporary)
            try:
                # A new file of its own: never one another process put at that name meanwhile.
                with open(temporary, "xb") as out:
                    out.write(data)
            except OSError as exc:
                raise _refused(path, exc) from None
        for (path, _data), temporary in zip(files, temporaries, strict=True):
            try:
                earlier = _set_aside(path)
                if earlier is not None:
                    # Recorded first: moved aside, it must come back even if the new one fails.
                    placed._placed.append((path, earlier))
                os.replace(temporary, path)
            except OSError as exc:
                raise _refused(path, exc) from None
            if earlier is None:
                placed._placed.append((path, None))
    except BaseException:
        placed.undo()
        for temporary in temporaries:
            with contextlib.suppress(OSError):
                temporary.unlink(missing_ok=True)
        raise
    return placed
