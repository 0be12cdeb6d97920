"""Unified records -> token examples with loss masks (SFT) or chosen/rejected pairs (DPO).

Rendering:

- **bfcl** (the default): exactly what ``xlam eval bfcl`` shows the model in prompt mode: BFCL's
  system prompt (:func:`xlam.bfcl.prompts.system_prompt`) listing the record's tools in BFCL's JSON
  form (``"type": "dict"``, the "Python 3 syntax" note), the query as the user message, later turns
  as chat messages (tool results as ``tool`` messages), and Python call lists (``python_calls``) as
  targets, a reply text where a turn makes no call. Training and scoring prompts agree by construction;
- **native** (the chat template takes ``tools``): system = task instruction + format instruction,
  tools passed to ``apply_chat_template(tools=...)``, then the conversation (user query, assistant
  turns, ``tool`` results, user follow-ups);
- **prompt** (templates without tools, e.g. SmolLM2): each assistant turn is asked for with one user
  message, the xLAM v1 sectioned prompt of :func:`xlam.prompts.render_prompt` with the earlier steps
  as history (this is how xLAM v1 was served).

Assistant targets are always the gold step rendered by the record's output format
(``record.meta['output_format']`` or the configured default) through :mod:`xlam.formats`, with the
thought kept unless ``keep_thought`` is false. Every target ends with the tokenizer's EOS (the
template's own end-of-turn when that is EOS, else EOS is appended).

Expansion: ``per_turn`` yields one example per assistant turn with loss on that turn only (xLAM);
``full`` yields one example per record with loss on every assistant turn (native mode only; prompt
mode is per turn by construction); ``per_user_turn`` (multi-turn records) yields one example per
user turn with loss on every assistant turn of it (its tool calls and its reply). Tools that appear
at a later turn (``Step.tools_added``) are offered only from that turn on (per_turn and
per_user_turn; see :mod:`xlam.training.multi_turn`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from xlam import formats, prompts
from xlam.bfcl.prompts import preprocess_functions, system_prompt
from xlam.records import Record, Step, Tool
from xlam.records.conversation import observation_text
from xlam.training import multi_turn

IGNORE = -100


@dataclass
class TokenExample:
    """One SFT example: ``labels`` is ``IGNORE`` outside assistant targets."""

    input_ids: list[int]
    labels: list[int]
    record_id: str
    turn: int

    def __len__(self) -> int:
        return len(self.input_ids)


@dataclass
class PreferenceExample:
    """One DPO pair sharing a prompt. Reference log-probs are set when precomputed."""

    prompt_ids: list[int]
    chosen_ids: list[int]
    rejected_ids: list[int]
    record_id: str
    ref_chosen_logp: float | None = None
    ref_rejected_logp: float | None = None

    def __len__(self) -> int:
        """Tokens it takes in a packed row: (prompt + chosen) and (prompt + rejected)."""
        return 2 * len(self.prompt_ids) + len(self.chosen_ids) + len(self.rejected_ids)


@dataclass
class RenderStats:
    """Counts of what rendering did (reported in the training metrics)."""

    records: int = 0
    examples: int = 0
    skipped_over_length: int = 0
    truncated: int = 0
    skipped_no_target: int = 0
    skipped_no_rejected: int = 0
    by_reason: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, int]:
        return {
            "records": self.records,
            "examples": self.examples,
            "skipped_over_length": self.skipped_over_length,
            "truncated": self.truncated,
            "skipped_no_target": self.skipped_no_target,
            "skipped_no_rejected": self.skipped_no_rejected,
        }


# JSON-Schema keywords BFCL's function docs never use: left out of the BFCL rendering of our tools.
_NON_BFCL_KEYS = frozenset({"minItems", "maxItems", "minLength", "maxLength", "additionalProperties", "pattern",
                            "format", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "title"})


def _bfcl_clean(schema: Any) -> Any:
    if isinstance(schema, dict):
        return {k: _bfcl_clean(v) for k, v in schema.items() if k not in _NON_BFCL_KEYS}
    if isinstance(schema, list):
        return [_bfcl_clean(v) for v in schema]
    return schema


def bfcl_functions(tools: list[Tool]) -> list[dict[str, Any]]:
    """Tools as BFCL function docs, pre-processed as BFCL does for Python categories."""
    docs = [{k: _bfcl_clean(v) if k == "parameters" else v for k, v in t.to_bfcl().items()} for t in tools]
    return preprocess_functions(docs, "simple_python")


def bfcl_system_prompt(tools: list[Tool], extra_system: str = "") -> str:
    """BFCL's prompt-mode system prompt for ``tools`` (an existing system text is appended, as BFCL does)."""
    prompt = system_prompt(bfcl_functions(tools))
    return f"{prompt}\n\n{extra_system}" if extra_system else prompt


