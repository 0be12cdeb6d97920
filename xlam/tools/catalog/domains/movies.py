"""Movie showtimes, details, reviews and streaming tools over seeded synthetic film data."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from xlam.tools.catalog.domains._common import Count, Date, Name, Time, Year, listing, record, tool

CATEGORY = "movies"

_CINEMAS = ["Odeon", "Rialto", "Paragon", "Lumiere", "Starlight", "Metro Cinema", "Cineplex", "Roxy"]
_PEOPLE = ["Ava Reyes", "Jon Park", "Lena Fischer", "Marco Bellini", "Nia Okoye", "Sam Holt", "Iris Tan", "Omar Aziz"]
_TITLES = ["The Long Night", "Paper Moons", "Echoes of Summer", "Iron Harbor", "Quiet Rivers", "The Last Orbit",
           "Glass Houses", "Northern Lights", "City of Kites", "The Cartographer"]


@tool
def get_movie_showtimes(movie_title: Name, city: Name, date: Date,
                        screen_format: Literal["2D", "3D", "IMAX", "any"] = "any") -> list[dict[str, Any]]:
    """Get the showtimes of a movie at cinemas in a city on a date.

    Args:
        movie_title: The movie.
        city: The city.
        date: The day (YYYY-MM-DD).
        screen_format: The screening format.
    """
    return listing("get_movie_showtimes", locals(), 4, cinema=("pick", _CINEMAS), showtime=("time", 11, 23),
                   ticket_price=("money", 7, 22), seats_left=("int", 0, 180))


@tool
def search_movies_by_genre(movie_genre: Literal["action", "comedy", "drama", "horror", "thriller", "romance", "sci-fi",
                                                "animation", "documentary", "fantasy"],
                           release_year: Year | None = None, min_rating: Annotated[float, Field(ge=0, le=10)] = 0.0, limit: Count = 5) -> list[dict[str, Any]]:
    """Search movies of a genre, optionally from one release year.

    Args:
        movie_genre: The genre.
        release_year: Only movies released in this year.
        min_rating: The lowest average rating out of 10.
        limit: The most results to return.
    """
    if not 0 <= min_rating <= 10:
        raise ValueError(f"min_rating must be between 0 and 10, got {min_rating}")
    return listing("search_movies_by_genre", locals(), limit, title=("pick", _TITLES), rating=("float", max(min_rating, 5), 9.6),
                   release_year=("const", release_year) if release_year else ("int", 1970, 2025))


@tool
def get_film_info(movie_title: Name, release_year: Year | None = None) -> dict[str, Any]:
    """Get a movie's director, runtime, genre and rating.

    Args:
        movie_title: The movie.
        release_year: The release year, to tell remakes apart.
    """
    return record("get_film_info", locals(), director=("pick", _PEOPLE), runtime_minutes=("int", 82, 195),
                  genre=("pick", ["drama", "comedy", "thriller", "sci-fi", "animation"]), rating=("float", 5, 9.5))


@tool
def get_movie_cast(movie_title: Name, limit: Count = 5) -> dict[str, Any]:
    """Get the main cast of a movie and their roles.

    Args:
        movie_title: The movie.
        limit: The most cast members to return.
    """
    rows = listing("get_movie_cast", locals(), limit, actor=("pick", _PEOPLE), role=("pick", ["lead", "supporting", "cameo"]))
    return {"movie_title": movie_title, "cast": rows}


@tool
def get_box_office_gross(movie_title: Name, region: Literal["domestic", "international", "worldwide"] = "worldwide") -> dict[str, Any]:
    """Get a movie's box-office earnings in a region.

    Args:
        movie_title: The movie.
        region: Which market's earnings to report.
    """
    return record("get_box_office_gross", locals(), gross_usd_millions=("float", 1, 2200), weeks_in_theaters=("int", 2, 30))


@tool
def find_cinemas_nearby(city: Name, radius_km: Annotated[float, Field(gt=0, le=100)] = 5.0, imax_only: bool = False) -> list[dict[str, Any]]:
    """Find cinemas near the center of a city.

    Args:
        city: The city.
        radius_km: The search radius in kilometres.
        imax_only: Only include cinemas with an IMAX screen.
    """
    if not 0 < radius_km <= 100:
        raise ValueError(f"radius_km must be in (0, 100], got {radius_km}")
    return listing("find_cinemas_nearby", locals(), 3, cinema=("pick", _CINEMAS), screens=("int", 2, 20),
                   distance_km=("float", 0.1, radius_km), imax=("bool", 1.0 if imax_only else 0.3))


@tool
def buy_movie_tickets(movie_title: Name, cinema_name: Name, date: Date, showtime: Time, tickets: Count = 2) -> dict[str, Any]:
    """Buy tickets for a movie screening.

    Args:
        movie_title: The movie.
        cinema_name: The cinema.
        date: The day of the screening (YYYY-MM-DD).
        showtime: The screening time (HH:MM).
        tickets: The number of tickets.
    """
    out = record("buy_movie_tickets", locals(), order_id=("code", "TIX"), price_each=("money", 7, 20))
    out["total"] = round(out["price_each"] * tickets, 2)
    return out


@tool
def get_movie_reviews(movie_title: Name, source: Literal["critics", "audience", "all"] = "all", limit: Count = 3) -> dict[str, Any]:
    """Get review scores and short quotes for a movie.

    Args:
        movie_title: The movie.
        source: Whose reviews to include.
        limit: The most reviews to return.
    """
    quotes = ["a triumph", "overlong but moving", "sharp and funny", "visually stunning", "forgettable", "a slow burn"]
    rows = listing("get_movie_reviews", locals(), limit, score=("int", 3, 10), quote=("pick", quotes))
    return {"movie_title": movie_title, "source": source, "reviews": rows}


@tool
def list_upcoming_releases(month: Literal[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], year: Year, country: str = "US") -> list[dict[str, Any]]:
    """List the movies opening in theaters in a month.

    Args:
        month: The month (1-12).
        year: The year.
        country: The release country.
    """
    return listing("list_upcoming_releases", locals(), 4, title=("pick", _TITLES), release_day=("int", 1, 28),
                   genre=("pick", ["drama", "comedy", "horror", "family", "action"]))


@tool
def find_streaming_availability(movie_title: Name, country: Name) -> dict[str, Any]:
    """Find which streaming services carry a movie in a country.

    Args:
        movie_title: The movie.
        country: The viewer's country.
    """
    services = ["StreamMax", "FlixNow", "Cinevault", "PrimeView", "OpenReel"]
    return record("find_streaming_availability", locals(), services=("some", services, 2), rent_price=("money", 2.99, 5.99))


@tool
def recommend_similar_movies(movie_title: Name, limit: Count = 5) -> dict[str, Any]:
    """Recommend movies similar to one the user liked.

    Args:
        movie_title: The movie the user liked.
        limit: The most recommendations.
    """
    return record("recommend_similar_movies", locals(), recommendations=("some", _TITLES, limit))


@tool
def get_director_filmography(director_name: Name, since_year: Year | None = None) -> dict[str, Any]:
    """Get the films directed by a filmmaker.

    Args:
        director_name: The director.
        since_year: Only films released from this year on.
    """
    rows = listing("get_director_filmography", locals(), 4, title=("pick", _TITLES),
                   year=("int", since_year or 1980, max(since_year or 1980, 2025)))
    return {"director_name": director_name, "films": sorted(rows, key=lambda r: r["year"])}
