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
