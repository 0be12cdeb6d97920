"""The core library ``xlam`` (except the CLI composition root) imports no web, queue or
Kubernetes libraries and no upper layer. Two guards: import-linter and a plain AST scan."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FORBIDDEN = {"fastapi", "starlette", "sqlalchemy", "alembic", "celery", "kombu", "redis", "kfp", "kubernetes",
             "kopf", "uvicorn", "platform_contracts", "services", "pipelines", "operators"}


def lint_imports() -> str:
    exe = Path(sys.executable).with_name("lint-imports")
    return str(exe) if exe.exists() else shutil.which("lint-imports") or "lint-imports"


def test_import_linter_contract_is_kept() -> None:
    result = subprocess.run([lint_imports()], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout and "Layers:" in result.stdout


def test_import_linter_catches_a_violation(tmp_path: Path) -> None:
    pkg = tmp_path / "probe_core"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "leaf.py").write_text("def f():\n    import fastapi\n    return fastapi\n")
    config = tmp_path / "contracts.ini"
    config.write_text("[importlinter]\nroot_packages =\n    probe_core\ninclude_external_packages = True\n\n"
                      "[importlinter:contract:c]\nname = probe\ntype = forbidden\nsource_modules =\n    probe_core\n"
                      "forbidden_modules =\n    fastapi\n")
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    result = subprocess.run([lint_imports(), "--config", str(config)], cwd=tmp_path, capture_output=True, text=True,
                            env=env, timeout=120)
    assert result.returncode == 1 and "BROKEN" in result.stdout


def imported_roots(source: str) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) in (
                "import_module", "__import__") and node.args and isinstance(node.args[0], ast.Constant):
            roots.add(str(node.args[0].value).split(".")[0])
    return roots


def test_ast_scan_finds_no_forbidden_import() -> None:
    offenders = {}
    for path in sorted((REPO / "xlam").rglob("*.py")):
        bad = imported_roots(path.read_text()) & FORBIDDEN  # no exemption: the quickstart command lives in services
        if bad:
            offenders[str(path.relative_to(REPO))] = sorted(bad)
    assert offenders == {}


def test_ast_scan_sees_lazy_and_dynamic_imports() -> None:
    source = "def f():\n    import kfp.dsl\n    from sqlalchemy import select\n    importlib.import_module('celery')\n"
    assert imported_roots(source) >= {"kfp", "sqlalchemy", "celery"}
