"""Training prompts agree with BFCL's prompt-mode evaluation prompts by construction (issue 13).

The default training rendering (``data.prompt_mode: bfcl``) must show the model exactly the text
``xlam eval bfcl`` shows it: the same system prompt, tools in BFCL's JSON form, the query as the
user turn, and a Python call list as the target, closed by the chat template's end-of-turn token.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from xlam.bfcl.data import load_questions
from xlam.bfcl.prompts import prompt_mode_messages
from xlam.generators.hf_loading import chat_end_of_turn, pin_chat_eos
from xlam.records import Record, Step, Tool, ToolCall
from xlam.training.config import TrainConfig
from xlam.training.models import load_tokenizer
from xlam.training.recipes import RECIPES, get_recipe
from xlam.training.tokenization import IGNORE, RecordRenderer

_NON_BFCL = ("minimum", "maximum", "minItems", "maxItems", "pattern", "format", "additionalProperties")


def _eval_prompt(tok: Any, entry: dict[str, Any], category: str) -> str:
    messages = [{"role": m.role, "content": m.content} for m in prompt_mode_messages(entry, category)]
    return str(tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=True))


@pytest.mark.parametrize("category", ["simple_python", "multiple", "parallel", "parallel_multiple", "irrelevance"])
def test_training_prompt_is_the_bfcl_eval_prompt(tokenizer: Any, category: str) -> None:
    renderer = RecordRenderer(tokenizer, prompt_mode="bfcl", max_seq_len=8192)
    checked = 0
    for entry in load_questions(category):
        if any(key in json.dumps(entry["function"]) for key in _NON_BFCL):
            continue
        if len(entry["question"][0]) != 1:  # a system turn of its own is merged by BFCL; covered below
            continue
        tools = [Tool.from_bfcl(f) for f in entry["function"]]
        call = ToolCall(name=tools[0].name, arguments={})
        record = Record(id=entry["id"], source="bfcl", tools=tools, query=entry["question"][0][0]["content"],
                        steps=[Step(tool_calls=[call])])
        (prompt, is_target), (target, target_flag) = renderer.segments(record)
        assert not is_target and target_flag
        assert prompt == _eval_prompt(tokenizer, entry, category), entry["id"]
        assert target == f"[{tools[0].name}()]" + chat_end_of_turn(tokenizer)
        checked += 1
        if checked == 25:
            break
    assert checked >= 10


def test_defaults_train_on_the_bfcl_rendering() -> None:
    config = TrainConfig.model_validate({"model": {"recipe": "tiny"}, "data": {"datasets": ["/tmp/x"]}})
    assert config.data.prompt_mode == "bfcl" and config.data.output_format == "python_calls"


def test_refusal_and_multi_turn_targets(tokenizer: Any) -> None:
    add = Tool(name="math.add", description="Add two integers.",
               parameters={"type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
                           "required": ["a", "b"]})
    record = Record(id="r1", source="t", tools=[add], query="Add two numbers.", steps=[
        Step(response="Which two numbers should I add?", user_input="3 and 4, please."),
        Step(tool_calls=[ToolCall(name="math.add", arguments={"a": 3, "b": 4})], observations=[7]),
    ], answer="3 + 4 = 7.")
    renderer = RecordRenderer(tokenizer, prompt_mode="bfcl", max_seq_len=4096)
    examples = list(renderer.sft_examples(record))
    assert len(examples) == 3
    targets = [tokenizer.decode([i for i, lab in zip(e.input_ids, e.labels, strict=True) if lab != IGNORE])
               for e in examples]
    end = chat_end_of_turn(tokenizer)
    assert targets == [f"Which two numbers should I add?{end}", f"[math.add(a=3, b=4)]{end}", f"3 + 4 = 7.{end}"]
    last = tokenizer.decode(examples[2].input_ids)
    assert "3 and 4, please." in last and "<|im_start|>tool\n7" in last  # the result as a tool message
    assert '"type": "dict"' in last and "Note that the provided function is in Python 3 syntax." in last


@pytest.mark.parametrize("recipe", sorted(RECIPES))
def test_every_recipe_target_ends_with_the_end_of_turn_token(recipe: str) -> None:
    tok = load_tokenizer(get_recipe(recipe))
    end = chat_end_of_turn(tok)
    assert end is not None and tok.eos_token == end
    record = Record(id="r", source="t", tools=[], query="hi", steps=[Step(response="hello")])
    example = next(RecordRenderer(tok, prompt_mode="bfcl").sft_examples(record))
    trained = [i for i, lab in zip(example.input_ids, example.labels, strict=True) if lab != IGNORE]
    assert trained[-1] == tok.convert_tokens_to_ids(end)


def test_a_wrong_gguf_eos_is_pinned_to_the_template(tokenizer: Any) -> None:
    """transformers 5.17 reads <|im_start|> as SmolLM2's EOS: pinning restores the end-of-turn token."""
    import copy

    tok = copy.deepcopy(tokenizer)
    tok.eos_token = "<|im_start|>"
    pin_chat_eos(tok)
    assert tok.eos_token == "<|im_end|>" == chat_end_of_turn(tokenizer)


def test_cli_starts_with_only_the_core_importable(tmp_path: Any) -> None:
    """find_spec('pipelines.cli') raises when 'pipelines' is missing: the CLI must still start."""
    code = (
        "import sys, importlib.abc\n"
        "class Block(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('services', 'pipelines', 'operators'):\n"
        "            raise ModuleNotFoundError(f'No module named {name!r}', name=name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "from xlam.cli.main import app\n"
        "from typer.testing import CliRunner\n"
        "result = CliRunner().invoke(app, ['--help'])\n"
        "print(result.exit_code)\n"
        "assert result.exit_code == 0, result.output\n"
        "assert 'data' in result.output\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
