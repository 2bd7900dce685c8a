"""The words of the product that every app shares: the pyramid's tiers, a ticket's statuses,
urgencies, channels, outcomes and cancel reasons. They are the ticket's field choices
(grievances.models.Ticket), and the tiers are also the meetings' and SLA policies'; they live
here, below every app, so none has to import another's models for a word.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Tier(models.TextChoices):
    """The three tiers of the pyramid, lowest first."""

    ZONE = "zone", _("responsibility zone")
    COMMITTEE = "committee", _("residential committee")
    STREET = "street", _("street office")

    @property
    def above(self) -> "Tier | None":
        order = list(Tier)
        index = order.index(self)
        return order[index + 1] if index + 1 < len(order) else None


class Status(models.TextChoices):
    NEW = "new", _("new")
    ACKNOWLEDGED = "acknowledged", _("acknowledged")
    IN_PROGRESS = "in_progress", _("in progress")
    REFERRED = "referred", _("referred to a department")
    RESOLVED = "resolved", _("resolved")
    CLOSED = "closed", _("closed")
    CANCELLED = "cancelled", _("cancelled")


OPEN_STATUSES = (Status.NEW, Status.ACKNOWLEDGED, Status.IN_PROGRESS, Status.REFERRED)
# The statuses a passed resolve-by escalates from. A referred ticket waits on its
# department's answer-by instead: the sweep chases the department, it does not pull the
# matter away from it.
ESCALATING_STATUSES = (Status.NEW, Status.ACKNOWLEDGED, Status.IN_PROGRESS)


class Urgency(models.TextChoices):
    NORMAL = "normal", _("normal")
    URGENT = "urgent", _("urgent")
    EMERGENCY = "emergency", _("emergency")


class Channel(models.TextChoices):
    VISIT = "visit", _("door-to-door visit")
    PHONE = "phone", _("phone")
    WALK_IN = "walk_in", _("walk-in")
    LETTER = "letter", _("letter")
    OPINION_DAY = "opinion_day", _("public-opinion day")
    HOTLINE = "hotline", _("city hotline")
    PARTNER = "partner", _("partner system")


class Outcome(models.TextChoices):
    """办了满意，未办有因: solved, or explained with a stated reason."""

    SOLVED = "solved", _("solved")
    EXPLAINED = "explained", _("explained (not done, with a reason)")


class CancelReason(models.TextChoices):
    DUPLICATE = "duplicate", _("duplicate")
    WITHDRAWN = "withdrawn", _("withdrawn by the resident")
    INVALID = "invalid", _("invalid")


class TicketKind(models.TextChoices):
    """A request (诉求) climbs the pyramid; a service application (办事申请) is an item of the
    service catalogue applied for at a window, due by the item's time limit (限时办结)."""

    REQUEST = "request", _("request")
    SERVICE = "service", _("service application")


class PauseReason(models.TextChoices):
    """Why a ticket's clock is paused: waiting on someone who is neither the owner's unit nor a
    referred department (a referral has its own clock, the department's answer-by)."""

    RESIDENT_UNREACHABLE = "unreachable", _("waiting on the resident: cannot be reached")
    DOCUMENTS_MISSING = "documents", _("waiting on the resident: documents missing")
    THIRD_PARTY = "third_party", _("waiting on a third party (not a department referral)")


# The pauses a resident's answer ends (a reply, a visit, their page).
WAITING_ON_RESIDENT = (PauseReason.RESIDENT_UNREACHABLE, PauseReason.DOCUMENTS_MISSING)


class ResumeHow(models.TextChoices):
    """What ended a pause."""

    RESIDENT_REPLIED = "resident_replied", _("the resident answered (reply recorded by staff)")
    RESIDENT_VISIT = "resident_visit", _("the resident was met (a visit or at the window)")
    RESIDENT_PAGE = "resident_page", _("the resident answered on their page")
    BY_HAND = "by_hand", _("resumed by hand")
    CAP = "cap", _("the longest pause ran out")
    ENDED = "ended", _("the ticket was resolved or cancelled")
