"""The desk screens of tickets: the queue, my tickets, the ticket page with the actions a
person may take, bulk actions and the printable request transfer form. Views only translate
HTTP: reads from selectors, writes through the transitions, permissions from the policy."""

from dataclasses import replace

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import F
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from affairs.selectors import citable_entries
from core.enums import Status, Tier, Urgency
from core.errors import InvalidInput, ZhitongError
from core.pages import PAGE_SIZE, page_of, read_page, rows_wanted
from core.params import whole_number
from core.plans import generic_plans
from grievances import selectors
from grievances.models import Category, Photo
from grievances.photos import photo_response
from grievances.selectors import visible_tickets
from responders.models import User
from responders.selectors import user_scope, visible_committees

from . import policy
from .actions import perform_action
from .forms import AnswerByField, action_form
from .models import Referral
from .photos import photos_add
from .policy import allowed_actions
from .transitions import Action


def _queue_filters(request, default_tier: str) -> selectors.QueueFilters:
    get = request.GET

    def number(name):
        return whole_number(get.get(name, ""))

    return selectors.QueueFilters(
        tier=get.get("tier", default_tier) if get.get("tier", default_tier) in Tier.values else "",
        committee=number("committee"),
        category=number("category"),
        urgency=get.get("urgency", "") if get.get("urgency", "") in Urgency.values else "",
        status=get.get("status", "") if get.get("status", "") in [*Status.values, selectors.ALL_STATUSES] else "",
        overdue=get.get("overdue") == "1",
        query=get.get("q", "")[:200],
        # Reporters' names and phones are searched only where the person may see them.
        personal_scope=policy.personal_data_scope(request.user),
    )


def _filters_in_force(filters: selectors.QueueFilters, committees, categories) -> list[str]:
    """The filters in force, in words, for the counter cards to say what they count."""
    words = []
    if filters.tier:
        words.append(_("%(tier)s tier") % {"tier": Tier(filters.tier).label})
    if filters.status == selectors.ALL_STATUSES:
        words.append(_("every status"))
    elif filters.status:
        words.append(Status(filters.status).label)
    else:
        words.append(_("open"))
    for chosen, options in ((filters.committee, committees), (filters.category, categories)):
        if chosen:
            words.extend(str(option) for option in options if option.pk == chosen)
    if filters.urgency:
        words.append(Urgency(filters.urgency).label)
    if filters.overdue:
        words.append(_("overdue only"))
    if filters.query.strip():
        words.append(_("matching “%(words)s”") % {"words": filters.query.strip()})
    return words


@login_required
def queue(request):
    """The queue a person works from: the street's triage (street tier by default), the
    committee's tickets, a zone's tickets — whatever the visibility rule gives them."""
    user = request.user
    filters = _queue_filters(request, policy.default_queue_tier(user))
    scope = user_scope(user)
    # A search's matches read once; listed and counted by their ids.
    listed = selectors.search_matches(scope, filters)
    tickets = selectors.ticket_queue(scope, listed)
    # How many of a committee's tickets are of one category varies from none to most, and the
    # best plan with it: a list narrowed by either is planned for its values (core.plans).
    with generic_plans(tickets.db, when=not (filters.committee or filters.category)):
        # Counted without the rows' names: their joins would stay in the count's statement.
        page = read_page(page_of(request, tickets, count_of=selectors.ticket_queue(scope, listed, rows=False)))
        # One query counts the cards and what the tier filter hides at the other tiers.
        counts = selectors.queue_counts(
            selectors.ticket_queue(scope, replace(listed, tier=""), rows=False), tier=filters.tier
        )
    committees = list(visible_committees(scope).order_by("code"))
    categories = list(Category.objects.filter(active=True))
    without_tier = request.GET.copy()
    without_tier["tier"] = ""
    without_tier.pop("page", None)
    # The cards' links keep the filters in force and change one.
    cards = request.GET.copy()
    for name in ("page", "overdue", "status"):
        cards.pop(name, None)
    cards["tier"] = filters.tier
    return render(
        request,
        "grievances/queue.html",
        {
            "page": page,
            "filters": filters,
            "counts": counts,
            "in_force": _filters_in_force(filters, committees, categories),
            "hidden": [(Tier(tier).label, count) for tier, count in counts["hidden"].items()],
            "hidden_total": sum(counts["hidden"].values()),
            "all_tiers_query": without_tier.urlencode(),
            "cards_query": cards.urlencode(),
            "committees": committees,
            "categories": categories,
            "tiers": Tier.choices,
            "urgencies": Urgency.choices,
            "statuses": Status.choices,
            "all_statuses": selectors.ALL_STATUSES,
            "status_label": Status(filters.status).label if filters.status in Status.values else "",
            "owners": policy.owner_candidates_in_street(user.street_id) if user.street_id else User.objects.none(),
            "bulk_actions": [Action.ACKNOWLEDGE, Action.ASSIGN],
            "querystring": request.GET.urlencode(),
            "now": timezone.now(),
        },
    )


