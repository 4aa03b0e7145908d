"""The platform under load: every service as its own process (as `convive run` and the
end-to-end tests start them) on the run's Kafka and PostgreSQL, driven over HTTP and followed
over the notifier's Server-Sent Events streams.

One venue with N tables, a menu and a paired POS device. At every table two guests scan and each
follows the session's stream; the POS follows the venue's stream. Then all tables at once: each
guest adds items (a bounded number, back to back unless a think time is set), and when both
guests of a table are done, the first confirms the cart. Measured:

- guest to guest: from before guest A's `POST …/cart/items` to the moment guest B's stream
  delivered that `CartItemAdded` (matched by the line id of A's answer);
- order to POS: from before `POST …/cart/confirm` to the moment the POS's venue stream
  delivered the `OrderPlaced` (matched by the order id of the answer);
- the adds per second accepted over the load phase, and how many reached the other guest.
"""

from __future__ import annotations

import asyncio
import os
import random
import secrets
import shutil
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.protocol.admin import DeleteGroupsRequest

from bench import raw_kafka
from bench.config import Settings
from bench.infra import Infra
from bench.sse import SseStream, open_with_retry
from bench.stats import latency_summary, rate
from convive import localinfra
from convive.cli.platform import Platform, ServiceStartError, free_plan
from convive.contracts import SERVICES, dlq_topic, events_topic

VENUE = "bench-venue"
CURRENCY = "EUR"
PRODUCTS = [
    ("croque", 1250, "Croque-monsieur"),
    ("salade", 1100, "Salade niçoise"),
    ("frites", 450, "Frites"),
    ("mousse", 750, "Mousse au chocolat"),
    ("cafe", 250, "Café"),
    ("vin", 600, "Verre de vin"),
]
# What the services may answer while they have not learnt of a scan or a pairing yet.
NOT_KNOWN_YET = {401, 403, 404}
KNOWN_WITHIN_S = 60.0
DELIVERY_WAIT_S = 60.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _menu() -> dict[str, Any]:
    return {
        "currency": CURRENCY,
        "categories": [{"category_id": "carte", "name": {"fr": "Carte", "en": "Menu"}}],
        "products": [
            {
                "product_id": pid,
                "category_id": "carte",
                "name": {"fr": name, "en": name},
                "price": {"amount_minor": price, "currency": CURRENCY},
            }
            for pid, price, name in PRODUCTS
        ],
    }


def _services_with_store() -> list[str]:
    return [s for s in SERVICES if s != "gateway"]


def _platform(infra: Infra, namespace: str, settings: Settings, log_dir: Path) -> Platform:
    """Every service of `plan()` with its own schema, in the run's topic namespace."""
    services = free_plan()
    gateway = next(s for s in services if s.name == "gateway")
    env = {
        **os.environ,
        "CONVIVE_DATABASE_URL": infra.database_url,
        "CONVIVE_KAFKA_BOOTSTRAP": infra.bootstrap,
        "CONVIVE_TOPIC_NAMESPACE": namespace,
        "CONVIVE_TABLE_SESSION_PUBLIC_BASE_URL": gateway.url,
    }
    for service in SERVICES:
        prefix = f"CONVIVE_{service.replace('-', '_').upper()}_"
        env[f"{prefix}DB_SCHEMA"] = f"{namespace}{service.replace('-', '_')}"
        env[f"{prefix}TOPIC_PARTITIONS"] = str(settings.partitions)
    return Platform(services, env, log_dir=log_dir)


def _remember_for_clean_up(infra: Infra, namespace: str) -> None:
    """The schemas and topics the services will create, so the run's clean-up removes them
    even when this section fails half way."""
    for service in _services_with_store():
        infra.schemas.append(f"{namespace}{service.replace('-', '_')}")
        infra.topic(events_topic(service, namespace))
        infra.topic(dlq_topic(service, namespace))


