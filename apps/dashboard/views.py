from django.shortcuts import render

from apps.core.views import portal_view
from apps.dashboard import services
from apps.dashboard.panels import panels_for, view_for


@portal_view
def home(request):
    """The signed-in front door: the panels of the actor's role, each read through that app's
    selectors (the CTO's "what needs me this week"; a lighter page for the other roles)."""
    actor = request.actor
    panels = panels_for(actor=actor, request=request)
    return render(request, "dashboard/home.html", {
        "panels": panels,
        "view": view_for(actor),
        "base": "",
        "has_chart": any(p.key == "spend" for p in panels),
        "digest_schedule_url": services.digest_schedule_admin_url() if actor.is_cto and request.user.is_staff else None,
    })
