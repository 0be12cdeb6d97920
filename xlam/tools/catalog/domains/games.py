"""Video game prices, patches, achievements and esports over seeded synthetic game data."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from xlam.tools.catalog.domains._common import Count, Name, Year, listing, record, tool

CATEGORY = "games"

Platform = Literal["PC", "PlayStation 5", "Xbox Series X", "Nintendo Switch", "iOS", "Android"]
Region = Literal["North America", "Europe", "Asia", "South America", "Oceania"]
_GAMES = ["Starfall Odyssey", "Ironclad Tactics", "Mystic Grove", "Neon Drift", "Kingdom of Ash", "Pixel Farmers",
          "Deep Space Salvage", "Shadow Circuit"]


@tool
def get_game_patch_notes(game_title: Name, gaming_platform: Platform = "PC", latest_only: bool = True) -> dict[str, Any]:
    """Get the notes of a video game's latest patches on a platform.

    Args:
        game_title: The game.
        gaming_platform: The platform.
        latest_only: Only the most recent patch.
    """
    changes = ["bug fixes", "balance changes", "new map", "performance improvements", "crash fix", "new difficulty mode",
               "UI tweaks", "matchmaking fixes"]
    return record("get_game_patch_notes", locals(), version=("pick", ["1.2.3", "2.0.1", "1.6", "3.1.4", "2.4.0"]),
                  released=("date", "2025-01-01", 300), changes=("some", changes, 3))


@tool
def search_video_games(game_genre: Literal["RPG", "shooter", "strategy", "platformer", "puzzle", "racing", "sports",
                                           "simulation", "adventure", "fighting"],
                       gaming_platform: Platform = "PC", min_rating: Annotated[float, Field(ge=0, le=100)] = 0.0, limit: Count = 5) -> list[dict[str, Any]]:
    """Search video games by genre and platform.

    Args:
        game_genre: The genre.
        gaming_platform: The platform.
        min_rating: The lowest critic score out of 100.
        limit: The most results to return.
    """
    if not 0 <= min_rating <= 100:
        raise ValueError(f"min_rating must be between 0 and 100, got {min_rating}")
    return listing("search_video_games", locals(), limit, title=("pick", _GAMES), score=("int", min(max(int(min_rating), 50), 97), 97),
                   price=("money", 4.99, 69.99))


@tool
def get_game_price(game_title: Name, store: Literal["Steam", "PlayStation Store", "Xbox Store", "Nintendo eShop", "Epic Games Store"] = "Steam") -> dict[str, Any]:
    """Get a game's current price and discount in a store.

    Args:
        game_title: The game.
        store: The digital store.
    """
    return record("get_game_price", locals(), price=("money", 4.99, 69.99), discount_percent=("pick", [0, 0, 10, 25, 50, 75]),
                  currency=("const", "USD"))


@tool
def get_game_achievements(game_title: Name, rarest_first: bool = False) -> dict[str, Any]:
    """Get a game's achievements and how many players unlocked them.

    Args:
        game_title: The game.
        rarest_first: Sort by rarity instead of unlock order.
    """
    names = ["First Blood", "Explorer", "Perfectionist", "Speed Runner", "Collector", "Untouchable", "Completionist"]
    rows = listing("get_game_achievements", locals(), 5, achievement=("pick", names), unlocked_percent=("float", 0.1, 95))
    if rarest_first:
        rows.sort(key=lambda r: r["unlocked_percent"])
    return {"game_title": game_title, "achievements": rows}


@tool
def get_gamer_profile(gamer_tag: Name, gaming_platform: Platform) -> dict[str, Any]:
    """Get a player's public gaming profile on a platform.

    Args:
        gamer_tag: The player's gamer tag.
        gaming_platform: The platform.
    """
    return record("get_gamer_profile", locals(), level=("int", 1, 500), games_owned=("int", 1, 900),
                  hours_played=("int", 10, 12000), favorite_game=("pick", _GAMES))


@tool
def list_game_dlc(game_title: Name) -> dict[str, Any]:
    """List the downloadable content packs of a game.

    Args:
        game_title: The game.
    """
    rows = listing("list_game_dlc", locals(), 3, dlc=("pick", ["Season Pass", "Frozen Wastes", "Soundtrack",
                                                            "Deluxe Upgrade", "Heroes Pack"]), price=("money", 2.99, 29.99))
    return {"game_title": game_title, "dlc": rows}


@tool
def get_game_system_requirements(game_title: Name, tier: Literal["minimum", "recommended"] = "minimum") -> dict[str, Any]:
    """Get the PC hardware a game needs.

    Args:
        game_title: The game.
        tier: Minimum or recommended requirements.
    """
    return record("get_game_system_requirements", locals(), ram_gb=("pick", [4, 8, 16, 32]), storage_gb=("int", 2, 150),
                  gpu=("pick", ["GTX 1060", "RTX 2060", "RTX 3070", "RX 580", "RX 6700 XT"]))


@tool
def get_esports_tournament_schedule(game_title: Name, month: Literal[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], year: Year) -> list[dict[str, Any]]:
    """Get the esports tournaments of a game in a month.

    Args:
        game_title: The game.
        month: The month (1-12).
        year: The year.
    """
    return listing("get_esports_tournament_schedule", locals(), 3, tournament=("pick", ["Masters", "Open Cup", "Invitational",
                                                                                     "World Finals", "League Week"]),
                   day=("int", 1, 28), prize_pool_usd=("int", 10_000, 2_000_000))


@tool
def get_game_release_date(game_title: Name, region: Region = "North America") -> dict[str, Any]:
    """Get when a game comes out in a region.

    Args:
        game_title: The game.
        region: The market region.
    """
    return record("get_game_release_date", locals(), release_date=("date", "2024-01-01", 900),
                  preorder_available=("bool", 0.6))


@tool
def get_game_leaderboard(game_title: Name, limit: Count = 10, mode: Literal["ranked", "casual", "speedrun"] = "ranked") -> list[dict[str, Any]]:
    """Get the top players of a game's leaderboard.

    Args:
        game_title: The game.
        limit: The most players to return.
        mode: The game mode.
    """
    rows = listing("get_game_leaderboard", locals(), limit, gamer_tag=("pick", ["NightOwl", "Zephyr", "Kaiju99", "Vex",
                                                                             "PixelQueen", "RogueOne"]),
                   rating=("int", 1500, 3200))
    rows.sort(key=lambda r: -r["rating"])
    return [{"rank": i + 1, **r} for i, r in enumerate(rows)]


@tool
def find_multiplayer_servers(game_title: Name, region: Region, max_ping_ms: Annotated[int, Field(ge=5, le=500)] = 80) -> list[dict[str, Any]]:
    """Find online servers of a game in a region.

    Args:
        game_title: The game.
        region: The server region.
        max_ping_ms: The highest acceptable ping in milliseconds.
    """
    if not 5 <= max_ping_ms <= 500:
        raise ValueError(f"max_ping_ms must be between 5 and 500, got {max_ping_ms}")
    return listing("find_multiplayer_servers", locals(), 3, server=("code", "SRV"), ping_ms=("int", 5, max_ping_ms),
                   players=("int", 0, 64))


@tool
def get_game_review_score(game_title: Name, gaming_platform: Platform = "PC") -> dict[str, Any]:
    """Get a game's critic and user review scores.

    Args:
        game_title: The game.
        gaming_platform: The platform version reviewed.
    """
    return record("get_game_review_score", locals(), critic_score=("int", 40, 98), user_score=("float", 3, 9.8),
                  reviews=("int", 10, 150))
