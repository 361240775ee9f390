"""``bsu-models case member ...`` and ``case lead ...``: case membership under separation of
duties (``bsu_models.people.membership``).

A lead of the case adds members (and leads) at once; an admin's ``case member add`` is a request
that a second admin approves (``case member approve``) or rejects (``case member reject``);
``case member requests`` lists those waiting.
"""

from __future__ import annotations

import argparse
from typing import Any

from bsu_models.catalogue import Catalogue
from bsu_models.cli.scene import _emit, _lang
from bsu_models.core.i18n import DEFAULT_LANGUAGE, N_, format_datetime, t
from bsu_models.people.membership import MembershipRequest


def _request_json(request: MembershipRequest) -> dict[str, Any]:
    return {
        "request_id": request.request_id,
        "case": request.case_reference,
        "username": request.username,
        "lead": request.lead,
        "requested_by": request.requested_by,
        "requested_at": request.requested_at.isoformat(),
        "status": request.status,
    }


def _granted(args: argparse.Namespace, request: MembershipRequest | None, lead: bool) -> None:
    lang = _lang(args)
    payload: dict[str, Any] = {"case": args.reference, "username": args.username}
    if request is None:
        message = (
            t("{username} is a member and a lead of case {reference}.", lang)
            if lead
            else t("{username} is a member of case {reference}.", lang)
        )
        payload["status"] = "member"
    else:
        message = t(
            "Request {request}: {username} becomes a member of case {reference} when a second "
            "admin approves (bsu-models case member approve {reference} {username}).",
            lang,
        )
        payload.update(status="pending", request_id=request.request_id)
    text = message.format(
        username=args.username, reference=args.reference,
        request=request.request_id if request else "",
    )  # fmt: skip
    _emit(args, payload, text)


def cmd_member(cat: Catalogue, args: argparse.Namespace) -> int:
    lang = _lang(args)
    if args.member_command == "add":
        _granted(args, cat.accounts.add_member(args.reference, args.username, args.lead),
                 args.lead)  # fmt: skip
        return 0
    if args.member_command == "remove":
        cat.accounts.remove_member(args.reference, args.username)
        message = t("{username} is no longer a member of case {reference}.", lang)
    elif args.member_command == "approve":
        cat.memberships.approve(args.reference, args.username)
        message = t("Approved: {username} is a member of case {reference}.", lang)
    else:
        cat.memberships.reject(args.reference, args.username)
        message = t("Rejected: {username} does not become a member of case {reference}.", lang)
    text = message.format(username=args.username, reference=args.reference)
    _emit(args, {"case": args.reference, "username": args.username}, text)
    return 0


def _request_text(request: MembershipRequest, lang: str) -> str:
    return t(
        "{request}: {username} for case {reference}{lead}, asked by {admin} on {when}", lang
    ).format(
        request=request.request_id,
        username=request.username,
        reference=request.case_reference,
        lead=t(" (as a lead)", lang) if request.lead else "",
        admin=request.requested_by,
        when=format_datetime(request.requested_at, lang),
    )


def cmd_requests(cat: Catalogue, args: argparse.Namespace) -> int:
    lang = _lang(args)
    requests = cat.memberships.requests()
    text = "\n".join(_request_text(r, lang) for r in requests)
    _emit(args, [_request_json(r) for r in requests], text or t("No requests wait.", lang))
    return 0


def cmd_lead(cat: Catalogue, args: argparse.Namespace) -> int:
    if args.remove:
        cat.memberships.end_lead(args.reference, args.username)
        text = t("{username} no longer leads case {reference}.", _lang(args)).format(
            username=args.username, reference=args.reference
        )
        _emit(args, {"case": args.reference, "username": args.username, "lead": False}, text)
        return 0
    _granted(args, cat.memberships.make_lead(args.reference, args.username), True)
    return 0


def add_member_commands(
    case_commands: Any, json_flag: argparse.ArgumentParser, lang: str = DEFAULT_LANGUAGE
) -> None:
    member = case_commands.add_parser("member", help=t("case membership", lang))
    members = member.add_subparsers(dest="member_command", required=True)
    for name, text in (
        ("add", N_("make a user a member of a case (an admin's request waits for a second)")),
        ("remove", N_("end a user's membership of a case")),
        ("approve", N_("approve another admin's request to add a member")),
        ("reject", N_("reject a request to add a member")),
    ):
        cmd = members.add_parser(name, parents=[json_flag], help=t(text, lang))
        cmd.add_argument("reference", help=t("case reference", lang))
        cmd.add_argument("username")
        if name == "add":
            cmd.add_argument("--lead", action="store_true",
                             help=t("also make them a lead of the case", lang))  # fmt: skip
        cmd.set_defaults(handler=cmd_member)
    requests = members.add_parser(
        "requests", parents=[json_flag], help=t("membership requests waiting for approval", lang)
    )
    requests.set_defaults(handler=cmd_requests)

    lead = case_commands.add_parser(
        "lead", parents=[json_flag], help=t("make a member a lead of a case (or --remove)", lang)
    )
    lead.add_argument("reference", help=t("case reference", lang))
    lead.add_argument("username")
    lead.add_argument("--remove", action="store_true",
                      help=t("the user stays a member but no longer leads", lang))  # fmt: skip
    lead.set_defaults(handler=cmd_lead)
