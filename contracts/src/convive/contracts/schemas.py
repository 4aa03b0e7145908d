"""JSON Schema export of every contract event, the event catalogue, and the compatibility check.

`contracts/schemas/<service>/<Type>.v<N>.json` holds one file per event version; files of older
versions stay, for readers of old events. Every committed version counts as released: a later
change to it must stay backward compatible (descriptions may change, optional properties may be
added; nothing may be removed, retyped or newly required). Anything else is a new
`schema_version` with an upcaster.

    convive-contracts export   # write schemas and docs/event-catalogue.md from the code
    convive-contracts check    # fail if they differ from the code, or break a released version
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from convive.contracts.base import Event, registry
from convive.contracts.envelope import REQUIRED_HEADERS
from convive.contracts.topics import events_topic

PACKAGE_ROOT = Path(__file__).resolve().parents[3]
SCHEMA_DIR = PACKAGE_ROOT / "schemas"
CATALOGUE = PACKAGE_ROOT.parent / "docs" / "event-catalogue.md"
_NOT_CONTRACTS = "contract events live in convive.contracts"
_COSMETIC = {"description", "title", "examples"}


def contract_events() -> list[type[Event]]:
    """Events defined in the contracts package (tests may register others; they don't count)."""
    import convive.contracts  # noqa: F401  (registers every event)

    return registry.contract_events()


def schema_path(cls: type[Event], root: Path = SCHEMA_DIR) -> Path:
    return root / cls.service / f"{cls.event_type}.v{cls.schema_version}.json"


def schema_of(cls: type[Event]) -> dict[str, Any]:
    body = cls.model_json_schema(mode="serialization")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"urn:convive:event:{cls.service}:{cls.event_type}:v{cls.schema_version}",
        "x-convive": {
            "service": cls.service,
            "topic": events_topic(cls.service),
            "type": cls.event_type,
            "schema_version": cls.schema_version,
        },
        **body,
    }


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _strip(node: Any, *, names: bool = False) -> Any:
    """Drop cosmetic keywords; the keys of a properties/$defs map are names, not keywords."""
    if isinstance(node, dict):
        return {
            k: _strip(v, names=not names and k in ("properties", "$defs", "patternProperties"))
            for k, v in node.items()
            if names or k not in _COSMETIC
        }
    if isinstance(node, list):
        return [_strip(v) for v in node]
    return node


