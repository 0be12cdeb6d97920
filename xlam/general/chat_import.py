"""Import plain chat SFT data (OpenAI messages or ShareGPT, no tools) as ``Category.CHAT`` records.

xLAM mixed 20-30% general instruction data into its general models' training set after rule
filters dropped repetitive words and repetitive turns (reference section 5). The filters here:

- ``empty_turn``: a message with no text;
- ``bad_roles``: not (system?) user, assistant, user, assistant ... ending with the assistant;
- ``has_tools``: tool calls, tool messages or a tools list (that is function-calling data);
- ``too_short`` / ``too_long``: total characters or assistant turns outside the bounds;
- ``repetition``: an assistant message whose word n-gram repetition ratio is too high;
- ``repeated_turns``: two identical assistant (or user) messages in one conversation;
- ``duplicate``: the same conversation already imported.

Input files are JSON arrays or JSONL (``.zst`` compressed allowed) of rows shaped
``{"messages": [{"role", "content"}]}``, ``{"conversations": [{"from", "value"}]}`` or a bare list.
"""

from __future__ import annotations

import hashlib
import io
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field

from xlam.datasets import DatasetWriter
from xlam.datasets.storage import resolve
from xlam.errors import RecordError
from xlam.records import Category, Message, Provenance, Record, messages_to_record
from xlam.reports import StageReport

_SHAREGPT_ROLES = {"human": "user", "user": "user", "gpt": "assistant", "assistant": "assistant", "bot": "assistant",
                   "chatgpt": "assistant", "model": "assistant", "system": "system"}


class ChatImportConfig(BaseModel):
    """Filters and limits for importing general chat data."""

    model_config = ConfigDict(extra="forbid")

    source: str = Field(default="general_chat", description="The output records' source name.")
    input_format: Literal["auto", "openai", "sharegpt"] = Field(default="auto")
    min_chars: int = Field(default=20, ge=0, description="Fewest characters over all messages.")
    max_chars: int = Field(default=32_000, ge=1, description="Most characters over all messages.")
    min_turns: int = Field(default=1, ge=1, description="Fewest assistant turns.")
    max_turns: int = Field(default=32, ge=1, description="Most assistant turns.")
    ngram: int = Field(default=3, ge=1, description="Word n-gram size of the repetition filter.")
    max_repetition: float = Field(default=0.3, ge=0, le=1,
                                  description="Most share of repeated n-grams in an assistant message.")
    min_words_for_repetition: int = Field(default=12, ge=1, description="Shorter messages skip the repetition test.")
    drop_repeated_turns: bool = Field(default=True)
    deduplicate: bool = Field(default=True)
    limit: int | None = Field(default=None, ge=1, description="Most records to write.")
    on_error: Literal["fail", "skip"] = Field(default="skip", description="Malformed rows: fail, or skip and count.")


def repetition_ratio(text: str, n: int = 3) -> float:
    """Share of word n-grams that repeat an earlier n-gram of the same text (0: none repeat)."""
    words = text.lower().split()
    grams = [tuple(words[i:i + n]) for i in range(len(words) - n + 1)]
    if not grams:
        return 0.0
    counts = Counter(grams)
    return sum(c - 1 for c in counts.values()) / len(grams)


def _rows(uri: str) -> Iterator[tuple[int, Any]]:
    fs, path = resolve(uri)
    with fs.open(path, "rb") as fh:
        data = fh.read()
    if path.endswith(".zst"):
        import zstandard

        data = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(data)).read()
        path = path[:-4]
    stripped = data.lstrip()
    if stripped.startswith(b"[") and not path.endswith(".jsonl"):
        try:
            rows = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            raise RecordError(uri, None, "", f"invalid JSON: {exc}") from exc
        yield from enumerate(rows, 1)
        return
    for lineno, line in enumerate(data.splitlines(), 1):
        if line.strip():
            try:
                yield lineno, orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                yield lineno, RecordError(uri, lineno, "", f"invalid JSON: {exc}")


def to_messages(row: Any, input_format: str = "auto") -> tuple[list[Message], bool]:
    """(messages, has_tools) of one row; raises ``ValueError`` for an unknown shape."""
    has_tools = bool(isinstance(row, dict) and (row.get("tools") or row.get("functions")))
    if isinstance(row, dict) and input_format in ("auto", "openai") and isinstance(row.get("messages"), list):
        raw = row["messages"]
        messages = []
        for i, m in enumerate(raw):
            if not isinstance(m, dict) or "role" not in m:
                raise ValueError(f"messages[{i}] has no role")
            has_tools = has_tools or bool(m.get("tool_calls") or m.get("function_call")) or m["role"] in ("tool", "function")
            content = m.get("content")
            if isinstance(content, list):  # content parts: keep the text ones
                content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
            role = m["role"] if m["role"] in ("system", "user", "assistant") else "assistant"
            messages.append(Message(role=role, content=content if isinstance(content, str) else ""))
        return messages, has_tools
    conv = row.get("conversations") if isinstance(row, dict) else row if isinstance(row, list) else None
    if isinstance(conv, list) and input_format in ("auto", "sharegpt"):
        messages = []
        for i, m in enumerate(conv):
            if not isinstance(m, dict):
                raise ValueError(f"conversations[{i}] is not an object")
            speaker = str(m.get("from", m.get("role", ""))).lower()
            if speaker in ("function_call", "observation", "tool", "function"):
                has_tools = True
                continue
            role = _SHAREGPT_ROLES.get(speaker)
            if role is None:
                raise ValueError(f"conversations[{i}]: unknown speaker {speaker!r}")
            value = m.get("value", m.get("content"))
            messages.append(Message(role=role, content=value if isinstance(value, str) else ""))
        return messages, has_tools
    raise ValueError("row has neither 'messages' nor 'conversations'")


