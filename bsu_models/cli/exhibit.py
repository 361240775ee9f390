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
from bsu_models.core.i18n import DEFAULT_LANGUAGE, LANGUAGES, localise, nt, t
from bsu_models.core.settings import load_settings
from bsu_models.court.bagit_package import SIGNATURE_FILE
from bsu_models.court.bagit_verify import verify_bag
from bsu_models.court.exhibit_rerender import RerenderReport, rerender_package
from bsu_models.court.exhibit_signing import check_package_signature, has_signature


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
        args.scene_id,
        Path(args.out),
        args.number,
        lang=package_lang,
        video=getattr(args, "video", False),
        accounts=getattr(args, "with_scenes", None) or (),
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
    valid = report.valid
    lines: list[str] = []
    if getattr(args, "rerender", False):
        redone = rerender_package(Path(args.path), load_settings())
        payload["rerender"] = _rerender_json(redone)
        valid = valid and redone.ok
        lines = _rerender_lines(redone, lang)
    payload["signed"] = has_signature(Path(args.path))
    if payload["signed"] and not getattr(args, "public_key", None):
        lines.append(
            t("Signed ({name}); check the signature with --public-key FILE.", lang).format(
                name=SIGNATURE_FILE
            )
        )
    if getattr(args, "public_key", None):
        signed = check_package_signature(Path(args.path), Path(args.public_key))
        payload["signature"] = {
            "signed": signed.signed,
            "valid": signed.valid,
            "public_key_fingerprint": signed.expected_fingerprint,
            "stated_fingerprint": signed.stated_fingerprint,
            "problem": None if signed.problem is None else str(signed.problem),
        }
        valid = valid and signed.valid
        if signed.valid:
            lines.append(
                t("Signature OK: signed by the key {fingerprint}.", lang).format(
                    fingerprint=signed.expected_fingerprint
                )
            )
        else:
            assert signed.problem is not None
            lines.append(
                t("SIGNATURE NOT OK: {problem}", lang).format(
                    problem=localise(signed.problem, lang)
                )
            )
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
    _emit(args, payload, "\n".join([text, *lines]))
    return 0 if valid else 1


def _rerender_json(report: RerenderReport) -> dict[str, Any]:
    return {
        "ok": report.ok,
        "software_matches": report.software_matches,
        "software_differences": list(report.software_differences),
        "tolerance": report.tolerance,
        "stills": [
            {
                "still": c.still,
                "step": c.step,
                "scene_file": c.scene_file,
                "matches": report.matches(c),
                "identical": c.identical,
                "within_tolerance": c.within_tolerance,
                "differing_pixels": c.differing_pixels,
                "largest_block_difference": c.largest_block_difference,
            }
            for c in report.checks
        ],
        "differing_steps": [c.step for c in report.differing],
    }


def _rerender_lines(report: RerenderReport, lang: str) -> list[str]:
    lines = []
    if report.software_matches:
        lines.append(t("Re-rendered with the same software: pixels must be identical.", lang))
    else:
        lines.append(
            t("Re-rendered with other software versions; tolerance: {tolerance}.", lang).format(
                tolerance=report.tolerance
            )
        )
        lines += [f"  {difference}" for difference in report.software_differences]
    for check in report.checks:
        where = (
            t("step {step}", lang).format(step=check.step)
            if check.step is not None
            else t("the model", lang)
        )
        if report.matches(check):
            lines.append(
                t("OK: {still} ({where}) re-renders to the stored picture.", lang).format(
                    still=check.still, where=where
                )
            )
        else:
            lines.append(
                t(
                    "DIFFERS: {still} ({where}, from {scene}): {pixels} pixels differ from the "
                    "stored picture.",
                    lang,
                ).format(
                    still=check.still,
                    where=where,
                    scene=check.scene_file,
                    pixels=f"{check.differing_pixels:,}",
                )
            )
    return lines


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
    exhibit.add_argument(
        "--with",
        dest="with_scenes",
        type=int,
        action="append",
        metavar="SCENE",
        help=t("a further frozen account on the same model version (repeatable)", lang),
    )
    exhibit.set_defaults(handler=cmd_exhibit)

    check = sub.add_parser(
        "exhibit-verify",
        parents=[json_flag],
        help=t("check an exhibit package against its manifest; names changed files", lang),
    )
    check.add_argument("path", metavar="PATH", help=t("package folder or zip", lang))
    check.add_argument(
        "--rerender",
        action="store_true",
        help=t("also make every still again from the package's own files and compare", lang),
    )
    check.add_argument(
        "--public-key",
        metavar="FILE",
        help=t("also check the package's signature against this public key (PEM)", lang),
    )
    check.set_defaults(handler=cmd_exhibit_verify, needs_catalogue=False)
