"""A real Apache Kafka broker (KRaft, single node) from the jars Maven fetches, started as a
child process on loopback (or the cluster `CONVIVE_KAFKA_BOOTSTRAP` names, run by someone
else)."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

from convive.localinfra.processes import (
    ChildServer,
    ExternalServer,
    InfraError,
    cache_dir,
    free_port,
    port_is_free,
    prepare_root,
    repo_root,
    run_in_private_loop,
    spawn,
    tail_of,
    tcp_accepts,
)

KAFKA_BOOTSTRAP_ENV = "CONVIVE_KAFKA_BOOTSTRAP"
_POM_MARKER = ".pom.sha256"


class KafkaServer(Protocol):
    @property
    def bootstrap(self) -> str: ...
    def stop(self) -> None: ...


class ExternalKafka(ExternalServer):
    """A Kafka cluster someone else runs; stop() does nothing."""

    def __init__(self, bootstrap: str) -> None:
        self.bootstrap = bootstrap


def kafka_from_env_or_start(**kwargs: Any) -> ExternalKafka | LocalKafka:
    """$CONVIVE_KAFKA_BOOTSTRAP when set (nothing started), else start_kafka(**kwargs)."""
    configured = os.environ.get(KAFKA_BOOTSTRAP_ENV)
    if configured:
        return ExternalKafka(configured)
    return start_kafka(**kwargs)


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


class LocalKafka(ChildServer):
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
        output = tail_of(self.output_path, 10)
        return f"{tail_of(self.log_path, lines)}\n--- stdout/stderr ---\n{output}"


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
    root = prepare_root(data_dir, cache_dir() / "kafka-data" if durable else None, "convive-kafka-")
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
        process = spawn(
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

    while not tcp_accepts("127.0.0.1", server.port):
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

    run_in_private_loop(probe)
