from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The demo street and its simulated month: the top of the dependency graph, since it
    drives every other app through its services."""

    name = "demo"
    verbose_name = _("Demo data")
