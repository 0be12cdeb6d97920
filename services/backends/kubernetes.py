"""The ``kubernetes`` backend: runs become xlam.ai custom resources served by the operator.

The mapping of a run to its resource, and following it, is the shared Kubernetes contract
(:mod:`platform_contracts.k8s.runs`, also used by the pipeline's ``rayjob`` launcher); this module
makes it a control-plane :class:`~services.backends.base.Backend`. Settings:
:class:`platform_contracts.k8s.runs.K8sRunSettings` (``XLAM_K8S_*`` environment).
"""

from __future__ import annotations

from platform_contracts.k8s.runs import KubeRuns
from services.backends.base import Backend


class KubernetesBackend(KubeRuns, Backend):
    name = "kubernetes"
