"""The overdue sweep (DESIGN.md rule 2): run by beat every minute and by `manage.py sweep`."""

import contextvars
import datetime as dt
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field

from django.conf import settings
from django.db import DatabaseError, connection, connections
from django.utils import timezone, translation

from alerts.services import alerts_resend_stale

from . import transitions
from .models import SweepRun

logger = logging.getLogger(__name__)


@dataclass
class SweepReport:
    pauses_ended: int = 0
    escalated: int = 0
    respond_overdue: int = 0
    street_overdue: int = 0
    answer_overdue: int = 0
    closed: int = 0
    warned_quarter: int = 0
    warned_day: int = 0
    alerts_resent: int = 0
    failed: list[str] = field(default_factory=list)

    def __str__(self):
        counts = ", ".join(f"{name} {count}" for name, count in asdict(self).items() if name != "failed")
        return counts + (f"; failed: {', '.join(self.failed)}" if self.failed else "")


STEPS = (
    # A pause that ran out first: its clock runs again, with resolve-by moved on.
    ("pauses_ended", transitions.sweep_end_capped_pauses),
    # Escalation next: a ticket past resolve-by moves up before its respond-by is flagged
    # at the tier it is leaving.
    ("escalated", transitions.sweep_escalate_due),
    ("respond_overdue", transitions.sweep_flag_respond_overdue),
    ("street_overdue", transitions.sweep_flag_street_overdue),
    ("answer_overdue", transitions.sweep_flag_answer_overdue),
    ("closed", transitions.sweep_close_feedback_expired),
    # Warnings last: a ticket escalated above has a new clock and nothing to warn of yet.
    ("warned_quarter", transitions.sweep_warn_quarter_left),
    ("warned_day", transitions.sweep_warn_day_left),
)


def sweep_overdue_tickets(
    *, now: dt.datetime | None = None, batch_size: int | None = None, threads: int | None = None
) -> SweepReport:
    """Do everything that has fallen due, batch by batch, each batch its own transaction.

    A step with more than one batch due is drained by `threads` (ZHITONG_SWEEP_THREADS) at
    once, each on its own connection: while one thread builds a batch in Python, PostgreSQL
    writes another's (a ticket's row and its index entries). Their claims skip each other's
    locked rows (DESIGN.md rule 2), so each ticket still moves once."""
    now = now or timezone.now()
    batch_size = batch_size or settings.ZHITONG_SWEEP_BATCH_SIZE
    threads = threads or settings.ZHITONG_SWEEP_THREADS
    report = SweepReport()
    # The notes the sweep writes on timelines are in the product's default language,
    # whatever process (worker, command, test) runs it.
    with translation.override(settings.LANGUAGE_CODE):
        context = transitions.SweepContext()
        for name, step in STEPS:
            # One step failing (a lock timeout, a lost connection) must not stop the others;
            # what it left undone is still due and the next sweep takes it.
            try:
                changed, errors = _drain(step, now=now, batch_size=batch_size, context=context, threads=threads)
            except DatabaseError as error:
                changed, errors = 0, [error]
            setattr(report, name, changed)
            for error in errors:
                logger.error("Sweep step %s failed", name, exc_info=error)
            if errors:
                report.failed.append(name)
    report.alerts_resent = alerts_resend_stale(now)
    if any(value for key, value in asdict(report).items()):
        logger.info("Sweep at %s: %s", now.isoformat(), report)
    return report


def _drain(step, *, now: dt.datetime, batch_size: int, context, threads: int) -> tuple[int, list[DatabaseError]]:
    """Run `step` batch after batch until a batch comes back short: the tickets changed, and
    the database errors that stopped a thread (its batches before the error count).

    A first full batch means more are due: then `threads - 1` more threads join in, each on
    its own connection — on PostgreSQL (SQLite has one writer), and only when no transaction
    is open around the sweep (a helper could not see its rows, nor wait on its locks without
    hanging it). Each thread starts from the tickets the first batch could not move and keeps
    its own list of those (each tried at most once a thread); a helper runs in a copy of the
    caller's context (what `contextvars` hold, such as the demo's silenced SMS)."""

    errors: list[DatabaseError] = []

    def batches(skip: set[int], done: list[int]) -> None:
        try:
            while True:
                result = step(now=now, batch_size=batch_size, skip=skip, context=context)
                done[0] += result.changed
                if result.claimed < batch_size:
                    return
        except DatabaseError as error:  # this thread stops; what it moved stays counted
            errors.append(error)

    def helper(skip: set[int], done: list[int]) -> None:
        try:
            with translation.override(settings.LANGUAGE_CODE):
                batches(skip, done)
        finally:
            connections.close_all()  # this thread's own connections

    skip: set[int] = set()
    first = step(now=now, batch_size=batch_size, skip=skip, context=context)
    tallies = [[first.changed]]
    if first.claimed < batch_size:
        return first.changed, errors
    if threads < 2 or connection.vendor != "postgresql" or connection.in_atomic_block:
        batches(skip, tallies[0])
    else:
        tallies += [[0] for _ in range(threads - 1)]
        with ThreadPoolExecutor(max_workers=threads - 1, thread_name_prefix="sweep") as pool:
            helpers = [pool.submit(contextvars.copy_context().run, helper, set(skip), tally) for tally in tallies[1:]]
            batches(skip, tallies[0])
            for future in helpers:  # every helper waited for; an error that is not the database's is raised
                future.result()
    return sum(tally[0] for tally in tallies), errors


# The row of SweepRun that the scheduled sweep rewrites.
SCHEDULED = "overdue"


def sweep_run_record(report: SweepReport, *, took_seconds: float, now: dt.datetime | None = None) -> None:
    """Note that the scheduled sweep has just run (escalation.tasks): one upsert."""
    SweepRun.objects.bulk_create(
        [
            SweepRun(
                name=SCHEDULED,
                finished_at=now or timezone.now(),
                took_ms=round(took_seconds * 1000),
                report=str(report)[:500],
            )
        ],
        update_conflicts=True,
        unique_fields=["name"],
        update_fields=["finished_at", "took_ms", "report"],
    )


@dataclass(frozen=True)
class SweepStatus:
    """`ok`, `late` (no scheduled sweep for three intervals) or `never` (none yet)."""

    state: str
    last_run: dt.datetime | None
    age_seconds: float | None
    interval_seconds: float

    @property
    def healthy(self) -> bool:
        return self.state == "ok"

    @property
    def late_after_seconds(self) -> float:
        return LATE_AFTER_INTERVALS * self.interval_seconds


LATE_AFTER_INTERVALS = 3


def sweep_status(now: dt.datetime | None = None) -> SweepStatus:
    """Whether the scheduled sweep is running: /healthz and the admin's front page ask."""
    interval = settings.ZHITONG_SWEEP_INTERVAL_SECONDS
    last = SweepRun.objects.filter(name=SCHEDULED).values_list("finished_at", flat=True).first()
    if last is None:
        return SweepStatus("never", None, None, interval)
    age = ((now or timezone.now()) - last).total_seconds()
    return SweepStatus("late" if age > LATE_AFTER_INTERVALS * interval else "ok", last, age, interval)
