from django.urls import path

from . import views

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("reports/services/", views.service_report, name="service_report"),
    path("reports/", views.report_list, name="reports"),
    path("reports/generate/", views.report_generate, name="report_generate"),
    path("reports/mine/", views.unit_report, name="unit_report"),
    path("reports/<int:pk>/", views.report_detail, name="report"),
    path("reports/<int:pk>/csv/", views.report_csv, name="report_csv"),
    path("public/<slug:code>/", views.public_street, name="public_street"),
]
