"""Flights, trains, car rental and trip-planning tools over seeded synthetic schedules and fares."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from xlam.tools.catalog.domains._common import (
    Count,
    Date,
    Guests,
    Name,
    Names,
    Time,
    ensure_order,
    listing,
    record,
    tool,
)

CATEGORY = "travel"

Cabin = Literal["economy", "premium economy", "business", "first"]
_AIRLINES = ["SkyJet", "Aurora Air", "Pacific Wings", "Nordic Air", "Atlas Airways", "Sunline"]


@tool
def search_flights(origin_city: Name, destination_city: Name, departure_date: Date, passengers: Guests = 1,
                   cabin_class: Cabin = "economy", nonstop_only: bool = False) -> list[dict[str, Any]]:
    """Search flights between two cities on a date.

    Args:
        origin_city: The city to fly from.
        destination_city: The city to fly to.
        departure_date: The departure date (YYYY-MM-DD).
        passengers: The number of passengers.
        cabin_class: The cabin class.
        nonstop_only: Only include nonstop flights.
    """
    if origin_city.strip().lower() == destination_city.strip().lower():
        raise ValueError("origin_city and destination_city must differ")
    return listing("search_flights", locals(), 4, airline=("pick", _AIRLINES), flight_number=("code", "FL"),
                   departs=("time", 5, 22), duration_minutes=("int", 55, 900), stops=("pick", [0] if nonstop_only else [0, 1, 2]),
                   fare_per_passenger=("money", 59, 2400))


@tool
def book_flight_ticket(flight_number: Name, passenger_name: Name, departure_date: Date, cabin_class: Cabin = "economy",
                       seat_preference: Literal["window", "aisle", "middle", "any"] = "any") -> dict[str, Any]:
    """Book a seat on a flight for a passenger.

    Args:
        flight_number: The flight's number.
        passenger_name: The passenger's full name.
        departure_date: The flight date (YYYY-MM-DD).
        cabin_class: The cabin class.
        seat_preference: The preferred seat position.
    """
    return record("book_flight_ticket", locals(), booking_reference=("code", "PNR"), seat=("pick", ["12A", "14C", "21F", "3B", "30D"]),
                  fare=("money", 79, 3200), status=("const", "confirmed"))


@tool
def get_flight_status(flight_number: Name, date: Date) -> dict[str, Any]:
    """Get the live status of a flight on a given day.

    Args:
        flight_number: The flight's number.
        date: The flight date (YYYY-MM-DD).
    """
    return record("get_flight_status", locals(), status=("pick", ["on time", "delayed", "boarding", "landed", "cancelled"]),
                  delay_minutes=("int", 0, 180), gate=("pick", ["A4", "B12", "C7", "D22", "E3"]), terminal=("int", 1, 5))


@tool
def find_cheapest_fare(origin_airport: Name, destination_airport: Name, month: Literal[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12],
                       year: Literal[2025, 2026, 2027] = 2026) -> dict[str, Any]:
    """Find the cheapest day to fly between two airports in a month.

    Args:
        origin_airport: The departure airport code.
        destination_airport: The arrival airport code.
        month: The travel month (1-12).
        year: The travel year.
    """
    return record("find_cheapest_fare", locals(), cheapest_day=("int", 1, 28), fare=("money", 39, 900),
                  airline=("pick", _AIRLINES))


@tool
def check_baggage_allowance(airline: Name, cabin_class: Cabin = "economy", international: bool = True) -> dict[str, Any]:
    """Check the checked and cabin baggage allowance of an airline.

    Args:
        airline: The airline.
        cabin_class: The cabin class.
        international: Whether the trip is international.
    """
    return record("check_baggage_allowance", locals(), checked_bags=("int", 0, 3), checked_bag_kg=("pick", [20, 23, 32]),
                  cabin_bag_kg=("pick", [7, 8, 10, 12]), extra_bag_fee=("money", 25, 120))


@tool
def get_airport_information(airport_code: Name) -> dict[str, Any]:
    """Get facts about an airport: terminals, lounges and transport to the city.

    Args:
        airport_code: The three-letter IATA code of the airport.
    """
    if len(airport_code) != 3 or not airport_code.isalpha():
        raise ValueError(f"airport_code must be a three-letter IATA code, got {airport_code!r}")
    return record("get_airport_information", locals(), terminals=("int", 1, 5), lounges=("int", 0, 12),
                  train_to_city=("bool", 0.6), minutes_to_city=("int", 15, 70))


@tool
def rent_car(city: Name, pickup_date: Date, return_date: Date,
             car_type: Literal["economy", "compact", "SUV", "minivan", "convertible", "electric"] = "economy",
             driver_age: Annotated[int, Field(ge=18, le=99)] = 30) -> dict[str, Any]:
    """Reserve a rental car in a city between two dates.

    Args:
        city: The pick-up city.
        pickup_date: The pick-up date (YYYY-MM-DD).
        return_date: The return date (YYYY-MM-DD).
        car_type: The kind of car.
        driver_age: The age of the main driver.
    """
    days = ensure_order(pickup_date, return_date, "return date")
    if not 18 <= driver_age <= 99:
        raise ValueError(f"driver_age must be between 18 and 99, got {driver_age}")
    out = record("rent_car", locals(), reservation_code=("code", "CAR"), daily_rate=("money", 19, 160),
                 company=("pick", ["Hertz-like", "Roadster", "GoCar", "DriveNow"]))
    out["days"] = days
    out["total"] = round(out["daily_rate"] * days, 2)
    return out


@tool
def get_train_timetable(origin_city: Name, destination_city: Name, travel_date: Date,
                        earliest_departure: Time = "06:00") -> list[dict[str, Any]]:
    """Get the train departures between two cities on a date.

    Args:
        origin_city: The departure city.
        destination_city: The arrival city.
        travel_date: The travel date (YYYY-MM-DD).
        earliest_departure: Only trains leaving at or after this time (HH:MM).
    """
    return listing("get_train_timetable", locals(), 4, train=("code", "TR"), departs=("time", 6, 22),
                   duration_minutes=("int", 40, 420), changes=("int", 0, 2), fare=("money", 12, 180))


@tool
def estimate_travel_time(origin_city: Name, destination_city: Name,
                         mode: Literal["car", "train", "bus", "plane", "bicycle"] = "car") -> dict[str, Any]:
    """Estimate the door-to-door travel time between two cities by a mode of transport.

    Args:
        origin_city: The starting city.
        destination_city: The destination city.
        mode: The mode of transport.
    """
    return record("estimate_travel_time", locals(), distance_km=("int", 20, 3000), hours=("float", 0.5, 40))


@tool
def get_visa_requirements(citizenship_country: Name, destination_country: Name,
                          purpose: Literal["tourism", "business", "study", "transit"] = "tourism") -> dict[str, Any]:
    """Get the entry and visa rules for a citizen travelling to a country.

    Args:
        citizenship_country: The traveller's country of citizenship.
        destination_country: The country to visit.
        purpose: The purpose of the trip.
    """
    return record("get_visa_requirements", locals(), visa_required=("bool", 0.4), max_stay_days=("pick", [14, 30, 90, 180]),
                  evisa_available=("bool", 0.5), passport_validity_months=("pick", [3, 6]))


@tool
def plan_trip_itinerary(destination_city: Name, days: Count, interests: Names | None = None,
                        pace: Literal["relaxed", "moderate", "packed"] = "moderate") -> dict[str, Any]:
    """Plan a day-by-day sightseeing itinerary for a trip.

    Args:
        destination_city: The city to visit.
        days: The length of the trip in days.
        interests: Topics to favour, e.g. museums, food or hiking.
        pace: How busy each day should be.
    """
    spots = ["old town walk", "main museum", "food market", "city park", "harbour cruise", "viewpoint", "cathedral",
             "street art tour", "botanical garden", "local brewery", "day hike", "night market"]
    per_day = {"relaxed": 2, "moderate": 3, "packed": 4}[pace]
    rows = listing("plan_trip_itinerary", locals(), days, activities=("some", spots, per_day))
    return {"destination_city": destination_city, "days": [{"day": i + 1, **row} for i, row in enumerate(rows)]}


@tool
def get_travel_advisory(destination_country: Name) -> dict[str, Any]:
    """Get the current travel advisory level and notes for a country.

    Args:
        destination_country: The country to visit.
    """
    return record("get_travel_advisory", locals(), level=("int", 1, 4),
                  notes=("some", ["petty theft in tourist areas", "seasonal storms", "protests possible",
                                  "road safety", "health precautions"], 2))
