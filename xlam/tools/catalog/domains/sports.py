"""Standings, results, fixtures, players and tickets over seeded synthetic sports data."""

from __future__ import annotations

from typing import Any, Literal

from xlam.tools.catalog.domains._common import Count, Date, Guests, Name, Year, listing, record, rng_for, tool

CATEGORY = "sports"

Sport = Literal["soccer", "basketball", "baseball", "ice hockey", "american football", "cricket", "rugby"]
_CLUBS = ["Rovers", "United", "City", "Athletic", "Wanderers", "Rangers", "Falcons", "Tigers", "Sharks", "Comets"]


@tool
def get_team_standings(league_name: Name, season_year: Year) -> list[dict[str, Any]]:
    """Get the league table of a season.

    Args:
        league_name: The league, e.g. Premier League or NBA.
        season_year: The year the season started.
    """
    rng = rng_for("get_team_standings", league_name, season_year)
    teams = rng.sample(_CLUBS, 8)
    rows: list[dict[str, Any]] = []
    for team in teams:
        won = rng.randint(5, 24)
        rows.append({"team": team, "played": 30, "won": won, "points": won * 3 + rng.randint(0, 30 - won)})
    rows.sort(key=lambda r: -int(r["points"]))
    return [{"position": i + 1, **r} for i, r in enumerate(rows)]


@tool
def get_match_results(team_name: Name, date: Date) -> dict[str, Any]:
    """Get the result of a team's match on a date.

    Args:
        team_name: The team.
        date: The match day (YYYY-MM-DD).
    """
    return record("get_match_results", locals(), opponent=("pick", _CLUBS), goals_for=("int", 0, 5),
                  goals_against=("int", 0, 5), venue=("pick", ["home", "away"]))


@tool
def get_player_statistics(player_name: Name, season_year: Year, sport: Sport = "soccer") -> dict[str, Any]:
    """Get a player's statistics for a season.

    Args:
        player_name: The player.
        season_year: The year the season started.
        sport: The sport the player plays.
    """
    return record("get_player_statistics", locals(), appearances=("int", 1, 82), scored=("int", 0, 45),
                  assists=("int", 0, 30), minutes_played=("int", 90, 3400))


@tool
def get_upcoming_fixtures(team_name: Name, limit: Count = 5) -> list[dict[str, Any]]:
    """Get a team's next scheduled matches.

    Args:
        team_name: The team.
        limit: The most fixtures to return.
    """
    rows = listing("get_upcoming_fixtures", locals(), limit, opponent=("pick", _CLUBS), date=("date", "2026-01-01", 180),
                   kickoff=("time", 12, 21), home=("bool",))
    return sorted(rows, key=lambda r: r["date"])


@tool
def get_head_to_head_record(team_name: Name, opponent_team: Name, last_n_matches: Count = 10) -> dict[str, Any]:
    """Get the head-to-head record of two teams over their recent meetings.

    Args:
        team_name: The first team.
        opponent_team: The second team.
        last_n_matches: How many recent meetings to count.
    """
    if team_name.strip().lower() == opponent_team.strip().lower():
        raise ValueError("a team cannot play itself: team_name and opponent_team must differ")
    rng = rng_for("get_head_to_head_record", team_name, opponent_team, last_n_matches)
    wins = rng.randint(0, last_n_matches)
    draws = rng.randint(0, last_n_matches - wins)
    return {"team_name": team_name, "opponent_team": opponent_team, "matches": last_n_matches, "wins": wins,
            "draws": draws, "losses": last_n_matches - wins - draws}


@tool
def get_league_top_scorers(league_name: Name, season_year: Year, limit: Count = 5) -> list[dict[str, Any]]:
    """Get the top scorers of a league season.

    Args:
        league_name: The league.
        season_year: The year the season started.
        limit: The most players to return.
    """
    players = ["Leo Marquez", "Sam Osei", "Erik Lund", "Kenji Mori", "Luca Ferri", "Tom Blake", "Ade Bello", "Rui Costa"]
    rows = listing("get_league_top_scorers", locals(), limit, player=("pick", players), team=("pick", _CLUBS),
                   scored=("int", 5, 40))
    return sorted(rows, key=lambda r: -r["scored"])


@tool
def get_player_transfer_history(player_name: Name) -> dict[str, Any]:
    """Get the clubs a player has moved between and the fees paid.

    Args:
        player_name: The player.
    """
    rows = listing("get_player_transfer_history", locals(), 3, to_club=("pick", _CLUBS), year=("int", 2010, 2025),
                   fee_millions=("float", 0, 120))
    return {"player_name": player_name, "transfers": sorted(rows, key=lambda r: r["year"])}


@tool
def book_sports_tickets(team_name: Name, match_date: Date, seats: Guests,
                        section: Literal["general", "family", "premium", "away fans"] = "general") -> dict[str, Any]:
    """Book seats for a team's home match.

    Args:
        team_name: The home team.
        match_date: The match day (YYYY-MM-DD).
        seats: The number of seats.
        section: The stand or section.
    """
    out = record("book_sports_tickets", locals(), booking_code=("code", "SPT"), price_each=("money", 18, 220))
    out["total"] = round(out["price_each"] * seats, 2)
    return out


@tool
def get_team_roster(team_name: Name, season_year: Year | None = None) -> dict[str, Any]:
    """Get the players on a team's roster.

    Args:
        team_name: The team.
        season_year: The season; the current one when left out.
    """
    first = ["Alex", "Ben", "Carlos", "Dani", "Emil", "Femi", "Gus", "Hiro", "Ivo", "Jon"]
    last = ["Stone", "Ruiz", "Kaya", "Berg", "Ito", "Nash", "Obi", "Park", "Quist", "Roy"]
    rows = listing("get_team_roster", locals(), 8, first=("pick", first), last=("pick", last), number=("int", 1, 99),
                   position=("pick", ["goalkeeper", "defender", "midfielder", "forward"]))
    return {"team_name": team_name, "players": [{"name": f"{r['first']} {r['last']}", "number": r["number"],
                                                  "position": r["position"]} for r in rows]}


@tool
def get_stadium_info(stadium_name: Name) -> dict[str, Any]:
    """Get the capacity, location and opening year of a stadium.

    Args:
        stadium_name: The stadium or arena.
    """
    return record("get_stadium_info", locals(), capacity=("int", 8000, 95000), opened=("int", 1900, 2022),
                  roof=("pick", ["open", "retractable", "closed"]))


@tool
def get_injury_report(team_name: Name) -> dict[str, Any]:
    """Get the players a team is missing through injury.

    Args:
        team_name: The team.
    """
    rows = listing("get_injury_report", locals(), 2, player=("pick", ["Alex Stone", "Ben Ruiz", "Femi Obi", "Hiro Ito"]),
                   injury=("pick", ["hamstring", "ankle", "knee", "concussion"]), weeks_out=("int", 1, 12))
    return {"team_name": team_name, "injuries": rows}


@tool
def predict_match_outcome(team_name: Name, opponent_team: Name, neutral_venue: bool = False) -> dict[str, Any]:
    """Predict win, draw and loss chances for a match between two teams.

    Args:
        team_name: The home team.
        opponent_team: The away team.
        neutral_venue: Whether the match is played at a neutral ground.
    """
    rng = rng_for("predict_match_outcome", team_name, opponent_team, neutral_venue)
    win, draw = rng.uniform(0.2, 0.6), rng.uniform(0.15, 0.3)
    return {"team_name": team_name, "opponent_team": opponent_team, "win": round(win, 3), "draw": round(draw, 3),
            "loss": round(1 - win - draw, 3)}
