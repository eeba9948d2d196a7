from django.shortcuts import render

from apps.core.views import portal_view
from apps.org import selectors as org_selectors


@portal_view
def home(request):
    """The signed-in front door. The full CTO dashboard (issue: dashboard) grows here; until then
    it shows the person's place in the org and where to go next."""
    actor = request.actor
    context = {
        "reports": org_selectors.direct_reports(actor=actor),
        "teams": org_selectors.team_list(actor=actor)[:12],
    }
    return render(request, "dashboard/home.html", context)
