"""Open311 GeoReport v2, mounted at /open311/v2/ (config.urls)."""

from django.urls import re_path

from . import open311

app_name = "open311"

FORMAT = r"\.(?P<format>xml|json)$"

urlpatterns = [
    re_path(r"^discovery" + FORMAT, open311.Discovery.as_view(), name="discovery"),
    re_path(r"^services" + FORMAT, open311.ServiceList.as_view(), name="services"),
    re_path(r"^services/(?P<service_code>[^/]+)" + FORMAT, open311.ServiceDefinition.as_view(), name="service"),
    re_path(r"^requests" + FORMAT, open311.Requests.as_view(), name="requests"),
    re_path(r"^requests/(?P<service_request_id>[^/]+)" + FORMAT, open311.RequestDetail.as_view(), name="request"),
    re_path(r"^(?P<path>.*)$", open311.unknown_endpoint, name="unknown"),
]
