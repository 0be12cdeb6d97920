"""The unified record format: tools, calls, steps and records (see docs/DATA_FORMAT.md)."""

from xlam.records.calls import Step, ToolCall
from xlam.records.conversation import Message, messages_to_record, record_to_messages
from xlam.records.hashing import canonical_json, content_hash
from xlam.records.record import (
    LATEST_SCHEMA_VERSION,
    SCHEMA_VERSION,
    Category,
    EnvironmentSnapshot,
    FewShotExample,
    GroundTruth,
    Provenance,
    Record,
    Rejected,
)
from xlam.records.tool import Tool

__all__ = [
    "LATEST_SCHEMA_VERSION",
    "SCHEMA_VERSION",
    "Category",
    "EnvironmentSnapshot",
    "FewShotExample",
    "GroundTruth",
    "Message",
    "Provenance",
    "Record",
    "Rejected",
    "Step",
    "Tool",
    "ToolCall",
    "canonical_json",
    "content_hash",
    "messages_to_record",
    "record_to_messages",
]