def filter_reason(messages: list[Message], has_tools: bool, config: ChatImportConfig) -> str | None:
    """Why a conversation is dropped (``None``: keep it)."""
    if has_tools:
        return "has_tools"
    if any(not (m.content or "").strip() for m in messages):
        return "empty_turn"
    body = messages[1:] if messages and messages[0].role == "system" else messages
    expected = ["user", "assistant"] * (len(body) // 2 + 1)
    if not body or [m.role for m in body] != expected[: len(body)] or body[-1].role != "assistant":
        return "bad_roles"
    chars = sum(len(m.content or "") for m in messages)
    turns = sum(m.role == "assistant" for m in body)
    if chars < config.min_chars or turns < config.min_turns:
        return "too_short"
    if chars > config.max_chars or turns > config.max_turns:
        return "too_long"
    for m in body:
        text = m.content or ""
        if m.role == "assistant" and len(text.split()) >= config.min_words_for_repetition and (
            repetition_ratio(text, config.ngram) > config.max_repetition
        ):
            return "repetition"
    if config.drop_repeated_turns:
        for role in ("user", "assistant"):
            texts = [" ".join((m.content or "").split()).lower() for m in body if m.role == role]
            if len(texts) != len(set(texts)):
                return "repeated_turns"
    return None


def run_import_chat(inputs: list[str] | str, out_uri: str, config: ChatImportConfig | None = None, *,
                    rejects_uri: str | None = None, report_dir: str | Path | None = None,
                    overwrite: bool = False) -> StageReport:
    """Import chat files into a dataset of ``Category.CHAT`` records; returns the filter report."""
    config = config or ChatImportConfig()
    uris = [inputs] if isinstance(inputs, str) else list(inputs)
    started = time.perf_counter()
    report = StageReport(stage="import_chat", output_uri=out_uri, rejects_uri=rejects_uri,
                         config=config.model_dump(mode="json"))
    seen: set[str] = set()
    rejects = DatasetWriter(rejects_uri, source=config.source, overwrite=overwrite) if rejects_uri else None
    with DatasetWriter(out_uri, source=config.source, command="import-chat", parents=uris, overwrite=overwrite) as out:
        if rejects is not None:
            rejects.__enter__()
        try:
            for uri in uris:
                for lineno, row in _rows(uri):
                    if config.limit is not None and out.count >= config.limit:
                        break
                    report.input_records += 1
                    try:
                        if isinstance(row, RecordError):
                            raise row
                        messages, has_tools = to_messages(row, config.input_format)
                    except (ValueError, RecordError) as exc:
                        error = exc if isinstance(exc, RecordError) else RecordError(uri, lineno, "", str(exc))
                        if config.on_error == "fail":
                            raise error from exc
                        report.bump("malformed")
                        report.rejected_records += 1
                        continue
                    reason = filter_reason(messages, has_tools, config)
                    key = hashlib.sha256(orjson.dumps([[m.role, m.content] for m in messages])).hexdigest()
                    if reason is None and config.deduplicate:
                        reason = "duplicate" if key in seen else None
                        seen.add(key)
                    record = messages_to_record(
                        messages, id=f"chat-{key[:20]}", source=config.source, category=Category.CHAT,
                        provenance=Provenance(source_location=f"{uri}:{lineno}", transformations=["import_chat"]),
                    )
                    assert isinstance(record, Record)
                    if reason is not None:
                        report.bump(reason)
                        report.rejected_records += 1
                        if rejects is not None:
                            rejects.write(record.model_copy(update={"meta": {"rejected_reason": reason}}))
                        continue
                    out.write(record)
                    report.bump("kept")
        except BaseException:
            if rejects is not None:
                rejects.abort()
            raise
        if rejects is not None:
            rejects.commit()
    report.output_records = out.count
    report.seconds = time.perf_counter() - started
    if report_dir is not None:
        report.write(report_dir)
    return report


__all__ = ["ChatImportConfig", "filter_reason", "repetition_ratio", "run_import_chat", "to_messages"]
