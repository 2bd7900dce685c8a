"""Partner REST API v1 (DESIGN.md). Thin: validation in serializers, reads through the
visibility rule, writes through grievances.services and escalation.transitions."""

from django.db.models import Prefetch, Q
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, PolymorphicProxySerializer, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from catalogue.models import ServiceItem
from consultation.models import LivelihoodProject, Matter, Milestone, StepRecord
from consultation.selectors import visible_matters, visible_projects
from core import refdata
from core.params import whole_number
from escalation import policy
from escalation.actions import perform_action
from escalation.photos import check_all, store_checked
from escalation.policy import allowed_actions
from grievances.duplicates import Suggestion, likely_duplicates_of
from grievances.models import Category, Feedback, Photo, Ticket
from grievances.photos import photo_response
from grievances.selectors import visible_households, visible_tickets
from intake.services import ticket_create
from responders.models import Department
from responders.selectors import visible_committees, visible_streets, visible_zones

from . import serializers
from .access import KeyScopes, actor_of, can_see_pii, request_scope
from .authentication import Partner
from .filters import LivelihoodProjectFilter, MatterFilter, TicketFilter
from .idempotency import HEADER, idempotent
from .models import Scope as KeyScope
from .models import WebhookSubscription
from .renderers import OrjsonRenderer
from .rendering import row_renderer
from .webhooks import webhook_subscribe, webhook_unsubscribe

# Optional on every other POST: sent, it makes a retry replay the first answer.
IDEMPOTENCY_KEY = OpenApiParameter(
    HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description="Optional: a retry with the same key and body replays the first response; another body is a 422.",
)


class Pagination(CursorPagination):
    """Cursor pages of at most 100 (default 50), newest first; a bad page_size is a 400."""

    page_size = 50
    max_page_size = 100
    page_size_query_param = "page_size"
    ordering = ("-id",)

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        size = whole_number(raw)
        if size is None or not 1 <= size <= self.max_page_size:
            raise ValidationError({"page_size": [_("A whole number from 1 to 100.")]})
        return size

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": self.max_page_size}
        return parameters


class CategoryList(generics.ListAPIView):
    """The request categories, with their codes."""

    serializer_class = serializers.CategorySerializer
    permission_classes = [KeyScopes]
    pagination_class = None
    queryset = Category.objects.all()


class ServiceItemList(generics.ListAPIView):
    """The service catalogue's active items offered in the caller's streets (every street's
    and their own), with time limits in working days and the documents each needs."""

    serializer_class = serializers.ServiceItemSerializer
    permission_classes = [KeyScopes]
    pagination_class = None

    def get_queryset(self):
        streets = visible_streets(request_scope(self.request))
        return (
            ServiceItem.objects.filter(active=True, service_class__active=True)
            .filter(Q(street__isnull=True) | Q(street__in=streets))
            .select_related("service_class")
        )


class OrgTree(generics.ListAPIView):
    """The streets the caller may see, with their committees and zones."""

    serializer_class = serializers.StreetSerializer
    permission_classes = [KeyScopes]
    pagination_class = None

    def get_queryset(self):
        scope = request_scope(self.request)
        return (
            visible_streets(scope)
            .select_related("district")
            .prefetch_related(
                Prefetch("committees", queryset=visible_committees(scope).order_by("code")),
                Prefetch("committees__zones", queryset=visible_zones(scope).order_by("code")),
            )
            .order_by("code")
        )


class DepartmentList(generics.ListAPIView):
    """The functional departments serving the caller's streets (stationed there or district-wide)."""

    serializer_class = serializers.DepartmentSerializer
    permission_classes = [KeyScopes]
    pagination_class = None

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Department.objects.none()
        # The departments a ticket of the caller's streets may be referred to, district-wide
        # ones included (the policy): what `refer` accepts is what a partner can discover.
        streets = visible_streets(request_scope(self.request)).values_list("pk", flat=True)
        return policy.departments_serving(streets).select_related("kind")


def ticket_queryset(request):
    return visible_tickets(request_scope(request)).select_related("category", "owner")


