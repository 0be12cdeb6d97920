"""Every command in README.md's fenced shell blocks is real.

``xlam ...`` commands resolve (``--help`` exits 0 with the README's own arguments, so the command
path and options exist); ``make`` targets exist in the Makefile; ``kubectl``/``helm`` paths exist;
``curl`` URLs name routes of the control plane's OpenAPI. ``make demo`` itself (``xlam
quickstart``) is run by ``test_quickstart_e2e.py``.
"""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"


def readme_commands() -> list[str]:
    text = README.read_text()
    commands: list[str] = []
    for block in re.findall(r"```(?:bash|sh|shell)\n(.*?)```", text, flags=re.S):
        for line in block.splitlines():
            line = line.split("  #")[0].strip()
            if line and not line.startswith("#"):
                commands.append(line)
    return commands


COMMANDS = readme_commands()


def test_readme_has_the_two_fresh_machine_commands_and_kubernetes() -> None:
    assert "make demo" in COMMANDS and "make test" in COMMANDS
    assert any(c.startswith("kubectl apply -k ") for c in COMMANDS)
    assert any(c.startswith("helm install ") for c in COMMANDS)
    assert any(c.startswith("xlam quickstart") for c in COMMANDS)
    assert any(c.startswith("curl ") for c in COMMANDS)


def _tokens(command: str) -> list[str]:
    return shlex.split(command.replace('"$TOKEN"', "TOKEN"))


@pytest.mark.parametrize("command", [c for c in COMMANDS if c.startswith("xlam ")])
def test_xlam_command_resolves(command: str) -> None:
    from typer.testing import CliRunner

    from xlam.cli.main import app

    argv = [a for a in _tokens(command)[1:] if a != "--help"]
    result = CliRunner().invoke(app, [*argv, "--help"])
    assert result.exit_code == 0, f"{command!r}: {result.output[-800:]}"
    assert "Usage:" in result.output


@pytest.mark.parametrize("command", [c for c in COMMANDS if c.startswith("make ")])
def test_make_target_exists(command: str) -> None:
    target = command.split()[1]
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(rf"^{re.escape(target)}:", makefile, flags=re.M), f"no Makefile target {target!r}"
    proc = subprocess.run(["make", "-n", target], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("command", [c for c in COMMANDS if c.startswith(("kubectl ", "helm "))])
def test_deploy_paths_exist(command: str) -> None:
    paths = [t for t in _tokens(command) if "/" in t and not t.startswith("-")]
    assert paths, command
    for path in paths:
        assert (ROOT / path).exists(), f"{command!r}: {path} does not exist"
    if command.startswith("kubectl apply -k"):
        assert (ROOT / paths[0] / "kustomization.yaml").is_file()
    if command.startswith("helm install"):
        assert (ROOT / paths[0] / "Chart.yaml").is_file()


def test_curl_urls_are_api_routes() -> None:
    from services.api.app import create_app
    from services.settings import Settings

    routes = create_app(Settings(database_url="sqlite://")).openapi()["paths"]
    patterns = {re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", p) + "$"): p for p in routes}
    curls = [c for c in COMMANDS if c.startswith("curl ")]
    assert curls
    for command in curls:
        tokens = _tokens(command)
        url = next(t for t in tokens if t.startswith("http"))
        method = tokens[tokens.index("-X") + 1].lower() if "-X" in tokens else "get"
        path = urlsplit(url).path
        match = [p for rx, p in patterns.items() if rx.match(path)]
        assert match, f"{command!r}: {path} is not an API route"
        assert method in routes[match[0]], f"{command!r}: {method.upper()} not allowed on {match[0]}"


def test_files_named_in_commands_exist() -> None:
    for command in COMMANDS:
        for token in _tokens(command):
            if re.match(r"^(examples|docs|manifests|charts)/", token):
                assert (ROOT / token).exists(), f"{command!r}: {token} does not exist"


def test_readme_links_exist() -> None:
    for link in re.findall(r"\]\(((?:docs|examples|manifests|charts)/[^)#]+)\)", README.read_text()):
        assert (ROOT / link).exists(), f"README links to missing {link}"


def test_cli_default_size_is_the_plan_default() -> None:
    from typer.testing import CliRunner

    from services.quickstart import DEFAULT_SIZE, SIZES
    from services.quickstart.cli import SIZES as CLI_SIZES
    from xlam.cli.main import app

    assert set(CLI_SIZES) == set(SIZES)
    assert f"[default: {DEFAULT_SIZE}]" in CliRunner().invoke(app, ["quickstart", "--help"]).output
