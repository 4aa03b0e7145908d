"""Child server processes that never outlive the Python process that started them, and the
paths and ports they use: the repository's cache folder, free loopback ports, temporary data
folders swept when their owner died. `postgres` and `kafka` build their servers on this."""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
import queue
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
from collections.abc import Callable, Coroutine, Sequence
from concurrent.futures import Future
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any, Self, TypeVar

CACHE_ENV = "CONVIVE_CACHE"

_T = TypeVar("_T")


class InfraError(RuntimeError):
    """A local server could not be prepared or started."""


class ExternalServer:
    """A server someone else runs (named by the environment): nothing to start or stop."""

    def stop(self) -> None:
        return None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        return None


# --------------------------------------------------------------------------------------------
# Paths and ports
# --------------------------------------------------------------------------------------------


def repo_root() -> Path:
    """The nearest folder holding deploy/local/pom.xml (else uv.lock), from cwd or from here."""
    starts = (Path.cwd().resolve(), Path(__file__).resolve().parent)
    for marker in ("deploy/local/pom.xml", "uv.lock"):
        for start in starts:
            for candidate in (start, *start.parents):
                if (candidate / marker).is_file():
                    return candidate
    raise InfraError("cannot find the Convive repository root (no deploy/local/ or uv.lock)")


def cache_dir() -> Path:
    """$CONVIVE_CACHE or <repo>/.cache, created if missing."""
    configured = os.environ.get(CACHE_ENV)
    path = Path(configured) if configured else repo_root() / ".cache"
    path.mkdir(parents=True, exist_ok=True)
    return path


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (the usual bind-to-0 race applies)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def tcp_accepts(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def tail_of(path: Path, lines: int = 40) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return f"(no log at {path})"
    return "\n".join(text.splitlines()[-lines:]) or f"(empty log at {path})"


def run_in_private_loop(factory: Callable[[], Coroutine[Any, Any, _T]]) -> _T:
    """Run a coroutine to completion on a private event loop, whether or not one is running here."""
    result: list[_T] = []
    error: list[BaseException] = []

    def target() -> None:
        try:
            result.append(asyncio.run(factory()))
        except BaseException as exc:
            error.append(exc)

    thread = threading.Thread(target=target, name="convive-localinfra-probe", daemon=True)
    thread.start()
    thread.join()
    if error:
        raise error[0]
    return result[0]


# --------------------------------------------------------------------------------------------
# Child processes and the watchdog
#
# Three layers make sure a server does not outlive the Python process that started it:
#  1. every child is started with the kernel's parent-death signal (util-linux `setpriv
#     --pdeathsig`), from one long-lived daemon thread: the kernel ties that signal to the thread
#     that forked, so spawning from a short-lived thread (asyncio.to_thread, an executor) would
#     fire it too early. This covers SIGKILL of the parent too.
#  2. an atexit hook stops every server still running, in order and gracefully;
#  3. SIGTERM/SIGHUP handlers (installed only from the main thread, only where the default
#     handler was in place) do the same, then die by the same signal.
# Children run in their own session, so a Ctrl-C in a terminal reaches only the Python process,
# which then stops them through (2) or a context manager.
# --------------------------------------------------------------------------------------------


class _Spawner:
    """Forks every child from one daemon thread that lives as long as the process."""

    def __init__(self) -> None:
        self._requests: queue.SimpleQueue[
            tuple[Callable[[], subprocess.Popen[bytes]], Future[subprocess.Popen[bytes]]]
        ] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def _loop(self) -> None:
        while True:
            start, future = self._requests.get()
            try:
                future.set_result(start())
            except BaseException as exc:
                future.set_exception(exc)

    def spawn(self, start: Callable[[], subprocess.Popen[bytes]]) -> subprocess.Popen[bytes]:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._loop, name="convive-localinfra-spawner", daemon=True
                )
                self._thread.start()
        future: Future[subprocess.Popen[bytes]] = Future()
        self._requests.put((start, future))
        return future.result()