def _late_tools(record: Record) -> bool:
    """Whether some tool appears only at a later turn (``Step.tools_added``)."""
    return any(s.tools_added for s in record.steps)


def template_takes_tools(tokenizer: Any) -> bool:
    """Whether the tokenizer's chat template renders a ``tools`` argument."""
    template = getattr(tokenizer, "chat_template", None) or ""
    return isinstance(template, str) and "tools" in template


class RecordRenderer:
    """Turns records into token examples for one tokenizer and data configuration."""

    def __init__(
        self,
        tokenizer: Any,
        *,
        output_format: str = "xlam_json",
        prompt_mode: str = "auto",
        prompt_style: dict[str, Any] | None = None,
        expansion: str = "per_turn",
        keep_thought: bool = True,
        max_seq_len: int = 1024,
        over_length: str = "skip",
    ) -> None:
        self.tok = tokenizer
        self.bfcl = prompt_mode == "bfcl"
        self.output_format = "python_calls" if self.bfcl else output_format
        # bfcl mode is a chat conversation (like native) whose tools live in the system prompt
        self.native = self.bfcl or prompt_mode == "native" or (
            prompt_mode == "auto" and template_takes_tools(tokenizer))
        self.prompt_style_fields = dict(prompt_style or {})
        self.expansion = expansion
        self.keep_thought = keep_thought
        self.max_seq_len = max_seq_len
        self.over_length = over_length
        self.eos_text: str = tokenizer.eos_token
        self.eos_id: int = tokenizer.eos_token_id
        self.stats = RenderStats()

    # --- targets -----------------------------------------------------------------------------
    def _format(self, record: Record) -> Any:
        if self.bfcl:
            return formats.get_format("python_calls")
        return formats.get_format(record.meta.get("output_format") or self.output_format)

    def _target_text(self, record: Record, step: Step) -> str:
        clean = step.model_copy(
            update={"observations": [], "user_input": "", **({} if self.keep_thought else {"thought": ""})}
        )
        return str(self._format(record).render(clean))

    @staticmethod
    def _is_target(step: Step) -> bool:
        return bool(step.tool_calls or step.response or step.thought)

    def _turns(self, record: Record) -> list[Step]:
        """The assistant turns of ``record``, in order (the final answer as a response step)."""
        turns = [s for s in record.steps if self._is_target(s)]
        if record.answer is not None:
            turns.append(Step(response=record.answer))
        return turns

    # --- chat rendering ------------------------------------------------------------------------
    def _apply(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None, gen: bool) -> str:
        kwargs: dict[str, Any] = {"tokenize": False, "add_generation_prompt": gen}
        if tools:
            kwargs["tools"] = tools
        return str(self.tok.apply_chat_template(messages, **kwargs))

    def _native_messages(self, record: Record, targets: dict[int, str]) -> tuple[list[dict[str, Any]], list[int]]:
        """Messages of the whole conversation and the index of each assistant message."""
        fmt = self._format(record)
        if self.bfcl:
            system = bfcl_system_prompt(list(record.tools))
        else:
            system = "\n\n".join(x for x in (record.task_instruction, record.format_instruction or fmt.instruction) if x)
        msgs: list[dict[str, Any]] = [{"role": "system", "content": system}] if system else []
        if record.query:
            msgs.append({"role": "user", "content": record.query})
        assistant_at: list[int] = []
        turn = 0
        for step in record.steps:
            if self._is_target(step):
                assistant_at.append(len(msgs))
                msgs.append({"role": "assistant", "content": targets[turn]})
                turn += 1
                for i, obs in enumerate(step.observations[: len(step.tool_calls)]):
                    call = step.tool_calls[i]
                    msgs.append({"role": "tool", "name": call.name, "tool_call_id": call.id or f"call_{i}",
                                 "content": observation_text(obs)})
            if step.user_input:
                msgs.append({"role": "user", "content": step.user_input})
        if record.answer is not None:
            assistant_at.append(len(msgs))
            msgs.append({"role": "assistant", "content": targets[turn]})
        return msgs, assistant_at

    def _split_eos(self, target: str) -> tuple[str, str]:
        """(target up to and including EOS, the template text after it)."""
        at = target.find(self.eos_text)
        if at < 0:
            return target + self.eos_text, ""
        end = at + len(self.eos_text)
        return target[:end], target[end:]

    def segments(self, record: Record, *, replace_last: str | None = None) -> list[tuple[str, bool]]:
        """The conversation as (text, is_target) segments; ``replace_last`` swaps the last target's text."""
        turns = self._turns(record)
        texts = [self._target_text(record, s) for s in turns]
        if replace_last is not None and texts:
            texts[-1] = replace_last
        if not self.native:
            return self._prompt_segments(record, texts)
        msgs, assistant_at = self._native_messages(record, dict(enumerate(texts)))
        tools = None if self.bfcl else ([t.to_openai() for t in record.tools] or None)
        out: list[tuple[str, bool]] = []
        done, carry = "", ""
        for idx in assistant_at:
            prompt = self._apply(msgs[:idx], tools, gen=True)
            full = self._apply(msgs[: idx + 1], tools, gen=False)
            if not prompt.startswith(done) or not full.startswith(prompt):
                raise ValueError(f"record {record.id}: chat template is not prefix-stable; use prompt_mode=prompt")
            target, rest = self._split_eos(full[len(prompt):])
            out.append((carry + prompt[len(done):], False))
            out.append((target, True))
            done, carry = full, rest
        return out

    def _prompt_segments(self, record: Record, texts: list[str]) -> list[tuple[str, bool]]:
        style = prompts.PromptStyle(**{"output_format": self._format(record).name, **self.prompt_style_fields})
        out: list[tuple[str, bool]] = []
        history = 0
        turn = 0
        for step in [*record.steps, None]:
            if step is not None and not self._is_target(step):
                history += 1
                continue
            if step is None and record.answer is None:
                break
            user = prompts.render_prompt(record, style, history=history)
            prompt = self._apply([{"role": "user", "content": user}], None, gen=True)
            out.append((prompt, False))
            out.append((self._split_eos(texts[turn] + self.eos_text)[0], True))
            turn += 1
            history += 1
        return out

    # --- tokens ------------------------------------------------------------------------------
    def _ids(self, text: str) -> list[int]:
        return list(self.tok(text, add_special_tokens=False)["input_ids"])

    def _fit(self, ids: list[int], labels: list[int]) -> tuple[list[int], list[int]] | None:
        if len(ids) <= self.max_seq_len:
            return ids, labels
        first_target = next((i for i, v in enumerate(labels) if v != IGNORE), len(labels))
        cut = len(ids) - self.max_seq_len
        if self.over_length == "truncate" and cut <= first_target:
            self.stats.truncated += 1
            return ids[cut:], labels[cut:]
        self.stats.skipped_over_length += 1
        return None

    def sft_examples(self, record: Record) -> Iterator[TokenExample]:
        """SFT examples of one record (see the module doc for the expansion modes)."""
        self.stats.records += 1
        if self.expansion == "per_user_turn" or (self.expansion == "per_turn" and _late_tools(record)):
            yield from self._grouped_examples(record)  # multi-turn: xlam.training.multi_turn
            return
        segs = self.segments(record)
        n_targets = sum(1 for _, is_t in segs if is_t)
        if n_targets == 0:
            self.stats.skipped_no_target += 1
            return
        seg_ids = [(self._ids(text), is_t) for text, is_t in segs]
        if not self.native:  # prompt mode: each (prompt, target) pair is an example of its own
            candidates = [(*self._last_pair(seg_ids, turn), turn) for turn in range(n_targets)]
        else:
            wanted = [list(range(n_targets))] if self.expansion == "full" else [[t] for t in range(n_targets)]
            candidates = [(*self._native_example(seg_ids, targets), targets[-1]) for targets in wanted]
        for ids, labels, turn in candidates:
            fitted = self._fit(ids, labels)
            if fitted is not None:
                self.stats.examples += 1
                yield TokenExample(fitted[0], fitted[1], record.id, turn)

    def _grouped_examples(self, record: Record) -> Iterator[TokenExample]:
        """Multi-turn expansion: ``per_user_turn`` = one example per user turn, loss on all its assistant
        turns; ``per_turn`` with late tools = one example per assistant turn. Each example's prompt offers
        the tools available at its turn."""
        by_user_turn = self.expansion == "per_user_turn"
        cache: dict[frozenset[str], list[tuple[list[int], bool]]] = {}
        produced = False
        for tools, wanted in multi_turn.groups(record, by_user_turn=by_user_turn):
            if tools not in cache:
                cache[tools] = [(self._ids(t), is_t) for t, is_t in self.segments(multi_turn.view(record, tools))]
            seg_ids = cache[tools]
            if self.native:
                items = [(self._native_example(seg_ids, wanted), wanted[-1])] if by_user_turn else \
                    [(self._native_example(seg_ids, [t]), t) for t in wanted]
            else:  # prompt mode: one (prompt, target) pair per assistant turn
                items = [(self._last_pair(seg_ids, t), t) for t in wanted]
            for (ids, labels), turn in items:
                produced = True
                fitted = self._fit(ids, labels)
                if fitted is not None:
                    self.stats.examples += 1
                    yield TokenExample(fitted[0], fitted[1], record.id, turn)
        if not produced:
            self.stats.skipped_no_target += 1

    @staticmethod
    def _native_example(seg_ids: list[tuple[list[int], bool]], targets: list[int]) -> tuple[list[int], list[int]]:
        """The conversation up to the last wanted target, loss on the wanted targets only."""
        ids: list[int] = []
        labels: list[int] = []
        turn = -1
        for piece, is_target in seg_ids:
            turn += int(is_target)
            ids.extend(piece)
            labels.extend(piece if is_target and turn in targets else [IGNORE] * len(piece))
            if is_target and turn == targets[-1]:
                break
        return ids, labels

    @staticmethod
    def _last_pair(seg_ids: list[tuple[list[int], bool]], turn: int) -> tuple[list[int], list[int]]:
        prompt, target = seg_ids[2 * turn][0], seg_ids[2 * turn + 1][0]
        return prompt + target, [IGNORE] * len(prompt) + list(target)

    def preference_example(self, record: Record) -> PreferenceExample | None:
        """The DPO pair of ``record``: context, chosen last turn, ``record.rejected`` step."""
        self.stats.records += 1
        if record.rejected is None:
            self.stats.skipped_no_rejected += 1
            return None
        chosen_segs = self.segments(record)
        if not any(is_t for _, is_t in chosen_segs):
            self.stats.skipped_no_target += 1
            return None
        rejected_text = self._target_text(record, record.rejected.step)
        rejected_segs = self.segments(record, replace_last=rejected_text)
        if self.native:
            prompt_text = "".join(t for t, _ in chosen_segs[:-1])
        else:
            prompt_text = chosen_segs[-2][0]
        prompt = self._ids(prompt_text)
        chosen = self._ids(chosen_segs[-1][0])
        rejected = self._ids(rejected_segs[-1][0])
        if 2 * len(prompt) + len(chosen) + len(rejected) > self.max_seq_len:
            keep = (self.max_seq_len - len(chosen) - len(rejected)) // 2
            if self.over_length == "truncate" and keep > 0:
                prompt = prompt[len(prompt) - keep:]
                self.stats.truncated += 1
            else:
                self.stats.skipped_over_length += 1
                return None
        self.stats.examples += 1
        meta = record.meta
        return PreferenceExample(
            prompt, chosen, rejected, record.id,
            ref_chosen_logp=meta.get("ref_chosen_logp"), ref_rejected_logp=meta.get("ref_rejected_logp"),
        )
