"""Songs, albums, artists, charts and concerts over seeded synthetic music data."""

from __future__ import annotations

from typing import Any, Literal

from xlam.tools.catalog.domains._common import (
    Count,
    Date,
    Name,
    Names,
    Year,
    ensure_order,
    listing,
    record,
    tool,
)

CATEGORY = "music"

Genre = Literal["pop", "rock", "jazz", "classical", "hip hop", "electronic", "country", "r&b", "metal", "folk", "reggae", "blues"]
_SONGS = ["Midnight Drive", "Paper Hearts", "Golden Hour", "Static", "Run Wild", "Blue Harbor", "Satellites",
          "Low Tide", "Fireflies", "Northern Road", "Glass Sky", "Echo Park"]
_VENUES = ["Arena", "Amphitheater", "Concert Hall", "Stadium", "Club", "Opera House"]


@tool
def search_songs_by_artist(artist_name: Name, limit: Count = 5) -> list[dict[str, Any]]:
    """Search the most popular songs of an artist.

    Args:
        artist_name: The artist or band.
        limit: The most songs to return.
    """
    return listing("search_songs_by_artist", locals(), limit, song_title=("pick", _SONGS), year=("int", 1965, 2025),
                   duration_seconds=("int", 140, 420), streams_millions=("float", 0.1, 2500))


@tool
def get_album_tracklist(album_title: Name, artist_name: Name) -> dict[str, Any]:
    """Get the track list of an album.

    Args:
        album_title: The album.
        artist_name: The artist who released it.
    """
    rows = listing("get_album_tracklist", locals(), 10, song_title=("pick", _SONGS), duration_seconds=("int", 120, 400))
    return {"album_title": album_title, "artist_name": artist_name,
            "tracks": [{"number": i + 1, **r} for i, r in enumerate(rows)]}


@tool
def find_concerts(artist_name: Name, city: Name, start_date: Date, end_date: Date) -> list[dict[str, Any]]:
    """Find concerts of an artist in a city between two dates.

    Args:
        artist_name: The artist or band.
        city: The city.
        start_date: The first day to search (YYYY-MM-DD).
        end_date: The last day to search (YYYY-MM-DD).
    """
    ensure_order(start_date, end_date)
    return listing("find_concerts", locals(), 2, venue=("pick", [f"{city} {v}" for v in _VENUES]),
                   date=("date", start_date, 0), doors_open=("time", 17, 20), min_price=("money", 25, 180))


@tool
def get_song_details(song_title: Name, artist_name: Name) -> dict[str, Any]:
    """Get the album, release year, length and key of a song.

    Args:
        song_title: The song.
        artist_name: The artist who recorded it.
    """
    return record("get_song_details", locals(), album=("pick", _SONGS), release_year=("int", 1960, 2025),
                  duration_seconds=("int", 120, 420), key=("pick", ["C major", "A minor", "G major", "E minor", "D major"]),
                  bpm=("int", 60, 180))


@tool
def create_playlist(playlist_name: Name, songs: Names, public: bool = False) -> dict[str, Any]:
    """Create a playlist from a list of songs.

    Args:
        playlist_name: The name of the new playlist.
        songs: The songs to add.
        public: Whether other users can see the playlist.
    """
    out = record("create_playlist", locals(), playlist_id=("code", "PL"))
    out["track_count"] = len(songs)
    return out


@tool
def get_artist_biography(artist_name: Name) -> dict[str, Any]:
    """Get a short biography of a music artist.

    Args:
        artist_name: The artist or band.
    """
    return record("get_artist_biography", locals(), active_since=("int", 1960, 2022),
                  origin=("pick", ["London", "Seoul", "Nashville", "Lagos", "Stockholm", "Los Angeles", "Montreal"]),
                  albums=("int", 1, 25), grammy_wins=("int", 0, 12))


@tool
def get_top_chart_songs(chart_country: Name, music_genre: Genre | None = None, limit: Count = 10) -> list[dict[str, Any]]:
    """Get this week's top chart songs in a country.

    Args:
        chart_country: The country of the chart.
        music_genre: Only songs of this genre.
        limit: The most songs to return.
    """
    rows = listing("get_top_chart_songs", locals(), limit, song_title=("pick", _SONGS), weeks_on_chart=("int", 1, 40))
    return [{"position": i + 1, **r} for i, r in enumerate(rows)]


@tool
def recommend_artists(music_genre: Genre, limit: Count = 5, emerging_only: bool = False) -> dict[str, Any]:
    """Recommend artists of a music genre.

    Args:
        music_genre: The genre.
        limit: The most artists to return.
        emerging_only: Only artists with fewer than three albums.
    """
    acts = ["The Lanterns", "Mira Vale", "Kofi & The Tide", "Neon Harbor", "Juno Lark", "Static Bloom", "Ola Brandt",
            "The Paper Kites Club", "Rosa Quinn", "Velvet Arcade"]
    return record("recommend_artists", locals(), artists=("some", acts, limit))


@tool
def get_concert_ticket_prices(artist_name: Name, venue_name: Name, date: Date) -> dict[str, Any]:
    """Get ticket prices by section for a concert.

    Args:
        artist_name: The performing artist.
        venue_name: The venue.
        date: The concert date (YYYY-MM-DD).
    """
    return record("get_concert_ticket_prices", locals(), floor=("money", 90, 400), lower_bowl=("money", 60, 250),
                  upper_bowl=("money", 25, 120), sold_out=("bool", 0.15))


@tool
def find_music_festivals(country: Name, month: Literal[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], music_genre: Genre | None = None) -> list[dict[str, Any]]:
    """Find music festivals in a country during a month.

    Args:
        country: The country.
        month: The month (1-12).
        music_genre: Only festivals of this genre.
    """
    names = ["Sunwave", "Riverbeat", "Northern Sound", "Dust & Drums", "Harbor Lights", "Moonfield"]
    return listing("find_music_festivals", locals(), 3, festival=("pick", names), days=("int", 1, 5),
                   pass_price=("money", 60, 450))


@tool
def list_artist_albums(artist_name: Name, since_year: Year | None = None) -> dict[str, Any]:
    """List the studio albums of an artist.

    Args:
        artist_name: The artist or band.
        since_year: Only albums released from this year on.
    """
    rows = listing("list_artist_albums", locals(), 5, album_title=("pick", _SONGS),
                   year=("int", since_year or 1970, max(since_year or 1970, 2025)))
    return {"artist_name": artist_name, "albums": sorted(rows, key=lambda r: r["year"])}


@tool
def identify_song_from_lyrics(lyrics_fragment: Name) -> dict[str, Any]:
    """Identify a song from a fragment of its lyrics.

    Args:
        lyrics_fragment: A few remembered words of the lyrics.
    """
    return record("identify_song_from_lyrics", locals(), song_title=("pick", _SONGS),
                  artist_name=("pick", ["Mira Vale", "Neon Harbor", "Juno Lark", "Rosa Quinn"]), confidence=("float", 0.5, 0.99))
