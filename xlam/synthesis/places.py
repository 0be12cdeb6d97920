"""Cities as "City, State" where the parameter's description asks for it (``SynthesisConfig.city_state_rate``).

Many functions people call take a US city with its state: BFCL's live functions say so in the parameter
("The city in which the movie theater is located, in the format of 'City, State', such as 'Los Angeles, CA'"),
and its answers accept only that form. Run 10's recipe model wrote the city alone on 247 of the 1,367 live call
items (258 values, "Berkeley" where the request itself said "Berkeley, CA"), and on 10-11 non-live ones
(``scripts/value_errors.py``, docs/QUALITY.md): every city our samples had was a bare name ("Paris"). This
module turns a draft's cities into US cities with their state, says in each offered tool's city parameters
that they take "City, State", and lets the request say the place as people do: "Austin, TX", "Austin" or
"Austin, Texas"; the call always passes "Austin, TX". Drafts whose tools have no city parameter are unchanged.
"""

from __future__ import annotations

import random
import re
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from xlam.records import Tool
from xlam.synthesis.values import VOCAB, vocabulary_for

if TYPE_CHECKING:  # drafts.py applies this module
    from xlam.synthesis.drafts import Draft

#: US cities (not BFCL's lists: the largest cities of many states, and a few college towns) with the state's
#: postal code and name.
US_PLACES: tuple[tuple[str, str, str], ...] = (
    ("New York", "NY", "New York"), ("Buffalo", "NY", "New York"), ("Los Angeles", "CA", "California"),
    ("San Diego", "CA", "California"), ("Sacramento", "CA", "California"), ("Fresno", "CA", "California"),
    ("Oakland", "CA", "California"), ("San Jose", "CA", "California"), ("Chicago", "IL", "Illinois"),
    ("Springfield", "IL", "Illinois"), ("Houston", "TX", "Texas"), ("Austin", "TX", "Texas"),
    ("Dallas", "TX", "Texas"), ("El Paso", "TX", "Texas"), ("Phoenix", "AZ", "Arizona"),
    ("Tucson", "AZ", "Arizona"), ("Philadelphia", "PA", "Pennsylvania"), ("Pittsburgh", "PA", "Pennsylvania"),
    ("Jacksonville", "FL", "Florida"), ("Miami", "FL", "Florida"), ("Tampa", "FL", "Florida"),
    ("Orlando", "FL", "Florida"), ("Columbus", "OH", "Ohio"), ("Cleveland", "OH", "Ohio"),
    ("Charlotte", "NC", "North Carolina"), ("Raleigh", "NC", "North Carolina"), ("Indianapolis", "IN", "Indiana"),
    ("Seattle", "WA", "Washington"), ("Spokane", "WA", "Washington"), ("Denver", "CO", "Colorado"),
    ("Boulder", "CO", "Colorado"), ("Boston", "MA", "Massachusetts"), ("Cambridge", "MA", "Massachusetts"),
    ("Nashville", "TN", "Tennessee"), ("Memphis", "TN", "Tennessee"), ("Portland", "OR", "Oregon"),
    ("Eugene", "OR", "Oregon"), ("Las Vegas", "NV", "Nevada"), ("Reno", "NV", "Nevada"),
    ("Detroit", "MI", "Michigan"), ("Ann Arbor", "MI", "Michigan"), ("Baltimore", "MD", "Maryland"),
    ("Milwaukee", "WI", "Wisconsin"), ("Madison", "WI", "Wisconsin"), ("Albuquerque", "NM", "New Mexico"),
    ("Santa Fe", "NM", "New Mexico"), ("Atlanta", "GA", "Georgia"), ("Savannah", "GA", "Georgia"),
    ("Kansas City", "MO", "Missouri"), ("St. Louis", "MO", "Missouri"), ("Minneapolis", "MN", "Minnesota"),
    ("New Orleans", "LA", "Louisiana"), ("Salt Lake City", "UT", "Utah"), ("Omaha", "NE", "Nebraska"),
    ("Louisville", "KY", "Kentucky"), ("Richmond", "VA", "Virginia"), ("Honolulu", "HI", "Hawaii"),
    ("Anchorage", "AK", "Alaska"), ("Providence", "RI", "Rhode Island"), ("Hartford", "CT", "Connecticut"),
    ("Burlington", "VT", "Vermont"), ("Boise", "ID", "Idaho"), ("Des Moines", "IA", "Iowa"),
    ("Little Rock", "AR", "Arkansas"), ("Birmingham", "AL", "Alabama"), ("Charleston", "SC", "South Carolina"),
    ("Oklahoma City", "OK", "Oklahoma"), ("Wichita", "KS", "Kansas"), ("Fargo", "ND", "North Dakota"),
    ("Sioux Falls", "SD", "South Dakota"), ("Billings", "MT", "Montana"), ("Cheyenne", "WY", "Wyoming"),
    ("Portland", "ME", "Maine"), ("Manchester", "NH", "New Hampshire"), ("Newark", "NJ", "New Jersey"),
    ("Wilmington", "DE", "Delaware"), ("Jackson", "MS", "Mississippi"), ("Charleston", "WV", "West Virginia"),
)
_BY_VALUE = {f"{city}, {code}": (city, code, state) for city, code, state in US_PLACES}
#: how a tool says that its city parameter takes "City, State" (``{text}``: the parameter's own description)
FORMAT_NOTES = ("{text}, in the format of 'City, State' (e.g., '{example}').", "{text}, as 'City, State', such as '{example}'.",
                "The city and state, e.g. {example}.", "{text} (city and state, for instance {example}).")
