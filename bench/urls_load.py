from django.http import JsonResponse
from django.urls import path

from cto_portal.urls import urlpatterns as portal_urlpatterns


def ceiling(request):
    """The cheapest Django response: no database, no session, constant JSON."""
    return JsonResponse({"ok": True})


urlpatterns = [path("bench/ceiling", ceiling), *portal_urlpatterns]
