"""Global search behaviour: the query text, matching on each backend, snippets, the page and the API."""
from __future__ import annotations

from datetime import UTC, datetime, time

import pytest
from django.urls import reverse

from apps.core.access import get_actor
from apps.costs.models import AwsAccount
from apps.infra.models import Resource
from apps.search import selectors
from apps.search.selectors import START, STOP, clean_query, mark_terms, query_terms, render_marked
from apps.syncs.models import Decision, Meeting, SyncSeries


@pytest.fixture
def series(world):
    s = SyncSeries.objects.create(title="Platform Sync", owner=world.em, start_time=time(9, 0))
    s.participants.set([world.em, world.tl])
    return s


def meeting(series, notes: str, day: int = 1, title: str = "") -> Meeting:
    return Meeting.objects.create(series=series, scheduled_at=datetime(2026, 5, day, 9, tzinfo=UTC), notes=notes,
                                  title=title)


def hits(actor, q, **kw):
    found = selectors.search(actor=actor, q=q, **kw)
    return [(h.kind, h.id) for g in found.groups for h in g.hits]


# -- the query text ---------------------------------------------------------------------------------
def test_clean_query_drops_control_characters_and_collapses_space():
    assert clean_query("  a\x00b\tc \n d\x07 ") == ("a b c d", False)
    assert clean_query(None) == ("", False)
    assert clean_query(f"x{START}y{STOP}") == ("xy", False)


def test_clean_query_cuts_long_text():
    text, truncated = clean_query("word " * 100)
    assert truncated is True
    assert len(text) <= selectors.MAX_QUERY_CHARS
    assert text == ("word " * 40).strip()


def test_query_terms_for_the_simple_backend():
    assert query_terms('"Deploy pipeline" -legacy or Kafka, kafka (x)') == ["Deploy", "pipeline", "Kafka", "x"]
    assert query_terms(" ".join(f"w{i}" for i in range(20))) == [f"w{i}" for i in range(selectors.MAX_TERMS)]
    assert query_terms("--- or") == []


def test_snippet_window_and_marks():
    text = "alpha " * 100 + "the Kafka cluster " + "omega " * 100
    marked = mark_terms(text, ["kafka"])
    assert marked.startswith("…") and marked.endswith("…")
    assert f"{START}Kafka{STOP} cluster" in marked
    assert len(marked.replace(START, "").replace(STOP, "")) == selectors.SNIPPET_CHARS + 2  # and the two "…"
    assert mark_terms("short Kafka", ["kafka"]) == f"short {START}Kafka{STOP}"


def test_snippet_html_is_escaped():
    html = render_marked(f"<script>alert(1)</script> {START}<b>hit</b>{STOP} {START}stray")
    assert html == "&lt;script&gt;alert(1)&lt;/script&gt; <mark>&lt;b&gt;hit&lt;/b&gt;</mark> stray"


def test_unknown_kind_or_backend_is_refused(world):
    actor = get_actor(world.users["cto"])
    with pytest.raises(ValueError):
        selectors.search(actor=actor, q="x", kind="review")
    with pytest.raises(ValueError):
        selectors.search(actor=actor, q="x", backend="elastic")


def test_empty_text_finds_nothing_without_querying(world, django_assert_num_queries):
    actor = get_actor(world.users["cto"])
    with django_assert_num_queries(0):
        found = selectors.search(actor=actor, q="   \x00 ")
    assert found.groups == [] and found.query == ""


# -- matching ------------------------------------------------------------------------------------------
def test_every_word_must_match(world, series, backend):
    both = meeting(series, "Kafka cluster upgrade", day=1)
    meeting(series, "Kafka topics only", day=2)
    actor = get_actor(world.users["em"])
    assert hits(actor, "kafka upgrade", kind="meeting") == [("meeting", both.pk)]


def test_fulltext_stems_prefixes_and_websearch_syntax(world, series, pg):
    deployed = meeting(series, "We deployed the new ingestion pipeline", day=1)
    legacy = meeting(series, "The legacy pipeline stays", day=2)
    actor = get_actor(world.users["em"])
    assert hits(actor, "deploying", kind="meeting") == [("meeting", deployed.pk)]  # stemming
    assert hits(actor, "inges", kind="meeting") == [("meeting", deployed.pk)]  # prefix while typing
    assert set(hits(actor, "pipeline", kind="meeting")) == {("meeting", deployed.pk), ("meeting", legacy.pk)}
    assert hits(actor, "pipeline -legacy", kind="meeting") == [("meeting", deployed.pk)]
    assert hits(actor, '"legacy pipeline"', kind="meeting") == [("meeting", legacy.pk)]
    assert hits(actor, "pipeline or nothingatall", kind="meeting") != []


