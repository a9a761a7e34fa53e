"""The ledger audit: every invariant the money relies on, checked against the database.

- an account's balance is the sum of its ledger entries, never negative, and each entry's
  `balance_after` continues the account's running sum (entries in id order);
- a job has at most one hold, one capture and one release; a succeeded job has all three,
  its capture is its `charged_credits` and at most its hold, and one usage record of the same
  credits; a failed or canceled job has no capture, and a release for any hold; a queued or
  running job holds its estimate, unreleased.

`GET /v1/admin/audit` runs it; bench/bench_ledger.py and the suite run it after a campaign of
concurrent clients.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from .db import Database
from .models import Account, Job, LedgerEntry, UsageRecord
from .states import JobStatus

#: Problems listed in a report, at most (the counts are always complete).
MAX_LISTED = 50


@dataclass
class AuditReport:
    accounts: int = 0
    entries: int = 0
    jobs: dict[str, int] = field(default_factory=dict)
    captured: int = 0
    held: int = 0
    problems: list[str] = field(default_factory=list)
    problem_count: int = 0

    @property
    def ok(self) -> bool:
        return self.problem_count == 0

    def problem(self, text: str) -> None:
        self.problem_count += 1
        if len(self.problems) < MAX_LISTED:
            self.problems.append(text)

    def as_dict(self) -> dict[str, Any]:
        return {
            "object": "ledger_audit",
            "ok": self.ok,
            "accounts": self.accounts,
            "entries": self.entries,
            "jobs": self.jobs,
            "captured": self.captured,
            "held": self.held,
            "problem_count": self.problem_count,
            "problems": self.problems,
        }


def audit_ledger(db: Database) -> AuditReport:
    """Check every invariant (one consistent read on PostgreSQL: a repeatable-read snapshot;
    SQLite's read transaction is one by nature)."""
    report = AuditReport()
    with db.read() as s:
        if not db.is_sqlite:
            s.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        accounts = {a.id: a.balance for a in s.scalars(select(Account))}
        entries = list(s.scalars(select(LedgerEntry).order_by(LedgerEntry.id)))
        jobs = {
            j.id: j
            for j in s.scalars(
                select(Job).where(Job.id.in_(select(LedgerEntry.job_id).where(LedgerEntry.job_id.is_not(None))))
            )
        }
        statuses = [st for (st,) in s.execute(select(Job.status))]
        usage = defaultdict(list)
        for u in s.scalars(select(UsageRecord)):
            usage[u.job_id].append(u.credits)
    report.accounts, report.entries = len(accounts), len(entries)
    for st in statuses:
        report.jobs[st] = report.jobs.get(st, 0) + 1

    running: dict[str, int] = defaultdict(int)
    by_job: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for e in entries:
        running[e.account_id] += e.amount
        if running[e.account_id] != e.balance_after:
            report.problem(
                f"entry {e.id} ({e.kind} {e.amount}) of {e.account_id}: balance_after {e.balance_after}, "
                f"running sum {running[e.account_id]}"
            )
        if e.job_id is not None:
            by_job[e.job_id][e.kind].append(e.amount)
    for account, balance in accounts.items():
        if balance != running.get(account, 0):
            report.problem(f"account {account}: balance {balance} != sum of its entries {running.get(account, 0)}")
        if balance < 0:
            report.problem(f"account {account}: negative balance {balance}")

    for job_id, kinds in by_job.items():
        job = jobs.get(job_id)
        for kind, amounts in kinds.items():
            if len(amounts) > 1:
                report.problem(f"job {job_id}: {len(amounts)} {kind} entries")
        hold = -sum(kinds.get("hold", []))
        capture = -sum(kinds.get("capture", []))
        released = bool(kinds.get("release"))
        report.captured += capture
        if job is None:
            report.problem(f"ledger entries of job {job_id}, which does not exist")
            continue
        if job.status == JobStatus.SUCCEEDED:
            if not (kinds.get("hold") and released and kinds.get("capture")):
                report.problem(f"job {job_id} succeeded without hold, release and capture: {dict(kinds)}")
            if capture != job.charged_credits:
                report.problem(f"job {job_id}: captured {capture}, charged_credits {job.charged_credits}")
            if capture > hold:
                report.problem(f"job {job_id}: captured {capture}, more than its hold {hold}")
            if usage.get(job_id) != [capture]:
                report.problem(f"job {job_id}: usage records {usage.get(job_id)} for a capture of {capture}")
        elif job.status in (JobStatus.FAILED, JobStatus.CANCELED):
            if capture:
                report.problem(f"job {job_id} {job.status} but captured {capture}")
            if hold and not released:
                report.problem(f"job {job_id} {job.status} with its hold of {hold} not released")
            if job_id in usage:
                report.problem(f"job {job_id} {job.status} has a usage record")
        else:  # queued, running
            if released or capture:
                report.problem(f"job {job_id} {job.status} but already settled: {dict(kinds)}")
            report.held += hold
    for job_id in usage:
        if job_id not in by_job:
            report.problem(f"usage record of job {job_id}, which has no ledger entries")
    return report
