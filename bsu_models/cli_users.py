"""``bsu-models user ...``, ``case member ...`` and ``audit ...``: people, membership, audit.

Passwords are read from standard input (``--password-stdin``, one line) or asked for on the
terminal, never taken from the command line, where they would sit in the shell history.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import Any

from bsu_models.access import ROLES
from bsu_models.accounts import UserInfo
from bsu_models.audit_export import AuditFilter
from bsu_models.catalogue import Catalogue
from bsu_models.cli_scene import _emit
from bsu_models.errors import InvalidInput
from bsu_models.i18n import LANGUAGES


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    if not sys.stdin.isatty():
        raise InvalidInput("Give the password on standard input with --password-stdin.")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Again: ") != first:
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
        "locked_until": user.locked_until.isoformat() if user.locked_until else None,
    }


def cmd_user_add(cat: Catalogue, args: argparse.Namespace) -> int:
    user = cat.accounts.add_user(
        args.username, _password(args), args.role, args.display_name or "", args.language or ""
    )
    _emit(args, _user_json(user), f"Added user {user.username} ({', '.join(user.roles)})")
    return 0


def cmd_user_password(cat: Catalogue, args: argparse.Namespace) -> int:
    cat.accounts.reset_password(args.username, _password(args))
    _emit(args, {"username": args.username}, f"New password set for {args.username}.")
    return 0


def cmd_user_roles(cat: Catalogue, args: argparse.Namespace) -> int:
    cat.accounts.set_roles(args.username, args.role)
    user = cat.accounts.user_info(args.username)
    _emit(args, _user_json(user), f"{user.username}: {', '.join(user.roles) or 'no roles'}")
    return 0


def cmd_user_list(cat: Catalogue, args: argparse.Namespace) -> int:
    users = cat.accounts.list_users()
    text = "\n".join(
        f"{u.username:<20} {'active' if u.active else 'closed':<7} {','.join(u.roles):<40} "
        f"{' '.join(u.cases)}"
        for u in users
    )
    _emit(args, [_user_json(u) for u in users], text or "No users.")
    return 0


def cmd_member(cat: Catalogue, args: argparse.Namespace) -> int:
    if args.member_command == "add":
        cat.accounts.add_member(args.reference, args.username)
        text = f"{args.username} is a member of case {args.reference}."
    else:
        cat.accounts.remove_member(args.reference, args.username)
        text = f"{args.username} is no longer a member of case {args.reference}."
    _emit(args, {"case": args.reference, "username": args.username}, text)
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
    text = "\n".join(
        f"{e.event_id:>6} {e.at[:19]} {e.actor:<16} {e.action:<20} {e.object_type}:{e.object_id} "
        f"{e.outcome}"
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
    _emit(args, payload, text or "No events.")
    return 0


def cmd_audit_export(cat: Catalogue, args: argparse.Namespace) -> int:
    data = cat.audit_csv(_filter(args))
    try:
        Path(args.out).write_bytes(data)
    except OSError as exc:
        raise InvalidInput(f"{args.out}: cannot be written ({exc.strerror}).") from None
    lines = data.count(b"\n") - 1
    _emit(args, {"out": args.out, "events": lines}, f"Wrote {lines} events to {args.out}")
    return 0


def add_user_commands(sub: Any, case_commands: Any, json_flag: argparse.ArgumentParser) -> None:
    user = sub.add_parser("user", help="accounts: add, reset passwords, roles, list")
    users = user.add_subparsers(dest="user_command", required=True)
    add = users.add_parser("add", parents=[json_flag], help="add an account")
    add.add_argument("username")
    add.add_argument("--role", action="append", choices=ROLES, required=True,
                     help="a role (repeatable)")  # fmt: skip
    add.add_argument("--display-name")
    add.add_argument("--language", choices=LANGUAGES)
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    add.set_defaults(handler=cmd_user_add)
    reset = users.add_parser("reset-password", parents=[json_flag], help="set a new password")
    reset.add_argument("username")
    reset.add_argument("--password-stdin", action="store_true")
    reset.set_defaults(handler=cmd_user_password)
    roles = users.add_parser("roles", parents=[json_flag], help="replace an account's roles")
    roles.add_argument("username")
    roles.add_argument("--role", action="append", choices=ROLES, default=[])
    roles.set_defaults(handler=cmd_user_roles)
    lst = users.add_parser("list", parents=[json_flag], help="list accounts")
    lst.set_defaults(handler=cmd_user_list)

    member = case_commands.add_parser("member", help="case membership")
    members = member.add_subparsers(dest="member_command", required=True)
    for name, text in (("add", "make a user a member of a case"),
                       ("remove", "end a user's membership of a case")):  # fmt: skip
        cmd = members.add_parser(name, parents=[json_flag], help=text)
        cmd.add_argument("reference", help="case reference")
        cmd.add_argument("username")
        cmd.set_defaults(handler=cmd_member)

    audit = sub.add_parser("audit", help="read or export the audit log (auditors)")
    audits = audit.add_subparsers(dest="audit_command", required=True)
    for name, handler, text in (
        ("list", cmd_audit_list, "events, newest first"),
        ("export", cmd_audit_export, "events as CSV"),
    ):
        cmd = audits.add_parser(name, parents=[json_flag], help=text)
        cmd.add_argument("--actor")
        cmd.add_argument("--action", help="e.g. login, post, scene.change")
        cmd.add_argument("--object", help="object id")
        cmd.add_argument("--outcome", choices=("ok", "failed", "refused"))
        cmd.add_argument("--since", help="ISO date/time (UTC), e.g. 2026-11-25")
        cmd.add_argument("--until", help="ISO date/time (UTC)")
        if name == "list":
            cmd.add_argument("--limit", type=int, default=50)
        else:
            cmd.add_argument("--out", required=True, metavar="FILE.csv")
        cmd.set_defaults(handler=handler)
