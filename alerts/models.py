"""Notifications to staff. The row is the in-app delivery; other channels plug in (alerts.channels)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    class Kind(models.TextChoices):
        ASSIGNED = "assigned", _("A ticket was assigned to you")
        ESCALATED = "escalated", _("A ticket was escalated to you")
        RESPOND_OVERDUE = "respond_overdue", _("A ticket is past its respond-by time")
        OVERDUE = "overdue", _("A street-tier ticket is past its resolve-by time")
        ANSWER_OVERDUE = "answer_overdue", _("A department is late with its answer")
        REFERRED = "referred", _("A ticket was referred to your department")
        REOPENED = "reopened", _("A resident reopened a ticket")
        REACHED_STREET = "reached_street", _("A ticket reached the street: triage it")
        REFERRAL_RETURNED = "referral_returned", _("A department sent a referral back")
        RECURRING_TOPIC = "recurring_topic", _("A recurring problem was found for your committee or street")
        DISSATISFIED_AGAIN = "dissatisfied_again", _("A resident is still dissatisfied after a reopening")
        # Consultation (the consultation app): about a matter, named by `subject` and `link`.
        MILESTONE_LATE = "milestone_late", _("A milestone of a consultation matter or a livelihood project is late")
        INVITATION = "invitation", _("You are invited to settle a matter")
        FOLLOW_UP_LATE = "follow_up_late", _("An invitation's decision is past its follow-up date")
        DUE_QUARTER = "due_quarter", _("A ticket has a quarter of its time left")
        DUE_DAY = "due_day", _("A ticket is due within a working day")
        PAUSE_RAN_OUT = "pause_ran_out", _("A paused ticket's clock runs again")
        # The two lists (affairs): an administrative affair of your committee went straight to
        # its department; a committee declined a task citing the list.
        STRAIGHT_TO_DEPARTMENT = "straight_to_dept", _("An administrative matter went straight to its department")
        DECLINED_BY_LIST = "declined_by_list", _("A committee declined a task as a department's duty")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("recipient")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    ticket = models.ForeignKey(
        "grievances.Ticket",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("ticket"),
    )
    # An alert about something other than a ticket (a consultation matter): what and where.
    subject = models.CharField(_("about"), max_length=200, blank=True)
    link = models.CharField(_("link"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    sent_at = models.DateTimeField(
        _("sent to other channels at"),
        null=True,
        blank=True,
        help_text=_("When SMS or e-mail took it; empty while waiting, or when no such channel is set up."),
    )
    channels_done = models.JSONField(
        _("channels that took it"),
        default=list,
        blank=True,
        help_text=_("The extra channels that have taken it already: a retry after a failure skips them."),
    )
    claimed_until = models.DateTimeField(
        _("being sent until"),
        null=True,
        blank=True,
        help_text=_("A worker is handing it to the channels; another waits until then."),
    )

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notification_inbox"),
            models.Index(fields=["created_at"], name="notification_unsent", condition=models.Q(sent_at__isnull=True)),
            # Retention's range (retention/): read alerts only, so writing a new alert costs
            # nothing more and the unread ones, which stay, are never read through.
            models.Index(fields=["created_at"], name="notification_read", condition=models.Q(read_at__isnull=False)),
            # The home page's unread count reads only the unread, not years of read alerts.
            models.Index(fields=["recipient"], name="notification_unread", condition=models.Q(read_at__isnull=True)),
        ]

    def __str__(self):
        return f"{self.recipient}: {self.get_kind_display()}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None
