"""The search page: /search/?q=...&kind=... grouped by kind."""
from __future__ import annotations

from django.shortcuts import render
from django.views.decorators.http import require_GET

from apps.core.views import portal_view
from apps.search import selectors
from apps.search.kinds import KIND_BY_KEY, KIND_CHOICES

PER_KIND = 5  # every kind at once: a handful each, with a link to see more
ONE_KIND = 50  # one kind chosen


@portal_view
@require_GET
def results(request):
    kind = request.GET.get("kind") or None
    if kind not in KIND_BY_KEY:
        kind = None  # an unknown kind on the page is ignored (the API answers 400)
    found = selectors.search(actor=request.actor, q=request.GET.get("q"), kind=kind,
                             limit=ONE_KIND if kind else PER_KIND)
    return render(request, "search/results.html", {
        "results": found,
        "search_query": found.query,
        "kind": kind,
        "kind_choices": KIND_CHOICES,
        "max_query_chars": selectors.MAX_QUERY_CHARS,
    })
