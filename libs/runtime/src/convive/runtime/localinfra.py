"""Starts and stops real local PostgreSQL and Apache Kafka (KRaft) processes on loopback.

Used by the pytest plugin, by `convive run` and by the benchmarks; see
docs/decisions/0002-local-infrastructure.md for the choices and the limits of the watchdog.
"""

from __future__ import annotations

import asyncio
import atexit
import base64
import contextlib
import fcntl
import glob
import hashlib
import json
import os
import queue
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Coroutine, Iterator, Sequence
from concurrent.futures import Future
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any, Protocol, Self, TypeVar

__all__ = [
    "ExternalKafka",
    "ExternalPostgres",
    "InfraError",
    "KafkaServer",
    "LocalKafka",
    "LocalPostgres",
    "PostgresServer",
    "cache_dir",
    "dsn_from_url",
    "ensure_kafka_jars",
    "free_port",
    "kafka_from_env_or_start",
    "postgres_bindir",
    "postgres_from_env_or_start",
    "repo_root",
    "start_kafka",
    "start_postgres",
    "stop_all",
    "url_from_dsn",
]

DATABASE_URL_ENV = "CONVIVE_DATABASE_URL"
KAFKA_BOOTSTRAP_ENV = "CONVIVE_KAFKA_BOOTSTRAP"
CACHE_ENV = "CONVIVE_CACHE"
PG_BINDIR_ENV = "CONVIVE_PG_BINDIR"

PG_USER = "convive"
PG_DATABASE = "convive"
_POM_MARKER = ".pom.sha256"
_UNIX_SOCKET_PATH_MAX = 100  # sun_path is 108 bytes; ".s.PGSQL.NNNNN" must fit too

_T = TypeVar("_T")


class InfraError(RuntimeError):
    """A local server could not be prepared or started."""


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


def _tcp_accepts(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def _tail(path: Path, lines: int = 40) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return f"(no log at {path})"
    return "\n".join(text.splitlines()[-lines:]) or f"(empty log at {path})"


def _run_coro_in_thread(factory: Callable[[], Coroutine[Any, Any, _T]]) -> _T:
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
_running: list[_Server] = []
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


def _spawn(
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


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class _Server:
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
        if not _pid_alive(owner):
            shutil.rmtree(candidate, ignore_errors=True)


def _prepare_root(data_dir: Path | None, default_durable: Path | None, prefix: str) -> Path:
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


# --------------------------------------------------------------------------------------------
# URLs and the "use what the environment gives" helpers
# --------------------------------------------------------------------------------------------


def dsn_from_url(url: str) -> str:
    """'postgresql+asyncpg://…' -> 'postgresql://…' (a plain libpq/asyncpg DSN)."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise ValueError(f"not a database URL: {url!r}")
    return f"{scheme.split('+', 1)[0]}://{rest}"


def url_from_dsn(dsn: str, driver: str = "asyncpg") -> str:
    """'postgresql://…' (any driver) -> 'postgresql+asyncpg://…' for SQLAlchemy's async engine."""
    scheme, sep, rest = dsn.partition("://")
    if not sep:
        raise ValueError(f"not a database URL: {dsn!r}")
    base = scheme.split("+", 1)[0]
    if base == "postgres":
        base = "postgresql"
    return f"{base}+{driver}://{rest}"


class PostgresServer(Protocol):
    @property
    def url(self) -> str: ...
    @property
    def dsn(self) -> str: ...
    def stop(self) -> None: ...


class KafkaServer(Protocol):
    @property
    def bootstrap(self) -> str: ...
    def stop(self) -> None: ...


class ExternalPostgres:
    """A PostgreSQL server someone else runs; stop() does nothing."""

    def __init__(self, url: str) -> None:
        self.url = url_from_dsn(url)
        self.dsn = dsn_from_url(url)

    def stop(self) -> None:
        return None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        return None


class ExternalKafka:
    """A Kafka cluster someone else runs; stop() does nothing."""

    def __init__(self, bootstrap: str) -> None:
        self.bootstrap = bootstrap

    def stop(self) -> None:
        return None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        return None


def postgres_from_env_or_start(**kwargs: Any) -> ExternalPostgres | LocalPostgres:
    """$CONVIVE_DATABASE_URL when set (nothing started), else start_postgres(**kwargs)."""
    configured = os.environ.get(DATABASE_URL_ENV)
    if configured:
        return ExternalPostgres(configured)
    return start_postgres(**kwargs)


def kafka_from_env_or_start(**kwargs: Any) -> ExternalKafka | LocalKafka:
    """$CONVIVE_KAFKA_BOOTSTRAP when set (nothing started), else start_kafka(**kwargs)."""
    configured = os.environ.get(KAFKA_BOOTSTRAP_ENV)
    if configured:
        return ExternalKafka(configured)
    return start_kafka(**kwargs)


# --------------------------------------------------------------------------------------------
# PostgreSQL
# --------------------------------------------------------------------------------------------


def _has_server_binaries(bindir: Path) -> bool:
    return all((bindir / name).is_file() for name in ("initdb", "postgres", "pg_ctl"))


def postgres_bindir() -> Path:
    """The folder holding initdb/postgres: $CONVIVE_PG_BINDIR, pg_config, Debian's, or PATH."""
    configured = os.environ.get(PG_BINDIR_ENV)
    if configured:
        return Path(configured)
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, check=True, timeout=10
            )
            bindir = Path(out.stdout.strip())
            if _has_server_binaries(bindir):
                return bindir

    def version_key(path: str) -> tuple[int, ...]:
        part = Path(path).parent.name
        return tuple(int(x) for x in part.split(".") if x.isdigit())

    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=version_key, reverse=True):
        if _has_server_binaries(Path(candidate)):
            return Path(candidate)
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise InfraError(
        "PostgreSQL server binaries (initdb, postgres) not found: run deploy/local/install-deps.sh"
        f" or set {PG_BINDIR_ENV}"
    )


