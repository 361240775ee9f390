"""``bsu-models video``: the fly-through MP4 of a scene.

The name, flags and ``--json`` keys are a public interface (named in the video issue); add to
them, never rename. Progress goes to stderr, so stdout holds only the result.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bsu_models.catalogue import Catalogue
from bsu_models.cli.scene import _emit, _lang
from bsu_models.cli.sun import add_sun_at_flag
from bsu_models.core.errors import InvalidInput, Message
from bsu_models.core.i18n import DEFAULT_LANGUAGE, LANGUAGES, localise, t
from bsu_models.render.video import VIDEO_SIZES


def _progress(lang: str) -> Callable[[float, Message], None]:
    """Progress on stderr: one line rewritten in a terminal, a line per tenth otherwise."""
    terminal = sys.stderr.isatty()
    shown = {"last": -1}

    def report(fraction: float, message: Message) -> None:
        percent = int(fraction * 100)
        step = 1 if terminal else 10
        if percent // step == shown["last"] // step and percent < 100:
            return
        shown["last"] = percent
        line = f"{percent:3d}%  {localise(message, lang)}"
        if terminal:
            sys.stderr.write(f"\r{line}" + ("\n" if percent >= 100 else ""))
        else:
            sys.stderr.write(line + "\n")
        sys.stderr.flush()

    return report


def cmd_video(cat: Catalogue, args: argparse.Namespace) -> int:
    lang = _lang(args)
    if args.revision is not None and args.revision < 1:
        raise InvalidInput(
            "--revision must be 1 or more (revisions count from 1), not {revision}.",
            revision=args.revision,
        )
    result = cat.render_video(
        args.scene_id,
        Path(args.out),
        revision=args.revision,
        size=args.size,
        fps=args.fps,
        seconds_per_step=args.seconds_per_step,
        lang=args.language or lang,
        progress=_progress(lang),
        sun_at=args.sun_at,
        figures="figures" not in (args.hide or []),
    )
    _emit(
        args,
        result.to_json(),
        t("Wrote {out} ({width}x{height}, {seconds} s, {frames} frames)", lang).format(
            out=result.out,
            width=result.size[0],
            height=result.size[1],
            seconds=f"{result.seconds:.1f}",
            frames=result.frames,
        )
        + f"\nSHA-256 {result.sha256}",
    )
    return 0


def add_video_command(
    sub: Any, json_flag: argparse.ArgumentParser, lang: str = DEFAULT_LANGUAGE
) -> None:
    video = sub.add_parser(
        "video",
        parents=[json_flag],
        help=t("render the fly-through video (MP4) of a scene", lang),
    )
    video.add_argument("scene_id", type=int, metavar="SCENE_ID")
    video.add_argument("--out", required=True, metavar="FILE.mp4")
    video.add_argument(
        "--revision", type=int, metavar="N", help=t("scene revision (default: current)", lang)
    )
    video.add_argument("--size", choices=VIDEO_SIZES, default="1920x1080")
    video.add_argument("--fps", type=int, default=30, help=t("frames per second", lang))
    video.add_argument(
        "--seconds-per-step",
        type=float,
        default=4.0,
        metavar="S",
        help=t("seconds each step is shown, its move to the next included", lang),
    )
    video.add_argument(
        "--language",
        choices=LANGUAGES,
        help=t("language of the words in the video (default: BSU_LANGUAGE)", lang),
    )
    add_sun_at_flag(video, lang)
    # As ``render --hide figures``: the entities as plain markers, not at true size.
    video.add_argument(
        "--hide",
        action="append",
        choices=("figures",),
        help=t("switch an overlay off (repeatable)", lang),
    )
    video.set_defaults(handler=cmd_video)