_spawner = _Spawner()
_registry_lock = threading.Lock()
_running: list[ChildServer] = []
_hooks_installed = False


def _install_hooks() -> None:
    global _hooks_installed
    with _registry_lock:
        if _hooks_installed:
            return
        _hooks_installed = True
    atexit.register(stop_all)
    if threading.current_thread() is not threading.main_thread():
        return
    for signum in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(signum) is signal.SIG_DFL:
            signal.signal(signum, _on_terminating_signal)


def _on_terminating_signal(signum: int, frame: FrameType | None) -> None:
    stop_all()
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


def stop_all() -> None:
    """Stop every server this process started and has not stopped yet (newest first)."""
    with _registry_lock:
        servers = list(reversed(_running))
    for server in servers:
        with contextlib.suppress(Exception):
            server.stop()


def spawn(
    argv: Sequence[str],
    *,
    output: Path,
    death_signal: str,
    run_as: str | None = None,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> subprocess.Popen[bytes]:
    """Start argv in its own session, its output appended to `output`, dying with this process."""
    prefix: list[str] = []
    setpriv = shutil.which("setpriv")
    if setpriv:
        prefix = [setpriv]
        if run_as:
            prefix += [f"--reuid={run_as}", f"--regid={run_as}", "--init-groups"]
        prefix += [f"--pdeathsig={death_signal}", "--"]
    user = run_as if run_as and not setpriv else None
    command = [*prefix, *argv]

    def start() -> subprocess.Popen[bytes]:
        with output.open("ab") as sink:
            return subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=sink,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                env=env,
                cwd=cwd,
                user=user,
                group=user,
            )

    _install_hooks()
    return _spawner.spawn(start)


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class ChildServer:
    """A child server process with a graceful stop that escalates to SIGKILL."""

    _stop_signal: int = signal.SIGTERM
    _stop_timeout: float = 30.0
    startup_seconds: float = 0.0  # measured by start_*()

    def __init__(self, process: subprocess.Popen[bytes], root: Path, *, temporary: bool) -> None:
        self.process = process
        self.root = root
        self.temporary = temporary
        self._stopped = False
        with _registry_lock:
            _running.append(self)

    @property
    def pid(self) -> int:
        return self.process.pid

    def running(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        """Stop the server (graceful, then SIGKILL) and remove a temporary data dir. Idempotent."""
        if self._stopped:
            return
        self._stopped = True
        try:
            if self.process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    self.process.send_signal(self._stop_signal)
                try:
                    self.process.wait(self._stop_timeout)
                except subprocess.TimeoutExpired:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(self.process.pid, signal.SIGKILL)
                    self.process.wait(10)
            # Leftovers in the child's session (PostgreSQL backends start sessions of their
            # own and leave by themselves when the postmaster is gone).
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, signal.SIGKILL)
        finally:
            with _registry_lock:
                if self in _running:
                    _running.remove(self)
            if self.temporary:
                shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


_OWNER_FILE = "owner.pid"


def _sweep_orphaned_temp_roots(prefix: str) -> None:
    """Remove temporary data dirs left by a process that was killed before it could clean up."""
    for candidate in Path(tempfile.gettempdir()).glob(f"{prefix}*"):
        try:
            owner = int((candidate / _OWNER_FILE).read_text().strip())
        except (OSError, ValueError):
            continue  # not ours, or not finished being set up
        if not pid_alive(owner):
            shutil.rmtree(candidate, ignore_errors=True)


def prepare_root(data_dir: Path | None, default_durable: Path | None, prefix: str) -> Path:
    if data_dir is not None:
        data_dir.mkdir(parents=True, exist_ok=True)
        return data_dir
    if default_durable is not None:
        default_durable.mkdir(parents=True, exist_ok=True)
        return default_durable
    _sweep_orphaned_temp_roots(prefix)
    root = Path(tempfile.mkdtemp(prefix=prefix))
    (root / _OWNER_FILE).write_text(f"{os.getpid()}\n")
    return root
