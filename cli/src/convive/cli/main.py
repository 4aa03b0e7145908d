"""`convive` — the platform's command line.

    convive run            start PostgreSQL, Kafka and every service on this machine, with the
                           demo venue
    convive demo seed      create (or complete) the demo venue in running services
    convive services       list the services with their ports and modules

The command never imports a service: it starts each as its own process (`python -m
convive.<service>`), exactly as a deployment would.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from collections.abc import Sequence

from convive import localinfra
from convive.cli import demo
from convive.cli.platform import (
    FIRST_SERVICE_PORT,
    GATEWAY_PORT,
    PAYMENT_SANDBOX,
    SMTP_SINK,
    Platform,
    ServiceProcess,
    ServiceStartError,
    plan,
)
from convive.runtime.telemetry import configure_logging


def check_ports_free(services: Sequence[ServiceProcess]) -> None:
    """Stop with a message naming the first port of the plan that is taken, and how to choose
    others; before anything was started."""
    for service in services:
        if not localinfra.port_is_free(service.port):
            raise SystemExit(
                f"port {service.port} (for {service.name}) is taken; choose others with "
                "--gateway-port / --first-port"
            )


def run(args: argparse.Namespace) -> int:
    services = plan(args.gateway_port, args.first_port)
    check_ports_free(services)
    configure_logging(args.log_level, service="convive-run")
    print("starting PostgreSQL and Kafka (first start takes longer)…", flush=True)
    with (
        localinfra.postgres_from_env_or_start(durable=True) as postgres,
        localinfra.kafka_from_env_or_start(durable=True) as kafka,
    ):
        env = {
            **os.environ,
            localinfra.DATABASE_URL_ENV: postgres.url,
            localinfra.KAFKA_BOOTSTRAP_ENV: kafka.bootstrap,
            "CONVIVE_TABLE_SESSION_PUBLIC_BASE_URL": args.public_url
            or f"http://127.0.0.1:{args.gateway_port}",
            # The e-mails the notifier sends land there (the SMTP double keeps them).
            "CONVIVE_SMTP_SINK_MAIL_DIR": os.environ.get(
                "CONVIVE_SMTP_SINK_MAIL_DIR", str(localinfra.cache_dir() / "mail")
            ),
            **(
                {
                    "CONVIVE_PAYMENT_SANDBOX_PUBLIC_URL": _sandbox_public_url(
                        args.public_url, services
                    )
                }
                if args.public_url
                else {}
            ),
        }
        platform = Platform(services, env, host=args.host)
        stopping = False

        def on_signal(signum: int, _: object) -> None:
            nonlocal stopping
            stopping = True

        previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            platform.start()
            try:
                platform.wait_ready(timeout=args.start_timeout)
            except ServiceStartError as exc:
                print(exc, file=sys.stderr)
                return 1
            if args.demo:
                seeded = demo.seed(urls(services), localinfra.cache_dir())
                print(demo.report(seeded), flush=True)
            print(banner(services, postgres.url, kafka.bootstrap), flush=True)
            while not stopping:
                if dead := platform.dead():
                    print(f"{', '.join(dead)} stopped unexpectedly", file=sys.stderr)
                    return 1
                time.sleep(0.5)
            print("stopping…", flush=True)
            return 0
        finally:
            platform.stop()
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def banner(services: Sequence[ServiceProcess], database_url: str, bootstrap: str) -> str:
    lines = ["", "Convive is running. Ctrl-C stops everything.", ""]
    for s in services:
        if s.name == SMTP_SINK:
            where = os.environ.get("CONVIVE_SMTP_SINK_MAIL_DIR") or localinfra.cache_dir() / "mail"
            lines.append(f"  {s.name:<14} {s.url}   (the e-mails sent, as .eml files in {where})")
        else:
            lines.append(f"  {s.name:<14} {s.url}   (OpenAPI: {s.url}/schema)")
    safe_db = database_url.split("@")[-1]
    lines += ["", f"  PostgreSQL     {safe_db}", f"  Kafka          {bootstrap}", ""]
    return "\n".join(lines)


def _sandbox_public_url(public_url: str, services: Sequence[ServiceProcess]) -> str:
    """The payment double's hosted pages, on the host phones reach (`--public-url`)."""
    host = public_url.rsplit(":", 1)[0] if public_url.count(":") > 1 else public_url
    port = next(s.port for s in services if s.name == PAYMENT_SANDBOX)
    return f"{host.rstrip('/')}:{port}"


def urls(services: Sequence[ServiceProcess]) -> dict[str, str]:
    return {s.name: s.url for s in services}


def demo_seed(args: argparse.Namespace) -> int:
    seeded = demo.seed(urls(plan(args.gateway_port, args.first_port)), localinfra.cache_dir())
    print(demo.report(seeded, all_qr=args.all_qr))
    return 0


def list_services(_: argparse.Namespace) -> int:
    for s in plan():
        print(f"{s.name:<14} port {s.port:<5} python -m {s.module}")
    return 0


def add_port_arguments(parser: argparse.ArgumentParser) -> None:
    """Where the services listen (`convive services` shows the plan)."""
    parser.add_argument(
        "--gateway-port",
        type=int,
        default=GATEWAY_PORT,
        help="the gateway's port, the one browsers use (default: %(default)s)",
    )
    parser.add_argument(
        "--first-port",
        type=int,
        default=FIRST_SERVICE_PORT,
        help="the first of the other services' ports, one after another (default: %(default)s)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The command line: each command's arguments, its help, and its handler (`handler`)."""
    parser = argparse.ArgumentParser(prog="convive", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run_parser = commands.add_parser("run", help="run everything on this machine")
    run_parser.add_argument("--host", default="127.0.0.1", help="address the services bind to")
    add_port_arguments(run_parser)
    run_parser.add_argument(
        "--start-timeout",
        type=float,
        default=120.0,
        help="seconds every service has to answer ready (default: %(default)s)",
    )
    run_parser.add_argument(
        "--log-level", default="INFO", help="of convive run's own logs (default: %(default)s)"
    )
    run_parser.add_argument(
        "--public-url",
        help="base URL printed in the QR codes, e.g. http://192.168.1.20:8000 for phones on "
        "your network (then also --host 0.0.0.0)",
    )
    run_parser.add_argument(
        "--no-demo", dest="demo", action="store_false", help="do not seed the demo venue"
    )
    run_parser.set_defaults(handler=run)
    demo_parser = commands.add_parser("demo", help="the demo venue")
    demo_commands = demo_parser.add_subparsers(dest="demo_command", required=True)
    seed_parser = demo_commands.add_parser("seed", help="create the demo venue")
    add_port_arguments(seed_parser)
    seed_parser.add_argument("--all-qr", action="store_true", help="a QR code for every table")
    seed_parser.set_defaults(handler=demo_seed)
    commands.add_parser("services", help="list the services").set_defaults(handler=list_services)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.handler(args))


if __name__ == "__main__":
    raise SystemExit(main())
