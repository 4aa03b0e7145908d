"""How many live guest streams one notifier process holds, and what they cost it.

One notifier process (`python -m convive.notifier`, with its own schema and topic namespace) and
nothing else: the benchmark publishes `SessionOpened` (the host) and `GuestJoined` (a second
guest) for N sessions straight to the namespaced table-session topic, as table-session's relay
would, waits until the notifier's access projection knows every guest, then opens the guests'
session streams (`GET /events/sessions/{id}?guest=…`) in steps (250, 500, 1000, 2000 by
default: each step adds streams to the ones already open). The client is raw asyncio streams
(one socket and one small reader task per stream, no HTTP library), so that the benchmark
process spends less than the notifier does; its CPU is measured and reported beside the
notifier's.

At each step, once every stream of the step has its backlog (its own guest's `GuestJoined`):
- the notifier's RSS (`VmRSS` of /proc/<pid>/status), open file descriptors (/proc/<pid>/fd),
  and the PostgreSQL connections it holds (pg_stat_activity, by its application name);
- its CPU while the streams are idle (only heartbeats: one comment line per stream every
  `heartbeat_interval`, 15 s by default), over a few seconds;
- that live events still arrive: a `GuestJoined` of a new guest published to a few sessions,
  one at a time, timed from before the send to its arrival on each of that session's streams;
- how many streams are still open (none may have ended).

Reported: the largest step held within the time and file-descriptor budgets, memory per 1000
streams (least-squares slope of RSS over the number of streams, the idle process included), the
idle CPU per 1000 streams, and the open rate.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import resource
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import asyncpg
from aiokafka import AIOKafkaProducer

from bench.config import Settings
from bench.infra import Infra
from bench.platform_load import _cpu_seconds, _delete_consumer_groups, _log_dir, _tail
from bench.stats import latency_summary, rate
from convive.cli.platform import free_plan
from convive.contracts import SERVICES, EventEnvelope, dlq_topic, events_topic
from convive.contracts.table_session import GuestJoined, SessionOpened
from convive.runtime import kafka

VENUES = 10  # sessions are spread over a few venues (each event also goes to its venue's feed)
OPEN_CONCURRENCY = 64  # stream requests in flight at once (the notifier's pool: 10 + 10)
OPEN_TIMEOUT_S = 30.0
PROBE_TIMEOUT_S = 15.0
FD_MARGIN = 200  # descriptors kept free for everything else either process opens


# --- file descriptors ------------------------------------------------------------------------


def raise_nofile_limit() -> tuple[int, int]:
    """Raise this process's soft RLIMIT_NOFILE to the hard limit; returns (soft, hard)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 20)
    if soft < target:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)