def _pg_run_as() -> str | None:
    """initdb and postgres refuse to run as root: use the 'postgres' account then."""
    if os.geteuid() != 0:
        return None
    try:
        import pwd

        pwd.getpwnam("postgres")
    except KeyError as exc:
        raise InfraError(
            "running as root but there is no 'postgres' user to run the server"
        ) from exc
    return "postgres"


def _chown_tree(path: Path, user: str) -> None:
    import pwd

    entry = pwd.getpwnam(user)
    for current, dirs, files in os.walk(path):
        os.chown(current, entry.pw_uid, entry.pw_gid)
        for name in (*dirs, *files):
            os.chown(os.path.join(current, name), entry.pw_uid, entry.pw_gid, follow_symlinks=False)


def _check_traversable(path: Path, user: str) -> None:
    """The server user must be able to reach its data dir through every parent folder."""
    for parent in path.resolve().parents:
        mode = parent.stat().st_mode
        if not mode & 0o001:
            raise InfraError(
                f"{parent} is not searchable by other users, so the '{user}' account cannot reach"
                f" {path}: choose a data dir elsewhere (e.g. set {CACHE_ENV})"
            )


class LocalPostgres(_Server):
    """A PostgreSQL server started by this process, listening on 127.0.0.1 only."""

    _stop_signal = signal.SIGINT  # "fast" shutdown: roll back open transactions, disconnect
    _stop_timeout = 30.0

    def __init__(
        self,
        process: subprocess.Popen[bytes],
        root: Path,
        *,
        temporary: bool,
        port: int,
        password: str,
        log_path: Path,
    ) -> None:
        super().__init__(process, root, temporary=temporary)
        self.port = port
        self.host = "127.0.0.1"
        self.user = PG_USER
        self.password = password
        self.database = PG_DATABASE
        self.log_path = log_path
        self.dsn = f"postgresql://{self.user}:{password}@{self.host}:{port}/{self.database}"
        self.url = url_from_dsn(self.dsn)

    def __repr__(self) -> str:
        return f"LocalPostgres(pid={self.pid}, port={self.port}, root={str(self.root)!r})"


def _read_or_create_password(path: Path) -> str:
    if path.is_file():
        return path.read_text().strip()
    password = secrets.token_hex(16)
    path.write_text(password + "\n")
    path.chmod(0o600)
    return password


def _postmaster_pid(pgdata: Path) -> int | None:
    try:
        first = (pgdata / "postmaster.pid").read_text().splitlines()[0]
        return int(first.strip())
    except (OSError, ValueError, IndexError):
        return None


