"""Writing frames to an H.264 MP4 with the ffmpeg that the ``imageio-ffmpeg`` wheel ships.

Raw RGB frames ``(h, w, 3) uint8`` are piped to ffmpeg, which encodes them with libx264 to
yuv420p (what every player and court laptop plays) and moves the index to the front
(``+faststart``) so the file starts playing before it is all read. The encoder's settings are
fixed, thread count included, so the same frames give the same file on any machine.

The file appears whole or not at all: ffmpeg writes into an unnamed file in the destination's
folder (Linux ``O_TMPFILE``), which is given its name only once ffmpeg has finished. A render
that is cancelled, fails or is killed leaves nothing behind, since an unnamed file vanishes with
the last process holding it. Where the file system has no unnamed files, a hidden temporary
name is used and removed on failure.

Court copies carry ``metadata`` (e.g. the SHA-256 of the original and of the scene revision)
as MP4 tags; public copies (``public=True``) carry no tags at all, not even the encoder's own
settings message (x264 writes one into the stream), its name or the track handler's name. What
remains is what the format needs: the ``ftyp`` brands (``isom``, ``avc1``...) and the H.264
stream's parameter sets.
"""

from __future__ import annotations

import contextlib
import errno
import os
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO

import numpy as np

from bsu_models.core.errors import InvalidInput, StorageError

#: The encoder's settings, fixed so that two renders give the same bytes. ``veryfast`` keeps
#: the encoder from holding back the renderer on a small machine; crf 18 is visually lossless.
X264 = ("-c:v", "libx264", "-preset", "veryfast", "-crf", "18", "-threads", "2")


def ffmpeg_exe() -> str:
    import imageio_ffmpeg

    return str(imageio_ffmpeg.get_ffmpeg_exe())


def ffmpeg_command(
    size: tuple[int, int],
    fps: int,
    target: str,
    metadata: Mapping[str, str] | None = None,
    *,
    public: bool = False,
) -> list[str]:
    """The ffmpeg command line reading raw RGB frames of ``size`` on stdin and writing the MP4
    to ``target``."""
    command = [
        ffmpeg_exe(),
        "-hide_banner",
        "-nostdin",
        "-loglevel",
        "error",
        "-f",
        "rawvideo",
        "-pix_fmt",
        "rgb24",
        "-s",
        f"{size[0]}x{size[1]}",
        "-r",
        str(fps),
        "-i",
        "pipe:0",
        *X264,
        "-pix_fmt",
        "yuv420p",
        # No muxer or encoder version strings, no creation time: the same frames, the same bytes.
        "-map_metadata",
        "-1",
        "-fflags",
        "+bitexact",
        "-flags:v",
        "+bitexact",
        "-movflags",
        "+faststart",
    ]
    if public:
        # SEI units hold x264's settings message; nothing else in this stream needs them. An
        # empty encoder tag leaves the sample description's compressor name empty.
        command += ["-bsf:v", "filter_units=remove_types=6", "-metadata:s:v:0", "encoder="]
    else:
        for key, value in (metadata or {}).items():
            command += ["-metadata", f"{key}={value}"]
    return [*command, "-f", "mp4", "-y", target]


