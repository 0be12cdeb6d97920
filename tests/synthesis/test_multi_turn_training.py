"""Training on multi-turn records (CPU, the SmolLM2 tokenizer the training tests use): the loss mask
covers exactly the assistant tokens of a 3-turn dialogue, per-user-turn expansion, tool results as
tool messages, tools that appear later, and packing."""

from __future__ import annotations

import re
from typing import Any

import pytest

from xlam.envs import Bank
from xlam.records import Record, Step, ToolCall
from xlam.training.packing import Packer, sft_row
from xlam.training.tokenization import IGNORE, RecordRenderer

ASSISTANT = re.compile(r"<\|im_start\|>assistant\n(.*?<\|im_end\|>)", re.S)


@pytest.fixture(scope="module")
def tokenizer() -> Any:
    from xlam.training.models import load_tokenizer
    from xlam.training.recipes import get_recipe

    return load_tokenizer(get_recipe("tiny"))


def three_turn_dialogue() -> Record:
    """Bank dialogue, 3 user turns: a lookup, a transfer, a thank-you; observations from the real environment."""
    state = Bank.initial_state(11)
    env = Bank(state)
    a, b = sorted(state["accounts"])[:2]
    lookup = ToolCall(name="get_balance", arguments={"account_number": a})
    move = ToolCall(name="transfer", arguments={"from_account": a, "to_account": b, "amount": 20.0, "memo": "rent"})
    obs1, obs2 = env.execute(lookup).value, env.execute(move).value
    steps = [
        Step(tool_calls=[lookup], observations=[obs1]),
        Step(response=f"{a} has ${obs1['balance']:.2f}.", user_input=f"Send 20 dollars from {a} to {b}, memo rent."),
        Step(thought="A transfer between two accounts.", tool_calls=[move], observations=[obs2]),
        Step(response=f"Done, {a} now has ${obs2['from_balance']:.2f}.", user_input="Thanks, that's all."),
    ]
    return Record(id="mt-3", source="test", tools=Bank.tools(), task_instruction="You are a bank agent.",
                  query=f"What's the balance of {a}?", steps=steps, answer="You're welcome!")


def expected_mask(tokenizer: Any, text: str) -> tuple[list[int], list[bool]]:
    """Token ids of ``text`` and, per token, whether it lies inside an assistant message body (content +
    its end-of-turn token), found in the rendered text itself."""
    enc = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    spans = [m.span(1) for m in ASSISTANT.finditer(text)]
    mask = [any(s <= start and end <= e for s, e in spans) and end > start for start, end in enc["offset_mapping"]]
    return list(enc["input_ids"]), mask


def test_loss_mask_is_exactly_the_assistant_tokens_of_a_three_turn_dialogue(tokenizer: Any) -> None:
    record = three_turn_dialogue()
    renderer = RecordRenderer(tokenizer, prompt_mode="bfcl", expansion="full", max_seq_len=8192)  # BFCL prompt mode (the recipe default)
    (example,) = list(renderer.sft_examples(record))
    text = tokenizer.decode(example.input_ids)
    ids, mask = expected_mask(tokenizer, text)
    assert ids == example.input_ids
    trained = [label != IGNORE for label in example.labels]
    assert trained == mask
    assert all(label == tok for label, tok in zip(example.labels, example.input_ids, strict=True) if label != IGNORE)
    bodies = ASSISTANT.findall(text)
    assert len(bodies) == 5  # two call turns, two replies, the final answer
    assert bodies[0].startswith("[get_balance(account_number=") and bodies[2].startswith("[transfer(")
    assert bodies[4] == "You're welcome!<|im_end|>"
    # tool results are tool messages; the user's three turns and the system prompt are not trained on
    assert text.count("<|im_start|>tool\n") == 2 and text.count("<|im_start|>user\n") == 3
    assert '"balance"' in text.split("<|im_start|>tool\n")[1]


def test_per_user_turn_expansion_trains_each_turn_once(tokenizer: Any) -> None:
    record = three_turn_dialogue()
    full = next(RecordRenderer(tokenizer, prompt_mode="bfcl", expansion="full", max_seq_len=8192).sft_examples(record))
    renderer = RecordRenderer(tokenizer, prompt_mode="bfcl", expansion="per_user_turn", max_seq_len=8192)
    examples = list(renderer.sft_examples(record))
    assert [e.turn for e in examples] == [1, 3, 4]  # last target index of each user turn
    per_turn_bodies = []
    for ex in examples:
        text = tokenizer.decode(ex.input_ids)
        _, mask = expected_mask(tokenizer, text)
        trained = [label != IGNORE for label in ex.labels]
        assert all(m for m, t in zip(mask, trained, strict=True) if t)  # only assistant tokens
        assert text.endswith("<|im_end|>")  # the example stops after its user turn's last assistant turn
        per_turn_bodies.append(tokenizer.decode([i for i, t in zip(ex.input_ids, trained, strict=True) if t]))
    # together the examples train every assistant token exactly once
    full_trained = tokenizer.decode([i for i, lab in zip(full.input_ids, full.labels, strict=True) if lab != IGNORE])
    assert "".join(per_turn_bodies) == full_trained
    assert per_turn_bodies[1].startswith("[transfer(") and per_turn_bodies[2] == "You're welcome!<|im_end|>"
    # packing keeps each example's targets (shifted per document)
    packer = Packer(8192, window=8)
    for ex in examples:
        packer.add(ex)
    row = sft_row(packer.pop_row())
    assert sum(t != IGNORE for t in row.targets) == sum(lab != IGNORE for e in examples for lab in e.labels)


