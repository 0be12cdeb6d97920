"""Chat templates for models whose files ship none.

Gemma-3-270M is a *base* model: its GGUF carries the Gemma tokenizer with the turn tokens
(``<start_of_turn>``, ``<end_of_turn>``) but no ``tokenizer.chat_template``. Training and evaluation both
render prompts with the tokenizer's chat template (xlam.training.tokenization, xlam.bfcl.prompts), so such
a tokenizer gets Gemma 3's turn format here: ``<bos><start_of_turn>user\\n{system}\\n\\n{user}<end_of_turn>\\n
<start_of_turn>model\\n{answer}<end_of_turn>\\n``. As in Gemma 3's own template, a system message is put
at the start of the first user turn and the assistant role is called ``model``; unlike it, turns need not
alternate: a ``tool`` message (a tool result in multi-turn data) is a turn of its own, as a user turn.
"""

from __future__ import annotations

from typing import Any

GEMMA_TURN_TOKENS = ("<start_of_turn>", "<end_of_turn>")

GEMMA_CHAT_TEMPLATE = (
    "{{ bos_token }}"
    "{%- if messages and messages[0]['role'] == 'system' -%}"
    "{%- set first_user_prefix = messages[0]['content'] + '\n\n' -%}"
    "{%- set loop_messages = messages[1:] -%}"
    "{%- else -%}"
    "{%- set first_user_prefix = '' -%}"
    "{%- set loop_messages = messages -%}"
    "{%- endif -%}"
    "{%- for message in loop_messages -%}"
    "{%- set role = 'model' if message['role'] == 'assistant' else 'user' -%}"
    "{{ '<start_of_turn>' + role + '\n' + (first_user_prefix if loop.first else '') }}"
    "{%- if message['content'] is string -%}{{ message['content'] | trim }}"
    "{%- else -%}{%- for part in message['content'] -%}{{ part['text'] | trim }}{%- endfor -%}{%- endif -%}"
    "{{ '<end_of_turn>\n' }}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{ '<start_of_turn>model\n' }}{%- endif -%}"
)


def ensure_chat_template(tokenizer: Any) -> bool:
    """Give a tokenizer with Gemma's turn tokens and no chat template Gemma 3's turn format; True when set."""
    if getattr(tokenizer, "chat_template", None):
        return False
    vocab = tokenizer.get_vocab()
    if not all(token in vocab for token in GEMMA_TURN_TOKENS):
        return False
    tokenizer.chat_template = GEMMA_CHAT_TEMPLATE
    return True


__all__ = ["GEMMA_CHAT_TEMPLATE", "ensure_chat_template"]
