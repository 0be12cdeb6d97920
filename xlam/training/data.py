"""The per-worker data pipeline: mixture stream -> rendered examples -> packed rows -> micro-batches.

The source is the core library's resumable :class:`xlam.mixture.MixtureStream`, sharded by rank
(every rank reads its own slice: independent randomness, explicit sharding, as xLAM intends).
``state_dict()`` captures the stream position, the packer's pending examples and the render counts,
so a restored pipeline yields exactly the batches the uninterrupted one would have.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import torch

from xlam import mixture
from xlam.records import Record
from xlam.training.config import TrainConfig
from xlam.training.packing import Packer, collate, preference_row, sft_row
from xlam.training.tokenization import RecordRenderer, RenderStats


def mix_config(config: TrainConfig) -> Any:
    """The ``xlam.mixture.MixConfig`` of a run (``data.datasets`` is equal-weight shorthand)."""
    if config.data.mixture is not None:
        return mixture.MixConfig.model_validate({"seed": config.seed, **config.data.mixture})
    sources = [
        mixture.MixSource(name=f"d{i}-{uri.rstrip('/').rsplit('/', 1)[-1]}", uri=uri, weight=1.0)
        for i, uri in enumerate(config.data.datasets)
    ]
    # plain datasets cycle (reshuffled each epoch) until optim.max_steps; a mixture sets its own stopping
    return mixture.MixConfig(sources=sources, seed=config.seed, stopping="infinite")


class NoTrainingExamples(RuntimeError):
    """A full pass over the data produced no training example (all skipped): stop instead of spinning."""

    def __init__(self, stats: RenderStats, config: TrainConfig) -> None:
        super().__init__(
            f"no training example after a full pass over the data ({stats.records} records read): "
            f"{stats.skipped_over_length} longer than data.max_seq_len={config.data.max_seq_len} "
            f"(data.over_length={config.data.over_length!r}), {stats.skipped_no_target} without a target, "
            f"{stats.skipped_no_rejected} without a rejected answer ({config.method}). Raise data.max_seq_len, "
            "use data.over_length=truncate, or check the dataset."
        )


class TokenBatches:
    """Micro-batches for one worker (stateful: see ``state_dict``)."""

    def __init__(self, config: TrainConfig, tokenizer: Any, rank: int, world_size: int) -> None:
        self.config = config
        self.dpo = config.method == "dpo"
        d = config.data
        self.renderer = RecordRenderer(
            tokenizer,
            output_format=d.output_format,
            prompt_mode=d.prompt_mode,
            prompt_style=d.prompt_style,
            expansion=d.expansion,
            keep_thought=d.keep_thought,
            max_seq_len=d.max_seq_len,
            over_length=d.over_length,
        )
        self.packer = Packer(d.max_seq_len, window=d.pack_window, enabled=d.packing)
        self.stream = mixture.MixtureStream(mix_config(config), rank=rank, world_size=world_size,
                                            worker_id=0, num_workers=1)
        self._records: Iterator[Any] | None = None
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
        self.exhausted = False
        self.records_read = 0
        # One full pass over the data: if it yields no example at all, an infinite stream would spin forever.
        self._records_per_pass = max(1, mixture.make_plan(self.stream.config).total_records // max(1, world_size))

    # --- state -------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        return {
            "stream": self.stream.state_dict(),
            "packer": self.packer.state_dict(),
            "stats": self.renderer.stats.__dict__.copy(),
            "records_read": self.records_read,
            "exhausted": self.exhausted,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.stream.load_state_dict(state["stream"])
        self._records = None
        self.packer.load_state_dict(state["packer"])
        self.renderer.stats = RenderStats(**state["stats"])
        self.records_read = state["records_read"]
        self.exhausted = state["exhausted"]

    # --- iteration ---------------------------------------------------------------------------
    def _next_record(self) -> Record | None:
        if self._records is None:
            self._records = iter(self.stream)
        try:
            item = next(self._records)
        except StopIteration:
            return None
        self.records_read += 1
        return item if isinstance(item, Record) else Record.model_validate(item)

    def _fill(self) -> None:
        while not self.exhausted and self.packer.needs_more():
            record = self._next_record()
            if record is None:
                self.exhausted = True
                break
            if self.renderer.stats.examples == 0 and self.renderer.stats.records >= self._records_per_pass:
                raise NoTrainingExamples(self.renderer.stats, self.config)
            if self.dpo:
                pair = self.renderer.preference_example(record)
                if pair is not None:
                    self.packer.add(pair)
            else:
                for example in self.renderer.sft_examples(record):
                    self.packer.add(example)

    def next_micro_batch(self) -> dict[str, Any] | None:
        """The next micro-batch (``micro_batch_size`` packed rows), or None when the data is used up."""
        rows = []
        groups = []
        for _ in range(self.config.data.micro_batch_size):
            self._fill()
            examples = self.packer.pop_row()
            if not examples:
                break
            groups.append(examples)
            rows.append(preference_row(examples) if self.dpo else sft_row(examples))
        if not rows:
            return None
        batch: dict[str, Any] = collate(rows, self.pad_id)
        batch["record_ids"] = [rid for r in rows for rid in r.record_ids]
        batch["docs_per_row"] = max(len(r.record_ids) for r in rows)
        if self.dpo:
            batch["ref_logps"] = _precomputed_ref(groups, batch["docs_per_row"] // 2)
        return batch


def _precomputed_ref(groups: list[list[Any]], pairs_per_row: int) -> torch.Tensor | None:
    """[B, pairs, 2] reference log-probs when every pair carries them, else None."""
    if not all(p.ref_chosen_logp is not None and p.ref_rejected_logp is not None for g in groups for p in g):
        return None
    out = torch.zeros(len(groups), pairs_per_row, 2)
    for i, group in enumerate(groups):
        for j, pair in enumerate(group):
            out[i, j, 0] = float(pair.ref_chosen_logp)
            out[i, j, 1] = float(pair.ref_rejected_logp)
    return out


def batch_to(batch: dict[str, Any], device: torch.device) -> dict[str, Any]:
    return {k: v.to(device) if isinstance(v, torch.Tensor) else v for k, v in batch.items()}
