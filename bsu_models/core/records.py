"""Frozen values that cross the boundary of ``bsu_models``: what the CLI and web pages see.

No ORM row, SQL or file path ever leaves the package; these small dataclasses do.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from bsu_models.core.errors import Message
from bsu_models.core.i18n import localise


@dataclass(frozen=True)
class CaseInfo:
    reference: str
    title: str
    status: str
    created_at: datetime
    model_count: int = 0


@dataclass(frozen=True)
class StoredFileInfo:
    role: str
    name: str
    sha256: str
    size_bytes: int
    media_type: str
    derived_from_sha256: str | None = None


#: How a sentence names a stored file of each role (roles not listed: the role itself).
FILE_ROLE_NAMES: dict[str, Message] = {
    "geometry": Message("geometry"),
    "thumbnail": Message("thumbnail"),
    "web_glb": Message("web glb"),
}


def file_role_name(role: str) -> str | Message:
    """What a sentence calls a stored file of ``role`` (translatable where it is known)."""
    return FILE_ROLE_NAMES.get(role, role.replace("_", " "))


#: Web derivative levels of each version, smallest first (budgets in bsu_models.ingest.levels).
WEB_LEVELS = ("low", "high")


@dataclass(frozen=True)
class LevelInfo:
    """One web derivative level of a version; ``status`` "ready", "failed" or "pending" (not
    built yet). ``sha256`` is None unless ready; ``texture_px`` is the longest side or None."""

    level: str
    status: str
    faces: int = 0
    bytes: int = 0
    sha256: str | None = None
    texture_px: int | None = None
    texture_format: str | None = None
    tools: dict[str, Any] = field(default_factory=dict)
    warning: str | Message | None = None

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "warning": None if self.warning is None else str(self.warning)}


@dataclass(frozen=True)
class VersionInfo:
    """One immutable version of a landmark model, with its mesh facts."""

    version_id: int
    model_id: int
    case_reference: str
    model_name: str
    location: str
    description: str
    tags: tuple[str, ...]
    number: int
    original_sha256: str
    original_name: str
    mesh_member: str
    format: str
    size_bytes: int
    uploaded_by: str
    uploaded_at: datetime
    vertices: int
    faces: int
    bounds: tuple[tuple[float, float, float], tuple[float, float, float]]
    watertight: bool
    surface_area: float
    has_texture: bool
    units: str
    scale: str
    real_world_extent_m: tuple[float, float, float] | None
    up_axis: str = "+z"
    north_axis: str = "+y"
    #: Shown with ``localise``; ``str()`` gives the English.
    warnings: tuple[str | Message, ...] = ()
    files: tuple[StoredFileInfo, ...] = field(default=(), repr=False)
    #: Where the model's origin is on Earth (WGS84 degrees); None until located.
    latitude_deg: float | None = None
    longitude_deg: float | None = None
    web_levels: tuple[LevelInfo, ...] = field(default=(), repr=False)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["uploaded_at"] = self.uploaded_at.isoformat()
        data["web_levels"] = [level.to_json() for level in self.web_levels]
        return data

    def level(self, name: str) -> LevelInfo | None:
        """The web level ``name`` if it is ready."""
        for level in self.web_levels:
            if level.level == name and level.status == "ready":
                return level
        return None

    @property
    def real_world_size(self) -> tuple[float, float, float] | None:
        """(east-west, north-south, height) in metres on site, or None when unknown."""
        if self.real_world_extent_m is None:
            return None
        axis = {"x": 0, "y": 1, "z": 2}
        up, north = axis[self.up_axis[1]], axis[self.north_axis[1]]
        (east,) = {0, 1, 2} - {up, north}
        extent = self.real_world_extent_m
        return extent[east], extent[north], extent[up]


@dataclass(frozen=True)
class ModelSummary:
    """A landmark model with its latest version, for catalogue listings."""

    model_id: int
    case_reference: str
    name: str
    location: str
    tags: tuple[str, ...]
    version_count: int
    latest: VersionInfo


@dataclass(frozen=True)
class ImportResult:
    """What an import stored."""

    version: VersionInfo
    created_model: bool

    def to_json(self) -> dict[str, Any]:
        v = self.version
        return {
            "model_id": v.model_id,
            "version_id": v.version_id,
            "version_number": v.number,
            "sha256": v.original_sha256,
            "format": v.format,
            "vertices": v.vertices,
            "faces": v.faces,
            "bounds": v.bounds,
            "units": v.units,
            "scale": v.scale,
            "real_world_extent_m": v.real_world_extent_m,
            "watertight": v.watertight,
            "has_texture": v.has_texture,
            "warnings": [str(w) for w in v.warnings],
            "latitude_deg": v.latitude_deg,
            "longitude_deg": v.longitude_deg,
        }


@dataclass(frozen=True)
class VerifyReport:
    """Outcome of ``verify``: one sentence per problem found.

    ``problems`` are the English sentences (what ``verify --json`` and logs show); ``findings``
    are the same sentences, in the same order, as messages to show in the user's language
    (``bsu_models.core.i18n.localise``).
    """

    problems: tuple[str, ...]
    blobs_checked: int
    rows_checked: int
    audit_events_checked: int
    findings: tuple[Message, ...] = ()
    # Bytes without a row (left by an interrupted import): not corruption; ``gc`` removes them.
    cleanable: tuple[str, ...] = ()
    cleanable_findings: tuple[Message, ...] = ()
    blobs_rehashed: int | None = None  # of ``blobs_checked``; fewer with ``verify --sample``

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class AuditHead:
    """The audit chain's newest event: what to anchor outside the server."""

    event_id: int
    hash: str
    at: str  # ISO-8601 UTC as stored; "" on an empty chain