def start_postgres(
    data_dir: Path | None = None,
    *,
    port: int | None = None,
    durable: bool = False,
    timeout: float = 60.0,
) -> LocalPostgres:
    """Start a PostgreSQL server with a `convive` superuser (password auth) and database.

    data_dir=None: a temporary folder removed by stop() (durable=False), or cache_dir()/pg-data
    kept and reused across runs (durable=True). Non-durable servers run with fsync off.
    """
    started = time.monotonic()
    bindir = postgres_bindir()
    run_as = _pg_run_as()
    temporary = data_dir is None and not durable
    root = _prepare_root(data_dir, cache_dir() / "pg-data" if durable else None, "convive-pg-")
    pgdata = root / "data"
    log_path = root / "postgres.log"
    if run_as:
        _check_traversable(root, run_as)
    try:
        running_pid = _postmaster_pid(pgdata)
        if running_pid is not None and _pid_alive(running_pid):
            raise InfraError(
                f"a PostgreSQL server (pid {running_pid}) already runs on {pgdata}; stop it first"
            )
        password = _read_or_create_password(root / "password")
        socket_dir = root / "run"
        if len(str(socket_dir)) > _UNIX_SOCKET_PATH_MAX - 20:
            socket_dir = Path(tempfile.mkdtemp(prefix="convive-pgsock-"))
        socket_dir.mkdir(exist_ok=True)
        if run_as:
            _chown_tree(root, run_as)
            if not socket_dir.is_relative_to(root):
                _chown_tree(socket_dir, run_as)

        if not (pgdata / "PG_VERSION").is_file():
            _initdb(bindir, root, pgdata, password, run_as=run_as, durable=durable)

        port = port or free_port()
        settings = {
            "listen_addresses": "127.0.0.1",
            "port": str(port),
            "unix_socket_directories": str(socket_dir),
            "max_connections": "200",
            "logging_collector": "off",
        }
        if not durable:
            settings |= {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}
        argv = [str(bindir / "postgres"), "-D", str(pgdata)]
        for key, value in settings.items():
            argv += ["-c", f"{key}={value}"]
        process = _spawn(argv, output=log_path, death_signal="INT", run_as=run_as, cwd=root)
    except BaseException:
        if temporary:
            shutil.rmtree(root, ignore_errors=True)
        raise
    server = LocalPostgres(
        process, root, temporary=temporary, port=port, password=password, log_path=log_path
    )
    try:
        _wait_for_postgres(server, deadline=started + timeout)
    except BaseException:
        server.stop()
        raise
    server.startup_seconds = time.monotonic() - started
    return server


def _initdb(
    bindir: Path, root: Path, pgdata: Path, password: str, *, run_as: str | None, durable: bool
) -> None:
    pwfile = root / ".initdb-pw"
    pwfile.write_text(password + "\n")
    pwfile.chmod(0o600)
    if pgdata.exists() and not any(pgdata.iterdir()):
        pgdata.rmdir()
    if run_as:
        _chown_tree(root, run_as)
    argv = [
        str(bindir / "initdb"),
        "-D",
        str(pgdata),
        "-U",
        PG_USER,
        f"--pwfile={pwfile}",
        "--auth=scram-sha-256",
        "--encoding=UTF8",
        "--no-locale",
        "--no-instructions",
    ]
    if not durable:
        argv.append("--no-sync")
    log = root / "initdb.log"
    try:
        process = _spawn(argv, output=log, death_signal="KILL", run_as=run_as, cwd=root)
        code = process.wait(120)
    finally:
        pwfile.unlink(missing_ok=True)
    if code != 0:
        raise InfraError(f"initdb failed (exit {code}):\n{_tail(log)}")


def _wait_for_postgres(server: LocalPostgres, *, deadline: float) -> None:
    """Connect until the server answers, then create the `convive` database if it is missing."""
    import asyncpg

    admin_dsn = server.dsn.rsplit("/", 1)[0] + "/postgres"

    async def probe() -> None:
        last_error: BaseException | None = None
        while time.monotonic() < deadline:
            if not server.running():
                raise InfraError(
                    f"PostgreSQL exited with code {server.process.returncode}:\n"
                    f"{_tail(server.log_path)}"
                )
            try:
                conn = await asyncpg.connect(admin_dsn, timeout=5)
            except (TimeoutError, OSError, asyncpg.PostgresError) as exc:
                last_error = exc
                await asyncio.sleep(0.1)
                continue
            try:
                exists = await conn.fetchval(
                    "select 1 from pg_database where datname = $1", PG_DATABASE
                )
                if not exists:
                    await conn.execute(f'create database "{PG_DATABASE}"')
            finally:
                await conn.close()
            return
        raise InfraError(
            f"PostgreSQL did not answer on port {server.port} in time ({last_error!r}):\n"
            f"{_tail(server.log_path)}"
        )

    _run_coro_in_thread(probe)


# --------------------------------------------------------------------------------------------
# Kafka
# --------------------------------------------------------------------------------------------


