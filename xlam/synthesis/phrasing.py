"""Natural-language requests composed from tool descriptions and argument values.

A tool description such as "Compute the logarithm of a positive number in a given base." becomes
the intent "compute the logarithm of a positive number in a given base"; each argument is voiced
from its own description ("the logarithm base is 10") or, without one, from its name. Prompt
templates (formal, casual, terse, question, typo) vary the wording the way APIGen's template
sampler does, but never alter the argument values, so the gold calls stay supported by the query.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from typing import Any

from xlam.records import Tool
from xlam.synthesis.intents import other_wording
from xlam.synthesis.magnitudes import is_money, magnitude_forms, voice_magnitude
from xlam.synthesis.value_forms import (
    date_forms,
    is_date_parameter,
    is_fraction_parameter,
    name_words,
    number_forms,
    number_words,
    percent_forms,
    unit_of,
    voice_flag,
    voice_quantity,
    voice_value,
)

PROMPT_TEMPLATES: tuple[str, ...] = ("formal", "casual", "terse", "question", "typo")

_OPENERS = {
    "formal": ["Please {intent}.", "I would like you to {intent}.", "Kindly {intent}."],
    "casual": ["Hey, can you {intent}?", "I need to {intent}.", "Help me {intent}.", "Quick one: {intent}."],
    "terse": ["{Intent}."],
    "question": ["Could you {intent}?", "Can you {intent}?", "Would you {intent}?"],
    "typo": ["Pls {intent}.", "can u {intent}?", "i need to {intent}."],
}
_ARG_JOINERS = ["{args}.", "Use these inputs: {args}.", "Note that {args}.", "The inputs: {args}.", "Details: {args}."]
_INLINE_JOINERS = ["with", "using", "for", "given"]
_PARALLEL_OPENERS = ["Do this for several inputs:", "I have a few cases.", "Run it more than once.", "For each case below:"]
_SECOND_INTENT = ["Also, {request_l}", "Then {request_l}", "In addition, {request_l}", "And {request_l}", "Next, {request_l}"]
_TYPO_SWAPS = {"the": "teh", "please": "plz", "and": "adn", "with": "wiht", "number": "numbr", "compute": "compute",
               "calculate": "calcualte", "convert": "conver", "find": "fnd", "check": "chek"}


def intent_of(tool: Tool) -> str:
    """The tool's purpose as a lower-case verb phrase (first sentence, no parentheses)."""
    text = (tool.description or "").strip()
    text = re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0] if text else ""
    text = re.sub(r"\s*\([^)]*\)", "", text).strip().rstrip(".!?")
    if not text:
        return "use " + tool.name.replace("_", " ")
    first, _, rest = text.partition(" ")
    if first.endswith("s") and first.lower() in {"computes", "returns", "finds", "converts", "checks",
                                                  "counts", "gets", "creates", "lists", "calculates"}:
        first = first[:-1]
    verb = first[:1].lower() + first[1:]
    return f"{verb} {rest}".strip()


