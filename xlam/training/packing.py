"""Packing token examples into rows, with documents kept apart, and collating micro-batches.

A row holds several documents back to back. Each document's ``position_ids`` restart at 0, which
transformers turns into a block-diagonal causal mask (``find_packed_sequence_indices`` for SDPA and
eager attention; varlen kernels for flash-attention), so no token attends across documents.
Targets are shifted *per document* at packing time (``targets[t]`` is the label of the token after
``t`` in the same document), so the loss never predicts the first token of the next document.
Rows of a micro-batch are right-padded; the padding is a document of its own with no targets.

``Packer`` is a stateful first-fit packer over a window of examples: deterministic given its input
order, and its pending examples are part of the checkpoint (exact resume).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

from xlam.training.tokenization import IGNORE, PreferenceExample, TokenExample


@dataclass
class Row:
    """One packed row: documents concatenated, targets already shifted per document."""

    input_ids: list[int] = field(default_factory=list)
    targets: list[int] = field(default_factory=list)
    position_ids: list[int] = field(default_factory=list)
    doc_ids: list[int] = field(default_factory=list)
    """Document index within the row, per token (-1 for padding)."""
    record_ids: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.input_ids)

    def add(self, input_ids: Sequence[int], labels: Sequence[int], record_id: str) -> int:
        """Append a document (``labels`` aligned with ``input_ids``, unshifted); returns its index."""
        doc = len(self.record_ids)
        self.input_ids.extend(input_ids)
        self.targets.extend([*labels[1:], IGNORE])
        self.position_ids.extend(range(len(input_ids)))
        self.doc_ids.extend([doc] * len(input_ids))
        self.record_ids.append(record_id)
        return doc


def sft_row(examples: Sequence[TokenExample]) -> Row:
    row = Row()
    for ex in examples:
        row.add(ex.input_ids, ex.labels, ex.record_id)
    return row


def preference_row(pairs: Sequence[PreferenceExample]) -> Row:
    """Each pair becomes two documents: (prompt + chosen) then (prompt + rejected)."""
    row = Row()
    for pair in pairs:
        for completion in (pair.chosen_ids, pair.rejected_ids):
            labels = [IGNORE] * len(pair.prompt_ids) + list(completion)
            row.add(pair.prompt_ids + list(completion), labels, pair.record_id)
    return row


class Packer:
    """First-fit packing over a window of pending examples (stateful, deterministic)."""

    def __init__(self, max_len: int, *, window: int = 64, enabled: bool = True) -> None:
        self.max_len = max_len
        self.window = window if enabled else 1
        self.enabled = enabled
        self.pending: list[Any] = []

    def needs_more(self) -> bool:
        return len(self.pending) < self.window

    def add(self, example: Any) -> None:
        if len(example) > self.max_len:
            raise ValueError(f"example of {len(example)} tokens exceeds max_len {self.max_len}")
        self.pending.append(example)

    def pop_row(self) -> list[Any]:
        """Examples for the next row: the oldest pending one, then first-fit from the window."""
        if not self.pending:
            return []
        chosen = [self.pending.pop(0)]
        if not self.enabled:
            return chosen
        used = len(chosen[0])
        i = 0
        while i < len(self.pending):
            if used + len(self.pending[i]) <= self.max_len:
                used += len(self.pending[i])
                chosen.append(self.pending.pop(i))
            else:
                i += 1
        return chosen

    def state_dict(self) -> dict[str, Any]:
        return {"pending": [_example_state(e) for e in self.pending]}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.pending = [_example_from_state(s) for s in state["pending"]]


def _example_state(example: Any) -> dict[str, Any]:
    kind = "pref" if isinstance(example, PreferenceExample) else "sft"
    return {"kind": kind, **example.__dict__}


def _example_from_state(state: dict[str, Any]) -> Any:
    data = {k: v for k, v in state.items() if k != "kind"}
    return PreferenceExample(**data) if state["kind"] == "pref" else TokenExample(**data)


def collate(rows: Sequence[Row], pad_id: int) -> dict[str, torch.Tensor]:
    """Right-pad rows to the longest and stack: input_ids, targets, position_ids, doc_ids, loss_mask."""
    width = max(len(r) for r in rows)
    ids, tgt, pos, doc = [], [], [], []
    for r in rows:
        pad = width - len(r)
        ids.append(r.input_ids + [pad_id] * pad)
        tgt.append(r.targets + [IGNORE] * pad)
        pos.append(r.position_ids + list(range(pad)))
        doc.append(r.doc_ids + [-1] * pad)
    batch = {
        "input_ids": torch.tensor(ids, dtype=torch.long),
        "targets": torch.tensor(tgt, dtype=torch.long),
        "position_ids": torch.tensor(pos, dtype=torch.long),
        "doc_ids": torch.tensor(doc, dtype=torch.long),
    }
    batch["token_mask"] = batch["doc_ids"] >= 0
    return batch