def test_fulltext_ranks_titles_above_bodies(world, series, pg):
    body = Decision.objects.create(series=series, owner=world.em, text="Keep the monolith",
                                   rationale="Observability matters more than anything")
    title = Decision.objects.create(series=series, owner=world.em, text="Observability first",
                                    rationale="Agreed by all")
    actor = get_actor(world.users["em"])
    assert hits(actor, "observability", kind="decision") == [("decision", title.pk), ("decision", body.pk)]


def test_fulltext_highlights_the_match(world, series, pg):
    meeting(series, "Long notes. " * 30 + "The Kafka cluster was upgraded. " + "More notes. " * 30)
    found = selectors.search(actor=get_actor(world.users["em"]), q="kafka", kind="meeting")
    hit = found.groups[0].hits[0]
    assert "<mark>Kafka</mark> cluster" in hit.snippet_html
    assert hit.rank > 0 and "Kafka cluster" in hit.snippet


def test_identifiers_match_by_substring(world, pg):
    account = AwsAccount.objects.create(account_id="111122223333", name="prod")
    r = Resource.objects.create(arn="arn:aws:ec2:eu-west-1:111122223333:instance/i-0abc123def", resource_id="i-0abc123def",
                                kind=Resource.Kind.EC2_INSTANCE, account=account, region="eu-west-1",
                                owner_team=world.teams["alpha"])
    actor = get_actor(world.users["tl"])
    assert hits(actor, "0abc123", kind="resource") == [("resource", r.pk)]
    assert hits(actor, "i-0abc123def", kind="resource", backend=selectors.SIMPLE) == [("resource", r.pk)]


def test_limit_and_has_more(world, series):
    for day in range(1, 5):
        meeting(series, f"Capacity review number {day}", day=day)
    found = selectors.search(actor=get_actor(world.users["em"]), q="capacity", kind="meeting", limit=3)
    assert len(found.groups[0].hits) == 3 and found.groups[0].has_more is True
    found = selectors.search(actor=get_actor(world.users["em"]), q="capacity", kind="meeting", limit=4)
    assert len(found.groups[0].hits) == 4 and found.groups[0].has_more is False


# -- the page ----------------------------------------------------------------------------------------------
def test_page_without_text_explains(world):
    response = world.client("engineer").get(reverse("search:results"))
    assert response.status_code == 200
    assert b'data-testid="search-empty"' in response.content
    assert b'data-testid="search-hit"' not in response.content


def test_page_with_very_long_text_is_cut_and_says_so(world, series):
    meeting(series, "Zebra crossing", day=1)
    response = world.client("em").get(reverse("search:results"), {"q": "zebra " + "x" * 5000})
    assert response.status_code == 200
    assert b'data-testid="search-truncated"' in response.content
    assert response.context["results"].query == ("zebra " + "x" * 5000)[: selectors.MAX_QUERY_CHARS]


def test_page_groups_by_kind_with_links_and_more(world, series):
    for day in range(1, 8):
        meeting(series, f"Quokka notes {day}", day=day)
    Decision.objects.create(series=series, owner=world.em, text="Adopt quokka")
    response = world.client("em").get(reverse("search:results"), {"q": "quokka"})
    html = response.content.decode()
    assert 'data-testid="search-group-meeting"' in html and 'data-testid="search-group-decision"' in html
    assert html.count('data-testid="search-hit"') == 5 + 1  # five meetings per kind on the overview
    assert "kind=meeting" in html  # the "more" link
    one_kind = world.client("em").get(reverse("search:results"), {"q": "quokka", "kind": "meeting"}).content.decode()
    assert one_kind.count('data-testid="search-hit"') == 7
    assert 'data-testid="search-group-decision"' not in one_kind


def test_page_escapes_stored_html(world, series, backend):
    meeting(series, "<script>alert('x')</script> <img src=x onerror=alert(1)> wombat", title="<b>Wombat</b>")
    html = world.client("em").get(reverse("search:results"), {"q": "wombat"}).content.decode()
    assert "<script>alert" not in html and "<img src=x" not in html and "<b>Wombat" not in html
    assert "&lt;b&gt;Wombat&lt;/b&gt;" in html
    assert "<mark>wombat</mark>" in html
    if backend == selectors.SIMPLE:  # ts_headline leaves tags out of the snippet; the simple one escapes them
        assert "&lt;script&gt;" in html


def test_page_ignores_an_unknown_kind(world, series):
    meeting(series, "Narwhal", day=1)
    response = world.client("em").get(reverse("search:results"), {"q": "narwhal", "kind": "salary"})
    assert response.status_code == 200
    assert response.content.decode().count('data-testid="search-hit"') == 1


