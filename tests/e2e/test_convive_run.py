"""`convive run` as a newcomer uses it: every service starts as its own process against real
Kafka and PostgreSQL, answers ready over HTTP, and Ctrl-C stops them all."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from convive.cli.platform import free_plan
from convive.contracts import SERVICES

pytestmark = pytest.mark.infra


def test_convive_run_starts_every_service_and_ctrl_c_stops_them(
    database_url: str, kafka_bootstrap: str, namespace: str
) -> None:
    services = free_plan()
    first = min(s.port for s in services)
    gateway = next(s.port for s in services if s.name == "gateway")
    env = {
        **os.environ,
        "CONVIVE_DATABASE_URL": database_url,
        "CONVIVE_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "CONVIVE_TOPIC_NAMESPACE": namespace,
    }
    for service in SERVICES:  # each service in a schema of its own, for this test only
        prefix = f"CONVIVE_{service.replace('-', '_').upper()}_"
        env[f"{prefix}DB_SCHEMA"] = f"{namespace}{service.replace('-', '_')}"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "convive.cli.main",
            "run",
            "--first-port",
            str(first),
            "--gateway-port",
            str(gateway),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output: list[str] = []
    try:
        deadline = time.monotonic() + 180
        assert proc.stdout is not None
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            output.append(line)
            # The banner ends with the broker's address, after the list of services.
            if line.strip().startswith("Kafka") and any("Ctrl-C stops" in o for o in output):
                break
        banner = "".join(output)
        assert "Convive is running" in banner, banner[-3000:]
        ports = [s.port for s in services]
        for service in services:
            assert service.url in banner
            if service.protocol == "smtp":  # the SMTP double greets
                with socket.create_connection(("127.0.0.1", service.port), timeout=5) as conn:
                    assert conn.recv(512).startswith(b"220")
                continue
            with urllib.request.urlopen(f"http://127.0.0.1:{service.port}/health/ready") as answer:
                assert answer.status == 200
        assert "demo-hotel" in banner, banner[-3000:]
        assert "owner@" in banner, banner[-3000:]
        # Seeding the demo again (a second `make run`) completes it and changes nothing.
        again = subprocess.run(
            [
                sys.executable,
                "-m",
                "convive.cli.main",
                "demo",
                "seed",
                "--first-port",
                str(first),
                "--gateway-port",
                str(gateway),
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert again.returncode == 0, again.stdout[-2000:] + again.stderr[-2000:]
        assert "demo-hotel" in again.stdout
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert proc.returncode == 0, "".join(output)[-3000:]
    for port in ports:  # nothing left listening
        with socket.socket() as s:
            assert s.connect_ex(("127.0.0.1", port)) != 0, f"port {port} still answers"
