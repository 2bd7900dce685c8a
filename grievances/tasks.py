from celery import shared_task

from .privacy import purge_visit_notes


@shared_task(ignore_result=True)
def purge_old_visit_notes() -> str:
    """Blank visit notes older than ZHITONG_VISIT_NOTES_KEEP_DAYS (beat, nightly)."""
    return f"blanked {purge_visit_notes()}"
