"""Draw argument values that satisfy a JSON Schema, realistic for the parameter's name.

:func:`sample_value` honours ``enum``, ``examples``, ``type``, numeric ranges (inclusive and
exclusive), string lengths and ``format`` (date, date-time, email, uri...), array lengths and
item schemas, and object properties. Strings with no examples are drawn from vocabularies picked
by the parameter's name and description (cities, names, companies, languages, colors...), so
queries read naturally. Numbers prefer "nice" values (integers, one or two decimals).
"""

from __future__ import annotations

import datetime as dt
import math
import random
import re
from typing import Any, TypedDict

from xlam.synthesis import vocabulary
from xlam.synthesis.magnitudes import draw_magnitude, takes_magnitude

VOCAB: dict[str, list[str]] = {
    "city": ["Paris", "Tokyo", "New York", "Berlin", "Nairobi", "Sydney", "Toronto", "Lima", "Mumbai", "Madrid"],
    "country": ["France", "Japan", "Brazil", "Kenya", "Canada", "India", "Germany", "Mexico", "Italy", "Norway"],
    "name": ["Ada Lovelace", "Alan Turing", "Grace Hopper", "Katherine Johnson", "Linus Torvalds", "Marie Curie"],
    "first_name": ["Ada", "Alan", "Grace", "Maya", "Omar", "Sofia", "Liam", "Yuki"],
    "company": ["Acme Corp", "Globex", "Initech", "Umbrella Labs", "Stark Industries", "Wayne Enterprises"],
    "language": ["English", "French", "Spanish", "Japanese", "German", "Portuguese"],
    "color": ["red", "blue", "green", "orange", "purple", "teal"],
    "currency": ["USD", "EUR", "GBP", "JPY", "CHF", "CAD"],
    "symbol": ["AAPL", "MSFT", "GOOGL", "AMZN", "TSLA", "NVDA"],
    "email": ["ada@example.com", "grace.hopper@example.org", "support@acme.test", "omar.k@example.net"],
    "url": ["https://example.com", "https://docs.example.org/start", "https://api.example.net/v1/items"],
    "word": ["level", "rotor", "banana", "listen", "silent", "kayak", "python", "garden", "stream", "planet"],
    "food": ["pasta", "sushi", "tacos", "ramen", "paella", "curry"],
    "genre": ["jazz", "rock", "classical", "hip hop", "electronic"],
    "category": ["electronics", "books", "sports", "home", "toys", "grocery"],
    "status": ["active", "pending", "completed", "cancelled"],
    "query": ["wireless headphones", "vegan recipes", "machine learning books", "hiking trails near me"],
    "title": ["Quarterly Report", "Getting Started With Python", "A Walk in the Park", "Notes on Distributed Systems"],
    "sentence": [
        "Five boxing wizards pack a dozen jugs of liquor quickly.",
        "Never odd or even, said the clerk at noon.",
        "Data beats opinions when the data is clean.",
        "She sells sea shells by the sea shore every summer.",
        "Machine learning models learn patterns from examples.",
        "Meet me at the station at half past seven tomorrow.",
    ],
    "id": ["A1B2C3", "ORD-1042", "USR-77", "INV-2024-001", "SKU-5531"],
    "unit": ["meter", "kilogram", "second", "liter"],
}
# Larger vocabularies (xlam.synthesis.vocabulary): thousands of distinct values instead of a handful,
# so a model learns to copy values from the query rather than memorise them.
VOCAB["city"] = list(dict.fromkeys([*VOCAB["city"], *vocabulary.CITIES]))
VOCAB["country"] = list(dict.fromkeys([*VOCAB["country"], *vocabulary.COUNTRIES]))
VOCAB["first_name"] = list(dict.fromkeys([*VOCAB["first_name"], *vocabulary.FIRST_NAMES]))
VOCAB["name"] = list(dict.fromkeys([*VOCAB["name"], *vocabulary.person_names()]))
VOCAB["company"] = list(dict.fromkeys([*VOCAB["company"], *vocabulary.COMPANIES]))
VOCAB["word"] = list(dict.fromkeys([*VOCAB["word"], *vocabulary.WORDS]))
VOCAB["sentence"] = list(dict.fromkeys([*VOCAB["sentence"], *vocabulary.sentences()]))
# Domain vocabularies (hotels, teams, elements...) under keys of their own, chosen by exact parameter
# name (vocabulary.PARAM_VOCAB) before the name hints below: names no computational-catalog tool uses.
VOCAB.update({k: v for k, v in vocabulary.DOMAIN_VOCAB.items() if k not in VOCAB})

