"""Signed packages: ``exhibit`` signs the tag manifest with the unit's Ed25519 key
(``BSU_SIGNING_KEY``), the book prints the key's fingerprint, and ``exhibit-verify --public-key``
names a missing, foreign or broken signature; the signed package still passes ``sha256sum -c``
and the ``bagit`` validator."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import bagit
import pytest

from tests.test_cli import run_cli
from tests.test_exhibit import exhibit_setup  # noqa: F401  (the package, built once)

pytestmark = pytest.mark.render


def _copy(bag: Path, tmp_path: Path) -> Path:
    target = tmp_path / "copy"
    shutil.copytree(bag, target)
    return target


def test_signed_package_verifies_with_the_public_key_and_standard_tools(exhibit_setup):  # noqa: F811
    bag, env, key = exhibit_setup["bag"], exhibit_setup["env"], exhibit_setup["key"]
    assert (bag / "tagmanifest-sha256.txt.sig").is_file()
    bagit.Bag(str(bag)).validate()
    summed = subprocess.run(
        ["sha256sum", "-c", "manifest-sha256.txt"], cwd=bag, capture_output=True, text=True
    )
    assert summed.returncode == 0 and "FAILED" not in summed.stdout
    done = run_cli(env, "exhibit-verify", str(bag), "--public-key", key["public_key"], "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    signature = json.loads(done.stdout)["signature"]
    assert signature["valid"] and signature["public_key_fingerprint"] == key["fingerprint"]
    info = bagit.Bag(str(bag)).info
    assert info["BSU-Signing-Key-Fingerprint"] == key["fingerprint"]
    unchecked = run_cli(env, "exhibit-verify", str(bag))
    assert unchecked.returncode == 0 and "check the signature with --public-key" in unchecked.stdout
    book = subprocess.run(
        ["pdftotext", str(bag / "data" / "exhibit-book.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert key["fingerprint"] in "".join(book.split())


def test_wrong_missing_and_broken_signatures_are_named(exhibit_setup, tmp_path):  # noqa: F811
    bag, env, key = exhibit_setup["bag"], exhibit_setup["env"], exhibit_setup["key"]
    other = tmp_path / "other.pem"
    made = run_cli(env, "keys", "create", "--out", str(other), "--json")
    assert made.returncode == 0, made.stderr
    stranger = json.loads(made.stdout)
    foreign = run_cli(env, "exhibit-verify", str(bag), "--public-key", stranger["public_key"])
    assert foreign.returncode == 1
    assert f"signed by another key ({key['fingerprint']})" in foreign.stdout
    unsigned = _copy(bag, tmp_path)
    (unsigned / "tagmanifest-sha256.txt.sig").unlink()
    missing = run_cli(env, "exhibit-verify", str(unsigned), "--public-key", key["public_key"])
    assert missing.returncode == 1 and "is not signed" in missing.stdout
    # bag-info.txt edited and the manifests rewritten: a valid bag, but no longer the signed one.
    forged = tmp_path / "forged"
    shutil.copytree(bag, forged)
    info = forged / "bag-info.txt"
    info.write_text(info.read_text().replace("presenter-1", "someone-else"))
    bagit.Bag(str(forged)).save()
    bagit.Bag(str(forged)).validate()
    broken = run_cli(env, "exhibit-verify", str(forged), "--public-key", key["public_key"])
    assert broken.returncode == 1
    assert "was changed after it was signed" in broken.stdout


def test_keys_are_never_replaced_nor_kept_in_the_data_folder(exhibit_setup, tmp_path):  # noqa: F811
    env = exhibit_setup["env"]
    again = run_cli(env, "keys", "create")
    assert again.returncode == 2 and "already exists" in again.stderr
    inside = run_cli(env, "keys", "create", "--out", str(Path(env["BSU_DATA_DIR"]) / "k.pem"))
    assert inside.returncode == 2 and "inside the data folder" in inside.stderr
    private = Path(env["BSU_SIGNING_KEY"])
    assert private.stat().st_mode & 0o077 == 0