async def _delete_consumer_groups(bootstrap: str, namespace: str) -> list[str]:
    """Delete the consumer groups of the namespace (their members have stopped); returns the
    groups deleted. aiokafka's admin client has no call for it, so the request (DeleteGroups,
    API 42) goes to each group's coordinator."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10_000)
    deleted = []
    try:
        await admin.start()
        groups = [g[0] for g in await admin.list_consumer_groups() if g[0].startswith(namespace)]
        for group in groups:
            coordinator = await admin.find_coordinator(group)
            answer = await admin._send_request_to_node(coordinator, DeleteGroupsRequest([group]))
            deleted += [name for name, error in answer.results if error == 0]
        return deleted
    finally:
        await admin.close()


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process so far, from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def _machine_busy_ticks() -> tuple[int, int]:
    """(busy, total) CPU ticks of the whole machine, from /proc/stat."""
    try:
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return 0, 0
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return sum(values) - idle, sum(values)


class CpuMeter:
    """CPU time of each service process, of this process and of the machine over a phase."""

    def __init__(self, platform: Platform) -> None:
        self.pids = {name: p.pid for name, p in platform.processes.items()}
        self.marks: dict[str, float | None] = {}
        self.machine = (0, 0)
        self.started = 0.0

    def start(self) -> None:
        self.marks = {name: _cpu_seconds(pid) for name, pid in self.pids.items()}
        self.marks["bench"] = time.process_time()
        self.machine = _machine_busy_ticks()
        self.started = time.monotonic()

    def stop(self) -> dict[str, Any]:
        seconds = time.monotonic() - self.started
        used: dict[str, float | None] = {}
        for name, pid in self.pids.items():
            now, then = _cpu_seconds(pid), self.marks.get(name)
            used[name] = now - then if now is not None and then is not None else None
        bench = self.marks["bench"]
        used["bench client"] = time.process_time() - bench if bench is not None else None
        busy, total = _machine_busy_ticks()
        machine = (busy - self.machine[0]) / (total - self.machine[1]) if total > 0 else None
        return {
            "seconds": round(seconds, 2),
            "cpu_seconds_by_process": {k: round(v, 2) for k, v in used.items() if v is not None},
            "cores_used_by_process": {
                k: round(v / seconds, 2) for k, v in used.items() if v is not None
            },
            "machine_busy_share": round(machine, 2) if machine is not None else None,
        }


def _per_add(cpu: dict[str, Any], adds: int) -> dict[str, Any]:
    """CPU milliseconds each process spent per accepted add over the phase (confirms, stream
    reads and everything else it did meanwhile included)."""
    if adds:
        cpu["cpu_ms_per_add"] = {
            name: round(seconds * 1000 / adds, 1)
            for name, seconds in cpu["cpu_seconds_by_process"].items()
        }
    return cpu


@dataclass
class Guest:
    name: str
    session_id: str = ""
    guest_id: str = ""
    stream: SseStream | None = None


@dataclass
class Table:
    number: int
    spot_id: str
    token: str
    guests: list[Guest] = field(default_factory=list)


@dataclass
class Phase:
    """What one load phase sent and what it waits for."""

    adds_per_guest: int
    think_ms: float
    adds_sent: int = 0
    add_calls: list[float] = field(default_factory=list)
    confirm_calls: list[float] = field(default_factory=list)
    refused: Counter[str] = field(default_factory=Counter)
    deliveries: list[tuple[float, asyncio.Future[float]]] = field(default_factory=list)
    rounds: list[tuple[float, asyncio.Future[float]]] = field(default_factory=list)
    last_answer: float = 0.0


def _cart_item_key(event_type: str, message: dict[str, Any]) -> tuple[str, str] | None:
    if event_type == "CartItemAdded":
        return event_type, str(message["data"]["line_id"])
    return None


def _round_key(event_type: str, message: dict[str, Any]) -> tuple[str, str] | None:
    """An order's first round (OrderPlaced) or a later one (RoundAdded), by order and number."""
    if event_type in ("OrderPlaced", "RoundAdded"):
        data = message["data"]
        return "round", f"{data['order_id']}/{data['round_number']}"
    return None


def _check(response: httpx.Response, *codes: int) -> Any:
    if response.status_code not in (codes or (200, 201)):
        raise RuntimeError(
            f"{response.request.method} {response.request.url} -> {response.status_code}: "
            f"{response.text[:300]}"
        )
    return response.json()