@dataclass(frozen=True)
class Voicing:
    """How a request says its argument values. Every rate at 0 (``PLAIN``) says them exactly as before
    these options existed and draws no random number for them, so seeded data stays the same.

    - ``unit_rate``: a number whose parameter description states a unit is said with it ("30 degrees", "5%").
    - ``date_rate``: a date parameter's ISO value (``format: date`` or "YYYY-MM-DD" in its description) is
      said as people write dates ("March 5, 2021", "the 5th of March 2021"); the call keeps ``2021-03-05``.
    - ``inline_rate``: a single request says its arguments inside the sentence ("Please compute the body mass index for a
      weight of 70 kg and 1.75 as the height") instead of a separate
      "The inputs: the x is 3 and ..." sentence.
    - ``reword_rate``: the request does not copy the tool description's verb: a synonym ("Work out the volume
      of a cylinder" for "Compute the volume ...") or, where the description computes or finds a noun
      phrase, a question about it ("What is the volume of a cylinder ...?").
    - ``compact_rate``: a single request says its arguments inside the sentence with short nouns taken from
      the parameter names, as people (and BFCL) write them: "... with a radius of 3 and height 5", short
      strings unquoted ("for London, United Kingdom").
    - ``words_rate``: a small count (an ``integer`` parameter from 0 to 12) is said as a word ("two adults",
      "for three nights"); the call keeps ``2``, ``3``.
    - ``percent_rate``: a rate said as a percentage: a parameter "in percent" as "5%" (the call keeps ``5``,
      and :func:`xlam.synthesis.rates.percent_as_fraction` may turn it into a decimal-rate parameter with
      ``0.05`` after verification) and a probability or fraction (0-1) as "60%" (the call keeps ``0.6``).
    - ``flag_rate``: a boolean is said as people ask for it ("including dissent information", "without
      outdoor seating", "make it detailed") instead of "the include dissent is true" (:func:`voice_flag`).
    - ``intent_rate``: the request says what it wants in other words than the tool's description, a wording
      of the catalog's (:mod:`xlam.synthesis.intents`: "take the root of a figure", or a question that stands
      alone, "What number times itself gives my value?"); a tool without wordings keeps its description's.
    - ``slot_rate``: the request is one of the catalog's templates with the values where the sentence needs
      them ("Find me a place to stay in Lima for 3 nights", :mod:`xlam.synthesis.slots`); the arguments it has
      no slot for are said after it. A tool without templates keeps the other forms.
    - ``magnitude_rate``: a whole number of 1,000 or more is said as people write it ("25,000", "$2 million",
      :func:`xlam.synthesis.magnitudes.voice_magnitude`); the call keeps ``25000``.
    """

    unit_rate: float = 0.0
    date_rate: float = 0.0
    inline_rate: float = 0.0
    reword_rate: float = 0.0
    compact_rate: float = 0.0
    words_rate: float = 0.0
    percent_rate: float = 0.0
    flag_rate: float = 0.0
    intent_rate: float = 0.0
    slot_rate: float = 0.0
    magnitude_rate: float = 0.0


PLAIN = Voicing()

#: Verbs a request may say instead of the description's own (``Voicing.reword_rate``).
_VERB_SYNONYMS = {
    "compute": ["calculate", "find", "work out", "determine", "get"],
    "calculate": ["compute", "find", "work out", "determine", "get"],
    "find": ["get", "look up", "search for", "give me"],
    "get": ["fetch", "retrieve", "find", "look up", "show me"],
    "return": ["give me", "get", "find"],
    "retrieve": ["get", "fetch", "find", "look up"],
    "determine": ["find", "work out", "figure out", "calculate"],
    "estimate": ["predict", "calculate", "approximate"],
    "generate": ["create", "make", "produce"],
    "create": ["make", "generate", "set up"],
    "convert": ["change", "turn"],
    "list": ["show me", "give me", "find"],
    "search": ["look for", "find"],
    "look": ["search", "check"],
    "recommend": ["suggest"],
    "book": ["reserve"],
    "check": ["verify", "test"],
    "predict": ["forecast", "estimate"],
}
#: Verbs whose object a request may ask about directly ("What is the volume of a cylinder?").
_QUESTION_VERBS = frozenset({"compute", "calculate", "find", "get", "return", "determine", "retrieve", "estimate"})
_QUESTION_HEADS = ["What is {obj}?", "What's {obj}?", "Tell me {obj}.", "I want to know {obj}.", "Give me {obj}.", "Show me {obj}."]
_CLAUSE_WORDS = frozenset({"how", "what", "which", "whether", "when", "where", "who", "if"})
_COMPACT_JOINERS = ["with", "with", "for", "given", "using"]
#: Parameter-name words that make a poor noun on their own ("from_unit", "n", "x"): the description's label is used.
_NAME_STOPWORDS = frozenset({"from", "to", "of", "in", "is", "by", "for", "at", "on", "per", "id", "num", "use",
                             "include", "and", "or", "the", "max", "min", "src", "dst"})


def schema_of(tool: Tool, name: str) -> dict[str, Any]:
    """A parameter's JSON schema ({} where the tool has none, or not an object)."""
    schema = tool.properties.get(name, {})
    return schema if isinstance(schema, dict) else {}


