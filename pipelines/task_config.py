"""Apply :class:`PipelineSettings` to every task: image, resources, retries, caching, Kubernetes."""

from __future__ import annotations

from kfp import kubernetes
from kfp.dsl import PipelineTask

from pipelines.settings import PipelineSettings, Resources


def configure(task: PipelineTask, settings: PipelineSettings, *, display_name: str,
              resources: Resources | None = None, retry: bool = True) -> PipelineTask:
    """Set the project image, requests/limits, retries with backoff, caching and K8s placement."""
    res = resources or settings.resources
    task.set_display_name(display_name)
    task.set_container_image(settings.image)
    task.set_cpu_request(res.cpu_request).set_cpu_limit(res.cpu_limit)
    task.set_memory_request(res.memory_request).set_memory_limit(res.memory_limit)
    task.set_caching_options(enable_caching=settings.enable_caching)
    if retry and settings.retries:
        task.set_retry(
            num_retries=settings.retries,
            backoff_duration=settings.backoff_duration,
            backoff_factor=settings.backoff_factor,
            backoff_max_duration=settings.backoff_max_duration,
        )
    if settings.data_pvc:
        kubernetes.mount_pvc(task, pvc_name=settings.data_pvc, mount_path=settings.data_mount_path)
    for secret in settings.secrets:
        kubernetes.use_secret_as_env(
            task, secret_name=secret.secret_name, secret_key_to_env=secret.key_to_env, optional=secret.optional
        )
    for key, value in settings.node_selector.items():
        kubernetes.add_node_selector(task, label_key=key, label_value=value)
    for tol in settings.tolerations:
        kubernetes.add_toleration(task, key=tol.key, operator=tol.operator, value=tol.value, effect=tol.effect)
    return task