@login_required
def my_tickets(request):
    """The open tickets I own or first received (首问负责制), deadlines counting down, and the
    resolved ones whose resident I still owe a call for feedback."""
    scope = user_scope(request.user)
    mine = selectors.QueueFilters(owner_id=request.user.pk)
    # The rows read only as far as the asked page; the count reads on, to its cap.
    tickets = selectors.ticket_queue(scope, mine, upto=rows_wanted(request))
    counted = selectors.ticket_queue(scope, mine, rows=False)
    awaiting = selectors.ticket_queue(
        scope, selectors.QueueFilters(owner_id=request.user.pk, status=Status.RESOLVED), upto=PAGE_SIZE
    )
    with generic_plans(tickets.db):
        page = read_page(page_of(request, tickets, count_of=counted))
        awaiting = list(awaiting[:PAGE_SIZE])
    return render(
        request,
        "grievances/my_tickets.html",
        {
            "page": page,
            "awaiting": awaiting,
            "referrals": department_referrals(request.user)[:PAGE_SIZE] if request.user.department_id else None,
            "now": timezone.now(),
        },
    )


def department_referrals(user):
    """The open referrals to the person's department, the soonest answer-by first: what its
    liaison must answer (the date is the department's answer-by, not the ticket's resolve-by)."""
    return (
        Referral.objects.filter(department_id=user.department_id, answered_at__isnull=True, withdrawn_at__isnull=True)
        .filter(ticket__in=visible_tickets(user_scope(user)))
        .select_related("ticket__category", "ticket__committee", "ticket__zone", "ticket__street", "department")
        .order_by("answer_by", "pk")
    )


@login_required
def ticket_detail(request, pk, forms=None, status=200):
    ticket = get_object_or_404(
        visible_tickets(user_scope(request.user))
        .select_related("category", "owner", "first_receiver", "zone", "committee", "street", "household")
        # The original of a merged duplicate by its reference only: selecting its whole row
        # beside this one's doubled the columns read and made this query half the page's ORM.
        .annotate(duplicate_of_reference=F("duplicate_of__reference")),
        pk=pk,
    )
    actions = allowed_actions(request.user, ticket)
    if Action.DECLINE_BY_LIST in actions and not citable_entries(ticket.street_id).exists():
        actions.remove(Action.DECLINE_BY_LIST)  # the street has no administrative affair to cite
    forms = forms or {}
    action_forms = [(action, forms.get(action) or action_form(action, ticket, request.user)) for action in actions]
    return render(
        request,
        "grievances/ticket_detail.html",
        {
            "ticket": ticket,
            "deadline": selectors.deadline_state(ticket),
            "events": ticket.events.select_related("actor"),
            "feedback": ticket.feedback.select_related("recorded_by"),
            # The merged duplicate by its reference only (its whole row, a ticket's 52 columns,
            # made this the page's costliest query to compile).
            "reporters": list(ticket.reporters.annotate(merged_from_reference=F("merged_from__reference"))),
            "referrals": ticket.referrals.select_related("department"),
            "action_forms": action_forms,
            "has_transfer": ticket.transfers.exists(),
            "photos": ticket.photos.all(),
            "may_add_photo": policy.may_add_photo(request.user, ticket),
        },
        status=status,
    )


def _version(request) -> int | None:
    return whole_number(request.POST.get("version", ""))


@login_required
@require_POST
def ticket_action(request, pk, action):
    """Perform one action from the ticket page; on refusal, show the page again with the reason."""
    ticket = get_object_or_404(visible_tickets(user_scope(request.user)), pk=pk)
    if action not in Action.values:
        raise Http404
    if action not in allowed_actions(request.user, ticket):
        messages.error(request, _('You cannot use "%(action)s" on this ticket now.') % {"action": Action(action).label})
        return redirect("ticket", pk=pk)
    form = action_form(action, ticket, request.user, request.POST)
    if form.is_valid():
        try:
            perform_action(
                action, ticket=ticket, actor=request.user, params=form.cleaned_data, expected_version=_version(request)
            )
        except InvalidInput as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        except ZhitongError as error:
            messages.error(request, error.message)
            return redirect("ticket", pk=pk)
        else:
            messages.success(
                request,
                {
                    Action.ACKNOWLEDGE: _("Acknowledged."),
                    Action.START: _("Work started."),
                    Action.REFER: _("Referred to the department."),
                    Action.DEPARTMENT_REPLY: _("The department's answer is recorded."),
                    Action.DEPARTMENT_UPDATE: _("The department's progress is recorded."),
                    Action.RETURN_REFERRAL: _("The referral is sent back."),
                    Action.ESCALATE: _("Escalated to the tier above."),
                    Action.RESOLVE: _("Resolved."),
                    Action.CLOSE: _("Closed."),
                    Action.REOPEN: _("Reopened."),
                    Action.CANCEL: _("Cancelled."),
                    Action.FEEDBACK: _("The resident's feedback is recorded."),
                    Action.ASSIGN: _("The owner is assigned."),
                    Action.PAUSE: _("The clock is paused."),
                    Action.RESUME: _("The clock runs again; the deadline moved by the working time paused."),
                    Action.DECLINE_BY_LIST: _("Declined: the matter is referred to the department whose duty it is."),
                }[Action(action)],
            )
            if action == Action.REFER:
                late = AnswerByField.late_for(form.cleaned_data.get("answer_by"), ticket)
                if late:
                    messages.warning(request, late)
            return redirect("ticket", pk=pk)
    return ticket_detail(request, pk, forms={action: form}, status=400)