def _label(name: str, schema: dict[str, Any]) -> str:
    description = str(schema.get("description", "")).strip()
    if description:
        label = re.split(r"[,;:]|\.\s|\.$", re.sub(r"\s*\([^)]*\)", "", description))[0].strip()
        if 0 < len(label.split()) <= 8:
            return label[:1].lower() + label[1:]
    return "the " + name.replace("_", " ")


def voice_in_query(value: Any, schema: dict[str, Any], rng: random.Random, voicing: Voicing) -> tuple[str, str | None]:
    """``voice_value``, with the parameter's unit after a number at ``unit_rate`` and a date said as people
    write it at ``date_rate`` (no draw at 0), and the unit said."""
    if voicing.percent_rate > 0 and isinstance(value, int | float) and not isinstance(value, bool):
        if unit_of(schema) == "percent" and rng.random() < voicing.percent_rate:
            return voice_quantity(value, "percent", rng), "percent"
        forms = percent_forms(value) if is_fraction_parameter(schema) else []
        if forms and rng.random() < voicing.percent_rate:
            return forms[0 if rng.random() < 0.8 else 1], None
    if voicing.magnitude_rate > 0 and magnitude_forms(value) and rng.random() < voicing.magnitude_rate:
        return str(voice_magnitude(value, is_money("", schema), rng)), None
    if voicing.unit_rate > 0 and isinstance(value, int | float) and not isinstance(value, bool):
        unit = unit_of(schema)
        if unit and rng.random() < voicing.unit_rate:
            return voice_quantity(value, unit, rng), unit
    if (voicing.words_rate > 0 and isinstance(value, int) and schema.get("type") == "integer" and number_words(value)
            and rng.random() < voicing.words_rate):
        return number_words(value)[0], None
    if voicing.date_rate > 0 and isinstance(value, str) and is_date_parameter(schema):
        forms = date_forms(value)
        if forms and rng.random() < voicing.date_rate:
            return rng.choice(forms), None
    return voice_value(value), None


def _flag(name: str, value: Any, rng: random.Random, voicing: Voicing) -> str | None:
    """``voice_flag`` at ``voicing.flag_rate`` for a boolean (no draw otherwise)."""
    if voicing.flag_rate > 0 and isinstance(value, bool) and rng.random() < voicing.flag_rate:
        return voice_flag(name, value, rng)
    return None


def _without_unit(label: str, unit: str | None) -> str:
    """"the angle in degrees" -> "the angle" once the value says "30 degrees"."""
    if not unit:
        return label
    return re.sub(rf",?\s+(?:in|as|of)\s+(?:the\s+)?{re.escape(unit)}$", "", label, flags=re.IGNORECASE) or label


def voice_arguments(tool: Tool, arguments: dict[str, Any], rng: random.Random, *, voicing: Voicing = PLAIN) -> str:
    """"the positive number is 50 and the logarithm base is 10" (argument order kept); values said as
    ``voicing`` says (units, dates)."""
    parts = []
    for name, value in arguments.items():
        if flag := _flag(name, value, rng, voicing):
            parts.append(flag)
            continue
        schema = schema_of(tool, name)
        label = _label(name, schema)
        copula = " are " if isinstance(value, list) and label.endswith("s") else " is "
        verb = rng.choice([copula, " = ", ": "]) if rng.random() < 0.3 else copula
        voiced, unit = voice_in_query(value, schema, rng, voicing)
        parts.append(f"{_without_unit(label, unit)}{verb}{voiced}")
    return and_list(parts)


def and_list(parts: list[str]) -> str:
    """"a", "a and b", "a, b and c" ("" for none)."""
    if not parts:
        return ""
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _article(noun: str) -> str:
    """"an" before a vowel sound ("an angle", "a unit", "a user", "an hour" is not attempted)."""
    word = noun.lower()
    vowel = word[:1] in "aeiou" and not word.startswith(("uni", "use", "usu", "uti", "eu", "one"))
    return "an" if vowel else "a"


