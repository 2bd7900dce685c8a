from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ResidentsConfig(AppConfig):
    name = "residents"
    verbose_name = _("Residents")

    def ready(self):
        # The SMS outbox is written in the transaction of the event it announces.
        from escalation.transitions import listen_to_events

        from . import signals  # noqa: F401 - an erasure forgets the numbers in the SMS outbox
        from .services import messages_for_events

        listen_to_events(messages_for_events)
