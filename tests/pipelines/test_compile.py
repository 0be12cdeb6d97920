"""Compiled pipelines: committed YAML is fresh, and the IR has the structure the cluster relies on."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pipelines.compile import COMPILED_DIR, compile_all, normalise
from pipelines.definitions import PIPELINE_NAMES
from pipelines.settings import PipelineSettings, SecretEnv, Toleration


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("compiled")
    compile_all(out)
    return out


@pytest.mark.parametrize("name", PIPELINE_NAMES)
@pytest.mark.parametrize("suffix", [".yaml", ".k8s.yaml"])
def test_committed_yaml_is_not_stale(fresh: Path, name: str, suffix: str) -> None:
    committed = COMPILED_DIR / f"{name}{suffix}"
    assert committed.exists(), f"{committed} missing: run `xlam pipeline compile`"
    assert normalise(committed.read_text()) == normalise((fresh / f"{name}{suffix}").read_text()), (
        f"{committed} is stale: run `xlam pipeline compile`"
    )


def _ir(path: Path) -> tuple[dict, dict]:
    docs = list(yaml.safe_load_all(path.read_text()))
    platform = docs[1] if len(docs) > 1 else {}
    return docs[0], platform


def _all_tasks(dag: dict, components: dict) -> dict[str, dict]:
    """Tasks of the root DAG and of every nested (ParallelFor) DAG."""
    out: dict[str, dict] = {}
    for name, task in dag.get("tasks", {}).items():
        out[name] = task
        comp = components.get(task["componentRef"]["name"], {})
        if "dag" in comp:
            out.update(_all_tasks(comp["dag"], components))
    return out


def test_data_pipeline_structure(fresh: Path) -> None:
    ir, _ = _ir(fresh / "xlam-data.yaml")
    components = ir["components"]
    tasks = _all_tasks(ir["root"]["dag"], components)
    names = {t["taskInfo"]["name"] for t in tasks.values()}
    assert {"unify", "shard", "augment", "verify", "dedup", "mix", "report"} <= names
    loops = [t for t in tasks.values() if "iteratorPolicy" in t]
    assert len(loops) == 2, "ParallelFor over sources and over shards"
    assert all(t["iteratorPolicy"]["parallelismLimit"] == PipelineSettings().parallelism for t in loops)
    leaf = [t for t in tasks.values() if t["taskInfo"]["name"] in {"augment", "verify", "dedup"}]
    assert all(t["retryPolicy"]["maxRetryCount"] == 2 and t["retryPolicy"]["backoffDuration"] for t in leaf)
    assert all(t["cachingOptions"].get("enableCache") for t in leaf)
    executors = ir["deploymentSpec"]["executors"]
    for ex in executors.values():
        container = ex["container"]
        assert container["image"] == PipelineSettings().image
        assert "pip install" not in " ".join(container["command"]), "nothing may be installed at run time"
        assert container["resources"]["cpuLimit"] and container["resources"]["memoryLimit"]


def test_kubernetes_settings_compile_into_platform_spec(tmp_path: Path) -> None:
    settings = PipelineSettings(
        image="registry.example/xlam:1.2.3",
        data_pvc="xlam-data",
        secrets=[SecretEnv(secret_name="llm-keys", key_to_env={"openai": "OPENAI_API_KEY"})],
        node_selector={"pool": "cpu"},
        tolerations=[Toleration(key="dedicated", value="xlam")],
        enable_caching=False,
    )
    compile_all(tmp_path, settings)
    ir, platform = _ir(tmp_path / "xlam-synthesis.yaml")
    assert all(e["container"]["image"] == "registry.example/xlam:1.2.3" for e in ir["deploymentSpec"]["executors"].values())
    executors = platform["platforms"]["kubernetes"]["deploymentSpec"]["executors"]
    for spec in executors.values():
        assert spec["pvcMount"][0]["mountPath"] == "/data"
        assert spec["secretAsEnv"][0]["keyToEnv"][0]["envVar"] == "OPENAI_API_KEY"
        assert spec["nodeSelector"]["labels"] == {"pool": "cpu"}
        assert spec["tolerations"][0]["key"] == "dedicated"
    tasks = _all_tasks(ir["root"]["dag"], ir["components"])
    assert not any(t.get("cachingOptions", {}).get("enableCache") for t in tasks.values())


def test_kubernetes_manifest_format(fresh: Path) -> None:
    docs = list(yaml.safe_load_all((fresh / "xlam-end-to-end.k8s.yaml").read_text()))
    kinds = [d["kind"] for d in docs]
    assert kinds == ["Pipeline", "PipelineVersion"]
    assert all(d["apiVersion"] == "pipelines.kubeflow.org/v2beta1" for d in docs)
    spec = docs[1]["spec"]["pipelineSpec"]
    names = {t["taskInfo"]["name"] for t in _all_tasks(spec["root"]["dag"], spec["components"]).values()}
    assert {"train (SFT + DPO)", "evaluate (BFCL)", "register model", "preference pairs"} <= names
