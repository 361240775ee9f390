"""``bsu-models scene ...``: scenes from the command line.

``scene new``, ``list``, ``export``, ``import`` and ``measure`` are named in the scenes issue and
are a public interface; ``history``, ``compare`` and ``sightline`` are additions.
"""

from __future__ import annotations

import argparse
import json
import sys
import unicodedata
from pathlib import Path
from typing import Any

from bsu_models.catalogue import Catalogue
from bsu_models.core.errors import InvalidInput
from bsu_models.core.i18n import DEFAULT_LANGUAGE, N_, format_datetime, localise, t
from bsu_models.core.records import MeasuredValue, SceneInfo, SightlineResult


def _lang(args: argparse.Namespace) -> str:
    """The language of the command's text output (``BSU_LANGUAGE``; set by ``cli.main``)."""
    return str(getattr(args, "ui_lang", DEFAULT_LANGUAGE))


def _pad(text: str, width: int) -> str:
    """``text`` padded with spaces to ``width`` terminal columns (Chinese characters take two)."""
    used = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    return text + " " * max(0, width - used)


def _emit(args: argparse.Namespace, payload: Any, text: str) -> None:
    """Print ``payload`` as JSON with ``--json``, else ``text`` (shared by all commands)."""
    if getattr(args, "json", False):
        json.dump(payload, sys.stdout, ensure_ascii=False, indent=2, default=str)
        sys.stdout.write("\n")
    else:
        print(text)


def _scene_json(info: SceneInfo) -> dict[str, Any]:
    return {
        "scene_id": info.scene_id,
        "name": info.name,
        "version_id": info.version_id,
        "case": info.case_reference,
        "model": info.model_name,
        "revision": info.revision,
        "created_by": info.created_by,
        "updated_by": info.updated_by,
        "updated_at": info.updated_at.isoformat(),
        "frozen_revision": info.frozen_revision,
        "archived": info.archived,
    }


def _value_json(value: MeasuredValue) -> dict[str, Any]:
    return {
        "kind": value.kind,
        "label": value.label,
        "value": value.value,
        "uncertainty": value.uncertainty,
        "unit": value.unit,
        "units_known": value.units_known,
        "text": value.text,
        "basis": value.basis,
    }


def cmd_new(cat: Catalogue, args: argparse.Namespace) -> int:
    info = cat.scenes.create(args.version_id, args.name)
    _emit(args, _scene_json(info), str(info.scene_id))
    return 0


def cmd_list(cat: Catalogue, args: argparse.Namespace) -> int:
    scenes = cat.scenes.list_scenes(args.version, include_archived=args.archived)
    archived = " " + t("(archived)", _lang(args))
    text = "\n".join(
        f"{s.scene_id:>5}  v{s.version_id:<4} r{s.revision:<3} {s.case_reference:<16} "
        f"{s.name} ({s.model_name}){archived if s.archived else ''}"
        for s in scenes
    ) or t("No scenes.", _lang(args))
    _emit(args, [_scene_json(s) for s in scenes], text)
    return 0


def cmd_rename(cat: Catalogue, args: argparse.Namespace) -> int:
    info = cat.scenes.rename(args.scene_id, args.name)
    _emit(args, _scene_json(info), str(info.scene_id))
    return 0


def cmd_copy(cat: Catalogue, args: argparse.Namespace) -> int:
    info = cat.scenes.copy(args.scene_id, args.name)
    _emit(args, _scene_json(info), str(info.scene_id))
    return 0


def cmd_archive(cat: Catalogue, args: argparse.Namespace) -> int:
    info = cat.scenes.set_archived(args.scene_id, args.scene_command == "archive")
    _emit(args, _scene_json(info), str(info.scene_id))
    return 0


def cmd_export(cat: Catalogue, args: argparse.Namespace) -> int:
    data = cat.scenes.export_json(args.scene_id, args.revision)
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
    return 0


