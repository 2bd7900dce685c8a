"""Open311 GeoReport v2 (DESIGN.md) at /open311/v2/, so existing civic-reporting clients can
file and follow tickets, in XML (the spec's required format) or JSON, as the path says.

The same doors as the partner API behind a different face: partner keys (passed as the
`api_key` parameter), the visibility rule for every read, grievances.services.ticket_create
for every new ticket. What differs is GeoReport's: a service is a category, a service
request is a ticket known by its reference, statuses are only open and closed, and errors
are a list of {"code": <HTTP status>, "description"}.

Reading needs no key, as the spec says: without `api_key`, `GET requests` and
`GET requests/{id}` answer the public view of every street's tickets (grievances.public,
throttled per client address); with a key, the key's scoped view.
"""

import datetime as dt
from xml.etree import ElementTree

from django.http import HttpResponse, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, serializers
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from core.enums import OPEN_STATUSES, Channel, Status
from grievances.duplicates import Suggestion, likely_duplicates_of
from grievances.models import Category, Ticket
from grievances.public import public_tickets, public_view, status_notes
from grievances.selectors import visible_tickets
from intake.services import DESCRIPTION_MAX, ticket_create
from responders.models import StreetOffice
from responders.selectors import visible_streets

from . import errors
from .access import KeyScopes, actor_of, request_scope
from .authentication import ApiKeyAuthentication, Partner, partner_key_for
from .idempotency import idempotent
from .parsers import JSONParser
from .serializers import PHONE
from .throttling import AddressThrottle, PartnerKeyThrottle

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# When this endpoint's behaviour last changed; discovery tells clients so they can re-check.
CHANGESET = "2026-11-22T00:00:00+08:00"
MAX_RESULTS = 1000
DEFAULT_WINDOW = dt.timedelta(days=90)
CLOSED_STATUSES = (Status.RESOLVED, Status.CLOSED, Status.CANCELLED)


class Open311KeyAuthentication(ApiKeyAuthentication):
    """The partner key, passed as GeoReport's `api_key` parameter (query string or body)."""

    def authenticate(self, request):
        # A filed request carries it among its fields; a read, in the query string.
        body = request.data if request.method == "POST" and hasattr(request.data, "get") else {}
        raw = request.query_params.get("api_key") or body.get("api_key")
        if not raw:
            return None
        key = partner_key_for(raw)
        return Partner(key), key

    def authenticate_header(self, request):
        # No challenge: GeoReport answers a missing or bad key with 403, not 401.
        return None


# The element of each item of a list, by the list's name (GeoReport's XML).
XML_ITEMS = {"endpoints": "endpoint", "formats": "format", "attributes": "attribute", "values": "value"}


def xml_document(root: str, item: str, data) -> bytes:
    """`data` as GeoReport XML: a list's entries as `item` elements under `root`, a dict's keys
    as elements (nested lists named by XML_ITEMS), None as an empty element."""

    def fill(element, value):
        if isinstance(value, dict):
            for name, child in value.items():
                fill(ElementTree.SubElement(element, name), child)
        elif isinstance(value, list):
            for child in value:
                fill(ElementTree.SubElement(element, XML_ITEMS.get(element.tag, item)), child)
        elif isinstance(value, bool):
            element.text = "true" if value else "false"
        elif value is not None:
            element.text = str(value)

    document = ElementTree.Element(root)
    fill(document, data)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ElementTree.tostring(document, encoding="unicode").encode()


class GeoReportXMLRenderer(BaseRenderer):
    """`text/xml` for the `.xml` paths. Each view names its root and item elements
    (`xml_root`, `xml_item`); a failure is GeoReport's `<errors><error>` list."""

    media_type = "text/xml"
    format = "xml"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        context = renderer_context or {}
        response, view = context.get("response"), context.get("view")
        if response is not None and response.status_code >= 400:
            return xml_document("errors", "error", data)
        return xml_document(view.xml_root, view.xml_item, data)


class PathFormat(DefaultContentNegotiation):
    """GeoReport names the format in the path (`.xml`, `.json`); the Accept header is not consulted."""

    def select_renderer(self, request, renderers, format_suffix=None):
        for renderer in renderers:
            if renderer.format == format_suffix:
                return renderer, renderer.media_type
        return renderers[0], renderers[0].media_type


