from celery import shared_task

from .services import history_prune


@shared_task(ignore_result=True)
def prune_history() -> str:
    """Delete the history past its keep days (beat, nightly, on the `celery` queue of
    housekeeping): see retention.services."""
    return ", ".join(f"{name} {count}" for name, count in history_prune().items())
