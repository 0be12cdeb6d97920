"""xLAM Platform core library: unified agent records and the functions over them.

This package must not import web, queue or Kubernetes libraries (see docs/ARCHITECTURE.md).
"""

__version__ = "0.1.0"
