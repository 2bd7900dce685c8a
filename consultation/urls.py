from django.urls import path

from . import covenant_views, evaluation_views, invitation_views, livelihood_views, views

urlpatterns = [
    path("consultation/", views.matter_list, name="consultation"),
    path("consultation/new/", views.matter_new, name="consultation_new"),
    path("consultation/<int:pk>/", views.matter_detail, name="consultation_matter"),
    path("consultation/<int:pk>/<str:action>/", views.matter_act, name="consultation_act"),
    path("livelihood/", livelihood_views.project_list, name="livelihood"),
    path("livelihood/new/", livelihood_views.project_new, name="livelihood_new"),
    path("livelihood/<int:pk>/", livelihood_views.project_detail, name="livelihood_project"),
    path("livelihood/<int:pk>/contract/print/", livelihood_views.contract_print, name="livelihood_contract"),
    path("livelihood/<int:pk>/<str:action>/", livelihood_views.project_act, name="livelihood_act"),
    path("invitations/", invitation_views.invitation_list, name="invitations"),
    path("invitations/new/", invitation_views.invitation_new, name="invitation_new"),
    path("invitations/<int:pk>/", invitation_views.invitation_detail, name="invitation"),
    path("invitations/<int:pk>/<str:action>/", invitation_views.invitation_act, name="invitation_act"),
    path("evaluations/", evaluation_views.evaluation_list, name="evaluations"),
    path("evaluations/open/", evaluation_views.evaluation_open, name="evaluation_open"),
    path("evaluations/<int:pk>/", evaluation_views.evaluation_detail, name="evaluation"),
    path("evaluations/<int:pk>/print/", evaluation_views.evaluation_print, name="evaluation_print"),
    path("evaluations/<int:pk>/<str:action>/", evaluation_views.evaluation_act, name="evaluation_act"),
    path("covenants/", covenant_views.covenant_list, name="covenants"),
    path("covenants/<int:pk>/", covenant_views.covenant_detail, name="covenant"),
    path("gongshi/covenant/<int:pk>/", covenant_views.covenant_public, name="covenant_public"),
    # 公示: published resolutions and results, for anyone, without signing in.
    path("gongshi/", views.public_list, name="consultation_public"),
    path("gongshi/<int:pk>/", views.public_detail, name="consultation_public_matter"),
]
