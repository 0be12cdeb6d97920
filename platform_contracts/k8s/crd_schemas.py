"""The xlam.ai/v1alpha1 CustomResourceDefinitions, defined once in Python.

``python -m platform_contracts.k8s.crd_schemas --write`` renders them to ``operators/crds/``,
``manifests/base/crds/`` and ``charts/xlam/crds/``; a test checks the committed copies are in sync.
``spec.config`` of TrainingRun and EvaluationRun is the core's ``TrainConfig`` / ``EvalConfig``, its
schema generated from the pydantic model; recipe names and GPU types come from the core's registries.
The status ``phase`` vocabulary is the control plane's run state machine
(:mod:`platform_contracts.runstate`).
"""

from __future__ import annotations

import argparse
import copy
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from platform_contracts.k8s.structural import structural
from platform_contracts.runstate import PHASES
from xlam.evaluation.config import EvalConfig
from xlam.training.config import TrainConfig
from xlam.training.planner import GPUS as PLANNER_GPUS
from xlam.training.recipes import RECIPES as TRAINING_RECIPES

GROUP = "xlam.ai"
VERSION = "v1alpha1"
API_VERSION = f"{GROUP}/{VERSION}"
# From the core's registries (never restated by hand): the CRD enums follow every recipe and GPU type.
RECIPES = list(TRAINING_RECIPES)
GPU_TYPES = list(PLANNER_GPUS)

Schema = dict[str, Any]
QUANTITY: Schema = {"anyOf": [{"type": "integer"}, {"type": "string"}], "x-kubernetes-int-or-string": True}
DNS_LABEL: Schema = {"type": "string", "minLength": 1, "maxLength": 63, "pattern": "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"}
FREEFORM: Schema = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}


def config_schema(model: type[BaseModel], description: str) -> Schema:
    """``spec.config``: the core config model's own schema in structural form (:mod:`.structural`).
    No field is required: the operator fills in what the run resolves (name, method, recipe, Ray
    layout, output places) and pydantic applies the defaults when the run starts."""
    schema = structural(model.model_json_schema())
    schema.pop("required", None)
    schema["description"] = description
    return schema


TRAIN_CONFIG = config_schema(TrainConfig, "xlam.training.TrainConfig (schema generated from the model; recipe, "
                             "method, Ray layout and output places are filled in by the operator).")
TRAIN_CONFIG["properties"]["model"]["properties"]["recipe"]["enum"] = RECIPES
EVAL_CONFIG = config_schema(EvalConfig, "xlam.evaluation.EvalConfig (schema generated from the model).")


def _obj(properties: dict[str, Schema], required: list[str] | None = None, /, **extra: Any) -> Schema:
    schema: Schema = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    schema.update(extra)
    return schema


STORAGE = _obj(
    {
        "pvc": _obj(
            {"claimName": DNS_LABEL, "mountPath": {"type": "string", "pattern": "^/", "default": "/data"},
             "subPath": {"type": "string"}},
            ["claimName"],
            description="A ReadWriteMany PersistentVolumeClaim shared by all pods of the run.",
        ),
        "uri": {"type": "string", "pattern": "^(s3|gs|gcs|az|abfs|hdfs|file)://.+",
                "description": "Object-store URI (fsspec) for datasets, checkpoints and outputs."},
        "credentialsSecret": _obj(
            {"name": DNS_LABEL},
            ["name"],
            description="Secret whose keys become environment variables (e.g. AWS_ACCESS_KEY_ID).",
        ),
    },
    description="Where the run reads inputs and writes outputs: a PVC or an object-store URI.",
    **{"x-kubernetes-validations": [
        {"rule": "has(self.pvc) != has(self.uri)", "message": "set exactly one of storage.pvc or storage.uri"},
        {"rule": "!has(self.credentialsSecret) || has(self.uri)",
         "message": "storage.credentialsSecret needs storage.uri"},
    ]},
)

TOLERATION = _obj(
    {
        "key": {"type": "string"},
        "operator": {"type": "string", "enum": ["Exists", "Equal"]},
        "value": {"type": "string"},
        "effect": {"type": "string", "enum": ["NoSchedule", "PreferNoSchedule", "NoExecute"]},
        "tolerationSeconds": {"type": "integer", "minimum": 0},
    }
)

SCHEDULING = _obj(
    {
        "queueName": {**DNS_LABEL, "description": "Kueue LocalQueue (label kueue.x-k8s.io/queue-name)."},
        "priorityClassName": DNS_LABEL,
        "nodeSelector": {"type": "object", "additionalProperties": {"type": "string"}},
        "tolerations": {"type": "array", "items": TOLERATION, "maxItems": 32},
    }
)

