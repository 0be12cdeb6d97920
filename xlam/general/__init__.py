"""General (non-tool) instruction data: import and filter plain chat SFT data as CHAT records."""

from xlam.general.chat_import import (
    ChatImportConfig,
    filter_reason,
    repetition_ratio,
    run_import_chat,
    to_messages,
)

__all__ = ["ChatImportConfig", "filter_reason", "repetition_ratio", "run_import_chat", "to_messages"]
