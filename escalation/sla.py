"""Deadlines from the SLA policy table, computed on the working-day calendar."""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _

from catalogue.models import ServiceItem
from core import refdata
from core.enums import Urgency
from core.errors import InvalidTransition

from .calendar import WorkingCalendar
from .models import DurationUnit, SLAPolicy


class MissingPolicy(InvalidTransition):
    """No SLA policy row for a tier: an administrator must add one."""

    default_code = "no_sla_policy"


@dataclass(frozen=True)
class Clock:
    respond_by: dt.datetime
    resolve_by: dt.datetime
    # The warnings before the breach (issue 19), in office time: when a quarter of the time
    # from the start to resolve-by is left, and when less than one working day is.
    warn_quarter_at: dt.datetime
    warn_day_at: dt.datetime


class SLA:
    """The policy table and the calendar, loaded once and reused for many tickets."""

    def __init__(self, policies: dict[tuple, SLAPolicy], calendar: WorkingCalendar):
        # Keyed (tier, urgency, category id, service item id), the last two None on the
        # tier's own rows.
        self.policies = policies
        self.calendar = calendar
        # A sweep computes the same new clock for thousands of tickets (one `now`).
        self._clocks: dict[tuple, Clock] = {}
        self._items: dict[int, ServiceItem | None] = {}

    @classmethod
    def load(cls) -> "SLA":
        # The tables, kept between an API process's requests while they stay as they are
        # (core.refdata); the clocks worked out from them are this SLA's own.
        policies, overrides = refdata.cached("sla", cls._tables)
        return cls(policies, WorkingCalendar(overrides))

    @staticmethod
    def _tables() -> tuple[dict, dict]:
        policies = {(p.tier, p.urgency, p.category_id, p.service_item_id): p for p in SLAPolicy.objects.all()}
        return policies, WorkingCalendar.load().overrides

    def _item(self, pk: int) -> "ServiceItem | None":
        if pk not in self._items:
            self._items[pk] = ServiceItem.objects.filter(pk=pk).first()
        return self._items[pk]

    def policy(
        self, tier: str, urgency: str, *, category_id: int | None = None, service_item_id: int | None = None
    ) -> SLAPolicy:
        """The row that applies, the most specific first: one naming the service item; the
        item's own time limit (限时办结, resolve within so many working days, responding as the
        tier's row says); one naming the category; the tier's row for the urgency; the
        tier's normal row (an emergency below the street cannot arise, but a table without
        that row must still give a clock). An unsaved row stands for the item's limit."""
        if service_item_id is not None:
            row = self.policies.get((tier, urgency, None, service_item_id))
            if row is not None:
                return row
        by_category = self.policies.get((tier, urgency, category_id, None)) if category_id is not None else None
        base = self.policies.get((tier, urgency, None, None)) or self.policies.get((tier, Urgency.NORMAL, None, None))
        if service_item_id is not None and (item := self._item(service_item_id)) is not None:
            respond = by_category or base
            if respond is None:
                raise MissingPolicy(_("No SLA policy for tier %(tier)s: add one in the admin.") % {"tier": tier})
            return SLAPolicy(
                tier=tier,
                urgency=urgency,
                service_item=item,
                respond_within=respond.respond_within,
                respond_unit=respond.respond_unit,
                resolve_within=item.limit(urgency),
                resolve_unit=DurationUnit.WORKING_DAYS,
            )
        policy = by_category or base
        if policy is None:
            raise MissingPolicy(_("No SLA policy for tier %(tier)s: add one in the admin.") % {"tier": tier})
        return policy

    def clock(
        self,
        tier: str,
        urgency: str,
        start: dt.datetime,
        *,
        category_id: int | None = None,
        service_item_id: int | None = None,
    ) -> Clock:
        key = (tier, urgency, start, category_id, service_item_id)
        if key not in self._clocks:
            policy = self.policy(tier, urgency, category_id=category_id, service_item_id=service_item_id)
            resolve_by = self.calendar.add(start, policy.resolve_within, policy.resolve_unit)
            self._clocks[key] = Clock(
                respond_by=self.calendar.add(start, policy.respond_within, policy.respond_unit),
                resolve_by=resolve_by,
                **self.warnings(start, resolve_by),
            )
        return self._clocks[key]

    def warnings(self, start: dt.datetime, resolve_by: dt.datetime) -> dict[str, dt.datetime]:
        """When a clock from `start` to `resolve_by` has a quarter of its working time left,
        and when it has less than one working day left (never before `start`)."""
        calendar = self.calendar
        total = calendar.working_time_between(start, resolve_by)
        return {
            "warn_quarter_at": max(start, calendar.subtract_working_time(resolve_by, total / 4)),
            "warn_day_at": max(start, calendar.subtract_working_time(resolve_by, calendar.WORKING_DAY)),
        }

    def feedback_due_by(self, resolved_at: dt.datetime) -> dt.datetime:
        return self.calendar.add(resolved_at, settings.ZHITONG_FEEDBACK_WINDOW_WORKING_DAYS, DurationUnit.WORKING_DAYS)

    def default_answer_by(self, referred_at: dt.datetime) -> dt.datetime:
        """A department's answer is due within one month (诉求转接制, DOMAIN.md)."""
        return self.calendar.add(referred_at, settings.ZHITONG_REFERRAL_ANSWER_MONTHS, DurationUnit.CALENDAR_MONTHS)
