"""A bank ledger: accounts with balances, transfers, a transaction history and account freezes."""

from __future__ import annotations

import random
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from xlam.envs.base import Environment, ToolError, tool
from xlam.envs.data import FIRST_NAMES, LAST_NAMES, MEMOS

Amount = Annotated[float, Field(gt=0, le=100_000)]


class Account(BaseModel):
    owner: str
    kind: Literal["checking", "savings"]
    balance: float = 0.0
    frozen: bool = False


class Transaction(BaseModel):
    id: str
    account: str
    amount: float
    kind: Literal["deposit", "withdrawal", "transfer_in", "transfer_out"]
    memo: str = ""


class BankState(BaseModel):
    accounts: dict[str, Account] = Field(default_factory=dict)
    transactions: list[Transaction] = Field(default_factory=list)
    next_transaction: int = 1


class Bank(Environment):
    """Retail banking back office."""

    name = "bank"
    description = "a bank's account ledger (balances, deposits, withdrawals, transfers, freezes)"
    State = BankState
    state: BankState

    @classmethod
    def sample_state(cls, rng: random.Random, *, long_context: bool = False) -> dict[str, Any]:
        state = BankState()
        owners = rng.sample([f"{f} {ln}" for f in FIRST_NAMES for ln in LAST_NAMES], 6)
        numbers = rng.sample(range(1000, 9999), 14)
        for i, owner in enumerate(owners):
            kinds = ["checking", "savings"] if i % 3 else ["checking"]
            for kind in kinds:
                number = f"ACC-{numbers.pop()}"
                state.accounts[number] = Account(owner=owner, kind=kind,
                                                 balance=round(rng.uniform(50, 5000), 2))
        env = cls(state)
        accounts = sorted(state.accounts)
        for _ in range(60 if long_context else 6):
            acc = rng.choice(accounts)
            amount = round(rng.uniform(5, 400), 2)
            env._post(acc, amount, "deposit", rng.choice(MEMOS))
        return env.state_dict()

    # --- helpers -----------------------------------------------------------------------------
    def _account(self, number: str) -> Account:
        account = self.state.accounts.get(number)
        if account is None:
            raise ToolError(f"account {number} does not exist")
        return account

    def _post(self, number: str, amount: float, kind: str, memo: str) -> Transaction:
        account = self.state.accounts[number]
        account.balance = round(account.balance + amount, 2)
        txn = Transaction(id=f"T{self.state.next_transaction:05d}", account=number, amount=round(amount, 2),
                          kind=kind, memo=memo)
        self.state.next_transaction += 1
        self.state.transactions.append(txn)
        return txn

    def _debitable(self, number: str, amount: float) -> Account:
        account = self._account(number)
        if account.frozen:
            raise ToolError(f"account {number} is frozen")
        if amount > account.balance + 1e-9:
            raise ToolError(f"insufficient funds in {number}: balance {account.balance:.2f}, requested {amount:.2f}")
        return account

    # --- tools -------------------------------------------------------------------------------
    @tool
    def list_accounts(self, owner: str) -> list[dict[str, Any]]:
        """List the accounts of a customer.

        Args:
            owner: Full name of the account holder, e.g. "Ana Silva".
        """
        found = [{"account_number": n, "kind": a.kind, "balance": a.balance, "frozen": a.frozen}
                 for n, a in sorted(self.state.accounts.items()) if a.owner.lower() == owner.strip().lower()]
        if not found:
            raise ToolError(f"no accounts for {owner!r}")
        return found

    @tool
    def get_balance(self, account_number: str) -> dict[str, Any]:
        """Get the current balance of an account.

        Args:
            account_number: Account number, e.g. "ACC-1234".
        """
        account = self._account(account_number)
        return {"account_number": account_number, "balance": account.balance, "frozen": account.frozen}

    @tool
    def deposit(self, account_number: str, amount: Amount, memo: str = "") -> dict[str, Any]:
        """Deposit money into an account.

        Args:
            account_number: Account number to credit.
            amount: Amount in dollars (positive).
            memo: Optional note stored with the transaction.
        """
        self._account(account_number)
        txn = self._post(account_number, amount, "deposit", memo)
        return {"transaction_id": txn.id, "balance": self.state.accounts[account_number].balance}

    @tool
    def withdraw(self, account_number: str, amount: Amount, memo: str = "") -> dict[str, Any]:
        """Withdraw money from an account (fails on insufficient funds or a frozen account).

        Args:
            account_number: Account number to debit.
            amount: Amount in dollars (positive).
            memo: Optional note stored with the transaction.
        """
        self._debitable(account_number, amount)
        txn = self._post(account_number, -amount, "withdrawal", memo)
        return {"transaction_id": txn.id, "balance": self.state.accounts[account_number].balance}

    @tool
    def transfer(self, from_account: str, to_account: str, amount: Amount, memo: str = "") -> dict[str, Any]:
        """Transfer money between two accounts of the bank.

        Args:
            from_account: Account number to debit.
            to_account: Account number to credit.
            amount: Amount in dollars (positive).
            memo: Optional note stored with both transactions.
        """
        if from_account == to_account:
            raise ToolError("source and destination accounts are the same")
        self._debitable(from_account, amount)
        self._account(to_account)
        out = self._post(from_account, -amount, "transfer_out", memo)
        self._post(to_account, amount, "transfer_in", memo)
        return {"transaction_id": out.id, "from_balance": self.state.accounts[from_account].balance,
                "to_balance": self.state.accounts[to_account].balance}

    @tool
    def list_transactions(self, account_number: str, limit: Annotated[int, Field(ge=1, le=100)] = 5) -> list[dict[str, Any]]:
        """List the most recent transactions of an account, newest first.

        Args:
            account_number: Account number.
            limit: How many transactions to return (1-100).
        """
        self._account(account_number)
        rows = [t.model_dump() for t in reversed(self.state.transactions) if t.account == account_number]
        return rows[:limit]

    @tool
    def freeze_account(self, account_number: str,
                       reason: Literal["lost card", "suspected fraud", "travel"]) -> dict[str, Any]:
        """Freeze an account so no money can leave it.

        Args:
            account_number: Account number to freeze.
            reason: Why the account is frozen.
        """
        account = self._account(account_number)
        if account.frozen:
            raise ToolError(f"account {account_number} is already frozen")
        account.frozen = True
        return {"account_number": account_number, "frozen": True, "reason": reason}

    @tool
    def unfreeze_account(self, account_number: str) -> dict[str, Any]:
        """Lift the freeze of an account.

        Args:
            account_number: Account number to unfreeze.
        """
        account = self._account(account_number)
        if not account.frozen:
            raise ToolError(f"account {account_number} is not frozen")
        account.frozen = False
        return {"account_number": account_number, "frozen": False}