@login_required
@require_POST
def bulk_action(request):
    """Acknowledge, or assign an owner to, several tickets from the queue at once."""
    action = request.POST.get("action", "")
    ids = [pk for pk in map(whole_number, request.POST.getlist("tickets")) if pk is not None]
    back = redirect(f"{reverse('queue')}?{request.POST.get('querystring', '')}")
    if action not in (Action.ACKNOWLEDGE, Action.ASSIGN) or not ids:
        messages.error(request, _("Choose tickets and an action."))
        return back
    done, refused = [], []
    scope = user_scope(request.user)
    for ticket in visible_tickets(scope).filter(pk__in=ids).order_by("pk"):
        form = action_form(action, ticket, request.user, request.POST, prefix="bulk")
        if action not in allowed_actions(request.user, ticket, scope):
            refused.append(_("%(ref)s: not allowed now") % {"ref": ticket.reference})
            continue
        if not form.is_valid():
            refused.append(f"{ticket.reference}: {'; '.join(e for errs in form.errors.values() for e in errs)}")
            continue
        try:
            perform_action(action, ticket=ticket, actor=request.user, params=form.cleaned_data)
        except ZhitongError as error:
            refused.append(error.message)
        else:
            done.append(ticket.reference)
    if done:
        messages.success(
            request,
            (
                _("Tickets acknowledged: %(count)s.")
                if action == Action.ACKNOWLEDGE
                else _("Tickets given an owner: %(count)s.")
            )
            % {"count": len(done)},
        )
    for reason in refused:
        messages.error(request, reason)
    return back


@login_required
def transfer_form(request, pk):
    """群众诉求转接单: the committee's printable request to the street for help."""
    ticket = get_object_or_404(
        visible_tickets(user_scope(request.user)).select_related("category", "committee", "street", "zone"), pk=pk
    )
    record = ticket.transfers.order_by("created_at", "pk").first()
    transfer = ticket.events.filter(kind="escalated", from_tier=Tier.COMMITTEE).select_related("actor").first()
    if transfer is None or record is None:
        raise Http404
    arrived = ticket.events.filter(kind="escalated", to_tier=Tier.COMMITTEE).first()
    at_committee = ticket.events.filter(at__gte=arrived.at if arrived else ticket.created_at, at__lt=transfer.at)
    if arrived:
        at_committee = at_committee.exclude(pk=arrived.pk)
    return render(
        request,
        "escalation/transfer_form.html",
        {
            "ticket": ticket,
            "transfer": transfer,
            "record": record,
            "history": ticket.events.filter(at__lte=transfer.at).select_related("actor"),
            "committee_work": at_committee.select_related("actor"),
        },
    )


@login_required
@require_POST
def ticket_photos_add(request, pk):
    """Add photos to a ticket from its page (the phone scales them first; without script the
    original files come and the server scales them)."""
    ticket = get_object_or_404(visible_tickets(user_scope(request.user)), pk=pk)
    files = request.FILES.getlist("photos")
    if not files:
        messages.error(request, _("Choose at least one photo."))
        return redirect("ticket", pk=pk)
    try:
        added = photos_add(ticket=ticket, actor=request.user, files=files)
    except ZhitongError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, ngettext("%(count)d photo added.", "%(count)d photos added.", len(added)) % {"count": len(added)}
        )
    return redirect("ticket", pk=pk)


@login_required
@require_GET
def photo(request, pk, thumbnail=False):
    """A photo, only to someone who sees its ticket (404 otherwise: never a public URL)."""
    found = get_object_or_404(Photo.objects.filter(ticket__in=visible_tickets(user_scope(request.user))), pk=pk)
    return photo_response(found, thumbnail=thumbnail)
