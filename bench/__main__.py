"""`python -m bench`: start or reuse one PostgreSQL and one Kafka, run the measurements, print
the report, write it as JSON to .cache/bench/latest.json, and clean up."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import time
import traceback
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from bench import appends, infra, pipeline, platform_load, raw_kafka, report, streams
from bench.config import Settings, parse
from convive import localinfra

Section = Callable[[infra.Infra, Settings], Awaitable[dict[str, Any]]]
SECTIONS: dict[str, Section] = {
    "raw": raw_kafka.run,
    "pipeline": pipeline.run,
    "appends": appends.run,
    "platform": platform_load.run,
    "streams": streams.run,
}


async def measure(servers: infra.Infra, settings: Settings) -> dict[str, Any]:
    started = time.monotonic()
    results: dict[str, Any] = {
        "meta": {
            "machine": infra.machine_facts(),
            "postgres": await infra.postgres_facts(servers.dsn),
            "kafka_version": servers.kafka_version,
            "servers_started_here": {
                "postgres": servers.postgres_started,
                "kafka": servers.kafka_started,
            },
            "libraries": infra.library_versions(),
            "settings": {k: v for k, v in vars(settings).items() if k != "output"},
            "namespace": servers.namespace,
        },
        "errors": [],
    }
    try:
        for name in settings.sections:
            section_started = time.monotonic()
            print(f"running {name} ...", flush=True)
            try:
                results[name] = await SECTIONS[name](servers, settings)
            except Exception as exc:
                results["errors"].append(f"{name}: {exc!r}")
                traceback.print_exc()
            print(f"  {name} took {time.monotonic() - section_started:.1f}s", flush=True)
    finally:
        problems = await infra.clean_up(servers)
        results["errors"].extend(f"clean-up: {p}" for p in problems)
    results["meta"]["duration_s"] = round(time.monotonic() - started, 1)
    results["meta"]["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    report.add_ratios(results)
    return results


def main(argv: list[str] | None = None) -> int:
    settings = parse(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    output = Path(settings.output) if settings.output else localinfra.cache_dir() / "bench"
    if output.suffix != ".json":
        output = output / "latest.json"
    with infra.servers() as servers:
        results = asyncio.run(measure(servers, settings))
    print()
    print(report.text(results))
    report.write_json(results, output)
    print(f"\nJSON report: {output}")
    return 1 if results["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