def _pom_digest(pom: Path) -> str:
    return hashlib.sha256(pom.read_bytes()).hexdigest()


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def ensure_kafka_jars() -> Path:
    """The folder of Kafka jars, fetched with Maven (deploy/local/pom.xml) when missing or stale.

    The same marker (sha256 of the pom) and lock file as deploy/local/install-deps.sh.
    """
    pom = repo_root() / "deploy" / "local" / "pom.xml"
    cache = cache_dir()
    libs = cache / "kafka-libs"
    marker = libs / _POM_MARKER
    want = _pom_digest(pom)

    def current() -> bool:
        return marker.is_file() and marker.read_text().strip() == want

    if current():
        return libs
    with _file_lock(cache / "kafka-libs.lock"):
        if current():
            return libs
        mvn = shutil.which("mvn")
        if not mvn:
            raise InfraError("Maven (mvn) is needed to fetch the Kafka jars: install it")
        tmp = cache / f"kafka-libs.tmp-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        result = subprocess.run(
            [
                mvn,
                "-q",
                "-B",
                "-Dstyle.color=never",
                "-f",
                str(pom),
                "dependency:copy-dependencies",
                f"-DoutputDirectory={tmp}",
            ],
            capture_output=True,
            text=True,
            check=False,
            timeout=900,
        )
        if result.returncode != 0:
            shutil.rmtree(tmp, ignore_errors=True)
            raise InfraError(
                f"fetching the Kafka jars failed (mvn exit {result.returncode}):\n"
                f"{(result.stdout + result.stderr)[-4000:]}"
            )
        (tmp / _POM_MARKER).write_text(want + "\n")
        old = cache / f"kafka-libs.old-{os.getpid()}"
        if libs.exists():
            libs.rename(old)
        tmp.rename(libs)
        shutil.rmtree(old, ignore_errors=True)
    return libs


def _java() -> str:
    java_home = os.environ.get("JAVA_HOME")
    if java_home and (Path(java_home) / "bin" / "java").is_file():
        return str(Path(java_home) / "bin" / "java")
    java = shutil.which("java")
    if not java:
        raise InfraError("Java (17 or newer) is needed to run Kafka: install a JRE")
    return java


def _kafka_cluster_id() -> str:
    """A random Kafka Uuid in its base64 form (as StorageTool random-uuid makes, without a JVM)."""
    while True:
        text = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not text.startswith("-"):
            return text


class LocalKafka(_Server):
    """A single-node Kafka (KRaft, combined broker and controller) started by this process."""

    _stop_signal = signal.SIGTERM  # controlled shutdown
    _stop_timeout = 30.0

    def __init__(
        self,
        process: subprocess.Popen[bytes],
        root: Path,
        *,
        temporary: bool,
        port: int,
        controller_port: int,
        log_path: Path,
        output_path: Path,
    ) -> None:
        super().__init__(process, root, temporary=temporary)
        self.port = port
        self.controller_port = controller_port
        self.bootstrap = f"127.0.0.1:{port}"
        self.log_path = log_path
        self.output_path = output_path

    def __repr__(self) -> str:
        return f"LocalKafka(pid={self.pid}, bootstrap={self.bootstrap!r}, root={str(self.root)!r})"

    def log_tail(self, lines: int = 40) -> str:
        return (
            f"{_tail(self.log_path, lines)}\n--- stdout/stderr ---\n{_tail(self.output_path, 10)}"
        )


def _kafka_properties(*, data: Path, port: int, controller_port: int) -> str:
    props = {
        "process.roles": "broker,controller",
        "node.id": "1",
        "controller.quorum.bootstrap.servers": f"127.0.0.1:{controller_port}",
        "listeners": f"PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}",
        "advertised.listeners": f"PLAINTEXT://127.0.0.1:{port}",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "log.dirs": str(data),
        "num.partitions": "3",
        "default.replication.factor": "1",
        "min.insync.replicas": "1",
        "offsets.topic.replication.factor": "1",
        "offsets.topic.num.partitions": "5",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "transaction.state.log.num.partitions": "5",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
        "auto.create.topics.enable": "false",
        "group.initial.rebalance.delay.ms": "0",
        "num.network.threads": "2",
        "num.io.threads": "4",
        "num.recovery.threads.per.data.dir": "1",
        "log.cleaner.threads": "1",
        "delete.topic.enable": "true",
    }
    return "".join(f"{key}={value}\n" for key, value in props.items())


def _kafka_ports(root: Path, port: int | None, *, durable: bool) -> tuple[int, int]:
    """Broker and controller ports; a durable data dir keeps its controller port across runs."""
    saved = root / "ports.json"
    controller: int | None = None
    if durable and saved.is_file():
        with contextlib.suppress(ValueError, KeyError, OSError):
            previous = int(json.loads(saved.read_text())["controller"])
            if port_is_free(previous):
                controller = previous
    controller = controller or free_port()
    broker = port or free_port()
    while broker == controller:
        broker = free_port()
    saved.write_text(json.dumps({"broker": broker, "controller": controller}) + "\n")
    return broker, controller


