"""Database tables of the catalogue (SQLAlchemy 2.0 typed mappings).

Rows never leave the service layer; ``bsu_models.core.records`` holds the frozen dataclasses that
do. Files are referred to by their SHA-256 blob keys, never by path.

A table added or changed here needs a migration (``bsu_models/core/migrations``; see
docs/migrations.md): tests/test_migrations.py fails until the migrations make what these declare.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from bsu_models.core.limits import (
    ACTOR,
    AUDIT_OBJECT_ID,
    CASE_REFERENCE,
    EXHIBIT_NUMBER,
    SSO_SUBJECT,
    USERNAME,
)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


class CaseRow(Base):
    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(CASE_REFERENCE), unique=True)
    title: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(ACTOR))

    models: Mapped[list[ModelRow]] = relationship(back_populates="case")


class ModelRow(Base):
    """A landmark model: the physical scale model, digitised into one or more versions."""

    __tablename__ = "landmark_models"
    __table_args__ = (UniqueConstraint("case_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    name: Mapped[str] = mapped_column(Text)
    location: Mapped[str] = mapped_column(Text, default="")
    description: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    case: Mapped[CaseRow] = relationship(back_populates="models")
    versions: Mapped[list[VersionRow]] = relationship(
        back_populates="model", order_by="VersionRow.number"
    )


class VersionRow(Base):
    """One immutable upload of a landmark model, with the facts measured on its mesh."""

    __tablename__ = "model_versions"
    __table_args__ = (UniqueConstraint("model_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("landmark_models.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    original_sha256: Mapped[str] = mapped_column(String(64), index=True)
    original_name: Mapped[str] = mapped_column(Text)
    mesh_member: Mapped[str] = mapped_column(Text)
    format: Mapped[str] = mapped_column(String(16))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    uploaded_by: Mapped[str] = mapped_column(String(ACTOR))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    vertices: Mapped[int] = mapped_column(BigInteger)
    faces: Mapped[int] = mapped_column(BigInteger)
    bounds: Mapped[list[list[float]]] = mapped_column(JSON)
    watertight: Mapped[bool] = mapped_column(Boolean)
    surface_area: Mapped[float] = mapped_column(Float)
    has_texture: Mapped[bool] = mapped_column(Boolean)
    units: Mapped[str] = mapped_column(String(8), default="unknown")
    scale_denominator: Mapped[float | None] = mapped_column(Float, nullable=True)
    up_axis: Mapped[str] = mapped_column(String(3), default="+z")
    north_axis: Mapped[str] = mapped_column(String(3), default="+y")
    # Each warning is a message as ``Message.to_json`` writes it (older rows: English text).
    warnings: Mapped[list[Any]] = mapped_column(JSON, default=list)

    model: Mapped[ModelRow] = relationship(back_populates="versions")
    files: Mapped[list[StoredFileRow]] = relationship(
        back_populates="version", order_by="StoredFileRow.id"
    )
    place: Mapped[VersionPlaceRow | None] = relationship(back_populates="version")
    levels: Mapped[list[WebLevelRow]] = relationship(order_by="WebLevelRow.id")


class StoredFileRow(Base):
    """A file belonging to a version: an original as uploaded, or a file derived from them."""

    __tablename__ = "stored_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("model_versions.id"), index=True)
    # original: as uploaded (mesh, material, texture, archive); derived: web_glb, thumbnail
    role: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    media_type: Mapped[str] = mapped_column(String(64))
    derived_from_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    generator: Mapped[str | None] = mapped_column(Text, nullable=True)

    version: Mapped[VersionRow] = relationship(back_populates="files")


class WebLevelRow(Base):
    """A web derivative level of a version: a smaller, compressed copy for the browser.

    A ``ready`` row names a stored blob (written before the row); a ``failed`` row has none and
    holds the warning instead. Rebuilt levels replace their row. Level ``snap`` is the server's
    click index (``ingest.snap_index``), made from the geometry file ``web_sha256`` names."""

    __tablename__ = "web_levels"
    __table_args__ = (UniqueConstraint("version_id", "level"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("model_versions.id"), index=True)
    level: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))  # ready | failed
    sha256: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    original_sha256: Mapped[str] = mapped_column(String(64))
    web_sha256: Mapped[str] = mapped_column(String(64))  # the web copy it was made from
    faces: Mapped[int] = mapped_column(BigInteger, default=0)
    size_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    texture_px: Mapped[int | None] = mapped_column(Integer, nullable=True)
    texture_format: Mapped[str | None] = mapped_column(String(8), nullable=True)
    tools: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    warning: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AuditRow(Base):
    """One append-only audit event; ``hash`` covers its fields and the previous event's hash."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[str] = mapped_column(String(32))  # ISO-8601 UTC text, hashed exactly as stored
    actor: Mapped[str] = mapped_column(String(ACTOR))
    action: Mapped[str] = mapped_column(String(64), index=True)
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str] = mapped_column(String(AUDIT_OBJECT_ID))
    object_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    outcome: Mapped[str] = mapped_column(String(16))
    details: Mapped[str] = mapped_column(Text)  # canonical JSON text, hashed exactly as stored
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditHeadRow(Base):
    """Single row naming the newest audit event; locking it serialises appends on PostgreSQL."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    last_id: Mapped[int] = mapped_column(BigInteger, default=0)
    last_hash: Mapped[str] = mapped_column(String(64))


class SceneRow(Base):
    """A named re-enactment scene on one model version; its content lives in revisions."""

    __tablename__ = "scenes"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("model_versions.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    name: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(ACTOR))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    current_revision: Mapped[int] = mapped_column(Integer, default=1)

    version: Mapped[VersionRow] = relationship()
    revisions: Mapped[list[SceneRevisionRow]] = relationship(
        back_populates="scene", order_by="SceneRevisionRow.number"
    )
    freeze: Mapped[SceneFreezeRow | None] = relationship(back_populates="scene")
    states: Mapped[list[SceneStateRow]] = relationship(order_by="SceneStateRow.id")


class SceneRevisionRow(Base):
    """One numbered, immutable revision of a scene: the whole document as canonical JSON."""

    __tablename__ = "scene_revisions"
    __table_args__ = (UniqueConstraint("scene_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scene_id: Mapped[int] = mapped_column(ForeignKey("scenes.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    document: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    author: Mapped[str] = mapped_column(String(ACTOR))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    summary: Mapped[str] = mapped_column(Text, default="")

    scene: Mapped[SceneRow] = relationship(back_populates="revisions")


class SceneFreezeRow(Base):
    """A scene frozen for court at one revision; the scene takes no further changes.

    A table of its own rather than a column on ``scenes`` so that databases made before
    freezing existed gain it from ``create_all`` without a migration.
    """

    __tablename__ = "scene_freezes"

    id: Mapped[int] = mapped_column(primary_key=True)
    scene_id: Mapped[int] = mapped_column(ForeignKey("scenes.id"), unique=True)
    revision: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    frozen_by: Mapped[str] = mapped_column(String(ACTOR))
    frozen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    scene: Mapped[SceneRow] = relationship(back_populates="freeze")


class SceneStateRow(Base):
    """A scene archived (put aside, out of the lists) or restored; the latest row is its state.

    Evidence is never deleted: archiving only changes where a scene is listed. A table of its
    own, rows only added, so the state's history stays and older databases gain it from
    ``create_all``.
    """

    __tablename__ = "scene_states"

    id: Mapped[int] = mapped_column(primary_key=True)
    scene_id: Mapped[int] = mapped_column(ForeignKey("scenes.id"), index=True)
    archived: Mapped[bool] = mapped_column(Boolean)
    changed_by: Mapped[str] = mapped_column(String(ACTOR))
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class UserRow(Base):
    """A person who signs in: roles, password hash (argon2id) and lockout state."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(USERNAME), unique=True)
    display_name: Mapped[str] = mapped_column(Text, default="")
    password_hash: Mapped[str] = mapped_column(Text, default="")  # "" for sign-on only
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    language: Mapped[str] = mapped_column(String(16), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # "<issuer>|<subject>" of a single-sign-on account; such an account has no password.
    sso_subject: Mapped[str | None] = mapped_column(String(SSO_SUBJECT), unique=True, nullable=True)


class CaseMemberRow(Base):
    """A user's membership of a case: what lets them see and work on it."""

    __tablename__ = "case_members"
    __table_args__ = (UniqueConstraint("case_id", "username"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    username: Mapped[str] = mapped_column(String(USERNAME), index=True)
    added_by: Mapped[str] = mapped_column(String(ACTOR))
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CaseLeadRow(Base):
    """A member who leads a case: they grant membership of it (and make other leads)."""

    __tablename__ = "case_leads"
    __table_args__ = (UniqueConstraint("case_id", "username"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    added_by: Mapped[str] = mapped_column(String(128))
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class MembershipRequestRow(Base):
    """An admin's request to make someone a member (or lead) of a case; a second admin
    approves or rejects it."""

    __tablename__ = "case_member_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    username: Mapped[str] = mapped_column(String(64))
    lead: Mapped[bool] = mapped_column(Boolean, default=False)
    requested_by: Mapped[str] = mapped_column(String(128))
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    decided_by: Mapped[str] = mapped_column(String(128), default="")
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class PasswordResetRow(Base):
    """An admin's reset of a user's password: sessions begun before it end, and the user must
    choose a new password at the next sign-in (``changed_at`` is when they did)."""

    __tablename__ = "password_resets"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    reset_by: Mapped[str] = mapped_column(String(128))
    reset_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class PublicPostRow(Base):
    """A request to post a picture of a scene publicly, and the decision on it."""

    __tablename__ = "public_posts"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    scene_id: Mapped[int] = mapped_column(ForeignKey("scenes.id"), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    revision_sha256: Mapped[str] = mapped_column(String(64))
    step: Mapped[int] = mapped_column(Integer)
    view: Mapped[str | None] = mapped_column(String(64), nullable=True)
    platform: Mapped[str] = mapped_column(String(32))
    caption: Mapped[str] = mapped_column(Text, default="")
    image_key: Mapped[str] = mapped_column(String(64))  # blob key = SHA-256 of the PNG
    requested_by: Mapped[str] = mapped_column(String(ACTOR))
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default="requested")
    decided_by: Mapped[str | None] = mapped_column(String(ACTOR), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    reason: Mapped[str] = mapped_column(Text, default="")


class CctvFrameRow(Base):
    """A still from CCTV footage, uploaded as evidence to a camera entity of a scene.

    The bytes are kept as uploaded in the blob store under ``sha256``; the row records where
    they came from (the CCTV system's camera, the time on the footage, the exhibit number).
    """

    __tablename__ = "cctv_frames"
    __table_args__ = (UniqueConstraint("scene_id", "entity_id", "sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scene_id: Mapped[int] = mapped_column(ForeignKey("scenes.id"), index=True)
    entity_id: Mapped[str] = mapped_column(String(32))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(Text)
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    media_type: Mapped[str] = mapped_column(String(16))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    camera_ref: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[str] = mapped_column(String(40))
    exhibit: Mapped[str] = mapped_column(String(EXHIBIT_NUMBER))
    uploaded_by: Mapped[str] = mapped_column(String(ACTOR))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class VersionPlaceRow(Base):
    """Where on Earth a version's model origin is (WGS84 degrees); with the version's north
    axis it orients the model for the sun. A table of its own, keyed by version, so that
    catalogues made before it gain it from ``create_all``; changing it is audited."""

    __tablename__ = "version_places"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("model_versions.id"), unique=True)
    latitude_deg: Mapped[float] = mapped_column(Float)
    longitude_deg: Mapped[float] = mapped_column(Float)
    set_by: Mapped[str] = mapped_column(String(ACTOR))
    set_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    version: Mapped[VersionRow] = relationship(back_populates="place")


class SceneReviewRow(Base):
    """A technical review of one scene revision by a second person: the checklist with a
    finding per item and the decision. Freezing for court needs an approved review of exactly
    the revision frozen (its SHA-256 compared)."""

    __tablename__ = "scene_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    scene_id: Mapped[int] = mapped_column(ForeignKey("scenes.id"), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    revision_sha256: Mapped[str] = mapped_column(String(64))
    reviewer: Mapped[str] = mapped_column(String(ACTOR))
    checklist: Mapped[list[Any]] = mapped_column(JSON, default=list)  # [{item, finding}]
    decision: Mapped[str] = mapped_column(String(16))  # approved | rejected
    reviewed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class PublicPostVideoRow(Base):
    """What makes a public post a video: its timing and frame count. The post's ``image_key``
    holds the MP4's SHA-256, so the decision on the post is about exactly those bytes."""

    __tablename__ = "public_post_videos"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("public_posts.id"), unique=True)
    fps: Mapped[int] = mapped_column(Integer)
    seconds_per_step: Mapped[float] = mapped_column(Float)
    frames: Mapped[int] = mapped_column(Integer)
    language: Mapped[str] = mapped_column(String(16))


class JobRow(Base):
    """One piece of heavy work (web levels, a video, ...), run in-process or by a worker.

    ``idempotency_key`` is the SHA-256 of the kind, its parameters and the SHA-256 of every
    input it reads, so the same work asked twice is one row and is done once. Its result (blob
    keys) is recorded in the same transaction as the rows the work writes."""

    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    actor: Mapped[str] = mapped_column(String(ACTOR))  # who asked
    actor_system: Mapped[bool] = mapped_column(Boolean, default=False)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True, nullable=True)
    status: Mapped[str] = mapped_column(String(16), index=True)  # queued|running|done|failed
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    stage: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)  # a Message
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    runner: Mapped[str | None] = mapped_column(String(128), nullable=True)  # host:pid running it
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)  # a Message
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