def _resolve_place(request, data) -> dict:
    """The ids in a create request, looked up inside the caller's scope (else: no such place)."""
    scope = request_scope(request)
    place = {}
    lookups = {
        "household": visible_households,
        "zone": visible_zones,
        "committee": visible_committees,
        "street": visible_streets,
    }
    partner = isinstance(request.user, Partner)
    for field, visible in lookups.items():
        if data.get(field):
            pk = data[field]
            if partner and field != "household":
                # A unit of the key's streets: reference data, kept between requests (core.refdata).
                found = refdata.cached(
                    ("place", field, request.auth.street_ids, pk),
                    lambda visible=visible, pk=pk: visible(scope).filter(pk=pk).first(),
                )
            else:
                found = visible(scope).filter(pk=pk).first()
            if found is None:
                raise ValidationError({field: [_("No such %(field)s in your streets.") % {"field": field}]})
            place[field] = found
    if not set(place) & {"household", "zone", "committee", "street"}:
        streets = list(visible_streets(scope)[:2])
        if len(streets) != 1:
            raise ValidationError({"street": [_("Your key covers several streets: say which one this address is in.")]})
        place["street"] = streets[0]
    return place


class TicketListCreate(generics.ListCreateAPIView):
    """List tickets in the caller's streets, or file a new one."""

    permission_classes = [KeyScopes]
    pagination_class = Pagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = TicketFilter
    renderer_classes = [OrjsonRenderer]

    def list(self, request, *args, **kwargs):
        # The page is read with .values() and rendered by TicketSerializer's own fields
        # (api.rendering): the same answer without a model instance and a serializer per row.
        renderer = row_renderer(serializers.TicketSerializer, pii=can_see_pii(request))
        queryset = renderer.select(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(renderer.render(self.paginate_queryset(queryset)))

    def filter_queryset(self, queryset):
        # No filter parameter, nothing to filter: skip building the FilterSet and its form.
        if not set(self.request.query_params) & set(TicketFilter.base_filters):
            return queryset
        return super().filter_queryset(queryset)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Ticket.objects.none()
        return ticket_queryset(self.request)

    def get_serializer_class(self):
        return serializers.TicketCreateSerializer if self.request.method == "POST" else serializers.TicketSerializer

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "pii": can_see_pii(self.request)}

    @extend_schema(
        parameters=[
            OpenApiParameter(
                HEADER,
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                required=False,
                description="Required for partner keys: the same key replays the first response.",
            )
        ],
        request=serializers.TicketCreateSerializer,
        responses={
            201: serializers.TicketCreatedSerializer,
            409: OpenApiResponse(description="No one can own a ticket there."),
            422: OpenApiResponse(description="Idempotency-Key reused with another body."),
        },
    )
    def post(self, request, *args, **kwargs):
        return idempotent(request, lambda: self._create(request), required=True)

    def _create(self, request) -> Response:
        serializer = serializers.TicketCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        place = _resolve_place(request, data)
        partner = request.auth.partner if isinstance(request.user, Partner) else None
        reporter = data.get("reporter") or {}
        # Every photo is checked before the ticket is opened: a bad one refuses the request.
        photos = check_all([photo["content"] for photo in data.get("photos", [])])
        alike: list[Suggestion] = []
        ticket = ticket_create(
            actor=actor_of(request),
            category=data["category"],
            description=data["description"],
            channel=data["channel"],
            urgency=data["urgency"],
            address=data.get("address", ""),
            reporter_name=reporter.get("name", ""),
            reporter_phone=reporter.get("phone", ""),
            partner=partner,
            external_id=data.get("external_id", "") if partner else "",
            lat=data.get("lat"),
            long=data.get("long"),
            service_item=data.get("service_item"),
            documents_received=data.get("documents", []),
            # Inside the idempotency record's transaction (`idempotent`), which an error ends.
            savepoint=False,
            # Open tickets in the key's scope that may be the same problem (a hint, never a
            # refusal), found before the street's number is taken: see ticket_open.
            unnumbered=lambda new: alike.extend(likely_duplicates_of(request_scope(request), new)),
            **place,
        )
        if photos:
            store_checked(
                ticket=ticket,
                processed=photos,
                uploaded_by=None if partner else request.user,
                uploaded_via=partner,
            )
        else:
            # A new ticket without photos has none: no query to render its empty list, nor one
            # compiled to find nothing (an empty queryset's statement is built, then dropped).
            none = Photo.objects.none()
            none._result_cache = []
            ticket._prefetched_objects_cache = {"photos": none}
        # The ticket as saved (its category and owner objects at hand): no second read.
        body = row_renderer(serializers.TicketSerializer, pii=can_see_pii(request)).render_objects([ticket])[0]
        body["possible_duplicates"] = [
            {"id": s.ticket.pk, "reference": s.ticket.reference, "similarity": s.score} for s in alike
        ]
        return Response(body, status=status.HTTP_201_CREATED)


