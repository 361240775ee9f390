"""``bsu-models print``: a printable physical model of a version at 1:N (3MF or STL).

Names, flags and ``--json`` keys are a public interface (named in the printing issue); add to
them, never rename.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from bsu_models.catalogue import Catalogue
from bsu_models.cli.scene import _emit, _lang
from bsu_models.core.i18n import DEFAULT_LANGUAGE, LANGUAGES, t
from bsu_models.fabricate.model_print import DEFAULT_MIN_WALL, parse_bed


def cmd_print(cat: Catalogue, args: argparse.Namespace) -> int:
    lang = _lang(args)
    result = cat.print_model(
        args.version_id,
        scale=args.scale,
        out=Path(args.out),
        base=not args.no_base,
        bed=parse_bed(args.bed),
        min_wall=args.min_wall,
        tiles=not args.no_tiles,
        thicken=args.thicken,
        scene_id=args.scene,
        step=args.step,
        lang=args.language or lang,
    )
    x, y, z = result.size_mm
    lines = [
        t(
            "Wrote a {scale} print of version {version}: {x:.0f} x {y:.0f} x {z:.0f} mm", lang
        ).format(scale=result.scale, version=result.version_id, x=x, y=y, z=z),
        *(f"  {path}  SHA-256 {sha}" for path, sha in result.files),
        t("Report: {path}", lang).format(path=result.report),
    ]
    _emit(args, result.to_json(), "\n".join(lines))
    return 0


def add_print_command(
    sub: Any, json_flag: argparse.ArgumentParser, lang: str = DEFAULT_LANGUAGE
) -> None:
    command = sub.add_parser(
        "print",
        parents=[json_flag],
        help=t("write a printable physical model of a version at 1:N (3MF or STL)", lang),
    )
    command.add_argument("version_id", type=int, metavar="VERSION")
    command.add_argument(
        "--scale", required=True, metavar="1:N", help=t("scale of the print, e.g. 1:500", lang)
    )
    command.add_argument("--out", required=True, metavar="FILE.3mf|FILE.stl")
    command.add_argument(
        "--no-base", action="store_true", help=t("no base plate under the model", lang)
    )
    command.add_argument(
        "--bed",
        default="250x210x220",
        metavar="XxYxZ",
        help=t("the printer's build volume in mm (default 250x210x220)", lang),
    )
    command.add_argument(
        "--min-wall",
        type=float,
        default=DEFAULT_MIN_WALL,
        metavar="MM",
        help=t("thinnest wall the printer makes, mm (default 1.2; 0: no check)", lang),
    )
    command.add_argument(
        "--thicken",
        action="store_true",
        help=t("thicken parts thinner than --min-wall rather than refuse the print", lang),
    )
    command.add_argument(
        "--no-tiles",
        action="store_true",
        help=t("refuse rather than cut a print larger than the bed into tiles", lang),
    )
    command.add_argument(
        "--scene", type=int, metavar="ID", help=t("print markers of this scene's entities", lang)
    )
    command.add_argument(
        "--step", type=int, metavar="N", help=t("the step the markers stand at (from 1)", lang)
    )
    command.add_argument(
        "--language",
        choices=LANGUAGES,
        help=t("language of the print report (default: BSU_LANGUAGE)", lang),
    )
    command.set_defaults(handler=cmd_print)
