"""The ``hf`` backend: a local transformers causal LM with batched, left-padded generation.

Prompts are rendered with the model's chat template. Tools are passed natively
(``apply_chat_template(..., tools=...)``) when the template renders them; otherwise (SmolLM2's
template ignores tools) the tool list and the output-format instruction are put in the system
message. Tool calls are decoded from the output text with :mod:`xlam.formats`.

Speed: generation keeps the KV cache (``use_cache=True`` whatever the checkpoint's
``generation_config`` says), batches prompts of similar length together (longest first, so padding
is small), and a request with ``metadata={"stop_at": "call_list"}`` stops as soon as its output is
a complete Python call list (the ``[`` it starts with is closed, outside string literals): BFCL's
prompt-mode answers end there, so the tokens after it are never computed and the text is cut there.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from itertools import groupby
from typing import Any

from xlam.generators.base import ChatRequest, ChatResponse, FinishReason, Generator, Usage
from xlam.generators.config import GeneratorConfig
from xlam.generators.hf_loading import LoadedModel, load_model
from xlam.generators.parsing import decode_tool_calls, tools_system_prompt
from xlam.records import Message

_PROBE_TOOL = {
    "type": "function",
    "function": {"name": "xlam_probe_tool_q7", "description": "probe", "parameters": {"type": "object", "properties": {}}},
}


def template_renders_tools(tokenizer: Any) -> bool:
    """Whether the tokenizer's chat template puts a ``tools=`` list into the prompt."""
    if not getattr(tokenizer, "chat_template", None):
        return False
    try:
        text = tokenizer.apply_chat_template(
            [{"role": "user", "content": "hi"}], tools=[_PROBE_TOOL], add_generation_prompt=True, tokenize=False
        )
    except Exception:  # templates raise arbitrary jinja errors
        return False
    return "xlam_probe_tool_q7" in str(text)


def _native_message(message: Message) -> dict[str, Any]:
    out: dict[str, Any] = {"role": message.role, "content": message.content or ""}
    if message.tool_calls:
        out["tool_calls"] = [
            {"type": "function", "id": c.id or f"call_{i}", "function": {"name": c.name, "arguments": c.arguments}}
            for i, c in enumerate(message.tool_calls)
        ]
    if message.tool_call_id:
        out["tool_call_id"] = message.tool_call_id
    if message.name:
        out["name"] = message.name
    return out


def _prompt_mode_message(message: Message) -> dict[str, Any]:
    """Messages for templates without tool support: calls and results become text."""
    if message.role == "assistant" and message.tool_calls:
        calls = [{"name": c.name, "arguments": c.arguments} for c in message.tool_calls]
        text = (message.content + "\n" if message.content else "") + json.dumps(calls, ensure_ascii=False)
        return {"role": "assistant", "content": text}
    if message.role == "tool":
        return {"role": "user", "content": f"Result of {message.name or 'the tool call'}: {message.content or ''}"}
    return {"role": message.role, "content": message.content or ""}


#: ``ChatRequest.metadata["stop_at"]`` value: stop once the output is a complete call list.
STOP_AT_CALL_LIST = "call_list"


def call_list_end(text: str) -> int | None:
    """End offset (exclusive) of the call list ``text`` starts with, once its ``[`` is closed.

    Leading whitespace and a Markdown code fence (`````python``) are skipped; brackets inside string
    literals do not count. ``None`` while the list is still open or when ``text`` is not a list.
    """
    i, n = 0, len(text)
    while i < n and text[i] in " \t\r\n`":
        i += 1
    if text.startswith("python", i):
        i += len("python")
        while i < n and text[i] in " \t\r\n":
            i += 1
    if i >= n or text[i] != "[":
        return None
    depth, quote = 0, ""
    while i < n:
        ch = text[i]
        if quote:
            if ch == "\\":
                i += 1
            elif ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return None


