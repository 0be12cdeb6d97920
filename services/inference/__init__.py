"""``xlam serve``: an OpenAI-compatible chat-completions server over any xLAM generator backend,
with xLAM tool-call parsing (model text -> ``tool_calls``) and dynamic batching."""

from services.inference.app import create_app

__all__ = ["create_app"]
