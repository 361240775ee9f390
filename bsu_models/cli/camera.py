"""``bsu-models camera ...``: CCTV frames, camera matching and readings off frames.

``camera solve VERSION --image FRAME.png --points PAIRS.csv --json`` and its ``--json`` keys
``position``, ``focal_px`` and ``rms_px`` are named in the camera-matching issue and are a public
interface; the other sub-commands and keys are additions.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from bsu_models.catalogue import Catalogue
from bsu_models.cli.scene import _emit, _lang, _scene_json, _value_json
from bsu_models.core.errors import InvalidInput
from bsu_models.core.i18n import DEFAULT_LANGUAGE, LANGUAGES, t
from bsu_models.core.records import CctvReading, FrameInfo
from bsu_models.ingest.geometry import PRESETS
from bsu_models.render.stills import SIZES
from bsu_models.scenes.camera_solve import CameraSolution
from bsu_models.scenes.scene_camera import read_pairs_csv


def _read(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise InvalidInput("{path}: no such file.", path=path) from None
    except OSError as exc:
        raise InvalidInput(
            "{path}: cannot be read ({reason}).", path=path, reason=exc.strerror
        ) from None


def _pairs(path: str) -> Any:
    try:
        text = _read(path).decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput("{path}: not UTF-8 text.", path=path) from None
    return read_pairs_csv(text, Path(path).name)


def _pixel(text: str) -> tuple[float, float]:
    """``U,V`` as two numbers (argparse type)."""
    try:
        u, v = (float(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not U,V") from None
    return (u, v)


def _solution_json(solution: CameraSolution, frame_sha256: str) -> dict[str, Any]:
    return {
        "position": list(solution.position),
        "focal_px": solution.focal_px,
        "rms_px": solution.rms_px,
        "residuals_px": [list(r) for r in solution.residuals_px],
        "residual_lengths_px": list(solution.residual_lengths),
        "k1": solution.k1,
        "fov_deg": solution.fov_deg,
        "rotation": [list(row) for row in solution.rotation],
        "image_size": list(solution.image_size),
        "focal_sd_px": solution.focal_sd_px,
        "position_sd": list(solution.position_sd),
        "frame_sha256": frame_sha256,
    }


def _solution_text(solution: CameraSolution, lang: str) -> str:
    lines = [
        t(
            "Camera at ({position}); focal length {focal} px ± {sd} px; RMS error {rms} px", lang
        ).format(
            position=", ".join(f"{c:.4g}" for c in solution.position),
            focal=f"{solution.focal_px:.1f}",
            sd=f"{solution.focal_sd_px:.1f}",
            rms=f"{solution.rms_px:.2f}",
        )
    ]
    for number, (du, dv) in enumerate(solution.residuals_px, 1):
        lines.append(
            t("  pair {number}: {length} px ({du}, {dv})", lang).format(
                number=number,
                length=f"{(du * du + dv * dv) ** 0.5:.2f}",
                du=f"{du:+.2f}",
                dv=f"{dv:+.2f}",
            )
        )
    return "\n".join(lines)


def _frame_json(frame: FrameInfo) -> dict[str, Any]:
    return {
        "scene_id": frame.scene_id,
        "entity": frame.entity_id,
        "sha256": frame.sha256,
        "name": frame.name,
        "media_type": frame.media_type,
        "width": frame.width,
        "height": frame.height,
        "camera_id": frame.camera_ref,
        "time": frame.recorded_at,
        "exhibit": frame.exhibit,
        "uploaded_by": frame.uploaded_by,
        "uploaded_at": frame.uploaded_at.isoformat(),
    }


def _reading_json(reading: CctvReading) -> dict[str, Any]:
    return {
        "point": list(reading.point),
        "uncertainty": reading.uncertainty,
        "frame_sha256": reading.frame_sha256,
        "pixel": list(reading.pixel),
        "revision": reading.revision,
    }


def cmd_solve(cat: Catalogue, args: argparse.Namespace) -> int:
    solution, sha = cat.cameras.solve(
        args.version_id,
        _read(args.image),
        _pairs(args.points),
        frame_name=Path(args.image).name,
        solve_k1=args.k1,
    )
    _emit(args, _solution_json(solution, sha), _solution_text(solution, _lang(args)))
    return 0


def cmd_frame_add(cat: Catalogue, args: argparse.Namespace) -> int:
    frame = cat.cameras.add_frame(
        args.scene_id,
        args.camera,
        _read(args.image),
        Path(args.image).name,
        camera_ref=args.camera_id,
        recorded_at=args.time,
        exhibit=args.exhibit,
    )
    text = t("Kept frame {sha} ({width}×{height}) for camera {camera}", _lang(args)).format(
        sha=frame.sha256, width=frame.width, height=frame.height, camera=args.camera
    )
    _emit(args, _frame_json(frame), text)
    return 0


def cmd_frames(cat: Catalogue, args: argparse.Namespace) -> int:
    frames = cat.cameras.frames(args.scene_id, args.camera)
    text = "\n".join(
        f"{f.sha256[:16]}  {f.entity_id:<10} {f.width}×{f.height}  {f.camera_ref}  "
        f"{f.recorded_at}  {f.exhibit}"
        for f in frames
    ) or t("No frames.", _lang(args))
    _emit(args, [_frame_json(f) for f in frames], text)
    return 0


def cmd_match(cat: Catalogue, args: argparse.Namespace) -> int:
    info, solution = cat.cameras.match(
        args.scene_id, args.camera, _pairs(args.points), frame=args.frame, solve_k1=args.k1
    )
    match = cat.cameras.solution(args.scene_id, args.camera)
    payload = {**_solution_json(solution, match.frame_sha256), "scene": _scene_json(info)}
    _emit(args, payload, _solution_text(solution, _lang(args)))
    return 0


def cmd_place(cat: Catalogue, args: argparse.Namespace) -> int:
    reading = cat.cameras.place(
        args.scene_id,
        args.entity,
        args.step,
        args.camera,
        args.pixel,
        click_px=args.click_px,
        frame=args.frame,
    )
    text = t(
        "{entity} placed at ({point}) ± {uncertainty} model units, revision {revision}", _lang(args)
    ).format(
        entity=args.entity,
        point=", ".join(f"{c:.4g}" for c in reading.point),
        uncertainty=f"{reading.uncertainty:.2g}",
        revision=reading.revision,
    )
    _emit(args, _reading_json(reading), text)
    return 0


def cmd_height(cat: Catalogue, args: argparse.Namespace) -> int:
    if args.record:
        value = cat.cameras.record_height(
            args.scene_id, args.camera, args.record, args.head, args.feet, click_px=args.click_px
        )
    else:
        value = cat.cameras.height(
            args.scene_id, args.camera, args.head, args.feet, click_px=args.click_px
        )
    lang = _lang(args)
    _emit(args, _value_json(value), f"{value.label_in(lang)}: {value.text_in(lang)}")
    return 0


def cmd_still(cat: Catalogue, args: argparse.Namespace) -> int:
    still = cat.camera_still(
        args.scene_id,
        args.camera,
        step=args.step,
        opacity=args.opacity,
        lang=args.language or _lang(args),
    )
    _write(args, still.png, still.size)
    return 0


def cmd_coverage(cat: Catalogue, args: argparse.Namespace) -> int:
    still = cat.camera_coverage(
        args.scene_id,
        args.camera,
        view=args.view,
        preset=args.preset,
        size=args.size,
        step=args.step,
        lang=args.language or _lang(args),
    )
    _write(args, still.png, still.size)
    return 0


def _write(args: argparse.Namespace, png: bytes, size: tuple[int, int]) -> None:
    try:
        Path(args.out).write_bytes(png)
    except OSError as exc:
        raise InvalidInput(
            "{path}: cannot be written ({reason}).", path=args.out, reason=exc.strerror
        ) from None
    _emit(
        args,
        {"out": args.out, "width": size[0], "height": size[1]},
        t("Wrote {out} ({width}x{height})", _lang(args)).format(
            out=args.out, width=size[0], height=size[1]
        ),
    )


# -- argument groups shared by the sub-commands ---------------------------------------------------


def _command(cmds: Any, name: str, json_flag: argparse.ArgumentParser, help: str) -> Any:
    return cmds.add_parser(name, parents=[json_flag], help=help)


def _scene_camera(cmd: argparse.ArgumentParser) -> None:
    """The scene and the label of its camera entity."""
    cmd.add_argument("scene_id", type=int, metavar="SCENE")
    cmd.add_argument("--camera", required=True, metavar="LABEL")


def _frame_image(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument("--image", required=True, metavar="FRAME.png")


def _points(cmd: argparse.ArgumentParser, lang: str) -> None:
    cmd.add_argument(
        "--points", required=True, metavar="PAIRS.csv", help=t("CSV with header u,v,x,y,z", lang)
    )


def _k1(cmd: argparse.ArgumentParser, lang: str) -> None:
    cmd.add_argument("--k1", action="store_true", help=t("also solve radial distortion", lang))


def _click_precision(cmd: argparse.ArgumentParser, lang: str) -> None:
    cmd.add_argument(
        "--click-px",
        type=float,
        default=1.0,
        metavar="PX",
        help=t("click precision, a standard deviation in pixels (default 1)", lang),
    )


def _picture(cmd: argparse.ArgumentParser, lang: str) -> None:
    """Where a picture is written and which step it shows."""
    cmd.add_argument("--out", required=True, metavar="FILE.png")
    cmd.add_argument("--step", type=int, metavar="N", help=t("step number (from 1)", lang))


def _picture_language(cmd: argparse.ArgumentParser, lang: str) -> None:
    cmd.add_argument(
        "--language",
        choices=LANGUAGES,
        help=t("language of the words on the picture (default: BSU_LANGUAGE)", lang),
    )


def add_camera_commands(
    sub: Any, json_flag: argparse.ArgumentParser, lang: str = DEFAULT_LANGUAGE
) -> Any:
    """Add ``camera ...``; returns its sub-command group."""
    camera = sub.add_parser(
        "camera", help=t("CCTV frames, camera matching and readings off frames", lang)
    )
    cmds = camera.add_subparsers(dest="camera_command", required=True)

    solve = _command(
        cmds,
        "solve",
        json_flag,
        t("solve a camera from point pairs on a frame and a model version", lang),
    )
    solve.add_argument("version_id", type=int, metavar="VERSION")
    _frame_image(solve)
    _points(solve, lang)
    _k1(solve, lang)
    solve.set_defaults(handler=cmd_solve)

    frame = cmds.add_parser("frame", help=t("CCTV frames kept as evidence", lang))
    frame_cmds = frame.add_subparsers(dest="frame_command", required=True)
    add = _command(frame_cmds, "add", json_flag, t("keep a CCTV still for a camera entity", lang))
    _scene_camera(add)
    _frame_image(add)
    add.add_argument(
        "--camera-id", required=True, metavar="TEXT", help=t("the CCTV system's camera", lang)
    )
    add.add_argument("--time", required=True, metavar="TIME", help=t("time on the footage", lang))
    add.add_argument("--exhibit", required=True, metavar="NUMBER")
    add.set_defaults(handler=cmd_frame_add)
    frames = _command(frame_cmds, "list", json_flag, t("frames kept for a scene's cameras", lang))
    frames.add_argument("scene_id", type=int, metavar="SCENE")
    frames.add_argument("--camera", metavar="LABEL")
    frames.set_defaults(handler=cmd_frames)

    match = _command(
        cmds,
        "match",
        json_flag,
        t("solve a scene's camera on its frame; stored in the next revision", lang),
    )
    _scene_camera(match)
    _points(match, lang)
    match.add_argument("--frame", metavar="SHA256", help=t("default: the camera's latest", lang))
    _k1(match, lang)
    match.set_defaults(handler=cmd_match)

    place = _command(
        cmds,
        "place",
        json_flag,
        t("place an entity where the feet clicked on the frame stand", lang),
    )
    _scene_camera(place)
    place.add_argument("--entity", required=True, metavar="LABEL")
    place.add_argument("--step", type=int, default=1, metavar="N")
    place.add_argument("--pixel", required=True, type=_pixel, metavar="U,V")
    place.add_argument("--frame", metavar="SHA256")
    _click_precision(place, lang)
    place.set_defaults(handler=cmd_place)

    height = _command(
        cmds,
        "height",
        json_flag,
        t("height in metres from head and feet clicked on the frame", lang),
    )
    _scene_camera(height)
    height.add_argument("--head", required=True, type=_pixel, metavar="U,V")
    height.add_argument("--feet", required=True, type=_pixel, metavar="U,V")
    height.add_argument(
        "--record",
        metavar="LABEL",
        help=t("keep the clicks with the camera under this label (next revision)", lang),
    )
    _click_precision(height, lang)
    height.set_defaults(handler=cmd_height)

    still = _command(
        cmds,
        "still",
        json_flag,
        t("the scene seen through a matched camera, its frame over the model", lang),
    )
    _scene_camera(still)
    _picture(still, lang)
    still.add_argument(
        "--opacity",
        type=float,
        default=0.5,
        help=t("of the frame over the model, 0 to 1 (default 0.5)", lang),
    )
    _picture_language(still, lang)
    still.set_defaults(handler=cmd_still)

    coverage = _command(
        cmds, "coverage", json_flag, t("a still with what a matched camera sees shaded", lang)
    )
    _scene_camera(coverage)
    _picture(coverage, lang)
    where = coverage.add_mutually_exclusive_group()
    where.add_argument("--view", metavar="NAME", help=t("a saved view of the scene", lang))
    where.add_argument("--preset", choices=PRESETS)
    coverage.add_argument("--size", choices=SIZES, default="1920x1080")
    _picture_language(coverage, lang)
    coverage.set_defaults(handler=cmd_coverage)
    return cmds
