"""Label and annotation names on xlam.ai custom resources and their children, in one place
(written by the control plane's kubernetes backend, the ``rayjob`` launcher and the operator's
builders; read by the operator, the backend's log reader and the tests)."""

from __future__ import annotations

MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
PART_OF_LABEL = "app.kubernetes.io/part-of"
COMPONENT_LABEL = "app.kubernetes.io/component"
MANAGED_BY = "xlam-operator"  # the value of MANAGED_BY_LABEL on the operator's children
PART_OF = "xlam"
QUEUE_LABEL = "kueue.x-k8s.io/queue-name"

RUN_LABEL = "xlam.ai/run"  # on children: the owning resource's name
KIND_LABEL = "xlam.ai/kind"  # on children: the owning resource's kind
UID_LABEL = "xlam.ai/run-uid"  # on children: the owning resource's uid
RUN_ID_LABEL = "xlam.ai/run-id"  # on the resource: its control-plane run id

PROJECT_ANNOTATION = "xlam.ai/project"
ATTEMPT_ANNOTATION = "xlam.ai/attempt"
MODEL_NAME_ANNOTATION = "xlam.ai/model-name"
OUTPUT_NAME_ANNOTATION = "xlam.ai/output-name"
