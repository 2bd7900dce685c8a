from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from responders import views as responder_views

admin.site.site_header = "直通 Zhitong"
admin.site.site_title = "直通 Zhitong"

urlpatterns = [
    path("", responder_views.home, name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("healthz", responder_views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
]
