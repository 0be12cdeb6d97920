"""operators layer of the xLAM Platform."""
