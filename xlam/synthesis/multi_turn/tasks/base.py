"""Task samplers per environment: user goals with their ground-truth calls and expected effects.

Each sampler looks at the current state (after the dialogue's earlier turns) and draws one goal
the way a user would state it. Like a real generator, samplers do not check every precondition
(an amount may exceed the balance, an order may no longer be pending, a room may be booked):
the execution check rejects those blueprints, and the semantic check rejects goals whose calls
succeed but do not change the state as the goal says (e.g. inviting someone already invited).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from xlam.envs.data import FIRST_NAMES, MEETINGS, SENTENCES, ZIPS
from xlam.records import ToolCall
from xlam.synthesis.multi_turn.blueprint import ABSENT, Expect, Task
from xlam.synthesis.phrasing import voice_value

State = dict[str, Any]
Persona = dict[str, Any]
TaskFn = Callable[[State, random.Random, Persona], Task | None]


def C(name: str, **arguments: Any) -> ToolCall:
    return ToolCall(name=name, arguments=arguments)


def money(x: float) -> str:
    return f"${x:,.2f}"


def v(value: Any) -> str:
    return voice_value(value)


@dataclass
class Domain:
    """The tasks of one environment plus its persona, system prompt and off-domain requests."""

    env: str
    system: str
    persona: Callable[[State, random.Random], Persona]
    tasks: list[tuple[float, TaskFn]]
    long_tasks: list[TaskFn]
    irrelevant: list[str]
    greet: Callable[[Persona], list[str]] = field(default=lambda p: [""])

    def sample(self, state: State, rng: random.Random, persona: Persona, *, long_context: bool = False,
               exclude: set[str] | None = None) -> Task | None:
        pool = [(w, fn) for w, fn in self.tasks if not exclude or fn.__name__ not in exclude]
        fns = self.long_tasks if long_context else [fn for _, fn in pool]
        weights = None if long_context else [w for w, _ in pool]
        for _ in range(8):
            fn = rng.choices(fns, weights)[0]
            task = fn(state, rng, persona)
            if task is not None:
                task.long_context = task.long_context or long_context
                return task
        return None


# --- bank ---------------------------------------------------------------------------------------
def _bank_persona(state: State, rng: random.Random) -> Persona:
    owners = sorted({a["owner"] for a in state["accounts"].values()})
    owner = rng.choice(owners)
    mine = sorted(n for n, a in state["accounts"].items() if a["owner"] == owner)
    return {"owner": owner, "accounts": mine}


def _amount(rng: random.Random, balance: float) -> float:
    top = max(20.0, balance * 1.25)
    raw = rng.uniform(5, top)
    return float(round(raw)) if rng.random() < 0.6 else round(raw, 2)


def bank_balance(s: State, rng: random.Random, p: Persona) -> Task:
    acc = rng.choice(p["accounts"])
    return Task("check_balance", ["What's the balance on {account}?", "How much money is in account {account}?",
                                  "Can you tell me the current balance of {account}?", "Balance of {account}, please."],
                {"account": acc}, [[C("get_balance", account_number=acc)]],
                answer=lambda o: f"Account {o[0]['account_number']} has a balance of {money(o[0]['balance'])}.")


def bank_list(s: State, rng: random.Random, p: Persona) -> Task:
    return Task("list_accounts", ["Which accounts do I have? My name is {owner}.",
                                  "I'm {owner}. Can you list my accounts?", "Show me all accounts held by {owner}."],
                {"owner": p["owner"]}, [[C("list_accounts", owner=p["owner"])]],
                answer=lambda o: "You have " + "; ".join(f"{a['kind']} {a['account_number']} with "
                                                           f"{money(a['balance'])}" for a in o[0]) + ".")


def bank_deposit(s: State, rng: random.Random, p: Persona) -> Task:
    acc = rng.choice(p["accounts"])
    amount = float(rng.choice([50, 100, 200, 250, 500, 1200])) if rng.random() < 0.5 else round(rng.uniform(10, 900), 2)
    new = round(s["accounts"][acc]["balance"] + amount, 2)
    return Task("deposit", ["Please deposit {amount} dollars into {account}.", "I want to put ${amount} into account {account}.",
                            "Add {amount} to {account}, it's a cash deposit."],
                {"amount": amount, "account": acc}, [[C("deposit", account_number=acc, amount=amount)]],
                [Expect(("accounts", acc, "balance"), new), Expect(("transactions",)), Expect(("next_transaction",))],
                answer=lambda o: f"Deposited. The new balance of {acc} is {money(o[0]['balance'])} "
                                 f"(transaction {o[0]['transaction_id']}).",
                omit="amount", say_without=["I'd like to make a deposit into {account}.", "Can you deposit money into {account}?"],
                ask=f"Sure. How much would you like to deposit into {acc}?",
                supply=["{value} dollars.", "${value}, please.", "Make it {value}."])


def bank_withdraw(s: State, rng: random.Random, p: Persona) -> Task:
    acc = rng.choice(p["accounts"])
    amount = _amount(rng, s["accounts"][acc]["balance"])
    new = round(s["accounts"][acc]["balance"] - amount, 2)
    return Task("withdraw", ["Withdraw {amount} dollars from {account}.", "I need to take ${amount} out of {account}.",
                             "Please withdraw {amount} from my account {account}."],
                {"amount": amount, "account": acc}, [[C("withdraw", account_number=acc, amount=amount)]],
                [Expect(("accounts", acc, "balance"), new), Expect(("transactions",)), Expect(("next_transaction",))],
                answer=lambda o: f"Done: {money(amount)} withdrawn; {acc} now holds {money(o[0]['balance'])}.",
                omit="amount", say_without=["I want to withdraw cash from {account}.", "Can I make a withdrawal from {account}?"],
                ask="How much would you like to withdraw?", supply=["{value} dollars.", "${value}.", "{value}, please."])


def bank_transfer(s: State, rng: random.Random, p: Persona) -> Task:
    src = rng.choice(p["accounts"])
    others = [a for a in sorted(s["accounts"]) if a != src]
    dst = rng.choice([a for a in p["accounts"] if a != src] or others) if rng.random() < 0.5 else rng.choice(others)
    amount = _amount(rng, s["accounts"][src]["balance"])
    memo = rng.choice(["rent", "savings", "dinner", "loan payback", "gift"])
    new_src = round(s["accounts"][src]["balance"] - amount, 2)
    new_dst = round(s["accounts"][dst]["balance"] + amount, 2)
    return Task("transfer", ["Transfer {amount} dollars from {src} to {dst} with the memo {memo}.",
                             "Please move ${amount} from {src} to {dst}; memo: {memo}.",
                             "Send {amount} from my account {src} to {dst}, note it as {memo}."],
                {"amount": amount, "src": src, "dst": dst, "memo": memo},
                [[C("transfer", from_account=src, to_account=dst, amount=amount, memo=memo)]],
                [Expect(("accounts", src, "balance"), new_src), Expect(("accounts", dst, "balance"), new_dst),
                 Expect(("transactions",)), Expect(("next_transaction",))],
                answer=lambda o: f"Transferred {money(amount)} from {src} to {dst}. {src} now has "
                                 f"{money(o[0]['from_balance'])}.",
                omit="dst", say_without=["Transfer {amount} dollars from {src}, memo {memo}.",
                                         "I need to send ${amount} out of {src} ({memo})."],
                ask="Which account should receive the money?",
                supply=["To {value}.", "The account is {value}.", "{value}."])


def bank_history(s: State, rng: random.Random, p: Persona) -> Task:
    acc = rng.choice(p["accounts"])
    limit = rng.choice([3, 5, 10])
    return Task("history", ["Show me the last {limit} transactions on {account}.",
                            "What were the {limit} most recent transactions of {account}?"],
                {"limit": limit, "account": acc}, [[C("list_transactions", account_number=acc, limit=limit)]],
                answer=lambda o: (f"The latest transactions on {acc}: " + "; ".join(
                    f"{t['id']} {t['kind']} {money(t['amount'])}" for t in o[0]) + ".") if o[0]
                else f"There are no transactions on {acc} yet.")


def bank_history_long(s: State, rng: random.Random, p: Persona) -> Task:
    acc = max(p["accounts"], key=lambda a: sum(1 for t in s["transactions"] if t["account"] == a))
    return Task("history_long", ["List the last 50 transactions on {account}, I want to review everything.",
                                 "Pull up 50 recent transactions for {account}."],
                {"account": acc}, [[C("list_transactions", account_number=acc, limit=50)]], long_context=True,
                answer=lambda o: f"{acc} has {len(o[0])} recent transactions; the newest is {o[0][0]['id']} "
                                 f"({money(o[0][0]['amount'])})." if o[0] else "No transactions found.")


def bank_freeze(s: State, rng: random.Random, p: Persona) -> Task:
    acc = rng.choice(p["accounts"])
    reason = rng.choice(["lost card", "suspected fraud", "travel"])
    return Task("freeze", ["Please freeze {account}, reason: {reason}.", "Freeze my account {account} because of {reason}."],
                {"account": acc, "reason": reason}, [[C("freeze_account", account_number=acc, reason=reason)]],
                [Expect(("accounts", acc, "frozen"), True)],
                answer=lambda o: f"Account {acc} is now frozen ({reason}). No money can leave it until you unfreeze it.",
                omit="reason", say_without=["I need to freeze {account}."],
                ask="I can do that. What's the reason: lost card, suspected fraud or travel?",
                supply=["{value}.", "It's {value}.", "Reason is {value}."])


def bank_unfreeze(s: State, rng: random.Random, p: Persona) -> Task | None:
    frozen = [a for a in p["accounts"] if s["accounts"][a]["frozen"]]
    if not frozen and rng.random() < 0.85:
        return None  # users rarely ask to unfreeze an account that is not frozen
    acc = rng.choice(frozen or p["accounts"])
    return Task("unfreeze", ["Unfreeze account {account}, please.", "Can you lift the freeze on {account}?"],
                {"account": acc}, [[C("unfreeze_account", account_number=acc)]],
                [Expect(("accounts", acc, "frozen"), False)],
                answer=lambda o: f"The freeze on {acc} is lifted.")


def bank_compare(s: State, rng: random.Random, p: Persona) -> Task | None:
    if len(p["accounts"]) < 2:
        return None
    a, b = p["accounts"][:2]
    return Task("compare", ["What are the balances of {a} and {b}?", "Check both {a} and {b} for me."],
                {"a": a, "b": b}, [[C("get_balance", account_number=a), C("get_balance", account_number=b)]],
                answer=lambda o: f"{a}: {money(o[0]['balance'])}; {b}: {money(o[1]['balance'])}.")


BANK = Domain(
    env="bank",
    system=("You are a bank's customer-service agent. Use the tools to look up and change accounts. "
            "Act only on what the customer asks; ask for missing details instead of guessing."),
    persona=_bank_persona,
    tasks=[(1, bank_balance), (0.6, bank_list), (1, bank_deposit), (1, bank_withdraw), (1.4, bank_transfer),
           (0.8, bank_history), (0.5, bank_freeze), (0.3, bank_unfreeze), (0.6, bank_compare)],
    long_tasks=[bank_history_long],
    irrelevant=["What's the weather going to be like tomorrow?", "Can you recommend a good mortgage broker?",
                "What's the euro to dollar exchange rate today?", "Can you book me a table for two tonight?"],
    greet=lambda p: ["", "Hi, this is {owner}. ", "Hello! ", "Good morning. "],
)


# --- retail -------------------------------------------------------------------------------------
def _retail_persona(state: State, rng: random.Random) -> Persona:
    cid = rng.choice(sorted(state["customers"]))
    return {"customer_id": cid, **state["customers"][cid]}


def _my_orders(s: State, p: Persona) -> list[str]:
    return sorted(o for o, order in s["orders"].items() if order["customer_id"] == p["customer_id"])


def retail_status(s: State, rng: random.Random, p: Persona) -> Task | None:
    mine = _my_orders(s, p)
    if not mine:
        return None
    oid = rng.choice(mine)
    return Task("order_status", ["What's the status of my order {order}?", "Where is order {order}?",
                                 "Can you check order {order} for me?"],
                {"order": oid}, [[C("get_order", order_id=oid)]],
                answer=lambda o: f"Order {oid} is {o[0]['status']}; total {money(o[0]['total'])}, shipping to {o[0]['zip']}.")


def retail_my_orders(s: State, rng: random.Random, p: Persona) -> Task:
    email = p["email"]
    return Task("list_orders", ["My email is {email}. What orders do I have?", "Can you list my orders? I'm {email}.",
                                "Show all orders for the customer with email {email}."],
                {"email": email}, [[C("find_customer", email=email)], [C("get_customer_orders", customer_id=p["customer_id"])]],
                answer=lambda o: ("You have " + ", ".join(f"{r['order_id']} ({r['status']})" for r in o[1]) + ".")
                if o[1] else "You have no orders yet.")


def retail_orders_long(s: State, rng: random.Random, p: Persona) -> Task:
    counts = {c: sum(1 for o in s["orders"].values() if o["customer_id"] == c) for c in s["customers"]}
    cid = max(sorted(counts), key=lambda c: counts[c])
    email = s["customers"][cid]["email"]
    return Task("list_orders_long", ["I'm checking for my household, email {email}: list every order on that account.",
                                     "Give me the full order history for {email}."],
                {"email": email}, [[C("find_customer", email=email)], [C("get_customer_orders", customer_id=cid)]],
                long_context=True, answer=lambda o: f"There are {len(o[1])} orders on that account.")


def retail_cancel(s: State, rng: random.Random, p: Persona) -> Task | None:
    mine = _my_orders(s, p)
    if not mine:
        return None
    pending = [o for o in mine if s["orders"][o]["status"] == "pending"]
    oid = rng.choice(pending) if pending and rng.random() < 0.8 else rng.choice(mine)
    reason = rng.choice(["no longer needed", "ordered by mistake", "found a better price"])
    order = s["orders"][oid]
    expects = [Expect(("orders", oid, "status"), "cancelled"), Expect(("orders", oid, "cancel_reason"), reason)]
    expects += [Expect(("products", it["sku"], "stock")) for it in order["items"] if it["sku"] in s["products"]]
    return Task("cancel_order", ["Please cancel order {order}; reason: {reason}.", "I want to cancel {order} because it's {reason}.",
                                 "Cancel my order {order} ({reason})."],
                {"order": oid, "reason": reason}, [[C("cancel_order", order_id=oid, reason=reason)]], expects,
                answer=lambda o: f"Order {oid} is cancelled; {money(o[0]['refund'])} will be refunded.",
                omit="reason", say_without=["Please cancel order {order}.", "I'd like to cancel {order}."],
                ask="Could you tell me why you're cancelling: no longer needed, ordered by mistake, or found a better price?",
                supply=["{value}.", "It's {value}.", "Reason: {value}."])


def retail_return(s: State, rng: random.Random, p: Persona) -> Task | None:
    mine = _my_orders(s, p)
    if not mine:
        return None
    delivered = [o for o in mine if s["orders"][o]["status"] == "delivered"]
    oid = rng.choice(delivered) if delivered and rng.random() < 0.8 else rng.choice(mine)
    return Task("return_order", ["I'd like to return order {order}.", "Please start a return for {order}.",
                                 "Order {order} arrived but I want to send it back."],
                {"order": oid}, [[C("return_order", order_id=oid)]], [Expect(("orders", oid, "status"), "returned")],
                answer=lambda o: f"The return for {oid} is registered; you'll be refunded {money(o[0]['refund'])}.")


def retail_zip(s: State, rng: random.Random, p: Persona) -> Task | None:
    pending = [o for o in _my_orders(s, p) if s["orders"][o]["status"] == "pending"]
    if not pending:
        return None
    oid = rng.choice(pending)
    zip_code = rng.choice(ZIPS)
    return Task("change_zip", ["Please ship order {order} to zip code {zip} instead.", "Change the shipping zip of {order} to {zip}.",
                               "I moved; order {order} should go to {zip}."],
                {"order": oid, "zip": zip_code}, [[C("change_shipping_zip", order_id=oid, zip=zip_code)]],
                [Expect(("orders", oid, "zip"), zip_code)],
                answer=lambda o: f"Order {oid} will now ship to {zip_code}.",
                omit="zip", say_without=["I need to change the shipping address zip of order {order}."],
                ask="What's the new five-digit zip code?", supply=["{value}.", "It's {value}.", "New zip: {value}."])


def retail_buy(s: State, rng: random.Random, p: Persona) -> Task:
    sku = rng.choice(sorted(s["products"]))
    product = s["products"][sku]
    keyword = rng.choice(product["name"].split())
    qty = rng.choice([1, 1, 2, 3])
    email = p["email"]
    matches = [k for k, q in sorted(s["products"].items()) if keyword in q["name"]]
    oid = f"#W{s['next_order']}"
    return Task("buy", ["I want to buy {qty} {name}. My email is {email}.", "Order {qty} of the {name} for me; account email {email}.",
                        "Please place an order: {qty} x {name}, customer {email}."],
                {"qty": qty, "name": product["name"], "email": email},
                [[C("find_customer", email=email)], [C("search_products", keyword=keyword)],
                 [C("place_order", customer_id=p["customer_id"], sku=sku, quantity=qty)]],
                [Expect(("orders", oid)), Expect(("products", sku, "stock"), product["stock"] - qty),
                 Expect(("next_order",), s["next_order"] + 1)],
                answer=lambda o: f"Order {o[2]['order_id']} is placed: {qty} x {product['name']} for {money(o[2]['total'])}.",
                ) if len(matches) == 1 else _buy_exact(s, rng, p, sku, qty)


def _buy_exact(s: State, rng: random.Random, p: Persona, sku: str, qty: int) -> Task:
    product = s["products"][sku]
    oid = f"#W{s['next_order']}"
    return Task("buy_sku", ["Please order {qty} units of {sku} for customer {email}.",
                            "I'd like {qty} of product {sku}; my email is {email}."],
                {"qty": qty, "sku": sku, "email": p["email"]},
                [[C("find_customer", email=p["email"])], [C("place_order", customer_id=p["customer_id"], sku=sku, quantity=qty)]],
                [Expect(("orders", oid)), Expect(("products", sku, "stock"), product["stock"] - qty),
                 Expect(("next_order",), s["next_order"] + 1)],
                answer=lambda o: f"Done: order {o[1]['order_id']} ({qty} x {sku}) totals {money(o[1]['total'])}.",
                omit="qty", say_without=["Please order product {sku} for customer {email}."],
                ask=f"How many units of {sku} would you like?", supply=["{value}.", "{value} units.", "Make it {value}."])


RETAIL = Domain(
    env="retail",
    system=("You are an online store's customer-service agent. Help customers with their orders using the tools. "
            "Only pending orders can be cancelled or changed; only delivered orders can be returned."),
    persona=_retail_persona,
    tasks=[(1, retail_status), (0.8, retail_my_orders), (1.2, retail_cancel), (0.8, retail_return), (0.8, retail_zip),
           (1.2, retail_buy)],
    long_tasks=[retail_orders_long],
    irrelevant=["Can you tell me a joke about shopping?", "What's the capital of Australia?",
                "Can you reset my email password?", "How do I fix my laptop's wifi?"],
    greet=lambda p: ["", "Hi there. ", "Hello, {name} here. ", "Hey! "],
)


# --- calendar -----------------------------------------------------------------------------------
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


# --- file system --------------------------------------------------------------------------------
def _fs_persona(state: State, rng: random.Random) -> Persona:
    home = next(d for d in state["directories"] if d.startswith("/home/") and d.count("/") == 2)
    folders = [d for d in state["directories"] if d.startswith(home + "/")]
    return {"home": home, "folders": folders}


def _a_file(s: State, rng: random.Random, p: Persona) -> str | None:
    files = sorted(f for f in s["files"] if f.startswith(p["home"] + "/"))
    return rng.choice(files) if files else None


def fs_list(s: State, rng: random.Random, p: Persona) -> Task:
    folder = rng.choice(p["folders"])
    return Task("list_folder", ["What's in {folder}?", "List the files in {folder}.", "Show me the contents of {folder}."],
                {"folder": folder}, [[C("list_directory", path=folder)]],
                answer=lambda o: (f"{folder} contains: " + ", ".join(o[0]) + ".") if o[0] else f"{folder} is empty.")


def fs_find_long(s: State, rng: random.Random, p: Persona) -> Task:
    folder = max(p["folders"], key=lambda d: sum(1 for f in s["files"] if f.startswith(d + "/")))
    return Task("list_folder_long", ["List everything in {folder}, I need the complete listing.",
                                     "Give me the full contents of {folder}."],
                {"folder": folder}, [[C("list_directory", path=folder)]], long_context=True,
                answer=lambda o: f"{folder} holds {len(o[0])} entries.")


def fs_read(s: State, rng: random.Random, p: Persona) -> Task | None:
    path = _a_file(s, rng, p)
    if path is None:
        return None
    return Task("read", ["Open {path} and tell me what it says.", "What's written in {path}?", "Read {path} for me."],
                {"path": path}, [[C("read_file", path=path)]], answer=lambda o: f"{path} says: {o[0]}")


def fs_write(s: State, rng: random.Random, p: Persona) -> Task:
    folder = rng.choice(p["folders"])
    name = rng.choice(["agenda", "shopping", "reminders", "ideas", "contacts", "goals"]) + rng.choice(["", "_new", "_2025"]) + ".txt"
    path = f"{folder}/{name}"
    content = rng.choice(SENTENCES)
    return Task("write", ["Create a file {path} with the text: {content}", "Write \"{content}\" into a new file at {path}.",
                          "Save a note at {path} that says {content}"],
                {"path": path, "content": content}, [[C("write_file", path=path, content=content)]],
                [Expect(("files", path), content)],
                answer=lambda o: f"Saved {path} ({o[0]['characters']} characters).",
                omit="content", say_without=["Create a file {path} for me.", "I need a new file at {path}."],
                ask="What should the file say?", supply=["Write: {value}", "The text is: {value}", "{value}"])


def fs_append(s: State, rng: random.Random, p: Persona) -> Task | None:
    path = _a_file(s, rng, p)
    if path is None:
        return None
    text = rng.choice(SENTENCES)
    new = f"{s['files'][path]}\n{text}" if s["files"][path] else text
    return Task("append", ["Add the line \"{text}\" to {path}.", "Append to {path}: {text}", "Please put \"{text}\" at the end of {path}."],
                {"text": text, "path": path}, [[C("append_to_file", path=path, text=text)]],
                [Expect(("files", path), new)], answer=lambda o: f"Added the line; {path} now has {o[0]['characters']} characters.")


def fs_archive(s: State, rng: random.Random, p: Persona) -> Task | None:
    path = _a_file(s, rng, p)
    if path is None:
        return None
    target = f"{p['home']}/{rng.choice(['archive_2025', 'old', 'backup', 'done'])}"
    exists = target in s["directories"]
    calls = [[C("move_file", source=path, destination=target)]] if exists else [
        [C("create_directory", path=target)], [C("move_file", source=path, destination=target)]]
    moved = f"{target}/{path.rsplit('/', 1)[1]}"
    expects = [Expect(("files", path), ABSENT), Expect(("files", moved), s["files"][path])]
    if not exists:
        expects.append(Expect(("directories",)))
    return Task("archive", ["Move {path} into {target}.", "Please file {path} away in {target}.",
                            "Put {path} in the folder {target} (create it if needed)."],
                {"path": path, "target": target}, calls, expects,
                answer=lambda o: f"Moved it to {moved}.",
                omit="target", say_without=["Move {path} somewhere else, please."],
                ask="Which folder should it go to?", supply=["{value}.", "Into {value}.", "Put it in {value}."])


def fs_delete(s: State, rng: random.Random, p: Persona) -> Task | None:
    path = _a_file(s, rng, p)
    if path is None:
        return None
    return Task("delete", ["Delete {path}.", "Please remove the file {path}.", "I don't need {path} anymore, delete it."],
                {"path": path}, [[C("delete_file", path=path)]], [Expect(("files", path), ABSENT)],
                answer=lambda o: f"{path} is deleted.")


def fs_find(s: State, rng: random.Random, p: Persona) -> Task | None:
    path = _a_file(s, rng, p)
    if path is None:
        return None
    stem = path.rsplit("/", 1)[1].split("_")[0].split(".")[0]
    return Task("find", ["Find files with {stem} in their name under {home}.", "Search {home} for files named like {stem}."],
                {"stem": stem, "home": p["home"]}, [[C("find_files", name_contains=stem, directory=p["home"])]],
                answer=lambda o: "Found: " + ", ".join(o[0]) + "." if o[0] else "No matching files.")


def fs_count(s: State, rng: random.Random, p: Persona) -> Task | None:
    path = _a_file(s, rng, p)
    if path is None:
        return None
    return Task("count", ["How many words are in {path}?", "Count the words and lines of {path}."],
                {"path": path}, [[C("word_count", path=path)]],
                answer=lambda o: f"{path} has {o[0]['words']} words on {o[0]['lines']} lines.")


FILESYSTEM = Domain(
    env="filesystem",
    system=("You are a file assistant working on the user's documents. Use the tools with absolute paths; "
            "confirm what you changed."),
    persona=_fs_persona,
    tasks=[(1, fs_list), (1, fs_read), (1.2, fs_write), (0.9, fs_append), (1, fs_archive), (0.8, fs_delete),
           (0.6, fs_find), (0.6, fs_count)],
    long_tasks=[fs_find_long],
    irrelevant=["Can you email this file to my boss?", "What's the best laptop to buy?",
                "Can you print the report on the office printer?", "How many days until Christmas?"],
    greet=lambda p: ["", "Hi. ", "Hello! ", "Hey, quick help needed. "],
)

DOMAINS: dict[str, Domain] = {d.env: d for d in (FILESYSTEM, RETAIL, CALENDAR, BANK)}

__all__ = ["DOMAINS", "Domain", "Task"]