def test_navbar_box_on_every_page_keeps_the_text(world):
    home = world.client("engineer").get(reverse("dashboard:home")).content.decode()
    assert 'data-testid="nav-search"' in home and f'action="{reverse("search:results")}"' in home
    page = world.client("engineer").get(reverse("search:results"), {"q": "hello there"}).content.decode()
    assert 'value="hello there"' in page


# -- the API -----------------------------------------------------------------------------------------------
def test_api_shape(world, series):
    m = meeting(series, "Capybara migration plan", day=3)
    response = world.client("em").get(reverse("api:search"), {"q": "capybara"})
    assert response.status_code == 200
    body = response.json()
    assert body["query"] == "capybara"
    assert body["backend"] == selectors.default_backend()
    assert [g["kind"] for g in body["groups"]] == [k.key for k in selectors.KINDS]
    group = next(g for g in body["groups"] if g["kind"] == "meeting")
    assert group["label"] == "Meeting notes" and group["has_more"] is False
    assert group["results"] == [{
        "kind": "meeting", "id": m.pk, "title": "Platform Sync — 2026-05-03",
        "url": reverse("syncs:meeting-detail", args=[m.pk]), "meta": "Platform Sync",
        "snippet": "Capybara migration plan", "snippet_html": "<mark>Capybara</mark> migration plan",
        "rank": group["results"][0]["rank"],
    }]


@pytest.mark.parametrize(("params", "field"), [
    ({"q": "x", "kind": "review"}, "kind"),
    ({"q": "x", "kind": "salary"}, "kind"),
    ({}, "q"),
    ({"q": ""}, "q"),
    ({"q": "x" * 201}, "q"),
    ({"q": "a\x00b"}, "q"),
    ({"q": "x", "limit": 0}, "limit"),
    ({"q": "x", "limit": 51}, "limit"),
    ({"q": "x", "limit": "many"}, "limit"),
])
def test_api_bad_parameters_are_400(world, params, field):
    response = world.client("cto").get(reverse("api:search"), params)
    assert response.status_code == 400
    assert list(response.json()) == [field]


def test_api_one_kind(world, series):
    meeting(series, "Axolotl", day=1)
    body = world.client("service").get(reverse("api:search"), {"q": "axolotl", "kind": "person"}).json()
    assert [g["kind"] for g in body["groups"]] == ["person"] and body["groups"][0]["results"] == []


def test_api_is_in_the_schema(world):
    schema = world.client("cto").get(reverse("api-schema"), HTTP_ACCEPT="application/json").json()
    operation = schema["paths"]["/api/v1/search/"]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert {"q", "kind", "limit"} <= names
    kind = next(p for p in operation["parameters"] if p["name"] == "kind")
    assert set(kind["schema"]["enum"]) == {k.key for k in selectors.KINDS}
    assert {"200", "400"} <= set(operation["responses"])


def test_snippets_show_text_not_markdown_syntax(world, series, backend):
    meeting(series, "Ibis: rotate every **90 days** with `aws sso login`; see [the runbook](https://wiki/rb).")
    html = world.client("em").get(reverse("search:results"), {"q": "ibis"}).content.decode()
    snippet = html[html.index('data-testid="search-hit"'):]
    snippet = snippet[:snippet.index("</li>") if "</li>" in snippet else 2000]
    assert "90 days" in snippet and "aws sso login" in snippet and "the runbook" in snippet
    assert "**" not in snippet and "`" not in snippet and "https://wiki/rb" not in snippet
    assert "<mark>Ibis</mark>" in snippet


def test_plain_snippet_keeps_identifiers_and_the_highlight():
    marked = f"## Notes\ncall {START}__init__{STOP} on a*b and 2 * 3, not *this*"
    assert selectors.plain_snippet(marked) == f"Notes\ncall {START}__init__{STOP} on a*b and 2 * 3, not this"


def test_postgres_reads_meeting_notes_from_the_stored_vector_which_follows_every_save(require_postgres, world,
                                                                                   series):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from apps.syncs import services as sync_services

    found = meeting(series, "The pelican rollout slipped a week.")
    em = get_actor(world.users["em"])
    with CaptureQueriesContext(connection) as ctx:
        assert hits(em, "pelican", kind="meeting", backend=selectors.FULLTEXT) == [("meeting", found.pk)]
    meeting_sql = next(q["sql"] for q in ctx.captured_queries if "syncs_meeting" in q["sql"] and "@@" in q["sql"])
    assert '"notes_search_vector"' in meeting_sql

    sync_services.meeting_notes_save(actor=em, meeting=found, body="Now the heron rollout slipped.", version=found.version)
    assert hits(em, "pelican", kind="meeting", backend=selectors.FULLTEXT) == []
    assert hits(em, "heron", kind="meeting", backend=selectors.FULLTEXT) == [("meeting", found.pk)]