#: Values with an apostrophe, by vocabulary key (``sample_arguments(apostrophe_rate=...)``): BFCL's gold answers hold
#: one in 32 of 2,351 single-turn call items ("Let's meet at 10 AM tomorrow", "Ender's Game", "McDonald's"); the
#: recipe's model wrote them inside single quotes, an unparsable call, on 27 of those (run 9), having never seen one.
APOSTROPHES: dict[str, list[str]] = {
    "sentence": ["Let's meet at 10 AM tomorrow.", "Don't forget the team lunch on Friday.", "I'll be late for dinner tonight.",
                 "It's time to renew the subscription.", "We're out of coffee again.",
                 "Can't wait to see you at the reunion!", "The client's files are ready for review.",
                 "You've been selected for the final round.", "Here's the summary of today's meeting.",
                 "She's arriving on the morning train.", "That's the best pizza I've ever had.",
                 "We've moved the standup to 9:30.", "Isn't it a lovely day for a walk?",
                 "Mom's birthday party starts at six.", "Don't touch the wet paint, it's still drying."],
    "title": ["Ender's Game", "Schindler's List", "The Handmaid's Tale", "Grey's Anatomy", "Ocean's Eleven",
              "Charlotte's Web", "A Hard Day's Night", "Gulliver's Travels", "The Hitchhiker's Guide to the Galaxy",
              "Alice's Adventures in Wonderland", "Sophie's Choice", "It's a Wonderful Life", "Bridget Jones's Diary",
              "What's Next for Remote Work", "The Year's Best Recipes"],
    "name": ["Conan O'Brien", "Shaquille O'Neal", "Georgia O'Keeffe", "Sinead O'Connor", "Dolores O'Riordan",
             "Liam O'Donnell", "Patrick O'Malley", "D'Angelo Russell", "Beto O'Rourke", "Maureen O'Hara",
             "Brian O'Driscoll", "Kerry O'Neill"],
    "company": ["McDonald's", "Macy's", "Kellogg's", "Moody's", "Lowe's", "Trader Joe's", "Dunkin' Donuts",
                "Sotheby's", "Wendy's", "Denny's", "Domino's", "Hershey's"],
    "query": ["kids' shoes", "men's running jackets", "women's hiking boots", "children's books about space",
              "today's top headlines", "St. Patrick's Day recipes", "Valentine's Day gift ideas",
              "New Year's Eve events", "beginner's guide to chess", "Mother's Day flowers"],
    "movie": ["Ocean's Eleven", "Schindler's List", "Ferris Bueller's Day Off", "Breakfast at Tiffany's",
              "Pan's Labyrinth", "Howl's Moving Castle", "Kiki's Delivery Service", "The King's Speech"],
    "book": ["Ender's Game", "The Handmaid's Tale", "Charlotte's Web", "The Time Traveler's Wife",
             "Harry Potter and the Philosopher's Stone", "The Pilgrim's Progress", "Gulliver's Travels"],
    "restaurant": ["Joe's Pizza", "Katz's Delicatessen", "Mama's Kitchen", "Rao's", "Carmine's", "Antoine's"],
    "store": ["Macy's", "Trader Joe's", "Lowe's", "Kohl's", "Dillard's"],
    "song": ["Don't Stop Believin'", "Sweet Child O' Mine", "It's My Life", "Livin' on a Prayer", "Don't Stop Me Now"],
    "album": ["Sgt. Pepper's Lonely Hearts Club Band", "What's Going On", "Can't Buy a Thrill"],
    "artist": ["Guns N' Roses", "Destiny's Child", "Sinead O'Connor", "Jane's Addiction"],
    "game": ["Assassin's Creed", "Baldur's Gate 3", "Luigi's Mansion", "Yoshi's Island", "Five Nights at Freddy's"],
    "player": ["Shaquille O'Neal", "D'Angelo Russell", "De'Aaron Fox", "Ja'Marr Chase"],
    "author": ["Flannery O'Connor", "Patrick O'Brian", "Madeleine L'Engle", "Frank O'Hara"],
}