def inline_arguments(tool: Tool, arguments: dict[str, Any], rng: random.Random, *, voicing: Voicing = PLAIN) -> str:
    """The arguments said inside a sentence: "a weight of 70 kg, 1.75 as the height and the unit set to metric"."""
    parts = []
    for name, value in arguments.items():
        if flag := _flag(name, value, rng, voicing):
            parts.append(flag)
            continue
        schema = schema_of(tool, name)
        voiced, unit = voice_in_query(value, schema, rng, voicing)
        label = _without_unit(_label(name, schema), unit)
        form = rng.random()
        if label.startswith("the ") and form < 0.5:
            noun = label[4:]
            parts.append(f"{_article(noun)} {noun} of {voiced}")
        elif form < 0.75:
            parts.append(f"{voiced} as {label}")
        else:
            parts.append(f"{label} set to {voiced}")
    return and_list(parts)


def noun_of(name: str, schema: dict[str, Any]) -> str:
    """A short noun for a parameter from its name ("interest_rate", "interestRate" -> "interest rate");
    a name with a stop word ("from_unit", "num_sides") or a word of one or two letters
    ("x1") gets the description's label instead ("unit of the value")."""
    words = name_words(name)
    if 1 <= len(words) <= 3 and not set(words) & _NAME_STOPWORDS and all(len(w) > 2 for w in words):
        return " ".join(words)
    label = _label(name, schema)
    return label[4:] if label.startswith("the ") else label


def _plural(noun: str) -> bool:
    """"years", "sides" (not "radius", "status", "basis", "class")."""
    return noun.endswith("s") and not noun.endswith(("ss", "us", "is"))


def bare_string(value: Any, voiced: str, rng: random.Random) -> str:
    """A short string said without its quotes half the time, as people write it ("for London, United Kingdom")."""
    if (isinstance(value, str) and voiced == f'"{value}"' and len(value.split()) <= 4
            and not any(c in value for c in "'\"`.;:!?") and rng.random() < 0.5):
        return value
    return voiced


def compact_arguments(tool: Tool, arguments: dict[str, Any], rng: random.Random, *, voicing: Voicing = PLAIN) -> str:
    """The arguments said the way people write them inside a request: "a radius of 3, height 5 and London as
    the city" (nouns from the parameter names; short strings unquoted at random)."""
    parts = []
    for name, value in arguments.items():
        if flag := _flag(name, value, rng, voicing):
            parts.append(flag)
            continue
        schema = schema_of(tool, name)
        voiced, unit = voice_in_query(value, schema, rng, voicing)
        voiced = bare_string(value, voiced, rng)
        noun = _without_unit(noun_of(name, schema), unit)
        form = rng.random()
        if isinstance(value, bool) or noun.split(" ")[0] in _CLAUSE_WORDS:
            parts.append(f"{noun} set to {voiced}")  # "how often interest is compounded set to 2"
        elif _plural(noun) and isinstance(value, int | float) and unit is None:
            parts.append(f"{voiced} {noun}" if form < 0.6 else f"{noun} {voiced}")  # "33 years", "degrees 30"
        elif form < 0.45 and not _plural(noun):
            parts.append(f"{_article(noun)} {noun} of {voiced}")
        elif form < 0.8:
            parts.append(f"{noun} {voiced}")
        else:
            parts.append(f"{voiced} as the {noun}")
    return and_list(parts)


def head_of(tool: Tool, rng: random.Random, template: str, voicing: Voicing) -> str:
    """The request's opening sentence: an opener around the intent, said in the catalog's other words at
    ``voicing.intent_rate``, else reworded at ``voicing.reword_rate`` (no draw for a rate at 0)."""
    intent = intent_of(tool)
    opener = rng.choice(_OPENERS.get(template, _OPENERS["formal"]))
    said = other_wording(tool.name, rng) if voicing.intent_rate > 0 and rng.random() < voicing.intent_rate else None
    if said is not None and said.endswith("?"):
        opener, intent = "{intent}", said  # a question stands on its own: no opener around it
    elif said is not None:
        intent = said
    elif voicing.reword_rate > 0 and rng.random() < voicing.reword_rate:
        verb, _, rest = intent.partition(" ")
        if verb in _QUESTION_VERBS and rest.startswith("the ") and rng.random() < 0.4:
            opener, intent = rng.choice(_QUESTION_HEADS).replace("{obj}", "{intent}"), rest
        elif verb in _VERB_SYNONYMS:
            intent = f"{rng.choice(_VERB_SYNONYMS[verb])} {rest}"
    head = opener.format(intent=intent, Intent=intent[:1].upper() + intent[1:])
    if template == "typo":  # misspell the request, never the argument values
        head = misspell(head, rng)
    return head


