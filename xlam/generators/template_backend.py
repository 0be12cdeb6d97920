"""The ``template`` backend: deterministic responders, no model.

Each responder is a function ``(request, rng) -> ChatResponse`` registered under a name. The
request picks one with ``metadata["template"]``; otherwise the config's ``template`` is used.
The random generator is seeded from the config seed, the request seed and the request content,
so the same request always gets the same response, on every machine.

Built-in responders:

- ``echo``: repeats the last user message;
- ``echo_calls``: answers with the calls given in ``metadata["calls"]`` (e.g. the gold calls);
- ``paraphrase``: a rule-based paraphrase of ``metadata["text"]`` (or the last user message)
  with seeded synonym and sentence-structure variation that keeps numbers, quoted strings and
  capitalised names unchanged;
- ``judge``: an LLM-judge stand-in that reports ``{"verdict": "skipped", ...}``.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections.abc import Callable, Sequence

from xlam.generators.base import ChatRequest, ChatResponse, Generator, GeneratorError, Usage
from xlam.generators.config import GeneratorConfig
from xlam.records import ToolCall, canonical_json

TemplateFn = Callable[[ChatRequest, random.Random], ChatResponse]
TEMPLATES: dict[str, TemplateFn] = {}


def register_template(name: str) -> Callable[[TemplateFn], TemplateFn]:
    """Decorator: make ``fn`` available as responder ``name`` (later registrations replace earlier)."""

    def deco(fn: TemplateFn) -> TemplateFn:
        TEMPLATES[name] = fn
        return fn

    return deco


def _usage(request: ChatRequest, text: str) -> Usage:
    prompt = sum(len((m.content or "").split()) for m in request.messages)
    return Usage(prompt_tokens=prompt, completion_tokens=len(text.split()))


@register_template("echo")
def _echo(request: ChatRequest, rng: random.Random) -> ChatResponse:
    text = request.last_user_text()
    return ChatResponse(text=text, usage=_usage(request, text))


@register_template("echo_calls")
def _echo_calls(request: ChatRequest, rng: random.Random) -> ChatResponse:
    raw = request.metadata.get("calls")
    if not isinstance(raw, list):
        raise GeneratorError("template 'echo_calls' needs metadata['calls'] = [{'name': ..., 'arguments': {...}}]")
    calls = [c if isinstance(c, ToolCall) else ToolCall.model_validate(c) for c in raw]
    text = json.dumps([{"name": c.name, "arguments": c.arguments} for c in calls], ensure_ascii=False)
    return ChatResponse(
        text=text, tool_calls=calls, finish_reason="tool_calls" if calls else "stop", usage=_usage(request, text)
    )


@register_template("judge")
def _judge(request: ChatRequest, rng: random.Random) -> ChatResponse:
    text = json.dumps({"verdict": "skipped", "passed": None, "reason": "the template backend does not judge semantics"})
    return ChatResponse(text=text, usage=_usage(request, text))


# --- rule-based paraphrase ------------------------------------------------------------------------
_SYNONYMS: dict[str, tuple[str, ...]] = {
    "find": ("look up", "search for", "locate"),
    "get": ("retrieve", "fetch", "obtain"),
    "retrieve": ("get", "fetch"),
    "fetch": ("get", "retrieve"),
    "show": ("display", "list"),
    "list": ("show", "enumerate"),
    "calculate": ("compute", "work out", "determine"),
    "compute": ("calculate", "work out"),
    "determine": ("figure out", "find out"),
    "give": ("provide", "send"),
    "provide": ("give", "supply"),
    "tell": ("inform", "let know"),
    "check": ("verify", "look at"),
    "create": ("make", "set up"),
    "book": ("reserve",),
    "buy": ("purchase",),
    "help": ("assist",),
    "need": ("require", "want"),
    "want": ("would like", "need"),
    "quickly": ("fast", "promptly"),
    "current": ("present", "latest"),
    "information": ("info", "details"),
    "details": ("information", "specifics"),
    "total": ("overall", "combined"),
    "use": ("utilize", "employ"),
    "about": ("regarding", "concerning"),
    "also": ("additionally", "as well"),
    "please": ("kindly",),
}
_POLITE_OPENERS = ("Could you", "Can you", "Would you", "Please", "I'd like you to", "I need you to")
_STARTER_WORDS = (
    "what which who whom whose where when why how is are was were do does did can could would will should "
    "shall may might have has had please my the a an in on for to at of with and convert translate send search "
    "order schedule play add remove update delete set make run explain generate predict estimate analyze "
    "return identify count sort filter compare recommend suggest plan look"
)
_COMMON_STARTERS = frozenset(_STARTER_WORDS.split()) | frozenset(_SYNONYMS) | frozenset(w for opts in _SYNONYMS.values() for o in opts for w in o.split()[:1])
_QUESTION_LEADS = ("", "Quick question: ", "I was wondering: ", "Tell me this: ", "Help me out here: ")
_OPENER_RE = re.compile(
    r"^(?:could you|can you|would you|will you|please|i'd like you to|i need you to|kindly)\s+(?:please\s+)?",
    re.IGNORECASE,
)
_PROTECTED_RE = re.compile(r"(\"[^\"]*\"|'[^']*'|`[^`]*`|\S*\d\S*)")
_WORD_RE = re.compile(r"[A-Za-z]+")


def _match_case(word: str, replacement: str) -> str:
    if word.isupper() and len(word) > 1:
        return replacement.upper()
    if word[:1].isupper():
        return replacement[:1].upper() + replacement[1:]
    return replacement


def _swap_synonyms(text: str, rng: random.Random, rate: float) -> str:
    pieces = _PROTECTED_RE.split(text)
    out = []
    for i, piece in enumerate(pieces):
        if i % 2 == 1:  # quoted string or token with digits: kept verbatim
            out.append(piece)
            continue

        def swap(match: re.Match[str]) -> str:
            word = match.group(0)
            options = _SYNONYMS.get(word.lower())
            if options is None or (word[:1].isupper() and match.start() > 0) or rng.random() > rate:
                return word
            return _match_case(word, rng.choice(options))

        out.append(_WORD_RE.sub(swap, piece))
    return "".join(out)


def paraphrase(text: str, rng: random.Random, *, rate: float = 0.6) -> str:
    """A meaning-preserving rewrite of ``text``: synonyms for common verbs and fillers, and a
    varied request opener. Numbers, quoted strings and capitalised names are never changed."""
    text = text.strip()
    if not text:
        return text
    body, openers = _OPENER_RE.subn("", text)
    body = _swap_synonyms(body, rng, rate)
    core = body.rstrip("?.! ")
    if not core:
        return text
    if not openers and text.endswith("?"):  # a genuine question ("What is ...?"): keep its form
        lead = rng.choice(_QUESTION_LEADS)
        return f"{lead}{_decapitalize(core)}?" if lead else core[:1].upper() + core[1:] + "?"
    opener = rng.choice(_POLITE_OPENERS)
    first = _decapitalize(core)
    if opener in ("Could you", "Can you", "Would you"):
        return f"{opener} {first}?"
    return f"{opener} {first}."


def _decapitalize(text: str) -> str:
    """Lower-case the first word only when it is a common word (never a name like 'Tokyo')."""
    word = _WORD_RE.match(text)
    if word and word.group(0).lower() in _COMMON_STARTERS and not word.group(0).isupper():
        return text[:1].lower() + text[1:]
    return text


@register_template("paraphrase")
def _paraphrase(request: ChatRequest, rng: random.Random) -> ChatResponse:
    source = request.metadata.get("text")
    text = paraphrase(source if isinstance(source, str) else request.last_user_text(), rng)
    return ChatResponse(text=text, usage=_usage(request, text))


class TemplateGenerator(Generator):
    """Deterministic responders from :data:`TEMPLATES`."""

    def __init__(self, config: GeneratorConfig | None = None) -> None:
        self.config = config or GeneratorConfig(backend="template")
        if self.config.template not in TEMPLATES:
            raise GeneratorError(f"unknown template {self.config.template!r}; known: {sorted(TEMPLATES)}")
        self.name = f"template:{self.config.template}"

    def _rng(self, request: ChatRequest) -> random.Random:
        material = canonical_json(
            [self.config.seed, request.seed, [m.model_dump(mode="json") for m in request.messages], request.metadata]
        )
        return random.Random(int.from_bytes(hashlib.sha256(material).digest()[:8], "big"))

    def _one(self, request: ChatRequest) -> ChatResponse:
        name = request.metadata.get("template", self.config.template)
        fn = TEMPLATES.get(name)
        if fn is None:
            raise GeneratorError(f"unknown template {name!r}; known: {sorted(TEMPLATES)}")
        try:
            response = fn(request, self._rng(request))
        except GeneratorError as exc:
            if not self.config.return_errors:
                raise
            return ChatResponse(finish_reason="error", error=str(exc), model=f"template:{name}")
        if request.stop:
            cut = min((i for s in request.stop if (i := response.text.find(s)) >= 0), default=-1)
            if cut >= 0:
                response = response.model_copy(update={"text": response.text[:cut]})
        return response.model_copy(update={"model": f"template:{name}"})

    def generate(self, requests: Sequence[ChatRequest]) -> list[ChatResponse]:
        return [self._one(r) for r in requests]

    async def agenerate(self, requests: Sequence[ChatRequest]) -> list[ChatResponse]:
        return self.generate(requests)