def _child_nofile() -> None:
    """preexec_fn of the notifier: its soft RLIMIT_NOFILE raised to the hard limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def _nofile_of(pid: int) -> int | None:
    """The soft "Max open files" of a running process, from /proc/<pid>/limits."""
    try:
        for line in Path(f"/proc/{pid}/limits").read_text().splitlines():
            if line.startswith("Max open files"):
                value = line.split()[3]
                return None if value == "unlimited" else int(value)
    except (OSError, ValueError, IndexError):
        pass
    return None


# --- the notifier process ----------------------------------------------------------------------


def _rss_mib(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except (OSError, ValueError):
        pass
    return None


def _fds(pid: int) -> int | None:
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return None


class Notifier:
    """One `python -m convive.notifier` child process."""

    def __init__(self, infra: Infra, namespace: str, schema: str, log_dir: Path) -> None:
        service = next(s for s in free_plan() if s.name == "notifier")
        self.module = service.module
        self.host, self.port = "127.0.0.1", service.port
        self.url = f"http://{self.host}:{self.port}"
        self.schema = schema
        self.log_path = log_dir / "notifier.log"
        prefix = service.env_prefix
        self.env = {
            **os.environ,
            "CONVIVE_DATABASE_URL": infra.database_url,
            "CONVIVE_KAFKA_BOOTSTRAP": infra.bootstrap,
            "CONVIVE_TOPIC_NAMESPACE": namespace,
            f"{prefix}DB_SCHEMA": schema,
            f"{prefix}HOST": self.host,
            f"{prefix}PORT": str(self.port),
        }
        self.process: subprocess.Popen[bytes] | None = None
        self._log: Any = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self, partitions: int) -> None:
        self.env["CONVIVE_NOTIFIER_TOPIC_PARTITIONS"] = str(partitions)
        self._log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", self.module],
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            preexec_fn=_child_nofile,
        )

    def wait_ready(self, timeout: float) -> None:
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"the notifier exited with code {self.process.returncode} while starting; "
                    f"last log lines:\n{_tail(self.log_path.parent, 'notifier')}"
                )
            try:
                with urllib.request.urlopen(f"{self.url}/health/ready", timeout=2) as answer:  # noqa: S310 (loopback)
                    if answer.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.2)
        raise RuntimeError(f"the notifier was not ready within {timeout:.0f} s ({self.url})")

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, grace: float = 15.0) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None


# --- a light SSE client: raw asyncio streams ---------------------------------------------------


class StreamRefused(RuntimeError):
    pass


class RawStream:
    """One session stream over a plain socket: the request written by hand, the response read
    in chunks and searched for byte markers (no SSE or chunked-encoding parsing: a marker lies
    inside one message's `data:` line, and the notifier writes one message per chunk)."""

    def __init__(self, session_id: str, guest_id: str) -> None:
        self.session_id = session_id
        self.guest_id = guest_id
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.task: asyncio.Task[None] | None = None
        self.waiting: dict[bytes, asyncio.Future[float]] = {}
        self.ended = False
        self.bytes = 0

    async def open(self, host: str, port: int) -> None:
        """Connect, send the request, check the status, and wait until the stream's backlog
        (its own guest joining) arrived: it is then waiting for live entries."""
        self.reader, self.writer = await asyncio.open_connection(host, port)
        self.writer.write(
            (
                f"GET /events/sessions/{self.session_id}?guest={self.guest_id} HTTP/1.1\r\n"
                f"Host: {host}:{port}\r\nAccept: text/event-stream\r\n\r\n"
            ).encode()
        )
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = head.split(b" ", 2)[1]
        if status != b"200":
            self.writer.close()
            raise StreamRefused(f"HTTP {status.decode(errors='replace')}")
        backlog = self.when(f'"{self.guest_id}"'.encode())
        self.task = asyncio.create_task(self._pump())
        await backlog

    async def _pump(self) -> None:
        assert self.reader is not None
        tail = b""
        try:
            while True:
                chunk = await self.reader.read(65536)
                if not chunk:
                    break
                now = time.monotonic()
                self.bytes += len(chunk)
                if self.waiting:
                    text = tail + chunk
                    for marker in [m for m in self.waiting if m in text]:
                        future = self.waiting.pop(marker)
                        if not future.done():
                            future.set_result(now)
                    tail = text[-128:]
        except (ConnectionError, OSError):
            pass
        finally:
            self.ended = True
            for future in self.waiting.values():
                if not future.done():
                    future.set_exception(EOFError("the stream ended"))

    def when(self, marker: bytes) -> asyncio.Future[float]:
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self.waiting[marker] = future
        return future

    async def close(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(Exception):
                await self.writer.wait_closed()


# --- the sessions ------------------------------------------------------------------------------


def _session(run: str, n: int) -> tuple[str, str, str, str, str]:
    """(venue, spot, session, host guest, second guest) of session n."""
    return (
        f"{run}-venue-{n % VENUES}",
        f"{run}-spot-{n}",
        f"{run}-session-{n}",
        f"{run}-host-{n}",
        f"{run}-guest-{n}",
    )


async def _send(producer: AIOKafkaProducer, topic: str, envelope: EventEnvelope) -> Any:
    return await producer.send(
        topic, value=envelope.body(), key=envelope.key(), headers=envelope.headers()
    )


async def publish_sessions(producer: AIOKafkaProducer, topic: str, run: str, count: int) -> None:
    """SessionOpened (host) then GuestJoined (second guest) of `count` sessions, keyed by the
    spot as table-session's relay keys them (so each pair stays in order)."""
    sent = []
    for n in range(count):
        venue, spot, session, host, guest = _session(run, n)
        opened = SessionOpened(
            venue_id=venue,
            profit_centre_id="dining",
            spot_id=spot,
            session_id=session,
            host_guest_id=host,
            pin="482913",
        )
        joined = GuestJoined(
            venue_id=venue, spot_id=spot, session_id=session, guest_id=guest, device_id=guest
        )
        for event in (opened, joined):
            sent.append(await _send(producer, topic, EventEnvelope.wrap(event, subject=spot)))
    await asyncio.gather(*sent)


async def _learnt(dsn: str, schema: str) -> int:
    """How many of the published events both projections have applied: the guests known to
    the access projection and the entries of the session feeds (the lesser of the two)."""
    conn = await asyncpg.connect(dsn)
    try:
        try:
            guests = await conn.fetchval(f'SELECT count(*) FROM "{schema}".session_guests')
            entries = await conn.fetchval(
                f'SELECT count(*) FROM "{schema}".feed_entries WHERE feed_kind = $1', "session"
            )
        except asyncpg.UndefinedTableError:
            return 0
        return min(int(guests), int(entries))
    finally:
        await conn.close()


async def _db_connections(dsn: str, schema: str) -> int | None:
    """The PostgreSQL connections of the notifier's engine pool, by their application name
    (its LISTEN connection, opened by asyncpg without a name, is not counted)."""
    try:
        conn = await asyncpg.connect(dsn)
    except Exception:
        return None
    try:
        return int(
            await conn.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1",
                f"convive-{schema}",
            )
        )
    finally:
        await conn.close()


# --- the measurement ---------------------------------------------------------------------------


class Streams:
    def __init__(self, notifier: Notifier, infra: Infra, run: str, per_guest: int) -> None:
        self.notifier = notifier
        self.infra = infra
        self.run = run
        self.per_guest = per_guest
        self.open: list[RawStream] = []
        self.refused: dict[str, int] = {}
        self.db_connections_max = 0

    def _next_streams(self, count: int) -> list[RawStream]:
        """Stream i follows session i // (2 * per_guest), as its host (even i) or its guest."""
        start = len(self.open)
        streams = []
        for i in range(start, start + count):
            _, _, session, host, guest = _session(self.run, i // (2 * self.per_guest))
            streams.append(RawStream(session, host if i % 2 == 0 else guest))
        return streams

    async def grow_to(self, total: int) -> dict[str, Any]:
        """Open streams until `total` are open; returns the open latencies and the CPU."""
        new = self._next_streams(total - len(self.open))
        gate = asyncio.Semaphore(OPEN_CONCURRENCY)
        latencies: list[float] = []
        stop_sampling = asyncio.Event()

        async def one(stream: RawStream) -> None:
            async with gate:
                started = time.monotonic()
                try:
                    await asyncio.wait_for(
                        stream.open(self.notifier.host, self.notifier.port), OPEN_TIMEOUT_S
                    )
                except Exception as exc:
                    reason = str(exc) if isinstance(exc, StreamRefused) else type(exc).__name__
                    self.refused[reason] = self.refused.get(reason, 0) + 1
                    await stream.close()
                    return
                latencies.append(time.monotonic() - started)
                self.open.append(stream)

        async def sample_db() -> None:
            while not stop_sampling.is_set():
                found = await _db_connections(self.infra.dsn, self.notifier.schema)
                self.db_connections_max = max(self.db_connections_max, found or 0)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop_sampling.wait(), 0.5)

        sampler = asyncio.create_task(sample_db())
        cpu_before, client_before = _cpu_seconds(self.notifier.pid), time.process_time()
        started = time.monotonic()
        await asyncio.gather(*(one(s) for s in new))
        seconds = time.monotonic() - started
        cpu_after, client_after = _cpu_seconds(self.notifier.pid), time.process_time()
        stop_sampling.set()
        await sampler
        notifier_cpu = (cpu_after or 0.0) - (cpu_before or 0.0)
        return {
            "opened": len(latencies),
            "seconds": round(seconds, 2),
            "opens_per_s": rate(len(latencies), seconds),
            "open_latency": latency_summary(latencies),
            "notifier_cpu_ms_per_open": round(notifier_cpu * 1000 / len(latencies), 2)
            if latencies
            else None,
            "client_cpu_ms_per_open": round(
                (client_after - client_before) * 1000 / len(latencies), 2
            )
            if latencies
            else None,
        }

    async def idle_cpu(self, seconds: float) -> dict[str, Any]:
        pid = self.notifier.pid
        before, client_before, machine_before = (
            _cpu_seconds(pid),
            time.process_time(),
            time.monotonic(),
        )
        bytes_before = sum(s.bytes for s in self.open)
        await asyncio.sleep(seconds)
        wall = time.monotonic() - machine_before
        after = _cpu_seconds(pid)
        used = (after or 0.0) - (before or 0.0)
        return {
            "seconds": round(wall, 2),
            "notifier_cores": round(used / wall, 3),
            "client_cores": round((time.process_time() - client_before) / wall, 3),
            "stream_bytes_per_s": rate(sum(s.bytes for s in self.open) - bytes_before, wall),
        }

    async def probe(self, producer: AIOKafkaProducer, topic: str, count: int) -> dict[str, Any]:
        """A GuestJoined of a new guest to `count` random sessions with open streams, one at a
        time; latency from before the send to its arrival on each of the session's streams."""
        by_session: dict[str, list[RawStream]] = {}
        for stream in self.open:
            if not stream.ended:
                by_session.setdefault(stream.session_id, []).append(stream)
        chosen = random.sample(sorted(by_session), min(count, len(by_session)))
        latencies: list[float] = []
        lost = 0
        for session_id in chosen:
            n = int(session_id.rsplit("-", 1)[1])
            venue, spot, session, _, _ = _session(self.run, n)
            newcomer = f"{self.run}-probe-{secrets.token_hex(4)}"
            marker = f'"{newcomer}"'.encode()
            arrivals = [s.when(marker) for s in by_session[session_id]]
            event = GuestJoined(
                venue_id=venue,
                spot_id=spot,
                session_id=session,
                guest_id=newcomer,
                device_id=newcomer,
            )
            started = time.monotonic()
            await _send(producer, topic, EventEnvelope.wrap(event, subject=spot))
            done, pending = await asyncio.wait(arrivals, timeout=PROBE_TIMEOUT_S)
            for future in pending:
                future.cancel()
            lost += len(pending)
            for future in done:
                if future.exception() is None:
                    latencies.append(future.result() - started)
                else:
                    lost += 1
        return {"sessions": len(chosen), "latency": latency_summary(latencies), "lost": lost}

    async def close(self) -> None:
        await asyncio.gather(*(s.close() for s in self.open), return_exceptions=True)


def _steps(first: int, most: int) -> list[int]:
    steps, n = [], max(1, first)
    while n < most:
        steps.append(n)
        n *= 2
    return [*steps, most]


def _slope(points: list[tuple[int, float]]) -> float | None:
    """Least-squares slope of y over x."""
    if len(points) < 2:
        return None
    mx = sum(x for x, _ in points) / len(points)
    my = sum(y for _, y in points) / len(points)
    sxx = sum((x - mx) ** 2 for x, _ in points)
    if sxx == 0:
        return None
    return sum((x - mx) * (y - my) for x, y in points) / sxx


def _remember_for_clean_up(infra: Infra, namespace: str, schema: str) -> None:
    infra.schemas.append(schema)
    for service in SERVICES:
        infra.topic(events_topic(service, namespace))
        infra.topic(dlq_topic(service, namespace))


async def run(infra: Infra, settings: Settings) -> dict[str, Any]:
    """Start one notifier, publish the sessions, open the streams step by step, measure."""
    section_started = time.monotonic()
    namespace = f"{infra.namespace}s{secrets.token_hex(2)}_"
    schema = f"{namespace}notifier"
    _remember_for_clean_up(infra, namespace, schema)
    soft, hard = raise_nofile_limit()
    budget = settings.streams_budget_s
    result: dict[str, Any] = {
        "namespace": namespace,
        "loadavg_start": [round(x, 2) for x in os.getloadavg()],
        "nofile_bench": {"soft": soft, "hard": hard},
        "budget_s": budget,
        "client": "raw asyncio streams, one socket and one reader task per stream",
    }
    log_dir = _log_dir(namespace)
    notifier = Notifier(infra, namespace, schema, log_dir)
    producer = kafka.make_producer(infra.bootstrap, "bench-streams")
    topic = events_topic("table-session", namespace)
    streams: Streams | None = None
    try:
        notifier.start(settings.partitions)
        await asyncio.to_thread(notifier.wait_ready, 120)
        result["notifier_start_s"] = round(time.monotonic() - section_started, 1)
        child_nofile = _nofile_of(notifier.pid)
        result["nofile_notifier"] = child_nofile
        limits = [settings.streams_max]
        for limit in (soft, child_nofile):
            if limit is not None:
                limits.append(max(0, limit - FD_MARGIN))
        most = min(limits)
        result["streams_ceiling"] = most
        steps = _steps(min(settings.streams_first, most), most)
        per_guest = max(1, settings.streams_per_guest)
        sessions = -(-most // (2 * per_guest))
        await producer.start()
        phase = time.monotonic()
        run_id = f"b{secrets.token_hex(3)}"
        await publish_sessions(producer, topic, run_id, sessions)
        deadline = time.monotonic() + 120
        while await _learnt(infra.dsn, schema) < 2 * sessions:
            if time.monotonic() > deadline or not notifier.alive():
                raise RuntimeError("the notifier did not learn the sessions within 120 s")
            await asyncio.sleep(0.25)
        result["sessions"] = sessions
        result["streams_per_guest"] = per_guest
        result["sessions_learnt_s"] = round(time.monotonic() - phase, 1)
        await asyncio.sleep(1.0)
        pid = notifier.pid
        streams = Streams(notifier, infra, run_id, per_guest)
        baseline = {
            "streams": 0,
            "rss_mib": _rss_mib(pid),
            "fds": _fds(pid),
            "db_connections": await _db_connections(infra.dsn, schema),
            "idle": await streams.idle_cpu(settings.streams_idle_s),
        }
        rows: list[dict[str, Any]] = [baseline]
        stopped_by = "reached the ceiling"
        for target in steps:
            elapsed = time.monotonic() - section_started
            if len(rows) > 1:
                last = rows[-1]
                per_s = last["open"]["opens_per_s"] or 1.0
                needed = (target - last["streams"]) / per_s + settings.streams_idle_s + 5
                if elapsed + needed > budget:
                    stopped_by = f"time budget ({budget:.0f} s; next step ~{needed:.0f} s)"
                    break
            grow = await streams.grow_to(target)
            await asyncio.sleep(0.5)
            idle = await streams.idle_cpu(settings.streams_idle_s)
            row = {
                "streams": len(streams.open),
                "open": grow,
                "rss_mib": _rss_mib(pid),
                "fds": _fds(pid),
                "db_connections": await _db_connections(infra.dsn, schema),
                "idle": idle,
                "live": await streams.probe(producer, topic, settings.streams_probes),
                "ended": sum(1 for s in streams.open if s.ended),
                "notifier_alive": notifier.alive(),
            }
            rows.append(row)
            short = grow["opened"] < target - rows[-2]["streams"]
            if not notifier.alive() or row["ended"] or short:
                stopped_by = "streams refused or ended, or the notifier died"
                break
        result["steps"] = rows
        result["stopped_by"] = stopped_by
        result["refused"] = streams.refused
        result["db_connections_max_while_opening"] = streams.db_connections_max
        held = [
            r
            for r in rows[1:]
            if not r["ended"] and r["notifier_alive"] and r["live"]["latency"].get("n")
        ]
        result["max_streams_held"] = max((r["streams"] for r in held), default=0)
        points = [(r["streams"], r["rss_mib"]) for r in rows if r["rss_mib"] is not None]
        slope = _slope(points)
        result["rss_mib_per_1000_streams"] = round(slope * 1000, 1) if slope is not None else None
        cpu_points = [(r["streams"], r["idle"]["notifier_cores"]) for r in rows]
        cpu_slope = _slope(cpu_points)
        result["idle_cores_per_1000_streams"] = (
            round(cpu_slope * 1000, 3) if cpu_slope is not None else None
        )
    finally:
        if streams is not None:
            await streams.close()
        with contextlib.suppress(Exception):
            await producer.stop()
        await asyncio.to_thread(notifier.stop)
        try:
            result["consumer_groups_deleted"] = len(
                await _delete_consumer_groups(infra.bootstrap, namespace)
            )
        except Exception as exc:  # the groups go when Kafka expires their offsets
            result["consumer_groups_not_deleted"] = repr(exc)
        result["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    result["logs"] = str(log_dir)
    return result
