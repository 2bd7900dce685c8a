"""The resident's page: no login, reached by the link in their SMS or by the look-up form."""

import contextlib
import json

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from core.addresses import client_address
from core.errors import InvalidInput, InvalidTransition
from grievances.models import Ticket

from . import limits, services, tokens
from .forms import LookupForm, VerdictForm
from .models import SmsOptOut
from .selectors import page_ticket, resident_view

# Resident pages are nobody else's business: no shared cache keeps them.
PRIVATE = "private, no-store"
# How long a rendered part of a resident's page is kept (a new version of the ticket makes a new one).
PARTS_SECONDS = 3600


def _private(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = PRIVATE
    response["Referrer-Policy"] = "same-origin"  # the link's key stays out of other sites' logs
    return response


def _not_found(request, status=404):
    return _private(render(request, "residents/not_found.html", {"form": LookupForm()}, status=status))


def _ticket_for(request, pk: int, key: str):
    """The ticket behind a link, or None (counted as a wrong link from this address)."""
    ticket = page_ticket(pk)
    phone = tokens.phone_for_key(ticket, key) if ticket is not None else None
    if phone is None or not tokens.link_valid(ticket, timezone.now()):
        limits.link_missed(client_address(request))
        return None
    ticket.resident_phone_here = phone  # whose link it is: the first reporter, or one who joined
    return ticket


def _request_parts(request, view) -> dict[str, str]:
    """The parts of the page that follow from the ticket alone (where it stands, what was
    asked, the timeline), kept in the cache per ticket version and language: after a mass
    SMS most views skip the events query and most of the rendering. Without Redis they are
    rendered every time."""
    ticket = view.ticket
    # The version changes with every change; the time of the last one tells this database's
    # ticket from another's with the same id (a restored or recreated database, the tests).
    key = f"residents:page:{ticket.pk}:{ticket.version}:{ticket.updated_at.timestamp()}:{translation.get_language()}"
    try:
        parts = cache.get(key)
    except Exception:  # noqa: BLE001 - Redis trouble: render instead
        parts = None
    if parts is None:
        parts = {
            name: render_to_string(f"residents/_{name}.html", {"view": view}, request) for name in ("status", "history")
        }
        with contextlib.suppress(Exception):
            cache.set(key, parts, timeout=PARTS_SECONDS)
    return {name: mark_safe(html) for name, html in parts.items()}  # noqa: S308 - our own templates' output


def _page(request, ticket, key, *, form=None, status=200, notice=""):
    view = resident_view(ticket)
    context = {
        "view": view,
        "parts": _request_parts(request, view),
        "key": key,
        "form": form or VerdictForm(),
        "notice": notice,
    }
    return _private(render(request, "residents/page.html", context, status=status))


@require_http_methods(["GET", "HEAD"])
def resident_page(request, pk, key):
    if limits.link_blocked(client_address(request)):
        return _not_found(request, status=429)
    ticket = _ticket_for(request, pk, key)
    if ticket is None:
        return _not_found(request)
    return _page(request, ticket, key)


@require_POST
def resident_verdict(request, pk, key):
    if limits.link_blocked(client_address(request)):
        return _not_found(request, status=429)
    ticket = _ticket_for(request, pk, key)
    if ticket is None:
        return _not_found(request)
    form = VerdictForm(request.POST)
    if not form.is_valid():
        return _page(request, ticket, key, form=form, status=400)
    try:
        result = services.resident_verdict(ticket=ticket, **form.cleaned_data)
    except InvalidInput as error:
        form.add_error(error.field if error.field in form.fields else None, error.message)
        return _page(request, ticket, key, form=form, status=400)
    except InvalidTransition as error:
        return _page(request, page_ticket(ticket.pk), key, status=409, notice=error.message)
    done = "reopened" if result.reopened else "flagged" if result.flagged else "thanks"
    return redirect(f"{tokens.page_path(ticket, ticket.resident_phone_here)}?done={done}")


@require_POST
def resident_stop(request, pk, key):
    ticket = _ticket_for(request, pk, key)
    if ticket is None:
        return _not_found(request)
    services.sms_opt_out(phone=ticket.resident_phone_here, via=SmsOptOut.Via.LINK)
    return redirect(f"{tokens.page_path(ticket, ticket.resident_phone_here)}?done=stopped")


@require_http_methods(["GET", "HEAD", "POST"])
def lookup(request):
    """Reference + the last four digits of the phone → the page. Wrong: 404; too many
    attempts from an address or misses at a reference: 429; no Redis to count: 503."""
    if request.method != "POST":
        return _private(render(request, "residents/lookup.html", {"form": LookupForm()}))
    form = LookupForm(request.POST)
    if not form.is_valid():
        return _private(render(request, "residents/lookup.html", {"form": form}, status=400))
    reference, digits = form.cleaned_data["reference"].strip().upper(), form.cleaned_data["digits"]
    try:
        if not limits.lookup_allowed(client_address(request), reference):
            form.add_error(
                None,
                _("Too many tries. Wait %(minutes)s minutes, then try again.")
                % {"minutes": settings.ZHITONG_RESIDENT_LOCK_MINUTES},
            )
            return _private(render(request, "residents/lookup.html", {"form": form}, status=429))
        ticket = (
            Ticket.objects.filter(reference=reference)
            .only("pk", "reporter_phone", "status", "closed_at", "updated_at")
            .first()
        )
        phones = [tokens.resident_phone(ticket), *tokens.joined_phones(ticket)] if ticket else []
        phone = next((p for p in phones if p and constant_time_compare(p[-4:], digits)), None)
        if phone is None or not tokens.link_valid(ticket, timezone.now()):
            limits.lookup_missed(reference)
            form.add_error(None, _("No request matches this reference and these digits."))
            return _private(render(request, "residents/lookup.html", {"form": form}, status=404))
    except limits.LimitsUnavailable:
        form.add_error(
            None, _("Looking up is not possible right now. Try again in a few minutes, or use the link in your SMS.")
        )
        return _private(render(request, "residents/lookup.html", {"form": form}, status=503))
    return redirect(tokens.page_path(ticket, phone))


@csrf_exempt
@require_POST
def sms_inbound(request):
    """Replies to our SMS, as the provider forwards them: JSON, one object or a list, each
    with the number (`mobile`, `phone_number`, `phone` or `from`) and the words (`text` or
    `content`). A stop word (TD, 退订, ...) opts the number out. Guarded by
    ZHITONG_SMS_INBOUND_TOKEN (header X-Zhitong-Token or ?token=); unset, there is no endpoint."""
    expected = settings.ZHITONG_SMS_INBOUND_TOKEN
    given = request.headers.get("X-Zhitong-Token") or request.GET.get("token", "")
    if not expected or not constant_time_compare(given, expected):
        return JsonResponse({"error": {"code": "not_found", "message": "Not found."}}, status=404)
    try:
        body = json.loads(request.body or b"null")
    except ValueError:
        return JsonResponse({"error": {"code": "invalid", "message": "The body is not JSON."}}, status=400)
    items = body if isinstance(body, list) else [body]
    stopped = 0
    for item in items:
        if not isinstance(item, dict):
            return JsonResponse({"error": {"code": "invalid", "message": "Each reply must be an object."}}, status=400)
        phone = next((str(item[k]) for k in ("mobile", "phone_number", "phone", "from") if item.get(k)), "")
        text = next((str(item[k]) for k in ("text", "content") if item.get(k)), "")
        stopped += services.sms_reply_received(phone=phone, text=text)
    return JsonResponse({"result": 0, "errmsg": "OK", "stopped": stopped})
