"""Restaurant search, reservations, menus and delivery over seeded synthetic listings."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from xlam.tools.catalog.domains._common import (
    Count,
    Date,
    Guests,
    Money,
    Name,
    Names,
    Time,
    listing,
    record,
    tool,
)

CATEGORY = "restaurants"

Price = Literal["$", "$$", "$$$", "$$$$"]
Weekday = Literal["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
_PLACES = ["Bistro", "Trattoria", "Kitchen", "Cantina", "Brasserie", "Grill", "Noodle Bar", "Diner", "Tavern"]
_DISHES = ["house salad", "grilled salmon", "mushroom risotto", "beef tacos", "pad thai", "margherita pizza",
           "lamb curry", "tofu bowl", "fish and chips", "ramen", "chocolate tart", "tiramisu"]


@tool
def search_restaurant_listings(city: Name, cuisine: Name, price_level: Price = "$$", open_now: bool = False,
                     limit: Count = 5) -> list[dict[str, Any]]:
    """Find restaurants in a city that serve a cuisine.

    Args:
        city: The city to search.
        cuisine: The kind of food, e.g. Italian or Thai.
        price_level: The price band from $ (cheap) to $$$$ (fine dining).
        open_now: Only include places open right now.
        limit: The most results to return.
    """
    return listing("search_restaurant_listings", locals(), limit, restaurant_name=("pick", [f"{cuisine} {p}" for p in _PLACES]),
                   rating=("rating",), price_level=("const", price_level), distance_km=("float", 0.2, 9))


@tool
def reserve_table(restaurant_name: Name, reservation_date: Date, reservation_time: Time, party_size: Guests,
                  seating: Literal["indoor", "outdoor", "bar", "any"] = "any") -> dict[str, Any]:
    """Reserve a table at a restaurant.

    Args:
        restaurant_name: The restaurant.
        reservation_date: The day of the booking (YYYY-MM-DD).
        reservation_time: The time of the booking (HH:MM).
        party_size: The number of diners.
        seating: Where to sit.
    """
    return record("reserve_table", locals(), reservation_code=("code", "RES"), status=("const", "confirmed"))


@tool
def get_restaurant_menu(restaurant_name: Name, meal: Literal["breakfast", "lunch", "dinner", "drinks"] = "dinner") -> dict[str, Any]:
    """Get the menu of a restaurant for a meal.

    Args:
        restaurant_name: The restaurant.
        meal: Which menu to show.
    """
    rows = listing("get_restaurant_menu", locals(), 6, dish=("pick", _DISHES), price=("money", 6, 42),
                   vegetarian=("bool", 0.35))
    return {"restaurant_name": restaurant_name, "meal": meal, "items": rows}


@tool
def get_restaurant_rating(restaurant_name: Name, city: Name) -> dict[str, Any]:
    """Get a restaurant's average guest rating and review count.

    Args:
        restaurant_name: The restaurant.
        city: The city where it is.
    """
    return record("get_restaurant_rating", locals(), rating=("rating", 2.5), reviews=("int", 12, 4800))


@tool
def order_food_delivery(restaurant_name: Name, dishes: Names, delivery_address: Name,
                        tip_percent: Literal[0, 10, 15, 20] = 15) -> dict[str, Any]:
    """Order dishes from a restaurant for delivery to an address.

    Args:
        restaurant_name: The restaurant.
        dishes: The dishes to order.
        delivery_address: The street address to deliver to.
        tip_percent: The tip for the courier in percent.
    """
    out = record("order_food_delivery", locals(), order_id=("code", "ORD"), eta_minutes=("int", 20, 70),
                 subtotal=("money", 12, 120))
    out["total"] = round(out["subtotal"] * (1 + tip_percent / 100) + 3.99, 2)
    return out


@tool
def cancel_table_reservation(reservation_code: Name) -> dict[str, Any]:
    """Cancel a restaurant table reservation.

    Args:
        reservation_code: The code of the reservation.
    """
    return record("cancel_table_reservation", locals(), status=("const", "cancelled"), fee=("pick", [0, 0, 0, 10, 25]))


@tool
def get_opening_hours(restaurant_name: Name, weekday: Weekday) -> dict[str, Any]:
    """Get the opening hours of a restaurant on a weekday.

    Args:
        restaurant_name: The restaurant.
        weekday: The day of the week.
    """
    return record("get_opening_hours", locals(), opens=("time", 7, 12), closes=("time", 21, 23),
                  closed=("bool", 0.1))


@tool
def split_restaurant_bill(total_amount: Money, people: Guests, tip_percent: Annotated[float, Field(ge=0, le=50)] = 15.0) -> dict[str, float]:
    """Split a restaurant bill with tip evenly between diners.

    Args:
        total_amount: The bill before tip.
        people: The number of people paying.
        tip_percent: The tip in percent.
    """
    if not 0 <= tip_percent <= 50:
        raise ValueError(f"tip_percent must be between 0 and 50, got {tip_percent}")
    total = total_amount * (1 + tip_percent / 100)
    return {"total_with_tip": round(total, 2), "per_person": round(total / people, 2)}


@tool
def find_brunch_spots(neighborhood: Name, city: Name, outdoor_seating: bool = False) -> list[dict[str, Any]]:
    """Find brunch places in a neighborhood of a city.

    Args:
        neighborhood: The neighborhood or district.
        city: The city.
        outdoor_seating: Only include places with outdoor seating.
    """
    return listing("find_brunch_spots", locals(), 3, restaurant_name=("pick", [f"{neighborhood} {p}" for p in _PLACES]),
                   rating=("rating",), serves_until=("time", 13, 16))


@tool
def list_daily_specials(restaurant_name: Name, date: Date) -> dict[str, Any]:
    """List a restaurant's specials of the day.

    Args:
        restaurant_name: The restaurant.
        date: The day (YYYY-MM-DD).
    """
    return record("list_daily_specials", locals(), specials=("some", _DISHES, 3), special_price=("money", 9, 35))


@tool
def estimate_delivery_time(restaurant_name: Name, delivery_address: Name) -> dict[str, Any]:
    """Estimate how long a delivery from a restaurant to an address takes.

    Args:
        restaurant_name: The restaurant.
        delivery_address: The street address to deliver to.
    """
    return record("estimate_delivery_time", locals(), minutes=("int", 15, 75), courier_fee=("money", 1.99, 7.99))


@tool
def check_allergen_info(restaurant_name: Name, dish: Name,
                        allergen: Literal["gluten", "peanuts", "tree nuts", "dairy", "eggs", "shellfish", "soy"]) -> dict[str, Any]:
    """Check whether a restaurant dish contains an allergen.

    Args:
        restaurant_name: The restaurant.
        dish: The dish on the menu.
        allergen: The allergen to check.
    """
    return record("check_allergen_info", locals(), contains=("bool", 0.3), can_be_prepared_without=("bool", 0.6))