@dataclass(frozen=True)
class AuditEvent:
    event_id: int
    at: str
    actor: str
    action: str
    object_type: str
    object_id: str
    object_sha256: str | None
    outcome: str
    details: dict[str, Any]
    hash: str


@dataclass(frozen=True)
class SceneInfo:
    """A scene and where it stands."""

    scene_id: int
    name: str
    version_id: int
    case_reference: str
    model_name: str
    revision: int
    created_by: str
    created_at: datetime
    updated_by: str
    updated_at: datetime
    frozen_revision: int | None = None  # set once the scene is frozen for court
    frozen_by: str = ""
    frozen_at: datetime | None = None
    archived: bool = False  # put aside: listed only when asked for; never deleted

    @property
    def frozen(self) -> bool:
        return self.frozen_revision is not None


@dataclass(frozen=True)
class RevisionInfo:
    number: int
    author: str
    created_at: datetime
    summary: str
    sha256: str


@dataclass(frozen=True)
class ReviewInfo:
    """A technical review of one scene revision: who, when, each checklist item's finding
    (``(item, finding)``) and the decision (``approved`` or ``rejected``)."""

    review_id: int
    scene_id: int
    revision: int
    revision_sha256: str
    reviewer: str
    checklist: tuple[tuple[str, str], ...]
    decision: str
    reviewed_at: datetime

    @property
    def approved(self) -> bool:
        return self.decision == "approved"


@dataclass(frozen=True)
class AccountDifference:
    """One entity at one step of two accounts (scenes) compared: where each placed it and how far
    apart (None when one of them did not place it there)."""

    step: int  # 1-based, in each scene's own order
    step_a: str  # the step's title in account A ("" when A has no such step)
    step_b: str
    label_a: str  # the entity's label in A ("" when only B has it)
    label_b: str
    matched_by: str  # "id" | "label" | "" (only in one account)
    placed_a: bool
    placed_b: bool
    distance: MeasuredValue | None


@dataclass(frozen=True)
class AccountsComparison:
    """Two scenes on the same model version compared step by step, entity by entity."""

    scene_a: int
    scene_b: int
    name_a: str
    name_b: str
    revision_a: int
    revision_b: int
    sha256_a: str
    sha256_b: str
    version_id: int
    rows: tuple[AccountDifference, ...]