def test_tools_added_later_are_offered_from_their_turn_on(tokenizer: Any, tmp_path: Any) -> None:
    from xlam.datasets import read_records
    from xlam.synthesis.multi_turn import MultiTurnConfig, run_multi_turn_synthesis

    run_multi_turn_synthesis(str(tmp_path / "mt"), MultiTurnConfig(n=30, seed=2, missing_function_rate=1.0,
                                                                    irrelevance_rate=0.0, closing_rate=0.0))
    record = next(r for r in read_records(str(tmp_path / "mt")) if any(s.tools_added for s in r.steps))
    withheld = next(n for s in record.steps for n in (s.tools_added or []))
    for expansion in ("per_user_turn", "per_turn"):
        examples = list(RecordRenderer(tokenizer, prompt_mode="bfcl", expansion=expansion, max_seq_len=16384).sft_examples(record))
        seen = []
        for ex in examples:
            system = tokenizer.decode(ex.input_ids).split("<|im_end|>")[0]
            seen.append(f'"name": "{withheld}"' in system)
        assert seen[0] is False and seen[-1] is True and seen == sorted(seen), (expansion, seen)
        trained = [tokenizer.decode([i for i, lab in zip(e.input_ids, e.labels, strict=True) if lab != IGNORE])
                   for e in examples]
        first_use = next(i for i, t in enumerate(trained) if f"{withheld}(" in t)
        assert seen[first_use], "the call of the added tool is trained with the tool in the prompt"


def test_training_batches_from_a_synthesized_multi_turn_dataset(tokenizer: Any, tmp_path: Any) -> None:
    """The training data pipeline (mixture stream -> per-user-turn examples -> packed rows) on synthesized dialogues."""
    from xlam.synthesis.multi_turn import MultiTurnConfig, run_multi_turn_synthesis
    from xlam.training.config import parse_train_config
    from xlam.training.data import TokenBatches

    run_multi_turn_synthesis(str(tmp_path / "mt"), MultiTurnConfig(n=20, seed=8, long_context_rate=0.0))
    cfg = parse_train_config({
        "model": {"recipe": "tiny"},
        "data": {"datasets": [str(tmp_path / "mt")], "expansion": "per_user_turn", "max_seq_len": 4096},
        "distributed": {"launcher": "local", "num_workers": 1, "engine": "torch"},
    })
    batches = TokenBatches(cfg, tokenizer, rank=0, world_size=1)
    batch = batches.next_micro_batch()
    assert batch is not None and batch["input_ids"].shape[1] <= 4096
    assert int((batch["targets"] != IGNORE).sum()) > 0
    assert batches.renderer.stats.examples >= 2 * batches.renderer.stats.records  # several user turns each


def test_mixed_environment_record_masks_exactly_the_assistant_turns(tokenizer: Any, tmp_path: Any) -> None:
    """A synthesized dialogue over two environments (schema 1.2) renders per user turn with loss on exactly its
    assistant turns, the union of both environments' tools in the prompt."""
    from xlam.datasets import read_records
    from xlam.synthesis.multi_turn import MultiTurnConfig, run_multi_turn_synthesis

    run_multi_turn_synthesis(str(tmp_path / "mt"), MultiTurnConfig(n=12, seed=4, mixed_rate=1.0, long_context_rate=0.0,
                                                                    missing_function_rate=0.0))
    record = next(r for r in read_records(str(tmp_path / "mt")) if r.provenance.extra.get("cross_environment_turns"))
    assert record.environment is not None and record.environment.components
    full = next(RecordRenderer(tokenizer, prompt_mode="bfcl", expansion="full", max_seq_len=16384).sft_examples(record))
    text = tokenizer.decode(full.input_ids)
    ids, mask = expected_mask(tokenizer, text)
    assert ids == full.input_ids and [lab != IGNORE for lab in full.labels] == mask
    system = text.split("<|im_end|>")[0]
    assert all(f'"name": "{t.name}"' in system for t in record.tools)  # both environments' tools are offered
    targets = sum(1 for s in record.steps if s.tool_calls or s.response) + (record.answer is not None)
    assert len(ASSISTANT.findall(text)) == targets
    examples = list(RecordRenderer(tokenizer, prompt_mode="bfcl", expansion="per_user_turn",
                                   max_seq_len=16384).sft_examples(record))
    assert len(examples) == 1 + sum(1 for s in record.steps if s.user_input)
    trained = "".join(tokenizer.decode([i for i, lab in zip(e.input_ids, e.labels, strict=True) if lab != IGNORE])
                      for e in examples)
    assert trained == tokenizer.decode([i for i, lab in zip(full.input_ids, full.labels, strict=True) if lab != IGNORE])
