"""Historical events, figures, wars, treaties and periods over seeded synthetic timelines."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from xlam.tools.catalog.domains._common import Count, Name, ensure_years, listing, record, rng_for, tool

CATEGORY = "history"

HistYear = Annotated[int, Field(ge=500, le=2025)]

_KINDS = ["war", "treaty", "revolution", "election", "founding", "reform", "uprising", "discovery", "coronation"]


@tool
def get_historical_events(country: Name, start_year: HistYear, end_year: HistYear,
                          event_type: Literal["war", "politics", "science", "culture", "economy", "any"] = "any") -> list[dict[str, Any]]:
    """Get key historical events of a country between two years.

    Args:
        country: The country.
        start_year: The first year.
        end_year: The last year.
        event_type: The kind of event.
    """
    ensure_years(start_year, end_year)
    rows = listing("get_historical_events", locals(), 5, year=("int", start_year, end_year), kind=("pick", _KINDS),
                   significance=("int", 1, 10))
    return sorted(rows, key=lambda r: r["year"])


@tool
def get_historical_figure_bio(historical_figure: Name) -> dict[str, Any]:
    """Get a short biography of a historical figure.

    Args:
        historical_figure: The person's name.
    """
    rng = rng_for("get_historical_figure_bio", historical_figure)
    born = rng.randint(-500, 1930)
    return {"historical_figure": historical_figure, "born": born, "died": born + rng.randint(30, 95),
            "known_for": rng.choice(["statesmanship", "science", "exploration", "art", "philosophy", "military command"])}


@tool
def get_battle_summary(battle_name: Name) -> dict[str, Any]:
    """Get the date, belligerents and outcome of a battle.

    Args:
        battle_name: The battle.
    """
    return record("get_battle_summary", locals(), year=("int", -480, 1945), duration_days=("int", 1, 300),
                  outcome=("pick", ["decisive victory", "stalemate", "pyrrhic victory", "retreat"]),
                  casualties=("int", 200, 500_000))


@tool
def get_dynasty_rulers(dynasty_name: Name, limit: Count = 5) -> dict[str, Any]:
    """List the rulers of a dynasty in order.

    Args:
        dynasty_name: The dynasty or royal house.
        limit: The most rulers to return.
    """
    rows = listing("get_dynasty_rulers", locals(), limit, reign_years=("int", 1, 60),
                   title=("pick", ["king", "queen", "emperor", "empress", "sultan", "regent"]))
    return {"dynasty_name": dynasty_name, "rulers": [{"order": i + 1, **r} for i, r in enumerate(rows)]}


@tool
def lookup_historical_event_date(historical_event: Name) -> dict[str, Any]:
    """Get when a historical event happened.

    Args:
        historical_event: The event, e.g. the fall of the Berlin Wall.
    """
    return record("lookup_historical_event_date", locals(), year=("int", -500, 2020), month=("int", 1, 12), day=("int", 1, 28))


@tool
def list_treaties(country: Name, start_year: HistYear, end_year: HistYear) -> list[dict[str, Any]]:
    """List the treaties a country signed between two years.

    Args:
        country: The country.
        start_year: The first year.
        end_year: The last year.
    """
    ensure_years(start_year, end_year)
    return listing("list_treaties", locals(), 3, year=("int", start_year, end_year),
                   kind=("pick", ["peace", "trade", "alliance", "border", "non-aggression"]), parties=("int", 2, 12))


@tool
def get_empire_extent(empire_name: Name, year: HistYear) -> dict[str, Any]:
    """Get the territory and population of an empire in a given year.

    Args:
        empire_name: The empire.
        year: The year.
    """
    return record("get_empire_extent", locals(), area_million_km2=("float", 0.2, 35),
                  population_millions=("float", 0.5, 150), capital=("pick", ["Rome", "Constantinople", "Baghdad", "Beijing",
                                                                             "Cusco", "Vienna", "Delhi"]))


@tool
def find_inventions_by_century(century: Annotated[int, Field(ge=1, le=21)], field: Literal["any", "medicine", "transport", "communication", "energy", "agriculture"] = "any") -> list[dict[str, Any]]:
    """Find notable inventions of a century.

    Args:
        century: The century, e.g. 19 for the 1800s.
        field: The field of the inventions.
    """
    items = ["printing press", "steam engine", "telegraph", "vaccine", "telephone", "light bulb", "compass", "plough",
             "radio", "steel converter", "microscope", "mechanical clock"]
    return listing("find_inventions_by_century", locals(), 3, invention=("pick", items), importance=("int", 1, 10))


@tool
def get_monument_history(monument_name: Name) -> dict[str, Any]:
    """Get the history of a monument or historic building.

    Args:
        monument_name: The monument.
    """
    return record("get_monument_history", locals(), built_start=("int", -2500, 1900), construction_years=("int", 1, 200),
                  purpose=("pick", ["tomb", "temple", "palace", "fortress", "memorial", "cathedral"]),
                  unesco_site=("bool", 0.6))


@tool
def get_historical_period_summary(historical_period: Name, region: Name = "Europe") -> dict[str, Any]:
    """Summarise a historical period: its dates, main features and key events.

    Args:
        historical_period: The period or era.
        region: The region of the world.
    """
    features = ["urbanisation", "religious reform", "trade expansion", "feudalism", "industrialisation", "colonial expansion",
                "scientific inquiry", "centralised monarchy"]
    return record("get_historical_period_summary", locals(), starts=("int", -3000, 1900), spans_years=("int", 50, 800),
                  features=("some", features, 3))


@tool
def get_war_timeline(war_name: Name, milestones: Count = 5) -> dict[str, Any]:
    """Get a timeline of the main phases of a war.

    Args:
        war_name: The war.
        milestones: How many milestones to list.
    """
    rows = listing("get_war_timeline", locals(), milestones, year=("int", 0, 8),
                   phase=("pick", ["outbreak", "offensive", "stalemate", "turning point", "armistice", "peace treaty"]))
    return {"war_name": war_name, "timeline": sorted(rows, key=lambda r: r["year"])}


@tool
def get_ancient_civilization_facts(civilization: Name) -> dict[str, Any]:
    """Get basic facts about an ancient civilization.

    Args:
        civilization: The civilization.
    """
    return record("get_ancient_civilization_facts", locals(), began_year=("int", -4000, -500), lasted_years=("int", 200, 2500),
                  writing_system=("bool", 0.8), capital=("pick", ["Memphis", "Babylon", "Athens", "Cuzco", "Tenochtitlan", "Xi'an"]))
