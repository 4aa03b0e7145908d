"""`convive` — the platform's command line.

    convive run            start PostgreSQL, Kafka and every service on this machine
    convive services       list the services with their ports and modules

The command never imports a service: it starts each as its own process (`python -m
convive.<service>`), exactly as a deployment would.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass

from convive.contracts import SERVICES
from convive.runtime import localinfra
from convive.runtime.telemetry import configure_logging

GATEWAY_PORT = 8000
FIRST_SERVICE_PORT = 8101


@dataclass(frozen=True)
class ServiceProcess:
    name: str
    port: int

    @property
    def module(self) -> str:
        return f"convive.{self.name.replace('-', '_')}"

    @property
    def env_prefix(self) -> str:
        return f"CONVIVE_{self.name.replace('-', '_').upper()}_"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def plan(
    gateway_port: int = GATEWAY_PORT, first_port: int = FIRST_SERVICE_PORT
) -> list[ServiceProcess]:
    """Every service with the port it listens on: the gateway on `gateway_port`, the others
    from `first_port` on, in the order of `SERVICES`."""
    others = [s for s in SERVICES if s != "gateway"]
    return [ServiceProcess(s, first_port + i) for i, s in enumerate(others)] + [
        ServiceProcess("gateway", gateway_port)
    ]


def wait_ready(service: ServiceProcess, process: subprocess.Popen[bytes], deadline: float) -> None:
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{service.name} exited with code {process.returncode} while starting")
        try:
            with urllib.request.urlopen(f"{service.url}/health/ready", timeout=2) as answer:  # noqa: S310 (our own loopback URL)
                if answer.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.3)
    raise SystemExit(f"{service.name} was not ready within the deadline ({service.url})")


def stop_processes(processes: dict[str, subprocess.Popen[bytes]], grace: float = 10.0) -> None:
    for process in processes.values():
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + grace
    for process in processes.values():
        remaining = max(0.1, deadline - time.monotonic())
        try:
            process.wait(timeout=remaining)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def run(args: argparse.Namespace) -> int:
    configure_logging(args.log_level, service="convive-run")
    services = plan(args.gateway_port, args.first_port)
    for service in services:
        if not localinfra.port_is_free(service.port):
            raise SystemExit(
                f"port {service.port} (for {service.name}) is taken; choose others with "
                "--gateway-port / --first-port"
            )
    print("starting PostgreSQL and Kafka (first start takes longer)…", flush=True)
    with (
        localinfra.postgres_from_env_or_start(durable=True) as postgres,
        localinfra.kafka_from_env_or_start(durable=True) as kafka,
    ):
        env = {
            **os.environ,
            localinfra.DATABASE_URL_ENV: postgres.url,
            localinfra.KAFKA_BOOTSTRAP_ENV: kafka.bootstrap,
        }
        processes: dict[str, subprocess.Popen[bytes]] = {}
        stopping = False

        def on_signal(signum: int, _: object) -> None:
            nonlocal stopping
            stopping = True

        previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            for service in services:
                processes[service.name] = subprocess.Popen(
                    [sys.executable, "-m", service.module],
                    env={
                        **env,
                        f"{service.env_prefix}PORT": str(service.port),
                        f"{service.env_prefix}HOST": args.host,
                    },
                )
            deadline = time.monotonic() + args.start_timeout
            for service in services:
                wait_ready(service, processes[service.name], deadline)
            print(banner(services, postgres.url, kafka.bootstrap), flush=True)
            while not stopping:
                for name, process in processes.items():
                    if process.poll() is not None:
                        print(f"{name} stopped unexpectedly (code {process.returncode})")
                        return 1
                time.sleep(0.5)
            print("stopping…", flush=True)
            return 0
        finally:
            stop_processes(processes)
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def banner(services: Sequence[ServiceProcess], database_url: str, bootstrap: str) -> str:
    lines = ["", "Convive is running. Ctrl-C stops everything.", ""]
    for s in services:
        lines.append(f"  {s.name:<14} {s.url}   (OpenAPI: {s.url}/schema)")
    safe_db = database_url.split("@")[-1]
    lines += ["", f"  PostgreSQL     {safe_db}", f"  Kafka          {bootstrap}", ""]
    return "\n".join(lines)


def list_services(_: argparse.Namespace) -> int:
    for s in plan():
        print(f"{s.name:<14} port {s.port:<5} python -m {s.module}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="convive", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run_parser = commands.add_parser("run", help="run everything on this machine")
    run_parser.add_argument("--host", default="127.0.0.1", help="address the services bind to")
    run_parser.add_argument("--gateway-port", type=int, default=GATEWAY_PORT)
    run_parser.add_argument("--first-port", type=int, default=FIRST_SERVICE_PORT)
    run_parser.add_argument("--start-timeout", type=float, default=120.0)
    run_parser.add_argument("--log-level", default="INFO")
    run_parser.set_defaults(handler=run)
    commands.add_parser("services", help="list the services").set_defaults(handler=list_services)
    args = parser.parse_args(argv)
    return int(args.handler(args))


if __name__ == "__main__":
    raise SystemExit(main())
