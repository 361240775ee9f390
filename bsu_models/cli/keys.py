"""``bsu-models keys create``: the unit's Ed25519 key pair that signs exhibit packages.

Writes the private key to ``--out`` (default: ``BSU_SIGNING_KEY``), readable by its owner only,
and the public key beside it (``.pub``), which is what courts and defence experts are given to
check a package (``exhibit-verify --public-key``). An existing key is never replaced.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from bsu_models.cli.scene import _emit, _lang
from bsu_models.core.errors import InvalidInput
from bsu_models.core.i18n import DEFAULT_LANGUAGE, t
from bsu_models.core.settings import load_settings
from bsu_models.court.exhibit_signing import create_key_pair


def cmd_keys_create(_cat: Any, args: argparse.Namespace) -> int:
    settings = load_settings()
    target = args.out or settings.signing_key
    if not target:
        raise InvalidInput(
            "Name the private key file: --out FILE, or set BSU_SIGNING_KEY (outside the data "
            "folder)."
        )
    private = Path(target).expanduser()
    public, fingerprint = create_key_pair(private, settings.data_dir)
    _emit(
        args,
        {"private_key": str(private), "public_key": str(public), "fingerprint": fingerprint},
        t(
            "Signing key written to {private} (keep it secret); public key {public}, "
            "fingerprint {fingerprint}.",
            _lang(args),
        ).format(private=private, public=public, fingerprint=fingerprint),
    )
    return 0


def add_key_commands(
    sub: Any, json_flag: argparse.ArgumentParser, lang: str = DEFAULT_LANGUAGE
) -> None:
    keys = sub.add_parser("keys", help=t("the unit's key that signs exhibit packages", lang))
    commands = keys.add_subparsers(dest="keys_command", required=True)
    create = commands.add_parser(
        "create",
        parents=[json_flag],
        help=t("make an Ed25519 key pair if none exists", lang),
    )
    create.add_argument(
        "--out", metavar="FILE", help=t("private key file (default: BSU_SIGNING_KEY)", lang)
    )
    create.set_defaults(handler=cmd_keys_create, needs_catalogue=False)
