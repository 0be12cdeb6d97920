"""Pure builders: custom resource -> child Kubernetes objects (dicts). No API calls here."""