def cmd_import(cat: Catalogue, args: argparse.Namespace) -> int:
    try:
        text = Path(args.file).read_bytes() if args.file != "-" else sys.stdin.buffer.read()
    except OSError as exc:
        raise InvalidInput(
            "{path}: cannot be read ({reason}).", path=args.file, reason=exc.strerror
        ) from None
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInput(
            "{path}: not valid JSON ({reason}).", path=args.file, reason=str(exc)
        ) from None
    info = cat.scenes.import_json(data, args.version)
    text_out = t("Scene {scene_id} at revision {revision}", _lang(args)).format(
        scene_id=info.scene_id, revision=info.revision
    )
    _emit(args, _scene_json(info), text_out)
    return 0


def cmd_measure(cat: Catalogue, args: argparse.Namespace) -> int:
    value = cat.scenes.distance_between(args.scene_id, args.from_label, args.to_label, args.step)
    lang = _lang(args)
    _emit(args, _value_json(value), f"{value.label_in(lang)}: {value.text_in(lang)}")
    return 0


def cmd_sightline(cat: Catalogue, args: argparse.Namespace) -> int:
    result = cat.scenes.sightline(
        args.scene_id, args.from_label, args.to_label, args.step, args.sun_at
    )
    lang = _lang(args)
    verdict = t("visible", lang) if result.visible else t("occluded", lang)
    where = ""
    if result.occluder is not None:
        point = ", ".join(f"{c:.4g}" for c in result.occluder)
        where = t(" by the model at ({point})", lang).format(point=point)
    _emit(
        args,
        {
            "observer": result.observer,
            "target": result.target,
            "step": result.step,
            "visible": result.visible,
            "eye_point": result.eye_point,
            "target_point": result.target_point,
            "occluder": result.occluder,
            "distance": _value_json(result.distance),
            "sun_at": result.sun_at.isoformat() if result.sun_at else None,
            "sun_azimuth_deg": result.sun_azimuth_deg,
            "sun_elevation_deg": result.sun_elevation_deg,
            "target_in_sun": result.target_in_sun,
            "glare": result.glare,
            "angle_to_sun_deg": result.angle_to_sun_deg,
            "eye_height_m": result.eye_height_m,
            "eye_height_source": result.eye_height_source,
            "target_height_m": result.target_height_m,
            "target_height_source": result.target_height_source,
        },
        "\n".join(
            [
                t("{observer} → {target} at {step}: {verdict}{where}; {distance}", lang).format(
                    observer=result.observer,
                    target=result.target,
                    step=repr(result.step),
                    verdict=verdict,
                    where=where,
                    distance=result.distance.text_in(lang),
                ),
                *([result.heights_in(lang)] if result.heights_message else []),
                *_light_lines(result, lang),
            ]
        ),
    )
    return 0


def _light_lines(result: SightlineResult, lang: str) -> list[str]:
    """The sun on a sightline in words, when the step's time and place are known."""
    if result.sun_at is None:
        return []
    lines = [
        t(
            "Sun at {at}: azimuth {azimuth:.1f}°, elevation {elevation:.1f}°; "
            "the target is {light}.",
            lang,
        ).format(
            at=result.sun_at.isoformat(timespec="minutes"),
            azimuth=result.sun_azimuth_deg,
            elevation=result.sun_elevation_deg,
            light=t("in direct sun", lang) if result.target_in_sun else t("in shadow", lang),
        )
    ]
    if result.glare:
        lines.append(
            t("Glare: the observer looks within {angle:.0f}° of the sun.", lang).format(
                angle=result.angle_to_sun_deg
            )
        )
    return lines


def cmd_history(cat: Catalogue, args: argparse.Namespace) -> int:
    revisions = cat.scenes.history(args.scene_id)
    _emit(
        args,
        [
            {
                "revision": r.number,
                "author": r.author,
                "at": r.created_at.isoformat(),
                "summary": r.summary,
                "sha256": r.sha256,
            }
            for r in revisions
        ],
        "\n".join(
            f"r{r.number:<4} {format_datetime(r.created_at, _lang(args), seconds=True)} "
            f"{r.author:<16} {r.summary}"
            for r in revisions
        ),
    )
    return 0


def cmd_compare(cat: Catalogue, args: argparse.Namespace) -> int:
    changes = cat.scenes.compare_messages(args.scene_id, args.old, args.new)
    lang = _lang(args)
    _emit(
        args,
        {"changes": [str(change) for change in changes]},  # English, as the record has them
        "\n".join(localise(change, lang) for change in changes) or t("No differences.", lang),
    )
    return 0