@dataclass(frozen=True)
class MeasuredValue:
    """A measurement in real-world units where the version's units and scale are known.

    ``unit`` is ``"m"`` or ``"°"``; when the units are unknown, lengths come in ``"model units"``
    and ``units_known`` is False, so no caller can mistake them for metres.
    """

    kind: str
    label: str
    value: float
    uncertainty: float
    unit: str
    units_known: bool
    basis: str  # what the value and the ± rest on, in words
    #: ``label`` as a message, where the label is made of words (``W1 to V1``); else None.
    label_message: Message | None = None

    @property
    def message(self) -> Message:
        """The value and its ± as a message: ``str()`` is :attr:`text`."""
        if self.unit == "°":
            return Message(
                "{value}° ± {uncertainty}°",
                value=f"{self.value:.1f}",
                uncertainty=f"{self.uncertainty:.1f}",
            )
        if not self.units_known:
            return Message(
                "{value} ± {uncertainty} model units "
                "(units unknown: set the version's units and scale for metres)",
                value=f"{self.value:.4g}",
                uncertainty=f"{self.uncertainty:.2g}",
            )
        # Enough decimals that the ± never rounds to zero on small models.
        decimals = 2 if self.uncertainty >= 0.005 else 3 if self.uncertainty >= 0.0005 else 4
        return Message(
            "{value} m ± {uncertainty} m",
            value=f"{self.value:.{decimals}f}",
            uncertainty=f"{self.uncertainty:.{decimals}f}",
        )

    @property
    def text(self) -> str:
        """The value and its ± in English (what JSON output and records carry)."""
        return str(self.message)

    def text_in(self, lang: str) -> str:
        """:attr:`text` in ``lang`` (one of ``bsu_models.core.i18n.LANGUAGES``)."""
        return localise(self.message, lang)

    def label_in(self, lang: str) -> str:
        """:attr:`label` in ``lang``: its words translated, entity labels as they are."""
        return localise(self.label_message or self.label, lang)


@dataclass(frozen=True)
class SightlineResult:
    observer: str
    target: str
    step: str
    visible: bool
    eye_point: tuple[float, float, float]
    target_point: tuple[float, float, float]
    occluder: tuple[float, float, float] | None
    distance: MeasuredValue
    #: The sun at the step's time, when the scene has a date and the version a place (else
    #: all None): when, where it was, whether the target point was in direct sun, and glare
    #: (the observer looking within 20° of a sun they can see).
    sun_at: datetime | None = None
    sun_azimuth_deg: float | None = None
    sun_elevation_deg: float | None = None
    target_in_sun: bool | None = None
    glare: bool | None = None
    angle_to_sun_deg: float | None = None
    #: The observer's eye height above its point and the target's face height, metres, and
    #: where each comes from ("step", "stated_height" or "default"); None: the entity's point.
    eye_height_m: float | None = None
    eye_height_source: str | None = None
    target_height_m: float | None = None
    target_height_source: str | None = None
    #: Those heights and their sources in words (translate with ``localise``).
    heights_message: Message | None = field(default=None, compare=False)

    def heights_in(self, lang: str) -> str:
        """The eye and face heights in words in ``lang``; "" when neither end has one."""
        return "" if self.heights_message is None else localise(self.heights_message, lang)


@dataclass(frozen=True)
class FrameInfo:
    """A CCTV frame kept as evidence for a camera entity of a scene."""

    scene_id: int
    entity_id: str
    sha256: str
    name: str
    size_bytes: int
    media_type: str
    width: int
    height: int
    camera_ref: str  # the CCTV system's name of the camera
    recorded_at: str  # the time on the footage, as given
    exhibit: str
    uploaded_by: str
    uploaded_at: datetime


@dataclass(frozen=True)
class CctvReading:
    """A place read off a CCTV frame: where the line of sight through ``pixel`` meets the
    model, with its ± (model units, about 95 %: two standard deviations)."""

    point: tuple[float, float, float]
    uncertainty: float
    frame_sha256: str
    pixel: tuple[float, float]
    revision: int | None = None  # the scene revision it was placed in, if placed


@dataclass(frozen=True)
class JobInfo:
    """One job: heavy work asked for by ``actor`` on case ``case_reference``. ``status`` is
    "queued", "running", "done" or "failed"; ``progress`` runs 0..1 with ``stage`` saying what
    it is doing; ``result`` names what it made (blob SHA-256 keys and facts); ``error`` is the
    plain sentence of a failed job."""

    job_id: int
    kind: str
    parameters: dict[str, Any]
    actor: str
    case_reference: str | None
    status: str
    progress: float
    stage: Message | None
    attempts: int
    result: dict[str, Any] | None
    error: Message | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @property
    def finished(self) -> bool:
        return self.status in ("done", "failed")