LIFECYCLE: dict[str, Schema] = {
    "activeDeadlineSeconds": {"type": "integer", "minimum": 60, "description": "Wall-clock limit of the run."},
    "ttlSecondsAfterFinished": {"type": "integer", "minimum": 0, "default": 3600,
                                "description": "Delay before finished children are cleaned up."},
    "cancel": {"type": "boolean", "default": False, "description": "Set true to cancel the run."},
    "image": {"type": "string", "minLength": 1, "description": "Override of the platform image."},
    "controlPlaneRunId": {"type": "string", "maxLength": 128,
                          "description": "Set by the control plane when it created this resource."},
}

CONDITION = _obj(
    {
        "type": {"type": "string"},
        "status": {"type": "string", "enum": ["True", "False", "Unknown"]},
        "reason": {"type": "string"},
        "message": {"type": "string"},
        "lastTransitionTime": {"type": "string", "format": "date-time"},
        "observedGeneration": {"type": "integer"},
    },
    ["type", "status"],
)

STATUS = _obj(
    {
        "phase": {"type": "string", "enum": list(PHASES)},
        "reason": {"type": "string"},
        "message": {"type": "string"},
        "observedGeneration": {"type": "integer"},
        "conditions": {"type": "array", "items": CONDITION,
                       "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["type"]},
        "controlPlane": _obj({"runId": {"type": "string"}, "url": {"type": "string"}}),
        "rayJob": _obj({"name": {"type": "string"}, "jobStatus": {"type": "string"},
                        "jobDeploymentStatus": {"type": "string"}, "reason": {"type": "string"},
                        "rayClusterName": {"type": "string"}, "dashboardURL": {"type": "string"}}),
        "kfpRun": _obj({"id": {"type": "string"}, "state": {"type": "string"}, "url": {"type": "string"}}),
        "job": _obj({"name": {"type": "string"}, "active": {"type": "integer"},
                     "succeeded": {"type": "integer"}, "failed": {"type": "integer"}}),
        "configMap": {"type": "string"},
        "sizing": _obj({"source": {"type": "string", "enum": ["Planner", "Explicit"]},
                        "nodes": {"type": "integer"}, "gpusPerNode": {"type": "integer"},
                        "zeroStage": {"type": "integer"}, "note": {"type": "string"}}),
        "metrics": {"type": "object", "additionalProperties": {"type": "number"},
                    "description": "Metric summary (e.g. final loss, BFCL overall accuracy)."},
        "outputUri": {"type": "string"},
        "startTime": {"type": "string", "format": "date-time"},
        "completionTime": {"type": "string", "format": "date-time"},
        "kopf": FREEFORM,
    }
)

TRAINING_SPEC = _obj(
    {
        "recipe": {"type": "string", "enum": RECIPES},
        "method": {"type": "string", "enum": ["sft", "dpo"], "default": "sft"},
        "config": TRAIN_CONFIG,
        "deepspeed": {**FREEFORM, "description": "DeepSpeed config overrides (merged into the generated one)."},
        "resources": _obj(
            {
                "sizing": {"type": "string", "enum": ["Planner", "Explicit"], "default": "Planner"},
                "gpuType": {"type": "string", "enum": GPU_TYPES, "default": "h100-80gb"},
                "nodes": {"type": "integer", "minimum": 1, "maximum": 512},
                "gpusPerNode": {"type": "integer", "minimum": 0, "maximum": 16},
                "zeroStage": {"type": "integer", "minimum": 0, "maximum": 3},
                "cpuPerNode": QUANTITY,
                "memoryPerNode": QUANTITY,
                "seqLength": {"type": "integer", "minimum": 128, "default": 4096},
                "finetune": {"type": "string", "enum": ["full", "lora"], "default": "full"},
            },
            **{"x-kubernetes-validations": [
                {"rule": "self.sizing != 'Explicit' || (has(self.nodes) && has(self.gpusPerNode))",
                 "message": "sizing Explicit needs resources.nodes and resources.gpusPerNode"},
            ]},
        ),
        "rayVersion": {"type": "string", "default": "2.60.0"},
        "backoffLimit": {"type": "integer", "minimum": 0, "maximum": 10, "default": 0},
        "storage": STORAGE,
        "scheduling": SCHEDULING,
        **LIFECYCLE,
    },
    ["recipe", "storage"],
)

SYNTHESIS_SPEC = _obj(
    {
        "type": {"type": "string", "enum": ["DataPipeline", "Synthesis"], "default": "DataPipeline"},
        "pipeline": _obj(
            {"name": {"type": "string", "minLength": 1}, "pipelineId": {"type": "string"},
             "versionId": {"type": "string"}},
            ["name"],
            description="Pipeline uploaded to Kubeflow Pipelines (by name, or by id and version id).",
        ),
        "parameters": {**FREEFORM, "description": "Pipeline run parameters."},
        "experiment": {"type": "string", "default": "xlam"},
        "pipelineRoot": {"type": "string"},
        "serviceAccount": DNS_LABEL,
        "storage": STORAGE,
        **{k: v for k, v in LIFECYCLE.items() if k != "ttlSecondsAfterFinished"},
    },
    ["pipeline"],
)

EVALUATION_SPEC = _obj(
    {
        "model": {"type": "string", "minLength": 1, "description": "Model path/URI or recipe name."},
        "categories": {"type": "array", "items": {"type": "string", "minLength": 1}, "maxItems": 64},
        "limit": {"type": "integer", "minimum": 1},
        "promptMode": {"type": "string", "enum": ["native", "prompt"], "default": "native"},
        "config": EVAL_CONFIG,
        "resources": _obj({"cpu": QUANTITY, "memory": QUANTITY,
                           "gpus": {"type": "integer", "minimum": 0, "maximum": 16, "default": 0}}),
        "backoffLimit": {"type": "integer", "minimum": 0, "maximum": 10, "default": 1},
        "storage": STORAGE,
        "scheduling": SCHEDULING,
        **LIFECYCLE,
    },
    ["model", "storage"],
)

PHASE_COLUMNS: list[Schema] = [
    {"name": "Phase", "type": "string", "jsonPath": ".status.phase"},
    {"name": "Run", "type": "string", "jsonPath": ".status.controlPlane.runId", "priority": 1},
    {"name": "Reason", "type": "string", "jsonPath": ".status.reason", "priority": 1},
    {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
]

KINDS: dict[str, dict[str, Any]] = {
    "TrainingRun": {
        "plural": "trainingruns", "short": ["tr", "trun"], "spec": TRAINING_SPEC,
        "columns": [
            {"name": "Recipe", "type": "string", "jsonPath": ".spec.recipe"},
            {"name": "Nodes", "type": "integer", "jsonPath": ".status.sizing.nodes"},
            {"name": "GPUs/Node", "type": "integer", "jsonPath": ".status.sizing.gpusPerNode"},
            {"name": "RayJob", "type": "string", "jsonPath": ".status.rayJob.name", "priority": 1},
        ],
    },
    "SynthesisRun": {
        "plural": "synthesisruns", "short": ["sr", "srun"], "spec": SYNTHESIS_SPEC,
        "columns": [
            {"name": "Type", "type": "string", "jsonPath": ".spec.type"},
            {"name": "Pipeline", "type": "string", "jsonPath": ".spec.pipeline.name"},
            {"name": "KFP-Run", "type": "string", "jsonPath": ".status.kfpRun.id", "priority": 1},
        ],
    },
    "EvaluationRun": {
        "plural": "evaluationruns", "short": ["er", "erun"], "spec": EVALUATION_SPEC,
        "columns": [
            {"name": "Model", "type": "string", "jsonPath": ".spec.model"},
            {"name": "Accuracy", "type": "number", "jsonPath": ".status.metrics.overall_accuracy"},
        ],
    },
}


def crd(kind: str) -> dict[str, Any]:
    """The CustomResourceDefinition object of one kind."""
    info = KINDS[kind]
    schema = _obj({"apiVersion": {"type": "string"}, "kind": {"type": "string"}, "metadata": {"type": "object"},
                   "spec": copy.deepcopy(info["spec"]), "status": copy.deepcopy(STATUS)}, ["spec"])
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{info['plural']}.{GROUP}", "labels": {"app.kubernetes.io/part-of": "xlam"}},
        "spec": {
            "group": GROUP,
            "names": {"kind": kind, "listKind": f"{kind}List", "plural": info["plural"],
                      "singular": kind.lower(), "shortNames": info["short"], "categories": ["xlam", "all"]},
            "scope": "Namespaced",
            "versions": [{
                "name": VERSION, "served": True, "storage": True,
                "schema": {"openAPIV3Schema": schema},
                "subresources": {"status": {}},
                "additionalPrinterColumns": [PHASE_COLUMNS[0], *info["columns"], *PHASE_COLUMNS[1:]],
            }],
        },
    }


def all_crds() -> list[dict[str, Any]]:
    return [crd(kind) for kind in KINDS]


def plural(kind: str) -> str:
    return str(KINDS[kind]["plural"])


def openapi_schema(kind: str) -> Schema:
    """The openAPIV3Schema of a kind (for validating instances with jsonschema)."""
    return crd(kind)["spec"]["versions"][0]["schema"]["openAPIV3Schema"]  # type: ignore[no-any-return]


ROOT = Path(__file__).resolve().parents[2]
TARGET_DIRS = ("operators/crds", "manifests/base/crds", "charts/xlam/crds")


def rendered_files() -> dict[str, str]:
    """Relative path -> YAML text for every CRD copy."""
    header = ("# Generated by `python -m platform_contracts.k8s.crd_schemas --write`; "
              "edit platform_contracts/k8s/crd_schemas.py.\n")
    out: dict[str, str] = {}
    for obj in all_crds():
        text = header + yaml.safe_dump(obj, sort_keys=False, width=120)
        for d in TARGET_DIRS:
            out[f"{d}/{obj['metadata']['name']}.yaml"] = text
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", action="store_true", help="write the YAML copies")
    args = parser.parse_args()
    for rel, text in rendered_files().items():
        if args.write:
            path = ROOT / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        print(rel)


if __name__ == "__main__":
    main()
