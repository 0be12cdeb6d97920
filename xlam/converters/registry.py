"""Converter registry: ``CONVERTERS[name]``, ``get_converter(name)`` and the ``@register`` decorator."""

from __future__ import annotations

from typing import TypeVar

from xlam.converters.base import Converter

CONVERTERS: dict[str, Converter] = {}

C = TypeVar("C", bound=type[Converter])


def register(cls: C) -> C:
    """Class decorator: instantiate the converter and register it under ``cls.name``."""
    if cls.name in CONVERTERS:
        raise ValueError(f"converter {cls.name!r} is already registered")
    CONVERTERS[cls.name] = cls()
    return cls


def get_converter(name: str) -> Converter:
    try:
        return CONVERTERS[name]
    except KeyError:
        raise ValueError(f"unknown source format {name!r}; known: {', '.join(sorted(CONVERTERS))}") from None
