"""Every service as its own process on this machine: start, wait until ready, kill, restart,
stop. `convive run` and the end-to-end tests both use it."""

from __future__ import annotations

import random
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from secrets import token_hex
from typing import IO

from convive.contracts import SERVICES
from convive.localinfra import port_is_free

GATEWAY_PORT = 8000
FIRST_SERVICE_PORT = 8101


PAYMENT_SANDBOX = "payment-sandbox"
SMTP_SINK = "smtp-sink"
PMS_SANDBOX = "pms-sandbox"
DOUBLES = (PAYMENT_SANDBOX, SMTP_SINK, PMS_SANDBOX)


@dataclass(frozen=True)
class ServiceProcess:
    name: str
    port: int
    module_name: str = ""
    prefix: str = ""
    protocol: str = "http"
    """What it speaks on its port: "http" (ready when /health/ready answers 200) or "smtp"
    (ready when it greets with 220)."""

    @property
    def module(self) -> str:
        return self.module_name or f"convive.{self.name.replace('-', '_')}"

    @property
    def env_prefix(self) -> str:
        return self.prefix or f"CONVIVE_{self.name.replace('-', '_').upper()}_"

    @property
    def url(self) -> str:
        return f"{self.protocol}://127.0.0.1:{self.port}"


def plan(
    gateway_port: int = GATEWAY_PORT, first_port: int = FIRST_SERVICE_PORT
) -> list[ServiceProcess]:
    """Every service with the port it listens on: the gateway on `gateway_port`, the others
    from `first_port` on, in the order of `SERVICES`, then the test doubles of third parties
    we cannot run here (see convive.doubles): the payment provider, an SMTP server that
    keeps the e-mails, and a hotel PMS that takes folio charges."""
    others = [s for s in SERVICES if s != "gateway"]
    services = [ServiceProcess(s, first_port + i) for i, s in enumerate(others)]
    services.append(ServiceProcess("gateway", gateway_port))
    sandbox = ServiceProcess(
        PAYMENT_SANDBOX,
        max(s.port for s in services) + 1,
        module_name="convive.doubles.payment_provider",
        prefix="CONVIVE_PAYMENT_SANDBOX_",
    )
    sink = ServiceProcess(
        SMTP_SINK,
        sandbox.port + 1,
        module_name="convive.doubles.smtp_sink",
        prefix="CONVIVE_SMTP_SINK_",
        protocol="smtp",
    )
    pms = ServiceProcess(
        PMS_SANDBOX,
        sink.port + 1,
        module_name="convive.doubles.pms",
        prefix="CONVIVE_PMS_SANDBOX_",
    )
    return [*services, sandbox, sink, pms]


def free_plan() -> list[ServiceProcess]:
    """`plan()` on a block of free loopback ports, for tests and benchmarks that run beside
    others: a random start (two runs starting at once must not race for the same block), below
    Linux's ephemeral range (so no client socket takes one of them meanwhile)."""
    others = sum(1 for s in SERVICES if s != "gateway")
    starts = [24_000 + 25 * i for i in range(300)]
    random.shuffle(starts)
    for first in starts:
        # The services from `first`, the gateway right after them, the doubles after it.
        candidate = plan(gateway_port=first + others, first_port=first)
        if all(port_is_free(s.port) for s in candidate):
            return candidate
    raise RuntimeError("no block of free ports on 127.0.0.1")


class ServiceStartError(RuntimeError):
    pass


def _ready(service: ServiceProcess) -> bool:
    try:
        if service.protocol == "smtp":
            with socket.create_connection(("127.0.0.1", service.port), timeout=2) as conn:
                greeting = conn.recv(512)
                conn.sendall(b"QUIT\r\n")
                return greeting.startswith(b"220")
        with urllib.request.urlopen(f"{service.url}/health/ready", timeout=2) as answer:  # noqa: S310 (loopback)
            return bool(answer.status == 200)
    except (urllib.error.URLError, OSError):
        return False


