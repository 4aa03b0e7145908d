"""Turns the measurements into ratios, a readable text report and the JSON file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench.stats import ratio

NOTES = [
    "Figures come from one shared, noisy 2-core machine where the benchmark process, Kafka "
    "and PostgreSQL compete for the same cores (and other people's tests may run): compare "
    "ratios within a run, not absolute numbers across machines.",
    "Latency percentiles use statistics.quantiles(n=100, method='inclusive').",
    "Pipeline latency ends when ProjectionApplier.apply_batch returns, i.e. after the batch's "
    "transaction committed (the projection row is visible to any new transaction).",
    "Our EventStore.append also writes an outbox row and sends a NOTIFY in the same "
    "transaction; eventsourcing also NOTIFYs and takes an EXCLUSIVE table lock per insert.",
    "Concurrent appends: ours are asyncio tasks on one event loop, eventsourcing's are threads "
    "(its API is synchronous).",
]


def add_ratios(results: dict[str, Any]) -> None:
    """Pipeline and platform figures divided by the raw Kafka baseline of the same run."""
    _platform_ratios(results)
    raw, pipeline = results.get("raw"), results.get("pipeline")
    if not raw or not pipeline:
        return
    ratios: dict[str, float | None] = {}
    for key in ("latency", "latency_after_idle"):
        for p in ("p50_ms", "p99_ms"):
            ratios[f"{key}_{p.removesuffix('_ms')}"] = ratio(pipeline[key].get(p), raw[key].get(p))
    ratios["throughput"] = ratio(
        pipeline["throughput"]["events_per_s"], raw["throughput"]["messages_per_s"]
    )
    pipeline["ratios_to_raw"] = ratios


def _platform_ratios(results: dict[str, Any]) -> None:
    """Platform latencies over the raw back-to-back round trip: the raw section's, else the
    baseline the platform section measured itself."""
    platform = results.get("platform")
    if not platform:
        return
    raw = results.get("raw") or platform.get("raw_baseline")
    if not raw:
        return
    for phase in ("load", "paced"):
        if phase not in platform:
            continue
        platform[phase]["ratios_to_raw"] = {
            "baseline": "raw section" if results.get("raw") else "platform section's own",
            **{
                f"{key}_{p.removesuffix('_ms')}": ratio(
                    platform[phase][key].get(p), raw["latency"].get(p)
                )
                for key in ("guest_to_guest", "order_to_pos")
                for p in ("p50_ms", "p99_ms")
            },
        }


def _ms(summary: dict[str, Any], key: str) -> str:
    value = summary.get(key)
    return f"{value:10.2f}" if isinstance(value, int | float) else f"{'-':>10}"


def _x(value: float | None) -> str:
    return f"x{value:.3g}" if value is not None else "-"


def _latency_rows(label: str, summary: dict[str, Any]) -> str:
    return (
        f"  {label:<36}{_ms(summary, 'p50_ms')}{_ms(summary, 'p90_ms')}"
        f"{_ms(summary, 'p99_ms')}{_ms(summary, 'max_ms')}   n={summary.get('n', 0)}"
    )


def text(results: dict[str, Any]) -> str:
    meta = results["meta"]
    machine = meta["machine"]
    lines = [
        "Convive runtime benchmark",
        f"  date {machine['date_utc']}  |  {machine['cpu_count']} cores {machine['cpu_model']}, "
        f"{machine.get('memory_gib')} GiB  |  Python {machine['python']}",
        f"  PostgreSQL {meta['postgres'].get('server_version')} "
        f"(fsync={meta['postgres'].get('fsync')}, "
        f"synchronous_commit={meta['postgres'].get('synchronous_commit')})  |  "
        f"Kafka {meta['kafka_version']}  |  "
        f"load avg at start {machine.get('loadavg_1_5_15')}, at end {meta.get('loadavg_end')}",
        f"  mode: {'quick' if meta['settings']['quick'] else 'full'}, "
        f"took {meta.get('duration_s')} s",
        "",
    ]
    header = f"  {'':<36}{'p50 ms':>10}{'p90 ms':>10}{'p99 ms':>10}{'max ms':>10}"
    raw = results.get("raw")
    if raw:
        tp = raw["throughput"]
        lines += [
            f"1. Raw Kafka round trip (baseline; {raw['payload_bytes']}-byte messages)",
            header,
            _latency_rows("produce -> consumed, back-to-back", raw["latency"]),
            _latency_rows("produce -> consumed, after idle", raw["latency_after_idle"]),
            f"  throughput: {tp['messages_per_s']:.0f} msg/s end to end "
            f"({tp['messages']} messages in {tp['seconds']} s; producer acked at "
            f"{tp['produce_acked_per_s']:.0f} msg/s)",
            "",
        ]
    pipeline = results.get("pipeline")
    if pipeline:
        tp = pipeline["throughput"]
        r = pipeline.get("ratios_to_raw", {})
        lines += [
            "2. Convive pipeline: append -> outbox -> relay -> Kafka -> projection committed",
            header,
            _latency_rows("append -> projected, back-to-back", pipeline["latency"]),
            _latency_rows("  of which the append call", pipeline["append_call"]),
            _latency_rows("append -> projected, after idle", pipeline["latency_after_idle"]),
            _latency_rows(
                f"append -> projected, under load ({tp['writers']} w.)",
                tp["latency_under_load"],
            ),
            f"  throughput: {tp['events_per_s']:.0f} events/s appended and projected "
            f"({tp['events']} events, {tp['writers']} writers, {tp['seconds']} s; appends alone "
            f"{tp['append_phase_events_per_s']:.0f}/s, then {tp['drain_after_appends_s']} s "
            f"to drain)",
            f"  relay batches under load: {tp['relay_batches']}",
            f"  consumer batches under load: {tp['consumer_batches']}",
            f"  under load: {tp['sql_statements_per_event']} SQL statements and "
            f"{tp['relay_drains_per_event']} relay drains per event, "
            f"{tp['process_cpu_ms_per_event']} ms of benchmark-process CPU per event "
            f"(process busy {tp['process_cpu_share']:.0%} of the time)",
            f"  back-to-back: {pipeline['latency_sql']['sql_statements_per_event']} SQL "
            f"statements and {pipeline['latency_sql']['relay_drains_per_event']} relay drains "
            "per event",
            f"  mean record size {pipeline.get('record_bytes_mean')} bytes (value + headers); "
            f"check {pipeline['check']}",
        ]
        if r:
            lines.append(
                f"  ratios to raw Kafka: latency p50 {_x(r['latency_p50'])}, "
                f"p99 {_x(r['latency_p99'])}; after idle p50 {_x(r['latency_after_idle_p50'])}, "
                f"p99 {_x(r['latency_after_idle_p99'])}; throughput {_x(r['throughput'])}"
            )
        lines.append("")
    appends = results.get("appends")
    if appends:
        lines.append(
            "3. Event store appends/s, single-event appends to new streams "
            f"(event data {appends.get('event_data_bytes')} bytes)"
        )
        if "skipped" in appends:
            lines.append(f"  skipped: {appends['skipped']}")
        else:
            lines.append(
                f"  {'':<30}{'Convive':>10}{'eventsourcing':>15}{'ratio':>8}"
                f"{'CPU ms/append (ours, theirs)':>32}"
            )
            for key, label in (
                ("one_writer", "1 writer"),
                ("concurrent", f"{appends['concurrent']['writers']} concurrent writers"),
            ):
                row = appends[key]
                lines.append(
                    f"  {label:<30}{row['ours_per_s']:>10.0f}{row['eventsourcing_per_s']:>15.0f}"
                    f"{_x(row['ratio_ours_to_eventsourcing']):>8}"
                    f"{row['ours_cpu_ms_per_append']:>20.2f}{row['eventsourcing_cpu_ms_per_append']:>12.2f}"
                )
            lines.append(
                f"  our append sends {appends['ours_statements_per_append']:.0f} SQL statements "
                f"plus BEGIN/COMMIT; check {appends['check']}"
            )
        lines.append("")
    lines += _platform_text(results.get("platform"), header)
    lines += _streams_text(results.get("streams"))
    if results.get("errors"):
        lines += ["Errors:", *[f"  {e}" for e in results["errors"]], ""]
    lines += ["Notes:", *[f"  - {n}" for n in NOTES]]
    return "\n".join(lines)


def _phase_text(label: str, load: dict[str, Any], header: str) -> list[str]:
    think = f"think time {load['think_ms']:.0f} ms" if load["think_ms"] else "back to back"
    lines = [
        f"  {label}: {load['adds_per_guest']} adds per guest ({think}), then one confirm per "
        f"table ({load['confirm_event']})",
        header,
        _latency_rows("guest A's add -> guest B's stream", load["guest_to_guest"]),
        _latency_rows("  of which A's POST answered", load["add_call"]),
        _latency_rows("confirm -> POS's venue stream", load["order_to_pos"]),
        _latency_rows("  of which the POST answered", load["confirm_call"]),
        f"  cart adds: {load['adds_per_s']:.0f}/s accepted ({load['adds_accepted']} of "
        f"{load['adds_sent']} in {load['load_seconds']} s; refused {load['refused'] or 'none'}); "
        f"{load['delivered_to_other_guest']} delivered to the other guest "
        f"({load['undelivered_after_wait']} not), {load['delivered_per_s']:.0f}/s",
        f"  orders: {load['orders_confirmed']} confirmed, {load['orders_delivered_to_pos']} "
        "delivered to the POS",
    ]
    cpu = load.get("cpu")
    if cpu:
        shares = ", ".join(
            f"{name} {share:.2f}"
            for name, share in cpu["cores_used_by_process"].items()
            if share is not None
        )
        busy = cpu.get("machine_busy_share")
        lines.append(
            f"  cores used: {shares}; machine busy " + (f"{busy:.0%}" if busy is not None else "-")
        )
        per_add = cpu.get("cpu_ms_per_add", {})
        if per_add:
            lines.append(
                "  CPU ms per accepted add: "
                + ", ".join(f"{name} {ms:.1f}" for name, ms in per_add.items() if ms >= 0.05)
            )
    r = load.get("ratios_to_raw")
    if r:
        lines.append(
            f"  ratios to raw Kafka p50/p99 ({r['baseline']}): guest to guest "
            f"{_x(r['guest_to_guest_p50'])} / {_x(r['guest_to_guest_p99'])}; order to POS "
            f"{_x(r['order_to_pos_p50'])} / {_x(r['order_to_pos_p99'])}"
        )
    return lines


def _platform_text(platform: dict[str, Any] | None, header: str) -> list[str]:
    if not platform or "load" not in platform:
        return []
    load = platform["load"]
    lines = [
        "4. The platform as processes: HTTP add -> other guest's SSE; confirm -> POS's SSE",
        f"  {load['tables']} tables, {load['guests']} guests, all at once; platform started in "
        f"{platform.get('platform_start_s')} s, venue and guests set up in "
        f"{platform.get('setup_s')} s",
        *_phase_text("flat out", load, header),
    ]
    if "paced" in platform:
        lines += _phase_text("paced", platform["paced"], header)
    baseline = platform.get("raw_baseline")
    if baseline:
        lines.append(
            f"  raw Kafka baseline measured here: p50 {baseline['latency'].get('p50_ms')} ms, "
            f"p99 {baseline['latency'].get('p99_ms')} ms"
        )
    return [*lines, ""]


def _streams_text(streams: dict[str, Any] | None) -> list[str]:
    if not streams or "steps" not in streams:
        return []
    lines = [
        "5. Live session streams on one notifier process (raw-socket client; 2 guests a session, "
        f"{streams.get('streams_per_guest')} streams a guest)",
        f"  notifier started in {streams.get('notifier_start_s')} s; {streams.get('sessions')} "
        f"sessions learnt in {streams.get('sessions_learnt_s')} s; open files: benchmark "
        f"{streams['nofile_bench']['soft']}, notifier {streams.get('nofile_notifier')}; "
        f"load avg {streams.get('loadavg_start')} -> {streams.get('loadavg_end')}",
        f"  {'streams':>8}{'RSS MiB':>9}{'fds':>7}{'db conn':>8}{'opens/s':>9}"
        f"{'open p50':>10}{'idle cores':>11}{'client':>8}{'live p50 ms':>12}{'lost':>6}"
        f"{'ended':>6}",
    ]
    for row in streams["steps"]:
        grow = row.get("open", {})
        live = row.get("live", {})
        p50 = grow.get("open_latency", {}).get("p50_ms")
        live_p50 = live.get("latency", {}).get("p50_ms")
        lines.append(
            f"  {row['streams']:>8}{row['rss_mib'] or 0:>9.1f}{row['fds'] or 0:>7}"
            f"{row['db_connections'] if row['db_connections'] is not None else '-':>8}"
            f"{grow.get('opens_per_s', '-'):>9}"
            f"{f'{p50:.0f} ms' if p50 is not None else '-':>10}"
            f"{row['idle']['notifier_cores']:>11.3f}{row['idle']['client_cores']:>8.3f}"
            f"{f'{live_p50:.0f}' if live_p50 is not None else '-':>12}"
            f"{live.get('lost', '-'):>6}{row.get('ended', '-'):>6}"
        )
    opening = [r["open"] for r in streams["steps"] if "open" in r]
    if opening:
        notifier_ms = [o["notifier_cpu_ms_per_open"] for o in opening if o.get("opened")]
        client_ms = [o["client_cpu_ms_per_open"] for o in opening if o.get("opened")]
        if notifier_ms:
            lines.append(
                f"  CPU ms per stream opened: notifier {min(notifier_ms)}-{max(notifier_ms)}, "
                f"benchmark client {min(client_ms)}-{max(client_ms)}"
            )
    lines += [
        f"  held: {streams.get('max_streams_held')} streams "
        f"(ceiling {streams.get('streams_ceiling')}, stopped: {streams.get('stopped_by')}); "
        f"refused {streams.get('refused') or 'none'}",
        f"  memory per 1000 streams: {streams.get('rss_mib_per_1000_streams')} MiB (RSS slope); "
        f"idle CPU per 1000 streams: {streams.get('idle_cores_per_1000_streams')} cores; "
        f"notifier DB connections at most {streams.get('db_connections_max_while_opening')} "
        "while opening",
        "",
    ]
    return lines


def write_json(results: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2, default=str) + "\n")
