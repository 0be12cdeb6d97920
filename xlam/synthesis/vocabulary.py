"""Larger value vocabularies for synthesized arguments, so a model cannot memorise a handful of values.

Lists of real-world names (cities, countries, people, companies...) plus sentences composed from
parts (subject x verb x object x time: thousands of distinct sentences, drawn deterministically
from the caller's seeded RNG). :mod:`xlam.synthesis.values` merges these into its ``VOCAB``.
"""

from __future__ import annotations

import itertools

CITIES = [
    "Paris", "Tokyo", "New York", "Berlin", "Nairobi", "Sydney", "Toronto", "Lima", "Mumbai", "Madrid", "Seoul",
    "Cairo", "Istanbul", "Buenos Aires", "Lagos", "Jakarta", "Mexico City", "Bangkok", "Vienna", "Prague", "Dublin",
    "Lisbon", "Athens", "Helsinki", "Oslo", "Stockholm", "Copenhagen", "Warsaw", "Budapest", "Zurich", "Amsterdam",
    "Brussels", "Chicago", "Houston", "Seattle", "Boston", "Denver", "Austin", "Vancouver", "Montreal", "Melbourne",
    "Auckland", "Cape Town", "Accra", "Casablanca", "Dubai", "Doha", "Karachi", "Delhi", "Bangalore", "Hanoi",
    "Manila", "Singapore", "Kuala Lumpur", "Shanghai", "Osaka", "Santiago", "Bogota", "Quito", "Havana", "Reykjavik",
]
COUNTRIES = [
    "France", "Japan", "Brazil", "Kenya", "Canada", "India", "Germany", "Mexico", "Italy", "Norway", "Spain",
    "Portugal", "Egypt", "Nigeria", "Argentina", "Chile", "Peru", "Colombia", "Australia", "New Zealand", "Sweden",
    "Finland", "Poland", "Greece", "Turkey", "Vietnam", "Thailand", "Indonesia", "South Korea", "Morocco", "Ghana",
    "Ireland", "Austria", "Switzerland", "Netherlands", "Belgium", "Denmark", "Iceland", "Philippines", "Malaysia",
]
FIRST_NAMES = [
    "Ada", "Alan", "Grace", "Maya", "Omar", "Sofia", "Liam", "Yuki", "Priya", "Mateo", "Chen", "Amara", "Lucas",
    "Fatima", "Noah", "Elena", "Kwame", "Ingrid", "Diego", "Hana", "Ravi", "Zoe", "Tomas", "Leila", "Ivan", "Aiko",
    "Samuel", "Nadia", "Felix", "Mei", "Jonas", "Isabel", "Arjun", "Clara", "Kofi", "Sara", "Hugo", "Lina",
]
LAST_NAMES = [
    "Lovelace", "Turing", "Hopper", "Johnson", "Garcia", "Nakamura", "Okafor", "Schmidt", "Rossi", "Kowalski",
    "Silva", "Haddad", "Novak", "Larsen", "Tanaka", "Patel", "Moreau", "Andersson", "Mensah", "Costa", "Ivanova",
    "Kim", "Nguyen", "Fischer", "Dubois", "Santos", "Eriksen", "Mahlangu", "Ortiz", "Yilmaz",
]
COMPANIES = [
    "Acme Corp", "Globex", "Initech", "Umbrella Labs", "Stark Industries", "Wayne Enterprises", "Hooli", "Vandelay",
    "Soylent Co", "Cyberdyne", "Tyrell Systems", "Massive Dynamic", "Wonka Foods", "Aperture Science", "Nakatomi",
    "Oceanic Air", "Blue Sun", "Monarch Solutions", "Pied Piper", "Dunder Mifflin",
]
WORDS = [
    "level", "rotor", "banana", "listen", "silent", "kayak", "python", "garden", "stream", "planet", "racecar",
    "enlist", "orange", "window", "bridge", "castle", "forest", "rhythm", "puzzle", "harbor", "compass", "lantern",
    "meadow", "glacier", "thunder", "velvet", "anchor", "mosaic", "pepper", "saddle", "tundra", "vortex", "noon",
    "civic", "radar", "stats", "marble", "copper", "falcon", "quartz",
]
_SUBJECTS = ["The committee", "Our team", "My neighbour", "The new manager", "A small startup", "The library",
             "The museum", "Every student", "The city council", "The orchestra", "Her brother", "The research lab"]
_VERBS = ["approved", "reviewed", "postponed", "announced", "rejected", "finished", "shared", "published",
          "discussed", "cancelled", "planned", "celebrated"]
_OBJECTS = ["the annual budget", "a bold new proposal", "the spring concert", "three research papers",
            "the quarterly report", "a community garden project", "the shipping schedule", "the final exam results",
            "a hiring plan", "the museum renovation", "two open-source releases", "the holiday menu"]
_TIMES = ["on Monday", "last week", "after a long debate", "before noon", "in March", "yesterday evening",
          "at the last minute", "without any fuss", "ahead of schedule", "during the storm"]


def sentences(limit: int = 4000) -> list[str]:
    """Composed sentences (subject verb object time), in a fixed order."""
    out = [f"{s} {v} {o} {t}." for s, v, o, t in itertools.product(_SUBJECTS, _VERBS, _OBJECTS, _TIMES)]
    step = max(1, len(out) // limit)
    return out[::step][:limit]


def person_names() -> list[str]:
    return [f"{first} {last}" for first, last in itertools.product(FIRST_NAMES, LAST_NAMES)]


__all__ = ["CITIES", "COMPANIES", "COUNTRIES", "FIRST_NAMES", "LAST_NAMES", "WORDS", "person_names", "sentences"]
