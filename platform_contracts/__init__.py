"""Contracts the upper layers share, so that none of them imports another for them.

- :mod:`platform_contracts.client`: the one typed client of the control-plane REST API
  (the ``xlam api`` commands, the kfp pipeline's register step, the operator's run registration,
  the quickstart).
- :mod:`platform_contracts.k8s`: the Kubernetes contract: the xlam.ai CRDs (schemas, phases),
  the kube client wrapper, offline validation, label/annotation names, and the mapping of a run to
  its custom resource (used by the control plane's kubernetes backend and the pipeline's ``rayjob``
  launcher; the operator reconciles what it produces).
- :mod:`platform_contracts.runspecs`: the run spec envelopes (the core's config models, by run kind).
- :mod:`platform_contracts.outputs`: what a finished run produced (datasets, model versions, metrics).
- :mod:`platform_contracts.runstate`: the run-state vocabulary.

Layering (``.importlinter``, docs/ARCHITECTURE.md): ``services | operators`` > ``pipelines`` >
``platform_contracts`` > ``xlam``. This package may import the core, never an upper layer.
"""
