from django.shortcuts import render

from apps.core.views import portal_view
from apps.dashboard.panels import panels_for


@portal_view
def home(request):
    """The signed-in front door: one panel per app, each read through that app's selectors."""
    return render(request, "dashboard/home.html", {"panels": panels_for(actor=request.actor)})