class TicketDetail(generics.RetrieveAPIView):
    """One ticket with its timeline and the resident's feedback."""

    serializer_class = serializers.TicketDetailSerializer
    permission_classes = [KeyScopes]
    renderer_classes = [OrjsonRenderer]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Ticket.objects.none()
        return ticket_queryset(self.request)

    def retrieve(self, request, *args, **kwargs):
        # Read with .values() and rendered by TicketDetailSerializer's own fields (api.rendering).
        renderer = row_renderer(serializers.TicketDetailSerializer, pii=can_see_pii(request))
        rows = renderer.select(self.get_queryset().filter(pk=kwargs["pk"]))
        if not rows:
            raise Http404
        return Response(renderer.render(rows)[0])


def _require_allowed(request, ticket: Ticket, action: str) -> None:
    """Staff act as on the screens, by their role and the ticket's tier (a partner key's
    scopes were checked by KeyScopes)."""
    if not isinstance(request.user, Partner) and action not in allowed_actions(request.user, ticket):
        raise PermissionDenied(_("You cannot do this to this ticket now."))


def _visible_ticket(request, pk) -> Ticket:
    return get_object_or_404(ticket_queryset(request), pk=pk)


class TicketAction(APIView):
    """Perform an action of the state machine. An illegal move answers 409."""

    permission_classes = [KeyScopes]

    @extend_schema(
        # One body per action; api.schema.add_error_responses turns this one operation into
        # one per action path (actions/refer/, actions/cancel/, ...), each with its own body.
        request=PolymorphicProxySerializer(
            component_name="TicketAction",
            serializers=list(serializers.ACTION_SERIALIZERS.values()),
            resource_type_field_name=None,
        ),
        parameters=[
            OpenApiParameter("action", OpenApiTypes.STR, OpenApiParameter.PATH, enum=serializers.API_ACTIONS),
            IDEMPOTENCY_KEY,
        ],
        responses={
            200: serializers.TicketSerializer,
            409: OpenApiResponse(description="Not possible in the ticket's state."),
            422: OpenApiResponse(description="Idempotency-Key reused with another body."),
        },
    )
    def post(self, request, pk, action):
        # A retried escalate must not climb two tiers: the same Idempotency-Key replays.
        return idempotent(request, lambda: self._act(request, pk, action))

    def _act(self, request, pk, action) -> Response:
        ticket = _visible_ticket(request, pk)
        if action not in serializers.ACTION_SERIALIZERS:
            raise ValidationError({"action": [_("Unknown action %(action)s.") % {"action": action}]})
        _require_allowed(request, ticket, action)
        serializer = serializers.ACTION_SERIALIZERS[action](
            data=request.data, context={"tickets": ticket_queryset(request)}
        )
        params = serializer.validated()
        expected_version = params.pop("expected_version", None)
        perform_action(action, ticket=ticket, actor=actor_of(request), params=params, expected_version=expected_version)
        renderer = row_renderer(serializers.TicketSerializer, pii=can_see_pii(request))
        return Response(renderer.render(renderer.select(ticket_queryset(request).filter(pk=ticket.pk)))[0])


class TicketFeedback(APIView):
    """Record the resident's verdict (satisfied, basically satisfied, dissatisfied)."""

    permission_classes = [KeyScopes]

    @extend_schema(
        request=serializers.FeedbackCreateSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={
            201: serializers.FeedbackSerializer,
            409: OpenApiResponse(description="Not resolved yet."),
            422: OpenApiResponse(description="Idempotency-Key reused with another body."),
        },
    )
    def post(self, request, pk):
        return idempotent(request, lambda: self._record(request, pk))

    def _record(self, request, pk) -> Response:
        ticket = _visible_ticket(request, pk)
        _require_allowed(request, ticket, "feedback")
        serializer = serializers.FeedbackCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        via = Feedback.Via.PARTNER if isinstance(request.user, Partner) else Feedback.Via.PHONE
        feedback = perform_action(
            "feedback",
            ticket=ticket,
            actor=actor_of(request),
            params={**serializer.validated_data, "collected_via": via},
        )
        return Response(serializers.FeedbackSerializer(feedback).data, status=status.HTTP_201_CREATED)


