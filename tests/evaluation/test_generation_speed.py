"""Evaluation speed: KV cache kept after export, the batch size honoured, batches sorted by prompt
length, generation stopped at a complete call list, and max_tokens fitted to the gold answers."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
import torch

from xlam.evaluation import EvalConfig, run_bfcl_eval
from xlam.evaluation.harness import (
    fitted_max_tokens,
    fitted_max_tokens_by_category,
    gold_answer_text,
    select_entries,
)
from xlam.generators import ChatRequest, ChatResponse, GeneratorConfig
from xlam.generators.hf_backend import HFGenerator, _call_list_stopper, call_list_end

CATS = ["simple_python", "multiple", "parallel", "parallel_multiple", "irrelevance"]


@pytest.fixture(scope="module")
def tokenizer() -> Any:
    from xlam.training.models import load_tokenizer
    from xlam.training.recipes import get_recipe

    return load_tokenizer(get_recipe("tiny"))


@pytest.fixture(scope="module")
def tiny_export(tmp_path_factory: pytest.TempPathFactory, tokenizer: Any) -> Path:
    """A random 2-layer Llama exported by the training export path from a config with the KV cache
    off (as the training loop leaves it)."""
    from transformers import AutoModelForCausalLM

    from xlam.training import TrainConfig
    from xlam.training.export import write_hf
    from xlam.training.recipes import get_recipe

    hf_config = get_recipe("tiny").config()
    hf_config.use_cache = False  # what Trainer sets before training
    torch.manual_seed(0)
    state = AutoModelForCausalLM.from_config(hf_config).state_dict()
    config = TrainConfig.model_validate({"model": {"recipe": "tiny"}, "data": {"datasets": ["unused"]}})
    out = tmp_path_factory.mktemp("export") / "hf"
    return write_hf(config, hf_config, state, tokenizer, out, {"name": "test"})


def test_export_keeps_the_kv_cache_on(tiny_export: Path) -> None:
    """Defect: exports carried use_cache=false in generation_config.json, so generate() recomputed
    the whole prefix for every new token."""
    assert json.loads((tiny_export / "generation_config.json").read_text())["use_cache"] is True
    assert json.loads((tiny_export / "config.json").read_text())["use_cache"] is True
    from xlam.generators.hf_loading import load_model

    loaded = load_model(str(tiny_export))
    assert loaded.model.generation_config.use_cache is True


def test_loading_an_old_export_turns_the_cache_back_on(tiny_export: Path, tmp_path: Path) -> None:
    import shutil

    old = tmp_path / "old-export"
    shutil.copytree(tiny_export, old)
    gen_cfg = json.loads((old / "generation_config.json").read_text())
    (old / "generation_config.json").write_text(json.dumps({**gen_cfg, "use_cache": False}))
    from xlam.generators.hf_loading import load_model

    assert load_model(str(old)).model.generation_config.use_cache is True


@pytest.mark.parametrize(("text", "end"), [
    ("[f(a=1)]", 8),
    ("  [f(a=1), g(b='x]')] trailing words", 21),
    ("```python\n[f(a=[1, 2])]\n```", 23),
    ("[f(a=1)", None),
    ("[f(a='[')", None),
    ("Sorry, none of the functions can answer this.", None),
    ("f(a=1)", None),
    ("", None),
])
def test_call_list_end(text: str, end: int | None) -> None:
    assert call_list_end(text) == end


def test_stopper_marks_rows_whose_call_list_closed(tokenizer: Any) -> None:
    prompt = tokenizer("<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n", add_special_tokens=False)["input_ids"]
    texts = ["[get_weather(city='Paris')] ok", "[get_weather(city='Pa", "I cannot help with that.]"]
    rows = [prompt + tokenizer(t, add_special_tokens=False)["input_ids"] for t in texts]
    width = max(map(len, rows))
    pad = tokenizer.pad_token_id
    ids = torch.tensor([[pad] * (width - len(r)) + r for r in rows])  # left padding, as in generation
    # the prompt length in a left-padded batch is the padded width of the prompts
    stop = _call_list_stopper(tokenizer, width - max(len(r) - len(prompt) for r in rows), [True, True, True])
    assert stop(ids, None).tolist() == [True, False, False]
    off = _call_list_stopper(tokenizer, width - max(len(r) - len(prompt) for r in rows), [False, True, True])
    assert off(ids, None).tolist() == [False, False, False]


class BatchRecorder(HFGenerator):
    """The real hf generator, recording the size and prompt lengths of every generate() batch."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.batches: list[list[int]] = []
        self.budgets: dict[str, int] = {}

    def _generate_batch(self, batch: list[ChatRequest], prompts: list[str]) -> list[ChatResponse]:
        self.batches.append([len(p) for p in prompts])
        for request in batch:
            self.budgets[request.messages[-1].content or ""] = request.max_tokens
        return super()._generate_batch(batch, prompts)

    def generate(self, requests: Sequence[ChatRequest]) -> list[ChatResponse]:
        return super().generate(requests)