def misspell(text: str, rng: random.Random) -> str:
    """``text`` with one common word misspelled ("the" -> "teh"), where it has one (the ``typo`` template)."""
    words = text.split(" ")
    candidates = [i for i, w in enumerate(words) if w.lower() in _TYPO_SWAPS]
    if candidates:
        i = rng.choice(candidates)
        words[i] = _TYPO_SWAPS[words[i].lower()]
    return " ".join(words)


def request(tool: Tool, arguments: dict[str, Any], rng: random.Random, *, template: str = "formal",
            voicing: Voicing = PLAIN) -> str:
    """One request for one call: an opener around the intent, then the voiced arguments (in their own
    sentence, or at ``voicing.inline_rate`` inside the request: "Please compute the BMI for a weight of 70")."""
    if voicing.slot_rate > 0 and rng.random() < voicing.slot_rate and (
            text := _slotted(tool, arguments, rng, voicing, typo=template == "typo")) is not None:
        return text
    head = head_of(tool, rng, template, voicing)
    if arguments and voicing.compact_rate > 0 and rng.random() < voicing.compact_rate:
        inline = compact_arguments(tool, arguments, rng, voicing=voicing)
        return f"{head.rstrip('.?')} {rng.choice(_COMPACT_JOINERS)} {inline}{'?' if head.endswith('?') else '.'}"
    if arguments and voicing.inline_rate > 0 and rng.random() < voicing.inline_rate:
        inline = inline_arguments(tool, arguments, rng, voicing=voicing)
        return f"{head.rstrip('.?')} {rng.choice(_INLINE_JOINERS)} {inline}{'?' if head.endswith('?') else '.'}"
    args = voice_arguments(tool, arguments, rng, voicing=voicing)
    if args:
        joiner = rng.choice(_ARG_JOINERS)
        tail = joiner.format(args=args)
        tail = tail[:1].upper() + tail[1:]
        text = f"{head} {tail}"
    else:
        text = head
    return text


def _slotted(tool: Tool, arguments: dict[str, Any], rng: random.Random, voicing: Voicing, *, typo: bool) -> str | None:
    from xlam.synthesis.slots import slotted_request  # slots builds on this module's voicing

    return slotted_request(tool, arguments, rng, voicing, typo=typo)


