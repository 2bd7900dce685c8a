"""Who is calling and what they may see and do: partner keys and staff sessions alike."""

from django.utils.translation import gettext as _
from rest_framework import permissions

from escalation import policy
from responders.selectors import Scope, partner_scope, user_scope

from .authentication import Partner
from .models import Scope as KeyScope
from .rendering import Reader, reading_as


def request_scope(request) -> Scope:
    if isinstance(request.user, Partner):
        return partner_scope(request.auth.street_ids)
    return user_scope(request.user)


def actor_of(request):
    """Who the event log names: the staff account, or "partner:<code>"."""
    return str(request.user) if isinstance(request.user, Partner) else request.user


class KeyScopes(permissions.BasePermission):
    """Partner keys need tickets:read to read and tickets:write to write; staff sessions
    are governed by their role (the visibility rule and escalation.policy)."""

    message = _("This API key lacks the scope for this request.")

    def has_permission(self, request, view):
        if not isinstance(request.user, Partner):
            return bool(request.user and request.user.is_authenticated)
        needed = getattr(view, "required_scopes", {}).get(
            "read" if request.method in permissions.SAFE_METHODS else "write",
            KeyScope.TICKETS_READ if request.method in permissions.SAFE_METHODS else KeyScope.TICKETS_WRITE,
        )
        return request.auth.has_scope(needed)


def can_see_pii(request) -> bool:
    """Whether the caller sees reporters' phone numbers in full: a partner key with pii:read;
    a staff member whom the policy lets see the personal data of every ticket they may see
    (`escalation.policy.personal_data_everywhere`: not a department liaison). When it does,
    the caller is named as the reader of what this request's renders show, which they log
    (api.rendering, DESIGN.md rule 9)."""
    if isinstance(request.user, Partner):
        key = request.auth
        allowed = key.has_scope(KeyScope.PII_READ)
        reader = Reader(partner_id=key.partner_id, label=f"{request.user} {key.prefix}", path=request.path)
    else:
        allowed = policy.personal_data_everywhere(request.user)
        reader = Reader(user=request.user, path=request.path)
    reading_as(reader if allowed else None)
    return allowed
