"""Task samplers of the bank environment (see xlam.synthesis.multi_turn.tasks)."""

from __future__ import annotations

import random

from xlam.synthesis.multi_turn.blueprint import Expect, Task
from xlam.synthesis.multi_turn.tasks.base import C, Domain, Persona, State, money


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


__all__ = ["BANK"]
