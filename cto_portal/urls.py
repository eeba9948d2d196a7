"""Root URL conf. Each app in PORTAL_APPS with a ``urls`` module is mounted at /<app>/;
the dashboard is the home page at /. The API lives at /api/v1/."""
from importlib import import_module
from importlib.util import find_spec

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from apps.accounts.views import PortalLoginView
from apps.core import views as core_views
from apps.core.api import api_extra_urls, build_router

router = build_router()

api_v1 = [*api_extra_urls(), *router.urls]

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("accounts/login/", PortalLoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # The admin's own password-only login would skip the second factor: it goes to the portal's.
    path("admin/login/", RedirectView.as_view(pattern_name="login", query_string=True)),
    path("admin/", admin.site.urls),
    path("api/v1/", include((api_v1, "api"), namespace="api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up code as a separate script: no inline JS (CSP).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]

for app in settings.PORTAL_APPS:
    label = app.rsplit(".", 1)[-1]
    if find_spec(f"{app}.urls") is None:
        continue
    prefix = "" if label == "dashboard" else f"{label}/"
    urlpatterns.append(path(prefix, include(import_module(f"{app}.urls"))))

admin.site.site_header = "CTO Portal administration"
admin.site.site_title = "CTO Portal"
