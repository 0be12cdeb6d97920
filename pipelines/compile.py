"""Compile the pipelines to IR YAML and to Kubernetes manifests (Pipeline + PipelineVersion CRs)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from kfp import compiler
from kfp.compiler.compiler_utils import KubernetesManifestOptions

from pipelines.definitions import PIPELINE_NAMES, build_pipeline
from pipelines.settings import PipelineSettings

COMPILED_DIR = Path(__file__).parent / "compiled"
_SDK_VERSION = re.compile(r"kfp-\d+\.\d+\.\d+")


def compile_pipeline(name: str, out_dir: str | Path = COMPILED_DIR, settings: PipelineSettings | None = None,
                     *, namespace: str | None = None) -> tuple[Path, Path]:
    """Write ``<name>.yaml`` (IR) and ``<name>.k8s.yaml`` (for ``kubectl apply``) into ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    func = build_pipeline(name, settings)
    ir_path = out / f"{name}.yaml"
    k8s_path = out / f"{name}.k8s.yaml"
    compiler.Compiler().compile(func, str(ir_path))
    compiler.Compiler().compile(
        build_pipeline(name, settings),
        str(k8s_path),
        kubernetes_manifest_format=True,
        kubernetes_manifest_options=KubernetesManifestOptions(
            pipeline_name=name, pipeline_version_name=f"{name}-v1", namespace=namespace, include_pipeline_manifest=True
        ),
    )
    return ir_path, k8s_path


def compile_all(out_dir: str | Path = COMPILED_DIR, settings: PipelineSettings | None = None) -> list[Path]:
    paths: list[Path] = []
    for name in PIPELINE_NAMES:
        paths.extend(compile_pipeline(name, out_dir, settings))
    return paths


def normalise(text: str) -> list[Any]:
    """Compiled YAML as data, without the SDK version string and the header comment.

    Used for staleness checks: the header comment prints dict defaults in an order that varies
    between processes, and the SDK patch version may differ between machines.
    """
    return list(yaml.safe_load_all(_SDK_VERSION.sub("kfp-X", text)))