class Load:
    """The venue, its tables and guests, and the measurements of one load phase."""

    def __init__(self, platform: Platform, settings: Settings) -> None:
        self.settings = settings
        self.sessions_url = platform.url("table-session")
        self.ordering_url = platform.url("ordering")
        self.pos_url = platform.url("pos-gateway")
        self.notifier_url = platform.url("notifier")
        # Idle connections are dropped after 2 s, before uvicorn's 5 s keep-alive timeout closes
        # them from its side: reusing one the server is closing fails the request (ReadError).
        unlimited = httpx.Limits(
            max_connections=None, max_keepalive_connections=None, keepalive_expiry=2.0
        )
        self.http = httpx.AsyncClient(timeout=60, limits=unlimited)
        self.streams_http = httpx.AsyncClient(
            timeout=httpx.Timeout(60, read=None), limits=unlimited
        )
        self.tables: list[Table] = []
        self.pos: SseStream | None = None
        self.auth: dict[str, str] = {}
        self.phase = Phase(adds_per_guest=0, think_ms=0.0)
        self.phases_run = 0

    async def close(self) -> None:
        streams = [g.stream for t in self.tables for g in t.guests if g.stream is not None]
        if self.pos is not None:
            streams.append(self.pos)
        await asyncio.gather(*(s.close() for s in streams), return_exceptions=True)
        await self.http.aclose()
        await self.streams_http.aclose()

    async def set_up_venue(self) -> None:
        http = self.http
        _check(
            await http.post(
                f"{self.sessions_url}/venues/{VENUE}/profit-centres",
                json={"profit_centre_id": "room", "name": "Dining room", "mode": "order"},
            )
        )
        for n in range(1, self.settings.platform_tables + 1):
            spot = _check(
                await http.post(
                    f"{self.sessions_url}/venues/{VENUE}/spots",
                    json={"profit_centre_id": "room", "name": f"Table {n}", "kind": "table"},
                )
            )
            self.tables.append(Table(n, spot["spot_id"], spot["token"]))
        _check(await http.put(f"{self.ordering_url}/venues/{VENUE}/menu", json=_menu()))
        device = _check(
            await http.post(f"{self.pos_url}/venues/{VENUE}/devices", json={"name": "Till"})
        )
        self.auth = {"Authorization": f"Bearer {device['credential']}"}

    async def seat_guests(self) -> None:
        """At every table (all at once) two phones scan, one after the other."""

        async def seat(table: Table) -> None:
            for name in ("a", "b"):
                guest = Guest(f"t{table.number}{name}")
                scanned = _check(
                    await self.http.post(
                        f"{self.sessions_url}/scan",
                        json={"token": table.token, "device_id": f"phone-{guest.name}"},
                    )
                )
                guest.session_id, guest.guest_id = scanned["session_id"], scanned["guest_id"]
                table.guests.append(guest)
            if table.guests[0].session_id != table.guests[1].session_id:
                raise RuntimeError(f"table {table.number}: the two guests got two sessions")

        await asyncio.gather(*(seat(t) for t in self.tables))

    async def open_streams(self) -> None:
        """Each guest's session stream and the POS's venue stream, once the notifier knows
        the session, the guest and the device."""
        for table in self.tables:
            for guest in table.guests:
                guest.stream = SseStream(
                    self.streams_http,
                    f"{self.notifier_url}/events/sessions/{guest.session_id}",
                    _cart_item_key,
                    params={"guest": guest.guest_id},
                )
        self.pos = SseStream(
            self.streams_http,
            f"{self.notifier_url}/events/venues/{VENUE}",
            _round_key,
            headers=self.auth,
        )
        streams = [g.stream for t in self.tables for g in t.guests if g.stream is not None]
        await asyncio.gather(
            *(
                open_with_retry(s, within=KNOWN_WITHIN_S, retry_on=NOT_KNOWN_YET)
                for s in [*streams, self.pos]
            )
        )

    async def _add(self, guest: Guest, product: str) -> httpx.Response:
        return await self.http.post(
            f"{self.ordering_url}/sessions/{guest.session_id}/cart/items",
            json={"guest_id": guest.guest_id, "product_id": product, "quantity": 1},
        )

    async def warm_up(self) -> None:
        """One add per guest, retried while ordering does not know the session or the guest
        yet, and waited for on the other guest's stream: afterwards every part of the path
        is known and connected."""

        async def first_add(guest: Guest, other: Guest) -> None:
            deadline = time.monotonic() + KNOWN_WITHIN_S
            while True:
                answer = await self._add(guest, PRODUCTS[0][0])
                if answer.status_code not in NOT_KNOWN_YET or time.monotonic() > deadline:
                    break
                await asyncio.sleep(0.1)
            line_id = _check(answer, 201)["line_id"]
            assert other.stream is not None
            await asyncio.wait_for(
                other.stream.when(("CartItemAdded", line_id)), timeout=KNOWN_WITHIN_S
            )

        await asyncio.gather(
            *(
                first_add(guest, other)
                for t in self.tables
                for guest, other in (t.guests, t.guests[::-1])
            )
        )

    async def _guest_adds(self, guest: Guest, other: Guest, seed: int) -> None:
        assert other.stream is not None
        phase = self.phase
        think = phase.think_ms / 1000
        for i in range(phase.adds_per_guest):
            if think > 0:
                await asyncio.sleep(random.uniform(0.5 * think, 1.5 * think))
            product = PRODUCTS[(seed + i) % len(PRODUCTS)][0]
            phase.adds_sent += 1
            started = time.monotonic()
            try:
                answer = await self._add(guest, product)
            except httpx.TransportError as exc:
                phase.refused[f"add {type(exc).__name__}"] += 1
                continue
            answered = time.monotonic()
            phase.last_answer = max(phase.last_answer, answered)
            if answer.status_code != 201:
                phase.refused[f"add {answer.status_code}"] += 1
                continue
            phase.add_calls.append(answered - started)
            line_id = answer.json()["line_id"]
            phase.deliveries.append((started, other.stream.when(("CartItemAdded", line_id))))

    async def _table(self, table: Table) -> None:
        a, b = table.guests
        await asyncio.gather(
            self._guest_adds(a, b, table.number), self._guest_adds(b, a, table.number + 3)
        )
        assert self.pos is not None
        phase = self.phase
        started = time.monotonic()
        try:
            answer = await self.http.post(
                f"{self.ordering_url}/sessions/{a.session_id}/cart/confirm",
                json={"guest_id": a.guest_id},
            )
        except httpx.TransportError as exc:
            phase.refused[f"confirm {type(exc).__name__}"] += 1
            return
        answered = time.monotonic()
        phase.last_answer = max(phase.last_answer, answered)
        if answer.status_code != 201:
            phase.refused[f"confirm {answer.status_code}"] += 1
            return
        phase.confirm_calls.append(answered - started)
        placed = answer.json()
        key = ("round", f"{placed['order_id']}/{placed['round_number']}")
        phase.rounds.append((started, self.pos.when(key)))

    async def run(self, adds_per_guest: int, think_ms: float) -> dict[str, Any]:
        """All tables at once; then wait (bounded) for every delivery."""
        phase = self.phase = Phase(adds_per_guest, think_ms)
        confirm_event = "OrderPlaced" if self.phases_run == 0 else "RoundAdded"
        self.phases_run += 1
        messages = self._messages()
        started = time.monotonic()
        await asyncio.gather(*(self._table(t) for t in self.tables))
        answered = phase.last_answer
        pending = [f for _, f in phase.deliveries] + [f for _, f in phase.rounds]
        if pending:
            await asyncio.wait(pending, timeout=DELIVERY_WAIT_S)
        delivered = [(s, f.result()) for s, f in phase.deliveries if f.done()]
        to_pos = [(s, f.result()) for s, f in phase.rounds if f.done()]
        arrivals = [t for _, t in delivered] + [t for _, t in to_pos]
        last_arrival = max(arrivals) if arrivals else answered
        accepted = len(phase.add_calls)
        after = self._messages()
        return {
            "tables": len(self.tables),
            "guests": 2 * len(self.tables),
            "adds_per_guest": adds_per_guest,
            "think_ms": think_ms,
            "adds_sent": phase.adds_sent,
            "adds_accepted": accepted,
            "refused": dict(phase.refused),
            "load_seconds": round(answered - started, 3),
            "adds_per_s": rate(accepted, answered - started),
            "delivered_to_other_guest": len(delivered),
            "undelivered_after_wait": accepted - len(delivered),
            "delivered_per_s": rate(len(delivered), last_arrival - started),
            "orders_confirmed": len(phase.confirm_calls),
            "orders_delivered_to_pos": len(to_pos),
            "confirm_event": confirm_event,
            "guest_to_guest": latency_summary([t - s for s, t in delivered]),
            "add_call": latency_summary(phase.add_calls),
            "order_to_pos": latency_summary([t - s for s, t in to_pos]),
            "confirm_call": latency_summary(phase.confirm_calls),
            "stream_messages": {k: after[k] - messages[k] for k in after},
        }

    def _messages(self) -> dict[str, int]:
        guests = [g.stream.messages for t in self.tables for g in t.guests if g.stream]
        return {"guests": sum(guests), "pos": self.pos.messages if self.pos else 0}