def parallel_request(tool: Tool, argument_sets: list[dict[str, Any]], rng: random.Random, *, template: str = "formal",
                     voicing: Voicing = PLAIN) -> str:
    """One request asking for the same operation on several argument sets."""
    opener = head_of(tool, rng, template, voicing)
    compact = voicing.compact_rate > 0 and rng.random() < voicing.compact_rate
    varying = [k for k in argument_sets[0] if any(s.get(k) != argument_sets[0].get(k) for s in argument_sets)]
    same_keys = all(set(s) == set(argument_sets[0]) for s in argument_sets)
    style = rng.random()
    if same_keys and len(varying) == 1 and style < 0.45:
        # "... where the positive number is 50, 20 and 10 respectively" (one argument varies)
        key = varying[0]
        fixed = {k: v for k, v in argument_sets[0].items() if k != key}
        schema = schema_of(tool, key)
        label = _label(key, schema)
        values = [voice_in_query(s[key], schema, rng, voicing)[0] for s in argument_sets]
        listed = and_list(values)
        head = opener.rstrip(".?")
        if compact:  # "... for radius 3, 5 and 9, with height 2"
            noun = noun_of(key, schema)
            tail = rng.choice([f" for {noun} {listed}", f" with {noun} {listed} respectively",
                               f" for each {noun} in {listed}"])
            extra = compact_arguments(tool, fixed, rng, voicing=voicing)
            text = head + tail + (f", with {extra}" if extra else "")
            return text + ("?" if opener.endswith("?") else ".")
        tail = f" for each of these values of {label}: {listed}" if rng.random() < 0.5 else \
            f", where {label} is {listed} respectively"
        extra = voice_arguments(tool, fixed, rng, voicing=voicing)
        text = head + tail + (f", with {extra}" if extra else "")
        return text + ("?" if opener.endswith("?") else ".")
    if style < 0.75 and compact:
        # "<request> with a radius of 3. Then do the same for a radius of 5 and for radius 9."
        first = compact_arguments(tool, argument_sets[0], rng, voicing=voicing)
        rest = [compact_arguments(tool, s, rng, voicing=voicing) for s in argument_sets[1:]]
        again = rng.choice(["Then do the same for {r}.", "Repeat it for {r}.", "Also for {r}.", "And again for {r}."])
        end = "?" if opener.endswith("?") else "."
        return (f"{opener.rstrip('.?')} {rng.choice(_COMPACT_JOINERS)} {first}{end} "
                + again.format(r=", and for ".join(rest)))
    if style < 0.75:
        # "<request for the first case> Then do the same for <second> and for <third>."
        first = voice_arguments(tool, argument_sets[0], rng, voicing=voicing)
        rest = [voice_arguments(tool, s, rng, voicing=voicing) for s in argument_sets[1:]]
        again = rng.choice(["Then do the same for {r}.", "Repeat it for {r}.", "Also do it for {r}.",
                            "And the same again for {r}."])
        joined = "; and for ".join(rest)
        return f"{opener} {rng.choice(_ARG_JOINERS).format(args=first)} " + again.format(r=joined)
    cases = [f"({i}) {voice_arguments(tool, args, rng, voicing=voicing)}" for i, args in enumerate(argument_sets, 1)]
    return f"{opener} {rng.choice(_PARALLEL_OPENERS)} " + "; ".join(cases) + "."


def combine_requests(requests: list[str], rng: random.Random) -> str:
    """Several independent requests in one message."""
    out = requests[0]
    for req in requests[1:]:
        joiner = rng.choice(_SECOND_INTENT)
        out = out.rstrip() + " " + joiner.format(request=req, request_l=req[:1].lower() + req[1:])
    return out


def clarification_question(tool: Tool, missing: list[str]) -> str:
    """What the assistant asks when required arguments are missing."""
    labels = [_label(m, schema_of(tool, m)) for m in missing]
    what = labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]
    names = ", ".join(f"`{m}`" for m in missing)
    return f"To {intent_of(tool)}, I need {what} ({names}). Could you provide it?"


def clarification_answer(tool: Tool, arguments: dict[str, Any], missing: list[str], rng: random.Random) -> str:
    """The user's follow-up that supplies the missing values."""
    voiced = voice_arguments(tool, {m: arguments[m] for m in missing}, rng)
    return rng.choice(["Sure, {v}.", "Of course: {v}.", "Yes, {v}.", "{V}."]).format(v=voiced, V=voiced[:1].upper() + voiced[1:])


def irrelevance_response(intent: str) -> str:
    """The assistant's reply when no offered tool serves the request."""
    return (f"None of the available tools can {intent}, so I can't do that with a function call. "
            "Could you rephrase the request or provide a suitable tool?")


__all__ = [
    "PLAIN",
    "PROMPT_TEMPLATES",
    "Voicing",
    "and_list",
    "bare_string",
    "clarification_answer",
    "clarification_question",
    "combine_requests",
    "compact_arguments",
    "date_forms",
    "head_of",
    "inline_arguments",
    "intent_of",
    "irrelevance_response",
    "is_date_parameter",
    "is_fraction_parameter",
    "noun_of",
    "number_forms",
    "number_words",
    "parallel_request",
    "percent_forms",
    "request",
    "schema_of",
    "unit_of",
    "voice_arguments",
    "voice_flag",
    "voice_in_query",
    "voice_quantity",
    "voice_value",
]