def incompatibilities(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Why `new` cannot replace the released `old` (empty when it can).

    The same rules hold for the event and for every object it defines (`$defs`): optional
    properties may be added; nothing may be removed, retyped or newly required.
    """
    problems = _object_changes(old, new, "")
    old_defs: dict[str, Any] = old.get("$defs", {})
    new_defs: dict[str, Any] = new.get("$defs", {})
    for name, spec in old_defs.items():
        if name not in new_defs:
            problems.append(f"definition {name!r} was removed")
        elif "properties" in spec and "properties" in new_defs[name]:
            problems += _object_changes(spec, new_defs[name], f"{name}.")
        elif _strip(spec) != _strip(new_defs[name]):
            problems.append(f"definition {name!r} changed")
    return problems


def _object_changes(old: dict[str, Any], new: dict[str, Any], prefix: str) -> list[str]:
    problems: list[str] = []
    old_props: dict[str, Any] = old.get("properties", {})
    new_props: dict[str, Any] = new.get("properties", {})
    for name, spec in old_props.items():
        if name not in new_props:
            problems.append(f"property {prefix + name!r} was removed")
        elif _strip(spec) != _strip(new_props[name]):
            problems.append(f"property {prefix + name!r} changed its type or constraints")
    newly_required = set(new.get("required", [])) - set(old.get("required", []))
    for name in sorted(newly_required):
        problems.append(f"property {prefix + name!r} became required")
    for key in ("type", "additionalProperties"):
        if old.get(key) != new.get(key):
            where = f" of {prefix[:-1]!r}" if prefix else ""
            problems.append(f"{key}{where} changed from {old.get(key)!r} to {new.get(key)!r}")
    return problems


def expected_files(root: Path = SCHEMA_DIR) -> dict[Path, str]:
    return {schema_path(c, root): render(schema_of(c)) for c in contract_events()}


def catalogue() -> str:
    lines = [
        "# Event catalogue",
        "",
        "Generated from `contracts/` by `convive-contracts export`; do not edit by hand.",
        "",
        "Every record carries the CloudEvents headers "
        + ", ".join(f"`{h}`" for h in REQUIRED_HEADERS)
        + " (and `causation_id`, `convive_stream_version` when known), `content-type:"
        " application/json`, the stream id as key, and a JSON body valid against the schema.",
        "",
    ]
    by_service: dict[str, list[type[Event]]] = {}
    for cls in contract_events():
        by_service.setdefault(cls.service, []).append(cls)
    for service, classes in sorted(by_service.items()):
        lines += [f"## {service} — `{events_topic(service)}`", ""]
        lines += ["| event | version | fields | what it means |", "|---|---|---|---|"]
        for cls in classes:
            fields = ", ".join(
                f"`{n}`" if f.is_required() else f"`{n}`?" for n, f in cls.model_fields.items()
            )
            doc = " ".join((cls.__doc__ or "").split())
            rel = schema_path(cls).relative_to(PACKAGE_ROOT.parent)
            lines.append(
                f"| [{cls.event_type}](../{rel}) | {cls.schema_version} | {fields} | {doc} |"
            )
        lines.append("")
    return "\n".join(lines)


def export(root: Path = SCHEMA_DIR) -> list[str]:
    """Write every schema; refuse to overwrite a released one incompatibly. Returns problems."""
    problems: list[str] = []
    for path, text in expected_files(root).items():
        if path.exists():
            old = json.loads(path.read_text())
            why = incompatibilities(old, json.loads(text))
            if why:
                problems.append(
                    f"{path.name}: incompatible with the released schema ({'; '.join(why)}); "
                    "raise schema_version and register an upcaster instead"
                )
                continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    if root == SCHEMA_DIR:
        CATALOGUE.parent.mkdir(parents=True, exist_ok=True)
        CATALOGUE.write_text(catalogue())
    return problems


def stale(root: Path = SCHEMA_DIR) -> list[str]:
    """Differences between the committed schema files and the code."""
    problems: list[str] = []
    expected = expected_files(root)
    for path, text in expected.items():
        if not path.exists():
            problems.append(f"{path.relative_to(root)} is missing (run convive-contracts export)")
        elif path.read_text() != text:
            problems.append(f"{path.relative_to(root)} differs from the code (run export)")
    current = {(c.service, c.event_type): c.schema_version for c in contract_events()}
    for path in sorted(root.glob("*/*.v*.json")):
        event_type, _, version = path.stem.rpartition(".v")
        known = current.get((path.parent.name, event_type))
        if known is None or int(version) > known:
            problems.append(f"{path.relative_to(root)} has no event in the code")
    if root == SCHEMA_DIR and (not CATALOGUE.exists() or CATALOGUE.read_text() != catalogue()):
        problems.append("docs/event-catalogue.md differs from the code (run export)")
    return problems


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=PACKAGE_ROOT, check=True, capture_output=True, text=True
    ).stdout


def released_versions(path: Path) -> Iterable[tuple[str, dict[str, Any]]]:
    """Every committed version of one schema file, as (commit, schema)."""
    rel = path.relative_to(PACKAGE_ROOT)
    try:
        commits = _git("log", "--format=%H", "--", str(rel)).split()
    except (subprocess.CalledProcessError, FileNotFoundError):
        return  # not a git checkout, or no commit yet: nothing was released
    for commit in commits:
        try:
            text = _git("show", f"{commit}:./{rel}")
        except subprocess.CalledProcessError:
            continue  # the commit deleted it
        yield commit, json.loads(text)


def deleted_releases(root: Path = SCHEMA_DIR) -> list[str]:
    """Released schema files (in git at HEAD) that are gone from the work tree."""
    try:
        tracked = _git("ls-files", "--", str(root.relative_to(PACKAGE_ROOT))).split()
    except (subprocess.CalledProcessError, FileNotFoundError):
        return []
    return [
        f"{name} was released and must stay (older events still use it)"
        for name in tracked
        if name.endswith(".json") and not (PACKAGE_ROOT / name).exists()
    ]


def broken_releases(root: Path = SCHEMA_DIR) -> list[str]:
    """Schema files that are incompatible with one of their own committed versions."""
    problems: list[str] = []
    for path in sorted(root.glob("*/*.v*.json")):
        current = json.loads(path.read_text())
        for commit, old in released_versions(path):
            why = incompatibilities(old, current)
            if why:
                problems.append(
                    f"{path.relative_to(root)} breaks the version released in {commit[:10]}: "
                    + "; ".join(why)
                )
                break
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="convive-contracts", description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=["export", "check"])
    args = parser.parse_args(argv)
    if args.command == "export":
        problems = export()
    else:
        problems = stale() + deleted_releases() + broken_releases()
    for line in problems:
        print(line, file=sys.stderr)
    if not problems:
        print(f"{len(contract_events())} event schemas {args.command}ed: ok")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
