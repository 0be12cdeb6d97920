"""A control-plane run as an xlam.ai custom resource, served by the operator.

:class:`KubeRuns` ``submit`` creates a ``TrainingRun`` / ``SynthesisRun`` / ``EvaluationRun`` named
after the run (``RunRequest.name``; an existing resource of the same run is adopted, so submit is
idempotent), ``status`` maps the resource's ``.status.phase`` (the same state machine) to
:class:`~platform_contracts.runstate.BackendStatus`, ``cancel`` sets ``spec.cancel`` (the operator
stops the RayJob / Job / KFP run), and ``logs`` reads the run pods' logs (the RayJob submitter tails
the Ray job's driver log; the evaluation Job's pod). The control plane's ``kubernetes`` backend
(``services.backends.kubernetes``) and the pipeline's ``rayjob`` training launcher
(``pipelines.rayjob_launcher``) both run on it.

Settings (environment): ``XLAM_K8S_NAMESPACE`` (default ``xlam``), ``XLAM_K8S_STORAGE_URI`` or
``XLAM_K8S_PVC`` (+ ``XLAM_K8S_PVC_MOUNT``), ``XLAM_K8S_CREDENTIALS_SECRET``, ``XLAM_K8S_QUEUE``,
``XLAM_K8S_GPU_TYPE``, ``XLAM_K8S_GPUS_PER_NODE``, ``XLAM_K8S_NODES`` (explicit sizing), ``XLAM_K8S_EVAL_GPUS``.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import BaseModel

from platform_contracts.k8s.crd_schemas import API_VERSION, openapi_schema
from platform_contracts.k8s.kube import KubeApi, KubeError
from platform_contracts.k8s.labels import (
    ATTEMPT_ANNOTATION,
    COMPONENT_LABEL,
    MODEL_NAME_ANNOTATION,
    OUTPUT_NAME_ANNOTATION,
    PART_OF,
    PART_OF_LABEL,
    PROJECT_ANNOTATION,
    RUN_ID_LABEL,
    RUN_LABEL,
)
from platform_contracts.k8s.validation import validate
from platform_contracts.outputs import DatasetOutput, EvaluationOutput, ModelOutput, RunOutputs
from platform_contracts.runstate import BACKEND_PHASE_OF, BackendStatus

if TYPE_CHECKING:
    from platform_contracts.runspecs import AnySpec

KIND_OF_RUN = {"training": "TrainingRun", "evaluation": "EvaluationRun", "synthesis": "SynthesisRun",
               "data-pipeline": "SynthesisRun"}


class RunRequest(Protocol):
    """What a custom resource is made of: one attempt of one run (``services.backends.RunContext``
    and the launcher's request both have these)."""

    @property
    def run_id(self) -> str: ...
    @property
    def project_id(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def spec(self) -> AnySpec: ...
    @property
    def attempt(self) -> int: ...
    @property
    def name(self) -> str: ...


def resource_name(ctx: RunRequest) -> str:
    name = re.sub(r"[^a-z0-9-]+", "-", ctx.name.lower()).strip("-")
    return name[:63].rstrip("-")


@dataclass
class K8sRunSettings:
    namespace: str = "xlam"
    storage_uri: str | None = None
    pvc: str | None = None
    pvc_mount: str = "/data"
    credentials_secret: str | None = None
    queue: str | None = None
    gpu_type: str = "h100-80gb"
    gpus_per_node: int = 8
    nodes: int | None = None  # set: explicit sizing; unset: the operator asks the training planner
    eval_gpus: int = 1
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_env(cls) -> K8sRunSettings:
        e = os.environ
        return cls(namespace=e.get("XLAM_K8S_NAMESPACE", "xlam"), storage_uri=e.get("XLAM_K8S_STORAGE_URI") or None,
                   pvc=e.get("XLAM_K8S_PVC") or None, pvc_mount=e.get("XLAM_K8S_PVC_MOUNT", "/data"),
                   credentials_secret=e.get("XLAM_K8S_CREDENTIALS_SECRET") or None,
                   queue=e.get("XLAM_K8S_QUEUE") or None, gpu_type=e.get("XLAM_K8S_GPU_TYPE", "h100-80gb"),
                   gpus_per_node=int(e.get("XLAM_K8S_GPUS_PER_NODE", "8")),
                   nodes=int(e["XLAM_K8S_NODES"]) if e.get("XLAM_K8S_NODES") else None,
                   eval_gpus=int(e.get("XLAM_K8S_EVAL_GPUS", "1")))

    def storage(self) -> dict[str, Any]:
        if self.pvc:
            return {"pvc": {"claimName": self.pvc, "mountPath": self.pvc_mount}}
        if not self.storage_uri:
            raise ValueError("the kubernetes backend needs XLAM_K8S_STORAGE_URI or XLAM_K8S_PVC")
        out: dict[str, Any] = {"uri": self.storage_uri}
        if self.credentials_secret:
            out["credentialsSecret"] = {"name": self.credentials_secret}
        return out

    def scheduling(self) -> dict[str, Any]:
        return {"queueName": self.queue} if self.queue else {}


def build_resource(ctx: RunRequest, s: K8sRunSettings) -> dict[str, Any]:
    """The custom resource for one claim of one attempt of a control-plane run."""
    kind = KIND_OF_RUN.get(ctx.kind)
    if kind is None:
        raise ValueError(f"run kind {ctx.kind!r} has no Kubernetes resource")
    run = ctx.spec  # the kind's envelope of core config models
    annotations: dict[str, str] = {PROJECT_ANNOTATION: ctx.project_id, ATTEMPT_ANNOTATION: str(ctx.attempt)}
    spec: dict[str, Any] = {"controlPlaneRunId": ctx.run_id, "storage": s.storage()}

    def doc(config: BaseModel) -> dict[str, Any]:
        # The fields the run set (a stored run: all of them): the operator fills in what is left
        # (planner recommendations, name, output places) only where the config is silent.
        return config.model_dump(mode="json", exclude_unset=True)

    if run.kind == "training":
        spec.update(recipe=run.config.model.recipe, method=run.config.method, config=doc(run.config),
                    resources={"sizing": "Planner", "gpuType": s.gpu_type, "gpusPerNode": s.gpus_per_node})
        if s.nodes is not None:
            spec["resources"].update(sizing="Explicit", nodes=s.nodes)
        annotations[MODEL_NAME_ANNOTATION] = run.model_name
    elif run.kind == "evaluation":
        config = doc(run.config)
        spec.update(model=str(run.config.model or ""), config=config, resources={"gpus": s.eval_gpus})
        for key in ("categories", "limit"):
            if config.get(key) is not None:
                spec[key] = config[key]
    elif run.kind == "synthesis":
        spec.update(type="Synthesis", pipeline={"name": "xlam-synthesis"},
                    parameters={"tools": run.tools_uri or "default", "synthesis_config": doc(run.config)})
        annotations[OUTPUT_NAME_ANNOTATION] = run.output_name
    else:  # data-pipeline
        params: dict[str, Any] = {"sources": [{"source": run.source, "inputs": list(run.inputs)}],
                                  "unify_config": doc(run.unify)}
        if run.verify is not None:
            params["verify_config"] = doc(run.verify)
        if run.dedup is not None:
            params["dedup_config"] = doc(run.dedup)
        spec.update(type="DataPipeline", pipeline={"name": "xlam-data"}, parameters=params)
        annotations[OUTPUT_NAME_ANNOTATION] = run.output_name
    if kind != "SynthesisRun" and s.scheduling():
        spec["scheduling"] = s.scheduling()
    return {"apiVersion": API_VERSION, "kind": kind,
            "metadata": {"name": resource_name(ctx), "namespace": s.namespace, "annotations": annotations,
                         "labels": {PART_OF_LABEL: PART_OF, RUN_ID_LABEL: ctx.run_id[:63]}},
            "spec": spec}


def parse_ref(ref: str) -> tuple[str, str, str]:
    _, rest = ref.split(":", 1)
    namespace, kind, name = rest.split("/")
    return namespace, kind, name


def outputs_of(cr: dict[str, Any]) -> RunOutputs:
    status = cr.get("status") or {}
    ann = (cr.get("metadata") or {}).get("annotations") or {}
    metrics = dict(status.get("metrics") or {})
    if cr["kind"] == "TrainingRun":
        return RunOutputs(models=[ModelOutput(name=ann.get(MODEL_NAME_ANNOTATION, ""),
                                              artifact_uri=status.get("outputUri", ""), metrics=metrics)])
    if cr["kind"] == "EvaluationRun":
        return RunOutputs(evaluation=EvaluationOutput(metrics=metrics))
    out = status.get("outputUri") or ((status.get("kfpRun") or {}).get("url", ""))
    return RunOutputs(datasets=[DatasetOutput(name=ann.get(OUTPUT_NAME_ANNOTATION, ""), uri=out)])


class KubeRuns:
    """Runs as custom resources: submit, status, cancel, logs, metrics (the backend interface)."""

    def __init__(self, api: KubeApi | None = None, settings: K8sRunSettings | None = None) -> None:
        self._api = api
        self.settings = settings or K8sRunSettings.from_env()
        self._log_marks: dict[tuple[str, str], str] = {}  # (ref, pod) -> last timestamp seen
        self._metrics_seen: dict[tuple[str, str], float] = {}

    @property
    def api(self) -> KubeApi:
        if self._api is None:
            self._api = KubeApi.from_environment()
        return self._api

    def submit(self, ctx: RunRequest) -> str:
        obj = build_resource(ctx, self.settings)
        errors = validate(openapi_schema(obj["kind"]), obj)
        if errors:
            raise ValueError(f"invalid {obj['kind']}: " + "; ".join(errors))
        ns, name = obj["metadata"]["namespace"], obj["metadata"]["name"]
        adopted = self._adoptable(obj["kind"], ns, ctx)
        if adopted is not None:
            return f"k8s:{ns}/{obj['kind']}/{adopted}"
        try:
            self.api.create(obj)
        except KubeError as exc:
            if exc.status != 409:
                raise
            existing = self.api.get(obj["kind"], ns, name)
            if existing is None or (existing.get("spec") or {}).get("controlPlaneRunId") != ctx.run_id:
                raise ValueError(f"{obj['kind']} {ns}/{name} exists and belongs to another run") from exc
        return f"k8s:{ns}/{obj['kind']}/{name}"

    def _adoptable(self, kind: str, namespace: str, ctx: RunRequest) -> str | None:
        """A resource created with kubectl and registered by the operator carries our run id as the
        ``xlam.ai/run-id`` label: adopt it (first attempt only; retries get their own resource)."""
        for cr in self.api.list(kind, namespace, f"{RUN_ID_LABEL}={ctx.run_id}"):
            attempt = (cr["metadata"].get("annotations") or {}).get(ATTEMPT_ANNOTATION)
            if attempt == str(ctx.attempt) or (attempt is None and ctx.attempt == 1):
                return str(cr["metadata"]["name"])
        return None

    def status(self, ref: str) -> BackendStatus:
        ns, kind, name = parse_ref(ref)
        cr = self.api.get(kind, ns, name)
        if cr is None:
            return BackendStatus("lost", f"{kind} {ns}/{name} no longer exists")
        status = cr.get("status") or {}
        phase = BACKEND_PHASE_OF.get(status.get("phase") or "Queued", "pending")
        message = " ".join(x for x in (status.get("reason"), status.get("message")) if x)
        return BackendStatus(phase, message, outputs_of(cr) if phase == "succeeded" else RunOutputs())

    def cancel(self, ref: str) -> None:
        ns, kind, name = parse_ref(ref)
        try:
            self.api.patch(kind, ns, name, {"spec": {"cancel": True}})
        except KubeError as exc:
            if exc.status != 404:
                raise

    def logs(self, ref: str) -> list[str]:
        ns, _, name = parse_ref(ref)
        lines: list[str] = []
        for pod in self.api.list("Pod", ns, f"{RUN_LABEL}={name}"):
            labels = pod["metadata"].get("labels") or {}
            if labels.get(COMPONENT_LABEL) not in ("ray-submitter", "evaluation", "ray-head"):
                continue
            pod_name = pod["metadata"]["name"]
            mark = self._log_marks.get((ref, pod_name))
            for line in self.api.pod_log(ns, pod_name, since_time=mark).splitlines():
                ts, _, text = line.partition(" ")
                if mark and ts <= mark:
                    continue
                self._log_marks[(ref, pod_name)] = ts
                lines.append(f"[{pod_name}] {text}")
        return lines

    def metrics(self, ref: str) -> list[dict[str, Any]]:
        ns, kind, name = parse_ref(ref)
        cr = self.api.get(kind, ns, name) or {}
        out = []
        for key, value in ((cr.get("status") or {}).get("metrics") or {}).items():
            if self._metrics_seen.get((ref, key)) != float(value):  # only new or changed summaries
                self._metrics_seen[(ref, key)] = float(value)
                out.append({"key": key, "step": 0, "value": float(value)})
        return out
