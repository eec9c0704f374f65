"""The structure stays true: each layer imports only what it may (DESIGN §6).

- `domain/` is pure: no I/O, no framework, no other layer of the service;
- `api/` reaches the database only through `services/`;
- `db/` knows nothing of the web or the use cases;
- `scanner_client/` is a separate program: nothing of the service.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

FORBIDDEN = {
    "inventory_svc/domain": (
        "inventory_svc.db",
        "inventory_svc.services",
        "inventory_svc.api",
        "inventory_svc.integrations",
        "inventory_svc.app",
        "inventory_svc.cli",
        "inventory_svc.config",
        "sqlalchemy",
        "litestar",
        "httpx",
        "asyncpg",
        "aiosqlite",
        "alembic",
        "os",
        "socket",
        "subprocess",
        "pathlib",
    ),
    "inventory_svc/api": ("inventory_svc.db", "sqlalchemy.sql", "asyncpg", "aiosqlite"),
    "inventory_svc/ui": ("inventory_svc.db", "sqlalchemy.sql", "asyncpg", "aiosqlite"),
    "inventory_svc/db": ("inventory_svc.services", "inventory_svc.api", "litestar"),
    "inventory_svc/services": ("inventory_svc.api", "litestar"),
    "scanner_client": ("inventory_svc",),
}


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_a_layer_imports_only_what_it_may(layer: str) -> None:
    files = sorted((ROOT / layer).rglob("*.py"))
    assert files, f"no modules under {layer}"
    breaches = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in files
        for line, module in _imports(path)
        for banned in FORBIDDEN[layer]
        if module == banned or module.startswith(banned + ".")
    ]
    assert breaches == []


def test_the_check_sees_a_breach() -> None:
    """The guard itself can fail: a synthetic module importing the database is caught."""
    source = "from inventory_svc.db import catalog\nimport sqlalchemy.sql\n"
    modules = [
        node.module if isinstance(node, ast.ImportFrom) else node.names[0].name
        for node in ast.parse(source).body
        if isinstance(node, ast.Import | ast.ImportFrom)
    ]
    banned = FORBIDDEN["inventory_svc/api"]
    assert all(any(m == b or m.startswith(b + ".") for b in banned) for m in modules)
