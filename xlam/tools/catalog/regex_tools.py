"""Regular-expression tools (wrappers over :mod:`re`) and common extractors."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import Field

from xlam.tools.catalog._types import Text

CATEGORY = "regex"

_PATTERNS = [r"\d+", r"[A-Z][a-z]+", r"\b\w{5,}\b", r"[aeiou]{2}", r"\s+"]
Pattern = Annotated[str, Field(min_length=1, max_length=200, examples=_PATTERNS)]
_SAMPLES = [
    "Contact Ada at ada@example.com or +1 415 555 0100 before 2024-05-01.",
    "Order 1042 shipped to Paris on 2023-11-03; invoice 77 is due in 30 days.",
    "Visit https://example.org/docs and http://test.dev for the Quick Start Guide.",
]
Sample = Annotated[str, Field(min_length=1, max_length=2000, examples=_SAMPLES)]


def regex_find_all(pattern: Pattern, text: Sample, ignore_case: bool = False) -> list[str]:
    """Find every match of a regular expression in a text.

    Args:
        pattern: The regular expression.
        text: The text to search.
        ignore_case: Whether matching ignores letter case.
    """
    return [m.group(0) for m in re.finditer(pattern, text, re.IGNORECASE if ignore_case else 0)]


def regex_replace(pattern: Pattern, replacement: Annotated[str, Field(max_length=50, examples=["#", "<redacted>", "_"])], text: Sample) -> str:
    """Replace every match of a regular expression in a text.

    Args:
        pattern: The regular expression.
        replacement: The replacement text.
        text: The text to edit.
    """
    return re.sub(pattern, lambda _m: replacement, text)


def regex_split(pattern: Annotated[str, Field(min_length=1, examples=[r"[,;]\s*", r"\s+", r"\d"])], text: Sample) -> list[str]:
    """Split a text wherever a regular expression matches.

    Args:
        pattern: The separator regular expression.
        text: The text to split.
    """
    return re.split(pattern, text)


def regex_full_match(pattern: Pattern, text: Annotated[str, Field(examples=["12345", "Hello", "abc", "2024"])]) -> bool:
    """Check whether an entire string matches a regular expression.

    Args:
        pattern: The regular expression.
        text: The string to test.
    """
    return re.fullmatch(pattern, text) is not None


def extract_emails(text: Sample) -> list[str]:
    """Extract the e-mail addresses from a text.

    Args:
        text: The text to scan.
    """
    return re.findall(r"[\w.+-]+@[\w-]+\.[\w.-]+", text)


def extract_urls(text: Sample) -> list[str]:
    """Extract the http and https URLs from a text.

    Args:
        text: The text to scan.
    """
    return re.findall(r"https?://[^\s,;]+", text)


def extract_numbers(text: Sample) -> list[float]:
    """Extract all numbers (integers and decimals, with sign) from a text.

    Args:
        text: The text to scan.
    """
    return [float(x) for x in re.findall(r"[-+]?\d+(?:\.\d+)?", text)]


def extract_dates(text: Sample) -> list[str]:
    """Extract ISO dates (YYYY-MM-DD) from a text.

    Args:
        text: The text to scan.
    """
    return re.findall(r"\b\d{4}-\d{2}-\d{2}\b", text)


def extract_hashtags(text: Annotated[str, Field(examples=["Loving the #sunset at #Biarritz today #travel", "#ai meets #robotics"])]) -> list[str]:
    """Extract the hashtags from a social-media post.

    Args:
        text: The post text.
    """
    return re.findall(r"#(\w+)", text)


def is_valid_email(email: Annotated[str, Field(examples=["ada@example.com", "not-an-email", "bob@mail.co.uk"])]) -> bool:
    """Check whether a string looks like a valid e-mail address.

    Args:
        email: The address to check.
    """
    return re.fullmatch(r"[\w.+-]+@[\w-]+(\.[\w-]+)+", email) is not None


def is_valid_ipv4(address: Annotated[str, Field(examples=["192.168.1.10", "10.0.0.256", "8.8.8.8"])]) -> bool:
    """Check whether a string is a valid dotted IPv4 address.

    Args:
        address: The address to check.
    """
    parts = address.split(".")
    return len(parts) == 4 and all(p.isdigit() and 0 <= int(p) <= 255 and str(int(p)) == p for p in parts)


def mask_digits(text: Text, keep_last: Annotated[int, Field(ge=0, le=8)] = 4) -> str:
    """Mask all digits of a text except the last few (e.g. for card numbers).

    Args:
        text: The text to mask.
        keep_last: How many trailing digits stay visible.
    """
    total = sum(c.isdigit() for c in text)
    seen = 0
    out = []
    for c in text:
        if c.isdigit():
            seen += 1
            out.append(c if seen > total - keep_last else "*")
        else:
            out.append(c)
    return "".join(out)
