from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntakeConfig(AppConfig):
    """How requests come in: visits, partners, (later) the desk; each opens its tickets
    through escalation.transitions."""

    name = "intake"
    verbose_name = _("Intake")
