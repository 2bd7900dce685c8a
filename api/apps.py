from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = _("Partner API")

    def ready(self):
        from core import refdata

        # Saves of the reference data the API keeps in each process make every copy stale.
        refdata.connect()

        from . import (
            schema,  # noqa: F401 - registers the API key scheme with drf-spectacular
            signals,  # noqa: F401 - forgets cached partner keys when they change
        )
