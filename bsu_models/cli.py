"""The ``bsu-models`` command line: cases, imports, listings and integrity checks.

Command names, flags and the keys of ``--json`` output are a public interface that scripts rely
on: add to them, never rename. User errors exit 2 with one ``error: ...`` line on stderr;
``verify`` exits 1 when it finds problems.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bsu_models import __version__
from bsu_models.catalogue import CASE_STATUSES, Catalogue, open_catalogue
from bsu_models.cli_exhibit import add_exhibit_commands
from bsu_models.cli_scene import _emit, add_scene_commands
from bsu_models.cli_users import add_user_commands
from bsu_models.errors import BsuError, InvalidInput, LoginFailed
from bsu_models.geometry import AXES, PRESETS
from bsu_models.overlay import OVERLAY_NAMES
from bsu_models.records import CaseInfo, VersionInfo
from bsu_models.stills import SIZES
from bsu_models.units import UNITS
from bsu_models.upload import UploadFile

EXIT_OK, EXIT_PROBLEMS, EXIT_USER_ERROR = 0, 1, 2


def _case_json(case: CaseInfo) -> dict[str, Any]:
    return {
        "reference": case.reference,
        "title": case.title,
        "status": case.status,
        "created_at": case.created_at.isoformat(),
        "model_count": case.model_count,
    }


def _extent_text(version: VersionInfo) -> str:
    size = version.real_world_size
    if size is None:
        return "real-world size unknown (set units and scale)"
    east, north, height = size
    return f"real-world size {east:.2f} m E-W x {north:.2f} m N-S x {height:.2f} m high"


def _version_text(v: VersionInfo) -> str:
    lo, hi = v.bounds
    lines = [
        f"{v.case_reference} / {v.model_name} — version {v.number} (version id {v.version_id}, "
        f"model id {v.model_id})",
        f"  original   {v.original_name} ({v.format}, {v.size_bytes:,} bytes uploaded in all)",
        *(
            [f"  member     {v.mesh_member} (the mesh used from the upload)"]
            if v.mesh_member != v.original_name
            else []
        ),
        f"  sha256     {v.original_sha256} (of {v.mesh_member})",
        f"  mesh       {v.vertices:,} vertices, {v.faces:,} faces, "
        f"{'watertight' if v.watertight else 'open'}, "
        f"{'textured' if v.has_texture else 'untextured'}",
        "  bounds     "
        + " .. ".join("(" + ", ".join(f"{c:.4g}" for c in p) + ")" for p in (lo, hi)),
        f"  units      {v.units}, scale {v.scale}; {_extent_text(v)}",
        f"  uploaded   {v.uploaded_at:%Y-%m-%d %H:%M:%S} UTC by {v.uploaded_by}",
    ]
    lines += [f"  warning    {w}" for w in v.warnings]
    return "\n".join(lines)


def cmd_case_add(cat: Catalogue, args: argparse.Namespace) -> int:
    case = cat.add_case(args.reference, args.title, args.status)
    _emit(args, _case_json(case), f"Added case {case.reference}: {case.title}")
    return EXIT_OK


def cmd_case_list(cat: Catalogue, args: argparse.Namespace) -> int:
    cases = cat.list_cases()
    text = (
        "\n".join(
            f"{c.reference:<18} {c.status:<8} {c.model_count:>3} models  {c.title}" for c in cases
        )
        or "No cases yet."
    )
    _emit(args, [_case_json(c) for c in cases], text)
    return EXIT_OK


def _read_uploads(paths: Sequence[str]) -> list[UploadFile]:
    uploads = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            raise InvalidInput(f"{raw} is a folder; name the files, or zip the folder.")
        try:
            uploads.append(UploadFile(path.name, path.read_bytes()))
        except FileNotFoundError:
            raise InvalidInput(f"{raw}: no such file.") from None
        except OSError as exc:
            raise InvalidInput(f"{raw}: cannot be read ({exc.strerror}).") from None
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
    )
    _emit(args, result.to_json(), _version_text(result.version))
    return EXIT_OK


def cmd_list(cat: Catalogue, args: argparse.Namespace) -> int:
    models = cat.list_models(case=args.case, query=args.query)
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
    text = (
        "\n".join(
            f"{m.latest.version_id:>5}  {m.case_reference:<16} {m.name} (v{m.latest.number}, "
            f"{m.latest.faces:,} faces, {_extent_text(m.latest)})"
            for m in models
        )
        or "No models match."
    )
    _emit(args, payload, text)
    return EXIT_OK


def cmd_show(cat: Catalogue, args: argparse.Namespace) -> int:
    version = cat.get_version(args.version_id)
    _emit(args, version.to_json(), _version_text(version))
    return EXIT_OK


def cmd_verify(cat: Catalogue, args: argparse.Namespace) -> int:
    report = cat.verify()
    payload = {
        "ok": report.ok,
        "problems": list(report.problems),
        "blobs_checked": report.blobs_checked,
        "rows_checked": report.rows_checked,
        "audit_events_checked": report.audit_events_checked,
    }
    summary = (
        f"All well: {report.blobs_checked} stored files, {report.rows_checked} file rows, "
        f"{report.audit_events_checked} audit events checked."
    )
    _emit(args, payload, "\n".join(report.problems) if report.problems else summary)
    return EXIT_OK if report.ok else EXIT_PROBLEMS


WATERMARK_DIR = Path(__file__).resolve().parent.parent / "assets" / "watermark"


def _watermark_image(name: str | None) -> bytes | None:
    """Bytes of a watermark image from ``assets/watermark/`` (by file name only)."""
    if name is None:
        return None
    known = sorted(p.name for p in WATERMARK_DIR.glob("*.png"))
    if name not in known:
        raise InvalidInput(
            f"Watermark image {name!r} is not in assets/watermark "
            f"(available: {', '.join(known) or 'none'})."
        )
    return (WATERMARK_DIR / name).read_bytes()


def cmd_render(cat: Catalogue, args: argparse.Namespace) -> int:
    from bsu_models.overlay import Overlays

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
    )
    try:
        Path(args.out).write_bytes(still.png)
    except OSError as exc:
        raise InvalidInput(f"{args.out}: cannot be written ({exc.strerror}).") from None
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
        },
        f"Wrote {args.out} ({still.size[0]}x{still.size[1]})",
    )
    return EXIT_OK


def cmd_demo(cat: Catalogue, args: argparse.Namespace) -> int:
    from bsu_models.demo import demo_logins, load_demo

    loaded = load_demo(cat)
    password, logins = demo_logins()
    text = (
        f"Demo case ready ({len(loaded)} models imported now)."
        if loaded
        else "Demo case already loaded."
    )
    text += f"\nDemo accounts (password {password!r}):\n" + "\n".join(
        f"  {name:<14} {roles}" for name, roles in logins
    )
    _emit(args, {"imported": loaded, "accounts": [n for n, _ in logins]}, text)
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    json_flag = argparse.ArgumentParser(add_help=False)
    json_flag.add_argument(
        "--json",
        action="store_true",
        default=argparse.SUPPRESS,
        help="machine-readable output on stdout",
    )
    parser = argparse.ArgumentParser(
        prog="bsu-models",
        parents=[json_flag],
        description="BSU Models: catalogue of landmark scale models.",
    )
    parser.add_argument("--version", action="version", version=f"bsu-models {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    case = sub.add_parser("case", help="add or list cases")
    case_sub = case.add_subparsers(dest="case_command", required=True)
    add = case_sub.add_parser("add", parents=[json_flag], help="add a case")
    add.add_argument("reference", help="case reference, e.g. KC-2026-0142")
    add.add_argument("--title", required=True)
    add.add_argument("--status", choices=CASE_STATUSES, default="open")
    add.set_defaults(handler=cmd_case_add)
    case_list = case_sub.add_parser("list", parents=[json_flag], help="list cases")
    case_list.set_defaults(handler=cmd_case_list)

    imp = sub.add_parser("import", parents=[json_flag], help="import a mesh as a model version")
    imp.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        help="a mesh, a mesh with its MTL and textures, or one zip",
    )
    imp.add_argument("--case", required=True, help="case reference")
    imp.add_argument("--name", required=True, help="landmark model name (new or existing)")
    imp.add_argument("--units", choices=UNITS, default="unknown", help="units of the file")
    imp.add_argument("--scale", help="scale of the physical model, e.g. 1:50")
    imp.add_argument("--member", help="which mesh to use when the upload holds several")
    imp.add_argument("--location", default="", help="district / location of the landmark")
    imp.add_argument("--description", default="")
    imp.add_argument("--tag", action="append", help="a tag (repeatable)")
    imp.add_argument("--up", default="+z", choices=AXES, help="model axis pointing up (default +z)")
    imp.add_argument(
        "--north",
        default="+y",
        choices=AXES,
        help="model axis pointing north (default +y; write --north=-z for a minus)",
    )
    imp.set_defaults(handler=cmd_import)

    lst = sub.add_parser("list", parents=[json_flag], help="list landmark models")
    lst.add_argument("--case", help="only this case")
    lst.add_argument("--query", help="text to search for in names, places, tags")
    lst.set_defaults(handler=cmd_list)

    show = sub.add_parser("show", parents=[json_flag], help="show one model version")
    show.add_argument("version_id", type=int, metavar="ID", help="model version id")
    show.set_defaults(handler=cmd_show)

    verify = sub.add_parser(
        "verify",
        parents=[json_flag],
        help="re-hash stored files, match rows and files, check the audit chain",
    )
    verify.set_defaults(handler=cmd_verify)

    demo = sub.add_parser("demo", parents=[json_flag], help="load the demonstration case")
    demo.set_defaults(handler=cmd_demo)

    render = sub.add_parser(
        "render",
        parents=[json_flag],
        help="render a still PNG of a version (with a scene at a step)",
    )
    render.add_argument("version_id", type=int, metavar="VERSION")
    render.add_argument("--scene", type=int, metavar="ID")
    render.add_argument("--step", type=int, metavar="N", help="step number (from 1)")
    where = render.add_mutually_exclusive_group(required=True)
    where.add_argument("--view", metavar="NAME", help="a saved view of the scene")
    where.add_argument("--preset", choices=PRESETS)
    render.add_argument("--size", choices=SIZES, default="1920x1080")
    render.add_argument("--out", required=True, metavar="FILE.png")
    render.add_argument("--exhibit", metavar="NUMBER", help="exhibit number for the caption")
    render.add_argument("--watermark", metavar="TEXT", help="faint text across the picture")
    render.add_argument(
        "--watermark-image",
        metavar="NAME",
        help="a badge from assets/watermark/, e.g. bsu-badge.png",
    )
    render.add_argument(
        "--hide", action="append", choices=OVERLAY_NAMES, help="switch an overlay off (repeatable)"
    )
    render.set_defaults(handler=cmd_render)

    scene_commands = add_scene_commands(sub, json_flag)
    add_exhibit_commands(sub, scene_commands, json_flag)
    add_user_commands(sub, case_sub, json_flag)
    return parser


def _acting_catalogue(catalogue: Catalogue, args: argparse.Namespace) -> Catalogue:
    """The catalogue acting as the account named by BSU_ACTOR, once any account exists.

    Before the first account exists the command line is the set-up tool and acts as the
    system (that is how the first admin is made); ``demo`` only ever adds the fixed demo case
    and accounts, so it always runs as set-up.
    """
    if args.command == "demo" or not catalogue.accounts.any_users():
        return catalogue
    name = catalogue.settings.actor
    try:
        return catalogue.as_user(catalogue.accounts.principal(name))
    except BsuError:
        catalogue.close()
        raise LoginFailed(
            f"Accounts exist, so the command line acts as the account named by BSU_ACTOR; "
            f"{name!r} is not an active account."
        ) from None


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
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
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("error: interrupted.", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader (e.g. `head`) stopped early; nothing more to say.
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