class _Target:
    """Where ffmpeg writes: an unnamed file in ``folder`` (or a hidden named one)."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.folder = out.parent if str(out.parent) else Path(".")
        self.fd: int | None = None
        self.temp: Path | None = None
        try:
            self.fd = os.open(self.folder, os.O_TMPFILE | os.O_RDWR, 0o644)
        except OSError as exc:
            if exc.errno not in (errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL):
                raise StorageError(
                    "Cannot write in {folder}: {reason}.", folder=self.folder, reason=exc.strerror
                ) from None
            handle, name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".part", dir=self.folder)
            os.close(handle)
            self.temp = Path(name)

    @property
    def path(self) -> str:
        # ffmpeg is a child process: it reopens the unnamed file through the inherited fd.
        return f"/proc/self/fd/{self.fd}" if self.fd is not None else str(self.temp)

    @property
    def pass_fds(self) -> tuple[int, ...]:
        return (self.fd,) if self.fd is not None else ()

    def publish(self) -> None:
        """Give the finished file its name; refused if the name was taken meanwhile."""
        try:
            if self.fd is not None:
                os.fsync(self.fd)
                folder = os.open(self.folder, os.O_RDONLY | os.O_DIRECTORY)
                try:
                    os.link(
                        f"/proc/self/fd/{self.fd}",
                        self.out.name,
                        src_dir_fd=folder,
                        dst_dir_fd=folder,
                        follow_symlinks=True,
                    )
                finally:
                    os.close(folder)
            else:
                assert self.temp is not None
                os.link(self.temp, self.out)
        except FileExistsError:
            raise InvalidInput("{out} already exists; name a new file.", out=self.out) from None
        except OSError as exc:
            raise StorageError(
                "Cannot write the video to {path}: {reason}.", path=self.out, reason=exc.strerror
            ) from None

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
        if self.temp is not None:
            self.temp.unlink(missing_ok=True)
            self.temp = None


def check_out(out: Path) -> None:
    """Refuse, before anything is rendered, an ``out`` the video cannot be written to."""
    folder = out.parent if str(out.parent) else Path(".")
    if not folder.is_dir():
        raise InvalidInput(
            "The folder {folder} does not exist; create it or name another one.", folder=folder
        )
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InvalidInput("The folder {folder} is not writable; name another one.", folder=folder)
    if out.exists() or out.is_symlink():
        raise InvalidInput("{out} already exists; name a new file.", out=out)


@contextlib.contextmanager
def mp4_writer(
    out: Path,
    size: tuple[int, int],
    fps: int,
    metadata: Mapping[str, str] | None = None,
    *,
    public: bool = False,
) -> Iterator[IO[bytes]]:
    """A stream taking raw RGB frames of ``size``; when the block ends without an exception,
    the MP4 is finished and appears at ``out``. On any exception (a cancel included) ffmpeg is
    stopped and nothing appears."""
    check_out(out)
    target = _Target(out)
    process: subprocess.Popen[bytes] | None = None
    try:
        process = subprocess.Popen(
            ffmpeg_command(size, fps, target.path, metadata, public=public),
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            pass_fds=target.pass_fds,
        )
        assert process.stdin is not None
        try:
            yield process.stdin
        except BrokenPipeError:
            pass  # ffmpeg stopped early; its exit status below says why
        finally:
            with contextlib.suppress(BrokenPipeError):
                process.stdin.close()
        assert process.stderr is not None
        errors = process.stderr.read()
        process.wait()
        if process.returncode != 0:
            raise StorageError(
                "The video encoder failed: {reason}.",
                reason=errors.decode("utf-8", "replace").strip()[-300:] or process.returncode,
            )
        if public:
            with open(target.path, "r+b") as handle:
                blank_names(handle)
        target.publish()
    finally:
        if process is not None and process.poll() is None:
            process.kill()
            process.wait()
        target.close()


#: Boxes whose children are boxes, on the way from ``moov`` to the handler names.
_CONTAINERS = (b"moov", b"trak", b"mdia")


def _boxes(handle: IO[bytes], start: int, end: int) -> Iterator[tuple[bytes, int, int]]:
    """(type, offset, size) of each box from ``start`` to ``end``."""
    offset = start
    while offset + 8 <= end:
        handle.seek(offset)
        header = handle.read(16)
        size, kind = int.from_bytes(header[:4], "big"), header[4:8]
        if size == 1:
            size = int.from_bytes(header[8:16], "big")
        elif size == 0:
            size = end - offset
        if size < 8:
            return
        yield kind, offset, size
        offset += size


def blank_names(handle: IO[bytes]) -> None:
    """Overwrite in place what the MP4's boxes say beyond the pictures: each track handler's
    name (``VideoHandler``) becomes empty, and the movie's user-data box (an empty tag list
    here) becomes a ``free`` box that players skip. Sizes and offsets stay as they are, so the
    index still points at the same frames."""

    def walk(start: int, end: int) -> None:
        for kind, offset, size in _boxes(handle, start, end):
            if kind in _CONTAINERS:
                walk(offset + 8, offset + size)
            elif kind == b"hdlr" and size > 32:
                # size, type, version and flags, pre-defined, handler type, 3 reserved words
                handle.seek(offset + 32)
                handle.write(bytes(size - 32))
            elif kind == b"udta":
                handle.seek(offset + 4)
                handle.write(b"free")

    handle.seek(0, os.SEEK_END)
    walk(0, handle.tell())
    handle.flush()


def write_frame(stream: IO[bytes], pixels: np.ndarray) -> None:
    # The array's own buffer: no copy of a 6 MB frame on its way to the pipe.
    stream.write(np.ascontiguousarray(pixels, dtype=np.uint8).data)
