"""Further accounts in a court exhibit (``bsu-models exhibit A --with B``).

Each further account is a frozen scene on the same model version as the exhibit's own scene,
checked for court like it. The package carries its scene JSON and one still per step (with
render settings, so that ``exhibit-verify --rerender`` makes them again) under
``accounts/scene-<id>/``; the book gets the comparison pages (``bsu_models.court.book_accounts``:
the two accounts' stills as a pair and the table of differences of
``SceneService.compare_accounts``); ``bag-info.txt`` names each account, its revision, SHA-256
and review.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bsu_models.core.errors import Conflict, InvalidInput
from bsu_models.core.i18n import translator
from bsu_models.core.records import SceneInfo
from bsu_models.court.book_accounts import BookComparison, BookComparisonStep
from bsu_models.court.book_method import MethodAccount
from bsu_models.court.book_review import BookReview, frozen_review
from bsu_models.scenes.scene_accounts import MATCH_WORDS, account_text, require_same_version
from bsu_models.scenes.scene_model import SceneDoc
from bsu_models.scenes.service import SceneService

if TYPE_CHECKING:
    from bsu_models.court.exhibit_content import ExhibitBuilder


@dataclass(frozen=True)
class Account:
    info: SceneInfo
    doc: SceneDoc
    revision: int
    sha256: str
    review: BookReview | None


def require_frozen(info: SceneInfo) -> int:
    """The frozen revision of the scene; ``Conflict`` when it is not frozen for court."""
    if info.frozen_revision is None:
        raise Conflict(
            "Scene {scene_id} ({name}) is not frozen for court; freeze it first "
            "(bsu-models scene freeze {scene_id}, or Freeze on the Presentation page).",
            scene_id=info.scene_id,
            name=info.name,
        )
    return info.frozen_revision


def check_accounts(
    scenes: SceneService, main: SceneInfo, others: Sequence[int], lang: str
) -> list[Account]:
    """The further accounts, each frozen, on the main scene's model version and checked for
    court; refused plainly otherwise."""
    accounts = []
    for scene_id in dict.fromkeys(others):
        if scene_id == main.scene_id:
            raise InvalidInput(
                "Scene {scene_id} is the exhibit's own scene; --with names further accounts.",
                scene_id=scene_id,
            )
        scenes.require(scene_id, "exhibit.export")
        info = scenes.info(scene_id)
        revision = require_frozen(info)
        require_same_version(main, info)
        scenes.confirm_for_court(scene_id)
        sha = next(r.sha256 for r in scenes.history(scene_id) if r.number == revision)
        accounts.append(
            Account(
                info,
                scenes.document(scene_id, revision),
                revision,
                sha,
                frozen_review(scenes, scene_id, revision, sha, lang),
            )
        )
    return accounts


def account_content(
    builder: ExhibitBuilder,
    account: Account,
    index: int,
    exhibit: str,
    date: str,
    payload: Mapping[str, bytes],
) -> tuple[dict[str, bytes], BookComparison, dict[str, str], MethodAccount]:
    """The account's files, its comparison pages, its bag-info fields and its line in the
    statement of method. ``payload`` holds the main scene's stills already."""
    _ = translator(builder.lang).gettext
    folder = f"accounts/scene-{account.info.scene_id}"
    files = {f"{folder}/scene.json": builder.scene_file(account.info.scene_id, account.revision)}
    for number in range(1, len(account.doc.steps) + 1):
        name = f"{folder}/stills/step-{number:02d}.png"
        files[name] = builder.still(
            account.info.scene_id,
            account.revision,
            account.doc,
            number,
            exhibit,
            date,
            name=name,
            scene_file=f"{folder}/scene.json",
        )
    compared = builder._scenes.compare_accounts(
        builder.info.scene_id, account.info.scene_id, actor=builder.actor
    )
    steps = []
    for number in range(1, max(len(builder.doc.steps), len(account.doc.steps)) + 1):
        rows = [r for r in compared.rows if r.step == number]
        a_name = f"stills/step-{number:02d}.png"
        b_name = f"{folder}/stills/step-{number:02d}.png"
        steps.append(
            BookComparisonStep(
                number=number,
                title_a=rows[0].step_a if rows else _title(builder.doc, number),
                title_b=rows[0].step_b if rows else _title(account.doc, number),
                still_a=payload.get(a_name, b""),
                still_a_name=a_name,
                still_b=files.get(b_name, b""),
                still_b_name=b_name,
                rows=tuple(
                    (
                        _label(r.label_a, r.label_b),
                        _(MATCH_WORDS[r.matched_by]),
                        account_text(r, builder.lang),
                    )
                    for r in rows
                ),
            )
        )
    comparison = BookComparison(
        builder.doc.name,
        builder.info.scene_id,
        builder.revision,
        account.doc.name,
        account.info.scene_id,
        account.revision,
        tuple(steps),
    )
    review = account.review
    fields = {
        f"BSU-Account-{index}": f"scene {account.info.scene_id} ({account.doc.name}) revision "
        f"{account.revision} SHA-256 {account.sha256}",
        f"BSU-Account-{index}-Review": (
            f"{review.decision} by {review.reviewer} at {review.reviewed_at_utc}"
            if review
            else "none recorded"
        ),
    }
    considered = MethodAccount(
        account.doc.name, account.info.scene_id, account.revision, account.sha256
    )
    return files, comparison, fields, considered


def _title(doc: SceneDoc, number: int) -> str:
    return doc.steps[number - 1].title if number <= len(doc.steps) else ""


def _label(a: str, b: str) -> str:
    return a if not b or a == b else (b if not a else f"{a} / {b}")
