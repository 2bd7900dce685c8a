from django.urls import path

from . import views

urlpatterns = [
    path("households/<int:household_pk>/questionnaire/", views.survey_door, name="survey_door"),
    path("households/<int:household_pk>/questionnaire/link/", views.survey_link_new, name="survey_link_new"),
    path("q/<str:token>/", views.survey_public, name="survey_public"),
]