def add_scene_commands(
    sub: Any, json_flag: argparse.ArgumentParser, lang: str = DEFAULT_LANGUAGE
) -> Any:
    """Add ``scene ...``; returns its sub-command group for further commands."""
    scene = sub.add_parser("scene", help=t("re-enactment scenes on model versions", lang))
    cmds = scene.add_subparsers(dest="scene_command", required=True)

    new = cmds.add_parser("new", parents=[json_flag], help=t("new scene; prints its id", lang))
    new.add_argument("version_id", type=int, metavar="VERSION")
    new.add_argument("--name", required=True)
    new.set_defaults(handler=cmd_new)

    lst = cmds.add_parser("list", parents=[json_flag], help=t("list scenes", lang))
    lst.add_argument("--version", type=int, help=t("only scenes on this model version", lang))
    lst.add_argument(
        "--archived", action="store_true", help=t("archived scenes too", lang)
    )
    lst.set_defaults(handler=cmd_list)

    for name, handler, help_text in (
        ("rename", cmd_rename, N_("give a scene a new name (a new revision)")),
        ("copy", cmd_copy, N_("a new scene holding this scene's current revision; prints its id")),
    ):
        cmd = cmds.add_parser(name, parents=[json_flag], help=t(help_text, lang))
        cmd.add_argument("scene_id", type=int, metavar="ID")
        cmd.add_argument("--name", required=True)
        cmd.set_defaults(handler=handler)
    for name, help_text in (
        ("archive", N_("put a scene aside (out of the lists; nothing is deleted)")),
        ("restore", N_("bring an archived scene back")),
    ):
        cmd = cmds.add_parser(name, parents=[json_flag], help=t(help_text, lang))
        cmd.add_argument("scene_id", type=int, metavar="ID")
        cmd.set_defaults(handler=cmd_archive)

    export = cmds.add_parser("export", help=t("write the scene as JSON (schema bsu-scene/1)", lang))
    export.add_argument("scene_id", type=int, metavar="ID")
    export.add_argument(
        "--revision", type=int, help=t("an older revision (default: current)", lang)
    )
    export.set_defaults(handler=cmd_export)

    imp = cmds.add_parser(
        "import",
        parents=[json_flag],
        help=t("new scene from JSON, or a new revision of the scene it names", lang),
    )
    imp.add_argument(
        "file", metavar="FILE", help=t("scene JSON file, or - for standard input", lang)
    )
    imp.add_argument("--version", type=int, help=t("model version for a new scene", lang))
    imp.set_defaults(handler=cmd_import)

    for name, handler, help_text in (
        ("measure", cmd_measure, N_("real-world distance between two entities and its ±")),
        ("sightline", cmd_sightline, N_("can one entity see another past the model")),
    ):
        cmd = cmds.add_parser(name, parents=[json_flag], help=t(help_text, lang))
        cmd.add_argument("scene_id", type=int, metavar="ID")
        cmd.add_argument("--from", dest="from_label", required=True, metavar="LABEL")
        cmd.add_argument("--to", dest="to_label", required=True, metavar="LABEL")
        cmd.add_argument(
            "--step", type=int, default=1, metavar="N", help=t("step number (from 1)", lang)
        )
        if name == "sightline":
            cmd.add_argument(
                "--sun-at",
                metavar="ISO8601",
                help=t("the sun at this date and time (default: the step's time)", lang),
            )
        cmd.set_defaults(handler=handler)

    history = cmds.add_parser("history", parents=[json_flag], help=t("revisions of a scene", lang))
    history.add_argument("scene_id", type=int, metavar="ID")
    history.set_defaults(handler=cmd_history)

    compare = cmds.add_parser(
        "compare", parents=[json_flag], help=t("what changed between two revisions", lang)
    )
    compare.add_argument("scene_id", type=int, metavar="ID")
    compare.add_argument("--old", type=int, required=True, metavar="N")
    compare.add_argument("--new", type=int, metavar="M", help=t("default: current revision", lang))
    compare.set_defaults(handler=cmd_compare)
    return cmds
