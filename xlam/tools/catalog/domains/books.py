"""Books, authors, libraries and reading over seeded synthetic catalog data."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from xlam.tools.catalog.domains._common import Count, Date, Name, listing, record, tool

CATEGORY = "books"

_TITLES = ["The Silent Orchard", "Maps of Salt", "A Year of Rivers", "The Glass Engineer", "Winter Letters",
           "Children of the Tide", "The Clockmaker's Daughter", "Small Gods of Iron"]


@tool
def search_books_by_author(author_name: Name, limit: Count = 5) -> list[dict[str, Any]]:
    """Search the books written by an author.

    Args:
        author_name: The author.
        limit: The most books to return.
    """
    return listing("search_books_by_author", locals(), limit, book_title=("pick", _TITLES), year=("int", 1950, 2025),
                   pages=("int", 120, 900))


@tool
def get_book_details(book_title: Name) -> dict[str, Any]:
    """Get a book's author, publisher, length and genre.

    Args:
        book_title: The book.
    """
    return record("get_book_details", locals(), author=("pick", ["Nora Lind", "Tariq Osman", "Ellen Marsh", "Kai Tanaka"]),
                  pages=("int", 120, 900), year=("int", 1900, 2025),
                  genre=("pick", ["literary fiction", "mystery", "fantasy", "history", "science", "memoir"]))


@tool
def check_library_availability(book_title: Name, library_branch: Name) -> dict[str, Any]:
    """Check whether a library branch has a book available to borrow.

    Args:
        book_title: The book.
        library_branch: The library branch.
    """
    return record("check_library_availability", locals(), copies=("int", 0, 6), available=("int", 0, 3),
                  holds_queue=("int", 0, 25))


@tool
def reserve_library_book(book_title: Name, library_card_number: Name, pickup_branch: str = "") -> dict[str, Any]:
    """Place a hold on a library book.

    Args:
        book_title: The book.
        library_card_number: The borrower's library card number.
        pickup_branch: The branch to pick the book up from.
    """
    return record("reserve_library_book", locals(), hold_id=("code", "HOLD"), queue_position=("int", 1, 20))


@tool
def get_bestseller_list(list_category: Literal["fiction", "nonfiction", "young adult", "children", "business"], week_of: Date) -> list[dict[str, Any]]:
    """Get the bestseller list of a category for a week.

    Args:
        list_category: The list.
        week_of: A day in the week (YYYY-MM-DD).
    """
    rows = listing("get_bestseller_list", locals(), 5, book_title=("pick", _TITLES), weeks_on_list=("int", 1, 60))
    return [{"rank": i + 1, **r} for i, r in enumerate(rows)]


@tool
def get_book_reviews(book_title: Name, limit: Count = 3) -> dict[str, Any]:
    """Get reader reviews of a book.

    Args:
        book_title: The book.
        limit: The most reviews to return.
    """
    rows = listing("get_book_reviews", locals(), limit, stars=("int", 1, 5),
                   headline=("pick", ["Could not put it down", "Slow start", "Beautifully written", "Overhyped",
                                      "A new favourite"]))
    return {"book_title": book_title, "reviews": rows}


@tool
def recommend_books(favorite_book: Name, limit: Count = 5) -> dict[str, Any]:
    """Recommend books for someone who liked a given book.

    Args:
        favorite_book: A book the reader enjoyed.
        limit: The most recommendations.
    """
    return record("recommend_books", locals(), recommendations=("some", _TITLES, limit))


@tool
def find_bookstores(city: Name, independent_only: bool = False) -> list[dict[str, Any]]:
    """Find bookstores in a city.

    Args:
        city: The city.
        independent_only: Only independent bookstores.
    """
    return listing("find_bookstores", locals(), 3, store=("pick", ["Paper Lantern Books", "The Reading Room", "Chapter One",
                                                                  "Inkwell", "Book Nook"]),
                   rating=("rating", 3.5), open_until=("time", 18, 22))


@tool
def get_book_series_order(series_name: Name) -> dict[str, Any]:
    """Get the books of a series in reading order.

    Args:
        series_name: The book series.
    """
    rows = listing("get_book_series_order", locals(), 4, book_title=("pick", _TITLES), year=("int", 1990, 2025))
    rows.sort(key=lambda r: r["year"])
    return {"series_name": series_name, "books": [{"order": i + 1, **r} for i, r in enumerate(rows)]}


@tool
def get_author_awards(author_name: Name) -> dict[str, Any]:
    """List the literary awards an author has won.

    Args:
        author_name: The author.
    """
    awards = ["Booker Prize", "Hugo Award", "Pulitzer Prize", "Nebula Award", "Costa Award", "National Book Award"]
    return record("get_author_awards", locals(), awards=("some", awards, 2), nominations=("int", 0, 12))


@tool
def renew_library_loan(library_card_number: Name, book_title: Name) -> dict[str, Any]:
    """Renew a borrowed library book.

    Args:
        library_card_number: The borrower's library card number.
        book_title: The borrowed book.
    """
    return record("renew_library_loan", locals(), renewed=("bool", 0.85), new_due_date=("date", "2026-01-10", 40))


@tool
def estimate_reading_time(book_title: Name, words_per_minute: Annotated[int, Field(ge=50, le=1500)] = 250, minutes_per_day: Annotated[int, Field(ge=1, le=1440)] = 30) -> dict[str, Any]:
    """Estimate how long it takes to read a book.

    Args:
        book_title: The book.
        words_per_minute: The reader's speed.
        minutes_per_day: Reading time per day.
    """
    if not 50 <= words_per_minute <= 1500:
        raise ValueError(f"words_per_minute must be between 50 and 1500, got {words_per_minute}")
    if not 1 <= minutes_per_day <= 1440:
        raise ValueError(f"minutes_per_day must be between 1 and 1440, got {minutes_per_day}")
    out = record("estimate_reading_time", {"book_title": book_title}, words=("int", 30_000, 250_000))
    hours = out["words"] / words_per_minute / 60
    out.update(hours=round(hours, 1), days=max(1, round(hours * 60 / minutes_per_day)))
    return out