#: how often the request says each of :func:`place_forms`: "City, ST", the city alone, "City, State name"
_SAID_WEIGHTS = (0.45, 0.40, 0.15)


def place_forms(value: str) -> list[str]:
    """How a request may say a "City, ST" value of :data:`US_PLACES` ("Austin, TX", "Austin", "Austin, Texas");
    [] for any other string. The semantic check accepts any of them for the value."""
    place = _BY_VALUE.get(value)
    return [value, place[0], f"{place[0]}, {place[2]}"] if place else []


def city_parameters(tool: Tool) -> list[str]:
    """The tool's free-text parameters that take a city (by name: city, town, location, place)."""
    return [name for name, schema in tool.properties.items()
            if isinstance(schema, dict) and schema.get("type", "string") == "string"
            and not any(k in schema for k in ("enum", "format", "examples", "pattern", "const"))
            and vocabulary_for(name, str(schema.get("description", ""))) == "city"]


def _noted(tool: Tool, names: list[str], example: str, note: str) -> Tool:
    props = dict(tool.properties)
    for name in names:
        text = str(props[name].get("description", "")).strip().rstrip(".") or "The city"
        props[name] = {**props[name], "description": note.format(text=text, example=example)}
    return tool.model_copy(update={"parameters": {**tool.parameters, "properties": props}})


def city_and_state(draft: Draft, rng: random.Random) -> Draft:
    """``draft`` with each city its calls pass turned into a US "City, ST" (the same old city, the same new
    place), the request saying it in one of :func:`place_forms`' ways, and every offered tool's city parameters
    described as taking "City, State". Unchanged when no call passes a city the request says word for word."""
    params = {t.name: city_parameters(t) for t in draft.tools}
    cities = set(VOCAB["city"])
    old = list(dict.fromkeys(v for c in draft.all_calls() for name in params.get(c.name, [])
                             if isinstance(v := c.arguments.get(name), str) and v in cities))
    pattern = re.compile("|".join(rf"(?<!\w){re.escape(v)}(?!\w)" for v in sorted(old, key=len, reverse=True)))
    if not old or {m.group(0) for m in pattern.finditer(draft.query)} != set(old):
        return draft
    # no two places of one name in a draft ("Portland, OR" and "Portland, ME" would both be said "Portland")
    places: list[tuple[str, str, str]] = []
    for place in rng.sample(US_PLACES, len(US_PLACES)):
        if place[0] not in {p[0] for p in places}:
            places.append(place)
    places = places[:len(old) + 1]
    new = {v: f"{city}, {code}" for v, (city, code, _) in zip(old, places, strict=False)}
    said = {v: place_forms(new[v])[rng.choices(range(len(_SAID_WEIGHTS)), _SAID_WEIGHTS)[0]] for v in old}
    example = f"{places[-1][0]}, {places[-1][1]}"
    note = rng.choice(FORMAT_NOTES)
    tools = [_noted(t, params[t.name], example, note) if params[t.name] else t for t in draft.tools]

    def moved(arguments: dict[str, Any], name: str) -> dict[str, Any]:
        return {k: new.get(v, v) if k in params.get(name, []) and isinstance(v, str) else v
                for k, v in arguments.items()}

    steps = [s.model_copy(update={"tool_calls": [c.model_copy(update={"arguments": moved(c.arguments, c.name)})
                                                  for c in s.tool_calls]}) for s in draft.steps]
    return replace(draft, query=pattern.sub(lambda m: said[m.group(0)], draft.query), tools=tools, steps=steps,
                   extra={**draft.extra, "city_state": sorted(new.values())})


__all__ = ["FORMAT_NOTES", "US_PLACES", "city_and_state", "city_parameters", "place_forms"]
