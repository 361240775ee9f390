"""What the benchmarks and the browser tests share.

* Servers: a free loopback port; a process started from the repository root in a session of its
  own, waited for over HTTP and stopped with its children; the app (``streamlit run
  viewer/app.py``, or another script) and the environment it runs in.
* The command line: ``bsu-models`` run on that environment; an account that is a member of a
  case (admins grant membership: one asks, a second approves).
* The browser: Debian's Chromium launched through Playwright; the app's sign-in form filled in.
* Memory: peak resident memory of this process, its children, or another live process.
* Fingerprint: the commit measured and whether the code differs from it; the hash of a file.
* Timing: one call, and the two sides of a comparison run in alternating order.
* Meshes: a textured GLB of any size (the web level tests and bench/levels.py).

The scripts in bench/ import it as ``_common`` (``python bench/x.py`` puts bench/ first on the
path); tests import it as ``bench._common``.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import resource
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

REPO = Path(__file__).resolve().parents[1]
MiB = 1024 * 1024
CHROMIUM = Path("/usr/bin/chromium")
# Headless in a container, with nothing fetched from the network behind the caller's back.
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)

T = TypeVar("T")
U = TypeVar("U")


# -- processes and servers ----------------------------------------------------------------------


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on at the moment."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def log_tail(log: Path, lines: int = 30) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def start_process(argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """``argv`` run from the repository root with its output in ``log``. It gets a session of its
    own so that ``stop_process`` also reaches whatever it started."""
    with log.open("wb") as out:
        return subprocess.Popen(
            argv, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def wait_http(
    url: str,
    process: subprocess.Popen[bytes],
    log: Path,
    ok: Callable[[bytes], bool],
    timeout_s: float,
) -> None:
    """Poll ``url`` until ``ok(body)``; RuntimeError with the log's tail when ``process`` exits
    first or ``timeout_s`` passes."""
    deadline = time.monotonic() + timeout_s
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited {process.returncode}:\n{log_tail(log)}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if ok(response.read()):
                    return
        except (urllib.error.URLError, OSError):
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not answer within {timeout_s:.0f} s:\n{log_tail(log)}")
        time.sleep(0.25)


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """Terminate; then sweep its process group (it runs in a session of its own)."""
    if process.poll() is None:
        process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=10)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=10)


@contextlib.contextmanager
def serving(
    argv: list[str],
    env: dict[str, str],
    log: Path,
    url: str,
    ok: Callable[[bytes], bool],
    timeout_s: float,
) -> Iterator[subprocess.Popen[bytes]]:
    """A server process, once it answers ``url``, until the block ends."""
    process = start_process(argv, env, log)
    try:
        wait_http(url, process, log, ok, timeout_s)
        yield process
    finally:
        stop_process(process)


def app_env(data_dir: Path, actor: str) -> dict[str, str]:
    """The environment of the app and the command line on the catalogue in ``data_dir``."""
    # Settings refuse unknown BSU_* names, and the caller's must not leak in.
    env = {k: v for k, v in os.environ.items() if not k.startswith("BSU_")}
    env["BSU_DATA_DIR"] = str(data_dir)
    env["BSU_ACTOR"] = actor
    env.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")
    env["STREAMLIT_BROWSER_GATHER_USAGE_STATS"] = "false"
    return env


def _says_ok(body: bytes) -> bool:
    return body.strip() == b"ok"


@dataclass(frozen=True)
class App:
    process: subprocess.Popen[bytes]
    base_url: str
    log: Path


@contextlib.contextmanager
def streamlit_app(
    env: dict[str, str], log: Path, timeout_s: float, script: str = "viewer/app.py"
) -> Iterator[App]:
    """The real app (or another Streamlit ``script``) on a free loopback port, once its health
    check answers, until the block ends."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    argv = [sys.executable, "-m", "streamlit", "run", script, "--server.port", str(port)]
    argv += ["--server.address", "127.0.0.1", "--server.headless", "true"]
    health = f"{base_url}/_stcore/health"
    with serving(argv, env, log, health, _says_ok, timeout_s) as process:
        yield App(process, base_url, log)


HAPROXY = Path("/usr/sbin/haproxy")
HAPROXY_CONFIG = REPO / "docs" / "deploy" / "haproxy.cfg"


@dataclass(frozen=True)
class BalancedApp:
    base_url: str
    servers: tuple[App, App]
    log: Path


