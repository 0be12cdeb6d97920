"""A team calendar with meeting rooms: events, attendees, rescheduling and room conflicts."""

from __future__ import annotations

import datetime as dt
import random
from typing import Annotated, Any

from pydantic import BaseModel, Field

from xlam.envs.base import Environment, ToolError, tool
from xlam.envs.data import FIRST_NAMES, MEETINGS, ROOMS

Date = Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}$", description="Date as YYYY-MM-DD.")]
Clock = Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$", description="Start time as HH:MM (24h).")]
Minutes = Annotated[int, Field(ge=15, le=480)]


class Event(BaseModel):
    title: str
    date: str
    start: str
    duration_minutes: int
    room: str | None = None
    attendees: list[str] = Field(default_factory=list)


class CalendarState(BaseModel):
    events: dict[str, Event] = Field(default_factory=dict)
    rooms: dict[str, int] = Field(default_factory=dict, description="Room name -> capacity.")
    next_event: int = 1


def _minutes(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


def _check_date(date: str) -> None:
    try:
        dt.date.fromisoformat(date)
    except ValueError as exc:
        raise ToolError(f"invalid date {date!r}") from exc


class Calendar(Environment):
    """Scheduling assistant for a team calendar."""

    name = "calendar"
    description = "a team calendar with bookable meeting rooms (events, attendees, rescheduling)"
    State = CalendarState
    state: CalendarState

    @classmethod
    def sample_state(cls, rng: random.Random, *, long_context: bool = False) -> dict[str, Any]:
        state = CalendarState(rooms=dict(ROOMS))
        env = cls(state)
        start = dt.date(2026, 3, 2) + dt.timedelta(days=rng.randint(0, 60))
        days = [(start + dt.timedelta(days=d)).isoformat() for d in range(5)]
        for _ in range(70 if long_context else 9):
            room = rng.choice([*sorted(ROOMS), None])
            attendees = [f"{n.lower()}@team.test" for n in rng.sample(FIRST_NAMES, rng.randint(1, 4))]
            try:
                env.create_event(rng.choice(MEETINGS), rng.choice(days), f"{rng.randint(8, 17):02d}:{rng.choice([0, 30]):02d}",
                                 rng.choice([30, 45, 60, 90]), room)
            except ToolError:
                continue
            env.state.events[f"E{env.state.next_event - 1:03d}"].attendees = attendees
        return env.state_dict()

    def _event(self, event_id: str) -> Event:
        event = self.state.events.get(event_id)
        if event is None:
            raise ToolError(f"event {event_id} not found")
        return event

    def _conflict(self, room: str, date: str, start: str, minutes: int, ignore: str | None = None) -> str | None:
        begin, end = _minutes(start), _minutes(start) + minutes
        for eid, ev in sorted(self.state.events.items()):
            if eid == ignore or ev.room != room or ev.date != date:
                continue
            other = _minutes(ev.start)
            if begin < other + ev.duration_minutes and other < end:
                return eid
        return None

    # --- tools -------------------------------------------------------------------------------
    @tool
    def list_events(self, date: Date) -> list[dict[str, Any]]:
        """List the events on a day, ordered by start time.

        Args:
            date: The day as YYYY-MM-DD.
        """
        _check_date(date)
        rows = [{"event_id": eid, "title": ev.title, "start": ev.start, "duration_minutes": ev.duration_minutes,
                 "room": ev.room} for eid, ev in self.state.events.items() if ev.date == date]
        return sorted(rows, key=lambda r: (r["start"], r["event_id"]))

    @tool
    def get_event(self, event_id: str) -> dict[str, Any]:
        """Get one event with its attendees.

        Args:
            event_id: Event id, e.g. "E004".
        """
        return {"event_id": event_id, **self._event(event_id).model_dump()}

    @tool
    def create_event(self, title: str, date: Date, start: Clock, duration_minutes: Minutes = 30,
                     room: str | None = None) -> dict[str, Any]:
        """Create an event, optionally in a meeting room (fails if the room is taken).

        Args:
            title: Event title.
            date: Day of the event as YYYY-MM-DD.
            start: Start time as HH:MM (24h).
            duration_minutes: Length in minutes (15-480).
            room: Meeting room name, e.g. "Cedar".
        """
        _check_date(date)
        if room is not None:
            if room not in self.state.rooms:
                raise ToolError(f"unknown room {room!r}")
            clash = self._conflict(room, date, start, duration_minutes)
            if clash:
                raise ToolError(f"room {room} is booked by {clash} at that time")
        eid = f"E{self.state.next_event:03d}"
        self.state.next_event += 1
        self.state.events[eid] = Event(title=title, date=date, start=start, duration_minutes=duration_minutes, room=room)
        return {"event_id": eid, "title": title, "date": date, "start": start, "room": room}

    @tool
    def reschedule_event(self, event_id: str, date: Date, start: Clock) -> dict[str, Any]:
        """Move an event to another day and/or start time (keeps its room and length).

        Args:
            event_id: Event id.
            date: New day as YYYY-MM-DD.
            start: New start time as HH:MM (24h).
        """
        _check_date(date)
        event = self._event(event_id)
        if event.room is not None:
            clash = self._conflict(event.room, date, start, event.duration_minutes, ignore=event_id)
            if clash:
                raise ToolError(f"room {event.room} is booked by {clash} at that time")
        event.date, event.start = date, start
        return {"event_id": event_id, "date": date, "start": start}

    @tool
    def cancel_event(self, event_id: str) -> dict[str, Any]:
        """Cancel (delete) an event.

        Args:
            event_id: Event id.
        """
        event = self._event(event_id)
        del self.state.events[event_id]
        return {"event_id": event_id, "cancelled": True, "title": event.title}

    @tool
    def add_attendee(self, event_id: str, email: str) -> dict[str, Any]:
        """Invite someone to an event.

        Args:
            event_id: Event id.
            email: Attendee's email address.
        """
        event = self._event(event_id)
        if email not in event.attendees:
            event.attendees.append(email)
        return {"event_id": event_id, "attendees": list(event.attendees)}

    @tool
    def find_free_rooms(self, date: Date, start: Clock, duration_minutes: Minutes = 30,
                        min_capacity: Annotated[int, Field(ge=1, le=50)] = 1) -> list[dict[str, Any]]:
        """Find meeting rooms that are free for a time slot.

        Args:
            date: Day as YYYY-MM-DD.
            start: Start time as HH:MM (24h).
            duration_minutes: Length in minutes (15-480).
            min_capacity: Fewest seats the room must have.
        """
        _check_date(date)
        return [{"room": room, "capacity": cap} for room, cap in sorted(self.state.rooms.items())
                if cap >= min_capacity and self._conflict(room, date, start, duration_minutes) is None]
