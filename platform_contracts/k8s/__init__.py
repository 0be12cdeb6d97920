"""The Kubernetes contract shared by the control plane, the pipelines and the operator."""
