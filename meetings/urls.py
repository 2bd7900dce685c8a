from django.urls import path

from . import views

urlpatterns = [
    path("meetings/", views.calendar, name="meetings"),
    path("meetings/new/", views.meeting_new, name="meeting_new"),
    path("meetings/<int:pk>/", views.meeting_detail, name="meeting"),
    path("meetings/<int:pk>/minutes/", views.meeting_minutes, name="meeting_minutes"),
    path("meetings/<int:pk>/<str:action>/", views.meeting_act, name="meeting_act"),
    path("meetings/evaluations/<int:pk>/", views.evaluation_opinion, name="evaluation_opinion"),
    path("recurring/", views.recurring_topics, name="recurring_topics"),
]
