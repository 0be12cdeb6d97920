"""String and text tools (case, counting, palindromes, slugs, ciphers, similarity)."""

from __future__ import annotations

import collections
import difflib
import re
import string
import textwrap
import unicodedata
from typing import Annotated, Literal

from pydantic import Field

from xlam.tools.catalog._types import Count, StringList, Text, Word

CATEGORY = "text"

_WORD = re.compile(r"[A-Za-z0-9']+")


def word_count(text: Text) -> int:
    """Count the words in a text.

    Args:
        text: The text to analyse.
    """
    return len(_WORD.findall(text))


def character_count(text: Text, include_spaces: bool = True) -> int:
    """Count the characters in a text.

    Args:
        text: The text to analyse.
        include_spaces: Whether whitespace characters are counted.
    """
    return len(text) if include_spaces else sum(1 for c in text if not c.isspace())


def reverse_string(text: Text) -> str:
    """Reverse the characters of a string.

    Args:
        text: The string to reverse.
    """
    return text[::-1]


def reverse_words(sentence: Text) -> str:
    """Reverse the order of the words in a sentence.

    Args:
        sentence: The sentence.
    """
    return " ".join(reversed(sentence.split()))


def is_palindrome(text: Word) -> bool:
    """Check whether a word or phrase reads the same backwards, ignoring case and punctuation.

    Args:
        text: The word or phrase.
    """
    cleaned = [c.lower() for c in text if c.isalnum()]
    return cleaned == cleaned[::-1]


def is_anagram(first: Word, second: Word) -> bool:
    """Check whether two words are anagrams of each other (ignoring case and spaces).

    Args:
        first: The first word.
        second: The second word.
    """
    def norm(word: str) -> list[str]:
        return sorted(c.lower() for c in word if not c.isspace())

    return norm(first) == norm(second)


def change_case(text: Text, case: Literal["upper", "lower", "title", "swap", "sentence"]) -> str:
    """Change the letter case of a text.

    Args:
        text: The text to transform.
        case: The target case.
    """
    if case == "upper":
        return text.upper()
    if case == "lower":
        return text.lower()
    if case == "title":
        return string.capwords(text)
    if case == "swap":
        return text.swapcase()
    return text[:1].upper() + text[1:].lower()


def to_snake_case(text: Word) -> str:
    """Convert a phrase or camelCase identifier to snake_case.

    Args:
        text: The phrase or identifier.
    """
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", text)
    return "_".join(w.lower() for w in re.split(r"[^A-Za-z0-9]+", spaced) if w)


def to_camel_case(text: Word) -> str:
    """Convert a phrase or snake_case identifier to camelCase.

    Args:
        text: The phrase or identifier.
    """
    words = [w for w in re.split(r"[^A-Za-z0-9]+", text) if w]
    return (words[0].lower() + "".join(w.capitalize() for w in words[1:])) if words else ""


def slugify(text: Text) -> str:
    """Turn a title into a URL slug (lowercase ASCII words joined by hyphens).

    Args:
        text: The title to convert.
    """
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "-".join(re.findall(r"[a-z0-9]+", ascii_text.lower()))


def count_vowels(text: Text) -> int:
    """Count the vowels (a, e, i, o, u) in a text.

    Args:
        text: The text to analyse.
    """
    return sum(1 for c in text.lower() if c in "aeiou")


def character_frequency(text: Text) -> dict[str, int]:
    """Count how often each letter occurs in a text (case-insensitive).

    Args:
        text: The text to analyse.
    """
    return dict(sorted(collections.Counter(c for c in text.lower() if c.isalpha()).items()))


def most_common_words(text: Text, top_n: Annotated[int, Field(ge=1, le=10)] = 3) -> list[list[str | int]]:
    """List the most frequent words of a text with their counts.

    Args:
        text: The text to analyse.
        top_n: How many words to return.
    """
    words = collections.Counter(w.lower() for w in _WORD.findall(text))
    return [[w, c] for w, c in words.most_common(top_n)]


