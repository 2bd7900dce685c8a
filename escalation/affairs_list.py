"""Keeping the street's two lists (两份清单): who may edit them and the one write.

The list's rows live in `affairs` (below the transitions, which read them); the right to keep
them is the policy's (`Right.KEEP_AFFAIRS_LIST`: the street's staff and leaders, and
administrators), enforced here whoever calls.
"""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from affairs.models import AffairsEntry
from core.errors import InvalidInput
from responders.models import StreetOffice, User

from . import policy


def lists_street(user: User, street_id: int | None = None) -> StreetOffice | None:
    """The street whose lists `user` reads: the one asked for, if they act for it; else the
    street they act for, or that of their committee or zone. None for a department liaison."""
    streets, committees, zones = policy.units_acted_for(user)
    if street_id is not None:
        return streets.filter(pk=street_id).first()
    street = streets.order_by("pk").first()
    if street is None and (committee := committees.select_related("street").order_by("pk").first()):
        street = committee.street
    if street is None and (zone := zones.select_related("committee__street").order_by("pk").first()):
        street = zone.committee.street
    return street


def affairs_entry_save(*, actor: User, entry: AffairsEntry) -> AffairsEntry:
    """Add or change one entry of a street's list; refuses anyone who does not keep it."""
    policy.require(
        actor,
        policy.Right.KEEP_AFFAIRS_LIST,
        entry.street,
        message=_("Only the street's staff keep its two lists."),
    )
    try:
        entry.full_clean()
    except ValidationError as error:
        field, problems = next(iter(error.message_dict.items()))
        raise InvalidInput(problems[0], field=None if field == "__all__" else field) from error
    try:
        with transaction.atomic():
            entry.save()
    except IntegrityError as error:  # two saves racing past the checks above
        raise InvalidInput(_("The list already has this entry."), field="name") from error
    return entry
