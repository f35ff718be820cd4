"""The seams hold (DESIGN § 2, HOUSE-STYLE "Layout and names"): a room's client side (probe.py,
client.py) and its emulator (mock.py and the helpers only it uses) never import each other, so a
misreading of the vendor's contract cannot hide in both; rich is imported by render.py alone;
and `opwire --help` loads no vendor code and no server code."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import OPWIRE, ROOT, clean_env

SRC = ROOT / "src" / "opwire"
ROOMS = sorted(path.parent.name for path in (SRC / "integrations").glob("*/mock.py"))
CLIENT_SIDE = ("probe", "client")
SERVERS = ("uvicorn", "starlette")


def module_of(path: Path) -> str:
    return ".".join(path.relative_to(SRC.parent).with_suffix("").parts).removesuffix(".__init__")


def imports(path: Path) -> set[str]:
    """Every module the file names in an import, wherever it stands (under TYPE_CHECKING, inside
    a function): `from a import b` counts as `a` and `a.b`, since `b` may be a module."""
    package = module_of(path).rpartition(".")[0] if path.name != "__init__.py" else module_of(path)
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def room_file(slug: str, name: str) -> Path:
    return SRC / "integrations" / slug / f"{name}.py"


def mock_side(slug: str) -> set[str]:
    """The room's emulator: mock.py and the room's own modules it imports (its query engine,
    its envelope parser), but not the declaration (__init__) or the failure table, which both
    sides read."""
    room = f"opwire.integrations.{slug}"
    shared = {room, f"{room}.failures"}
    helpers = {m for m in imports(room_file(slug, "mock")) if m.startswith(f"{room}.")}
    return {f"{room}.mock"} | {m for m in helpers if m not in shared and _is_module(m)}


def client_side(slug: str) -> set[str]:
    return {f"opwire.integrations.{slug}.{name}" for name in CLIENT_SIDE}


def _is_module(name: str) -> bool:
    return (SRC.parent / Path(*name.split("."))).with_suffix(".py").exists()


def _touches(names: set[str], modules: set[str]) -> set[str]:
    return {n for n in names if any(n == m or n.startswith(f"{m}.") for m in modules)}


ALL_MOCK_SIDE = set().union(*(mock_side(slug) for slug in ROOMS))
ALL_CLIENT_SIDE = set().union(*(client_side(slug) for slug in ROOMS))


def test_every_room_has_both_sides() -> None:
    assert ROOMS, "no room found under src/opwire/integrations"
    for slug in ROOMS:
        for name in (*CLIENT_SIDE, "mock"):
            assert room_file(slug, name).exists(), f"{slug} has no {name}.py"


@pytest.mark.parametrize("slug", ROOMS)
@pytest.mark.parametrize("name", CLIENT_SIDE)
def test_the_client_side_never_imports_an_emulator(slug: str, name: str) -> None:
    named = imports(room_file(slug, name))
    assert not _touches(named, ALL_MOCK_SIDE | {"opwire.mock", *SERVERS})


@pytest.mark.parametrize("slug", ROOMS)
def test_an_emulator_never_imports_the_client_side(slug: str) -> None:
    for module in mock_side(slug):
        path = SRC.parent / Path(*module.split("."))
        assert not _touches(imports(path.with_suffix(".py")), ALL_CLIENT_SIDE), module


def _loaded_by(modules: set[str]) -> set[str]:
    """What importing `modules` loads, in a fresh interpreter: the imports that run, through
    every module in between."""
    code = (
        "import importlib, json, sys\n"
        f"for name in {sorted(modules)!r}:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=clean_env(), capture_output=True, text=True, check=True
    )
    return set(json.loads(done.stdout))


def test_loading_the_client_side_loads_no_emulator_and_no_server() -> None:
    loaded = _loaded_by(ALL_CLIENT_SIDE)
    assert loaded >= ALL_CLIENT_SIDE
    assert not _touches(loaded, ALL_MOCK_SIDE | {"opwire.mock", *SERVERS})


def test_loading_the_emulators_loads_no_client_side() -> None:
    loaded = _loaded_by(ALL_MOCK_SIDE)
    assert loaded >= ALL_MOCK_SIDE
    assert not _touches(loaded, ALL_CLIENT_SIDE)


def test_rich_is_imported_by_render_alone() -> None:
    users = sorted(
        str(path.relative_to(ROOT))
        for path in SRC.rglob("*.py")
        if _touches(imports(path), {"rich"})
    )
    assert users == ["src/opwire/render.py"]


IMPORT_TIME = re.compile(r"^import time:\s+\d+ \|\s+\d+ \|\s*(\S+)\s*$")


def test_help_loads_no_vendor_code_and_no_server_code() -> None:
    """The installed command, as an operator runs it, with Python reporting every import."""
    env = {**clean_env(), "PYTHONPROFILEIMPORTTIME": "1"}
    done = subprocess.run(
        [str(OPWIRE), "--help"], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    loaded = {m.group(1) for line in done.stderr.splitlines() if (m := IMPORT_TIME.match(line))}
    assert "opwire.cli" in loaded, "PYTHONPROFILEIMPORTTIME reported no opwire import"
    assert not _touches(loaded, ALL_CLIENT_SIDE | ALL_MOCK_SIDE), "help loaded vendor code"
    assert not _touches(loaded, {"opwire.mock", *SERVERS}), "help loaded server code"