_NAME_HINTS: list[tuple[str, str]] = [
    (r"e-?mail", "email"), (r"url|link|website|endpoint", "url"), (r"city|town|location|place", "city"),
    (r"country|nation", "country"), (r"first_?name", "first_name"), (r"company|organi[sz]ation|brand", "company"),
    (r"language|lang\b|locale", "language"), (r"colou?r", "color"), (r"currency", "currency"),
    (r"ticker|stock|symbol", "symbol"), (r"food|dish|cuisine|recipe", "food"), (r"genre", "genre"),
    (r"category|department", "category"), (r"status|state\b", "status"), (r"query|search|keyword|term", "query"),
    (r"title|headline|subject", "title"), (r"\bid\b|_id$|identifier|code", "id"),
    (r"name|author|user|person|owner|artist", "name"),
    (r"text|sentence|phrase|message|content|paragraph|description|body|comment", "sentence"),
    (r"word|string|token", "word"),
]


def vocabulary_for(name: str, description: str = "") -> str:
    """The vocabulary key that fits a parameter name (then its description); ``word`` by default."""
    exact = vocabulary.PARAM_VOCAB.get(name.lower())
    if exact is not None and exact in VOCAB:
        return exact
    for haystack in (name.lower(), description.lower()):
        for pattern, key in _NAME_HINTS:
            if re.search(pattern, haystack):
                return key
    return "word"


def _bounds(schema: dict[str, Any], default_low: float, default_high: float) -> tuple[float, float, bool, bool]:
    low, high = schema.get("minimum"), schema.get("maximum")
    xlow, xhigh = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
    lo_open = xlow is not None and (low is None or xlow >= low)
    hi_open = xhigh is not None and (high is None or xhigh <= high)
    lo_raw = xlow if lo_open else low
    hi_raw = xhigh if hi_open else high
    lo: float | None = float(lo_raw) if lo_raw is not None else None
    hi: float | None = float(hi_raw) if hi_raw is not None else None
    if lo is None and hi is None:
        lo, hi = default_low, default_high
    elif lo is None:
        assert hi is not None
        lo = min(default_low, hi - (default_high - default_low))
    elif hi is None:
        hi = max(default_high, lo + (default_high - default_low)) if lo >= default_low else default_high
    # Keep generated numbers human-sized even for huge declared ranges.
    if hi - lo > 10_000 and lo <= 0 <= hi:
        lo, hi, lo_open, hi_open = max(lo, -1000.0), min(hi, 1000.0), lo_open and lo > -1000, hi_open and hi < 1000
    elif hi - lo > 10_000:
        hi, hi_open = lo + 10_000, False
    return lo, hi, lo_open, hi_open


def _name_range(name: str) -> tuple[float, float]:
    lowered = name.lower()
    if "year" in lowered:
        return 1990, 2030
    if "age" in lowered:
        return 18, 90
    if any(k in lowered for k in ("percent", "rate")):
        return 1, 25
    if any(k in lowered for k in ("count", "limit", "num", "size", "n_", "times", "top", "k")):
        return 1, 12
    return 1, 100


