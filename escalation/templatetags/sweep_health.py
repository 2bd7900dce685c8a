"""`{% sweep_health as sweep %}`: whether the scheduled sweep is running, for the admin's
front page (templates/admin/index.html)."""

from django import template
from django.db import Error as DatabaseError

from escalation.sweep import sweep_status

register = template.Library()


@register.simple_tag
def sweep_health():
    try:
        return sweep_status()
    except DatabaseError:
        return None
