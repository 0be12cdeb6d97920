"""Case law, statutes, trademarks, deadlines and legal services over seeded synthetic records (not legal advice)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import Field

from xlam.tools.catalog.domains._common import Count, Date, Name, Year, date_of, listing, record, tool

CATEGORY = "law"

PracticeArea = Literal["family", "criminal", "immigration", "employment", "real estate", "intellectual property",
                       "tax", "personal injury"]


@tool
def search_case_law(legal_topic: Name, jurisdiction: Name, limit: Count = 5) -> list[dict[str, Any]]:
    """Search court decisions on a legal topic in a jurisdiction.

    Args:
        legal_topic: The legal issue, e.g. adverse possession.
        jurisdiction: The state or country.
        limit: The most cases to return.
    """
    return listing("search_case_law", locals(), limit, case=("pick", ["Smith v. Jones", "Doe v. City", "Reyes v. Acme",
                                                                   "State v. Miller", "Park v. Lee"]),
                   year=("int", 1950, 2025), court=("pick", ["supreme court", "appeals court", "district court"]))


@tool
def get_court_case_summary(case_name: Name) -> dict[str, Any]:
    """Get a summary of a court case: court, year, holding and outcome.

    Args:
        case_name: The case name, e.g. Roe v. Wade.
    """
    return record("get_court_case_summary", locals(), year=("int", 1800, 2025),
                  court=("pick", ["supreme court", "appeals court", "district court"]),
                  outcome=("pick", ["affirmed", "reversed", "remanded", "dismissed"]))


@tool
def check_trademark_availability(brand_name: Name, country: Name, goods_class: Annotated[int, Field(ge=1, le=45)] = 9) -> dict[str, Any]:
    """Check whether a brand name can be registered as a trademark.

    Args:
        brand_name: The brand name.
        country: The country of registration.
        goods_class: The Nice classification class (1-45).
    """
    if not 1 <= goods_class <= 45:
        raise ValueError(f"goods_class must be between 1 and 45, got {goods_class}")
    return record("check_trademark_availability", locals(), available=("bool", 0.55), similar_marks=("int", 0, 12))


@tool
def get_legal_filing_deadline(filing_type: Literal["appeal", "small claims", "personal injury", "contract dispute", "tax objection"],
                              jurisdiction: Name, event_date: Date) -> dict[str, Any]:
    """Get the deadline for a legal filing after an event.

    Args:
        filing_type: The kind of filing.
        jurisdiction: The state or country.
        event_date: When the event happened (YYYY-MM-DD).
    """
    days = {"appeal": 30, "small claims": 365, "personal injury": 730, "contract dispute": 1460, "tax objection": 90}[filing_type]
    return {"filing_type": filing_type, "jurisdiction": jurisdiction, "limit_days": days,
            "deadline": (date_of(event_date) + dt.timedelta(days=days)).isoformat()}


@tool
def find_lawyers(city: Name, practice_area: PracticeArea, free_consultation: bool = False) -> list[dict[str, Any]]:
    """Find lawyers in a city by practice area.

    Args:
        city: The city.
        practice_area: The area of law.
        free_consultation: Only lawyers offering a free first consultation.
    """
    return listing("find_lawyers", locals(), 3, lawyer=("pick", ["J. Alvarez", "M. Chen", "R. Patel", "S. Becker", "T. Novak"]),
                   firm=("pick", ["Alvarez & Co", "Harbor Legal", "Chen Law", "Novak Partners"]), rating=("rating", 3.5),
                   hourly_rate=("money", 120, 650))


@tool
def get_tenant_rights(jurisdiction: Name, topic: Literal["deposit", "eviction", "repairs", "rent increase", "privacy"]) -> dict[str, Any]:
    """Summarise tenant rights on a topic in a jurisdiction.

    Args:
        jurisdiction: The state or country.
        topic: The tenancy issue.
    """
    return record("get_tenant_rights", locals(), notice_days=("pick", [14, 30, 60, 90]),
                  max_deposit_months=("pick", [1, 1.5, 2, 3]), landlord_entry_notice_hours=("pick", [24, 48]))


@tool
def get_small_claims_limit(jurisdiction: Name) -> dict[str, Any]:
    """Get the largest amount that can be claimed in small claims court.

    Args:
        jurisdiction: The state or country.
    """
    return record("get_small_claims_limit", locals(), limit=("pick", [2500, 5000, 7500, 10000, 12500, 15000]),
                  filing_fee=("money", 30, 150))


@tool
def get_patent_status(patent_number: Name) -> dict[str, Any]:
    """Get the status, owner and expiry of a patent.

    Args:
        patent_number: The patent or application number.
    """
    return record("get_patent_status", locals(), status=("pick", ["granted", "pending", "expired", "abandoned"]),
                  filed=("date", "2005-01-01", 7000), assignee=("pick", ["Globex", "Initech", "Hooli", "Cyberdyne"]))


@tool
def get_minimum_wage(jurisdiction: Name, year: Year) -> dict[str, Any]:
    """Get the hourly minimum wage of a jurisdiction in a year.

    Args:
        jurisdiction: The state or country.
        year: The year.
    """
    return record("get_minimum_wage", locals(), hourly=("money", 5, 17), currency=("pick", ["USD", "EUR", "GBP", "CAD"]))


@tool
def get_divorce_filing_requirements(jurisdiction: Name) -> dict[str, Any]:
    """Get the residency, waiting period and fees for filing for divorce.

    Args:
        jurisdiction: The state or country.
    """
    return record("get_divorce_filing_requirements", locals(), residency_months=("pick", [0, 3, 6, 12]),
                  waiting_days=("pick", [0, 30, 60, 90, 180]), filing_fee=("money", 80, 450))


@tool
def get_business_license_requirements(business_type: Name, city: Name) -> dict[str, Any]:
    """List the licenses and permits needed to open a business in a city.

    Args:
        business_type: The kind of business, e.g. food truck or hair salon.
        city: The city.
    """
    permits = ["business license", "health permit", "sign permit", "fire inspection", "sales tax permit", "zoning permit"]
    return record("get_business_license_requirements", locals(), permits=("some", permits, 3),
                  total_fees=("money", 50, 1500), processing_days=("int", 3, 60))


@tool
def get_statute_of_limitations(claim_type: Literal["fraud", "defamation", "medical malpractice", "property damage",
                                                   "written contract", "oral contract"], jurisdiction: Name) -> dict[str, Any]:
    """Get how long one has to bring a civil claim in a jurisdiction.

    Args:
        claim_type: The type of claim.
        jurisdiction: The state or country.
    """
    return record("get_statute_of_limitations", locals(), years=("int", 1, 10))