def start_kafka(
    data_dir: Path | None = None,
    *,
    port: int | None = None,
    durable: bool = False,
    timeout: float = 90.0,
    heap: str = "-Xmx768m",
) -> LocalKafka:
    """Start a single-node KRaft Kafka on 127.0.0.1 from the Maven-fetched jars.

    data_dir=None: a temporary folder removed by stop() (durable=False), or cache_dir()/kafka-data
    kept and reused across runs (durable=True).
    """
    started = time.monotonic()
    jars = ensure_kafka_jars()
    java = _java()
    log4j = repo_root() / "deploy" / "local" / "kafka-log4j2.yaml"
    temporary = data_dir is None and not durable
    root = _prepare_root(
        data_dir, cache_dir() / "kafka-data" if durable else None, "convive-kafka-"
    )
    try:
        data = root / "data"
        logs = root / "logs"
        logs.mkdir(exist_ok=True)
        output_path = root / "kafka.out"
        broker_port, controller_port = _kafka_ports(root, port, durable=durable or not temporary)
        properties = root / "server.properties"
        properties.write_text(
            _kafka_properties(data=data, port=broker_port, controller_port=controller_port)
        )
        common = [
            "-XX:-UsePerfData",
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={log4j}",
            f"-Dkafka.logs.dir={logs}",
            "-cp",
            f"{jars}/*",
        ]
        # The short-lived format run starts faster without the optimising JIT.
        tool = [java, "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx256m", *common]
        jvm = [
            java,
            "-Xms256m",
            heap,
            "-XX:+UseG1GC",
            "-XX:MaxGCPauseMillis=20",
            "-XX:+ExitOnOutOfMemoryError",
            *common,
        ]
        if not (data / "meta.properties").is_file():
            fmt = subprocess.run(
                [
                    *tool,
                    "kafka.tools.StorageTool",
                    "format",
                    "--standalone",
                    "-t",
                    _kafka_cluster_id(),
                    "-c",
                    str(properties),
                ],
                capture_output=True,
                text=True,
                check=False,
                timeout=120,
            )
            if fmt.returncode != 0:
                raise InfraError(
                    f"formatting the Kafka storage failed (exit {fmt.returncode}):\n"
                    f"{(fmt.stdout + fmt.stderr)[-4000:]}"
                )
        process = _spawn(
            [*jvm, "kafka.Kafka", str(properties)],
            output=output_path,
            death_signal="TERM",
            cwd=root,
        )
    except BaseException:
        if temporary:
            shutil.rmtree(root, ignore_errors=True)
        raise
    server = LocalKafka(
        process,
        root,
        temporary=temporary,
        port=broker_port,
        controller_port=controller_port,
        log_path=logs / "server.log",
        output_path=output_path,
    )
    try:
        _wait_for_kafka(server, deadline=started + timeout)
    except BaseException:
        server.stop()
        raise
    server.startup_seconds = time.monotonic() - started
    return server


def _wait_for_kafka(server: LocalKafka, *, deadline: float) -> None:
    """Wait for the port, then until the broker lists itself in a metadata answer."""

    def check_alive() -> None:
        if not server.running():
            raise InfraError(
                f"Kafka exited with code {server.process.returncode}:\n{server.log_tail()}"
            )

    while not _tcp_accepts("127.0.0.1", server.port):
        check_alive()
        if time.monotonic() > deadline:
            raise InfraError(f"Kafka did not open port {server.port} in time:\n{server.log_tail()}")
        time.sleep(0.1)

    from aiokafka.admin import AIOKafkaAdminClient

    async def probe() -> None:
        last_error: BaseException | None = None
        while time.monotonic() < deadline:
            check_alive()
            admin = AIOKafkaAdminClient(bootstrap_servers=server.bootstrap, request_timeout_ms=5000)
            try:
                await admin.start()
                cluster = await admin.describe_cluster()
                if cluster.get("brokers"):
                    return
            except Exception as exc:
                last_error = exc
            finally:
                with contextlib.suppress(Exception):
                    await admin.close()
            await asyncio.sleep(0.2)
        raise InfraError(
            f"Kafka on {server.bootstrap} did not answer in time ({last_error!r}):\n"
            f"{server.log_tail()}"
        )

    _run_coro_in_thread(probe)
