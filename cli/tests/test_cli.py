"""The `convive` command without a platform: what each command accepts and says in its help, the
plan of ports and the processes `convive run` starts (with what they need to find each other),
the banner, the demo's menu and report, and the errors a newcomer meets first (a busy port, a
service that dies while starting). `convive run` itself and `convive demo seed` run twice
against a running platform are in tests/e2e/test_convive_run.py."""

from __future__ import annotations

import importlib.util
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from convive.cli import demo, demo_hotel, main
from convive.cli.platform import (
    DOUBLES,
    FIRST_SERVICE_PORT,
    GATEWAY_PORT,
    PAYMENT_SANDBOX,
    PMS_SANDBOX,
    SMTP_SINK,
    Platform,
    ServiceProcess,
    ServiceStartError,
    free_plan,
    plan,
)
from convive.contracts import SERVICES

# --- the command line --------------------------------------------------------------------------

COMMANDS = {
    ("run",): {"--host", "--gateway-port", "--first-port", "--start-timeout", "--log-level",
               "--public-url", "--no-demo"},
    ("demo", "seed"): {"--gateway-port", "--first-port", "--all-qr"},
    ("services",): set(),
}  # fmt: skip
"""Every command and the options it takes."""


def help_of(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    with pytest.raises(SystemExit) as exited:
        main.main([*argv, "--help"])
    assert exited.value.code == 0
    return capsys.readouterr().out


def test_the_top_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    shown = help_of(capsys)
    assert shown.startswith("usage: convive")
    for command in ("run", "demo", "services"):
        assert command in shown
    assert "the platform's command line" in shown
    assert "the demo venue" in help_of(capsys, "demo")


@pytest.mark.parametrize("command", list(COMMANDS), ids=" ".join)
def test_each_command_explains_each_of_its_options(
    command: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    parser = main.build_parser()
    shown = help_of(capsys, *command)
    assert shown.startswith(f"usage: convive {' '.join(command)}")
    subparser = parser
    for word in command:
        subparser = next(
            action.choices[word]
            for action in subparser._actions
            if isinstance(action.choices, dict) and word in action.choices
        )
    options = {
        option
        for action in subparser._actions
        for option in action.option_strings
        if option.startswith("--") and option != "--help"
    }
    assert options == COMMANDS[command]
    for action in subparser._actions:
        if action.option_strings and "--help" not in action.option_strings:
            assert action.help, f"{action.option_strings} has no help"
            assert action.option_strings[-1] in shown


def test_a_command_is_required_and_an_unknown_one_refused(
    capsys: pytest.CaptureFixture[str],
) -> None:
    for argv in ([], ["fly"], ["demo"], ["run", "--gateway-port", "eighty"]):
        with pytest.raises(SystemExit) as exited:
            main.main(argv)
        assert exited.value.code == 2, argv
        assert "usage: convive" in capsys.readouterr().err


def test_the_arguments_reach_their_handler() -> None:
    parser = main.build_parser()
    run = parser.parse_args(["run"])
    assert run.handler is main.run
    assert (run.host, run.gateway_port, run.first_port) == (
        "127.0.0.1",
        GATEWAY_PORT,
        FIRST_SERVICE_PORT,
    )
    assert (run.start_timeout, run.log_level, run.public_url, run.demo) == (
        120.0,
        "INFO",
        None,
        True,
    )
    chosen = parser.parse_args(
        [
            "run",
            "--host",
            "0.0.0.0",
            "--gateway-port",
            "9000",
            "--first-port",
            "9101",
            "--public-url",
            "http://192.168.1.20:9000",
            "--no-demo",
        ]
    )
    assert (chosen.host, chosen.gateway_port, chosen.first_port) == ("0.0.0.0", 9000, 9101)
    assert (chosen.public_url, chosen.demo) == ("http://192.168.1.20:9000", False)
    seed = parser.parse_args(["demo", "seed", "--first-port", "9101", "--all-qr"])
    assert seed.handler is main.demo_seed
    assert (seed.gateway_port, seed.first_port, seed.all_qr) == (GATEWAY_PORT, 9101, True)
    assert parser.parse_args(["services"]).handler is main.list_services


def test_services_lists_each_process_with_its_port_and_module(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main.main(["services"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(plan())
    for line, service in zip(lines, plan(), strict=True):
        assert line.split() == [service.name, "port", str(service.port), "python", "-m",
                                service.module]  # fmt: skip


# --- the plan ----------------------------------------------------------------------------------


def test_the_plan_puts_the_gateway_first_then_every_service_then_the_doubles() -> None:
    services = plan(gateway_port=9000, first_port=9101)
    names = [s.name for s in services]
    others = [s for s in SERVICES if s != "gateway"]
    assert names == [*others, "gateway", PAYMENT_SANDBOX, SMTP_SINK, PMS_SANDBOX]
    ports = {s.name: s.port for s in services}
    assert ports["gateway"] == 9000
    assert [ports[s] for s in others] == list(range(9101, 9101 + len(others)))
    after = 9101 + len(others)
    assert [ports[d] for d in DOUBLES] == [after, after + 1, after + 2]
    assert len(set(ports.values())) == len(services), "one port each"
    assert next(s for s in services if s.name == SMTP_SINK).url == f"smtp://127.0.0.1:{after + 1}"
    assert next(s for s in services if s.name == "ordering").url == "http://127.0.0.1:9102"


def test_every_process_of_the_plan_is_a_module_that_exists() -> None:
    for service in plan():
        assert importlib.util.find_spec(service.module) is not None, service.module
        if service.name not in DOUBLES:  # a package run by its __main__ (a double: a module)
            assert importlib.util.find_spec(f"{service.module}.__main__") is not None
        assert service.env_prefix.startswith("CONVIVE_")
        assert service.env_prefix.endswith("_")
    assert {s.module for s in plan() if s.name not in DOUBLES} == {
        f"convive.{s.replace('-', '_')}" for s in SERVICES
    }


def test_a_free_plan_is_a_block_of_free_ports_below_the_ephemeral_range() -> None:
    services = free_plan()
    ports = sorted(s.port for s in services)
    assert ports == list(range(ports[0], ports[0] + len(services)))
    assert ports[0] >= 24_000
    assert ports[-1] < 32_768
    gateway = next(s for s in services if s.name == "gateway")
    assert gateway.port == ports[0] + sum(1 for s in SERVICES if s != "gateway")
    for service in services:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", service.port))  # free: nothing listens there


def test_the_platform_tells_each_process_where_the_others_are(tmp_path: Path) -> None:
    services = plan(gateway_port=9000, first_port=9101)
    running = Platform(services, {"CONVIVE_KEEP": "kept"}, log_dir=tmp_path)
    env = running.env
    assert env["CONVIVE_KEEP"] == "kept"
    for service in SERVICES:
        if service != "gateway":
            key = f"CONVIVE_GATEWAY_{service.replace('-', '_').upper()}_URL"
            assert env[key] == running.url(service)
    # pos-gateway and the payment double share a key and a webhook secret, made fresh
    assert env["CONVIVE_POS_GATEWAY_PAYMENT_PROVIDER_URL"] == running.url(PAYMENT_SANDBOX)
    assert (
        env["CONVIVE_POS_GATEWAY_PAYMENT_PROVIDER_API_KEY"]
        == (env["CONVIVE_PAYMENT_SANDBOX_API_KEY"])
    )
    assert (
        env["CONVIVE_POS_GATEWAY_PAYMENT_WEBHOOK_SECRET"]
        == (env["CONVIVE_PAYMENT_SANDBOX_WEBHOOK_SECRET"])
    )
    other = Platform(services, {})
    assert other.env["CONVIVE_PAYMENT_SANDBOX_API_KEY"] != env["CONVIVE_PAYMENT_SANDBOX_API_KEY"]
    # the notifier mails through the SMTP double, which keeps the mails beside the logs
    assert (env["CONVIVE_NOTIFIER_SMTP_HOST"], env["CONVIVE_NOTIFIER_SMTP_PORT"]) == (
        "127.0.0.1",
        str(next(s.port for s in services if s.name == SMTP_SINK)),
    )
    assert env["CONVIVE_SMTP_SINK_MAIL_DIR"] == str(tmp_path / "mail")
    assert env["CONVIVE_POS_GATEWAY_PMS_URL"] == running.url(PMS_SANDBOX)
    assert env["CONVIVE_POS_GATEWAY_PMS_API_KEY"] == env["CONVIVE_PMS_SANDBOX_API_KEY"]
    # what the caller set is kept
    chosen = Platform(services, {"CONVIVE_GATEWAY_ORDERING_URL": "http://elsewhere:1"})
    assert chosen.env["CONVIVE_GATEWAY_ORDERING_URL"] == "http://elsewhere:1"


# --- what a newcomer meets first ---------------------------------------------------------------


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A loopback port something listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def test_a_busy_port_stops_run_before_anything_starts_and_says_what_to_do(
    busy_port: int,
) -> None:
    first = free_plan()[0].port  # the others from a free block, the gateway on the busy port
    with pytest.raises(SystemExit) as exited:
        main.main(["run", "--gateway-port", str(busy_port), "--first-port", str(first)])
    assert str(exited.value) == (
        f"port {busy_port} (for gateway) is taken; choose others with --gateway-port / --first-port"
    )
    with pytest.raises(SystemExit) as exited:
        main.main(["run", "--first-port", str(busy_port)])
    assert f"port {busy_port} (for table-session) is taken" in str(exited.value)


def test_a_service_that_dies_while_starting_is_named_with_its_log(tmp_path: Path) -> None:
    broken = ServiceProcess("broken", free_plan()[0].port, module_name="convive.cli.no_such_module")
    running = Platform([broken], {}, log_dir=tmp_path)
    running.start()
    try:
        with pytest.raises(ServiceStartError) as failed:
            running.wait_ready(timeout=60)
    finally:
        running.stop()
    assert str(failed.value) == (
        f"broken exited with code 1 while starting (log: {tmp_path / 'broken.log'})"
    )
    assert "No module named convive.cli.no_such_module" in (tmp_path / "broken.log").read_text()
    assert running.dead() == ["broken"]


def test_a_service_that_never_answers_is_named_with_its_address(tmp_path: Path) -> None:
    silent = ServiceProcess("silent", free_plan()[0].port)
    running = Platform([silent], {}, log_dir=tmp_path)
    # A process that lives but never listens (only the timeout's message is under test).
    running.processes["silent"] = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(60)"]
    )
    try:
        with pytest.raises(ServiceStartError) as failed:
            running.wait_ready(timeout=0.5)
    finally:
        running.stop()
    assert str(failed.value) == f"silent was not ready within the deadline ({silent.url})"


# --- banner and demo ---------------------------------------------------------------------------


def test_the_banner_lists_every_address_and_hides_the_database_password() -> None:
    services = plan()
    shown = main.banner(services, "postgresql+asyncpg://convive:s3cret@db:5432/convive", "k:9092")
    assert "s3cret" not in shown
    assert "PostgreSQL     db:5432/convive" in shown
    assert "Kafka          k:9092" in shown
    for service in services:
        assert service.url in shown
    assert "Ctrl-C stops everything" in shown


def test_phones_reach_the_payment_double_on_the_public_host() -> None:
    services = plan()
    sandbox = next(s.port for s in services if s.name == PAYMENT_SANDBOX)
    public = main._sandbox_public_url("http://192.168.1.20:8000", services)
    assert public == f"http://192.168.1.20:{sandbox}"
    assert main._sandbox_public_url("https://convive.example", services) == (
        f"https://convive.example:{sandbox}"
    )


def test_the_demo_menu_is_whole_in_both_languages() -> None:
    menu = demo.menu()
    categories = {c["category_id"] for c in menu["categories"]}
    assert len(menu["products"]) == len(demo.PRODUCTS) >= 30
    assert len({p["product_id"] for p in menu["products"]}) == len(menu["products"])
    for product in menu["products"]:
        assert product["category_id"] in categories
        assert product["name"]["fr"]
        assert product["name"]["en"]
        assert product["price"] == {"amount_minor": product["price"]["amount_minor"],
                                    "currency": "EUR"}  # fmt: skip
        expected = "bar" if product["category_id"] in demo.BAR_CATEGORIES else "kitchen"
        assert product["station"] == expected
    room_service = demo.menu({"mains", "desserts"})
    assert {p["category_id"] for p in room_service["products"]} == {"mains", "desserts"}
    assert [c["category_id"] for c in room_service["categories"]] == ["mains", "desserts"]


def test_the_demo_report_shows_every_table_the_device_and_the_staff() -> None:
    spots = [
        {"name": name, "guest_url": f"http://127.0.0.1:8000/t/token-{n}"}
        for n, (_, name) in enumerate(demo.TABLES)
    ]
    rooms = [{"name": "Room 101", "guest_url": "http://127.0.0.1:8000/t/room-101"}]
    seeded = demo.Seeded(spots=spots, device_id="dev-1", credential="cred-1", rooms=rooms)
    shown = demo.report(seeded)
    for spot in spots:
        assert spot["guest_url"] in shown
    assert "POS device dev-1: Authorization: Bearer cred-1" in shown
    assert "Back office http://127.0.0.1:8000/admin" in shown
    for email, _, role, _, password in demo_hotel.STAFF:
        assert f"{role:<8} {email} / {password}" in shown
    assert shown.count("scan with a phone") == 1
    assert demo.report(seeded, all_qr=True).count("scan with a phone") == len(spots)
    assert demo.terminal_qr("http://127.0.0.1:8000/t/x").count("\n") > 10
