"""The ``bsu-models`` command line: cases, imports, listings and integrity checks.

Command names, flags and the keys of ``--json`` output are a public interface that scripts rely
on: add to them, never rename. User errors exit 2 with one ``error: ...`` line on stderr;
``verify`` exits 1 when it finds problems.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import secrets
import sys
from collections.abc import Sequence
from pathlib import Path

from bsu_models import __version__
from bsu_models.catalogue import CASE_STATUSES, Catalogue, open_catalogue
from bsu_models.cli.args import argparse_language, parser_class
from bsu_models.cli.camera import add_camera_commands
from bsu_models.cli.db import add_db_commands
from bsu_models.cli.exhibit import add_exhibit_commands
from bsu_models.cli.fabricate import add_print_command
from bsu_models.cli.keys import add_key_commands
from bsu_models.cli.records import _case_json, _extent_text, _version_text
from bsu_models.cli.review import add_review_commands
from bsu_models.cli.scene import _emit, _lang, _pad, add_scene_commands
from bsu_models.cli.sun import add_sun_at_flag, add_sun_commands
from bsu_models.cli.users import add_user_commands
from bsu_models.cli.video import add_video_command
from bsu_models.cli.worker import add_worker_command
from bsu_models.core.errors import BsuError, InvalidInput, LoginFailed, Message
from bsu_models.core.i18n import (
    DEFAULT_LANGUAGE,
    LANGUAGES,
    error_text,
    localise,
    nt,
    t,
)
from bsu_models.core.settings import load_settings
from bsu_models.core.units import UNITS
from bsu_models.ingest.geometry import AXES, PRESETS
from bsu_models.ingest.upload import UploadFile
from bsu_models.render.overlay import OVERLAY_NAMES
from bsu_models.render.stereo import STEREO_MODES, parse_interocular
from bsu_models.render.stills import SIZES

EXIT_OK, EXIT_PROBLEMS, EXIT_USER_ERROR = 0, 1, 2


def cmd_case_add(cat: Catalogue, args: argparse.Namespace) -> int:
    case = cat.add_case(args.reference, args.title, args.status)
    text = t("Added case {reference}: {title}", _lang(args)).format(
        reference=case.reference, title=case.title
    )
    _emit(args, _case_json(case), text)
    return EXIT_OK


def cmd_case_list(cat: Catalogue, args: argparse.Namespace) -> int:
    cases = cat.list_cases()
    lang = _lang(args)
    text = "\n".join(
        f"{c.reference:<18} {c.status:<8} "
        + _pad(
            nt("{count} model", "{count} models", c.model_count, lang).format(
                count=f"{c.model_count:>3}"
            ),
            11,
        )
        + f" {c.title}"
        for c in cases
    ) or t("No cases yet.", lang)
    _emit(args, [_case_json(c) for c in cases], text)
    return EXIT_OK


def _read_uploads(paths: Sequence[str]) -> list[UploadFile]:
    uploads = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            raise InvalidInput("{path} is a folder; name the files, or zip the folder.", path=raw)
        try:
            uploads.append(UploadFile(path.name, path.read_bytes()))
        except FileNotFoundError:
            raise InvalidInput("{path}: no such file.", path=raw) from None
        except OSError as exc:
            raise InvalidInput(
                "{path}: cannot be read ({reason}).", path=raw, reason=exc.strerror
            ) from None
    return uploads


def cmd_import(cat: Catalogue, args: argparse.Namespace) -> int:
    result = cat.import_model(
        _read_uploads(args.paths),
        case=args.case,
        name=args.name,
        units=args.units,
        scale=args.scale,
        member=args.member,
        location=args.location,
        description=args.description,
        tags=args.tag or (),
        up_axis=args.up,
        north_axis=args.north,
        latitude=args.lat,
        longitude=args.lon,
    )
    _emit(args, result.to_json(), _version_text(result.version, _lang(args)))
    # The import is done and reported; its web levels are finished before the process exits,
    # so nothing else needs to be running for them (a failure is a warning on the version).
    sys.stdout.flush()
    with contextlib.suppress(BsuError):
        cat.derive_levels(result.version.version_id)
    return EXIT_OK


def cmd_derive(cat: Catalogue, args: argparse.Namespace) -> int:
    levels = cat.derive_levels(args.version_id)
    lang = _lang(args)
    text = "\n".join(
        f"{level.level:<6} {level.status:<8} "
        + t("{faces} faces, {bytes} bytes", lang).format(
            faces=f"{level.faces:,}", bytes=f"{level.bytes:,}"
        )
        + (f"  {level.sha256}" if level.sha256 else "")
        for level in levels
    )
    _emit(args, [level.to_json() for level in levels], text)
    return EXIT_OK


def cmd_list(cat: Catalogue, args: argparse.Namespace) -> int:
    models = cat.list_models(case=args.case, query=args.query)
    lang = _lang(args)
    payload = [
        {
            "model_id": m.model_id,
            "case": m.case_reference,
            "name": m.name,
            "location": m.location,
            "tags": list(m.tags),
            "versions": m.version_count,
            "latest_version_id": m.latest.version_id,
            "faces": m.latest.faces,
            "sha256": m.latest.original_sha256,
            "real_world_extent_m": m.latest.real_world_extent_m,
        }
        for m in models
    ]
    text = "\n".join(
        f"{m.latest.version_id:>5}  {m.case_reference:<16} {m.name} "
        + t("(v{number}, {faces} faces, {extent})", lang).format(
            number=m.latest.number,
            faces=f"{m.latest.faces:,}",
            extent=_extent_text(m.latest, lang),
        )
        for m in models
    ) or t("No models match.", lang)
    _emit(args, payload, text)
    return EXIT_OK


def cmd_show(cat: Catalogue, args: argparse.Namespace) -> int:
    version = cat.get_version(args.version_id)
    _emit(args, version.to_json(), _version_text(version, _lang(args)))
    return EXIT_OK


def cmd_verify(cat: Catalogue, args: argparse.Namespace) -> int:
    report = cat.verify(sample=args.sample)
    payload = {
        "ok": report.ok,
        "problems": list(report.problems),
        "blobs_checked": report.blobs_checked,
        "rows_checked": report.rows_checked,
        "audit_events_checked": report.audit_events_checked,
    }
    payload["blobs_rehashed"] = report.blobs_rehashed
    summary = t(
        "All well: {blobs} stored files, {rows} file rows, {events} audit events checked.",
        _lang(args),
    ).format(
        blobs=report.blobs_checked, rows=report.rows_checked, events=report.audit_events_checked
    )
    payload["cleanable"] = list(report.cleanable)
    # The problems in the command's language; ``--json`` keeps them in English.
    found = [localise(finding, _lang(args)) for finding in report.findings or report.problems]
    notes = [localise(item, _lang(args)) for item in report.cleanable_findings]
    if args.sample is not None:
        found.append(
            t(
                "Re-hashed {rehashed} of {blobs} stored files, chosen at random.", _lang(args)
            ).format(rehashed=report.blobs_rehashed, blobs=report.blobs_checked)
        )
    if notes:
        notes.append(
            t("Cleanable (not corruption): bsu-models gc removes these after an hour.", _lang(args))
        )
    lines = found if report.problems else [summary, *found]
    _emit(args, payload, "\n".join([*lines, *notes]))
    return EXIT_OK if report.ok else EXIT_PROBLEMS


def cmd_gc(cat: Catalogue, args: argparse.Namespace) -> int:
    result = cat.collect_garbage(dry_run=args.dry_run)
    lang = _lang(args)
    lines = [*result.blobs, *result.strays]
    template = (
        "Would remove {blobs} unreferenced stored files and {strays} stray files "
        "({young} younger than an hour kept)."
        if result.dry_run
        else "Removed {blobs} unreferenced stored files and {strays} stray files "
        "({young} younger than an hour kept)."
    )
    summary = t(template, lang).format(
        blobs=len(result.blobs), strays=len(result.strays), young=result.kept_young
    )
    _emit(args, result.to_json(), "\n".join([*lines, summary]))
    return EXIT_OK


WATERMARK_DIR = Path(__file__).resolve().parents[2] / "assets" / "watermark"


def _watermark_image(name: str | None) -> bytes | None:
    """Bytes of a watermark image from ``assets/watermark/`` (by file name only)."""
    if name is None:
        return None
    known = sorted(p.name for p in WATERMARK_DIR.glob("*.png"))
    if name not in known:
        raise InvalidInput(
            "Watermark image {name} is not in assets/watermark (available: {available}).",
            name=repr(name),
            available=", ".join(known) or Message("none"),
        )
    return (WATERMARK_DIR / name).read_bytes()


def cmd_render(cat: Catalogue, args: argparse.Namespace) -> int:
    from bsu_models.render.overlay import Overlays

    lang = _lang(args)
    if args.step is not None and args.scene is None:
        raise InvalidInput("--step needs --scene.")
    switched_off = {name: False for name in (args.hide or [])}
    still = cat.render_still(
        args.version_id,
        scene_id=args.scene,
        step=args.step,
        view=args.view,
        preset=args.preset,
        size=args.size,
        overlays=Overlays(**switched_off),
        exhibit=args.exhibit or "",
        watermark_text=args.watermark,
        watermark_logo=_watermark_image(args.watermark_image),
        lang=args.language or lang,
        sun_at=args.sun_at,
        stereo=args.stereo,
        interocular_m=parse_interocular(args.interocular) if args.interocular else None,
    )
    try:
        Path(args.out).write_bytes(still.png)
    except OSError as exc:
        raise InvalidInput(
            "{path}: cannot be written ({reason}).", path=args.out, reason=exc.strerror
        ) from None
    bar = still.scale_bar
    _emit(
        args,
        {
            "out": args.out,
            "width": still.size[0],
            "height": still.size[1],
            "metres_per_pixel": still.metres_per_pixel,
            "scale_bar_m": bar.metres if bar else None,
            "scale_bar_px": bar.pixels if bar else None,
            "sun": still.sun.to_json() if still.sun else None,
            "stereo": args.stereo,
        },
        t("Wrote {out} ({width}x{height})", lang).format(
            out=args.out, width=still.size[0], height=still.size[1]
        ),
    )
    return EXIT_OK


def cmd_demo(cat: Catalogue, args: argparse.Namespace) -> int:
    from bsu_models.demo import demo_logins, finish_demo_levels, load_demo

    loaded = load_demo(cat)
    password, logins = demo_logins()
    lang = _lang(args)
    text = (
        t("Demo case ready ({count} models imported now).", lang).format(count=len(loaded))
        if loaded
        else t("Demo case already loaded.", lang)
    )
    text += "\n" + t("Demo accounts (password {password}):", lang).format(password=repr(password))
    text += "\n" + "\n".join(f"  {name:<14} {roles}" for name, roles in logins)
    _emit(args, {"imported": loaded, "accounts": [n for n, _ in logins]}, text)
    # As after an import: the models' web levels are made before the process exits, so the
    # Model page never waits for levels that nothing is making.
    sys.stdout.flush()
    finish_demo_levels(cat)
    return EXIT_OK


def build_parser(lang: str = DEFAULT_LANGUAGE) -> argparse.ArgumentParser:
    """The parser of ``bsu-models``, its help texts in ``lang`` (names and flags never change)."""
    json_flag = argparse.ArgumentParser(add_help=False)
    json_flag.add_argument(
        "--json",
        action="store_true",
        default=argparse.SUPPRESS,
        help=t("machine-readable output on stdout", lang),
    )
    parser: argparse.ArgumentParser = parser_class(lang)(
        prog="bsu-models",
        parents=[json_flag],
        description=t("BSU Models: catalogue of landmark scale models.", lang),
    )
    parser.set_defaults(ui_lang=lang)
    parser.add_argument(
        "--version",
        action="version",
        version=f"bsu-models {__version__}",
        help=t("show program's version number and exit", lang),
    )
    sub = parser.add_subparsers(dest="command", required=True)

    case = sub.add_parser("case", help=t("add or list cases", lang))
    case_sub = case.add_subparsers(dest="case_command", required=True)
    add = case_sub.add_parser("add", parents=[json_flag], help=t("add a case", lang))
    add.add_argument("reference", help=t("case reference, e.g. KC-2026-0142", lang))
    add.add_argument("--title", required=True)
    add.add_argument("--status", choices=CASE_STATUSES, default="open")
    add.set_defaults(handler=cmd_case_add)
    case_list = case_sub.add_parser("list", parents=[json_flag], help=t("list cases", lang))
    case_list.set_defaults(handler=cmd_case_list)

    imp = sub.add_parser(
        "import", parents=[json_flag], help=t("import a mesh as a model version", lang)
    )
    imp.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        help=t("a mesh, a mesh with its MTL and textures, or one zip", lang),
    )
    imp.add_argument("--case", required=True, help=t("case reference", lang))
    imp.add_argument("--name", required=True, help=t("landmark model name (new or existing)", lang))
    imp.add_argument("--units", choices=UNITS, default="unknown", help=t("units of the file", lang))
    imp.add_argument("--scale", help=t("scale of the physical model, e.g. 1:50", lang))
    imp.add_argument("--member", help=t("which mesh to use when the upload holds several", lang))
    imp.add_argument("--location", default="", help=t("district / location of the landmark", lang))
    imp.add_argument("--description", default="")
    imp.add_argument("--tag", action="append", help=t("a tag (repeatable)", lang))
    imp.add_argument(
        "--up", default="+z", choices=AXES, help=t("model axis pointing up (default +z)", lang)
    )
    imp.add_argument(
        "--north",
        default="+y",
        choices=AXES,
        help=t("model axis pointing north (default +y; write --north=-z for a minus)", lang),
    )
    imp.add_argument("--lat", metavar="DEG", help=t("latitude of the model's origin, WGS84", lang))
    imp.add_argument("--lon", metavar="DEG", help=t("longitude of the model's origin, WGS84", lang))
    imp.set_defaults(handler=cmd_import)

    lst = sub.add_parser("list", parents=[json_flag], help=t("list landmark models", lang))
    lst.add_argument("--case", help=t("only this case", lang))
    lst.add_argument("--query", help=t("text to search for in names, places, tags", lang))
    lst.set_defaults(handler=cmd_list)

    show = sub.add_parser("show", parents=[json_flag], help=t("show one model version", lang))
    show.add_argument("version_id", type=int, metavar="ID", help=t("model version id", lang))
    show.set_defaults(handler=cmd_show)

    derive = sub.add_parser(
        "derive",
        parents=[json_flag],
        help=t("build (again) the web levels of a model version", lang),
    )
    derive.add_argument("version_id", type=int, metavar="VERSION", help=t("model version id", lang))
    derive.set_defaults(handler=cmd_derive)

    verify = sub.add_parser(
        "verify",
        parents=[json_flag],
        help=t("re-hash stored files, match rows and files, check the audit chain", lang),
    )
    verify.add_argument(
        "--sample",
        type=int,
        metavar="N",
        help=t(
            "re-hash only N stored files chosen at random (every row's file is still looked up)",
            lang,
        ),
    )
    verify.set_defaults(handler=cmd_verify)

    gc = sub.add_parser(
        "gc",
        parents=[json_flag],
        help=t("remove stored bytes no row refers to, older than an hour (admins)", lang),
    )
    gc.add_argument(
        "--dry-run", action="store_true", help=t("only list what would be removed", lang)
    )
    gc.set_defaults(handler=cmd_gc)

    demo = sub.add_parser("demo", parents=[json_flag], help=t("load the demonstration case", lang))
    demo.set_defaults(handler=cmd_demo)

    render = sub.add_parser(
        "render",
        parents=[json_flag],
        help=t("render a still PNG of a version (with a scene at a step)", lang),
    )
    render.add_argument("version_id", type=int, metavar="VERSION")
    render.add_argument("--scene", type=int, metavar="ID")
    render.add_argument("--step", type=int, metavar="N", help=t("step number (from 1)", lang))
    where = render.add_mutually_exclusive_group(required=True)
    where.add_argument("--view", metavar="NAME", help=t("a saved view of the scene", lang))
    where.add_argument("--preset", choices=PRESETS)
    render.add_argument("--size", choices=SIZES, default="1920x1080")
    render.add_argument("--out", required=True, metavar="FILE.png")
    render.add_argument(
        "--exhibit", metavar="NUMBER", help=t("exhibit number for the caption", lang)
    )
    render.add_argument(
        "--watermark", metavar="TEXT", help=t("faint text across the picture", lang)
    )
    render.add_argument(
        "--watermark-image",
        metavar="NAME",
        help=t("a badge from assets/watermark/, e.g. bsu-badge.png", lang),
    )
    render.add_argument(
        "--hide",
        action="append",
        choices=OVERLAY_NAMES,
        help=t("switch an overlay off (repeatable)", lang),
    )
    render.add_argument(
        "--language",
        choices=LANGUAGES,
        help=t("language of the words on the picture (default: BSU_LANGUAGE)", lang),
    )
    add_sun_at_flag(render, lang)
    render.add_argument(
        "--stereo",
        choices=STEREO_MODES,
        help=t("a stereo pair: two halves side by side, or a red-cyan anaglyph", lang),
    )
    render.add_argument(
        "--interocular",
        metavar="65mm|0.065m",
        help=t("distance between the eyes in the real world (default 65mm)", lang),
    )
    render.set_defaults(handler=cmd_render)

    scene_commands = add_scene_commands(sub, json_flag, lang)
    add_exhibit_commands(sub, scene_commands, json_flag, lang)
    add_video_command(sub, json_flag, lang)
    add_review_commands(scene_commands, json_flag, lang)
    add_key_commands(sub, json_flag, lang)
    add_user_commands(sub, case_sub, json_flag, lang)
    add_camera_commands(sub, json_flag, lang)
    add_sun_commands(sub, json_flag, lang)
    add_print_command(sub, json_flag, lang)
    add_db_commands(sub, json_flag, lang)
    add_worker_command(sub, lang)
    return parser


def _acting_catalogue(catalogue: Catalogue, args: argparse.Namespace) -> Catalogue:
    """The catalogue acting as the account named by BSU_ACTOR, once any account exists.

    Before the first account exists the command line is the set-up tool and acts as the
    system (that is how the first admin is made); ``demo`` only ever adds the fixed demo case
    and accounts, so it runs as set-up, but only for an active account that may open cases.
    """
    if not catalogue.accounts.any_users():
        return catalogue
    name = catalogue.settings.actor
    try:
        acting = catalogue.as_user(catalogue.accounts.principal(name))
    except BsuError:
        catalogue.close()
        raise LoginFailed(
            "Accounts exist, so the command line acts as the account named by BSU_ACTOR; "
            "{name!r} is not an active account.",
            name=name,
        ) from None
    if args.command != "demo":
        return acting
    # The demo adds a fixed case, its models and accounts as set-up; once accounts exist only
    # someone who may open cases may ask for that.
    acting.access.require("case.create", object_id="demo")
    return catalogue


def _language() -> str:
    """``BSU_LANGUAGE``; English when the settings cannot be read.

    The settings are read again when the catalogue opens, and a bad one is then reported as a
    user error -- in English, since the language itself may be what is wrong.
    """
    try:
        return load_settings().language
    except BsuError:
        return DEFAULT_LANGUAGE


def main(argv: Sequence[str] | None = None) -> int:
    lang = _language()
    with argparse_language(lang):
        parser = build_parser(lang)
        args = parser.parse_args(argv)
    args.ui_lang = lang
    error = t("error: {message}", lang)
    try:
        if not getattr(args, "needs_catalogue", True):
            # Checking a package needs no catalogue: it must work on any machine.
            return int(args.handler(None, args))
        catalogue = _acting_catalogue(open_catalogue(), args)
        try:
            return int(args.handler(catalogue, args))
        finally:
            catalogue.close()
    except BsuError as exc:
        print(error.format(message=error_text(exc, lang)), file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print(error.format(message=t("interrupted.", lang)), file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader (e.g. `head`) stopped early; nothing more to say.
        sys.stderr.close()
        return 0
    except Exception:
        # Never a traceback or a library's text: one sentence, the details in the log.
        incident = secrets.token_hex(4).upper()
        logging.getLogger(__name__).exception("incident %s: unexpected error", incident)
        sentence = t(
            "unexpected failure; nothing more was done. Incident {incident} is logged.", lang
        )
        print(error.format(message=sentence.format(incident=incident)), file=sys.stderr)
        return EXIT_USER_ERROR


if __name__ == "__main__":
    sys.exit(main())
