"""Hotel search, booking and stay tools over seeded synthetic inventory."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from xlam.tools.catalog.domains._common import (
    Budget,
    Date,
    Guests,
    Miles,
    Name,
    Nights,
    code_for,
    date_of,
    ensure_order,
    money,
    pick,
    rng_for,
    stars,
    tool,
)

CATEGORY = "hotels"

RoomType = Literal["single", "double", "twin", "suite", "family"]
_CHAINS = ["Grand", "Harbor", "Plaza", "Park", "Royal", "Riverside", "Central", "Garden", "Skyline", "Old Town"]
_KINDS = ["Hotel", "Inn", "Suites", "Lodge", "Resort", "House"]
_AMENITIES = ["free wifi", "pool", "gym", "spa", "parking", "breakfast", "airport shuttle", "bar", "pet friendly",
              "24h front desk", "laundry", "rooftop terrace"]


def _hotel_names(rng_seed: object, city: str, k: int) -> list[str]:
    rng = rng_for("hotel-names", rng_seed, city)
    return [f"{rng.choice(_CHAINS)} {city} {rng.choice(_KINDS)}" for _ in range(k)]


@tool
def search_hotel_offers(city: Name, check_in_date: Date, nights: Nights, guests: Guests = 2,
                  max_price_per_night: Budget | None = None, pet_friendly: bool = False) -> list[dict[str, object]]:
    """Search hotels with free rooms in a city for given dates.

    Args:
        city: The city to stay in.
        check_in_date: The arrival date (YYYY-MM-DD).
        nights: The number of nights.
        guests: The number of guests.
        max_price_per_night: The highest nightly rate to include.
        pet_friendly: Only include hotels that accept pets.
    """
    rng = rng_for("search_hotel_offers", city, check_in_date, nights, guests, pet_friendly)
    cap = max_price_per_night or 600.0
    out = []
    for name in _hotel_names(check_in_date, city, 5):
        out.append({"hotel_name": name, "stars": rng.randint(2, 5), "rating": stars(rng),
                    "price_per_night": money(rng, min(40.0, cap * 0.5), cap), "pet_friendly": pet_friendly or rng.random() < 0.4,
                    "distance_to_center_km": round(rng.uniform(0.2, 8), 1)})
    return sorted(out, key=lambda h: float(str(h["price_per_night"])))


@tool
def book_hotel_room(hotel_name: Name, check_in_date: Date, nights: Nights, room_type: RoomType = "double",
                    guests: Guests = 1) -> dict[str, object]:
    """Book a room at a hotel for a number of nights.

    Args:
        hotel_name: The hotel to book.
        check_in_date: The arrival date (YYYY-MM-DD).
        nights: The number of nights.
        room_type: The kind of room.
        guests: The number of guests.
    """
    rng = rng_for("book_hotel_room", hotel_name, check_in_date, nights, room_type, guests)
    rate = money(rng, 60, 400)
    check_out = date_of(check_in_date).toordinal() + nights
    from datetime import date
    return {"confirmation_code": code_for(rng, "HTL"), "hotel_name": hotel_name, "room_type": room_type,
            "check_in_date": check_in_date, "check_out_date": date.fromordinal(check_out).isoformat(),
            "guests": guests, "nightly_rate": rate, "total_price": round(rate * nights, 2)}


@tool
def cancel_hotel_reservation(confirmation_code: Name, reason: str = "") -> dict[str, object]:
    """Cancel a hotel reservation by its confirmation code.

    Args:
        confirmation_code: The code given when the room was booked.
        reason: Why the stay is cancelled.
    """
    rng = rng_for("cancel_hotel_reservation", confirmation_code)
    refund = rng.choice([100, 100, 50, 0])
    return {"confirmation_code": confirmation_code, "status": "cancelled", "refund_percent": refund,
            "reason": reason or "not given"}


@tool
def get_hotel_reviews(hotel_name: Name, limit: Literal[3, 5, 10] = 5) -> dict[str, object]:
    """Get recent guest reviews of a hotel.

    Args:
        hotel_name: The hotel.
        limit: How many reviews to return.
    """
    rng = rng_for("get_hotel_reviews", hotel_name)
    remarks = ["spotless rooms", "friendly staff", "noisy street", "great breakfast", "small bathroom",
               "excellent location", "slow check-in", "comfortable beds", "good value", "tired decor"]
    reviews = [{"score": rng.randint(2, 5), "comment": rng.choice(remarks)} for _ in range(limit)]
    return {"hotel_name": hotel_name, "average_score": round(sum(int(str(r["score"])) for r in reviews) / limit, 2),
            "reviews": reviews}


@tool
def check_room_availability(hotel_name: Name, check_in_date: Date, check_out_date: Date,
                            room_type: RoomType = "double") -> dict[str, object]:
    """Check whether a hotel has a room of a type free between two dates.

    Args:
        hotel_name: The hotel.
        check_in_date: The arrival date (YYYY-MM-DD).
        check_out_date: The departure date (YYYY-MM-DD).
        room_type: The kind of room.
    """
    nights = ensure_order(check_in_date, check_out_date, "check-out date")
    rng = rng_for("check_room_availability", hotel_name, check_in_date, check_out_date, room_type)
    free = rng.randint(0, 6)
    return {"hotel_name": hotel_name, "room_type": room_type, "nights": nights, "available": free > 0,
            "rooms_left": free, "nightly_rate": money(rng, 70, 380)}


@tool
def get_hotel_amenities(hotel_name: Name) -> dict[str, object]:
    """List the amenities and services a hotel offers.

    Args:
        hotel_name: The hotel.
    """
    rng = rng_for("get_hotel_amenities", hotel_name)
    return {"hotel_name": hotel_name, "amenities": sorted(pick(rng, _AMENITIES, rng.randint(4, 8))),
            "check_in_from": f"{rng.choice([14, 15, 16])}:00", "check_out_until": f"{rng.choice([10, 11, 12])}:00"}


@tool
def list_hotels_near_landmark(landmark: Name, radius_km: Miles = 2.0, min_stars: Literal[1, 2, 3, 4, 5] = 3) -> list[dict[str, object]]:
    """List hotels within walking distance of a landmark.

    Args:
        landmark: The landmark or attraction.
        radius_km: The search radius in kilometres.
        min_stars: The lowest star rating to include.
    """
    rng = rng_for("list_hotels_near_landmark", landmark, radius_km, min_stars)
    return [{"hotel_name": f"{rng.choice(_CHAINS)} {rng.choice(_KINDS)}", "stars": rng.randint(min_stars, 5),
             "distance_km": round(rng.uniform(0.1, radius_km), 2)} for _ in range(4)]


@tool
def get_hotel_cancellation_policy(hotel_name: Name, rate_plan: Literal["flexible", "semi-flexible", "non-refundable"] = "flexible") -> dict[str, object]:
    """Get the cancellation terms of a hotel's rate plan.

    Args:
        hotel_name: The hotel.
        rate_plan: The rate plan booked.
    """
    rng = rng_for("get_hotel_cancellation_policy", hotel_name, rate_plan)
    hours = {"flexible": rng.choice([24, 48]), "semi-flexible": rng.choice([72, 120]), "non-refundable": 0}[rate_plan]
    return {"hotel_name": hotel_name, "rate_plan": rate_plan, "free_cancellation_hours_before": hours,
            "refundable": rate_plan != "non-refundable"}


@tool
def estimate_hotel_stay_cost(nightly_rate: Budget, nights: Nights, tax_percent: Annotated[float, Field(ge=0, le=40)] = 12.0,
                             resort_fee_per_night: Annotated[float, Field(ge=0, le=200)] = 0.0) -> dict[str, float]:
    """Estimate the total cost of a hotel stay with taxes and fees.

    Args:
        nightly_rate: The room rate per night.
        nights: The number of nights.
        tax_percent: The lodging tax in percent.
        resort_fee_per_night: A resort or city fee charged per night.
    """
    if not 0 <= tax_percent <= 40:
        raise ValueError(f"tax_percent must be between 0 and 40, got {tax_percent}")
    if resort_fee_per_night < 0:
        raise ValueError("resort_fee_per_night must not be negative")
    base = nightly_rate * nights
    tax = base * tax_percent / 100
    fees = resort_fee_per_night * nights
    return {"room_total": round(base, 2), "tax": round(tax, 2), "fees": round(fees, 2), "total": round(base + tax + fees, 2)}


@tool
def find_hostels(city: Name, max_price_per_night: Budget = 40.0, private_room: bool = False) -> list[dict[str, object]]:
    """Find budget hostels in a city.

    Args:
        city: The city.
        max_price_per_night: The highest price per bed or room.
        private_room: Only include hostels with private rooms.
    """
    rng = rng_for("find_hostels", city, max_price_per_night, private_room)
    names = ["Backpackers", "Nomad", "Wanderer", "Hostel One", "Generator", "Bunk"]
    return [{"hostel_name": f"{rng.choice(names)} {city}", "price_per_night": money(rng, 8, max_price_per_night),
             "rating": stars(rng, 2.5), "private_rooms": private_room or rng.random() < 0.5} for _ in range(3)]


@tool
def request_late_checkout(confirmation_code: Name,
                          checkout_time: Literal["12:00", "13:00", "14:00", "15:00", "16:00", "17:00", "18:00"]) -> dict[str, object]:
    """Ask the hotel for a late check-out on the departure day.

    Args:
        confirmation_code: The booking's confirmation code.
        checkout_time: The wished check-out time.
    """
    hour = int(checkout_time.split(":")[0])
    rng = rng_for("request_late_checkout", confirmation_code, checkout_time)
    fee = 0.0 if hour <= 12 else money(rng, 15, 60)
    return {"confirmation_code": confirmation_code, "checkout_time": checkout_time, "approved": rng.random() < 0.8,
            "fee": fee}


@tool
def get_hotel_parking_info(hotel_name: Name, vehicle: Literal["car", "motorcycle", "van", "electric car"] = "car") -> dict[str, object]:
    """Get parking options and daily parking fees at a hotel.

    Args:
        hotel_name: The hotel.
        vehicle: The vehicle to park.
    """
    rng = rng_for("get_hotel_parking_info", hotel_name, vehicle)
    return {"hotel_name": hotel_name, "vehicle": vehicle, "on_site": rng.random() < 0.7,
            "daily_fee": money(rng, 0, 45), "ev_charging": vehicle == "electric car" and rng.random() < 0.6}


@tool
def get_hotel_loyalty_points(member_number: Name, hotel_chain: Name) -> dict[str, object]:
    """Get the points balance and tier of a hotel loyalty member.

    Args:
        member_number: The loyalty programme membership number.
        hotel_chain: The hotel chain of the programme.
    """
    rng = rng_for("get_hotel_loyalty_points", member_number, hotel_chain)
    return {"member_number": member_number, "hotel_chain": hotel_chain, "points": rng.randint(0, 250_000),
            "tier": rng.choice(["member", "silver", "gold", "platinum"])}
