"""Real executable tools used by the sandbox and execution-checker tests."""

from __future__ import annotations

import datetime
import socket
import time
from typing import Literal


def add(a: int, b: int) -> int:
    """Add two integers.

    Args:
        a: First addend.
        b: Second addend.
    """
    return a + b


def divide(a: float, b: float) -> float:
    """Divide a by b.

    Args:
        a: Dividend.
        b: Divisor (must not be zero).
    """
    return a / b


def convert(value: float, unit: Literal["km", "mi"] = "km") -> dict[str, float]:
    """Convert a distance between kilometres and miles.

    Args:
        value: The distance.
        unit: Unit of ``value``.
    """
    return {"mi": value / 1.609344} if unit == "km" else {"km": value * 1.609344}


def sleepy(seconds: float) -> str:
    """Sleep for a while."""
    time.sleep(seconds)
    return "woke"


def spin(n: int) -> int:
    """Burn CPU."""
    total = 0
    while True:
        total += n


def hog(megabytes: int) -> int:
    """Allocate memory."""
    block = bytearray(megabytes * 1024 * 1024)
    return len(block)


def fetch(host: str) -> str:
    """Open a TCP connection."""
    with socket.create_connection((host, 80), timeout=2) as conn:
        return str(conn.getpeername())


def raw_socket(host: str) -> str:
    """Connect with a raw socket object."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.connect((host, 80))
    return "connected"


def write_file(path: str, text: str) -> int:
    """Write text to a file."""
    with open(path, "w") as fh:
        return fh.write(text)


def shout(text: str) -> dict[str, object]:
    """Print and return rich Python values."""
    print("printing does not break the protocol")
    return {
        "upper": text.upper(),
        "pair": (1, 2),
        "letters": set(text),
        "when": datetime.date(2024, 1, 2),
        "obj": object(),
    }


def numpy_stats(values: list[float]) -> dict[str, object]:
    """Mean and array through numpy."""
    import numpy as np

    arr = np.asarray(values)
    return {"mean": arr.mean(), "doubled": arr * 2, "n": np.int64(len(values))}


def crash() -> None:
    """Exit the interpreter abruptly."""
    import os

    os._exit(3)
