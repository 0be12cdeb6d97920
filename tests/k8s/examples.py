"""The example custom resources (examples/k8s/) as the operator's tests use them (test modules import
these, never each other)."""

from __future__ import annotations

import copy
from typing import Any

import yaml

from platform_contracts.k8s.crd_schemas import ROOT


def example(name: str) -> dict[str, Any]:
    obj: dict[str, Any] = yaml.safe_load((ROOT / "examples" / "k8s" / name).read_text())
    obj["metadata"].update(uid="2f6c1c7e-0000-4000-8000-000000000001", generation=1)
    return obj


def explicit(cr: dict[str, Any], nodes: int = 4, gpus: int = 8, zero: int = 3) -> dict[str, Any]:
    cr = copy.deepcopy(cr)
    cr["spec"]["resources"].update(sizing="Explicit", nodes=nodes, gpusPerNode=gpus, zeroStage=zero)
    return cr
