"""Is an argument value supported by what the agent had seen (query, user turns, observations)?

Exact (case-insensitive) substring first; then rapidfuzz ``partial_ratio`` of the value against
the context; then word-level: every word of the value fuzzy-matches some word of the context
(so "New York, NY" is grounded by "NY ... New York"). Fuzzy matching flags, it does not prove:
the xLAM paper uses an LLM judge for value hallucination, which the semantic stage provides.
"""

from __future__ import annotations

import re
from functools import lru_cache

from rapidfuzz import fuzz, process

_WORD = re.compile(r"\w+", re.UNICODE)


class GroundingContext:
    """The text an agent could copy values from, normalised once."""

    __slots__ = ("_words", "text")

    def __init__(self, parts: list[str]) -> None:
        self.text = "\n".join(p for p in parts if p).lower()
        self._words: list[str] | None = None

    def extend(self, part: str) -> None:
        if part:
            self.text = f"{self.text}\n{part.lower()}"
            self._words = None

    @property
    def words(self) -> list[str]:
        if self._words is None:
            self._words = sorted(set(_WORD.findall(self.text)))
        return self._words

    def grounded(self, value: str, threshold: float) -> bool:
        needle = value.strip().lower()
        if not needle or needle in self.text:
            return True
        if len(needle) <= 200 and fuzz.partial_ratio(needle, self.text, score_cutoff=threshold):
            return True
        tokens = _tokens(needle)
        if not tokens:
            return True
        words = self.words
        for token in tokens:
            if token in self.text:
                continue
            if (
                not words
                or process.extractOne(token, words, scorer=fuzz.ratio, score_cutoff=threshold) is None
            ):
                return False
        return True


@lru_cache(maxsize=65536)
def _tokens(text: str) -> tuple[str, ...]:
    return tuple(_WORD.findall(text))
