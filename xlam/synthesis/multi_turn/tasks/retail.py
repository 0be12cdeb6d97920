"""Task samplers of the retail shop environment (see xlam.synthesis.multi_turn.tasks)."""

from __future__ import annotations

import random

from xlam.envs.data import ZIPS
from xlam.synthesis.multi_turn.blueprint import Expect, Task
from xlam.synthesis.multi_turn.tasks.base import C, Domain, Persona, State, money


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


__all__ = ["RETAIL"]
