"""Usage grouped by day/model/key, and statements (ledger movements of a period) as JSON or CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

from sqlalchemy import func, select

from .db import Database
from .errors import invalid
from .ledger import Ledger
from .models import UsageRecord

GROUPS = {"day": UsageRecord.day, "model": UsageRecord.model, "key": UsageRecord.key_id}


def parse_day(value: str | None, param: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise invalid(f"Invalid value for '{param}': {value!r}; use YYYY-MM-DD.", param) from None


def day_start(d: dt.date) -> float:
    return dt.datetime(d.year, d.month, d.day, tzinfo=dt.UTC).timestamp()


class Reports:
    def __init__(self, db: Database, ledger: Ledger) -> None:
        self.db = db
        self.ledger = ledger

    def usage(
        self,
        account_id: str | None,
        *,
        start: dt.date | None,
        end: dt.date | None,
        group_by: list[str],
        key_id: str | None = None,
    ) -> dict[str, Any]:
        """Sums per group over [start, end] (inclusive days, UTC); account None = all (admin)."""
        bad = [g for g in group_by if g not in GROUPS]
        if bad:
            raise invalid(f"Invalid value for 'group_by': {bad[0]!r}; use day, model and/or key.", "group_by")
        cols = [GROUPS[g].label(g) for g in group_by]
        sums = [
            func.count().label("requests"),
            func.sum(UsageRecord.images).label("images"),
            func.sum(UsageRecord.input_text_tokens).label("input_text_tokens"),
            func.sum(UsageRecord.input_image_tokens).label("input_image_tokens"),
            func.sum(UsageRecord.output_tokens).label("output_tokens"),
            func.sum(UsageRecord.credits).label("credits"),
        ]
        q = select(*cols, *sums)
        if account_id:
            q = q.where(UsageRecord.account_id == account_id)
        if key_id:
            q = q.where(UsageRecord.key_id == key_id)
        if start:
            q = q.where(UsageRecord.day >= start.isoformat())
        if end:
            q = q.where(UsageRecord.day <= end.isoformat())
        if cols:
            q = q.group_by(*[GROUPS[g] for g in group_by]).order_by(*[GROUPS[g] for g in group_by])
        with self.db.read() as s:
            rows = [dict(r._mapping) for r in s.execute(q)]
        data = []
        for r in rows:
            if not r["requests"]:
                continue
            item = {k: (int(v) if k not in GROUPS and v is not None else v) for k, v in r.items()}
            item["input_tokens"] = item["input_text_tokens"] + item["input_image_tokens"]
            item["total_tokens"] = item["input_tokens"] + item["output_tokens"]
            data.append(item)
        totals = {
            k: sum(d[k] for d in data)
            for k in ("requests", "images", "input_tokens", "output_tokens", "total_tokens", "credits")
        }
        return {
            "object": "usage",
            "group_by": group_by,
            "start": start.isoformat() if start else None,
            "end": end.isoformat() if end else None,
            "data": data,
            "totals": totals,
        }

    def statement(self, account_id: str, *, start: dt.date, end: dt.date) -> dict[str, Any]:
        """Ledger movements of [start, end] (inclusive days, UTC) with opening/closing balances."""
        t0 = day_start(start)
        t1 = day_start(end) + 86400  # (not end + 1 day: there is no day after 9999-12-31)
        entries = self.ledger.entries(account_id, start=t0, end=t1)
        opening = self.ledger.balance_at(account_id, t0)
        totals: dict[str, int] = {"grant": 0, "hold": 0, "release": 0, "capture": 0, "adjust": 0}
        for e in entries:
            totals[e.kind] = totals.get(e.kind, 0) + e.amount
        return {
            "object": "statement",
            "account_id": account_id,
            "start": start.isoformat(),
            "end": end.isoformat(),
            "opening_balance": opening,
            "closing_balance": opening + sum(e.amount for e in entries),
            "charged": -totals["capture"],
            "granted": totals["grant"] + totals["adjust"],
            "totals_by_kind": totals,
            "entries": [
                {
                    "id": e.id,
                    "at": dt.datetime.fromtimestamp(e.created_at, dt.UTC).isoformat(),
                    "kind": e.kind,
                    "amount": e.amount,
                    "balance_after": e.balance_after,
                    "job_id": e.job_id,
                    "key_id": e.key_id,
                    "memo": e.memo,
                }
                for e in entries
            ],
        }

    @staticmethod
    def statement_csv(statement: dict[str, Any]) -> str:
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(["id", "at", "kind", "amount", "balance_after", "job_id", "key_id", "memo"])
        for e in statement["entries"]:
            w.writerow(
                [
                    e["id"],
                    e["at"],
                    e["kind"],
                    e["amount"],
                    e["balance_after"],
                    e["job_id"] or "",
                    e["key_id"] or "",
                    e["memo"],
                ]
            )
        return buf.getvalue()