def sample_number(schema: dict[str, Any], rng: random.Random, *, integer: bool, name: str = "") -> float | int:
    """A number within the schema's range; integers for ``integer``, else one or two decimals."""
    lo, hi, lo_open, hi_open = _bounds(schema, *_name_range(name))
    if integer:
        ilo = math.floor(lo) + 1 if lo_open and float(lo).is_integer() else math.ceil(lo)
        ihi = math.ceil(hi) - 1 if hi_open and float(hi).is_integer() else math.floor(hi)
        if ilo > ihi:
            raise ValueError(f"no integer in range {schema}")
        return rng.randint(ilo, ihi)
    for _ in range(20):
        decimals = rng.choice([0, 0, 1, 1, 2])
        value = round(rng.uniform(lo, hi), decimals)
        if (lo < value or (not lo_open and value == lo)) and (value < hi or (not hi_open and value == hi)):
            return float(value)
    return float((lo + hi) / 2)


def _sample_date(rng: random.Random) -> dt.date:
    return dt.date(2018, 1, 1) + dt.timedelta(days=rng.randint(0, 365 * 10))


def sample_string(schema: dict[str, Any], rng: random.Random, *, name: str = "", description: str = "") -> str:
    """A string for the schema: by ``format``, else from a vocabulary fitting the name."""
    fmt = schema.get("format")
    if fmt == "date":
        return _sample_date(rng).isoformat()
    if fmt == "date-time":
        moment = dt.datetime.combine(_sample_date(rng), dt.time(rng.randint(0, 23), rng.choice([0, 15, 30, 45])))
        return moment.isoformat()
    if fmt == "time":
        return f"{rng.randint(0, 23):02d}:{rng.choice([0, 15, 30, 45]):02d}:00"
    if fmt == "email":
        return rng.choice(VOCAB["email"])
    if fmt in ("uri", "url"):
        return rng.choice(VOCAB["url"])
    if fmt == "uuid":
        bits = [rng.getrandbits(n) for n in (32, 16, 12, 12, 48)]
        return f"{bits[0]:08x}-{bits[1]:04x}-4{bits[2]:03x}-a{bits[3]:03x}-{bits[4]:012x}"
    key = vocabulary_for(name, description)
    min_len, max_len = int(schema.get("minLength", 0)), int(schema.get("maxLength", 10_000))
    candidates = [v for v in VOCAB[key] if min_len <= len(v) <= max_len] or [
        v for v in VOCAB["word"] if min_len <= len(v) <= max_len
    ]
    if candidates:
        return rng.choice(candidates)
    return ("x" * max(min_len, 1))[: max(max_len, 1)]


def sample_value(schema: dict[str, Any], rng: random.Random, *, name: str = "", description: str = "") -> Any:
    """A JSON value valid against ``schema`` (ranges, enums, lengths, formats, items, properties)."""
    description = description or str(schema.get("description", ""))
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return rng.choice(list(schema["enum"]))
    for key in ("anyOf", "oneOf"):
        if isinstance(schema.get(key), list) and schema[key]:
            options = [o for o in schema[key] if o.get("type") != "null"] or schema[key]
            return sample_value(rng.choice(options), rng, name=name, description=description)
    examples = schema.get("examples")
    kind = schema.get("type", "string")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    if isinstance(examples, list) and examples and (kind in ("string", "array", "object") or rng.random() < 0.3):
        return rng.choice(examples)
    if kind == "boolean":
        return rng.random() < 0.5
    if kind == "integer":
        return sample_number(schema, rng, integer=True, name=name)
    if kind == "number":
        return sample_number(schema, rng, integer=False, name=name)
    if kind == "array":
        lo = int(schema.get("minItems", 2 if not schema.get("maxItems") else 1))
        hi = int(schema.get("maxItems", max(lo, 4)))
        hi = max(lo, min(hi, lo + 4))
        raw_items = schema.get("items")
        items: dict[str, Any] = raw_items if isinstance(raw_items, dict) else {"type": "string"}
        singular = name[:-1] if name.endswith("s") else name
        return [sample_value(items, rng, name=singular, description=description) for _ in range(rng.randint(lo, hi))]
    if kind == "object":
        props = schema.get("properties")
        if isinstance(props, dict) and props:
            required = set(schema.get("required", props))
            return {k: sample_value(v, rng, name=k) for k, v in props.items() if k in required or rng.random() < 0.5}
        extra = schema.get("additionalProperties")
        value_schema = extra if isinstance(extra, dict) else {"type": "integer", "minimum": 1, "maximum": 100}
        keys = rng.sample(VOCAB["word"], 2)
        return {k: sample_value(value_schema, rng, name=k) for k in keys}
    if kind == "null":
        return None
    return sample_string(schema, rng, name=name, description=description)


