"""Open311 GeoReport v2, mounted at /open311/v2/ (config.urls)."""

from django.urls import re_path

from core.replica import replica_view

from . import open311

app_name = "open311"

FORMAT = r"\.(?P<format>xml|json)$"


def public(request) -> bool:
    """A read without a key is the public view: it may come from the read replica. A keyed
    read stays on the primary, where the partner's own filings and key changes are."""
    return "api_key" not in request.GET


urlpatterns = [
    re_path(r"^discovery" + FORMAT, open311.Discovery.as_view(), name="discovery"),
    re_path(r"^services" + FORMAT, replica_view(open311.ServiceList.as_view(), when=public), name="services"),
    re_path(r"^services/(?P<service_code>[^/]+)" + FORMAT, open311.ServiceDefinition.as_view(), name="service"),
    re_path(r"^requests" + FORMAT, replica_view(open311.Requests.as_view(), when=public), name="requests"),
    re_path(
        r"^requests/(?P<service_request_id>[^/]+)" + FORMAT,
        replica_view(open311.RequestDetail.as_view(), when=public),
        name="request",
    ),
    re_path(r"^(?P<path>.*)$", open311.unknown_endpoint, name="unknown"),
]