def _log_dir(namespace: str, keep: int = 3) -> Path:
    """This run's directory for the services' logs; older runs' beyond `keep` are removed."""
    root = localinfra.cache_dir() / "bench" / "platform-logs"
    root.mkdir(parents=True, exist_ok=True)
    old = sorted(root.iterdir(), key=lambda d: d.stat().st_mtime)
    for directory in old[: max(0, len(old) - keep + 1)]:
        shutil.rmtree(directory, ignore_errors=True)
    path = root / namespace.rstrip("_")
    path.mkdir()
    return path


def _tail(log_dir: Path, name: str, lines: int = 15) -> str:
    try:
        return "\n".join(
            (log_dir / f"{name}.log").read_text(errors="replace").splitlines()[-lines:]
        )
    except OSError:
        return ""


async def run(infra: Infra, settings: Settings) -> dict[str, Any]:
    """Start the platform, seat the guests, measure the load phase, stop the platform."""
    namespace = f"{infra.namespace}p{secrets.token_hex(2)}_"
    _remember_for_clean_up(infra, namespace)
    result: dict[str, Any] = {"namespace": namespace}
    if "raw" not in settings.sections:
        result["raw_baseline"] = await raw_kafka.latency_baseline(
            infra, settings, settings.platform_baseline_samples
        )
    log_dir = _log_dir(namespace)
    platform = _platform(infra, namespace, settings, log_dir)
    phase = time.monotonic()
    platform.start()
    load: Load | None = None
    try:
        try:
            await asyncio.to_thread(platform.wait_ready, timeout=180)
        except ServiceStartError as exc:
            tails = {name: _tail(log_dir, name) for name in platform.dead()}
            raise RuntimeError(f"{exc}; last log lines: {tails}") from exc
        result["platform_start_s"] = round(time.monotonic() - phase, 1)
        load = Load(platform, settings)
        phase = time.monotonic()
        await load.set_up_venue()
        await load.seat_guests()
        await load.open_streams()
        await load.warm_up()
        result["setup_s"] = round(time.monotonic() - phase, 1)
        cpu = CpuMeter(platform)
        cpu.start()
        result["load"] = await load.run(settings.platform_adds_per_guest, 0.0)
        result["load"]["cpu"] = _per_add(cpu.stop(), result["load"]["adds_accepted"])
        if settings.platform_paced_adds_per_guest > 0:
            cpu.start()
            result["paced"] = await load.run(
                settings.platform_paced_adds_per_guest, settings.platform_think_ms
            )
            result["paced"]["cpu"] = _per_add(cpu.stop(), result["paced"]["adds_accepted"])
        dead = platform.dead()
        if dead:
            raise RuntimeError(f"services exited during the run: {dead} (logs: {log_dir})")
    finally:
        if load is not None:
            await load.close()
        await asyncio.to_thread(platform.stop)
        try:
            result["consumer_groups_deleted"] = len(
                await _delete_consumer_groups(infra.bootstrap, namespace)
            )
        except Exception as exc:  # the groups go when Kafka expires their offsets
            result["consumer_groups_not_deleted"] = repr(exc)
    result["logs"] = str(log_dir)
    return result
