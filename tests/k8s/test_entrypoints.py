"""Every command the manifests, the chart, the generated RayJobs/Jobs and the compiled pipelines
name exists in the installed package and starts (``--help``), with the options they pass.
(No container engine runs here, so the image itself cannot be built in tests; the Dockerfile is
checked statically.)"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

from operators import reconcile
from operators.settings import IMAGE_REPOSITORY, OperatorSettings
from platform_contracts.k8s.crd_schemas import ROOT
from tests.k8s.examples import example, explicit
from tests.k8s.render import OVERLAYS, helm_template, kustomize

BIN = Path(sys.executable).parent


def manifest_commands(kubectl: Path, helm: Path) -> set[tuple[str, ...]]:
    out: set[tuple[str, ...]] = set()
    for ov in OVERLAYS:
        for objs in (kustomize(kubectl, ov), helm_template(helm, ov)):
            for obj in objs:
                if obj["kind"] not in ("Deployment", "StatefulSet", "Job"):
                    continue
                pod = obj["spec"]["template"]["spec"]
                for c in [*pod.get("initContainers", []), *pod["containers"]]:
                    if c["image"].startswith(IMAGE_REPOSITORY):
                        out.add(tuple(c["command"] + c.get("args", [])))
                        for probe in ("livenessProbe", "readinessProbe"):
                            cmd = (c.get(probe) or {}).get("exec", {}).get("command")
                            if cmd:  # sh -c '<command line>'
                                out.add(tuple(shlex.split(cmd[-1].replace('"celery@$HOSTNAME"', "x"))))
    return out


def generated_commands() -> set[tuple[str, ...]]:
    settings = OperatorSettings()
    _, rj = reconcile.training_desired(explicit(example("trainingrun-xlam-8x7b.yaml")), settings).children
    (job,) = reconcile.evaluation_desired(example("evaluationrun.yaml"), settings).children
    c = job["spec"]["template"]["spec"]["containers"][0]
    return {
        tuple(shlex.split(rj["spec"]["entrypoint"])),
        ("ray", "start", "--head"),            # what KubeRay runs in head/worker containers
        ("ray", "job", "submit"),              # the K8sJobMode submitter
        tuple(c["command"] + c["args"]),
    }


def pipeline_commands() -> set[tuple[str, ...]]:
    out: set[tuple[str, ...]] = set()
    for path in (ROOT / "pipelines" / "compiled").glob("*.yaml"):
        text = path.read_text()
        for m in re.finditer(r"python3 -m ([\w.]+)", text):
            out.add(("python3", "-m", m.group(1)))
    return out


def help_argv(argv: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """(command to run with --help, long options the caller passes)."""
    exe, rest = argv[0], list(argv[1:])
    if exe == "python3":
        return [sys.executable, *rest[:2], "--help"], [a.split("=")[0] for a in rest[2:] if a.startswith("--")]
    sub: list[str] = []
    for tok in rest:
        if tok.startswith("-"):
            break
        sub.append(tok)
    if exe == "celery":  # celery -A services.worker.app inspect ping ...
        sub = rest[:4]
    opts = [a.split("=")[0] for a in rest if a.startswith("--")]
    return [str(BIN / exe), *sub, "--help"], opts


def test_all_entrypoints_start(kubectl: Path, helm: Path) -> None:
    commands = manifest_commands(kubectl, helm) | generated_commands() | pipeline_commands()
    names = {c[:3] for c in commands}
    assert ("xlam", "server", "--host") in names or any(c[:2] == ("xlam", "server") for c in commands)
    for expected in (("xlam", "worker"), ("xlam", "operator"), ("xlam", "train"), ("xlam", "eval"),
                     ("python3", "-m")):
        assert any(c[:2] == expected for c in commands), expected

    env = {**os.environ, "COLUMNS": "250", "TERM": "dumb", "NO_COLOR": "1", "XLAM_HOME": "/tmp/xlam-k8s-help"}

    def run(argv: tuple[str, ...]) -> str | None:
        cmd, opts = help_argv(argv)
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env, cwd="/tmp")
        if r.returncode != 0:
            return f"{' '.join(argv)}: `{' '.join(cmd[1:])}` exited {r.returncode}: {(r.stderr or r.stdout)[-400:]}"
        missing = [o for o in opts if o not in r.stdout and o not in r.stderr]
        if missing:
            return f"{' '.join(argv)}: options {missing} not in `{' '.join(cmd[1:])}` help"
        return None

    with ThreadPoolExecutor(max_workers=4) as pool:
        problems = [p for p in pool.map(run, sorted(commands)) if p]
    assert not problems, "\n".join(problems)


def test_dockerfile_is_multistage_non_root_and_pinned() -> None:
    text = (ROOT / "Dockerfile").read_text()
    stages = re.findall(r"(?m)^FROM\s+(\S+)(?:\s+AS\s+(\w+))?", text)
    assert len(stages) == 2 and stages[0][1] == "builder"
    final = text[text.rindex("\nFROM "):]
    assert re.search(r"(?m)^USER 10001:10001$", final)
    assert "COPY --from=builder /opt/xlam /opt/xlam" in final
    # every pip install of the project is constrained; torch pinned by version
    for line in re.findall(r"pip install[^\n\\]*", text):
        assert "-c image/constraints.txt" in line or "torch==${TORCH_VERSION}" in line, line
    assert "ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu" in text
    # no downloads besides the package managers (apt, pip)
    for run_block in re.findall(r"(?ms)^RUN (.*?)(?<!\\)\n", text):
        assert not re.search(r"\b(curl|wget)\s+\S*https?://", run_block), run_block
    constraints = (ROOT / "image" / "constraints.txt").read_text()
    pins = [line for line in constraints.splitlines() if line and not line.startswith("#")]
    assert pins and all(re.fullmatch(r"[A-Za-z0-9_.\-\[\],]+==[\w.+!\-]+", p) for p in pins), pins[:5]
    for pkg in ("ray", "deepspeed", "kfp", "kopf", "fastapi", "celery"):
        assert any(p.lower().startswith(f"{pkg}==") for p in pins), pkg
    ignore = (ROOT / ".dockerignore").read_text()
    for path in ("!xlam/**", "!services/**", "!pipelines/**", "!operators/**", "!image/constraints.txt"):
        assert path in ignore


def test_run_pod_user_matches_the_image_user() -> None:
    _, rj = reconcile.training_desired(explicit(example("trainingrun-xlam-8x7b.yaml")), OperatorSettings()).children
    head = rj["spec"]["rayClusterSpec"]["headGroupSpec"]["template"]["spec"]
    assert head["securityContext"]["runAsUser"] == 10001
    for path in (ROOT / "manifests" / "base").glob("*.yaml"):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc and doc.get("kind") in ("Deployment",) and "xlam-platform" in str(doc):
                assert doc["spec"]["template"]["spec"]["securityContext"]["runAsUser"] == 10001


@pytest.mark.parametrize("module", ["pipelines.steps", "services.worker.app", "operators.handlers"])
def test_modules_named_by_entrypoints_import(module: str) -> None:
    r = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True, text=True, timeout=120,
                       cwd="/tmp", env={**os.environ, "XLAM_HOME": "/tmp/xlam-k8s-help"})
    assert r.returncode == 0, r.stderr[-600:]
