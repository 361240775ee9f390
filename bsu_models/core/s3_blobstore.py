"""Content-addressed storage of file bytes in an S3-compatible bucket (``BSU_BLOB_STORE=s3://``).

Objects are named exactly like ``LocalBlobStore``'s files, ``PREFIX/ab/cd/<sha256>``, and hold
the bytes whose SHA-256 is their name. A key never names partial bytes: a small blob is one PUT
carrying the SHA-256 of the whole content (which the server checks before the object exists); a
large one is a multipart upload whose parts each carry their own SHA-256, completed only after
the whole content hashed equal to the key, and aborted on any failure. An upload a killed
process left unfinished names no object; ``stray_files`` lists it and ``gc`` aborts it.

Several app servers may write at once and no lock spans machines, so undoing a failed import
never removes the blobs it wrote: another writer elsewhere may have found them stored and be
about to refer to them. They stay as unreferenced orphans (``verify`` lists them as cleanable),
and the age-based ``gc`` (``bsu_models.core.blob_gc``) removes those older than its hour. A
writer that reuses a blob older than a quarter of that copies it onto itself, which makes it
young again, so ``gc`` does not take bytes a writer has just found (``undo`` re-reads each age
right before removing; a reuse landing between that read and the removal is the one window
left, milliseconds wide against an hour).

Every failure of the store is one plain sentence (``StorageError``), never the client's text.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import logging
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from bsu_models.core.audit_head import parse_head
from bsu_models.core.blob_gc import MIN_AGE_S
from bsu_models.core.blobstore import checked, sha256_bytes
from bsu_models.core.errors import BsuError, IntegrityError, NotFound, StorageError

MiB = 1024 * 1024
_log = logging.getLogger(__name__)
_HEX = re.compile(r"^[0-9a-f]{64}$")
_BLOB_NAME = re.compile(r"^([0-9a-f]{2})/([0-9a-f]{2})/([0-9a-f]{64})$")
_UPLOAD = re.compile(r"^(?P<name>.+) \(incomplete upload (?P<upload>[^()]+)\)$")
_CHUNK = MiB
#: The audit chain's head, kept beside the blobs (``S3AuditHead``); not a stray.
HEAD_NAME = "audit-head.txt"
# Bucket-level refusals: the request never reached the object, so no answer about it is true.
_REFUSED = {"AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "403"}
_MISSING = {"NoSuchKey", "404", "NotFound"}


def _b64_sha256(data: bytes | memoryview) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode("ascii")


class S3BlobStore:
    """Blobs as objects ``PREFIX/ab/cd/<sha256>`` in ``bucket`` of an S3-compatible server.

    Credentials and region come from the standard ``AWS_*`` variables (boto3 reads them).
    ``multipart_threshold`` and ``part_size`` (bytes; S3 and SeaweedFS refuse parts under 5 MiB
    but the last) decide when and how an upload is split; ``orphan_age_s`` is the age below
    which ``undo`` never removes a blob.
    """

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        endpoint_url: str | None = None,
        multipart_threshold: int = 64 * MiB,
        part_size: int = 16 * MiB,
        orphan_age_s: float = MIN_AGE_S,
        client: Any = None,
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self._base = f"{self.prefix}/" if self.prefix else ""
        self.endpoint_url = endpoint_url or ""
        self.multipart_threshold = multipart_threshold
        self.part_size = part_size
        self.orphan_age_s = orphan_age_s
        config = Config(
            connect_timeout=5,
            read_timeout=60,
            retries={"max_attempts": 3, "mode": "standard"},
        )
        # A session of its own reads the AWS_* variables now (boto3's default one keeps the
        # credentials it first found).
        self._s3 = client or boto3.session.Session().client(
            "s3", endpoint_url=endpoint_url or None, config=config
        )

    def __repr__(self) -> str:
        return f"S3BlobStore(s3://{self.bucket}/{self.prefix})"

    # -- names -----------------------------------------------------------------------------

    def _name(self, key: str) -> str:
        if not _HEX.match(key):
            raise NotFound("{key!r} is not a SHA-256 blob key.", key=key)
        return f"{self._base}{key[:2]}/{key[2:4]}/{key}"

    def _relative(self, name: str) -> str:
        return name[len(self._base) :]

    @staticmethod
    def _is_blob(relative: str) -> bool:
        match = _BLOB_NAME.match(relative)
        return match is not None and match[3][:4] == match[1] + match[2]

    # -- errors ----------------------------------------------------------------------------

    def _failure(self, exc: Exception, key: str = "") -> BsuError:
        """One plain sentence for a failed request (the client's own text stays out)."""
        if isinstance(exc, BsuError):
            return exc
        if isinstance(exc, NoCredentialsError):
            return StorageError(
                "The object store needs credentials: set AWS_ACCESS_KEY_ID and "
                "AWS_SECRET_ACCESS_KEY."
            )
        if isinstance(exc, ClientError):
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code == "NoSuchBucket":
                return StorageError(
                    "The object store has no bucket {bucket!r}.", bucket=self.bucket
                )
            if code in _REFUSED:
                return StorageError(
                    "The object store refused the credentials for bucket {bucket!r} "
                    "(AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY).",
                    bucket=self.bucket,
                )
            if code in _MISSING and key:
                return NotFound("Stored file {key} is missing from the blob store.", key=key[:12])
            return StorageError(
                "The object store refused a request for bucket {bucket!r} ({code}).",
                bucket=self.bucket,
                code=code or "?",
            )
        return StorageError(
            "Cannot reach the object store at {endpoint}.",
            endpoint=self.endpoint_url or "the default AWS endpoint",
        )

    @contextmanager
    def _requests(self, key: str = "") -> Iterator[None]:
        try:
            yield
        except (BotoCoreError, ClientError) as exc:
            raise self._failure(exc, key) from None

    def _head(self, name: str) -> dict[str, Any] | None:
        """The object's head, or None when there is no such object."""
        try:
            head: dict[str, Any] = self._s3.head_object(Bucket=self.bucket, Key=name)
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code in _MISSING:
                return None
            raise self._failure(exc) from None
        except BotoCoreError as exc:
            raise self._failure(exc) from None
        return head

    @staticmethod
    def _age(when: datetime) -> float:
        return max(0.0, time.time() - when.timestamp())

    # -- writing ---------------------------------------------------------------------------

    def put(self, data: bytes) -> str:
        return self.store(data)[0]

    def store(self, data: bytes) -> tuple[str, bool]:
        """Store ``data``; returns its key and whether this call wrote it (False: already kept)."""
        key = sha256_bytes(data)
        name = self._name(key)
        head = self._head(name)
        if head is not None:
            if self._age(head["LastModified"]) >= self.orphan_age_s / 4:
                self._refresh(name, key, data)
            return key, False
        if len(data) >= self.multipart_threshold:
            self._upload_parts(name, key, data)
        else:
            with self._requests():
                self._s3.put_object(
                    Bucket=self.bucket,
                    Key=name,
                    Body=data,
                    ChecksumSHA256=base64.b64encode(bytes.fromhex(key)).decode("ascii"),
                )
        return key, True

    def _refresh(self, name: str, key: str, data: bytes) -> None:
        """Make a reused blob young again, so that ``gc`` leaves it to this writer."""
        try:
            self._s3.copy_object(
                Bucket=self.bucket,
                Key=name,
                CopySource={"Bucket": self.bucket, "Key": name},
                MetadataDirective="REPLACE",
                Metadata={"reused": str(int(time.time()))},
            )
        except ClientError:
            # A copy has a size limit (5 GiB on S3); the same bytes uploaded again do as well.
            self._upload_parts(name, key, data)
        except BotoCoreError as exc:
            raise self._failure(exc) from None

    def _upload_parts(self, name: str, key: str, data: bytes) -> None:
        """A multipart upload completed only once the whole content hashed equal to ``key``."""
        with self._requests():
            upload = self._s3.create_multipart_upload(
                Bucket=self.bucket, Key=name, ChecksumAlgorithm="SHA256"
            )["UploadId"]
        try:
            view = memoryview(data)
            whole = hashlib.sha256()
            parts = []
            for number, start in enumerate(range(0, len(data), self.part_size), start=1):
                part = view[start : start + self.part_size]
                whole.update(part)
                checksum = _b64_sha256(part)
                with self._requests():
                    answer = self._s3.upload_part(
                        Bucket=self.bucket,
                        Key=name,
                        UploadId=upload,
                        PartNumber=number,
                        Body=bytes(part),
                        ChecksumSHA256=checksum,
                    )
                parts.append(
                    {"PartNumber": number, "ETag": answer["ETag"], "ChecksumSHA256": checksum}
                )
            if whole.hexdigest() != key:
                raise IntegrityError(
                    "The bytes uploaded for {key} changed while they were sent.", key=key[:12]
                )
            with self._requests():
                self._s3.complete_multipart_upload(
                    Bucket=self.bucket,
                    Key=name,
                    UploadId=upload,
                    MultipartUpload={"Parts": parts},
                )
        except BaseException:
            with contextlib.suppress(BotoCoreError, ClientError):
                self._s3.abort_multipart_upload(Bucket=self.bucket, Key=name, UploadId=upload)
            raise

    @contextmanager
    def writing(self) -> Iterator[S3Writing]:
        """Held while storing blobs and recording the rows that refer to them; no lock."""
        yield S3Writing(self)

    # -- reading ---------------------------------------------------------------------------

    def get(self, key: str) -> bytes:
        name = self._name(key)
        with self._requests(key):
            body = self._s3.get_object(Bucket=self.bucket, Key=name)["Body"]
            try:
                data: bytes = body.read()
            finally:
                body.close()
        return data

    def get_verified(self, key: str) -> bytes:
        return checked(key, self.get(key))

    def exists(self, key: str) -> bool:
        return self._head(self._name(key)) is not None

    def _listing(self, operation: str, field: str) -> Iterator[dict[str, Any]]:
        """Every entry under the prefix, a page at a time."""
        pages = self._s3.get_paginator(operation).paginate(Bucket=self.bucket, Prefix=self._base)
        with self._requests():
            for page in pages:
                yield from page.get(field, [])

    def _objects(self) -> Iterator[dict[str, Any]]:
        return self._listing("list_objects_v2", "Contents")

    def keys(self) -> Iterator[str]:
        for item in self._objects():
            relative = self._relative(item["Key"])
            if self._is_blob(relative):
                yield relative[-64:]

    def rehash(self, key: str) -> str:
        """SHA-256 of the object as stored, read in chunks (never whole into memory)."""
        name = self._name(key)
        digest = hashlib.sha256()
        with self._requests(key):
            body = self._s3.get_object(Bucket=self.bucket, Key=name)["Body"]
            try:
                for chunk in body.iter_chunks(_CHUNK):
                    digest.update(chunk)
            finally:
                body.close()
        return digest.hexdigest()

    # -- what gc and verify see ------------------------------------------------------------

    def _uploads(self) -> Iterator[dict[str, Any]]:
        return self._listing("list_multipart_uploads", "Uploads")

    def stray_files(self) -> Iterator[str]:
        """Objects under the prefix that are not blobs, and unfinished multipart uploads
        (``<name> (incomplete upload <id>)``), e.g. left by a killed writer."""
        for item in self._objects():
            relative = self._relative(item["Key"])
            if not self._is_blob(relative) and relative != HEAD_NAME:
                yield relative
        for upload in self._uploads():
            yield f"{self._relative(upload['Key'])} (incomplete upload {upload['UploadId']})"

    def age_seconds(self, name: str) -> float:
        """Seconds since a blob (by key) or stray (as ``stray_files`` names it) was written."""
        try:
            if _HEX.match(name):
                head = self._head(self._name(name))
                return self._age(head["LastModified"]) if head else 0.0
            upload = _UPLOAD.match(name)
            if upload:
                for item in self._uploads():
                    if item["UploadId"] == upload["upload"]:
                        return self._age(item["Initiated"])
                return 0.0
            head = self._head(self._base + name)
            return self._age(head["LastModified"]) if head else 0.0
        except BsuError:
            return 0.0

    def discard(self, key: str) -> None:
        """Remove a blob that no row refers to (``gc`` through ``undo``)."""
        with self._requests():
            self._s3.delete_object(Bucket=self.bucket, Key=self._name(key))

    def discard_stray(self, name: str) -> None:
        """Remove a stray object or abort an unfinished upload named by ``stray_files``."""
        upload = _UPLOAD.match(name)
        relative = upload["name"] if upload else name
        if (self._is_blob(relative) or relative == HEAD_NAME) and not upload:
            raise NotFound("{path} is not a stray file of the blob store.", path=name)
        with self._requests():
            if upload:
                self._s3.abort_multipart_upload(
                    Bucket=self.bucket, Key=self._base + relative, UploadId=upload["upload"]
                )
            else:
                self._s3.delete_object(Bucket=self.bucket, Key=self._base + relative)


class S3Writing:
    """One writer's hold on an S3 blob store (see the module's docstring)."""

    def __init__(self, store: S3BlobStore) -> None:
        self._store = store

    def undo(self, keys: list[str], referenced: Callable[[list[str]], set[str]]) -> list[str]:
        """Remove those of ``keys`` that no row refers to and that are older than the store's
        ``orphan_age_s``: what ``gc`` hands over. A failed import's own blobs are younger, so
        they stay as orphans for ``gc``. Returns the keys removed."""
        old = [key for key in keys if self._store.age_seconds(key) >= self._store.orphan_age_s]
        if not old:
            return []
        used = referenced(old)
        removed = [key for key in old if key not in used]
        for key in removed:
            self._store.discard(key)
        return removed


class S3AuditHead:
    """The audit chain's head (``<event id> <sha256>``) as the object ``PREFIX/audit-head.txt``
    beside the blobs: what every app server writes after its commits, where a local head file
    would know only its own server's. A write is conditional on the object being as read (or
    absent), so no server moves the head back over another's later event."""

    def __init__(self, store: S3BlobStore) -> None:
        self._store = store
        self._name = store._base + HEAD_NAME

    def __str__(self) -> str:
        return f"s3://{self._store.bucket}/{self._name}"

    def _current(self) -> tuple[tuple[int, str] | None, str]:
        """The head stored now and its ETag (None and "" when there is none)."""
        s3, bucket = self._store._s3, self._store.bucket
        try:
            answer = s3.get_object(Bucket=bucket, Key=self._name)
            text = answer["Body"].read().decode("ascii", "replace")
        except ClientError as exc:
            if str(exc.response.get("Error", {}).get("Code", "")) in _MISSING:
                return None, ""
            raise self._store._failure(exc) from None
        except BotoCoreError as exc:
            raise self._store._failure(exc) from None
        return parse_head(text), answer["ETag"]

    def read(self) -> tuple[int, str] | None:
        return self._current()[0]

    def write(self, head: tuple[int, str]) -> None:
        """Record ``head`` after its commit. A store that cannot be reached is logged, not
        raised: the rows are committed already, and ``verify`` names a head left behind
        (the next write that reaches the store brings it up to date)."""
        try:
            self._write(head)
        except BsuError as exc:
            _log.warning("audit head %s not written (event %d): %s", self, head[0], exc)

    def _write(self, head: tuple[int, str]) -> None:
        for _attempt in range(20):
            current, etag = self._current()
            if current is not None and current[0] >= head[0]:
                return
            condition = {"IfMatch": etag} if etag else {"IfNoneMatch": "*"}
            try:
                self._store._s3.put_object(
                    Bucket=self._store.bucket,
                    Key=self._name,
                    Body=f"{head[0]} {head[1]}\n".encode("ascii"),
                    **condition,
                )
                return
            except ClientError as exc:
                code = str(exc.response.get("Error", {}).get("Code", ""))
                if code not in ("PreconditionFailed", "ConditionalRequestConflict", "412", "409"):
                    raise self._store._failure(exc) from None
            except BotoCoreError as exc:
                raise self._store._failure(exc) from None
        # Twenty servers overtook this one: the head they wrote is later than ours anyway.