def caesar_cipher(text: Text, shift: Annotated[int, Field(ge=-25, le=25)]) -> str:
    """Encrypt a text with a Caesar cipher (letters shifted by a fixed amount).

    Args:
        text: The plain text.
        shift: How many positions to shift each letter.
    """
    def rot(c: str) -> str:
        if c.isascii() and c.isalpha():
            base = ord("A") if c.isupper() else ord("a")
            return chr((ord(c) - base + shift) % 26 + base)
        return c

    return "".join(rot(c) for c in text)


def longest_word(text: Text) -> str:
    """Find the longest word in a text (the first one on ties).

    Args:
        text: The text to analyse.
    """
    words = _WORD.findall(text)
    return max(words, key=len) if words else ""


def longest_common_prefix(words: StringList) -> str:
    """Find the longest prefix shared by all strings in a list.

    Args:
        words: The strings to compare.
    """
    prefix = min(words, key=len) if words else ""
    for word in words:
        while not word.startswith(prefix):
            prefix = prefix[:-1]
    return prefix


def text_similarity(first: Text, second: Text) -> float:
    """Rate how similar two texts are, from 0 (different) to 1 (identical).

    Args:
        first: The first text.
        second: The second text.
    """
    return round(difflib.SequenceMatcher(None, first, second).ratio(), 6)


def levenshtein_distance(first: Word, second: Word) -> int:
    """Compute the edit distance (insertions, deletions, substitutions) between two strings.

    Args:
        first: The first string.
        second: The second string.
    """
    prev = list(range(len(second) + 1))
    for i, a in enumerate(first, 1):
        cur = [i]
        for j, b in enumerate(second, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a != b)))
        prev = cur
    return prev[-1]


def wrap_text(text: Text, width: Annotated[int, Field(ge=10, le=120)] = 40) -> list[str]:
    """Wrap a text into lines no longer than a given width.

    Args:
        text: The text to wrap.
        width: The maximum line width in characters.
    """
    return textwrap.wrap(text, width=width)


def truncate_text(text: Text, max_length: Annotated[int, Field(ge=5, le=500)], suffix: str = "...") -> str:
    """Shorten a text to a maximum length, adding a suffix when it was cut.

    Args:
        text: The text to shorten.
        max_length: The maximum length of the result.
        suffix: What to append when the text is cut.
    """
    if len(text) <= max_length:
        return text
    return text[: max(0, max_length - len(suffix))] + suffix


def repeat_string(text: Word, times: Count, separator: str = " ") -> str:
    """Repeat a string several times, joined by a separator.

    Args:
        text: The string to repeat.
        times: How many copies.
        separator: The text placed between copies.
    """
    return separator.join([text] * times)


def remove_punctuation(text: Text) -> str:
    """Remove all punctuation characters from a text.

    Args:
        text: The text to clean.
    """
    return text.translate(str.maketrans("", "", string.punctuation))


def acronym(phrase: Text) -> str:
    """Build the acronym of a phrase from the first letter of each word.

    Args:
        phrase: The phrase, e.g. "portable network graphics".
    """
    return "".join(w[0].upper() for w in _WORD.findall(phrase))


def pad_string(text: Word, width: Annotated[int, Field(ge=1, le=80)], align: Literal["left", "right", "center"] = "left", fill_char: Literal[" ", "*", "-", "0", "."] = " ") -> str:
    """Pad a string to a width with a fill character.

    Args:
        text: The string to pad.
        width: The total width.
        align: Where the text goes within the width.
        fill_char: The padding character.
    """
    if align == "left":
        return text.ljust(width, fill_char)
    if align == "right":
        return text.rjust(width, fill_char)
    return text.center(width, fill_char)


def count_substring(text: Text, substring: Word) -> int:
    """Count the non-overlapping occurrences of a substring in a text.

    Args:
        text: The text to search.
        substring: The substring to count.
    """
    return text.count(substring)
