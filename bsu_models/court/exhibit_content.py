"""The content of a court exhibit package, read from one frozen scene revision.

Works on a frozen scene of the catalogue: its ``SceneDoc`` at the frozen revision, the model
version it stands on (``VersionInfo``) and the case. ``ExhibitBuilder`` renders a print-resolution
still per step, works out entity positions in metres (east / north / height), measurements and
sightline verdicts, and assembles the payload files (stills, ``scene.json``, ``model.glb``, the
offline viewer's data, ``README.txt`` and the exhibit book's ``ExhibitBook``) with the bag-info
fields. The package's fixed words and text formats are in ``bsu_models.court.exhibit_words``, the
model version's frame and facts in ``bsu_models.court.exhibit_facts``; packaging, writing and
checking the package are in ``bsu_models.court.exhibit``.

A package is written in one language (``lang``, one of ``bsu_models.core.i18n.LANGUAGES``): the
book, the viewer, the stills' own words and README.txt; ``bag-info.txt`` records it as
``Exhibit-Language``. User text (names, labels, narratives, references) is never translated.
``bag-info.txt`` also records the versions of the software that made the package
(``Software-VTK`` and the others of ``bsu_models.core.software``) and the lock file's hash.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np

from bsu_models import __version__
from bsu_models.core.blobstore import BlobStore
from bsu_models.core.cases import list_cases
from bsu_models.core.context import ServiceContext
from bsu_models.core.errors import InvalidInput
from bsu_models.core.i18n import DEFAULT_LANGUAGE, check_language, error_text, translator
from bsu_models.core.records import SceneInfo, VersionInfo
from bsu_models.core.software import software_fields
from bsu_models.core.versions import get_version, web_glb
from bsu_models.court.bagit_package import sha256_hex
from bsu_models.court.book_method import MethodAccount, MethodMeasurement
from bsu_models.court.book_review import frozen_review, review_fields
from bsu_models.court.exhibit_accounts import account_content, check_accounts, require_frozen
from bsu_models.court.exhibit_book import (
    BookEntity,
    BookMeasurement,
    BookSightline,
    BookStep,
    ExhibitBook,
    book_font,
    build_exhibit_book,
)
from bsu_models.court.exhibit_cctv import gather_cameras
from bsu_models.court.exhibit_facts import _frame, _model_facts
from bsu_models.court.exhibit_method import method_statement
from bsu_models.court.exhibit_signing import fingerprint, signing_key
from bsu_models.court.exhibit_stills import STILL_SIZE as STILL_SIZE
from bsu_models.court.exhibit_stills import (
    StillSettings,
    made_still,
    settings_files,
    still_settings,
)
from bsu_models.court.exhibit_video import VIDEO_PATH, VIDEO_README, exhibit_video
from bsu_models.court.exhibit_words import (
    METHOD,
    NOT_PLACED,
    NOTICE,
    PROVENANCE_WORDS,
    README_FILES,
    _date_text,
    _moment_text,
    _value_text,
    _wrap,
)
from bsu_models.court.offline_viewer import build_offline_viewer
from bsu_models.ingest.geometry import axis_vector
from bsu_models.scenes.scene_items import Step
from bsu_models.scenes.scene_model import SceneDoc
from bsu_models.scenes.service import SceneService

#: Stored files that are the upload itself (the mesh, its companions, or the archive).
ORIGINAL_ROLES = ("mesh", "companion", "archive")
MODEL_FOLDER = "model"



def viewer_model(version: VersionInfo, web: bytes, blobs: BlobStore, limit: int) -> bytes:
    """What the offline viewer embeds: the high web level, or the low one when the high one
    is over ``limit`` bytes (BSU_EXHIBIT_VIEWER_MAX_BYTES), so that a laptop in court opens it
    at once; the web copy ``web`` when the version has no levels yet. Each level names its
    original inside (``asset.extras.derived_from_sha256``)."""
    ready = [version.level(name) for name in ("high", "low")]
    levels = [level for level in ready if level is not None and level.sha256]
    for level in levels:
        if level.bytes <= limit or level is levels[-1]:
            return blobs.get_verified(str(level.sha256))
    return web

class ExhibitBuilder:
    """Builds the package of one frozen scene; every read it makes is audited as usual."""

    def __init__(
        self,
        ctx: ServiceContext,
        scene_id: int,
        actor: str,
        lang: str = DEFAULT_LANGUAGE,
        video: bool | Mapping[str, Any] = False,
        accounts: Sequence[int] = (),
    ) -> None:
        """``accounts``: further frozen scenes on the same model version, put in the exhibit
        beside this one (competing accounts), each compared with it step by step."""
        self.ctx = ctx
        self.video = video  # True, or the video's options: add data/video/sequence.mp4
        self.actor = actor
        self.lang = check_language(lang)
        self._ = translator(self.lang).gettext
        self._scenes = scenes = SceneService(ctx)
        scenes.require(scene_id, "exhibit.export")
        self.info: SceneInfo = scenes.info(scene_id)
        self.revision: int = require_frozen(self.info)
        self.stills: list[StillSettings] = []  # the render settings of each still made
        self.measured: list[MethodMeasurement] = []  # for the statement of method
        # Read first: a key that cannot be used stops the build before anything is rendered.
        self.signing_key = signing_key(ctx.settings)
        self.fingerprint = (
            fingerprint(self.signing_key.public_key()) if self.signing_key is not None else ""
        )
        scenes.confirm_for_court(scene_id)
        self.doc: SceneDoc = scenes.document(scene_id, self.revision)
        self.version = get_version(ctx, self.info.version_id)
        self.revision_sha256 = next(
            r.sha256 for r in scenes.history(scene_id) if r.number == self.revision
        )
        self.review = frozen_review(scenes, scene_id, self.revision, self.revision_sha256, lang)
        self.accounts = check_accounts(scenes, self.info, accounts, lang)

    # -- parts ----------------------------------------------------------------------------------

    def still(
        self,
        scene_id: int,
        revision: int,
        doc: SceneDoc,
        number: int | None,
        exhibit: str,
        date: str,
        *,
        name: str,
        scene_file: str,
    ) -> bytes:
        """The still of step ``number`` (None: the model alone) of a frozen scene, with the
        label of every exhibit still; its render settings are kept for the package."""
        settings = still_settings(
            doc,
            doc.step_at(number) if number is not None else None,
            number,
            still=name,
            scene_file=scene_file,
            scene_id=scene_id,
            revision=revision,
            model_version_number=self.version.number,
            exhibit=exhibit,
            date_text=date,
            language=self.lang,
            notice=self._(NOTICE),
        )
        png, made = made_still(self.ctx, self.version.version_id, settings, self.actor)
        self.stills.append(made)
        return png

    def scene_file(self, scene_id: int, revision: int) -> bytes:
        """The frozen revision as the package's scene JSON (schema bsu-scene/1)."""
        data = self._scenes.export_json(scene_id, revision, actor=self.actor)
        return (json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode()

    def _still(self, number: int | None, exhibit: str, date: str, name: str) -> bytes:
        return self.still(
            self.info.scene_id,
            self.revision,
            self.doc,
            number,
            exhibit,
            date,
            name=name,
            scene_file="scene.json",
        )

    def _entities(self, step: Step, doc: SceneDoc | None = None) -> tuple[BookEntity, ...]:
        """The entities at ``step`` of ``doc`` (this exhibit's scene unless another account)."""
        doc = doc or self.doc
        east, north, up, factor = _frame(self.version)
        base = min(float(np.asarray(corner) @ up) for corner in self.version.bounds)
        numbers: dict[str | None, int] = {s.id: n for n, s in enumerate(doc.steps, 1)}
        rows = []
        for entity in doc.entities:
            pos = doc.position(entity.id, step.id)
            metres = None
            if pos is not None and factor is not None:
                p = np.asarray(pos.point)
                metres = (
                    float(p @ east) * factor,
                    float(p @ north) * factor,
                    (float(p @ up) - base) * factor,
                )
            provenance = pos.provenance if pos is not None else None
            rows.append(
                BookEntity(
                    label=entity.label,
                    type=entity.type,
                    provenance=provenance.kind if provenance else "",
                    reference=provenance.reference if provenance else "",
                    position_m=metres,
                    model_point=pos.point if pos is not None else None,
                    heading_deg=pos.heading_deg if pos is not None else None,
                    sensitive=entity.sensitive,
                    carried_from=numbers.get(pos.carried_from) if pos is not None else None,
                )
            )
        return tuple(rows)

    def _measurements(self, step: Step | None) -> tuple[BookMeasurement, ...]:
        """The measurements of ``step``; with None, those over the whole scene (no step)."""
        rows = []
        for m in self.doc.measurements:
            if m.step != (step.id if step is not None else None):
                continue
            try:
                value = self._scenes.measure(self.info.scene_id, m, self.revision)
                text = _value_text(value, self.lang)
                self.measured.append(
                    MethodMeasurement(
                        step.title if step is not None else "",
                        m.label or m.id,
                        value.value,
                        value.uncertainty,
                        value.unit,
                    )
                )
            except InvalidInput as exc:  # e.g. an entity with no position at this step
                text = self._("not available: {reason}").format(reason=error_text(exc, self.lang))
            rows.append(BookMeasurement(m.label or m.id, m.kind.replace("_", " "), text))
        return tuple(rows)

    def _sightlines(self, number: int, step: Step) -> tuple[BookSightline, ...]:
        rows = []
        for line in self.doc.sightlines:
            if line.step != step.id or line.target.entity is None:
                continue
            observer = self.doc.entity(line.observer).label
            target = self.doc.entity(line.target.entity).label
            result = self._scenes.sightline(self.info.scene_id, observer, target, number)
            distance = _value_text(result.distance, self.lang)
            if result.visible or result.occluder is None:
                verdict = self._("clear over {distance}").format(distance=distance)
            else:
                verdict = self._blocked(result.eye_point, result.occluder, distance)
            if result.heights_message is not None:
                verdict = f"{verdict}. {result.heights_in(self.lang)}"
            rows.append(BookSightline(observer, target, verdict))
        return tuple(rows)

    def _blocked(
        self, eye: tuple[float, float, float], point: tuple[float, float, float], full: str
    ) -> str:
        """Where a sightline is blocked, in the terms of the entity table."""
        east, north, up, factor = _frame(self.version)
        base = min(float(np.asarray(corner) @ up) for corner in self.version.bounds)
        p = np.asarray(point, dtype=float)
        away = float(np.linalg.norm(p - np.asarray(eye, dtype=float)))
        if factor is None:
            where = ", ".join(f"{c:.4g}" for c in point)
            return self._(
                "blocked by the model {away} model units from the eye, at ({point}) in model "
                "units (units unknown); the target is {distance} away"
            ).format(away=f"{away:.4g}", point=where, distance=full)
        e, n, h = (
            float(p @ east) * factor,
            float(p @ north) * factor,
            (float(p @ up) - base) * factor,
        )
        return self._(
            "blocked by the model {away} m from the eye, at E / N / height {east} / {north} / "
            "{height} m; the target is {distance} away"
        ).format(
            away=f"{away * factor:.2f}",
            east=f"{e:.2f}",
            north=f"{n:.2f}",
            height=f"{h:.2f}",
            distance=full,
        )

    def _viewer_steps(self, scene_id: int, doc: SceneDoc) -> list[dict[str, Any]]:
        """Each step of an account as the offline viewer shows it: its view, layer and table."""
        steps = []
        for number, step in enumerate(doc.steps, 1):
            view = doc.view_for_step(step.id)
            layer = self._scenes.layer(scene_id, doc, step)
            steps.append(
                {
                    "number": number,
                    "title": step.title,
                    "clock": step.clock,
                    "narrative": step.narrative,
                    "camera": None if view is None else view.camera_json(),
                    "layer": layer.to_json(self.lang),
                    "entities": [
                        {
                            "label": e.label,
                            "type": e.type,
                            "provenance": self._(PROVENANCE_WORDS.get(e.provenance, NOT_PLACED)),
                            "reference": e.reference,
                            "sensitive": e.sensitive,
                        }
                        for e in self._entities(step, doc)
                        if e.model_point is not None
                    ],
                }
            )
        return steps

    def _viewer_subtitle(self, exhibit: str, scene_id: int, revision: int) -> str:
        return self._(
            "{case} · Exhibit {exhibit} · scene {scene} revision {revision} (frozen)"
        ).format(
            case=self.version.case_reference, exhibit=exhibit, scene=scene_id, revision=revision
        )

    def _viewer_data(self, exhibit: str) -> dict[str, Any]:
        version = self.version
        lo, hi = version.bounds
        diagonal = float(np.linalg.norm(np.subtract(hi, lo)))
        factor = _frame(version)[3]
        steps = self._viewer_steps(self.info.scene_id, self.doc)
        # The further accounts, each as its stills were drawn: the viewer switches between them.
        accounts = [
            {
                "title": account.doc.name,
                "subtitle": self._viewer_subtitle(exhibit, account.info.scene_id, account.revision),
                "steps": self._viewer_steps(account.info.scene_id, account.doc),
            }
            for account in self.accounts
        ]
        return {
            "title": self.doc.name,
            "subtitle": self._viewer_subtitle(exhibit, self.info.scene_id, self.revision),
            "up": list(axis_vector(version.up_axis)),
            "north": list(axis_vector(version.north_axis)),
            "eye_height": 1.6 / factor if factor else 0.01 * diagonal,
            "facts": [list(row) for row in _model_facts(version, self.lang)],
            "steps": steps,
            "accounts": accounts,
        }

    def _readme(self, exhibit: str) -> bytes:
        _ = self._
        lines = [
            _("Exhibit {exhibit}: {name}").format(exhibit=exhibit, name=self.doc.name),
            _(
                "Case {case}; scene {scene}, revision {revision} (frozen), made from model file "
                "SHA-256 {sha256}."
            ).format(
                case=self.version.case_reference,
                scene=self.info.scene_id,
                revision=self.revision,
                sha256=self.version.original_sha256,
            ),
            "",
            _("Files"),
            *(
                f"  {name:<18} {_(what)}"
                for name, what in (*README_FILES, *([VIDEO_README] if self.video else []))
            ),
            *(
                [
                    f"  {'cctv/':<18} "
                    + _("CCTV frames as kept, and the scene seen through each matched camera (PNG)")
                ]
                if self.doc.cameras
                else []
            ),
            "",
        ]
        if any(e.sensitive for e in self.doc.entities):
            lines += [
                _("SENSITIVE MATERIAL"),
                *_wrap(
                    _(
                        "This package contains sensitive material (entities marked Sensitive "
                        "in the book, scene.json and viewer.html) that is never shown in public "
                        "material. It is for the court only and must not be published or "
                        "shared beyond it."
                    ),
                    "  ",
                ),
                "",
            ]
        lines += [
            _("Dates and times are Hong Kong time, HKT (UTC+8)."),
            "",
            _("Checking the package"),
            "  " + _("In the package folder (the one holding manifest-sha256.txt):"),
            "    sha256sum -c manifest-sha256.txt",
            "  " + _("Every line must end in OK. Any BagIt validator (RFC 8493) also checks it."),
        ]
        return ("\n".join(lines) + "\n").encode()

    # -- the whole package ----------------------------------------------------------------------

    def build(self, exhibit: str) -> tuple[dict[str, bytes], dict[str, str]]:
        """The payload files and the bag-info fields."""
        now = datetime.now(UTC)
        date = _date_text(now, self.lang)
        payload: dict[str, bytes] = {}
        book_steps = []
        model_still = b""
        if not self.doc.steps:
            name = "stills/model.png"
            model_still = payload[name] = self._still(None, exhibit, date, name)
        for number, step in enumerate(self.doc.steps, 1):
            name = f"stills/step-{number:02d}.png"
            payload[name] = self._still(number, exhibit, date, name)
            book_steps.append(
                BookStep(
                    number=number,
                    title=step.title,
                    clock=step.clock,
                    narrative=step.narrative,
                    still_png=payload[name],
                    still_name=name,
                    entities=self._entities(step),
                    measurements=self._measurements(step),
                    sightlines=self._sightlines(number, step),
                )
            )
        payload["scene.json"] = self.scene_file(self.info.scene_id, self.revision)
        cctv, cameras = gather_cameras(
            self.ctx,
            self.info.scene_id,
            self.doc,
            self.revision,
            self.version,
            self.actor,
            self.lang,
        )
        payload.update(cctv)
        comparisons, account_fields = [], {}
        accounts = [
            MethodAccount(self.doc.name, self.info.scene_id, self.revision, self.revision_sha256)
        ]
        for index, account in enumerate(self.accounts, 2):
            files, comparison, fields, considered = account_content(
                self, account, index, exhibit, date, payload
            )
            payload.update(files)
            comparisons.append(comparison)
            account_fields.update(fields)
            accounts.append(considered)
        glb = web_glb(self.ctx, self.version.version_id, actor=self.actor)
        payload["model.glb"] = glb
        limit = self.ctx.settings.exhibit_viewer_max_bytes
        payload["viewer.html"] = build_offline_viewer(
            viewer_model(self.version, glb, self.ctx.blobs, limit),
            self._viewer_data(exhibit),
            self.lang,
        )
        payload["README.txt"] = self._readme(exhibit)
        if self.video:
            payload[VIDEO_PATH] = exhibit_video(
                self.ctx,
                self.info.scene_id,
                self.revision,
                exhibit=exhibit,
                date_text=date,
                actor=self.actor,
                lang=self.lang,
                options=None if self.video is True else self.video,
            )
        # The model file as uploaded, so that the stills can be made again from the package.
        for stored in self.version.files:
            if stored.role in ORIGINAL_ROLES:
                payload[f"{MODEL_FOLDER}/{stored.name}"] = self.ctx.blobs.get_verified(
                    stored.sha256
                )
        payload.update(settings_files(self.stills))
        model_files = [
            f"{MODEL_FOLDER}/{f.name}" for f in self.version.files if f.role in ORIGINAL_ROLES
        ]
        scene_measurements = self._measurements(None)  # before the statement of method uses them
        method = method_statement(
            self.version,
            self.doc,
            payload,
            model_files,
            self.measured,
            accounts,
            self.review,
            self.lang,
        )
        case = next(
            (c for c in list_cases(self.ctx) if c.reference == self.version.case_reference),
            None,
        )
        book = ExhibitBook(
            case_reference=self.version.case_reference,
            case_title=case.title if case else "",
            exhibit_number=exhibit,
            producer=self.actor,
            produced_on=_moment_text(now, self.lang),
            scene_name=self.doc.name,
            scene_id=self.info.scene_id,
            revision=self.revision,
            revision_sha256=self.revision_sha256,
            frozen_by=self.info.frozen_by,
            frozen_on=_moment_text(self.info.frozen_at, self.lang) if self.info.frozen_at else "",
            model_facts=_model_facts(self.version, self.lang),
            steps=tuple(book_steps),
            method=tuple(self._(paragraph) for paragraph in METHOD),
            package_files=tuple((f"data/{n}", sha256_hex(d)) for n, d in sorted(payload.items())),
            scene_measurements=scene_measurements,
            model_still_png=model_still,
            model_still_name="stills/model.png" if model_still else "",
            cameras=cameras,
            review=self.review,
            signing_fingerprint=self.fingerprint,
            method_statement=method,
            comparisons=tuple(comparisons),
        )
        payload["exhibit-book.pdf"] = build_exhibit_book(
            book, book_font(self.ctx.settings.font_file), self.lang
        )
        info = {
            "Source-Organization": "Briefing Support Unit",
            "External-Identifier": exhibit,
            "External-Description": f"Exhibit {exhibit}: re-enactment scene {self.doc.name!r} "
            f"on model {self.version.model_name!r}, case {self.version.case_reference}",
            "Bagging-Date": now.strftime("%Y-%m-%d"),
            "Bag-Software-Agent": f"bsu-models {__version__}",
            "BSU-Case": self.version.case_reference,
            "BSU-Exhibit": exhibit,
            "BSU-Producer": self.actor,
            "BSU-Scene-Id": str(self.info.scene_id),
            "BSU-Scene-Name": self.doc.name,
            "BSU-Scene-Revision": str(self.revision),
            "BSU-Scene-Revision-SHA256": self.revision_sha256,
            "BSU-Frozen-By": self.info.frozen_by,
            "BSU-Model-Version-Id": str(self.version.version_id),
            "BSU-Source-File": self.version.mesh_member,
            "BSU-Source-SHA256": self.version.original_sha256,
            "BSU-Model-Name": self.version.model_name,
            "BSU-Model-Version-Number": str(self.version.number),
            "BSU-Model-Files": " ".join(
                f"{MODEL_FOLDER}/{f.name}" for f in self.version.files if f.role in ORIGINAL_ROLES
            ),
            "Exhibit-Language": self.lang,
            **review_fields(self.review),
            **account_fields,
            "BSU-Signing-Key-Fingerprint": self.fingerprint or "none (unsigned)",
            # What made the stills, the book and the verdicts, so that they can be made again.
            **software_fields(),
        }
        return payload, info
