"""scripts/setup.sh (run by scripts/start.sh) when another apt process holds the lock."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _tool(folder: Path, name: str, body: str) -> None:
    path = folder / name
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(0o755)


def test_a_held_apt_lock_is_waited_for_and_then_explained(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "apt-calls"
    _tool(bin_dir, "dpkg-query", "exit 1")  # every package missing
    _tool(bin_dir, "ps", "exit 0")  # an apt process is running
    _tool(bin_dir, "sudo", 'exec "$@"')
    _tool(
        bin_dir,
        "apt-get",
        f'echo "$@" >> {calls}\n'
        'echo "E: Could not get lock /var/lib/apt/lists/lock. It is held by process 4242" >&2\n'
        "exit 100",
    )
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "APT_LOCK_WAIT_S": "3"}
    done = subprocess.run(
        ["bash", str(REPO / "scripts" / "setup.sh")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "waiting up to 3 s" in done.stdout
    assert "holds its lock" in done.stderr and "run this script again" in done.stderr
    assert "sudo apt-get install libegl1" in done.stderr
    assert calls.read_text().startswith("-o DPkg::Lock::Timeout=3 update")


def _missing_packages(tmp_path: Path, with_npm: bool) -> str:
    """What setup.sh asks apt for when dpkg knows no package; the npm command present or not."""
    bin_dir = tmp_path / ("with-npm" if with_npm else "without-npm")
    bin_dir.mkdir()
    calls = tmp_path / f"{bin_dir.name}-calls"
    _tool(bin_dir, "dpkg-query", "exit 1")
    _tool(bin_dir, "ps", "exit 1")
    _tool(bin_dir, "sudo", 'exec "$@"')
    _tool(bin_dir, "apt-get", f'echo "$@" >> {calls}\n[ "$3" = update ] && exit 0\nexit 100')
    if with_npm:
        _tool(bin_dir, "npm", "exit 0")
    # Only the stubs and the shell's own tools: a machine's real npm must not be seen.
    tools = tmp_path / f"{bin_dir.name}-tools"
    tools.mkdir()
    for name in ("bash", "grep", "id", "dirname", "cat", "sha256sum", "cut"):
        found = subprocess.run(["which", name], capture_output=True, text=True).stdout.strip()
        if found:
            (tools / name).symlink_to(found)
    env = {**os.environ, "PATH": f"{bin_dir}:{tools}"}
    subprocess.run(
        ["bash", str(REPO / "scripts" / "setup.sh")], env=env, capture_output=True, timeout=60
    )
    return calls.read_text()


def test_npm_that_comes_with_nodejs_is_not_installed_again(tmp_path: Path) -> None:
    # NodeSource's nodejs ships npm and conflicts with Debian's npm package.
    with_npm = _missing_packages(tmp_path, with_npm=True)
    assert "install" in with_npm and "libegl1" in with_npm and "npm" not in with_npm
    assert " npm" in _missing_packages(tmp_path, with_npm=False)
