"""``bsu-models db status`` and ``bsu-models db upgrade``: the catalogue database's schema.

Both work on a database the catalogue refuses to open (an older schema), so they open it
themselves (``bsu_models.core.upgrade``) rather than through ``Catalogue``.
"""

from __future__ import annotations

import argparse
from typing import Any

from bsu_models.cli.scene import _emit, _lang
from bsu_models.core.i18n import t
from bsu_models.core.schema import EMPTY, NEWER, UNVERSIONED, SchemaState
from bsu_models.core.settings import load_settings
from bsu_models.core.upgrade import open_schema_service


def _status_text(state: SchemaState, lang: str) -> str:
    if state.state == EMPTY:
        return t("No catalogue yet; it is made at schema {head} when first opened.", lang).format(
            head=state.head
        )
    if state.upgrade_needed:
        return t(
            "Schema {current}, older than this release's {head}: back up the catalogue, then "
            "run bsu-models db upgrade.",
            lang,
        ).format(
            current=state.current or t("(none: made before migrations)", lang), head=state.head
        )
    if state.state == NEWER:
        return t(
            "Schema {current}, newer than this release's {head}: use a newer release.", lang
        ).format(current=state.current, head=state.head)
    return t("Schema {current}, this release's newest; nothing to upgrade.", lang).format(
        current=state.current
    )


def cmd_db_status(_cat: Any, args: argparse.Namespace) -> int:
    service = open_schema_service(load_settings())
    try:
        state = service.status()
    finally:
        service.close()
    payload = {
        "current_revision": state.current,
        "head_revision": state.head,
        "upgrade_needed": state.upgrade_needed,
        "state": state.state,
    }
    _emit(args, payload, _status_text(state, _lang(args)))
    return 0


def cmd_db_upgrade(_cat: Any, args: argparse.Namespace) -> int:
    service = open_schema_service(load_settings())
    try:
        before, after = service.upgrade()
    finally:
        service.close()
    lang = _lang(args)
    if before.state == EMPTY:
        text = t("Made a new catalogue database at schema {to}.", lang)
    elif before.state == UNVERSIONED:
        text = t("Upgraded the catalogue database, made before migrations, to schema {to}.", lang)
    elif before.upgrade_needed:
        text = t("Upgraded the catalogue database from schema {from_} to {to}.", lang)
    else:
        text = t("The catalogue database is at schema {to} already; nothing to do.", lang)
    payload = {
        "from_revision": before.current,
        "to_revision": after.current,
        "upgraded": before.upgrade_needed,
    }
    _emit(args, payload, text.format(from_=before.current, to=after.current))
    return 0


def add_db_commands(sub: Any, json_flag: argparse.ArgumentParser, lang: str) -> None:
    db = sub.add_parser("db", help=t("the catalogue database's schema: status and upgrade", lang))
    db_sub = db.add_subparsers(dest="db_command", required=True)
    status = db_sub.add_parser(
        "status",
        parents=[json_flag],
        help=t("the schema revision stored and this release's, and whether to upgrade", lang),
    )
    status.set_defaults(handler=cmd_db_status, needs_catalogue=False)
    upgrade = db_sub.add_parser(
        "upgrade",
        parents=[json_flag],
        help=t("upgrade the catalogue database to this release (admins; back it up first)", lang),
    )
    upgrade.set_defaults(handler=cmd_db_upgrade, needs_catalogue=False)