def error_list(status: int, error: dict) -> list[dict]:
    """The API's envelope as GeoReport's error list: one entry per field at fault."""
    if error["fields"]:
        return [
            {"code": status, "description": f"{field}: {message}"}
            for field, messages in error["fields"].items()
            for message in messages
        ]
    return [{"code": status, "description": error["message"]}]


def exception_handler(exc, context):
    response = errors.exception_handler(exc, context)
    if response is not None:
        response.data = error_list(response.status_code, response.data["error"])
    return response


class KeyScopesOrPublicRead(KeyScopes):
    """A read without a key is the public view's; with a key, the key's scopes decide."""

    def has_permission(self, request, view):
        if request.method in ("GET", "HEAD") and request.auth is None:
            return True
        return super().has_permission(request, view)


class Open311View(APIView):
    """A key with tickets:read to read its streets, tickets:write to file (api.access.KeyScopes);
    no key: the public view (reads only), throttled per address."""

    authentication_classes = [Open311KeyAuthentication]
    permission_classes = [KeyScopesOrPublicRead]
    throttle_classes = [PartnerKeyThrottle, AddressThrottle]
    parser_classes = [FormParser, MultiPartParser, JSONParser]
    renderer_classes = [JSONRenderer, GeoReportXMLRenderer]
    content_negotiation_class = PathFormat
    xml_root, xml_item = "service_requests", "request"
    # GeoReport is the contract here: kept out of the OpenAPI document of /api/v1/, whose
    # error envelope and key header these endpoints do not share.
    schema = None

    def get_exception_handler(self):
        return exception_handler

    def permission_denied(self, request, message=None, code=None):
        if request.successful_authenticator is None:
            raise exceptions.NotAuthenticated(_("Pass your partner API key as the api_key parameter."))
        super().permission_denied(request, message=message, code=code)


class PublicView(Open311View):
    """What any client may read without a key: discovery and the service list."""

    authentication_classes = []
    permission_classes = []


def _iso(moment: dt.datetime | None) -> str | None:
    return timezone.localtime(moment).isoformat(timespec="seconds") if moment else None


def _service_notice(ticket: Ticket) -> str | None:
    if not ticket.is_open or ticket.resolve_by is None:
        return None
    due = timezone.localtime(ticket.resolve_by)
    return f"由{ticket.responsible_unit}办理，预计 {due:%Y-%m-%d %H:%M} 前办结"


def _media_url(ticket: Ticket, request) -> str | None:
    """The first photo's address under the API (fetched with the same key), or None."""
    photos = ticket.photos.all()  # prefetched by _tickets: no query per request
    if request is None or not photos:
        return None
    return request.build_absolute_uri(reverse("api-photo", args=[photos[0].pk]))


def service_request(ticket: Ticket, request=None) -> dict:
    """A ticket as a GeoReport service request. Never the reporter's name or phone."""
    return {
        "service_request_id": ticket.reference,
        "status": "open" if ticket.status in OPEN_STATUSES else "closed",
        "status_notes": status_notes(ticket),
        "service_name": ticket.category.name,
        "service_code": ticket.category.code,
        "description": ticket.description,
        "agency_responsible": str(ticket.responsible_unit),
        "service_notice": _service_notice(ticket),
        "requested_datetime": _iso(ticket.created_at),
        "updated_datetime": _iso(ticket.updated_at),
        "expected_datetime": _iso(ticket.resolve_by),
        "address": ticket.address or None,
        "address_id": None,
        "zipcode": None,
        "lat": ticket.lat,
        "long": ticket.long,
        "media_url": _media_url(ticket, request),
    }


def public_service_request(ticket: Ticket) -> dict:
    """The public view (grievances.public) as a GeoReport service request: GeoReport's fields,
    those the view withholds as null."""
    view = public_view(ticket)
    return {
        "service_request_id": view["reference"],
        "status": "open" if view["open"] else "closed",
        "status_notes": view["status_notes"],
        "service_name": view["category_name"],
        "service_code": view["category_code"],
        "description": view["description"],
        "agency_responsible": view["unit"],
        "service_notice": None,
        "requested_datetime": _iso(view["received_at"]),
        "updated_datetime": _iso(view["updated_at"]),
        "expected_datetime": None,
        "address": view["address"],
        "address_id": None,
        "zipcode": None,
        "lat": view["lat"],
        "long": view["long"],
        "media_url": None,
    }


def _public(request) -> bool:
    return request.auth is None