def _call_list_stopper(tokenizer: Any, prompt_len: int, active: list[bool]) -> Any:
    """A transformers ``StoppingCriteria``: row ``i`` is done once its new text is a complete call list."""
    import torch
    from transformers import StoppingCriteria

    class CallListStop(StoppingCriteria):  # type: ignore[misc,unused-ignore]  # Any without stubs
        def __init__(self) -> None:
            self.done = [False] * len(active)

        def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
            for row, on in enumerate(active):
                if on and not self.done[row]:
                    text = tokenizer.decode(input_ids[row, prompt_len:], skip_special_tokens=True)
                    self.done[row] = call_list_end(text) is not None
            return torch.tensor(self.done, dtype=torch.bool, device=input_ids.device)

    return CallListStop()


#: ``ChatRequest.metadata`` key: a float added to the logit of the call list's opening token at the answer's
#: first token (prompt mode; ``EvalConfig.call_bias``, xlam.evaluation.call_bias).
CALL_BIAS = "call_bias"


def call_open_token(tokenizer: Any) -> int:
    """The token a Python call list starts with ("[" as its own token, as the trained targets begin)."""
    ids = tokenizer("[calculate_area(base=10)]", add_special_tokens=False)["input_ids"]
    if not ids or tokenizer.decode(ids[:1]) != "[":
        raise ValueError(f"this tokenizer does not start a call list with a '[' token ({tokenizer.decode(ids[:1])!r})")
    return int(ids[0])


def _first_token_bias(token_id: int, prompt_len: int, biases: list[float]) -> Any:
    """A transformers ``LogitsProcessor`` adding ``biases[row]`` to ``token_id``'s logit at the first new token."""
    import torch
    from transformers import LogitsProcessor

    class FirstTokenBias(LogitsProcessor):  # type: ignore[misc,unused-ignore]  # Any without stubs
        def __call__(self, input_ids: Any, scores: Any) -> Any:
            if input_ids.shape[1] == prompt_len:
                scores[:, token_id] += torch.tensor(biases, dtype=scores.dtype, device=scores.device)
            return scores

    return FirstTokenBias()


