"""``bsu-models scene review``, ``scene reviews`` and ``scene compare-accounts``: the court's
foundation of a scene (technical review before freezing; competing accounts side by side).

A reviewer records a finding for every checklist item (``--positions``, ``--measurements``,
``--views``, ``--captions``) and ``--approve`` or ``--reject`` the scene's current revision;
``scene freeze`` then needs that approval. Flags and ``--json`` keys are a public interface.
"""

from __future__ import annotations

import argparse
from typing import Any

from bsu_models.catalogue import Catalogue
from bsu_models.cli.scene import _emit, _lang, _pad, _value_json
from bsu_models.core.i18n import DEFAULT_LANGUAGE, format_datetime, t
from bsu_models.core.records import AccountDifference, ReviewInfo
from bsu_models.scenes.scene_accounts import MATCH_WORDS, account_text
from bsu_models.scenes.scene_review import CHECKLIST, DECISION_WORDS


def _review_json(review: ReviewInfo) -> dict[str, Any]:
    return {
        "review_id": review.review_id,
        "scene_id": review.scene_id,
        "revision": review.revision,
        "revision_sha256": review.revision_sha256,
        "reviewer": review.reviewer,
        "decision": review.decision,
        "checklist": [{"item": item, "finding": text} for item, text in review.checklist],
        "reviewed_at": review.reviewed_at.isoformat(),
    }


def cmd_review(cat: Catalogue, args: argparse.Namespace) -> int:
    findings = {item: getattr(args, item) or "" for item in CHECKLIST}
    decision = "approved" if args.approve else "rejected"
    review = cat.scenes.review(args.scene_id, decision, findings, args.revision)
    lang = _lang(args)
    text = (
        t("Scene {scene_id} revision {revision} approved by {reviewer}.", lang)
        if review.approved
        else t("Scene {scene_id} revision {revision} rejected by {reviewer}.", lang)
    )
    _emit(
        args,
        _review_json(review),
        text.format(scene_id=review.scene_id, revision=review.revision, reviewer=review.reviewer),
    )
    return 0


def cmd_reviews(cat: Catalogue, args: argparse.Namespace) -> int:
    reviews = cat.scenes.reviews(args.scene_id)
    lang = _lang(args)
    lines = []
    for r in reviews:
        lines.append(
            f"r{r.revision:<4} {format_datetime(r.reviewed_at, lang)} {r.reviewer:<16} "
            f"{t(DECISION_WORDS[r.decision], lang)}"
        )
        lines += [f"      {item}: {finding}" for item, finding in r.checklist]
    _emit(
        args,
        [_review_json(r) for r in reviews],
        "\n".join(lines) or t("No reviews.", lang),
    )
    return 0


def add_review_commands(
    scene_commands: Any, json_flag: argparse.ArgumentParser, lang: str = DEFAULT_LANGUAGE
) -> None:
    review = scene_commands.add_parser(
        "review",
        parents=[json_flag],
        help=t("technical review of the current revision before it is frozen", lang),
    )
    review.add_argument("scene_id", type=int, metavar="ID")
    decision = review.add_mutually_exclusive_group(required=True)
    decision.add_argument("--approve", action="store_true", help=t("approve the revision", lang))
    decision.add_argument("--reject", action="store_true", help=t("reject the revision", lang))
    for item, words in CHECKLIST.items():
        review.add_argument(f"--{item}", required=True, metavar="FINDING", help=t(words, lang))
    review.add_argument(
        "--revision", type=int, metavar="N", help=t("must be the current revision", lang)
    )
    review.set_defaults(handler=cmd_review)

    listing = scene_commands.add_parser(
        "reviews", parents=[json_flag], help=t("technical reviews of a scene", lang)
    )
    listing.add_argument("scene_id", type=int, metavar="ID")
    listing.set_defaults(handler=cmd_reviews)

    accounts = scene_commands.add_parser(
        "compare-accounts",
        parents=[json_flag],
        help=t("two accounts (scenes on one model version) side by side, step by step", lang),
    )
    accounts.add_argument("scene_a", type=int, metavar="A")
    accounts.add_argument("scene_b", type=int, metavar="B")
    accounts.set_defaults(handler=cmd_compare_accounts)


def _account_row_json(row: AccountDifference) -> dict[str, Any]:
    return {
        "step": row.step,
        "step_a": row.step_a,
        "step_b": row.step_b,
        "entity_a": row.label_a,
        "entity_b": row.label_b,
        "matched_by": row.matched_by,
        "placed_a": row.placed_a,
        "placed_b": row.placed_b,
        "distance": None if row.distance is None else _value_json(row.distance),
    }


def cmd_compare_accounts(cat: Catalogue, args: argparse.Namespace) -> int:
    result = cat.scenes.compare_accounts(args.scene_a, args.scene_b)
    lang = _lang(args)
    payload = {
        "scene_a": {
            "scene_id": result.scene_a,
            "name": result.name_a,
            "revision": result.revision_a,
            "sha256": result.sha256_a,
        },
        "scene_b": {
            "scene_id": result.scene_b,
            "name": result.name_b,
            "revision": result.revision_b,
            "sha256": result.sha256_b,
        },
        "version_id": result.version_id,
        "steps_matched_by": "number",
        "entities_matched_by": "id, else label",
        "rows": [_account_row_json(row) for row in result.rows],
    }
    head = t(
        "Account A: scene {a} ({name_a}) revision {revision_a}; account B: scene {b} "
        "({name_b}) revision {revision_b}; model version {version}.",
        lang,
    ).format(
        a=result.scene_a,
        name_a=result.name_a,
        revision_a=result.revision_a,
        b=result.scene_b,
        name_b=result.name_b,
        revision_b=result.revision_b,
        version=result.version_id,
    )
    lines = [
        head,
        t("Steps are paired by number; entities by id, else by the same label.", lang),
        "",
    ]
    for row in result.rows:
        label = row.label_a or row.label_b
        if row.label_a and row.label_b and row.label_a != row.label_b:
            label = f"{row.label_a} / {row.label_b}"
        matched = t(MATCH_WORDS[row.matched_by], lang)
        lines.append(
            f"{row.step:>3}  {_pad(label, 28)} {_pad(matched, 14)} {account_text(row, lang)}"
        )
    _emit(args, payload, "\n".join(lines))
    return 0