def _tickets(request):
    if _public(request):
        return public_tickets()
    return (
        visible_tickets(request_scope(request))
        .select_related("category", "zone", "committee", "street")
        .prefetch_related("photos")
    )


def _render(ticket: Ticket, request) -> dict:
    return public_service_request(ticket) if _public(request) else service_request(ticket, request)


class Discovery(PublicView):
    xml_root = "discovery"

    def get(self, request, format):
        url = request.build_absolute_uri(reverse("open311:discovery", args=[format])).removesuffix(
            f"discovery.{format}"
        )
        return Response(
            {
                "changeset": CHANGESET,
                "contact": _("The street office that issued your partner API key."),
                "key_service": _("Partner API keys are issued by the street office's administrator."),
                "endpoints": [
                    {
                        "specification": SPECIFICATION,
                        "url": url,
                        "changeset": CHANGESET,
                        "type": "production",
                        "formats": ["text/xml", "application/json"],
                    }
                ],
            }
        )


class ServiceList(PublicView):
    xml_root, xml_item = "services", "service"

    def get(self, request, format):
        return Response(
            [
                {
                    "service_code": category.code,
                    "service_name": category.name,
                    "description": category.name_en,
                    "metadata": False,
                    "type": "realtime",
                    "keywords": "",
                    "group": "",
                }
                for category in Category.objects.filter(active=True)
            ]
        )


class ServiceDefinition(PublicView):
    xml_root = "service_definition"

    def get(self, request, service_code, format):
        if not Category.objects.filter(active=True, code=service_code).exists():
            raise exceptions.NotFound(_("No service %(code)s: see services.json.") % {"code": service_code})
        # Our services ask for nothing beyond GeoReport's standard fields.
        return Response({"service_code": service_code, "attributes": []})


class CommaSeparated(serializers.CharField):
    """GeoReport's way of asking for several values: `a,b,c` in one parameter."""

    def to_internal_value(self, data):
        return [item.strip() for item in super().to_internal_value(data).split(",") if item.strip()]


class Moment(serializers.DateTimeField):
    """A GeoReport date, in UTC: one the database cannot hold (year 1 east of Greenwich) is
    the client's error."""

    def to_internal_value(self, value):
        try:
            return super().to_internal_value(value).astimezone(dt.UTC)
        except OverflowError:
            raise serializers.ValidationError(_("Not a moment we can use: %(value)s.") % {"value": value}) from None


class RequestQuery(serializers.Serializer):
    service_request_id = CommaSeparated(required=False, allow_blank=True)
    service_code = CommaSeparated(required=False, allow_blank=True)
    status = CommaSeparated(required=False, allow_blank=True)
    start_date = Moment(required=False, allow_null=True)
    end_date = Moment(required=False, allow_null=True)

    def validate_service_code(self, codes):
        unknown = sorted(set(codes) - set(Category.objects.filter(code__in=codes).values_list("code", flat=True)))
        if unknown:
            raise serializers.ValidationError(_("No service %(code)s: see services.json.") % {"code": unknown[0]})
        return codes

    def validate_status(self, statuses):
        if set(statuses) - {"open", "closed"}:
            raise serializers.ValidationError(_("Ask for open, closed or both."))
        return statuses

    def validate(self, data):
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and start > end:
            raise serializers.ValidationError({"end_date": [_("The end date is before the start date.")]})
        return data


class NewRequest(serializers.Serializer):
    service_code = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Category.objects.filter(active=True),
        error_messages={"does_not_exist": gettext_lazy("No service {value}: see services.json.")},
    )
    description = serializers.CharField(max_length=DESCRIPTION_MAX)
    address_string = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=Ticket._meta.get_field("address").max_length
    )
    lat = serializers.CharField(required=False, allow_blank=True, default="")
    long = serializers.CharField(required=False, allow_blank=True, default="")
    address_id = serializers.CharField(required=False, allow_blank=True, default="")
    # Together they fill the reporter's name, at most 100 characters.
    first_name = serializers.CharField(required=False, allow_blank=True, default="", max_length=50)
    last_name = serializers.CharField(required=False, allow_blank=True, default="", max_length=50)
    phone = serializers.RegexField(PHONE, required=False, allow_blank=True, default="")
    # Not GeoReport's: the street code, for a key that covers several streets.
    street = serializers.CharField(required=False, allow_blank=True, default="")

    def validate(self, data):
        if not data["address_string"].strip():
            if data["lat"] or data["long"] or data["address_id"]:
                # The teams go by the address: a point is kept with it (on the street's map),
                # never instead of it, and there is no register of address ids behind it.
                message = _("Give the address as address_string too: a point or an address id alone is not enough.")
            else:
                message = _("Give the address the request is about.")
            raise serializers.ValidationError({"address_string": [message]})
        first, last = data["first_name"].strip(), data["last_name"].strip()
        # 姓在前: a Chinese name is written family name first, with no space.
        data["reporter_name"] = f"{first} {last}".strip() if (first + last).isascii() else f"{last}{first}"
        return data


