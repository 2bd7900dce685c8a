"""Open311 GeoReport v2, mounted at /open311/v2/ (config.urls)."""

from django.urls import path, re_path

from . import open311

app_name = "open311"

urlpatterns = [
    path("discovery.json", open311.Discovery.as_view(), name="discovery"),
    path("services.json", open311.ServiceList.as_view(), name="services"),
    path("services/<str:service_code>.json", open311.ServiceDefinition.as_view(), name="service"),
    path("requests.json", open311.Requests.as_view(), name="requests"),
    path("requests/<str:service_request_id>.json", open311.RequestDetail.as_view(), name="request"),
    re_path(r"^(?P<path>.*)$", open311.unknown_endpoint, name="unknown"),
]
