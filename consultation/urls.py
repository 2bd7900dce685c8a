from django.urls import path

from . import views

urlpatterns = [
    path("consultation/", views.matter_list, name="consultation"),
    path("consultation/new/", views.matter_new, name="consultation_new"),
    path("consultation/<int:pk>/", views.matter_detail, name="consultation_matter"),
    path("consultation/<int:pk>/<str:action>/", views.matter_act, name="consultation_act"),
    # 公示: published resolutions and results, for anyone, without signing in.
    path("gongshi/", views.public_list, name="consultation_public"),
    path("gongshi/<int:pk>/", views.public_detail, name="consultation_public_matter"),
]
