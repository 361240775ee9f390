"""All settings of BSU Models, read once from ``BSU_*`` environment variables.

Every setting has a default so that a fresh checkout runs on the embedded stack (SQLite and a data
folder under ``./bsu-data``). The README lists the same table; ``SETTINGS_HELP`` is its source.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path

from bsu_models.core.errors import InvalidSetting, Message
from bsu_models.core.i18n import DEFAULT_LANGUAGE, LANGUAGES

MiB = 1024 * 1024


@dataclass(frozen=True)
class Settings:
    """Configuration of one running catalogue (web app, CLI or test)."""

    data_dir: Path
    database_url: str
    actor: str
    max_upload_bytes: int = 512 * MiB
    max_faces: int = 5_000_000
    max_archive_entries: int = 1_000
    max_unpacked_bytes: int = 2048 * MiB
    max_compression_ratio: int = 200
    max_texture_pixels: int = 8192 * 8192
    parse_timeout_s: float = 120.0
    parse_memory_bytes: int = 6144 * MiB
    thumbnail_size: tuple[int, int] = (480, 360)
    font_file: str = ""
    language: str = DEFAULT_LANGUAGE
    audit_head: str = ""  # empty: <data_dir>/audit-head.txt
    oidc_group_roles: str = ""
    signing_key: str = ""  # Ed25519 private key file that signs exhibit packages; "": unsigned
    exhibit_viewer_max_bytes: int = 200 * MiB
    blob_store: str = ""  # empty: the folder <data_dir>/blobs; s3://BUCKET/PREFIX: a bucket
    s3_endpoint_url: str = ""
    queue_url: str = ""  # "": jobs run in-process; redis://HOST:PORT/DB: on the queue
    queue_heartbeat_s: float = 60.0

    @property
    def blob_dir(self) -> Path:
        return self.data_dir / "blobs"

    @property
    def s3_location(self) -> tuple[str, str] | None:
        """(bucket, prefix) from ``BSU_BLOB_STORE``, or None for the local blob folder."""
        if not self.blob_store:
            return None
        scheme, _sep, rest = self.blob_store.partition("://")
        bucket, _sep, prefix = rest.partition("/")
        if scheme != "s3" or not bucket:
            raise InvalidSetting(
                "BSU_BLOB_STORE must be empty (the local blob folder) or s3://BUCKET/PREFIX, "
                "got {value!r}.",
                value=self.blob_store,
            )
        return bucket, prefix.strip("/")

    @property
    def audit_head_file(self) -> Path:
        return Path(self.audit_head) if self.audit_head else self.data_dir / "audit-head.txt"

    @property
    def group_roles(self) -> dict[str, str]:
        """Single sign-on group -> role, from ``BSU_OIDC_GROUP_ROLES``."""
        pairs = [p.strip() for p in self.oidc_group_roles.split(";") if p.strip()]
        mapping = {}
        for pair in pairs:
            group, sep, role = pair.rpartition("=")
            if not sep or not group.strip() or not role.strip():
                raise InvalidSetting(
                    "BSU_OIDC_GROUP_ROLES entry {entry!r} must look like group=role.", entry=pair
                )
            mapping[group.strip()] = role.strip()
        return mapping


# name -> (field, default shown in docs, help text)
SETTINGS_HELP: dict[str, tuple[str, str, str]] = {
    "BSU_DATA_DIR": ("data_dir", "./bsu-data", "Folder for stored files and the SQLite database."),
    "BSU_DATABASE_URL": (
        "database_url",
        "sqlite:///$BSU_DATA_DIR/catalogue.sqlite3",
        "SQLAlchemy URL; e.g. postgresql+psycopg://user@host/db.",
    ),
    "BSU_ACTOR": (
        "actor",
        "the OS user name",
        "The command line's account once accounts exist "
        "(before that, the name recorded for set-up actions).",
    ),
    "BSU_MAX_UPLOAD_BYTES": ("max_upload_bytes", "536870912", "Largest upload (all files)."),
    "BSU_MAX_FACES": ("max_faces", "5000000", "Most triangles a mesh may have."),
    "BSU_MAX_ARCHIVE_ENTRIES": ("max_archive_entries", "1000", "Most entries in a zip."),
    "BSU_MAX_UNPACKED_BYTES": (
        "max_unpacked_bytes",
        "2147483648",
        "Largest total size of a zip's entries once unpacked.",
    ),
    "BSU_MAX_COMPRESSION_RATIO": (
        "max_compression_ratio",
        "200",
        "Largest unpacked/packed ratio of each zip entry and of the whole zip (zip-bomb guard).",
    ),
    "BSU_MAX_TEXTURE_PIXELS": (
        "max_texture_pixels",
        "67108864",
        "Most pixels (width × height, read from the header before decoding) of a texture image "
        "or a CCTV frame.",
    ),
    "BSU_PARSE_TIMEOUT_S": ("parse_timeout_s", "120", "Wall-clock limit of the parser process."),
    "BSU_FONT_FILE": (
        "font_file",
        "Noto Sans CJK (fonts-noto-cjk)",
        "Font for text in pictures; must cover Traditional Chinese.",
    ),
    "BSU_PARSE_MEMORY_BYTES": (
        "parse_memory_bytes",
        "6442450944",
        "Address-space limit of the parser process.",
    ),
    "BSU_LANGUAGE": (
        "language",
        DEFAULT_LANGUAGE,
        "Default language of the interface: en (English) or zh_HK (Traditional Chinese, Hong "
        "Kong); each user can switch in the sidebar.",
    ),
    "BSU_AUDIT_HEAD_FILE": (
        "audit_head",
        "$BSU_DATA_DIR/audit-head.txt",
        "File outside the database that holds the audit chain's last event and hash; "
        "put it on other storage. Unset with BSU_BLOB_STORE a bucket: the object "
        "PREFIX/audit-head.txt in it.",
    ),
    "BSU_EXHIBIT_VIEWER_MAX_BYTES": (
        "exhibit_viewer_max_bytes",
        "209715200",
        "Largest model an exhibit's offline viewer embeds: the high web level, or the low one "
        "when the high one is larger.",
    ),
    "BSU_OIDC_GROUP_ROLES": (
        "oidc_group_roles",
        "(none)",
        "Single sign-on: which provider groups give which roles, "
        "e.g. BSU-Modellers=modeller;BSU-Approvers=approver.",
    ),
    "BSU_SIGNING_KEY": (
        "signing_key",
        "(none: packages unsigned)",
        "The unit's Ed25519 private key file (PEM) that signs exhibit packages; keep it "
        "outside the data folder (bsu-models keys create makes one).",
    ),
    "BSU_BLOB_STORE": (
        "blob_store",
        "(none: $BSU_DATA_DIR/blobs)",
        "Where stored files go: empty for the local folder, or s3://BUCKET/PREFIX for an "
        "S3-compatible bucket (credentials from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, "
        "AWS_DEFAULT_REGION).",
    ),
    "BSU_S3_ENDPOINT_URL": (
        "s3_endpoint_url",
        "(none: AWS)",
        "The S3-compatible server's URL, e.g. http://HOST:PORT, when the bucket is not on AWS.",
    ),
    "BSU_QUEUE_URL": (
        "queue_url",
        "(none: jobs run in the app's process)",
        "Redis URL of the job queue, e.g. redis://127.0.0.1:6379/0; heavy work (web levels, "
        "videos) then runs on workers started by bsu-models worker.",
    ),
    "BSU_QUEUE_HEARTBEAT_S": (
        "queue_heartbeat_s",
        "60",
        "Seconds without a worker's heartbeat after which its unfinished jobs go to another "
        "worker.",
    ),
}

_TEXT_FIELDS = (
    "data_dir", "database_url", "actor", "font_file", "language", "audit_head",
    "oidc_group_roles", "signing_key",
    "blob_store", "s3_endpoint_url", "queue_url",
)  # fmt: skip


_KIND_WORDS = {int: Message("a whole number"), float: Message("a number")}


def _number(name: str, raw: str, kind: type) -> int | float:
    try:
        value = kind(raw)
    except ValueError:
        raise InvalidSetting(
            "{name} must be {kind}, got {raw!r}.", name=name, kind=_KIND_WORDS[kind], raw=raw
        ) from None
    if value <= 0:
        raise InvalidSetting("{name} must be positive, got {raw!r}.", name=name, raw=raw)
    return value


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Build settings from ``env`` (default: ``os.environ``); unknown BSU_* names are refused."""
    env = os.environ if env is None else env
    unknown = sorted(k for k in env if k.startswith("BSU_") and k not in SETTINGS_HELP)
    if unknown:
        raise InvalidSetting(
            "Unknown setting {name}; known: {known}.",
            name=unknown[0],
            known=", ".join(SETTINGS_HELP),
        )
    data_dir = Path(env.get("BSU_DATA_DIR", "bsu-data")).expanduser().resolve()
    database_url = env.get("BSU_DATABASE_URL") or f"sqlite:///{data_dir / 'catalogue.sqlite3'}"
    try:
        actor = env.get("BSU_ACTOR") or getpass.getuser()
    except (KeyError, OSError):
        actor = "unknown"
    numeric: dict[str, int | float] = {}
    types = {f.name: f.type for f in fields(Settings)}
    for name, (field_name, _default, _help) in SETTINGS_HELP.items():
        if name in env and field_name not in _TEXT_FIELDS:
            kind = float if types[field_name] == "float" else int
            numeric[field_name] = _number(name, env[name], kind)
    language = env.get("BSU_LANGUAGE") or DEFAULT_LANGUAGE
    if language not in LANGUAGES:
        raise InvalidSetting(
            "BSU_LANGUAGE must be en (English) or zh_HK (Traditional Chinese, Hong Kong), "
            "got {language!r}.",
            language=language,
        )
    settings = Settings(
        data_dir=data_dir,
        database_url=database_url,
        actor=actor,
        font_file=env.get("BSU_FONT_FILE", ""),
        language=language,
        audit_head=env.get("BSU_AUDIT_HEAD_FILE", ""),
        oidc_group_roles=env.get("BSU_OIDC_GROUP_ROLES", ""),
        signing_key=env.get("BSU_SIGNING_KEY", ""),
        blob_store=env.get("BSU_BLOB_STORE", "").strip(),
        s3_endpoint_url=env.get("BSU_S3_ENDPOINT_URL", "").strip(),
        queue_url=_queue_url(env.get("BSU_QUEUE_URL", "")),
        **numeric,  # type: ignore[arg-type]
    )
    settings.s3_location  # noqa: B018 -- refused here, at start, not at the first stored file
    return settings


def _queue_url(url: str) -> str:
    if url and not url.startswith(("redis://", "rediss://", "unix://")):
        raise InvalidSetting(
            "BSU_QUEUE_URL must be a Redis URL such as redis://127.0.0.1:6379/0, got {url!r}.",
            url=url,
        )
    return url
