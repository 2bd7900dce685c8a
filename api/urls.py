from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from . import views

urlpatterns = [
    path("categories/", views.CategoryList.as_view(), name="api-categories"),
    path("org/", views.OrgTree.as_view(), name="api-org"),
    path("service-items/", views.ServiceItemList.as_view(), name="api-service-items"),
    path("departments/", views.DepartmentList.as_view(), name="api-departments"),
    path("tickets/", views.TicketListCreate.as_view(), name="api-tickets"),
    path("tickets/<int:pk>/", views.TicketDetail.as_view(), name="api-ticket"),
    path("tickets/<int:pk>/actions/<str:action>/", views.TicketAction.as_view(), name="api-ticket-action"),
    path("tickets/<int:pk>/feedback/", views.TicketFeedback.as_view(), name="api-ticket-feedback"),
    path("photos/<int:pk>/", views.PhotoFile.as_view(), name="api-photo"),
    path("photos/<int:pk>/thumb/", views.PhotoFile.as_view(thumbnail=True), name="api-photo-thumb"),
    path("consultation/matters/", views.MatterList.as_view(), name="api-matters"),
    path("consultation/matters/<int:pk>/", views.MatterDetail.as_view(), name="api-matter"),
    path("livelihood-projects/", views.LivelihoodProjectList.as_view(), name="api-livelihood-projects"),
    path("livelihood-projects/<int:pk>/", views.LivelihoodProjectDetail.as_view(), name="api-livelihood-project"),
    path("webhooks/", views.WebhookListCreate.as_view(), name="api-webhooks"),
    path("webhooks/<int:pk>/", views.WebhookDetail.as_view(), name="api-webhook"),
    path("schema/", SpectacularAPIView.as_view(permission_classes=[], authentication_classes=[]), name="api-schema"),
    # The split view serves Swagger UI's start-up script from ?script, not inline: the docs
    # page keeps the same Content-Security-Policy as every other page.
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api-schema", permission_classes=[], authentication_classes=[]),
        name="api-docs",
    ),
]
