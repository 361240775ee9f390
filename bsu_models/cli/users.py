"""``bsu-models user ...`` and ``audit ...``: people and the audit log (membership commands are
in ``bsu_models.cli.members``).

Passwords are read from standard input (``--password-stdin``, one line) or asked for on the
terminal, never taken from the command line, where they would sit in the shell history.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from bsu_models.catalogue import Catalogue
from bsu_models.cli.members import add_member_commands
from bsu_models.cli.scene import _emit, _lang, _pad
from bsu_models.core.access import ROLES
from bsu_models.core.audit_export import AuditFilter
from bsu_models.core.errors import InvalidInput
from bsu_models.core.i18n import DEFAULT_LANGUAGE, LANGUAGES, N_, format_datetime, t
from bsu_models.people.accounts import UserInfo


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    lang = _lang(args)
    if not sys.stdin.isatty():
        raise InvalidInput("Give the password on standard input with --password-stdin.")
    first = getpass.getpass(t("Password: ", lang))
    if getpass.getpass(t("Again: ", lang)) != first:
        raise InvalidInput("The two passwords differ.")
    return first


def _user_json(user: UserInfo) -> dict[str, Any]:
    return {
        "username": user.username,
        "display_name": user.display_name,
        "roles": list(user.roles),
        "language": user.language,
        "active": user.active,
        "cases": list(user.cases),
        "lead_cases": list(user.lead_cases),
        "locked_until": user.locked_until.isoformat() if user.locked_until else None,
    }


def cmd_user_add(cat: Catalogue, args: argparse.Namespace) -> int:
    user = cat.accounts.add_user(
        args.username, _password(args), args.role, args.display_name or "", args.language or ""
    )
    text = t("Added user {username} ({roles})", _lang(args)).format(
        username=user.username, roles=", ".join(user.roles)
    )
    _emit(args, _user_json(user), text)
    return 0


def cmd_user_password(cat: Catalogue, args: argparse.Namespace) -> int:
    cat.accounts.reset_password(args.username, _password(args))
    text = t("New password set for {username}.", _lang(args)).format(username=args.username)
    _emit(args, {"username": args.username}, text)
    return 0


def cmd_user_roles(cat: Catalogue, args: argparse.Namespace) -> int:
    cat.accounts.set_roles(args.username, args.role)
    user = cat.accounts.user_info(args.username)
    roles = ", ".join(user.roles) or t("no roles", _lang(args))
    _emit(args, _user_json(user), f"{user.username}: {roles}")
    return 0


def cmd_user_list(cat: Catalogue, args: argparse.Namespace) -> int:
    users = cat.accounts.list_users()
    lang = _lang(args)
    text = "\n".join(
        f"{u.username:<20} {_pad(t('active', lang) if u.active else t('closed', lang), 7)} "
        f"{','.join(u.roles):<40} {' '.join(u.cases)}"
        for u in users
    )
    _emit(args, [_user_json(u) for u in users], text or t("No users.", lang))
    return 0


def _filter(args: argparse.Namespace) -> AuditFilter:
    return AuditFilter(
        actor=args.actor or "",
        action=args.action or "",
        object_id=args.object or "",
        outcome=args.outcome or "",
        since=args.since or "",
        until=args.until or "",
    )


def cmd_audit_list(cat: Catalogue, args: argparse.Namespace) -> int:
    events = cat.audit_events(args.limit, _filter(args))
    lang = _lang(args)
    text = "\n".join(
        f"{e.event_id:>6} {_when(e.at, lang)} {e.actor:<16} {e.action:<20} "
        f"{e.object_type}:{e.object_id} {e.outcome}"
        for e in events
    )
    payload = [
        {
            "event_id": e.event_id,
            "at": e.at,
            "actor": e.actor,
            "action": e.action,
            "object_type": e.object_type,
            "object_id": e.object_id,
            "object_sha256": e.object_sha256,
            "outcome": e.outcome,
            "details": e.details,
            "hash": e.hash,
        }
        for e in events
    ]
    _emit(args, payload, text or t("No events.", lang))
    return 0


def cmd_audit_head(cat: Catalogue, args: argparse.Namespace) -> int:
    head = cat.audit_head()
    text = t("Audit head: event {event} {hash} at {at}", _lang(args)).format(
        event=head.event_id, hash=head.hash, at=_when(head.at, _lang(args)) if head.at else "-"
    )
    _emit(args, {"event_id": head.event_id, "hash": head.hash, "at": head.at}, text)
    return 0


def cmd_audit_export(cat: Catalogue, args: argparse.Namespace) -> int:
    data = cat.audit_csv(_filter(args))
    try:
        Path(args.out).write_bytes(data)
    except OSError as exc:
        raise InvalidInput(
            "{path}: cannot be written ({reason}).", path=args.out, reason=exc.strerror
        ) from None
    lines = data.count(b"\n") - 1
    text = t("Wrote {count} events to {out}", _lang(args)).format(count=lines, out=args.out)
    _emit(args, {"out": args.out, "events": lines}, text)
    return 0


def _when(at: str, lang: str) -> str:
    """An audit event's time (ISO, UTC) in Hong Kong time; the raw text if it is not ISO."""
    try:
        return format_datetime(datetime.fromisoformat(at), lang, seconds=True)
    except ValueError:
        return at[:19]


