"""services layer of the xLAM Platform."""