class Platform:
    """The services of `plan()` as child processes sharing one environment."""

    def __init__(
        self,
        services: Iterable[ServiceProcess],
        env: Mapping[str, str],
        *,
        host: str = "127.0.0.1",
        log_dir: Path | None = None,
    ) -> None:
        self.services = {s.name: s for s in services}
        self.env = dict(env)
        # The gateway reaches every other service by its URL (it is their same-origin front).
        for service in self.services.values():
            if service.name != "gateway" and service.name not in DOUBLES:
                key = f"CONVIVE_GATEWAY_{service.name.replace('-', '_').upper()}_URL"
                self.env.setdefault(key, service.url)
        if sandbox := self.services.get(PAYMENT_SANDBOX):
            # pos-gateway and the provider double share a fresh API key and webhook secret.
            self.env.setdefault("CONVIVE_POS_GATEWAY_PAYMENT_PROVIDER_URL", sandbox.url)
            key = self.env.setdefault("CONVIVE_PAYMENT_SANDBOX_API_KEY", f"sk_{token_hex(12)}")
            self.env.setdefault("CONVIVE_POS_GATEWAY_PAYMENT_PROVIDER_API_KEY", key)
            secret = self.env.setdefault("CONVIVE_PAYMENT_SANDBOX_WEBHOOK_SECRET", token_hex(16))
            self.env.setdefault("CONVIVE_POS_GATEWAY_PAYMENT_WEBHOOK_SECRET", secret)
        if sink := self.services.get(SMTP_SINK):
            # The notifier sends its e-mails to the SMTP double, which writes each one to a
            # folder (`mail/` beside the logs, unless told otherwise).
            self.env.setdefault("CONVIVE_NOTIFIER_SMTP_HOST", "127.0.0.1")
            self.env.setdefault("CONVIVE_NOTIFIER_SMTP_PORT", str(sink.port))
            if log_dir is not None:
                self.env.setdefault("CONVIVE_SMTP_SINK_MAIL_DIR", str(log_dir / "mail"))
        if pms := self.services.get(PMS_SANDBOX):
            # pos-gateway posts two-way venues' concierge orders to the PMS double.
            self.env.setdefault("CONVIVE_POS_GATEWAY_PMS_URL", pms.url)
            key = self.env.setdefault("CONVIVE_PMS_SANDBOX_API_KEY", f"pms_{token_hex(12)}")
            self.env.setdefault("CONVIVE_POS_GATEWAY_PMS_API_KEY", key)
        self.host = host
        self.log_dir = log_dir
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self._logs: dict[str, IO[bytes]] = {}

    def url(self, name: str) -> str:
        return self.services[name].url

    def start(self, names: Iterable[str] | None = None) -> None:
        for name in names or list(self.services):
            service = self.services[name]
            out: IO[bytes] | None = None
            if self.log_dir is not None:
                self.log_dir.mkdir(parents=True, exist_ok=True)
                out = (self.log_dir / f"{name}.log").open("ab")
                self._logs[name] = out
            self.processes[name] = subprocess.Popen(
                [sys.executable, "-m", service.module],
                env={
                    **self.env,
                    f"{service.env_prefix}PORT": str(service.port),
                    f"{service.env_prefix}HOST": self.host,
                },
                stdout=out,
                stderr=subprocess.STDOUT if out is not None else None,
            )

    def wait_ready(self, names: Iterable[str] | None = None, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        for name in names or list(self.services):
            self._wait_one(name, deadline)

    def _wait_one(self, name: str, deadline: float) -> None:
        service, process = self.services[name], self.processes[name]
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise ServiceStartError(
                    f"{name} exited with code {process.returncode} while starting"
                    + (f" (log: {self.log_dir / (name + '.log')})" if self.log_dir else "")
                )
            if _ready(service):
                return
            time.sleep(0.2)
        raise ServiceStartError(f"{name} was not ready within the deadline ({service.url})")

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        """Kill one service (SIGKILL by default: no cleanup, like a crash)."""
        process = self.processes[name]
        process.send_signal(sig)
        process.wait(timeout=30)

    def restart(self, name: str, timeout: float = 120.0) -> None:
        self.start([name])
        self.wait_ready([name], timeout)

    def dead(self) -> list[str]:
        return [n for n, p in self.processes.items() if p.poll() is not None]

    def stop(self, grace: float = 10.0) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + grace
        for process in self.processes.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for log in self._logs.values():
            log.close()
        self._logs.clear()
