from django.urls import path

from . import views

urlpatterns = [
    path("r/", views.lookup, name="resident_lookup"),
    path("r/<int:pk>/<slug:key>/", views.resident_page, name="resident_page"),
    path("r/<int:pk>/<slug:key>/verdict/", views.resident_verdict, name="resident_verdict"),
    path("r/<int:pk>/<slug:key>/stop/", views.resident_stop, name="resident_stop"),
    path("residents/sms/inbound/", views.sms_inbound, name="sms_inbound"),
]
