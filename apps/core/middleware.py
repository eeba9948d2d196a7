"""Input that no view should ever see.

A NUL character cannot be stored in PostgreSQL text and cannot be compared with it either: a
``?q=%00`` or a form value with ``\\x00`` would end in a 500 deep inside a query. Forms and the
API's serializers already refuse it field by field; this answers every other way in (query
parameters, form fields read straight from ``request.POST``) with a 400 that names the field,
before any view runs."""
from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string

NUL = "\x00"
MESSAGE = "Null characters are not allowed."  # as Django's and DRF's own validators say


def _nul_field(request: HttpRequest) -> str | None:
    sources = [request.GET]
    if request.method == "POST" and request.content_type in ("application/x-www-form-urlencoded",
                                                             "multipart/form-data"):
        sources.append(request.POST)
    for data in sources:
        for key, values in data.lists():
            if NUL in key or any(NUL in value for value in values):
                return key.replace(NUL, "\\x00")
    return None


class RejectNulMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        field = _nul_field(request)
        if field is None:
            return self.get_response(request)
        if request.path.startswith("/api/"):
            return JsonResponse({field: [MESSAGE]}, status=400)
        body = render_to_string("400.html", {"field": field, "message": MESSAGE}, request=request)
        return HttpResponse(body, status=400)