class PartnerKeysOnly(KeyScopes):
    """Webhook subscriptions belong to a partner key; a staff session has none."""

    message = _("Webhook subscriptions belong to partner keys: call with an API key that has webhooks:manage.")

    def has_permission(self, request, view):
        return isinstance(request.user, Partner) and super().has_permission(request, view)


class WebhookViewMixin:
    permission_classes = [PartnerKeysOnly]
    required_scopes = {"read": KeyScope.WEBHOOKS, "write": KeyScope.WEBHOOKS}

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return WebhookSubscription.objects.none()
        # Each key manages its own subscriptions: another key's are not found.
        return WebhookSubscription.objects.filter(key=self.request.auth, active=True)


class WebhookListCreate(WebhookViewMixin, generics.ListAPIView):
    """This key's active webhook subscriptions, or a new one (needs webhooks:manage, and
    tickets:read, since a webhook carries what GET tickets/{id}/ shows)."""

    serializer_class = serializers.WebhookSubscriptionSerializer
    pagination_class = None

    @extend_schema(
        request=serializers.WebhookCreateSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: serializers.WebhookCreatedSerializer},
    )
    def post(self, request):
        return idempotent(request, lambda: self._subscribe(request))

    def _subscribe(self, request) -> Response:
        serializer = serializers.WebhookCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        subscription = webhook_subscribe(key=request.auth, **serializer.validated_data)
        return Response(serializers.WebhookCreatedSerializer(subscription).data, status=status.HTTP_201_CREATED)


class WebhookDetail(WebhookViewMixin, generics.RetrieveDestroyAPIView):
    """One subscription of this key; DELETE stops sending to it."""

    serializer_class = serializers.WebhookSubscriptionSerializer

    def perform_destroy(self, instance):
        webhook_unsubscribe(subscription=instance)


class _AnyAccept(BaseContentNegotiation):
    """A photo is a JPEG whatever the Accept header says; refusals still come as JSON."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class PhotoFile(APIView):
    """A photo (or its thumbnail) on a ticket the caller sees; 404 for any other."""

    permission_classes = [KeyScopes]
    renderer_classes = [OrjsonRenderer]
    content_negotiation_class = _AnyAccept
    thumbnail = False

    @extend_schema(responses={(200, "image/jpeg"): OpenApiTypes.BINARY})
    def get(self, request, pk):
        photo = get_object_or_404(Photo.objects.filter(ticket__in=ticket_queryset(request)), pk=pk)
        return photo_response(photo, thumbnail=self.thumbnail)


# --- consultation (issue 18): read endpoints, scoped by the key's streets like tickets ---------


class MatterList(generics.ListAPIView):
    """Consultation matters (协商议题) of the caller's streets and their committees, newest
    first, with their last step (0-7) and status; filter by `committee` or `step`."""

    serializer_class = serializers.MatterSerializer
    permission_classes = [KeyScopes]
    pagination_class = Pagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = MatterFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Matter.objects.none()
        return visible_matters(request_scope(self.request))


class MatterDetail(generics.RetrieveAPIView):
    """One consultation matter with its recorded steps (the vote at step 4) and milestones."""

    serializer_class = serializers.MatterDetailSerializer
    permission_classes = [KeyScopes]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Matter.objects.none()
        return visible_matters(request_scope(self.request)).prefetch_related(
            Prefetch("steps", queryset=StepRecord.objects.order_by("number")),
            Prefetch("milestones", queryset=Milestone.objects.order_by("due_on", "pk")),
        )


class LivelihoodProjectList(generics.ListAPIView):
    """Livelihood projects (民生实事) of the caller's streets, newest first; filter by
    `committee`, `status` or `period` (the half-year, 2026-H2)."""

    serializer_class = serializers.LivelihoodProjectSerializer
    permission_classes = [KeyScopes]
    pagination_class = Pagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = LivelihoodProjectFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return LivelihoodProject.objects.none()
        return visible_projects(request_scope(self.request))


class LivelihoodProjectDetail(generics.RetrieveAPIView):
    """One livelihood project with its milestones."""

    serializer_class = serializers.LivelihoodProjectDetailSerializer
    permission_classes = [KeyScopes]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return LivelihoodProject.objects.none()
        return visible_projects(request_scope(self.request)).prefetch_related(
            Prefetch("milestones", queryset=Milestone.objects.order_by("due_on", "pk"))
        )
