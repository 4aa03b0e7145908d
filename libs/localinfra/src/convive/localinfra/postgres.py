"""A real PostgreSQL server from the distribution's packages, started as a child process on
loopback (or the one `CONVIVE_DATABASE_URL` names, started by someone else)."""

from __future__ import annotations

import asyncio
import contextlib
import glob
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any, Protocol

from convive.localinfra.processes import (
    CACHE_ENV,
    ChildServer,
    ExternalServer,
    InfraError,
    cache_dir,
    free_port,
    pid_alive,
    prepare_root,
    run_in_private_loop,
    spawn,
    tail_of,
)

DATABASE_URL_ENV = "CONVIVE_DATABASE_URL"
PG_BINDIR_ENV = "CONVIVE_PG_BINDIR"
PG_USER = "convive"
PG_DATABASE = "convive"
_UNIX_SOCKET_PATH_MAX = 100  # sun_path is 108 bytes; ".s.PGSQL.NNNNN" must fit too


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


class ExternalPostgres(ExternalServer):
    """A PostgreSQL server someone else runs; stop() does nothing."""

    def __init__(self, url: str) -> None:
        self.url = url_from_dsn(url)
        self.dsn = dsn_from_url(url)


def postgres_from_env_or_start(**kwargs: Any) -> ExternalPostgres | LocalPostgres:
    """$CONVIVE_DATABASE_URL when set (nothing started), else start_postgres(**kwargs)."""
    configured = os.environ.get(DATABASE_URL_ENV)
    if configured:
        return ExternalPostgres(configured)
    return start_postgres(**kwargs)


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


class LocalPostgres(ChildServer):
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
    root = prepare_root(data_dir, cache_dir() / "pg-data" if durable else None, "convive-pg-")
    pgdata = root / "data"
    log_path = root / "postgres.log"
    if run_as:
        _check_traversable(root, run_as)
    try:
        running_pid = _postmaster_pid(pgdata)
        if running_pid is not None and pid_alive(running_pid):
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
        process = spawn(argv, output=log_path, death_signal="INT", run_as=run_as, cwd=root)
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
        process = spawn(argv, output=log, death_signal="KILL", run_as=run_as, cwd=root)
        code = process.wait(120)
    finally:
        pwfile.unlink(missing_ok=True)
    if code != 0:
        raise InfraError(f"initdb failed (exit {code}):\n{tail_of(log)}")


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
                    f"{tail_of(server.log_path)}"
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
            f"{tail_of(server.log_path)}"
        )

    run_in_private_loop(probe)