@contextlib.contextmanager
def load_balanced_app(
    env: dict[str, str], log_dir: Path, timeout_s: float
) -> Iterator[BalancedApp]:
    """Two app servers on one catalogue behind Debian's haproxy, configured by the deployment's
    own ``docs/deploy/haproxy.cfg`` (a cookie pins each browser session to its server)."""
    if not HAPROXY.exists():
        raise FileNotFoundError(f"{HAPROXY} is missing; `scripts/setup.sh --test` installs it.")
    with contextlib.ExitStack() as stack:
        servers = tuple(
            stack.enter_context(streamlit_app(env, log_dir / f"app{n}.log", timeout_s))
            for n in (1, 2)
        )
        port = free_port()
        lb_env = {
            **env,
            "LB_BIND": f"127.0.0.1:{port}",
            "APP_SERVER_1": servers[0].base_url.removeprefix("http://"),
            "APP_SERVER_2": servers[1].base_url.removeprefix("http://"),
        }
        base_url = f"http://127.0.0.1:{port}"
        log = log_dir / "haproxy.log"
        argv = [str(HAPROXY), "-db", "-f", str(HAPROXY_CONFIG)]
        health = f"{base_url}/_stcore/health"
        stack.enter_context(serving(argv, lb_env, log, health, _says_ok, timeout_s))
        yield BalancedApp(base_url, (servers[0], servers[1]), log)


# -- the command line ---------------------------------------------------------------------------


def cli(env: dict[str, str], *args: str, stdin: str | None = None, timeout_s: float = 900) -> str:
    """``bsu-models ARGS`` on the catalogue of ``env``; its standard output. RuntimeError with
    its standard error when it fails."""
    result = subprocess.run(
        [sys.executable, "-m", "bsu_models.cli", *args],
        cwd=REPO,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout_s,
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"bsu-models {' '.join(args)} exited {result.returncode}:\n{result.stderr}"
        )
    return result.stdout


def cli_json(env: dict[str, str], *args: str) -> Any:
    """``bsu-models ARGS --json``, parsed."""
    return json.loads(cli(env, *args, "--json"))


def member_account(env: dict[str, str], case: str, password: str, roles: tuple[str, ...]) -> None:
    """The account named by ``env``'s ``BSU_ACTOR`` (given ``roles`` and admin, who adds two
    admins), made a member of ``case`` the way the app requires: nobody grants themself
    membership, one admin asks and a second approves. Call it on a new catalogue, once the case
    exists."""
    user = env["BSU_ACTOR"]
    flags = [arg for role in (*roles, "admin") for arg in ("--role", role)]
    cli(env, "user", "add", user, *flags, "--password-stdin", stdin=password + "\n")
    admins = (f"{user}-admin", f"{user}-admin2")
    for admin in admins:
        cli(env, "user", "add", admin, "--role", "admin", "--password-stdin", stdin=password + "\n")
    cli({**env, "BSU_ACTOR": admins[0]}, "case", "member", "add", case, user)
    cli({**env, "BSU_ACTOR": admins[1]}, "case", "member", "approve", case, user)


# -- the browser --------------------------------------------------------------------------------

SIGN_IN_HEADING = "Sign in to BSU Models"


def launch_chromium(playwright: Any, *extra_args: str) -> Any:
    """Debian's Chromium (Playwright's own builds are not installed) with ``CHROMIUM_ARGS``."""
    if not CHROMIUM.exists():
        raise FileNotFoundError(
            f"{CHROMIUM} is missing; `scripts/setup.sh --test` installs Debian's chromium."
        )
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM), args=[*CHROMIUM_ARGS, *extra_args]
    )


def sign_in(
    page: Any, user: str, password: str, timeout_s: float = 60, typing_s: float = 0.0
) -> None:
    """Fill in and send the app's sign-in form, which a new browser session is shown in place of
    the page it opened (the page follows at the same address); ``typing_s`` after the form is
    shown, as a person types."""
    page.get_by_role("heading", name=SIGN_IN_HEADING).wait_for(timeout=timeout_s * 1000)
    if typing_s:
        page.wait_for_timeout(typing_s * 1000)
    page.get_by_label("User name", exact=True).fill(user)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()


# -- memory -------------------------------------------------------------------------------------


def peak_rss_mib(children: bool = False) -> float:
    """Peak resident memory of this process, or of the largest child it has waited for.

    On Linux a child started with fork/vfork carries this process's peak through ``exec``, so a
    child's figure is at least this process's resident memory when it started it."""
    who = resource.RUSAGE_CHILDREN if children else resource.RUSAGE_SELF
    return resource.getrusage(who).ru_maxrss / 1024  # Linux reports KiB


def vm_hwm_mib(pid: int) -> float | None:
    """Peak resident memory (VmHWM) of a live process, from /proc; None when it cannot be read."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    match = re.search(r"^VmHWM:\s+(\d+) kB", text, re.MULTILINE)
    return int(match.group(1)) / 1024 if match else None


# -- fingerprint --------------------------------------------------------------------------------


def print_result(result: dict[str, Any], as_json: bool, targets: str) -> None:
    """A benchmark's result: as one JSON object, or a line per key and then its targets."""
    if as_json:
        print(json.dumps(result, indent=2))
        return
    width = max(len(key) for key in result)
    for key, value in result.items():
        print(f"{key:>{width}}: {value}")
    print(targets)


