"""`convive run` as a newcomer uses it: every service starts as its own process against real
Kafka and PostgreSQL, answers ready over HTTP, the demo is seeded, seeding it again (a second
`make run`, or `convive demo seed`) changes nothing, and Ctrl-C stops them all. (A platform of
its own: starting and stopping one is what it tests.)"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import httpx
import pytest

from convive.cli import demo, demo_hotel
from convive.cli.platform import ServiceProcess, free_plan
from convive.contracts import SERVICES
from convive.runtime.testkit import DEADLINE

pytestmark = pytest.mark.infra

START_TIMEOUT = 5 * DEADLINE
"""Seconds the services have to answer ready (the conftest's PLATFORM_START: ten processes
importing their modules at once on a shared two-core machine)."""


def demo_state(services: list[ServiceProcess]) -> dict[str, Any]:
    """What the demo consists of, as the services answer: spots, menus, offers, the staff
    accounts and the POS devices of both demo venues."""
    url = {s.name: s.url for s in services}
    owner_email, _, _, _, owner_password = demo_hotel.STAFF[0]
    with httpx.Client(timeout=DEADLINE) as http:

        def read(path: str, **kwargs: Any) -> Any:
            answer = http.get(path, **kwargs)
            assert answer.status_code == 200, (path, answer.text)
            return answer.json()

        login = http.post(
            f"{url['pos-gateway']}/staff/login",
            json={"email": owner_email, "password": owner_password},
        )
        assert login.status_code == 200, login.text
        owner = {"X-Convive-Staff": login.json()["staff_id"]}
        state: dict[str, Any] = {"accounts": read(f"{url['pos-gateway']}/staff", headers=owner)}
        for venue in (demo.VENUE, demo_hotel.HOTEL):
            state[venue] = {
                "spots": read(f"{url['table-session']}/venues/{venue}/spots"),
                "menu": read(f"{url['ordering']}/venues/{venue}/menu"),
                "offers": read(f"{url['ordering']}/venues/{venue}/offers"),
                "devices": read(f"{url['pos-gateway']}/venues/{venue}/devices", headers=owner),
            }
    return state


@pytest.mark.timeout(300 + START_TIMEOUT)
def test_convive_run_starts_every_service_and_ctrl_c_stops_them(
    database_url: str, kafka_bootstrap: str, namespace: str, tmp_path: Path
) -> None:
    services = free_plan()
    first = min(s.port for s in services)
    gateway = next(s.port for s in services if s.name == "gateway")
    env = {
        **os.environ,
        "CONVIVE_DATABASE_URL": database_url,
        "CONVIVE_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "CONVIVE_TOPIC_NAMESPACE": namespace,
        # The demo's state (its device's credential) and mails in a folder of this test's own:
        # PostgreSQL and Kafka are the session's, so nothing else of the cache is needed.
        "CONVIVE_CACHE": str(tmp_path),
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
            "--start-timeout",
            str(START_TIMEOUT),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output: list[str] = []
    try:
        deadline = time.monotonic() + START_TIMEOUT + DEADLINE  # PostgreSQL/Kafka are there
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
        seeded = demo_state(services)
        assert len(seeded[demo.VENUE]["spots"]) == len(demo.TABLES)
        assert len(seeded[demo_hotel.HOTEL]["spots"]) == len(demo_hotel.ROOMS)
        assert len(seeded[demo.VENUE]["menu"]["products"]) == len(demo.PRODUCTS)
        assert len(seeded[demo_hotel.HOTEL]["offers"]) == len(demo_hotel.OFFERS)
        assert len(seeded["accounts"]) == len(demo_hotel.STAFF)
        assert len(seeded[demo.VENUE]["devices"]) == 1
        device = json.loads((tmp_path / "demo-pos-device.json").read_text())
        assert f"POS device {device['device_id']}: Authorization: Bearer" in banner
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
        assert demo_state(services) == seeded
        shown = re.search(r"POS device (\S+): Authorization: Bearer (\S+)", again.stdout)
        assert shown is not None, again.stdout[-2000:]
        assert (shown[1], shown[2]) == (device["device_id"], device["credential"])
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
