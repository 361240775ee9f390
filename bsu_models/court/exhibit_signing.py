"""Signed exhibit packages: the unit's Ed25519 key signs a package's tag manifest.

Hashes prove that a package is unchanged since someone computed them; the signature says who.
``tagmanifest-sha256.txt`` lists the SHA-256 of ``bag-info.txt`` and ``manifest-sha256.txt``,
which list every payload file, so signing it signs the whole package. The signature is a tag
file of its own, ``tagmanifest-sha256.txt.sig`` (it cannot be listed in the manifest it signs;
BagIt validators and ``sha256sum -c`` ignore it). It is plain text::

    Signature-Algorithm: Ed25519
    Signed-File: tagmanifest-sha256.txt
    Public-Key-Fingerprint: SHA256:<hex of the SHA-256 of the 32-byte public key>
    Signature: <base64 of the 64-byte signature>

The private key is a PEM file named by ``BSU_SIGNING_KEY``, which must lie outside the data
folder (whoever can read the data folder must not be able to sign); ``create_key_pair`` makes one
with its public key beside it (``.pub``). ``check_signature`` checks a package's signature against
a public key given by whoever checks it, never against anything in the package.
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from bsu_models.core.errors import InvalidInput, InvalidSetting, Message
from bsu_models.core.settings import Settings
from bsu_models.court.bagit_package import SIGNATURE_FILE, TAG_MANIFEST
from bsu_models.court.bagit_read import _open_bag, read_bag

ALGORITHM = "Ed25519"


def fingerprint(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "SHA256:" + hashlib.sha256(raw).hexdigest()


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True


def signing_key(settings: Settings) -> Ed25519PrivateKey | None:
    """The unit's private key (``BSU_SIGNING_KEY``), or None when none is configured."""
    if not settings.signing_key:
        return None
    path = Path(settings.signing_key).expanduser()
    if _inside(path, settings.data_dir):
        raise InvalidSetting(
            "BSU_SIGNING_KEY {path} lies inside the data folder {folder}; keep the signing key "
            "elsewhere.",
            path=str(path),
            folder=str(settings.data_dir),
        )
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except OSError as exc:
        raise InvalidSetting(
            "BSU_SIGNING_KEY {path} cannot be read ({reason}).", path=str(path), reason=exc.strerror
        ) from None
    except (ValueError, TypeError):
        raise InvalidSetting(
            "BSU_SIGNING_KEY {path} is not an unencrypted PEM private key.", path=str(path)
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise InvalidSetting("BSU_SIGNING_KEY {path} is not an Ed25519 key.", path=str(path))
    return key


def signature_file(key: Ed25519PrivateKey, tag_manifest: bytes) -> bytes:
    signature = base64.b64encode(key.sign(tag_manifest)).decode()
    return (
        f"Signature-Algorithm: {ALGORITHM}\n"
        f"Signed-File: {TAG_MANIFEST}\n"
        f"Public-Key-Fingerprint: {fingerprint(key.public_key())}\n"
        f"Signature: {signature}\n"
    ).encode()


def create_key_pair(private_path: Path, data_dir: Path | None = None) -> tuple[Path, str]:
    """Write a new Ed25519 private key (PEM, readable by its owner only) to ``private_path``
    and its public key to ``<private_path>.pub``; refuses to replace either. Returns the public
    key's path and fingerprint."""
    public_path = private_path.with_name(private_path.name + ".pub")
    if data_dir is not None and _inside(private_path, data_dir):
        raise InvalidInput(
            "{path} lies inside the data folder {folder}; keep the signing key elsewhere.",
            path=str(private_path),
            folder=str(data_dir),
        )
    for path in (private_path, public_path):
        if path.exists():
            raise InvalidInput("{path} already exists; it is not replaced.", path=str(path))
    if not private_path.parent.is_dir():
        raise InvalidInput(
            "The folder {folder} does not exist; create it or name another one.",
            folder=str(private_path.parent),
        )
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    handle = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(handle, "wb") as out:
        out.write(pem)
    public_path.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return public_path, fingerprint(key.public_key())


def load_public_key(path: Path) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except OSError as exc:
        raise InvalidInput(
            "{path} cannot be read ({reason}).", path=str(path), reason=exc.strerror
        ) from None
    except (ValueError, TypeError):
        raise InvalidInput("{path} is not a PEM public key.", path=str(path)) from None
    if not isinstance(key, Ed25519PublicKey):
        raise InvalidInput("{path} is not an Ed25519 public key.", path=str(path))
    return key


@dataclass(frozen=True)
class SignatureCheck:
    signed: bool  # the package has a signature file
    valid: bool  # ... and it is the given key's signature of its tag manifest
    expected_fingerprint: str  # of the key given
    stated_fingerprint: str  # as the signature file states it ("" when none)
    problem: Message | None = None


def check_signature(
    tag_manifest: bytes | None, signature: bytes | None, public: Ed25519PublicKey
) -> SignatureCheck:
    """Whether ``signature`` (the signature file's bytes) is ``public``'s signature of
    ``tag_manifest``; the problem named when it is not."""
    expected = fingerprint(public)
    if signature is None:
        return SignatureCheck(
            False,
            False,
            expected,
            "",
            Message("The package is not signed: it has no {name}.", name=SIGNATURE_FILE),
        )
    fields = {}
    for line in signature.decode("utf-8", "replace").splitlines():
        label, _sep, value = line.partition(":")
        fields[label.strip()] = value.strip()
    stated = fields.get("Public-Key-Fingerprint", "")
    try:
        raw = base64.b64decode(fields.get("Signature", ""), validate=True)
        public.verify(raw, tag_manifest or b"")
    except (InvalidSignature, ValueError):
        if stated and stated != expected:
            problem = Message(
                "The package is signed by another key ({stated}), not by the key given "
                "({expected}).",
                stated=stated,
                expected=expected,
            )
        else:
            problem = Message(
                "The signature in {name} is not the given key's signature of {manifest}: the "
                "package was changed after it was signed, or the signature is forged.",
                name=SIGNATURE_FILE,
                manifest=TAG_MANIFEST,
            )
        return SignatureCheck(True, False, expected, stated, problem)
    return SignatureCheck(True, True, expected, stated)


def check_package_signature(package: Path, public_key: Path) -> SignatureCheck:
    """``check_signature`` on the package (folder or zip) at ``package``."""
    public = load_public_key(public_key)
    files = read_bag(package)
    return check_signature(files.get(TAG_MANIFEST), files.get(SIGNATURE_FILE), public)


def has_signature(package: Path) -> bool:
    """Whether the package (folder or zip) holds a signature file (not whether it is good)."""
    files = _open_bag(package)
    try:
        return SIGNATURE_FILE in files.sizes
    finally:
        files.close()
