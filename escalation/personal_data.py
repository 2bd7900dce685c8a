"""Residents' personal data on the screens (DESIGN.md rule 9): what a person is shown of a
household's or a ticket's names, phones and care flags — in full, and logged, where
`escalation.policy` allows it; masked or left out where it does not — and a household's
export and erasure at the resident's request, which the policy must allow.

The templates ask through the `personal_data` template tags (escalation/templatetags), so
every page that shows a resident's data — the household, the households list, the visit form,
the ticket page, the printable transfer form — decides and logs in this one place. The
records themselves (the log, the export, the anonymising) are `grievances.privacy`'s.
"""

from dataclasses import dataclass

from django.utils.translation import gettext as _

from grievances import privacy
from grievances.models import Household, Ticket, mask_name, mask_phone
from responders.models import User

from . import policy
from .policy import Right

PARTS = ("name", "phone", "care_flags")


@dataclass(frozen=True)
class Shown:
    """A resident's data as one person may see it: `name` and `phone` in full or masked
    (王**, 138****5678), `dial` the number to call (only when shown in full), `care_flags`
    only for those who may see them (else empty, whatever the household has). `logged`: the
    parts shown in full, which the access log records."""

    name: str = ""
    phone: str = ""
    dial: str = ""
    care_flags: tuple[str, ...] = ()
    may_export: bool = False
    may_erase: bool = False
    logged: tuple[str, ...] = ()


def _shown(user: User, obj: Household | Ticket, parts) -> Shown:
    if isinstance(obj, Household):
        name, phone = obj.contact_name, obj.phone
        care = tuple(obj.care_flags) if "care_flags" in parts and policy.may_see_care_flags(user, obj) else ()
        requests = {
            "may_export": policy.may(user, Right.EXPORT_PERSONAL_DATA, obj),
            "may_erase": policy.may(user, Right.ERASE_PERSONAL_DATA, obj),
        }
        field_names = {"name": "contact_name", "phone": "phone", "care_flags": "care_flags"}
    else:
        name, phone, care, requests = obj.reporter_name, obj.reporter_phone, (), {}
        field_names = {"name": "reporter_name", "phone": "reporter_phone"}
    name = name if "name" in parts else ""
    phone = phone if "phone" in parts else ""
    erased = name == privacy.ANONYMISED
    if not policy.may_see_personal_data(user, obj):
        return Shown(name if erased else mask_name(name), mask_phone(phone), **requests)
    present = {"name": name and not erased, "phone": phone, "care_flags": care}
    logged = tuple(field_names[part] for part in PARTS if part in field_names and present[part])
    return Shown(name, phone, dial=phone, care_flags=care, logged=logged, **requests)


def _subject(obj) -> str:
    return privacy.Subject.HOUSEHOLD if isinstance(obj, Household) else privacy.Subject.TICKET


def shown(user: User, obj: Household | Ticket, *, parts=PARTS, how: str = privacy.How.PAGE, path: str = "") -> Shown:
    """What `user` may see of the `parts` of `obj`'s personal data a page shows (name, phone,
    care flags); logged when any is shown in full."""
    result = _shown(user, obj, parts)
    if result.logged:
        privacy.record_access(user=user, how=how, subject=_subject(obj), ids=[obj.pk], fields=result.logged, path=path)
    return result


def shown_households(user: User, households, *, parts=("name", "care_flags"), path: str = "") -> list:
    """[(household, Shown)] for a list of households (a page of them), logged as one row."""
    rows = [(household, _shown(user, household, parts)) for household in households]
    privacy.record_access(
        user=user,
        how=privacy.How.LIST,
        subject=privacy.Subject.HOUSEHOLD,
        ids=[household.pk for household, each in rows if each.logged],
        fields=[field for field in ("contact_name", "phone", "care_flags") if any(field in e.logged for _, e in rows)],
        path=path,
    )
    return rows


def export_household(*, actor: User, household: Household, note: str = "", path: str = "") -> dict:
    """The household's data for the resident who asked for it (PIPL art. 45), logged."""
    policy.require(actor, Right.EXPORT_PERSONAL_DATA, household, message=_("You may not export this household's data."))
    return privacy.export_household(household, note=note, user=actor, path=path)


def erase_household(*, actor: User, household: Household, reason: str, path: str = "", now=None) -> privacy.Erasure:
    """Erase the household's personal data at the resident's request (PIPL art. 47); logged,
    irreversible (grievances.privacy.erase_household says what stays)."""
    policy.require(actor, Right.ERASE_PERSONAL_DATA, household, message=_("You may not erase this household's data."))
    return privacy.erase_household(household, reason=reason, user=actor, path=path, now=now)
