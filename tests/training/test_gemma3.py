"""Gemma-3-270M (the second real model of issue 13): a base model whose GGUF ships no chat template.

The recipe loads the real packaged GGUF (weights and tokenizer), gives the tokenizer Gemma 3's turn format,
renders training prompts exactly as the BFCL prompt-mode evaluation does, ends every target with
``<end_of_turn>``, and trains on the CPU with the platform's own loop (loss falls, the export reloads)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from xlam.bfcl.data import load_questions
from xlam.bfcl.prompts import prompt_mode_messages
from xlam.generators.chat_templates import GEMMA_CHAT_TEMPLATE, ensure_chat_template
from xlam.generators.hf_loading import chat_end_of_turn
from xlam.records import Record, Step, Tool, ToolCall
from xlam.training.config import TrainConfig
from xlam.training.launch import run_training
from xlam.training.models import load_tokenizer
from xlam.training.recipes import get_recipe
from xlam.training.tokenization import IGNORE, RecordRenderer


@pytest.fixture(scope="module")
def gemma_tokenizer() -> Any:
    return load_tokenizer(get_recipe("gemma3"))


def test_turn_format_and_end_of_turn(gemma_tokenizer: Any) -> None:
    tok = gemma_tokenizer
    assert tok.chat_template == GEMMA_CHAT_TEMPLATE and tok.eos_token == "<end_of_turn>" == chat_end_of_turn(tok)
    text = tok.apply_chat_template([{"role": "system", "content": "SYS"}, {"role": "user", "content": "Q"},
                                    {"role": "assistant", "content": "A"}, {"role": "tool", "content": "7"}],
                                   tokenize=False, add_generation_prompt=True)
    assert text == ("<bos><start_of_turn>user\nSYS\n\nQ<end_of_turn>\n<start_of_turn>model\nA<end_of_turn>\n"
                    "<start_of_turn>user\n7<end_of_turn>\n<start_of_turn>model\n")
    assert not ensure_chat_template(tok)  # a template already there is kept
    smol = load_tokenizer(get_recipe("smol"))
    assert not ensure_chat_template(smol) and "<|im_start|>" in smol.chat_template


def test_training_prompt_is_the_bfcl_eval_prompt(gemma_tokenizer: Any) -> None:
    tok = gemma_tokenizer
    renderer = RecordRenderer(tok, prompt_mode="bfcl", max_seq_len=8192)
    checked = 0
    for entry in load_questions("simple_python"):
        if any(k in json.dumps(entry["function"]) for k in ("minimum", "maximum", "pattern", "format")):
            continue
        tools = [Tool.from_bfcl(f) for f in entry["function"]]
        record = Record(id=entry["id"], source="bfcl", tools=tools, query=entry["question"][0][0]["content"],
                        steps=[Step(tool_calls=[ToolCall(name=tools[0].name, arguments={})])])
        (prompt, _), (target, _) = renderer.segments(record)
        messages = [{"role": m.role, "content": m.content} for m in prompt_mode_messages(entry, "simple_python")]
        assert prompt == tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        assert target == f"[{tools[0].name}()]<end_of_turn>"
        checked += 1
        if checked == 10:
            break
    example = next(renderer.sft_examples(record))
    trained = [i for i, label in zip(example.input_ids, example.labels, strict=True) if label != IGNORE]
    assert trained[-1] == tok.convert_tokens_to_ids("<end_of_turn>")
    assert example.input_ids.count(tok.bos_token_id) == 1


@pytest.mark.slow
def test_gemma3_sft_on_cpu(tmp_path: Path, dataset_uri: str) -> None:
    config = TrainConfig.model_validate({
        "output_dir": str(tmp_path / "run"), "model": {"recipe": "gemma3"}, "seed": 3,
        "data": {"datasets": [dataset_uri], "max_seq_len": 1024, "micro_batch_size": 1, "packing": False},
        "optim": {"lr": 1e-4, "warmup_steps": 1, "max_steps": 3},
        "distributed": {"launcher": "local", "num_workers": 1, "engine": "torch"},
        "checkpoint": {"every_steps": 100}})
    result = run_training(config)
    assert result.final_step == 3
    losses = [json.loads(x)["loss"] for x in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines() if x]
    assert len(losses) == 3 and losses[-1] < losses[0], losses
    exported = json.loads((Path(result.hf_export_dir) / "config.json").read_text())
    assert exported["model_type"] == "gemma3_text" and exported["vocab_size"] == 262144
    reloaded = load_tokenizer(get_recipe("gemma3"), checkpoint=result.hf_export_dir)
    assert reloaded.eos_token == "<end_of_turn>" and reloaded.chat_template == GEMMA_CHAT_TEMPLATE


@pytest.mark.slow
def test_packed_documents_do_not_attend_across(gemma_tokenizer: Any) -> None:
    """Packing restarts position_ids per document; Gemma 3's sliding-window and global layers then keep the
    documents apart as for SmolLM2: the second document's logits equal those of it alone."""
    import torch

    from xlam.training.models import build_model

    model = build_model(get_recipe("gemma3"), attn_implementation="sdpa").eval()
    a = gemma_tokenizer("The weather in Paris is sunny today.", add_special_tokens=False)["input_ids"]
    b = gemma_tokenizer("Compute the area of a circle with radius 3.", add_special_tokens=False)["input_ids"]
    packed = torch.tensor([a + b])
    positions = torch.tensor([list(range(len(a))) + list(range(len(b)))])
    with torch.no_grad():
        together = model(input_ids=packed, position_ids=positions, use_cache=False).logits[0, len(a):]
        alone = model(input_ids=torch.tensor([b]), use_cache=False).logits[0]
    assert torch.allclose(together, alone, atol=1e-3, rtol=1e-3), (together - alone).abs().max()


