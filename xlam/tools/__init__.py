"""Executable tools: a registry of runnable tools and a sandbox that runs their calls.

``ToolRegistry`` holds :class:`ExecutableTool` entries (a :class:`~xlam.records.Tool` spec plus a
Python target or a REST endpoint); :func:`xlam.tools.sandbox.execute_calls` runs calls against
it in a resource-limited, network-less subprocess.
"""

from xlam.tools.harvest import tool_from_callable
from xlam.tools.registry import ExecutableTool, ToolRegistry
from xlam.tools.sandbox import ExecutionResult, SandboxLimits, execute_calls

__all__ = [
    "ExecutableTool",
    "ExecutionResult",
    "SandboxLimits",
    "ToolRegistry",
    "execute_calls",
    "tool_from_callable",
]