class ValueRates(TypedDict, total=False):
    """The draws :func:`sample_arguments` makes beyond the schema's own (``SynthesisConfig`` fields)."""

    magnitude_rate: float
    apostrophe_rate: float


def _drawn_again(name: str, schema: dict[str, Any], value: Any, rng: random.Random, magnitude_rate: float,
                 apostrophe_rate: float) -> Any:
    """``value``, or at ``magnitude_rate`` a large round number (:func:`xlam.synthesis.magnitudes.draw_magnitude`)
    for a parameter that allows one, or at ``apostrophe_rate`` a string with an apostrophe (:data:`APOSTROPHES`)
    for a free-text parameter of those vocabularies. No draw at rate 0 or for other parameters."""
    if magnitude_rate > 0 and takes_magnitude(schema) and rng.random() < magnitude_rate:
        return draw_magnitude(schema, rng)
    if (apostrophe_rate > 0 and isinstance(value, str) and schema.get("type", "string") == "string"
            and not any(k in schema for k in ("enum", "format", "examples", "pattern", "const"))):
        pool = APOSTROPHES.get(vocabulary_for(name, str(schema.get("description", ""))), [])
        max_len = int(schema.get("maxLength", 10_000))
        pool = [v for v in pool if len(v) <= max_len]
        if pool and rng.random() < apostrophe_rate:
            return rng.choice(pool)
    return value


def sample_arguments(parameters: dict[str, Any], rng: random.Random, *, optional_rate: float = 0.3,
                     magnitude_rate: float = 0.0, apostrophe_rate: float = 0.0,
                     skip: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Arguments for a tool's parameters schema: every required one, each optional one with
    probability ``optional_rate`` (never with its default value); ``magnitude_rate`` and ``apostrophe_rate``:
    :func:`_drawn_again` (``SynthesisConfig`` of the same names)."""
    props: dict[str, Any] = parameters.get("properties", {})
    required = set(parameters.get("required", []))
    out: dict[str, Any] = {}
    for pname, pschema in props.items():
        if pname in skip:
            continue
        if pname not in required and rng.random() >= optional_rate:
            continue
        pschema = pschema if isinstance(pschema, dict) else {}
        value = sample_value(pschema, rng, name=pname)
        partner = "from_" + pname[3:] if pname.startswith("to_") else None
        for _ in range(5):  # a conversion to the same unit/zone is a pointless request
            if partner is None or out.get(partner) != value:
                break
            value = sample_value(pschema, rng, name=pname)
        value = _drawn_again(pname, pschema, value, rng, magnitude_rate, apostrophe_rate)
        if pname not in required and "default" in pschema and value == pschema["default"]:
            continue
        out[pname] = value
    return out


__all__ = ["APOSTROPHES", "VOCAB", "ValueRates", "sample_arguments", "sample_number", "sample_string", "sample_value", "vocabulary_for"]
