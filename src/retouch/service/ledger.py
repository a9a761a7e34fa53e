"""The credits ledger: append-only entries, and a balance that never goes negative.

Movements are `grant` (+), `hold` (− estimate), `capture` (− actual cost) with a
`release` (+ the held estimate) on success, and `release` alone on failure or cancel:
"pay only for successful edits". The account's balance column is updated in the same
transaction as each entry, with a conditional UPDATE (`balance >= amount`) that is
atomic on both SQLite (under BEGIN IMMEDIATE) and PostgreSQL (row lock), so parallel
holds against a small balance can never overdraw it.
"""

from __future__ import annotations

from typing import Literal

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .db import Database, now
from .models import Account, LedgerEntry

# The statements on every edit's path, built once with bound parameters: SQLAlchemy then
# reuses their compiled form, where statements built with literal values are coerced and
# cache-keyed on every call (that cost several times the SQL itself on SQLite).
_TAKE = (
    update(Account)
    .where(Account.id == bindparam("account"), Account.balance >= bindparam("take"))
    .values(balance=Account.balance - bindparam("take"))
    .returning(Account.balance)
)
_ADD = (
    update(Account)
    .where(Account.id == bindparam("account"))
    .values(balance=Account.balance + bindparam("add"))
    .returning(Account.balance)
)
_APPEND = insert(LedgerEntry)


#: The kinds of ledger entries (LedgerEntry.kind).
LedgerKind = Literal["grant", "adjust", "hold", "capture", "release"]
KINDS: tuple[LedgerKind, ...] = ("grant", "adjust", "hold", "capture", "release")


class InsufficientCredits(Exception):
    def __init__(self, needed: int, available: int) -> None:
        super().__init__(f"this edit needs {needed} credits but only {available} are available")
        self.needed = needed
        self.available = available


class AlreadySettled(Exception):
    """A job's hold was already captured or released (a duplicate settlement)."""


class Ledger:
    def __init__(self, db: Database) -> None:
        self.db = db

    # ---- movements (each in its own transaction unless a session is given)

    def grant(
        self, account_id: str, amount: int, *, memo: str = "grant", kind: Literal["grant", "adjust"] = "grant"
    ) -> int:
        """Add (or with kind=adjust and a negative amount, remove) credits; returns the new balance."""
        with self.db.write() as s:
            if amount < 0:
                res = s.connection().execute(_TAKE, {"account": account_id, "take": -amount}).first()
                if res is None:
                    raise InsufficientCredits(-amount, self.balance(account_id))
                after = int(res[0])
            else:
                after = self._move(s, account_id, amount)
            s.add(LedgerEntry(account_id=account_id, kind=kind, amount=amount, balance_after=after, memo=memo))
            return after

    def hold(self, s: Session, account_id: str, amount: int, *, job_id: str, key_id: str) -> int:
        """Reserve `amount` for a job inside the caller's transaction (so that the job row and
        its hold commit together). Raises InsufficientCredits."""
        conn = s.connection()  # Core statements: the ORM's bulk-update path costs more than the SQL
        res = conn.execute(_TAKE, {"account": account_id, "take": amount}).first()
        if res is None:
            available = s.scalar(select(Account.balance).where(Account.id == account_id)) or 0
            raise InsufficientCredits(amount, int(available))
        conn.execute(
            _APPEND,
            {
                "account_id": account_id,
                "kind": "hold",
                "amount": -amount,
                "balance_after": res[0],
                "job_id": job_id,
                "key_id": key_id,
                "memo": "estimate",
                "created_at": now(),
            },
        )
        return int(res[0])

    def capture(
        self, s: Session, account_id: str, *, job_id: str, key_id: str, held: int, actual: int
    ) -> int:
        """Settle a successful job: release the hold and charge the actual cost (at most the hold:
        the estimate is the quote), as two entries and one balance update. Returns the charge."""
        charged = max(0, min(actual, held))
        after = self._move(s, account_id, held - charged)
        self._append(
            s,
            [
                dict(
                    account_id=account_id,
                    kind="release",
                    amount=held,
                    balance_after=after + charged,
                    job_id=job_id,
                    key_id=key_id,
                    memo="hold released on success",
                ),
                dict(
                    account_id=account_id,
                    kind="capture",
                    amount=-charged,
                    balance_after=after,
                    job_id=job_id,
                    key_id=key_id,
                    memo="charge",
                ),
            ],
            job_id,
        )
        return charged

    def release(self, s: Session, account_id: str, *, job_id: str, key_id: str, held: int, memo: str) -> None:
        """Give a failed or canceled job's hold back."""
        after = self._move(s, account_id, held)
        self._append(
            s,
            [
                dict(
                    account_id=account_id,
                    kind="release",
                    amount=held,
                    balance_after=after,
                    job_id=job_id,
                    key_id=key_id,
                    memo=memo,
                )
            ],
            job_id,
        )

    @staticmethod
    def _move(s: Session, account_id: str, amount: int) -> int:
        res = s.connection().execute(_ADD, {"account": account_id, "add": amount}).first()
        if res is None:
            raise LookupError(f"no account {account_id!r}")
        return int(res[0])

    @staticmethod
    def _append(s: Session, entries: list[dict], job_id: str) -> None:
        t = now()
        try:
            s.connection().execute(_APPEND, [{**e, "created_at": t} for e in entries])
        except IntegrityError as e:
            # The unique (job_id, kind) index: this job was already settled (a duplicate or a race);
            # the caller's transaction rolls back, balance update included.
            raise AlreadySettled(f"job {job_id} was already settled") from e

    # ---- reads

    def balance(self, account_id: str) -> int:
        with self.db.read() as s:
            return int(s.scalar(select(Account.balance).where(Account.id == account_id)) or 0)

    def held(self, account_id: str) -> int:
        """Credits currently on hold (holds without a release)."""
        with self.db.read() as s:
            released = select(LedgerEntry.job_id).where(
                LedgerEntry.kind == "release", LedgerEntry.account_id == account_id
            )
            total = s.scalar(
                select(func.coalesce(func.sum(-LedgerEntry.amount), 0)).where(
                    LedgerEntry.account_id == account_id,
                    LedgerEntry.kind == "hold",
                    LedgerEntry.job_id.not_in(released),
                )
            )
        return int(total or 0)

    def entries(
        self,
        account_id: str,
        *,
        start: float | None = None,
        end: float | None = None,
        limit: int | None = None,
    ) -> list[LedgerEntry]:
        with self.db.read() as s:
            q = select(LedgerEntry).where(LedgerEntry.account_id == account_id).order_by(LedgerEntry.id)
            if start is not None:
                q = q.where(LedgerEntry.created_at >= start)
            if end is not None:
                q = q.where(LedgerEntry.created_at < end)
            if limit:
                q = q.limit(limit)
            return list(s.scalars(q))

    def balance_at(self, account_id: str, t: float) -> int:
        """Balance just before time `t` (opening balance of a statement)."""
        with self.db.read() as s:
            v = s.scalar(
                select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(
                    LedgerEntry.account_id == account_id, LedgerEntry.created_at < t
                )
            )
        return int(v or 0)
