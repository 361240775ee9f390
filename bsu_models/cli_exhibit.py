"""``bsu-models scene freeze``, ``exhibit`` and ``exhibit-verify``: court exhibits.

Names, flags and ``--json`` keys are a public interface (named in the court issue); add to
them, never rename. ``exhibit-verify`` exits 1 when a file of the package changed.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from bsu_models.bagit_package import verify_bag
from bsu_models.catalogue import Catalogue
from bsu_models.cli_scene import _emit, _scene_json
from bsu_models.errors import InvalidInput


def cmd_freeze(cat: Catalogue, args: argparse.Namespace) -> int:
    if args.revision is not None and args.revision < 1:
        # Revisions count from 1; 0 must not quietly mean "the current one".
        raise InvalidInput(
            f"--revision must be 1 or more (revisions count from 1), not {args.revision}."
        )
    info = cat.scenes.freeze(args.scene_id, args.revision)
    _emit(
        args,
        {**_scene_json(info), "frozen_revision": info.frozen_revision, "frozen_by": info.frozen_by},
        f"Scene {info.scene_id} ({info.name}) is frozen for court at revision "
        f"{info.frozen_revision}.",
    )
    return 0


def cmd_exhibit(cat: Catalogue, args: argparse.Namespace) -> int:
    result = cat.build_exhibit(args.scene_id, Path(args.out), args.number)
    _emit(
        args,
        result.to_json(),
        f"Exhibit {result.exhibit_number}: scene {result.scene_id} revision {result.revision}, "
        f"{_count(result.payload_files, 'payload file')}, {_count(result.tag_files, 'tag file')} "
        f"written to {result.out}\n"
        f"manifest-sha256.txt SHA-256 {result.manifest_sha256}",
    )
    return 0


def cmd_exhibit_verify(_cat: Catalogue | None, args: argparse.Namespace) -> int:
    report = verify_bag(Path(args.path))
    payload: dict[str, Any] = {
        "path": report.bag,
        "valid": report.valid,
        "files": report.files,
        "payload_files": report.files,
        "tag_files": report.tag_files,
        "manifest_sha256": report.manifest_sha256,
        "tagmanifest_sha256": report.tagmanifest_sha256,
        "damaged": list(report.damaged),
        "unexpected": list(report.unexpected),
        "changed": list(report.changed),
        "missing": list(report.missing),
        "unlisted": list(report.unlisted),
        "problems": list(report.problems),
        "exhibit": report.info.get("BSU-Exhibit", report.info.get("External-Identifier", "")),
        "scene_revision": report.info.get("BSU-Scene-Revision", ""),
        "source_sha256": report.info.get("BSU-Source-SHA256", ""),
    }
    hashes = [
        f"manifest-sha256.txt SHA-256 {report.manifest_sha256 or '(none)'}",
        f"tagmanifest-sha256.txt SHA-256 {report.tagmanifest_sha256 or '(none)'}",
    ]
    if report.valid:
        text = "\n".join(
            [
                f"OK: all {_count(report.files, 'payload file')} and "
                f"{_count(report.tag_files, 'tag file')} of exhibit "
                f"{payload['exhibit'] or '(unnamed)'} match their SHA-256 in the manifests.",
                *hashes,
            ]
        )
    else:
        text = "\n".join(["NOT OK:", *(f"  {line}" for line in report.sentences()), *hashes])
    _emit(args, payload, text)
    return 0 if report.valid else 1


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def add_exhibit_commands(sub: Any, scene_commands: Any, json_flag: argparse.ArgumentParser) -> None:
    freeze = scene_commands.add_parser(
        "freeze", parents=[json_flag], help="freeze a scene for court: it changes no more"
    )
    freeze.add_argument("scene_id", type=int, metavar="ID")
    freeze.add_argument("--revision", type=int, metavar="N", help="must be the current revision")
    freeze.set_defaults(handler=cmd_freeze)

    exhibit = sub.add_parser(
        "exhibit",
        parents=[json_flag],
        help="write the court exhibit package (BagIt) of a frozen scene",
    )
    exhibit.add_argument("scene_id", type=int, metavar="SCENE")
    exhibit.add_argument("--out", required=True, metavar="DIR|FILE.zip")
    exhibit.add_argument("--number", metavar="EXHIBIT", help="exhibit number (default: derived)")
    exhibit.set_defaults(handler=cmd_exhibit)

    check = sub.add_parser(
        "exhibit-verify",
        parents=[json_flag],
        help="check an exhibit package against its manifest; names changed files",
    )
    check.add_argument("path", metavar="PATH", help="package folder or zip")
    check.set_defaults(handler=cmd_exhibit_verify, needs_catalogue=False)
