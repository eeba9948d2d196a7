"""GET /api/v1/search/?q=&kind=&limit= — the search page's results as JSON, for other tools."""
from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.response import Response

from apps.core.access import get_actor
from apps.search import selectors
from apps.search.kinds import KIND_CHOICES


class SearchParamsSerializer(serializers.Serializer):
    q = serializers.CharField(max_length=selectors.MAX_QUERY_CHARS, help_text="The text to look for (websearch syntax on PostgreSQL: \"phrase\", -word, or).")
    kind = serializers.ChoiceField(choices=KIND_CHOICES, required=False, help_text="Search one kind only.")
    limit = serializers.IntegerField(min_value=1, max_value=selectors.MAX_LIMIT, default=10,
                                     help_text="Results per kind.")


class HitSerializer(serializers.Serializer):
    kind = serializers.CharField()
    id = serializers.IntegerField()
    title = serializers.CharField()
    url = serializers.CharField(help_text="The object's page in the portal.")
    meta = serializers.CharField()
    snippet = serializers.CharField(help_text="Plain text around the match.")
    snippet_html = serializers.CharField(help_text="The snippet, HTML-escaped, matches in <mark>.")
    rank = serializers.FloatField(allow_null=True, help_text="Full-text rank (null on the simple backend).")


class GroupSerializer(serializers.Serializer):
    kind = serializers.CharField(source="key")
    label = serializers.CharField()
    has_more = serializers.BooleanField()
    results = HitSerializer(many=True, source="hits")


class SearchResultsSerializer(serializers.Serializer):
    query = serializers.CharField()
    backend = serializers.ChoiceField(choices=selectors.BACKENDS)
    groups = GroupSerializer(many=True)


@extend_schema(
    parameters=[SearchParamsSerializer],
    responses={200: SearchResultsSerializer,
               400: OpenApiResponse(description="Invalid parameters (field -> messages), e.g. an unknown kind"),
               403: OpenApiResponse(description="No portal role")},
)
@api_view(["GET"])
def search_view(request):
    """Search everything the caller may see: one group per kind, best matches first."""
    params = SearchParamsSerializer(data=request.query_params)
    params.is_valid(raise_exception=True)
    data = params.validated_data
    found = selectors.search(actor=get_actor(request.user), q=data["q"], kind=data.get("kind"), limit=data["limit"])
    return Response(SearchResultsSerializer(found).data)


API_URLS = [
    path("search/", search_view, name="search"),
]
