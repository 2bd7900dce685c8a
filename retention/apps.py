from django.apps import AppConfig


class RetentionConfig(AppConfig):
    """Pruning the history that may go (services.py); it has no tables of its own."""

    name = "retention"