def test_eval_resolves_recipes_to_their_packaged_weights() -> None:
    """`xlam eval bfcl --model gemma3` evaluates the packaged Gemma GGUF, `--model smol` SmolLM2's; a recipe
    with random weights is refused with a message naming what to pass instead."""
    from xlam.evaluation.config import EvalConfig
    from xlam.evaluation.generation import resolve_generator_config

    assert resolve_generator_config(EvalConfig(model="gemma3")).model == "gemma3"
    assert resolve_generator_config(EvalConfig(model="smol")).model == "smol"
    with pytest.raises(ValueError, match=r"no pretrained weights.*checkpoint"):
        resolve_generator_config(EvalConfig(model="tiny-moe"))



def test_character_level_tokenizer_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              gemma_tokenizer: Any) -> None:
    """transformers 5.17 reads Gemma 3's GGUF tokenizer as one token per character (GPU run 7 trained on it
    without an error): a tokenizer like that is refused with the source and the way out named, and a saved
    tokenizer directory (what scripts/gpu/pack.sh ships) replaces the GGUF conversion."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    from xlam.training.models import TokenizerError, gguf_tokenizer_dir

    chars = sorted({chr(c) for c in range(32, 127)})
    backend = Tokenizer(models.BPE(vocab={c: i for i, c in enumerate(chars)}, merges=[]))
    backend.pre_tokenizer = pre_tokenizers.Split("", "isolated")
    PreTrainedTokenizerFast(tokenizer_object=backend, eos_token="~").save_pretrained(tmp_path / "chars")
    monkeypatch.setenv("XLAM_GEMMA3_TOKENIZER", str(tmp_path / "chars"))
    with pytest.raises(TokenizerError, match=r"splits text into characters .*XLAM_GEMMA3_TOKENIZER"):
        load_tokenizer(get_recipe("gemma3"))

    monkeypatch.setenv("XLAM_GEMMA3_TOKENIZER", str(gguf_tokenizer_dir(get_recipe("gemma3"))))
    text = "Book a table for two in Paris."
    assert load_tokenizer(get_recipe("gemma3"))(text)["input_ids"] == gemma_tokenizer(text)["input_ids"]
