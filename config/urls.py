from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from alerts import views as alert_views
from escalation import affairs_views, personal_data_views
from escalation import views as escalation_views
from escalation.policy import personal_data_scope
from grievances import views as grievance_views
from intake import views as intake_views

from . import pwa, views

admin.site.site_header = "直通 Zhitong"
admin.site.site_title = "直通 Zhitong"

urlpatterns = [
    path("", alert_views.home, name="home"),
    path("alerts/read/", alert_views.alerts_read, name="alerts_read"),
    # The households list searches phones only where the policy lets the person see them.
    path("zone/", grievance_views.my_zone, {"phone_scope_of": personal_data_scope}, name="zone"),
    path("desk/", intake_views.desk, name="desk"),
    path("desk/duplicates/", intake_views.duplicate_suggestions, name="duplicate_suggestions"),
    path("desk/service/", intake_views.service_apply_view, name="desk_service"),
    path("households/<int:pk>/", grievance_views.household_detail, name="household"),
    path("households/<int:household_pk>/visits/new/", intake_views.visit_new, name="visit_new"),
    path("visits/", intake_views.visits_create, name="visits_create"),
    path("sw.js", pwa.service_worker, name="service_worker"),
    path("households/<int:pk>/export/", personal_data_views.household_export, name="household_export"),
    path("households/<int:pk>/erase/", personal_data_views.household_erase, name="household_erase"),
    path("map/", grievance_views.street_map, name="street_map"),
    path("queue/", escalation_views.queue, name="queue"),
    path("queue/bulk/", escalation_views.bulk_action, name="queue_bulk"),
    path("tickets/mine/", escalation_views.my_tickets, name="my_tickets"),
    path("tickets/<int:pk>/", escalation_views.ticket_detail, name="ticket"),
    path("tickets/<int:pk>/actions/<str:action>/", escalation_views.ticket_action, name="ticket_action"),
    path("tickets/<int:pk>/photos/", escalation_views.ticket_photos_add, name="ticket_photos_add"),
    path("photos/<int:pk>/", escalation_views.photo, name="photo"),
    path("photos/<int:pk>/thumb/", escalation_views.photo, {"thumbnail": True}, name="photo_thumb"),
    path("lists/", affairs_views.affairs_lists, name="affairs_lists"),
    path("lists/<int:pk>/edit/", affairs_views.affairs_entry_edit, name="affairs_entry_edit"),
    path("tickets/<int:pk>/transfer-form/", escalation_views.transfer_form, name="transfer_form"),
    path("", include("reports.urls")),
    path("", include("meetings.urls")),
    path("", include("residents.urls")),
    path("", include("surveys.urls")),
    path("", include("consultation.urls")),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("healthz", views.healthz, name="healthz"),
    path("api/v1/", include("api.urls")),
    path("open311/v2/", include("api.open311_urls")),
    path("admin/", admin.site.urls),
]
