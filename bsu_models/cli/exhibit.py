"""``bsu-models scene freeze``, ``exhibit`` and ``exhibit-verify``: court exhibits.

Names, flags and ``--json`` keys are a public interface (named in the court issue); add to
them, never rename. ``exhibit-verify`` exits 1 when a file of the package changed.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from bsu_models.catalogue import Catalogue
from bsu_models.cli.scene import _emit, _lang, _scene_json
from bsu_models.core.errors import InvalidInput
from bsu_models.core.i18n import DEFAULT_LANGUAGE, LANGUAGES, nt, t
from bsu_models.court.bagit_verify import verify_bag


def cmd_freeze(cat: Catalogue, args: argparse.Namespace) -> int:
    if args.revision is not None and args.revision < 1:
        # Revisions count from 1; 0 must not quietly mean "the current one".
        raise InvalidInput(
            "--revision must be 1 or more (revisions count from 1), not {revision}.",
            revision=args.revision,
        )
    info = cat.scenes.freeze(args.scene_id, args.revision)
    _emit(
        args,
        {**_scene_json(info), "frozen_revision": info.frozen_revision, "frozen_by": info.frozen_by},
        t(
            "Scene {scene_id} ({name}) is frozen for court at revision {revision}.", _lang(args)
        ).format(scene_id=info.scene_id, name=info.name, revision=info.frozen_revision),
    )
    return 0


def cmd_exhibit(cat: Catalogue, args: argparse.Namespace) -> int:
    lang = _lang(args)
    # The package's words: --language, else the language of the command line (BSU_LANGUAGE).
    package_lang = getattr(args, "language", None) or lang
    result = cat.build_exhibit(
        args.scene_id, Path(args.out), args.number, lang=package_lang, video=args.video
    )
    _emit(
        args,
        result.to_json(),
        t(
            "Exhibit {number}: scene {scene_id} revision {revision}, {payload_files}, "
            "{tag_files} written to {out}",
            lang,
        ).format(
            number=result.exhibit_number,
            scene_id=result.scene_id,
            revision=result.revision,
            payload_files=_payload_files(result.payload_files, lang),
            tag_files=_tag_files(result.tag_files, lang),
            out=result.out,
        )
        + f"\nmanifest-sha256.txt SHA-256 {result.manifest_sha256}",
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
    lang = _lang(args)
    none = t("(none)", lang)
    hashes = [
        f"manifest-sha256.txt SHA-256 {report.manifest_sha256 or none}",
        f"tagmanifest-sha256.txt SHA-256 {report.tagmanifest_sha256 or none}",
    ]
    if report.valid:
        text = "\n".join(
            [
                t(
                    "OK: all {payload_files} and {tag_files} of exhibit {exhibit} match their "
                    "SHA-256 in the manifests.",
                    lang,
                ).format(
                    payload_files=_payload_files(report.files, lang),
                    tag_files=_tag_files(report.tag_files, lang),
                    exhibit=payload["exhibit"] or t("(unnamed)", lang),
                ),
                *hashes,
            ]
        )
    else:
        text = "\n".join(
            [t("NOT OK:", lang), *(f"  {line}" for line in report.sentences(lang)), *hashes]
        )
    _emit(args, payload, text)
    return 0 if report.valid else 1


def _payload_files(number: int, lang: str) -> str:
    return nt("{count} payload file", "{count} payload files", number, lang).format(count=number)


def _tag_files(number: int, lang: str) -> str:
    return nt("{count} tag file", "{count} tag files", number, lang).format(count=number)


def add_exhibit_commands(
    sub: Any,
    scene_commands: Any,
    json_flag: argparse.ArgumentParser,
    lang: str = DEFAULT_LANGUAGE,
) -> None:
    freeze = scene_commands.add_parser(
        "freeze", parents=[json_flag], help=t("freeze a scene for court: it changes no more", lang)
    )
    freeze.add_argument("scene_id", type=int, metavar="ID")
    freeze.add_argument(
        "--revision", type=int, metavar="N", help=t("must be the current revision", lang)
    )
    freeze.set_defaults(handler=cmd_freeze)

    exhibit = sub.add_parser(
        "exhibit",
        parents=[json_flag],
        help=t("write the court exhibit package (BagIt) of a frozen scene", lang),
    )
    exhibit.add_argument("scene_id", type=int, metavar="SCENE")
    exhibit.add_argument("--out", required=True, metavar="DIR|FILE.zip")
    exhibit.add_argument(
        "--number", metavar="EXHIBIT", help=t("exhibit number (default: derived)", lang)
    )
    exhibit.add_argument(
        "--language",
        choices=LANGUAGES,
        help=t("language of the package's words (default: BSU_LANGUAGE)", lang),
    )
    exhibit.add_argument(
        "--video",
        action="store_true",
        help=t("add the fly-through video as data/video/sequence.mp4", lang),
    )
    exhibit.set_defaults(handler=cmd_exhibit)

    check = sub.add_parser(
        "exhibit-verify",
        parents=[json_flag],
        help=t("check an exhibit package against its manifest; names changed files", lang),
    )
    check.add_argument("path", metavar="PATH", help=t("package folder or zip", lang))
    check.set_defaults(handler=cmd_exhibit_verify, needs_catalogue=False)