def code_version(*folders: str) -> str:
    """The commit measured, and whether ``folders`` differ from it: others edit the tree while a
    benchmark runs, so a figure only compares with the code it names."""

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=REPO, check=True, capture_output=True, text=True
        ).stdout.strip()

    try:
        head = git("rev-parse", "--short", "HEAD")
        dirty = git("status", "--porcelain", "--", *folders)
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    where = " or ".join(f"{folder}/" for folder in folders)
    return f"{head} + uncommitted changes in {where}" if dirty else head


def source_sha(source: Path | ModuleType) -> str:
    """The first 12 hex digits of the SHA-256 of a file, or of a module's source file."""
    path = Path(source.__file__ or "") if isinstance(source, ModuleType) else source
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def machine() -> str:
    return f"{sys.platform}, python {sys.version.split()[0]}, {os.cpu_count()} CPUs"


# -- timing -------------------------------------------------------------------------------------


def timed(fn: Callable[[], T]) -> tuple[float, T]:
    """Wall seconds of one call of ``fn``, and what it returned."""
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def alternate(
    repeat: int,
    ours: Callable[[], T],
    bare: Callable[[], U],
    *,
    bare_first: bool = False,
    after: Callable[[int, tuple[str, str], list[T], list[U]], None] | None = None,
) -> tuple[list[T], list[U]]:
    """``repeat`` runs of each side, what each returned in order. Which side goes first swaps
    every round, so that neither always meets the caches and the load the other left behind.
    ``after(round, order, ours_so_far, bare_so_far)`` is called at the end of each round."""
    ours_runs: list[T] = []
    bare_runs: list[U] = []
    for rep in range(repeat):
        order = ("ours", "bare") if (rep % 2 == 0) != bare_first else ("bare", "ours")
        for side in order:
            if side == "ours":
                ours_runs.append(ours())
            else:
                bare_runs.append(bare())
        if after is not None:
            after(rep, order, ours_runs, bare_runs)
    return ours_runs, bare_runs


# -- meshes -------------------------------------------------------------------------------------


def wavy_grid(cells: int) -> tuple[Any, Any]:
    """Vertices ``(n, 3)`` and faces ``(2 * cells**2, 3)`` of a wavy unit square: the height
    ``z`` over ``x, y`` in [0, 1], each grid cell split along its diagonal from ``(x, y + 1)``
    to ``(x + 1, y)``, vertex ``(i, j)`` at index ``j * (cells + 1) + i``."""
    import numpy as np

    x, y = np.meshgrid(np.linspace(0, 1, cells + 1), np.linspace(0, 1, cells + 1))
    z = 0.05 * np.sin(x * 20) * np.cos(y * 15)
    vertices = np.c_[x.ravel(), y.ravel(), z.ravel()]
    index = np.arange((cells + 1) ** 2).reshape(cells + 1, cells + 1)
    a, b = index[:-1, :-1].ravel(), index[1:, :-1].ravel()
    c, d = index[:-1, 1:].ravel(), index[1:, 1:].ravel()
    return vertices, np.r_[np.c_[a, b, c], np.c_[c, b, d]]


def textured_grid(cells: int, texture_px: int, grain: int = 0) -> bytes:
    """A GLB of ``wavy_grid(cells)`` with UVs and a ``texture_px`` square map (colour ramps
    and stripes, so a picture shows whether it is drawn). With ``grain`` the map carries
    per-pixel noise of that many levels and is stored as JPEG, as a scan's photographs are:
    neither then compresses to almost nothing."""
    import numpy as np
    import trimesh
    from PIL import Image

    vertices, faces = wavy_grid(cells)
    pixels = np.zeros((texture_px, texture_px, 3), np.uint8)
    pixels[..., 0] = np.linspace(0, 255, texture_px)[None, :]
    pixels[..., 1] = np.linspace(0, 255, texture_px)[:, None]
    pixels[:: max(1, texture_px // 16), :, 2] = 255
    image = Image.fromarray(pixels)
    if grain:
        rng = np.random.default_rng(texture_px)
        pixels = np.minimum(pixels, 255 - grain) + rng.integers(0, grain, pixels.shape, np.uint8)
        buffer = io.BytesIO()
        Image.fromarray(pixels).save(buffer, format="JPEG", quality=90)
        image = Image.open(buffer)  # trimesh writes a JPEG it was given as JPEG
    mesh = trimesh.Trimesh(
        vertices,
        faces,
        visual=trimesh.visual.TextureVisuals(uv=vertices[:, :2], image=image),
        process=False,
    )
    return mesh.export(file_type="glb")
