"""Deadlines from the SLA policy table, computed on the working-day calendar."""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _

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


class SLA:
    """The policy table and the calendar, loaded once and reused for many tickets."""

    def __init__(self, policies: dict[tuple[str, str], SLAPolicy], calendar: WorkingCalendar):
        self.policies = policies
        self.calendar = calendar
        # A sweep computes the same new clock for thousands of tickets (one `now`).
        self._clocks: dict[tuple[str, str, dt.datetime], Clock] = {}

    @classmethod
    def load(cls) -> "SLA":
        policies = {(p.tier, p.urgency): p for p in SLAPolicy.objects.all()}
        return cls(policies, WorkingCalendar.load())

    def policy(self, tier: str, urgency: str) -> SLAPolicy:
        # An emergency below the street tier cannot arise (it starts at the street), but a
        # table without that row must still give a clock: the tier's normal row serves.
        policy = self.policies.get((tier, urgency)) or self.policies.get((tier, Urgency.NORMAL))
        if policy is None:
            raise MissingPolicy(_("No SLA policy for tier %(tier)s: add one in the admin.") % {"tier": tier})
        return policy

    def clock(self, tier: str, urgency: str, start: dt.datetime) -> Clock:
        key = (tier, urgency, start)
        if key not in self._clocks:
            policy = self.policy(tier, urgency)
            self._clocks[key] = Clock(
                respond_by=self.calendar.add(start, policy.respond_within, policy.respond_unit),
                resolve_by=self.calendar.add(start, policy.resolve_within, policy.resolve_unit),
            )
        return self._clocks[key]

    def feedback_due_by(self, resolved_at: dt.datetime) -> dt.datetime:
        return self.calendar.add(resolved_at, settings.ZHITONG_FEEDBACK_WINDOW_WORKING_DAYS, DurationUnit.WORKING_DAYS)

    def default_answer_by(self, referred_at: dt.datetime) -> dt.datetime:
        """A department's answer is due within one month (诉求转接制, DOMAIN.md)."""
        return self.calendar.add(referred_at, settings.ZHITONG_REFERRAL_ANSWER_MONTHS, DurationUnit.CALENDAR_MONTHS)
