"""Homes for sale and rent, valuations, viewings and neighborhood data over seeded synthetic listings."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from xlam.tools.catalog.domains._common import Date, Money, Name, Time, listing, record, tool

CATEGORY = "real_estate"

Bedrooms = Literal[0, 1, 2, 3, 4, 5]
_STREETS = ["Maple Ave", "Oak St", "Harbor Rd", "Cedar Ln", "Elm Ct", "Park Blvd", "Hill St", "Mill Rd"]


@tool
def search_homes_for_sale(city: Name, min_bedrooms: Bedrooms = 1, max_price: Money | None = None,
                          property_type: Literal["house", "condo", "townhouse", "any"] = "any") -> list[dict[str, Any]]:
    """Search homes for sale in a city.

    Args:
        city: The city.
        min_bedrooms: The fewest bedrooms.
        max_price: The highest asking price.
        property_type: The kind of property.
    """
    cap = max_price or 2_000_000
    return listing("search_homes_for_sale", locals(), 4, listing_id=("code", "MLS"), street=("pick", _STREETS),
                   bedrooms=("int", max(min_bedrooms, 1), max(min_bedrooms, 5)), price=("money", min(80_000, cap * 0.4), cap),
                   square_feet=("int", 500, 4200))


@tool
def search_rental_listings(city: Name, bedrooms: Bedrooms, max_monthly_rent: Money, pets_allowed: bool = False) -> list[dict[str, Any]]:
    """Search apartments and houses for rent in a city.

    Args:
        city: The city.
        bedrooms: The number of bedrooms.
        max_monthly_rent: The highest monthly rent.
        pets_allowed: Only include listings that allow pets.
    """
    return listing("search_rental_listings", locals(), 4, listing_id=("code", "RENT"), street=("pick", _STREETS),
                   monthly_rent=("money", max_monthly_rent * 0.5, max_monthly_rent), available_from=("date", "2026-01-01", 120))


@tool
def get_property_valuation(street_address: Name, city: Name) -> dict[str, Any]:
    """Estimate the market value of a property.

    Args:
        street_address: The street address.
        city: The city.
    """
    return record("get_property_valuation", locals(), estimate=("money", 120_000, 1_800_000),
                  confidence=("pick", ["low", "medium", "high"]), last_sold_year=("int", 1990, 2024))


@tool
def get_neighborhood_profile(neighborhood: Name, city: Name) -> dict[str, Any]:
    """Get the demographics, safety and walkability of a neighborhood.

    Args:
        neighborhood: The neighborhood or district.
        city: The city.
    """
    return record("get_neighborhood_profile", locals(), walk_score=("int", 20, 99), median_home_price=("money", 150_000, 1_500_000),
                  crime_index=("int", 5, 90), median_age=("int", 24, 55))


@tool
def schedule_property_viewing(listing_id: Name, viewing_date: Date, viewing_time: Time, visitor_name: Name) -> dict[str, Any]:
    """Schedule a viewing of a listed property.

    Args:
        listing_id: The listing's identifier.
        viewing_date: The day of the viewing (YYYY-MM-DD).
        viewing_time: The time of the viewing (HH:MM).
        visitor_name: Who will attend.
    """
    return record("schedule_property_viewing", locals(), appointment_id=("code", "VIEW"),
                  agent=("pick", ["Dana Cole", "Ravi Shah", "Mia Torres", "Ole Dahl"]))


@tool
def estimate_closing_costs(home_price: Money, state_code: Name, first_time_buyer: bool = False) -> dict[str, Any]:
    """Estimate the closing costs of buying a home in a US state.

    Args:
        home_price: The purchase price.
        state_code: The two-letter US state code.
        first_time_buyer: Whether the buyer qualifies as a first-time buyer.
    """
    if len(state_code) != 2 or not state_code.isalpha():
        raise ValueError(f"state_code must be a two-letter US state code, got {state_code!r}")
    out = record("estimate_closing_costs", locals(), percent=("float", 2.0, 5.0))
    if first_time_buyer:
        out["percent"] = round(out["percent"] * 0.8, 2)
    out["estimate"] = round(home_price * out["percent"] / 100, 2)
    return out


@tool
def get_property_tax_rate(city: Name, property_use: Literal["primary residence", "rental", "commercial"] = "primary residence") -> dict[str, Any]:
    """Get the annual property tax rate of a city.

    Args:
        city: The city.
        property_use: How the property is used.
    """
    return record("get_property_tax_rate", locals(), rate_percent=("float", 0.3, 2.8))


@tool
def calculate_home_loan_payment(home_price: Money, down_payment_percent: Annotated[float, Field(ge=0, lt=100)], annual_rate_percent: Annotated[float, Field(ge=0, le=30)],
                                loan_years: Literal[10, 15, 20, 25, 30] = 30) -> dict[str, float]:
    """Calculate the monthly payment of a home loan after a down payment.

    Args:
        home_price: The purchase price.
        down_payment_percent: The down payment in percent of the price.
        annual_rate_percent: The annual interest rate in percent.
        loan_years: The loan term in years.
    """
    if not 0 <= down_payment_percent < 100:
        raise ValueError(f"down_payment_percent must be in [0, 100), got {down_payment_percent}")
    if not 0 <= annual_rate_percent <= 30:
        raise ValueError(f"annual_rate_percent must be in [0, 30], got {annual_rate_percent}")
    principal = home_price * (1 - down_payment_percent / 100)
    n, r = loan_years * 12, annual_rate_percent / 100 / 12
    payment = principal / n if r == 0 else principal * r / (1 - (1 + r) ** -n)
    return {"loan_amount": round(principal, 2), "monthly_payment": round(payment, 2),
            "total_interest": round(payment * n - principal, 2)}


@tool
def find_real_estate_agents(city: Name, specialty: Literal["buying", "selling", "rentals", "commercial", "luxury"] = "buying") -> list[dict[str, Any]]:
    """Find real estate agents working in a city.

    Args:
        city: The city.
        specialty: What the agent specialises in.
    """
    return listing("find_real_estate_agents", locals(), 3, agent=("pick", ["Dana Cole", "Ravi Shah", "Mia Torres", "Ole Dahl",
                                                                        "Ana Lima"]),
                   rating=("rating", 3.5), deals_last_year=("int", 3, 80))


@tool
def get_recent_home_sales(neighborhood: Name, city: Name, months: Literal[3, 6, 12, 24] = 6) -> dict[str, Any]:
    """Get homes recently sold in a neighborhood.

    Args:
        neighborhood: The neighborhood.
        city: The city.
        months: How far back to look, in months.
    """
    rows = listing("get_recent_home_sales", locals(), 4, street=("pick", _STREETS), sold_price=("money", 150_000, 1_400_000),
                   days_on_market=("int", 3, 140))
    return {"neighborhood": neighborhood, "city": city, "sales": rows}


@tool
def estimate_rental_yield(purchase_price: Money, monthly_rent: Money, annual_costs: Annotated[float, Field(ge=0, le=1_000_000)] = 0.0) -> dict[str, float]:
    """Estimate the gross and net rental yield of an investment property.

    Args:
        purchase_price: The price paid for the property.
        monthly_rent: The rent received each month.
        annual_costs: Yearly costs (taxes, insurance, upkeep).
    """
    if annual_costs < 0:
        raise ValueError("annual_costs must not be negative")
    gross = monthly_rent * 12 / purchase_price * 100
    net = (monthly_rent * 12 - annual_costs) / purchase_price * 100
    return {"gross_yield_percent": round(gross, 2), "net_yield_percent": round(net, 2)}


@tool
def get_school_ratings(neighborhood: Name, city: Name, level: Literal["elementary", "middle", "high", "all"] = "all") -> list[dict[str, Any]]:
    """Get the ratings of schools serving a neighborhood.

    Args:
        neighborhood: The neighborhood.
        city: The city.
        level: The school level.
    """
    return listing("get_school_ratings", locals(), 3, school=("pick", [f"{neighborhood} {k} School" for k in
                                                                     ("Elementary", "Middle", "High", "Academy")]),
                   rating=("int", 3, 10), students=("int", 180, 2400))
