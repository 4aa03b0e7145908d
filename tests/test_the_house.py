"""The house rules that import-linter cannot see: every event-sourced service has the same rooms
(docs/architecture.md, decision 0013), says what it is in a README, opens every module with what
it is for, builds a state from a stream with a function named `fold` beside its `evolve`, and
proves its read models by rebuilding them from the topics. Read from the tree alone; nothing is
started."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# The gateway keeps no events; its own layout is held by its import-linter contract.
EVENT_SOURCED = sorted(
    path.name for path in (ROOT / "services").iterdir() if path.is_dir() and path.name != "gateway"
)
# Rooms every service has; a module until it grows, then a package of the same name.
ROOMS = ["domain", "commands", "projections", "subscriptions", "queries", "api", "tables", "app"]
FILES = ["settings.py", "__main__.py", "py.typed", "migrations/env.py"]


def package_of(service: str) -> Path:
    (package,) = (ROOT / "services" / service / "src" / "convive").iterdir()
    return package


# Services with read models already (loyalty and CRM start with empty rooms).
WITH_READ_MODELS = [
    service
    for service in EVENT_SOURCED
    if any(
        path.name != "__init__.py" for path in (package_of(service) / "projections").glob("*.py")
    )
]


def modules_of(root: Path) -> list[Path]:
    return sorted(
        path for path in root.rglob("*.py") if "__pycache__" not in path.parts and path.read_text()
    )


def test_the_services_are_found() -> None:
    assert {"table-session", "ordering", "pos-gateway", "notifier", "loyalty", "crm"} <= set(
        EVENT_SOURCED
    )
    assert {"table-session", "ordering", "pos-gateway", "notifier"} <= set(WITH_READ_MODELS)


@pytest.mark.parametrize("service", EVENT_SOURCED)
def test_a_service_has_every_room(service: str) -> None:
    package = package_of(service)
    missing = [
        room
        for room in ROOMS
        if not (package / f"{room}.py").is_file() and not (package / room / "__init__.py").is_file()
    ]
    missing += [name for name in FILES if not (package / name).is_file()]
    assert not missing, f"{service} lacks {missing}"
    assert (ROOT / "services" / service / "README.md").is_file(), f"{service} has no README.md"


@pytest.mark.parametrize("service", EVENT_SOURCED)
def test_a_room_is_a_module_or_a_package_never_both(service: str) -> None:
    package = package_of(service)
    both = [
        room for room in ROOMS if (package / f"{room}.py").exists() and (package / room).is_dir()
    ]
    assert not both, f"{service} has {both} both as a module and as a package"


@pytest.mark.parametrize("service", WITH_READ_MODELS)
def test_a_service_with_events_keeps_its_own_read_models_apart(service: str) -> None:
    """Own read models in projections/own.py, written by the event store in every append and
    rebuilt from the service's own topic; other services' facts in projections/<source>.py."""
    package = package_of(service)
    assert (package / "projections" / "own.py").is_file(), (
        f"{service}'s own read models are not in own.py"
    )
    app = (package / "app.py").read_text()
    assert "own_read_models=" in app, f"{service}'s app does not declare its own read models"


@pytest.mark.parametrize("service", WITH_READ_MODELS)
def test_every_read_model_is_proven_by_a_rebuild(service: str) -> None:
    tests = ROOT / "services" / service / "tests"
    assert any(
        "assert_projections_rebuild" in path.read_text() for path in tests.rglob("test_*.py")
    ), f"no test of {service} rebuilds its projections from the topics"


def test_every_module_opens_with_what_it_is_for() -> None:
    sources = [
        ROOT / "contracts",
        ROOT / "cli",
        *(ROOT / "libs").iterdir(),
        *(ROOT / "services").iterdir(),
    ]
    silent = [
        str(module.relative_to(ROOT))
        for source in sources
        for module in modules_of(source / "src")
        if ast.get_docstring(ast.parse(module.read_text())) is None
    ]
    assert not silent, f"modules without a docstring: {silent}"


def test_a_state_is_built_from_a_stream_by_fold() -> None:
    """One name for one idea: a domain module with `evolve` has `fold`, and no other name
    (`replay`, `…_from`) builds a state from a stream."""
    wrong = []
    for service in EVENT_SOURCED:
        for module in modules_of(package_of(service) / "domain"):
            functions = {
                node.name
                for node in ast.parse(module.read_text()).body
                if isinstance(node, ast.FunctionDef)
            }
            if "evolve" in functions and "fold" not in functions:
                wrong.append(f"{module.relative_to(ROOT)}: evolve without fold")
            wrong += [
                f"{module.relative_to(ROOT)}: {name}"
                for name in functions
                if name == "replay" or name.endswith("_from")
            ]
    assert not wrong, wrong


TRANSLATING = {"gettext", "ngettext", "pgettext", "npgettext", "_"}


def test_no_words_to_translate_hide_in_an_f_string() -> None:
    """Babel's extraction reads an f-string as one string: a gettext call inside it never
    reaches the catalogues, and the page mixes languages."""
    hidden = []
    for module in modules_of(ROOT / "services"):
        for node in ast.walk(ast.parse(module.read_text())):
            if not isinstance(node, ast.JoinedStr):
                continue
            for call in ast.walk(node):
                if isinstance(call, ast.Call):
                    name = getattr(call.func, "attr", getattr(call.func, "id", ""))
                    if name in TRANSLATING:
                        hidden.append(f"{module.relative_to(ROOT)}:{call.lineno}")
    assert not hidden, f"gettext inside an f-string (not extracted): {hidden}"