class HFGenerator(Generator):
    """Greedy (or sampled) generation with a local model; batches of ``config.batch_size``."""

    def __init__(self, config: GeneratorConfig | None = None, *, loaded: LoadedModel | None = None) -> None:
        self.config = config or GeneratorConfig(backend="hf")
        self.loaded = loaded or load_model(self.config.model, device=self.config.device, dtype=self.config.dtype)
        self.name = f"hf:{self.loaded.name}"
        mode = self.config.tool_prompt
        self.native_tools = template_renders_tools(self.loaded.tokenizer) if mode == "auto" else mode == "native"

    # --- prompts --------------------------------------------------------------------------------
    def render(self, request: ChatRequest) -> str:
        """The exact prompt text the model sees for ``request``."""
        tok = self.loaded.tokenizer
        if request.tools and self.native_tools:
            messages = [_native_message(m) for m in request.messages]
            tools = [t.to_openai(strip_extensions=True) for t in request.tools]
            return str(tok.apply_chat_template(messages, tools=tools, add_generation_prompt=True, tokenize=False))
        messages = [_prompt_mode_message(m) for m in request.messages]
        if request.tools:
            instruction = tools_system_prompt(request.tools, self.config.output_format)
            if messages and messages[0]["role"] == "system":
                messages[0] = {"role": "system", "content": f"{messages[0]['content']}\n\n{instruction}".strip()}
            else:
                messages.insert(0, {"role": "system", "content": instruction})
        if getattr(tok, "chat_template", None):
            return str(tok.apply_chat_template(messages, add_generation_prompt=True, tokenize=False))
        lines = [f"{m['role']}: {m['content']}" for m in messages]
        return "\n".join([*lines, "assistant:"])

    # --- generation -----------------------------------------------------------------------------
    def _generate_batch(self, batch: list[ChatRequest], prompts: list[str]) -> list[ChatResponse]:
        import torch

        tok, model = self.loaded.tokenizer, self.loaded.model
        enc = tok(prompts, return_tensors="pt", padding=True, add_special_tokens=False).to(self.loaded.device)
        first = batch[0]
        sample = first.temperature > 0
        kwargs: dict[str, Any] = {
            "max_new_tokens": max(r.max_tokens for r in batch),
            "do_sample": sample,
            "pad_token_id": tok.pad_token_id,
            "use_cache": True,
        }
        stop_rows = [r.metadata.get("stop_at") == STOP_AT_CALL_LIST for r in batch]
        prompt_len = enc["input_ids"].shape[1]
        if any(stop_rows):
            from transformers import StoppingCriteriaList

            kwargs["stopping_criteria"] = StoppingCriteriaList([_call_list_stopper(tok, prompt_len, stop_rows)])
        biases = [float(r.metadata.get(CALL_BIAS) or 0.0) for r in batch]
        if any(biases):
            from transformers import LogitsProcessorList

            kwargs["logits_processor"] = LogitsProcessorList([_first_token_bias(call_open_token(tok), prompt_len, biases)])
        if sample:
            kwargs.update(temperature=first.temperature, top_p=first.top_p, top_k=0)
        else:
            kwargs.update(temperature=None, top_p=None, top_k=None)
        start = time.perf_counter()
        with self.loaded.lock, torch.inference_mode():
            if sample:
                torch.manual_seed(first.seed if first.seed is not None else self.config.seed)
            out = model.generate(**enc, **kwargs)
        seconds = (time.perf_counter() - start) / len(batch)
        eos = {tok.eos_token_id, tok.pad_token_id}
        gen_eos = model.generation_config.eos_token_id  # an int, a list or None
        eos.update(gen_eos if isinstance(gen_eos, list) else [] if gen_eos is None else [gen_eos])
        responses = []
        for i, request in enumerate(batch):
            ids = out[i, prompt_len:].tolist()[: request.max_tokens]
            stopped = next((j for j, t in enumerate(ids) if t in eos), None)
            if stopped is not None:
                ids = ids[:stopped]
            text = tok.decode(ids, skip_special_tokens=True)
            finish: FinishReason = "stop" if stopped is not None else "length"
            cut = min((k for s in request.stop if (k := text.find(s)) >= 0), default=-1)
            if cut >= 0:
                text, finish = text[:cut], "stop"
            if stop_rows[i] and (end := call_list_end(text)) is not None:
                text, finish = text[:end], "stop"
            text = text.strip()
            calls = decode_tool_calls(text) if request.tools else []
            if calls:
                finish = "tool_calls"
            prompt_tokens = int(enc["attention_mask"][i].sum())
            responses.append(
                ChatResponse(
                    text=text,
                    tool_calls=calls,
                    finish_reason=finish,
                    usage=Usage(prompt_tokens=prompt_tokens, completion_tokens=len(ids)),
                    model=self.loaded.name,
                    seconds=seconds,
                )
            )
        return responses

    def generate(self, requests: Sequence[ChatRequest]) -> list[ChatResponse]:
        """Batched generation. Requests with the same sampling settings are batched together,
        longest prompts first; results come back in request order."""
        prompts = [self.render(r) for r in requests]
        order = sorted(
            range(len(requests)),
            key=lambda i: (requests[i].temperature, requests[i].top_p, requests[i].seed or 0, -len(prompts[i])),
        )
        results: dict[int, ChatResponse] = {}

        def sampling_key(i: int) -> tuple[float, float, int]:
            return requests[i].temperature, requests[i].top_p, requests[i].seed or 0

        for _, group in groupby(order, key=sampling_key):
            indices = list(group)
            for b in range(0, len(indices), self.config.batch_size):
                chunk = indices[b : b + self.config.batch_size]
                responses = self._generate_batch([requests[i] for i in chunk], [prompts[i] for i in chunk])
                for i, response in zip(chunk, responses, strict=True):
                    results[i] = response
        return [results[i] for i in range(len(requests))]

    def describe(self) -> str:
        return self.name
