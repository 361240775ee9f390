"""The software that draws the pictures and writes the packages, as installed: its versions and
whether they are the ones of the lock file.

A court may ask years later for a still to be made again from the same inputs. Pixels, sightline
verdicts and the book's layout depend on the versions of VTK and pyvista (rendering), trimesh
and embreex (ray casts), NumPy, Pillow (PNG) and fpdf2 (PDF), so every exhibit package records
them (``software_fields``), together with the SHA-256 of ``requirements.lock`` (the exact
versions ``scripts/setup.sh`` installs) and any installed version that differs from it.
"""

from __future__ import annotations

import hashlib
import platform
import re
from importlib import metadata
from pathlib import Path

# Label in bag-info (``Software-<label>``) -> distribution name.
TRACKED = {
    "VTK": "vtk",
    "pyvista": "pyvista",
    "trimesh": "trimesh",
    "embreex": "embreex",
    "NumPy": "numpy",
    "Pillow": "pillow",
    "fpdf2": "fpdf2",
}
NOT_INSTALLED = "not installed"

# The app's lock file sits at the top of a checkout; an install from a wheel has none.
LOCK_FILE = Path(__file__).resolve().parents[2] / "requirements.lock"

_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")


def _installed(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return NOT_INSTALLED


def software_versions(tracked: dict[str, str] = TRACKED) -> dict[str, str]:
    """``{"Python": "3.11.7", "VTK": "9.3.1", ...}``: Python and each library of ``tracked``
    (label -> distribution) as installed now (``"not installed"`` for one that is missing)."""
    versions = {"Python": platform.python_version()}
    versions |= {label: _installed(name) for label, name in tracked.items()}
    return versions


def locked_versions(lock_text: str) -> dict[str, str]:
    """``{distribution: version}`` of every ``name==version`` line of a lock file."""
    pins = {}
    for line in lock_text.splitlines():
        match = _PIN.match(line)
        if match:
            pins[_normalised(match[1])] = match[2]
    return pins


def lock_mismatches(lock_text: str) -> list[str]:
    """One phrase per locked distribution whose installed version is another (or none)."""
    return [
        f"{name} {installed} (locked {locked})"
        for name, locked in sorted(locked_versions(lock_text).items())
        if (installed := _installed(name)) != locked
    ]


def software_fields(lock_file: Path = LOCK_FILE) -> dict[str, str]:
    """The bag-info fields: ``Software-<label>`` for each of ``software_versions``, and when
    ``lock_file`` exists, ``Software-Lock-SHA256`` and ``Software-Lock-Mismatches`` (``none``
    when every locked version is the one installed)."""
    fields = {f"Software-{label}": version for label, version in software_versions().items()}
    try:
        lock = lock_file.read_bytes()
    except FileNotFoundError:
        return fields
    fields["Software-Lock-SHA256"] = hashlib.sha256(lock).hexdigest()
    fields["Software-Lock-Mismatches"] = "; ".join(lock_mismatches(lock.decode())) or "none"
    return fields


def _normalised(name: str) -> str:
    # PEP 503: the lock file and the installed metadata may spell a name differently.
    return re.sub(r"[-_.]+", "-", name).lower()