def _street_for(request, code: str) -> StreetOffice:
    """The street a new request is in: the key's only street, or the one it names by code."""
    streets = visible_streets(request_scope(request))
    if code:
        street = streets.filter(code=code).first()
        if street is None:
            raise serializers.ValidationError({"street": [_("No street %(code)s in your streets.") % {"code": code}]})
        return street
    found = list(streets[:2])
    if len(found) != 1:
        raise serializers.ValidationError(
            {"street": [_("Your key covers several streets: name this request's street by its code.")]}
        )
    return found[0]


class Requests(Open311View):
    def get(self, request, format):
        query = RequestQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        tickets = _tickets(request)
        if params.get("service_request_id"):
            # GeoReport: asking by id overrides every other argument.
            tickets = tickets.filter(reference__in=params["service_request_id"])
        else:
            if params.get("service_code"):
                tickets = tickets.filter(category__code__in=params["service_code"])
            statuses = set(params.get("status") or ())
            if len(statuses) == 1:
                tickets = tickets.filter(status__in=OPEN_STATUSES if "open" in statuses else CLOSED_STATUSES)
            start, end = params.get("start_date"), params.get("end_date")
            if start is None and end is None:
                start = timezone.now() - DEFAULT_WINDOW
            if start is not None:
                tickets = tickets.filter(created_at__gte=start)
            if end is not None:
                tickets = tickets.filter(created_at__lte=end)
        tickets = tickets.order_by("-created_at", "-pk")[:MAX_RESULTS]
        return Response([_render(ticket, request) for ticket in tickets])

    def post(self, request, format):
        # GeoReport has no retry header of its own; an Idempotency-Key sent with the request
        # is honoured as on the REST API, so a client's retry does not file a second ticket.
        return idempotent(request, lambda: self._file(request))

    def _file(self, request):
        serializer = NewRequest(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        alike: list[Suggestion] = []
        ticket = ticket_create(
            actor=actor_of(request),
            category=data["service_code"],
            description=data["description"],
            channel=Channel.PARTNER,
            street=_street_for(request, data["street"].strip()),
            address=data["address_string"],
            reporter_name=data["reporter_name"],
            reporter_phone=data["phone"],
            partner=request.auth.partner,
            lat=data["lat"].strip(),
            long=data["long"].strip(),
            # Open requests that may be the same problem (a hint, as on REST), found before
            # the street's number is taken: see ticket_open.
            unnumbered=lambda new: alike.extend(likely_duplicates_of(request_scope(request), new)),
        )
        # GeoReport answers a filed request with 200 and a one-element list. Its free-text
        # notice also names open requests that may be the same problem.
        notice = _service_notice(ticket)
        if alike:
            notice = f"{notice or ''}；可能与 {'、'.join(s.ticket.reference for s in alike)} 为同一问题".lstrip("；")
        return Response([{"service_request_id": ticket.reference, "service_notice": notice, "account_id": None}])


class RequestDetail(Open311View):
    def get(self, request, service_request_id, format):
        ticket = _tickets(request).filter(reference=service_request_id).first()
        if ticket is None:
            if _public(request):
                raise exceptions.NotFound(_("No service request %(id)s.") % {"id": service_request_id})
            raise exceptions.NotFound(_("No service request %(id)s in your streets.") % {"id": service_request_id})
        return Response([_render(ticket, request)])


@csrf_exempt
def unknown_endpoint(request, path):
    """Anything else under the prefix, in GeoReport's error shape (XML unless it asked for JSON)."""
    body = [{"code": 404, "description": _("No such endpoint: see discovery.xml.")}]
    if path.endswith(".json"):
        return JsonResponse(body, status=404, safe=False)
    return HttpResponse(xml_document("errors", "error", body), status=404, content_type="text/xml; charset=utf-8")
