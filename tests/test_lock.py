"""The lock files (``requirements.lock``, ``requirements-test.lock``): every dependency pinned to
one version with its hashes, the pins the installed ones, and the software versions recorded in
exhibit packages (``bsu_models.core.software``)."""

from __future__ import annotations

import hashlib
import platform
import re
import tomllib
from importlib import metadata
from pathlib import Path

import pytest

from bsu_models.core import software
from tests.conftest import REPO

APP_LOCK = REPO / "requirements.lock"
TEST_LOCK = REPO / "requirements-test.lock"
HASH = re.compile(r"--hash=sha256:[0-9a-f]{64}")
STALE = "the lock file is stale or the environment is: run scripts/lock.sh, then scripts/setup.sh"


def _name(requirement: str) -> str:
    name = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement)
    assert name, requirement
    return re.sub(r"[-_.]+", "-", name[0]).lower()


def _entries(lock: Path) -> dict[str, tuple[str, list[str]]]:
    """``{name: (specifier, hashes)}``, read independently of the module under test."""
    entries = {}
    for line in lock.read_text().replace("\\\n", " ").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        requirement, *options = line.split()
        name = _name(requirement)
        assert name not in entries, f"{name} is in {lock.name} twice"
        entries[name] = (requirement[len(re.match(r"[^<>=!~ ]*", requirement)[0]) :], options)
    return entries


def _project() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text())["project"]


@pytest.mark.parametrize(
    ("lock", "extras"), [(APP_LOCK, ()), (TEST_LOCK, ("test",))], ids=["app", "test"]
)
def test_every_dependency_is_pinned_exactly_with_hashes(lock: Path, extras: tuple[str, ...]):
    project = _project()
    wanted = list(project["dependencies"])
    for extra in extras:
        wanted += project["optional-dependencies"][extra]
    entries = _entries(lock)
    for requirement in wanted:
        name = _name(requirement)
        assert name in entries, f"{name} (pyproject.toml) is not in {lock.name}: {STALE}"
    # pip's --require-hashes refuses the whole file if any entry, direct or not, lacks one.
    for name, (specifier, options) in entries.items():
        assert re.fullmatch(r"==[0-9][0-9A-Za-z.+!-]*", specifier), f"{name}{specifier}"
        hashes = [o for o in options if o.startswith("--hash")]
        assert hashes, f"{name} has no --hash in {lock.name}"
        assert all(HASH.fullmatch(h) for h in hashes), f"{name}: {hashes}"


def test_the_test_lock_installs_the_app_versions():
    app, test = _entries(APP_LOCK), _entries(TEST_LOCK)
    assert {name: app[name][0] for name in app} == {name: test[name][0] for name in app}


@pytest.mark.parametrize("name", ["vtk", "trimesh", "pyvista", "embreex", "numpy", "pillow"])
def test_the_rendering_libraries_installed_are_the_locked_ones(name: str):
    assert _entries(APP_LOCK)[name][0] == f"=={metadata.version(name)}", STALE


def test_everything_locked_for_the_tests_is_installed_as_locked():
    assert software.lock_mismatches(TEST_LOCK.read_text()) == [], STALE


def test_lock_mismatches_names_each_version_that_differs():
    numpy = metadata.version("numpy")
    lock = (
        f"# a comment\nnumpy=={numpy} \\\n    --hash=sha256:{'0' * 64}\n"
        "VTK==0.0.1 \\\n    --hash=sha256:" + "1" * 64 + "\n    # via pyvista\n"
        "no_such-Package==1.0 ; python_version >= '3.11'\n"
    )
    assert software.locked_versions(lock) == {
        "numpy": numpy,
        "vtk": "0.0.1",
        "no-such-package": "1.0",
    }
    assert software.lock_mismatches(lock) == [
        "no-such-package not installed (locked 1.0)",
        f"vtk {metadata.version('vtk')} (locked 0.0.1)",
    ]


def test_software_versions_are_the_installed_ones():
    assert software.software_versions() == {
        "Python": platform.python_version(),
        "VTK": metadata.version("vtk"),
        "pyvista": metadata.version("pyvista"),
        "trimesh": metadata.version("trimesh"),
        "embreex": metadata.version("embreex"),
        "NumPy": metadata.version("numpy"),
        "Pillow": metadata.version("pillow"),
        "fpdf2": metadata.version("fpdf2"),
    }


def test_software_fields_record_the_lock_only_when_there_is_one(tmp_path: Path):
    assert software.LOCK_FILE == APP_LOCK
    missing = software.software_fields(tmp_path / "requirements.lock")
    assert missing["Software-VTK"] == metadata.version("vtk")
    assert not any(label.startswith("Software-Lock") for label in missing)

    lock = tmp_path / "requirements.lock"
    lock.write_text(f"trimesh==0.1\nvtk=={metadata.version('vtk')}\n")
    fields = software.software_fields(lock)
    assert fields["Software-Lock-SHA256"] == hashlib.sha256(lock.read_bytes()).hexdigest()
    assert fields["Software-Lock-Mismatches"] == (
        f"trimesh {metadata.version('trimesh')} (locked 0.1)"
    )
    lock.write_text(f"vtk=={metadata.version('vtk')}\n")
    assert software.software_fields(lock)["Software-Lock-Mismatches"] == "none"
