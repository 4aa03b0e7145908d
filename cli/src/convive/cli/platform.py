"""Every service as its own process on this machine: start, wait until ready, kill, restart,
stop. `convive run` and the end-to-end tests both use it."""

from __future__ import annotations

import random
import signal
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
from convive.runtime.localinfra import port_is_free

GATEWAY_PORT = 8000
FIRST_SERVICE_PORT = 8101


PAYMENT_SANDBOX = "payment-sandbox"


@dataclass(frozen=True)
class ServiceProcess:
    name: str
    port: int
    module_name: str = ""
    prefix: str = ""

    @property
    def module(self) -> str:
        return self.module_name or f"convive.{self.name.replace('-', '_')}"

    @property
    def env_prefix(self) -> str:
        return self.prefix or f"CONVIVE_{self.name.replace('-', '_').upper()}_"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def plan(
    gateway_port: int = GATEWAY_PORT, first_port: int = FIRST_SERVICE_PORT
) -> list[ServiceProcess]:
    """Every service with the port it listens on: the gateway on `gateway_port`, the others
    from `first_port` on, in the order of `SERVICES`, then the payment provider's test double
    (a third party we cannot run here; see convive.doubles)."""
    others = [s for s in SERVICES if s != "gateway"]
    services = [ServiceProcess(s, first_port + i) for i, s in enumerate(others)]
    services.append(ServiceProcess("gateway", gateway_port))
    sandbox = ServiceProcess(
        PAYMENT_SANDBOX,
        max(s.port for s in services) + 1,
        module_name="convive.doubles.payment_provider",
        prefix="CONVIVE_PAYMENT_SANDBOX_",
    )
    return [*services, sandbox]


def free_plan() -> list[ServiceProcess]:
    """`plan()` on a block of free loopback ports, for tests and benchmarks that run beside
    others: a random start (two runs starting at once must not race for the same block), below
    Linux's ephemeral range (so no client socket takes one of them meanwhile)."""
    size = len(plan())
    starts = [24_000 + 25 * i for i in range(300)]
    random.shuffle(starts)
    for first in starts:
        if all(port_is_free(port) for port in range(first, first + size)):
            return plan(gateway_port=first + size - 2, first_port=first)
    raise RuntimeError("no block of free ports on 127.0.0.1")


class ServiceStartError(RuntimeError):
    pass


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
            if service.name not in ("gateway", PAYMENT_SANDBOX):
                key = f"CONVIVE_GATEWAY_{service.name.replace('-', '_').upper()}_URL"
                self.env.setdefault(key, service.url)
        if sandbox := self.services.get(PAYMENT_SANDBOX):
            # pos-gateway and the provider double share a fresh API key and webhook secret.
            self.env.setdefault("CONVIVE_POS_GATEWAY_PAYMENT_PROVIDER_URL", sandbox.url)
            key = self.env.setdefault("CONVIVE_PAYMENT_SANDBOX_API_KEY", f"sk_{token_hex(12)}")
            self.env.setdefault("CONVIVE_POS_GATEWAY_PAYMENT_PROVIDER_API_KEY", key)
            secret = self.env.setdefault("CONVIVE_PAYMENT_SANDBOX_WEBHOOK_SECRET", token_hex(16))
            self.env.setdefault("CONVIVE_POS_GATEWAY_PAYMENT_WEBHOOK_SECRET", secret)
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
            try:
                with urllib.request.urlopen(f"{service.url}/health/ready", timeout=2) as answer:  # noqa: S310 (loopback)
                    if answer.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
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
