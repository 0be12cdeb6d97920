"""kopf handlers: thin wrappers translating errors and applying status patches.

Run with ``xlam operator run`` (or ``kopf run -m operators.handlers``). Logic lives in
``operators.reconcile`` / ``operators.status`` / ``operators.builders`` (pure) and
``operators.actions`` (I/O with injected clients).
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable
from typing import Any

import kopf

from operators import actions, reconcile
from operators.control_plane import ControlPlaneClient, ControlPlaneError
from operators.kfp_client import KfpClient, KfpError
from operators.settings import OperatorSettings
from operators.sizing import SizingError
from operators.status import PhaseUpdate, next_status
from platform_contracts.k8s.crd_schemas import GROUP, VERSION
from platform_contracts.k8s.kube import KubeApi, KubeError
from platform_contracts.k8s.labels import KIND_LABEL, MANAGED_BY, MANAGED_BY_LABEL
from platform_contracts.runstate import TERMINAL_PHASES

MANAGED = {MANAGED_BY_LABEL: MANAGED_BY}


class Context:
    """Process-wide clients, created at startup (tests may replace the factories)."""

    settings: OperatorSettings = OperatorSettings()
    api: KubeApi | None = None
    kfp_factory: Callable[[OperatorSettings], KfpClient | None] = staticmethod(
        lambda s: KfpClient(s.kfp_endpoint, token=s.kfp_token) if s.kfp_endpoint else None)
    cp_factory: Callable[[OperatorSettings], ControlPlaneClient | None] = staticmethod(
        lambda s: ControlPlaneClient(s.api_url, token=s.api_token, project=s.api_project) if s.api_url else None)

    @classmethod
    def kube(cls) -> KubeApi:
        if cls.api is None:
            cls.api = KubeApi.from_environment()
        return cls.api


@kopf.on.startup()
def configure(settings: kopf.OperatorSettings, **_: Any) -> None:
    Context.settings = OperatorSettings.from_env()
    settings.posting.level = 20  # INFO events on the resources
    settings.persistence.finalizer = f"{GROUP}/operator-cleanup"
    settings.persistence.progress_storage = kopf.AnnotationsProgressStorage(prefix=GROUP)
    settings.persistence.diffbase_storage = kopf.AnnotationsDiffBaseStorage(prefix=GROUP)
    settings.watching.server_timeout = 300
    settings.batching.error_delays = [1, 2, 5, 10, 30, 60]


def _as_dict(body: Any) -> dict[str, Any]:
    return copy.deepcopy(dict(body))


def _translate(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Map our errors onto kopf's: transient -> TemporaryError (retried), the rest -> PermanentError."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (KubeError, KfpError, ControlPlaneError) as exc:
            if exc.retryable:
                status = getattr(exc, "status", None)
                raise kopf.TemporaryError(str(exc), delay=30 if status == 404 else 5) from exc
            _fail(kwargs, f"{type(exc).__name__}", str(exc))
            raise kopf.PermanentError(str(exc)) from exc
        except (SizingError, reconcile.ChildConflict, reconcile.InvalidRunConfig) as exc:
            _fail(kwargs, type(exc).__name__, str(exc))
            raise kopf.PermanentError(str(exc)) from exc

    return wrapper


def _fail(kwargs: dict[str, Any], reason: str, message: str) -> None:
    patch, body = kwargs.get("patch"), kwargs.get("body")
    if patch is None or body is None:
        return
    if not str(body.get("apiVersion", "")).startswith(f"{GROUP}/"):
        return  # a child's event (RayJob, Job): its status is its controller's, never ours
    cr = _as_dict(body)
    patch.status.update(next_status(cr.get("status"), PhaseUpdate("Failed", reason, message),
                                    generation=reconcile.generation(cr)))


def _apply(patch: kopf.Patch, status_patch: dict[str, Any]) -> None:
    if status_patch:
        patch.status.update(status_patch)


def _is_terminal(cr: dict[str, Any]) -> bool:
    return (cr.get("status") or {}).get("phase") in TERMINAL_PHASES


# ---------------------------------------------------------------- TrainingRun
@kopf.on.resume(GROUP, VERSION, "trainingruns")
@kopf.on.create(GROUP, VERSION, "trainingruns")
@_translate
def training_start(body: kopf.Body, patch: kopf.Patch, **_: Any) -> None:
    cr = _as_dict(body)
    if _is_terminal(cr) or reconcile.cancel_requested(cr):
        return
    _apply(patch, actions.register(cr, Context.cp_factory(Context.settings), Context.kube()))
    _apply(patch, actions.start_training(Context.kube(), cr, Context.settings))


@kopf.on.event("ray.io", "v1", "rayjobs", labels=MANAGED)
@_translate
def rayjob_event(body: kopf.Body, type: str | None, **_: Any) -> None:
    _sync_owner("TrainingRun", body, type, reconcile.training_status_patch)


@kopf.timer(GROUP, VERSION, "trainingruns", interval=60, idle=30)
@_translate
def training_resync(body: kopf.Body, patch: kopf.Patch, **_: Any) -> None:
    cr = _as_dict(body)
    if not _is_terminal(cr):
        _apply(patch, actions.sync_training(Context.kube(), cr))


# ---------------------------------------------------------------- EvaluationRun
@kopf.on.resume(GROUP, VERSION, "evaluationruns")
@kopf.on.create(GROUP, VERSION, "evaluationruns")
@_translate
def evaluation_start(body: kopf.Body, patch: kopf.Patch, **_: Any) -> None:
    cr = _as_dict(body)
    if _is_terminal(cr) or reconcile.cancel_requested(cr):
        return
    _apply(patch, actions.register(cr, Context.cp_factory(Context.settings), Context.kube()))
    _apply(patch, actions.start_evaluation(Context.kube(), cr, Context.settings))


@kopf.on.event("batch", "v1", "jobs", labels={**MANAGED, KIND_LABEL: "EvaluationRun"})
@_translate
def job_event(body: kopf.Body, type: str | None, **_: Any) -> None:
    _sync_owner("EvaluationRun", body, type, reconcile.evaluation_status_patch)


@kopf.timer(GROUP, VERSION, "evaluationruns", interval=60, idle=30)
@_translate
def evaluation_resync(body: kopf.Body, patch: kopf.Patch, **_: Any) -> None:
    cr = _as_dict(body)
    if not _is_terminal(cr):
        _apply(patch, actions.sync_evaluation(Context.kube(), cr))


# ---------------------------------------------------------------- SynthesisRun
def _kfp() -> KfpClient:
    client = Context.kfp_factory(Context.settings)
    if client is None:
        raise KfpError("KFP_ENDPOINT is not configured on the operator", retryable=False)
    return client


@kopf.on.resume(GROUP, VERSION, "synthesisruns")
@kopf.on.create(GROUP, VERSION, "synthesisruns")
@_translate
def synthesis_start(body: kopf.Body, patch: kopf.Patch, **_: Any) -> None:
    cr = _as_dict(body)
    if _is_terminal(cr) or reconcile.cancel_requested(cr):
        return
    _apply(patch, actions.register(cr, Context.cp_factory(Context.settings), Context.kube()))
    _apply(patch, actions.start_synthesis(_kfp(), cr))


@kopf.timer(GROUP, VERSION, "synthesisruns", interval=15, idle=5)
@_translate
def synthesis_sync(body: kopf.Body, patch: kopf.Patch, **_: Any) -> None:
    cr = _as_dict(body)
    if not _is_terminal(cr):
        _apply(patch, actions.sync_synthesis(_kfp(), cr))


# ---------------------------------------------------------------- all kinds: cancel and finalize
def _kfp_optional(cr: dict[str, Any]) -> KfpClient | None:
    return Context.kfp_factory(Context.settings) if cr["kind"] == "SynthesisRun" else None


for _plural in ("trainingruns", "evaluationruns", "synthesisruns"):

    @kopf.on.field(GROUP, VERSION, _plural, field="spec.cancel", id="cancel")
    @_translate
    def cancel_run(body: kopf.Body, patch: kopf.Patch, new: Any, **_: Any) -> None:
        cr = _as_dict(body)
        if new:
            _apply(patch, actions.cancel(Context.kube(), _kfp_optional(cr), cr))

    @kopf.on.delete(GROUP, VERSION, _plural, id="cleanup")
    @_translate
    def cleanup_children(body: kopf.Body, logger: Any, **_: Any) -> None:
        cr = _as_dict(body)
        done = actions.cleanup(Context.kube(), _kfp_optional(cr), cr)
        logger.info("cleaned up children: %s", ", ".join(done) or "none left")


def _sync_owner(kind: str, body: kopf.Body, event_type: str | None,
                mapper: Callable[[dict[str, Any], dict[str, Any] | None], dict[str, Any]]) -> None:
    """Child event -> owner's status (patched through the status subresource)."""
    child = _as_dict(body)
    meta = child.get("metadata") or {}
    owners = [r for r in meta.get("ownerReferences") or [] if r.get("kind") == kind and r.get("controller")]
    if not owners:
        return
    api = Context.kube()
    owner = api.get(kind, meta["namespace"], owners[0]["name"])
    if owner is None or owner["metadata"].get("uid") != owners[0].get("uid") or _is_terminal(owner):
        return
    if owner["metadata"].get("deletionTimestamp"):
        return
    status_patch = mapper(owner, None if event_type == "DELETED" else child)
    if status_patch:
        api.patch_status(kind, meta["namespace"], owner["metadata"]["name"], status_patch)
