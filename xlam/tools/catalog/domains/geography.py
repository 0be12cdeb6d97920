"""Countries, cities, rivers, mountains and parks over a small table plus seeded synthetic figures."""

from __future__ import annotations

from typing import Any, Literal

from xlam.tools.catalog.domains._common import Count, Name, listing, record, rng_for, tool

CATEGORY = "geography"

_CAPITALS = {"france": "Paris", "japan": "Tokyo", "brazil": "Brasilia", "kenya": "Nairobi", "canada": "Ottawa",
             "india": "New Delhi", "germany": "Berlin", "mexico": "Mexico City", "italy": "Rome", "norway": "Oslo",
             "spain": "Madrid", "portugal": "Lisbon", "egypt": "Cairo", "nigeria": "Abuja", "argentina": "Buenos Aires",
             "chile": "Santiago", "peru": "Lima", "colombia": "Bogota", "australia": "Canberra", "new zealand": "Wellington",
             "sweden": "Stockholm", "finland": "Helsinki", "poland": "Warsaw", "greece": "Athens", "turkey": "Ankara",
             "vietnam": "Hanoi", "thailand": "Bangkok", "indonesia": "Jakarta", "south korea": "Seoul", "morocco": "Rabat",
             "ghana": "Accra", "ireland": "Dublin", "austria": "Vienna", "switzerland": "Bern", "netherlands": "Amsterdam",
             "belgium": "Brussels", "denmark": "Copenhagen", "iceland": "Reykjavik", "philippines": "Manila",
             "malaysia": "Kuala Lumpur"}


@tool
def get_country_capital(country: Name) -> dict[str, Any]:
    """Get the capital city of a country.

    Args:
        country: The country.
    """
    capital = _CAPITALS.get(country.strip().lower())
    if capital is None:
        capital = rng_for("capital", country).choice(["Port Royal", "New Haven", "Saint Marc", "Valle Alto"])
    return {"country": country, "capital": capital}


@tool
def get_country_population(country: Name, year: Literal[2000, 2005, 2010, 2015, 2020, 2025] = 2025) -> dict[str, Any]:
    """Get the population of a country in a year.

    Args:
        country: The country.
        year: The census or estimate year.
    """
    return record("get_country_population", locals(), population_millions=("float", 0.3, 1400),
                  urban_percent=("int", 20, 98))


@tool
def get_river_length(river_name: Name) -> dict[str, Any]:
    """Get the length and outflow of a river.

    Args:
        river_name: The river.
    """
    return record("get_river_length", locals(), length_km=("int", 80, 6650),
                  flows_into=("pick", ["Atlantic Ocean", "Mediterranean Sea", "Pacific Ocean", "Black Sea", "North Sea"]))


@tool
def get_mountain_elevation(mountain_name: Name, units: Literal["meters", "feet"] = "meters") -> dict[str, Any]:
    """Get the summit elevation of a mountain.

    Args:
        mountain_name: The mountain.
        units: Meters or feet.
    """
    out = record("get_mountain_elevation", locals(), elevation=("int", 900, 8849), first_ascent=("int", 1786, 1990))
    if units == "feet":
        out["elevation"] = round(out["elevation"] * 3.28084)
    return out


@tool
def list_neighboring_countries(country: Name) -> dict[str, Any]:
    """List the countries that share a land border with a country.

    Args:
        country: The country.
    """
    others = [c.title() for c in _CAPITALS if c != country.strip().lower()]
    return record("list_neighboring_countries", locals(), neighbors=("some", others, 3))


@tool
def get_city_coordinates(city: Name, country: str = "") -> dict[str, Any]:
    """Get the latitude and longitude of a city.

    Args:
        city: The city.
        country: The country, to tell same-named cities apart.
    """
    return record("get_city_coordinates", locals(), latitude=("float", -60, 70), longitude=("float", -180, 180))


@tool
def get_city_time_zone(city: Name) -> dict[str, Any]:
    """Get the time zone and UTC offset of a city.

    Args:
        city: The city.
    """
    return record("get_city_time_zone", locals(), utc_offset_hours=("int", -10, 12), observes_dst=("bool", 0.5))


@tool
def get_country_languages(country: Name) -> dict[str, Any]:
    """Get the official and widely spoken languages of a country.

    Args:
        country: The country.
    """
    langs = ["English", "French", "Spanish", "Portuguese", "Arabic", "Swahili", "German", "Hindi", "Mandarin", "Malay"]
    return record("get_country_languages", locals(), official=("some", langs, 1), widely_spoken=("some", langs, 2))


@tool
def get_largest_cities(country: Name, limit: Count = 5) -> dict[str, Any]:
    """Get the most populous cities of a country.

    Args:
        country: The country.
        limit: The most cities to return.
    """
    rows = listing("get_largest_cities", locals(), limit, population_millions=("float", 0.2, 30))
    rows.sort(key=lambda r: -r["population_millions"])
    return {"country": country, "cities": [{"rank": i + 1, **r} for i, r in enumerate(rows)]}


@tool
def get_country_area(country: Name, units: Literal["km2", "mi2"] = "km2") -> dict[str, Any]:
    """Get the total surface area of a country.

    Args:
        country: The country.
        units: Square kilometres or square miles.
    """
    out = record("get_country_area", locals(), area=("int", 300, 9_900_000), water_percent=("float", 0, 15))
    if units == "mi2":
        out["area"] = round(out["area"] / 2.58999)
    return out


@tool
def get_country_currency(country: Name) -> dict[str, Any]:
    """Get the currency used in a country.

    Args:
        country: The country.
    """
    return record("get_country_currency", locals(), currency=("pick", ["EUR", "USD", "JPY", "BRL", "KES", "INR", "CAD", "NOK"]))


@tool
def find_national_parks(country: Name, limit: Count = 5, activity: Literal["hiking", "wildlife", "camping", "any"] = "any") -> list[dict[str, Any]]:
    """Find national parks in a country.

    Args:
        country: The country.
        limit: The most parks to return.
        activity: An activity the park should offer.
    """
    return listing("find_national_parks", locals(), limit, park=("pick", ["Red Canyon", "Blue Lakes", "High Forest",
                                                                       "Coastal Dunes", "Granite Peaks", "Wild River"]),
                   area_km2=("int", 50, 20000), established=("int", 1872, 2015))
