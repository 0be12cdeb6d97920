"""Where a trained model draws the line between calling a tool and replying, set on held-out synthetic samples.

In BFCL's prompt mode a greedy model decides at its first answer token: "[" opens a call list, anything else
is a reply (a refusal or a question). GPU runs 5-7 (docs/QUALITY.md) found that decision to be the least
stable part of a trained model: 59-340 of the 1,000 non-live call items answered in prose between recipes
one option apart, and the refused items *nested* across models (one ordering of items by how readily they
are refused, each run cutting it at another point). A cut point can be set instead of left to the run:
``margin = logit("[") - max(logit of every other token)`` at the first answer token is positive exactly when
the model calls, and adding a bias ``b`` to the "[" logit (``EvalConfig.call_bias``; the hf backend applies it
at the first answer token only) moves the cut to ``margin > -b``.

:func:`fit_call_bias` picks ``b`` on samples the model has not trained on but which come from the same
recipe (held-out synthetic call and irrelevance samples, another seed, worded as people word requests:
:data:`NATURAL_PHRASING`; no BFCL data): the ``b`` with the best balanced accuracy of call-or-reply, in the
middle of the widest interval that reaches it. Run it from an experiment with ``eval.call_bias: auto``
(xlam.experiments) or ``xlam eval fit-call-bias``.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from xlam.generators import ChatRequest
from xlam.records import Message, Record

#: Largest bias :func:`fit_call_bias` returns (beyond it one decision wins everywhere).
MAX_BIAS = 20.0

#: Synthesis options laid over the model's recipe for the held-out samples: requests worded as people word them
#: (no copied description verb, arguments inside the sentence), not as the templates the model trained on. On its
#: own template wording a trained model already draws the line well (the quickstart model: held-out call rate 0.94,
#: reply rate 0.92, fitted bias -0.48); on reworded requests it replies more often (call rate 0.94 -> bias +0.47;
#: with rates as percentages too 0.89 -> +1.43), as it does on BFCL's (docs/EVAL.md).
NATURAL_PHRASING: dict[str, float] = {"reword_rate": 1.0, "compact_rate": 1.0}


@dataclass(frozen=True)
class CallBiasFit:
    """The fitted bias and how the held-out samples decide with it and without it."""

    bias: float
    calls: int
    replies: int
    call_rate_before: float
    reply_rate_before: float
    call_rate_after: float
    reply_rate_after: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _rates(call_margins: Sequence[float], reply_margins: Sequence[float], bias: float) -> tuple[float, float]:
    calls = sum(1 for m in call_margins if m + bias > 0) / max(len(call_margins), 1)
    replies = sum(1 for m in reply_margins if m + bias <= 0) / max(len(reply_margins), 1)
    return calls, replies


def fit_call_bias(call_margins: Sequence[float], reply_margins: Sequence[float]) -> CallBiasFit:
    """The bias with the best balanced accuracy (mean of the call rate on call samples and the reply rate on
    reply samples), at the middle of the widest interval of biases that reaches it (within +-``MAX_BIAS``)."""
    if not call_margins or not reply_margins:
        raise ValueError("fitting a call bias needs held-out call samples and reply samples")
    # the decisions change only where bias = -margin: try the middle of every interval between those points
    cuts = sorted({max(-MAX_BIAS, min(MAX_BIAS, -m)) for m in (*call_margins, *reply_margins)} | {-MAX_BIAS, MAX_BIAS})
    best: tuple[float, float, float] | None = None  # (balanced accuracy, interval width, bias)
    for low, high in itertools.pairwise(cuts):
        bias = (low + high) / 2
        score = sum(_rates(call_margins, reply_margins, bias)) / 2
        if best is None or (score, high - low) > best[:2]:
            best = (score, high - low, bias)
    assert best is not None  # cuts holds at least -MAX_BIAS and MAX_BIAS
    bias = round(best[2], 4)
    before, after = _rates(call_margins, reply_margins, 0.0), _rates(call_margins, reply_margins, bias)
    return CallBiasFit(bias=bias, calls=len(call_margins), replies=len(reply_margins),
                       call_rate_before=before[0], reply_rate_before=before[1],
                       call_rate_after=after[0], reply_rate_after=after[1])


def prompt_request(record: Record) -> ChatRequest:
    """The request BFCL's prompt mode builds for a single-turn record (its system prompt over the record's tools,
    the query as the user turn): the same text training renders (tests/training/test_bfcl_rendering.py)."""
    from xlam.training.tokenization import bfcl_system_prompt

    messages = [Message(role="system", content=bfcl_system_prompt(list(record.tools))),
                Message(role="user", content=record.query)]
    return ChatRequest(messages=messages, max_tokens=1, temperature=0.0)


def first_token_margins(generator: Any, requests: Sequence[ChatRequest], *, batch_size: int = 16) -> list[float]:
    """``logit("[") - max(other logits)`` at the first answer token of each request (an ``HFGenerator``)."""
    import torch

    from xlam.generators.hf_backend import call_open_token

    tok, model = generator.loaded.tokenizer, generator.loaded.model
    call_id = call_open_token(tok)
    prompts = [generator.render(r) for r in requests]
    margins: list[float] = []
    side = tok.padding_side
    tok.padding_side = "left"  # the last position is every row's first answer token
    try:
        for start in range(0, len(prompts), batch_size):
            enc = tok(prompts[start:start + batch_size], return_tensors="pt", padding=True,
                      add_special_tokens=False).to(generator.loaded.device)
            with generator.loaded.lock, torch.inference_mode():
                logits = model(**enc).logits[:, -1, :].float()
                call = logits[:, call_id].clone()
                logits[:, call_id] = float("-inf")
                margins.extend((call - logits.max(dim=-1).values).tolist())
    finally:
        tok.padding_side = side
    return margins


def fit_on_records(generator: Any, records: Sequence[Record]) -> CallBiasFit:
    """Fit on single-turn records: those whose answer is a call list against those answered in words."""
    calls = [r for r in records if r.steps and r.steps[0].tool_calls]
    replies = [r for r in records if r.steps and not r.steps[0].tool_calls]
    return fit_call_bias(first_token_margins(generator, [prompt_request(r) for r in calls]),
                         first_token_margins(generator, [prompt_request(r) for r in replies]))


def fit_held_out(generator: Any, synthesis: dict[str, Any], held_out: Path, fitted: Path) -> CallBiasFit:
    """Synthesize the held-out samples (``synthesis``: SynthesisConfig fields, its seed and n included) into
    ``held_out`` unless they are there, fit on them and write the fit to ``fitted`` (JSON)."""
    from xlam.datasets import read_records
    from xlam.synthesis import SynthesisConfig, run_synthesis

    if not (held_out / "manifest.json").is_file():
        run_synthesis(None, str(held_out), SynthesisConfig.model_validate(synthesis))
    fit = fit_on_records(generator, list(read_records(str(held_out))))
    fitted.parent.mkdir(parents=True, exist_ok=True)
    fitted.write_text(json.dumps(fit.as_dict(), indent=2))
    return fit


__all__ = ["MAX_BIAS", "NATURAL_PHRASING", "CallBiasFit", "first_token_margins", "fit_call_bias", "fit_held_out", "fit_on_records", "prompt_request"]
