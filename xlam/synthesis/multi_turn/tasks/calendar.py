"""Task samplers of the calendar environment (see xlam.synthesis.multi_turn.tasks)."""

from __future__ import annotations

import random

from xlam.envs.data import FIRST_NAMES, MEETINGS
from xlam.synthesis.multi_turn.blueprint import ABSENT, Expect, Task
from xlam.synthesis.multi_turn.tasks.base import C, Domain, Persona, State


def _calendar_persona(state: State, rng: random.Random) -> Persona:
    days = sorted({e["date"] for e in state["events"].values()}) or ["2026-03-02"]
    return {"email": f"{rng.choice(FIRST_NAMES).lower()}@team.test", "days": days}


def _slot(rng: random.Random) -> str:
    return f"{rng.randint(8, 17):02d}:{rng.choice(['00', '30'])}"


def cal_agenda(s: State, rng: random.Random, p: Persona) -> Task:
    day = rng.choice(p["days"])
    return Task("agenda", ["What's on the calendar on {date}?", "List the events for {date}.", "What meetings are there on {date}?"],
                {"date": day}, [[C("list_events", date=day)]],
                answer=lambda o: ("On " + day + ": " + "; ".join(f"{e['start']} {e['title']} ({e['event_id']})" for e in o[0]) + ".")
                if o[0] else f"Nothing is scheduled on {day}.")


def cal_agenda_long(s: State, rng: random.Random, p: Persona) -> Task:
    day = max(p["days"], key=lambda d: sum(1 for e in s["events"].values() if e["date"] == d))
    return Task("agenda_long", ["Give me the full list of events on {date}; it's a busy day.", "List everything scheduled for {date}."],
                {"date": day}, [[C("list_events", date=day)]], long_context=True,
                answer=lambda o: f"There are {len(o[0])} events on {day}; the first starts at {o[0][0]['start']}."
                if o[0] else f"Nothing is scheduled on {day}.")


def cal_create(s: State, rng: random.Random, p: Persona) -> Task:
    title, day, start = rng.choice(MEETINGS), rng.choice(p["days"]), _slot(rng)
    minutes = rng.choice([30, 45, 60, 90])
    room = rng.choice(sorted(s["rooms"]))
    eid = f"E{s['next_event']:03d}"
    return Task("create_event", ["Book a {minutes}-minute {title} on {date} at {start} in room {room}.",
                                 "Schedule \"{title}\" for {date}, {start}, {minutes} minutes, in {room}.",
                                 "Please create an event {title} on {date} starting {start} for {minutes} minutes; use the {room} room."],
                {"minutes": minutes, "title": title, "date": day, "start": start, "room": room},
                [[C("create_event", title=title, date=day, start=start, duration_minutes=minutes, room=room)]],
                [Expect(("events", eid)), Expect(("next_event",), s["next_event"] + 1)],
                answer=lambda o: f"Booked {title} on {day} at {start} in {room} (event {o[0]['event_id']}).",
                omit="start", say_without=["Book a {minutes}-minute {title} on {date} in room {room}.",
                                           "Schedule \"{title}\" for {date} in {room}, {minutes} minutes."],
                ask="What time should it start?", supply=["At {value}.", "{value}.", "Start at {value}, please."])


def _some_event(s: State, rng: random.Random) -> str | None:
    return rng.choice(sorted(s["events"])) if s["events"] else None


def cal_move(s: State, rng: random.Random, p: Persona) -> Task | None:
    eid = _some_event(s, rng)
    if eid is None:
        return None
    day, start = rng.choice(p["days"]), _slot(rng)
    return Task("reschedule", ["Move event {event} to {date} at {start}.", "Please reschedule {event} to {start} on {date}.",
                               "Can you push {event} to {date}, {start}?"],
                {"event": eid, "date": day, "start": start}, [[C("reschedule_event", event_id=eid, date=day, start=start)]],
                [Expect(("events", eid, "date"), day) if s["events"][eid]["date"] != day else Expect(("events", eid, "start"), start),
                 Expect(("events", eid))],
                answer=lambda o: f"{eid} now takes place on {day} at {start}.",
                omit="start", say_without=["Move event {event} to {date}."], ask="At what time on that day?",
                supply=["{value}.", "At {value}.", "Make it {value}."])


def cal_cancel(s: State, rng: random.Random, p: Persona) -> Task | None:
    eid = _some_event(s, rng)
    if eid is None:
        return None
    return Task("cancel_event", ["Cancel event {event}.", "Please delete {event} from the calendar.", "{event} is off; remove it."],
                {"event": eid}, [[C("get_event", event_id=eid)], [C("cancel_event", event_id=eid)]],
                [Expect(("events", eid), ABSENT)],
                answer=lambda o: f"Cancelled {eid} ({o[0]['title']} on {o[0]['date']}).")


def cal_invite(s: State, rng: random.Random, p: Persona) -> Task | None:
    eid = _some_event(s, rng)
    if eid is None:
        return None
    current = s["events"][eid]["attendees"]
    email = rng.choice(current) if current and rng.random() < 0.15 else f"{rng.choice(FIRST_NAMES).lower()}@team.test"
    return Task("invite", ["Add {email} to event {event}.", "Please invite {email} to {event}.", "Can {email} join {event}? Add them."],
                {"email": email, "event": eid}, [[C("add_attendee", event_id=eid, email=email)]],
                [Expect(("events", eid, "attendees"))],
                answer=lambda o: f"{email} is invited; {eid} now has {len(o[0]['attendees'])} attendees.",
                omit="email", say_without=["Please add someone to event {event}."], ask="Who should I invite? I need their email.",
                supply=["{value}.", "Their email is {value}.", "Invite {value}."])


def cal_rooms(s: State, rng: random.Random, p: Persona) -> Task:
    day, start, minutes, seats = rng.choice(p["days"]), _slot(rng), rng.choice([30, 60]), rng.choice([2, 5, 8, 10])
    return Task("free_rooms", ["Which rooms with at least {seats} seats are free on {date} at {start} for {minutes} minutes?",
                               "Find me a room for {seats} people on {date}, {start}, {minutes} minutes."],
                {"seats": seats, "date": day, "start": start, "minutes": minutes},
                [[C("find_free_rooms", date=day, start=start, duration_minutes=minutes, min_capacity=seats)]],
                answer=lambda o: ("Free rooms: " + ", ".join(f"{r['room']} ({r['capacity']} seats)" for r in o[0]) + ".")
                if o[0] else "No room of that size is free then.")


CALENDAR = Domain(
    env="calendar",
    system=("You are a scheduling assistant for a team calendar with meeting rooms. Use the tools to look up, "
            "create, move and cancel events; never double-book a room."),
    persona=_calendar_persona,
    tasks=[(1, cal_agenda), (1.3, cal_create), (1, cal_move), (0.8, cal_cancel), (0.9, cal_invite), (0.8, cal_rooms)],
    long_tasks=[cal_agenda_long],
    irrelevant=["Can you order lunch for the meeting?", "What's a good book about time management?",
                "Translate 'meeting' into Japanese.", "What time is it in Sydney right now?"],
    greet=lambda p: ["", "Hi! ", "Hello. ", "Morning! "],
)


__all__ = ["CALENDAR"]
