"""Concerts, shows, festivals, exhibitions and conferences over seeded synthetic event listings."""

from __future__ import annotations

from typing import Any, Literal

from xlam.tools.catalog.domains._common import Budget, Count, Date, Name, ensure_order, listing, record, tool

CATEGORY = "events"

EventType = Literal["concert", "theater", "comedy", "sports", "festival", "exhibition", "conference", "workshop"]


@tool
def find_events(city: Name, event_type: EventType, start_date: Date, end_date: Date, max_price: Budget | None = None) -> list[dict[str, Any]]:
    """Find events of a type in a city between two dates.

    Args:
        city: The city.
        event_type: The kind of event.
        start_date: The first day (YYYY-MM-DD).
        end_date: The last day (YYYY-MM-DD).
        max_price: The highest ticket price.
    """
    span = ensure_order(start_date, end_date)
    return listing("find_events", locals(), 4, event_id=("code", "EVT"), date=("date", start_date, span),
                   starts=("time", 10, 22), price_from=("money", 0, max_price or 250))


@tool
def get_event_details(event_id: Name) -> dict[str, Any]:
    """Get the venue, time, lineup and prices of an event.

    Args:
        event_id: The event's identifier.
    """
    return record("get_event_details", locals(), venue=("pick", ["Grand Hall", "Riverside Arena", "City Theater", "Expo Center"]),
                  date=("date", "2026-01-01", 300), starts=("time", 10, 22), price_from=("money", 10, 200))


@tool
def buy_event_tickets(event_name: Name, ticket_quantity: Count, date: Date,
                      seating: Literal["general admission", "reserved", "VIP"] = "general admission") -> dict[str, Any]:
    """Buy tickets for an event.

    Args:
        event_name: The event.
        ticket_quantity: The number of tickets.
        date: The event date (YYYY-MM-DD).
        seating: The ticket tier.
    """
    out = record("buy_event_tickets", locals(), order_id=("code", "TKT"), price_each=("money", 15, 300))
    out["total"] = round(out["price_each"] * ticket_quantity, 2)
    return out


@tool
def find_theater_shows(city: Name, date: Date, show_genre: Literal["musical", "drama", "comedy", "opera", "ballet", "any"] = "any") -> list[dict[str, Any]]:
    """Find theater shows playing in a city on a date.

    Args:
        city: The city.
        date: The day (YYYY-MM-DD).
        show_genre: The kind of show.
    """
    return listing("find_theater_shows", locals(), 3, show=("pick", ["The Lighthouse", "Cabaret Nights", "Hamlet", "Swan Lake",
                                                                   "La Boheme", "The Mousetrap"]),
                   theater=("pick", ["Royal Theater", "Playhouse", "Opera House"]), curtain=("time", 14, 20),
                   price_from=("money", 20, 150))


@tool
def list_museum_exhibitions(museum_name: Name, current_only: bool = True) -> dict[str, Any]:
    """List the exhibitions at a museum.

    Args:
        museum_name: The museum.
        current_only: Only exhibitions open now.
    """
    rows = listing("list_museum_exhibitions", locals(), 3, exhibition=("pick", ["Impressions of Light", "Ancient Egypt",
                                                                             "Modern Design", "Dinosaurs Alive",
                                                                             "Photography Now", "Silk Road Treasures"]),
                   closes=("date", "2026-01-01", 200))
    return {"museum_name": museum_name, "exhibitions": rows}


@tool
def find_festivals(city: Name, month: Literal[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12],
                   festival_type: Literal["music", "food", "film", "art", "cultural", "any"] = "any") -> list[dict[str, Any]]:
    """Find festivals in a city during a month.

    Args:
        city: The city.
        month: The month (1-12).
        festival_type: The kind of festival.
    """
    return listing("find_festivals", locals(), 3, festival=("pick", [f"{city} {k} Festival" for k in
                                                                   ("Summer", "Lights", "Harvest", "Street Food", "Film")]),
                   start_day=("int", 1, 25), days=("int", 1, 7), free=("bool", 0.4))


@tool
def get_venue_seating_map(venue_name: Name) -> dict[str, Any]:
    """Get the sections and capacity of a venue's seating.

    Args:
        venue_name: The venue.
    """
    return record("get_venue_seating_map", locals(), capacity=("int", 200, 80000),
                  sections=("some", ["floor", "lower bowl", "upper bowl", "balcony", "boxes", "mezzanine"], 3),
                  accessible_seats=("int", 4, 400))


@tool
def register_for_conference(conference_name: Name, attendee_name: Name,
                            pass_type: Literal["full", "one day", "virtual", "student"] = "full") -> dict[str, Any]:
    """Register an attendee for a conference.

    Args:
        conference_name: The conference.
        attendee_name: The attendee's full name.
        pass_type: The kind of pass.
    """
    return record("register_for_conference", locals(), registration_id=("code", "CONF"), fee=("money", 0, 1200))


@tool
def find_comedy_shows(city: Name, date: Date) -> list[dict[str, Any]]:
    """Find stand-up comedy shows in a city on a date.

    Args:
        city: The city.
        date: The day (YYYY-MM-DD).
    """
    return listing("find_comedy_shows", locals(), 3, comedian=("pick", ["Jo Banks", "Max Ortiz", "Lena Fry", "Kev Park"]),
                   club=("pick", ["Laugh Factory", "The Punchline", "Comedy Cellar"]), starts=("time", 19, 23),
                   price=("money", 10, 60))


@tool
def get_ticket_resale_prices(event_name: Name, date: Date) -> dict[str, Any]:
    """Get resale ticket prices for an event.

    Args:
        event_name: The event.
        date: The event date (YYYY-MM-DD).
    """
    return record("get_ticket_resale_prices", locals(), lowest=("money", 20, 200), median=("money", 60, 400),
                  listings=("int", 0, 900))


@tool
def find_kids_activities(city: Name, date: Date, max_age: Literal[3, 6, 9, 12, 15] = 9) -> list[dict[str, Any]]:
    """Find activities for children in a city on a date.

    Args:
        city: The city.
        date: The day (YYYY-MM-DD).
        max_age: The oldest child's age.
    """
    return listing("find_kids_activities", locals(), 3, activity=("pick", ["puppet show", "science workshop", "zoo tour",
                                                                        "story time", "art class", "trampoline park"]),
                   starts=("time", 9, 17), price=("money", 0, 30))


@tool
def get_museum_opening_hours(museum_name: Name, date: Date) -> dict[str, Any]:
    """Get a museum's opening hours and admission price on a date.

    Args:
        museum_name: The museum.
        date: The day (YYYY-MM-DD).
    """
    return record("get_museum_opening_hours", locals(), opens=("time", 9, 11), closes=("time", 17, 21),
                  admission=("money", 0, 30), closed=("bool", 0.1))
