"""Rendering records to tokens (per-turn loss masks, EOS, thoughts, over-length) and packing."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from tests.training.conftest import make_records
from xlam.training.losses import sft_loss_sum
from xlam.training.packing import Packer, collate, sft_row
from xlam.training.tokenization import IGNORE, RecordRenderer


def _targets(tok: Any, ex: Any) -> str:
    return str(tok.decode([i for i, lab in zip(ex.input_ids, ex.labels, strict=True) if lab != IGNORE]))


def test_per_turn_expansion_masks_only_the_target_turn(tokenizer: Any) -> None:
    record = make_records(1, multi_turn=True)[0]
    renderer = RecordRenderer(tokenizer, max_seq_len=4096)
    examples = list(renderer.sft_examples(record))
    assert len(examples) == 3  # two call steps + the final answer
    first, second, last = (_targets(tokenizer, e) for e in examples)
    assert '"get_weather"' in first and "Paris" in first and "I need the weather" in first
    assert '"unit": "f"' in second and "Convert." in second
    assert "It is 20 degrees in Paris" in last
    for ex in examples:  # every target ends with EOS, and only the target is trained on
        trained = [i for i, lab in zip(ex.input_ids, ex.labels, strict=True) if lab != IGNORE]
        assert trained[-1] == tokenizer.eos_token_id
        assert ex.labels[: len(ex.labels) - len(trained)] == [IGNORE] * (len(ex.labels) - len(trained))
    # the later turn sees the earlier call and its observation in its prompt (history)
    assert '"temp": 20' in tokenizer.decode(examples[1].input_ids)


def test_drop_thought_option_and_output_format(tokenizer: Any) -> None:
    record = make_records(1)[0]
    kept = _targets(tokenizer, next(RecordRenderer(tokenizer).sft_examples(record)))
    dropped = _targets(tokenizer, next(RecordRenderer(tokenizer, keep_thought=False).sft_examples(record)))
    assert "I need the weather" in kept and "I need the weather" not in dropped
    tagged = record.model_copy(update={"meta": {"output_format": "tool_call_tags"}})
    assert "<tool_call>" in _targets(tokenizer, next(RecordRenderer(tokenizer).sft_examples(tagged)))


def test_over_length_policy_counts(tokenizer: Any) -> None:
    records = make_records(3)
    skip = RecordRenderer(tokenizer, max_seq_len=200, over_length="skip")
    assert [e for r in records for e in skip.sft_examples(r)] == []
    assert skip.stats.skipped_over_length == 6
    cut = RecordRenderer(tokenizer, max_seq_len=200, over_length="truncate")
    kept = [e for r in records for e in cut.sft_examples(r)]
    assert len(kept) == 6 and cut.stats.truncated == 6
    assert all(len(e) == 200 and e.labels[-1] == tokenizer.eos_token_id for e in kept)


def test_packed_loss_equals_unpacked_loss(tokenizer: Any) -> None:
    """Documents packed into one row (position ids reset, block-diagonal attention) give the same
    token losses as each document alone."""
    from xlam.training.models import build_model
    from xlam.training.recipes import get_recipe

    model = build_model(get_recipe("tiny-moe"), seed=3).eval()
    renderer = RecordRenderer(tokenizer, max_seq_len=2048)
    examples = [e for r in make_records(3) for e in renderer.sft_examples(r)][:4]
    packer = Packer(2048, window=8)
    for e in examples:
        packer.add(e)
    rows = []
    while True:
        group = packer.pop_row()
        if not group:
            break
        rows.append(sft_row(group))
    assert len(rows) < len(examples)  # really packed
    with torch.no_grad():
        packed = collate(rows, tokenizer.pad_token_id)
        logits = model(input_ids=packed["input_ids"], position_ids=packed["position_ids"], use_cache=False).logits
        packed_sum, packed_n = sft_loss_sum(logits, packed["targets"])
        alone_sum, alone_n = 0.0, 0
        for e in examples:
            single = collate([sft_row([e])], tokenizer.pad_token_id)
            out = model(input_ids=single["input_ids"], position_ids=single["position_ids"], use_cache=False).logits
            s, n = sft_loss_sum(out, single["targets"])
            alone_sum, alone_n = alone_sum + float(s), alone_n + n
    assert packed_n == alone_n
    mean = alone_sum / alone_n
    assert abs(float(packed_sum) / packed_n - mean) < 1e-5 * mean  # float32 summation order only
    # and packing really changes the result without the per-document positions (sanity of the test)
    with torch.no_grad():
        leaky = model(input_ids=packed["input_ids"], use_cache=False).logits
    leaky_mean = float(sft_loss_sum(leaky, packed["targets"])[0]) / packed_n
    assert abs(leaky_mean - mean) > 10 * abs(float(packed_sum) / packed_n - mean)


def test_packer_state_round_trip(tokenizer: Any) -> None:
    renderer = RecordRenderer(tokenizer, max_seq_len=1024)
    examples = [e for r in make_records(4) for e in renderer.sft_examples(r)]
    a = Packer(1024, window=4)
    for e in examples[:5]:
        a.add(e)
    a.pop_row()
    b = Packer(1024, window=4)
    b.load_state_dict(a.state_dict())
    assert [x.input_ids for x in a.pop_row()] == [x.input_ids for x in b.pop_row()]


def test_all_examples_over_length_fails_instead_of_spinning(tokenizer: Any, dataset_uri: str) -> None:
    """An infinite stream whose every record is skipped must stop with a clear error (it used to hang)."""
    from xlam.training.config import parse_train_config
    from xlam.training.data import NoTrainingExamples, TokenBatches

    for method in ("sft", "dpo"):
        cfg = parse_train_config({
            "method": method, "model": {"recipe": "tiny"}, "data": {"datasets": [dataset_uri], "max_seq_len": 32},
            "distributed": {"launcher": "local", "num_workers": 1, "engine": "torch"},
        })
        batches = TokenBatches(cfg, tokenizer, rank=0, world_size=1)
        with pytest.raises(NoTrainingExamples, match="max_seq_len=32"):
            batches.next_micro_batch()