def add_user_commands(
    sub: Any, case_commands: Any, json_flag: argparse.ArgumentParser, lang: str = DEFAULT_LANGUAGE
) -> None:
    user = sub.add_parser("user", help=t("accounts: add, reset passwords, roles, list", lang))
    users = user.add_subparsers(dest="user_command", required=True)
    add = users.add_parser("add", parents=[json_flag], help=t("add an account", lang))
    add.add_argument("username")
    add.add_argument("--role", action="append", choices=ROLES, required=True,
                     help=t("a role (repeatable)", lang))  # fmt: skip
    add.add_argument("--display-name")
    add.add_argument("--language", choices=LANGUAGES)
    add.add_argument(
        "--password-stdin", action="store_true", help=t("read the password from stdin", lang)
    )
    add.set_defaults(handler=cmd_user_add)
    reset = users.add_parser(
        "reset-password", parents=[json_flag], help=t("set a new password", lang)
    )
    reset.add_argument("username")
    reset.add_argument("--password-stdin", action="store_true")
    reset.set_defaults(handler=cmd_user_password)
    roles = users.add_parser(
        "roles", parents=[json_flag], help=t("replace an account's roles", lang)
    )
    roles.add_argument("username")
    roles.add_argument("--role", action="append", choices=ROLES, default=[])
    roles.set_defaults(handler=cmd_user_roles)
    lst = users.add_parser("list", parents=[json_flag], help=t("list accounts", lang))
    lst.set_defaults(handler=cmd_user_list)

    add_member_commands(case_commands, json_flag, lang)

    audit = sub.add_parser("audit", help=t("read or export the audit log (auditors)", lang))
    audits = audit.add_subparsers(dest="audit_command", required=True)
    for name, handler, text in (
        ("list", cmd_audit_list, N_("events, newest first")),
        ("export", cmd_audit_export, N_("events as CSV")),
    ):
        cmd = audits.add_parser(name, parents=[json_flag], help=t(text, lang))
        cmd.add_argument("--actor")
        cmd.add_argument("--action", help=t("e.g. login, post, scene.change", lang))
        cmd.add_argument("--object", help=t("object id", lang))
        cmd.add_argument("--outcome", choices=("ok", "failed", "refused"))
        cmd.add_argument("--since", help=t("ISO date/time (UTC), e.g. 2026-11-25", lang))
        cmd.add_argument("--until", help=t("ISO date/time (UTC)", lang))
        if name == "list":
            cmd.add_argument("--limit", type=int, default=50)
        else:
            cmd.add_argument("--out", required=True, metavar="FILE.csv")
        cmd.set_defaults(handler=handler)
    head = audits.add_parser(
        "head",
        parents=[json_flag],
        help=t("the chain's last event and hash, to keep outside this server", lang),
    )
    head.set_defaults(handler=cmd_audit_head)
