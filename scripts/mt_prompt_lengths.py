"""First-turn prompt lengths: synthesized multi-turn dialogues vs BFCL's ``multi_turn_base``.

For N dialogues synthesized with the template generator (the fc-smol ``multi-turn`` variant's settings:
``mixed_rate`` 0.5, seed 0, plus any ``--set key=value`` of MultiTurnConfig) and for every BFCL
``multi_turn_base`` entry (installed ``bfcl_eval`` data), reports the number of tools offered at the
first turn and the first turn's prompt length in characters and in SmolLM2 tokens (the chat template
with BFCL's prompt-mode system prompt, as ``xlam eval bfcl`` and ``train.data.prompt_mode: bfcl``
show it). For the dialogues it also renders the training examples (``per_user_turn``, prompt mode
bfcl) and counts those the trainer skips at ``max_seq_len`` 2048 and 8192 (``over_length: skip``).

    PYTHONPATH=. python scripts/mt_prompt_lengths.py --n 200   # PYTHONPATH: this checkout's xlam
    PYTHONPATH=. python scripts/mt_prompt_lengths.py --n 200 --set distractor_environments=2
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
from pathlib import Path
from typing import Any


def _summary(values: list[int]) -> dict[str, Any]:
    if not values:
        return {"n": 0}
    ordered = sorted(values)
    q = statistics.quantiles(ordered, n=10) if len(ordered) > 1 else [ordered[0]] * 9
    return {"n": len(ordered), "min": ordered[0], "p10": round(q[0]), "median": round(statistics.median(ordered)),
            "p90": round(q[-1]), "max": ordered[-1]}


def _tokens(tok: Any, messages: list[dict[str, Any]]) -> int:
    text = tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    return len(tok(text, add_special_tokens=False)["input_ids"])


def dialogue_lengths(n: int, tok: Any, overrides: dict[str, Any]) -> dict[str, Any]:
    from xlam.datasets import read_records
    from xlam.synthesis.multi_turn.config import MultiTurnConfig
    from xlam.synthesis.multi_turn.runner import run_multi_turn_synthesis
    from xlam.synthesis.multi_turn.trajectories import available_tools
    from xlam.training.tokenization import RecordRenderer, bfcl_system_prompt

    config = MultiTurnConfig.model_validate({"seed": 0, "mixed_rate": 0.5, **overrides, "n": n})
    with tempfile.TemporaryDirectory() as tmp:
        out = str(Path(tmp) / "mt")
        run_multi_turn_synthesis(out, config)
        records = list(read_records(out))
    tools_n, chars, tokens = [], [], []
    for record in records:
        first = available_tools(record)[0] if record.steps else {t.name for t in record.tools}
        tools = [t for t in record.tools if t.name in first]
        system = bfcl_system_prompt(tools)
        messages = [{"role": "system", "content": system}, {"role": "user", "content": record.query}]
        tools_n.append(len(tools))
        chars.append(len(system) + len(record.query))
        tokens.append(_tokens(tok, messages))
    training = {}
    for max_len in (2048, 8192):
        renderer = RecordRenderer(tok, prompt_mode="bfcl", expansion="per_user_turn", max_seq_len=max_len,
                                  over_length="skip")
        lengths = [len(ex) for r in records for ex in renderer.sft_examples(r)]
        stats = renderer.stats.as_dict()
        total = stats["examples"] + stats["skipped_over_length"]
        training[str(max_len)] = {"examples_kept": stats["examples"], "skipped_over_length": stats["skipped_over_length"],
                                  "skipped_share": round(stats["skipped_over_length"] / total, 3) if total else 0.0,
                                  "kept_example_tokens": _summary(lengths)}
    return {"config": {k: v for k, v in config.model_dump(mode="json").items() if k in ("n", "mixed_rate", "seed",
                                                                                          *overrides)},
            "dialogues": len(records), "first_turn_tools": _summary(tools_n),
            "first_turn_prompt_chars": _summary(chars), "first_turn_prompt_tokens": _summary(tokens),
            "training_examples": training}


def bfcl_lengths(tok: Any, category: str = "multi_turn_base") -> dict[str, Any]:
    from xlam.bfcl.data import load_questions
    from xlam.bfcl.multi_turn import prepare_entry
    from xlam.evaluation.multi_turn import _with_system_prompt

    tools_n, chars, tokens = [], [], []
    for entry in load_questions(category):
        prepared = prepare_entry(entry)
        messages = _with_system_prompt(list(prepared["question"][0]), prepared["function"])
        tools_n.append(len(prepared["function"]))
        chars.append(sum(len(m.get("content") or "") for m in messages))
        tokens.append(_tokens(tok, messages))
    return {"category": category, "entries": len(tools_n), "first_turn_tools": _summary(tools_n),
            "first_turn_prompt_chars": _summary(chars), "first_turn_prompt_tokens": _summary(tokens)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=200, help="dialogues to synthesize")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="a MultiTurnConfig field (JSON value), e.g. distractor_environments=1")
    parser.add_argument("--no-bfcl", action="store_true", help="skip the BFCL side")
    args = parser.parse_args()
    overrides = {}
    for item in args.set:
        key, _, value = item.partition("=")
        overrides[key] = json.loads(value)
    from xlam.training.models import load_tokenizer
    from xlam.training.recipes import get_recipe

    tok = load_tokenizer(get_recipe("smol"))
    report: dict[str, Any] = {"ours": dialogue_lengths(args.n, tok, overrides)}
    if not args.no_bfcl:
        report["bfcl"] = bfcl_lengths(tok)
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
