"""The benchmark's counts: full or `--quick` defaults, overridden by CONVIVE_BENCH_* variables
and then by command-line flags."""

from __future__ import annotations

import argparse
import dataclasses
import os
from collections.abc import Sequence
from dataclasses import dataclass

SECTIONS = ("raw", "pipeline", "appends", "platform", "streams")
ENV_PREFIX = "CONVIVE_BENCH_"


@dataclass(frozen=True)
class Settings:
    """What one run measures and how many times."""

    quick: bool = False
    sections: tuple[str, ...] = SECTIONS
    warmup: int = 30
    latency_samples: int = 300
    idle_samples: int = 60
    idle_gap_min_ms: float = 50.0
    idle_gap_max_ms: float = 350.0
    raw_messages: int = 20_000
    raw_payload_bytes: int = 300
    pipeline_events: int = 3_000
    pipeline_writers: int = 20
    append_events: int = 2_000
    append_concurrent_events: int = 4_000
    append_writers: int = 8
    partitions: int = 3
    platform_tables: int = 20
    platform_adds_per_guest: int = 12
    platform_paced_adds_per_guest: int = 5
    platform_think_ms: float = 2000.0
    platform_baseline_samples: int = 100
    streams_max: int = 2000
    streams_first: int = 250
    streams_per_guest: int = 2
    streams_budget_s: float = 85.0
    streams_idle_s: float = 3.0
    streams_probes: int = 5
    output: str = ""


QUICK = {
    "warmup": 10,
    "latency_samples": 60,
    "idle_samples": 15,
    "raw_messages": 3_000,
    "pipeline_events": 600,
    "append_events": 300,
    "append_concurrent_events": 600,
    "platform_tables": 4,
    "platform_adds_per_guest": 4,
    "platform_paced_adds_per_guest": 2,
    "platform_think_ms": 1000.0,
    "platform_baseline_samples": 30,
    "streams_max": 400,
    "streams_first": 100,
    "streams_budget_s": 40.0,
    "streams_idle_s": 2.0,
    "streams_probes": 3,
}

# Flags that take a number: name -> help text.
COUNTS = {
    "warmup": "messages/events sent before each latency measurement and not counted",
    "latency_samples": "back-to-back latency samples (raw and pipeline)",
    "idle_samples": "latency samples taken after a random idle pause (raw and pipeline)",
    "idle_gap_min_ms": "shortest idle pause before an idle sample",
    "idle_gap_max_ms": "longest idle pause before an idle sample",
    "raw_messages": "messages of the raw Kafka throughput run",
    "raw_payload_bytes": "value size of a raw Kafka message",
    "pipeline_events": "events appended in the pipeline throughput run",
    "pipeline_writers": "concurrent writers (one stream each) in the pipeline throughput run",
    "append_events": "single-event appends, one writer (each store)",
    "append_concurrent_events": "single-event appends shared by the concurrent writers",
    "append_writers": "concurrent writers of the append comparison",
    "partitions": "partitions of every topic the benchmark creates",
    "platform_tables": "tables of the platform run, each with two guests, all at once",
    "platform_adds_per_guest": "cart adds each guest sends back to back in the platform run",
    "platform_paced_adds_per_guest": "cart adds each guest then sends with a think time before "
    "each (0: no paced phase)",
    "platform_think_ms": "mean think time of the paced phase (uniform, 0.5 to 1.5 times it)",
    "platform_baseline_samples": "raw Kafka latency samples the platform section takes for its "
    "ratios when the raw section is not run",
    "streams_max": "most session streams the streams section opens on one notifier (also bounded "
    "by the open-files limits)",
    "streams_first": "streams of the first step of the streams section (then doubled up to the "
    "most)",
    "streams_per_guest": "streams each guest (a session has two) opens in the streams section, "
    "as from several tabs or phones",
    "streams_budget_s": "seconds the streams section may take, notifier start included: no step "
    "starts that would not end within it",
    "streams_idle_s": "seconds over which the notifier's idle CPU is measured at each step",
    "streams_probes": "sessions a live event is sent to, one at a time, at each step",
}


def _number(kind: type, text: str) -> int | float:
    value = kind(text)
    if value < 0:
        raise ValueError(f"must not be negative: {text}")
    return value  # type: ignore[no-any-return]


def parse(argv: Sequence[str] | None = None) -> Settings:
    """Settings from defaults, then CONVIVE_BENCH_<NAME> variables, then flags."""
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Convive runtime benchmarks against real Kafka and PostgreSQL.",
    )
    parser.add_argument("--quick", action="store_true", help="a ~30 s smoke run (small counts)")
    parser.add_argument(
        "--only",
        default=None,
        help=f"comma-separated sections to run, of: {', '.join(SECTIONS)} (default: all)",
    )
    parser.add_argument(
        "--output", default=None, help="JSON report path (default: .cache/bench/latest.json)"
    )
    defaults = Settings()
    for name, text in COUNTS.items():
        kind = type(getattr(defaults, name))
        parser.add_argument(
            f"--{name.replace('_', '-')}",
            type=lambda s, k=kind: _number(k, s),
            default=None,
            help=f"{text} (env {ENV_PREFIX}{name.upper()})",
        )
    args = parser.parse_args(argv)

    quick = bool(args.quick) or os.environ.get(f"{ENV_PREFIX}QUICK", "") in {"1", "true", "yes"}
    values: dict[str, object] = dict(QUICK) if quick else {}
    for name in COUNTS:
        kind = type(getattr(defaults, name))
        env = os.environ.get(f"{ENV_PREFIX}{name.upper()}")
        if env:
            values[name] = _number(kind, env)
        flag = getattr(args, name)
        if flag is not None:
            values[name] = flag
    only = args.only or os.environ.get(f"{ENV_PREFIX}ONLY")
    if only:
        chosen = tuple(s.strip() for s in only.split(",") if s.strip())
        unknown = set(chosen) - set(SECTIONS)
        if unknown:
            parser.error(f"unknown section(s): {', '.join(sorted(unknown))}")
        values["sections"] = chosen
    if args.output:
        values["output"] = args.output
    settings = dataclasses.replace(defaults, quick=quick, **values)  # type: ignore[arg-type]
    if settings.pipeline_writers < 1 or settings.append_writers < 1:
        parser.error("writers must be at least 1")
    if settings.platform_tables < 1 or settings.platform_adds_per_guest < 1:
        parser.error("the platform run needs at least 1 table and 1 add per guest")
    if settings.streams_max < 1 or settings.streams_first < 1:
        parser.error("the streams run needs at least 1 stream")
    return settings
