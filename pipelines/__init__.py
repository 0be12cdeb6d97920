"""pipelines layer of the xLAM Platform."""