@pytest.mark.slow
def test_batch_size_is_honoured_longest_prompts_first(tiny_export: Path, tmp_path: Path) -> None:
    """Defect: --batch-size 32 acted as 16 (the harness sent fixed chunks of 16)."""
    config = EvalConfig(model=str(tiny_export), categories=CATS, limit=8, max_tokens=4,
                        generator=GeneratorConfig(backend="hf", batch_size=32))
    gen = BatchRecorder(GeneratorConfig(backend="hf", model=str(tiny_export), batch_size=32, tool_prompt="prompt"))
    result = run_bfcl_eval(config, tmp_path / "eval", generator=gen, progress=False)
    assert result.items == 40
    assert [len(b) for b in gen.batches] == [32, 8]
    # sorted by prompt length over the whole run: no prompt of the second batch is longer than one of the first
    assert min(gen.batches[0]) >= max(gen.batches[1])
    lines = [json.loads(x) for x in (tmp_path / "eval" / "results.jsonl").read_text().splitlines()]
    assert sorted((d["category"], d["id"]) for d in lines) == sorted(
        (c, str(e["id"])) for c, e, _ in select_entries(config))


def test_gold_answer_text_takes_the_longest_accepted_value() -> None:
    entry = {"id": "x", "function": []}
    answer = [{"calc_area": {"base": [10], "height": [5], "unit": ["units", "square units", ""]}},
              {"other.fn": {"flag": [True]}}]
    assert gold_answer_text(entry, answer) == "[calc_area(base=10, height=5, unit='square units'), other.fn(flag=True)]"
    assert gold_answer_text(entry, [{"f": {"opt": [""]}}]) == "[f()]"
    assert gold_answer_text(entry, None) == ""


def test_fitted_max_tokens_covers_every_gold_answer(tokenizer: Any) -> None:
    config = EvalConfig(categories=CATS, limit=20)
    fitted = fitted_max_tokens(config, tokenizer, margin=0)
    lengths = [len(tokenizer(gold_answer_text(e, a), add_special_tokens=False)["input_ids"])
               for _, e, a in select_entries(config)]
    assert fitted == max(lengths) and fitted > 32  # parallel_multiple answers are long
    assert fitted_max_tokens(config, tokenizer) == fitted + 16


@pytest.mark.slow
def test_fit_max_tokens_gives_each_category_its_gold_budget(tiny_export: Path, tmp_path: Path, tokenizer: Any) -> None:
    config = EvalConfig(model=str(tiny_export), categories=CATS, limit=2, max_tokens=60, fit_max_tokens=True,
                        generator=GeneratorConfig(backend="hf", batch_size=4))
    gen = BatchRecorder(GeneratorConfig(backend="hf", model=str(tiny_export), batch_size=4, tool_prompt="prompt"))
    run_bfcl_eval(config, tmp_path / "eval", generator=gen, progress=False)
    fitted = fitted_max_tokens_by_category(config, tokenizer)
    for category, entry, _ in select_entries(config):
        question = entry["question"][0][-1]["content"]
        assert gen.budgets[question] == min(60, fitted[category]), category
    assert fitted["irrelevance"] == 32 and fitted["simple_python"] < 60 < fitted["parallel"]
    lines = [json.loads(x) for x in (tmp_path / "eval" / "results.jsonl").read_text().splitlines()]
    for line in lines:  # no answer ran past its budget
        assert line["usage"]["completion_tokens"] <= min(60, fitted[line["category"]])
