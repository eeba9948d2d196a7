"""What global search looks through: one :class:`Kind` per searchable thing.

Every kind starts from its own app's access-scoped selector (the read its list pages use), so
search can never show more than the app itself would. The search only narrows that queryset
down; it never widens it. Reviews, compensation and anything else not listed here are never
searched. AMA questions are searched on their text and answer only: the asker is neither
searched nor returned (anonymous questions have none, and named ones stay out for the same
reason — a search by name must not tell who asked what).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import Exists, OuterRef, QuerySet
from django.urls import reverse
from django.utils import timezone

from apps.core.access import Actor
from apps.infra import selectors as infra
from apps.initiatives import selectors as initiatives
from apps.knowledge import selectors as knowledge
from apps.org import selectors as org
from apps.security import selectors as security
from apps.syncs import selectors as syncs


@dataclass(frozen=True)
class Kind:
    key: str
    label: str
    icon: str
    scope: Callable[[Actor], QuerySet]
    """The app's own access-scoped queryset for the actor."""
    title_fields: tuple[str, ...]
    body_fields: tuple[str, ...] = ()
    identifier_fields: tuple[str, ...] = ()
    """Matched by substring as well as by words (ids, ARNs, e-mail addresses)."""
    row_fields: tuple[str, ...] = ()
    """Extra columns :attr:`present` needs to build the title, link and meta line."""
    stored_body_vector: str = ""
    """PostgreSQL: a generated tsvector column holding the body's words (read instead of
    running ``to_tsvector`` over every visible row's body)."""
    narrow: Callable[[QuerySet, Actor], QuerySet] | None = None
    """Optional: a further filter or annotation (never a widening)."""
    present: Callable[[dict], tuple[str, str, str]] = field(default=lambda row: ("", "", ""))
    """row -> (title, url, meta); no database access."""

    @property
    def search_fields(self) -> tuple[str, ...]:
        return (*self.title_fields, *self.body_fields, *self.identifier_fields)


def _date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    return f"{value:%Y-%m-%d}"


# -- syncs ----------------------------------------------------------------------------------------
def _meeting(row: dict) -> tuple[str, str, str]:
    title = row["title"] or row["series__title"]
    return (f"{title} — {_date(row['scheduled_at'])}", reverse("syncs:meeting-detail", args=[row["pk"]]),
            row["series__title"])


def _decision(row: dict) -> tuple[str, str, str]:
    url = reverse("syncs:decision-log") + f"?series={row['series_id']}#decision-{row['pk']}"
    return row["text"], url, f"{row['series__title']} · {_date(row['decided_on'])}"


def _action_items_narrow(qs: QuerySet, actor: Actor) -> QuerySet:
    # An actor may own an item of a (non-private) series they do not attend: the item is theirs
    # to see, the series page is not, so such items link to their own action-item list.
    visible = syncs.series_visible(actor=actor).filter(pk=OuterRef("series_id"))
    return qs.annotate(series_is_visible=Exists(visible))


def _action_item(row: dict) -> tuple[str, str, str]:
    if not row["series_is_visible"]:
        url = reverse("syncs:my-actions") + "?status=all"
    elif row["meeting_id"]:
        url = reverse("syncs:meeting-detail", args=[row["meeting_id"]])
    else:
        url = reverse("syncs:series-detail", args=[row["series_id"]])
    due = f" · due {_date(row['due_date'])}" if row["due_date"] else ""
    return row["title"], url, f"{row['series__title']} · {row['status']}{due}"


# -- knowledge -----------------------------------------------------------------------------------
def _talk(row: dict) -> tuple[str, str, str]:
    return (row["title"], reverse("knowledge:talk-detail", args=[row["pk"]]),
            f"{row['session__title']} · {_date(row['session__starts_at'])}")


# -- security ----------------------------------------------------------------------------------------
def _answered_questions(qs: QuerySet, actor: Actor) -> QuerySet:
    from apps.security.models import AmaQuestion

    return qs.filter(status=AmaQuestion.Status.PUBLISHED).exclude(answer="")


def _question(row: dict) -> tuple[str, str, str]:
    body = row["body"]
    title = row["faq_title"] or (body if len(body) <= 120 else body[:119] + "…")
    if row["in_faq"]:
        return title, reverse("security:faq") + f"#q{row['pk']}", "Security FAQ"
    return (title, reverse("security:ama-detail", args=[row["session_id"]]) + f"#q{row['pk']}",
            f"AMA: {row['session__title']}")


def _bulletin(row: dict) -> tuple[str, str, str]:
    return (row["title"], reverse("security:bulletin-detail", args=[row["pk"]]),
            f"{row['severity']} · {_date(row['published_at'])}")


# -- initiatives, org, infra -------------------------------------------------------------------------
def _initiative(row: dict) -> tuple[str, str, str]:
    return (row["title"], reverse("initiatives:detail", args=[row["pk"]]),
            f"{row['team__name'] or ''} · {row['status']} · {row['health']}")


def _person(row: dict) -> tuple[str, str, str]:
    meta = " · ".join(p for p in (row["title"], row["team__name"]) if p)
    if not row["is_active"]:
        meta = f"{meta} · left" if meta else "left"
    return row["full_name"], reverse("org:person-detail", args=[row["pk"]]), meta


def _team(row: dict) -> tuple[str, str, str]:
    return row["name"], reverse("org:team-detail", args=[row["slug"]]), row["kind"]


def _resource(row: dict) -> tuple[str, str, str]:
    return (row["name"] or row["resource_id"], reverse("infra:resource-detail", args=[row["pk"]]),
            f"{row['kind']} · {row['region']} · {row['owner_team__name'] or 'no owner'}")


KINDS: tuple[Kind, ...] = (
    Kind("meeting", "Meeting notes", "journal-text", lambda a: syncs.meeting_list(actor=a),
         title_fields=("title", "series__title"), body_fields=("notes",),
         stored_body_vector="notes_search_vector",  # syncs migration 0003
         row_fields=("title", "series__title", "scheduled_at"), present=_meeting),
    Kind("decision", "Decisions", "check2-square", lambda a: syncs.decision_list(actor=a),
         title_fields=("text",), body_fields=("rationale",),
         row_fields=("text", "series_id", "series__title", "decided_on"), present=_decision),
    Kind("action_item", "Action items", "list-check", lambda a: syncs.action_item_list(actor=a),
         title_fields=("title",),
         row_fields=("title", "series_id", "meeting_id", "series__title", "status", "due_date", "series_is_visible"),
         narrow=_action_items_narrow, present=_action_item),
    Kind("talk", "Talks", "easel", lambda a: knowledge.talk_list(actor=a),
         title_fields=("title",), body_fields=("abstract",),
         row_fields=("title", "session__title", "session__starts_at"), present=_talk),
    Kind("question", "Security FAQ and AMA answers", "shield-check", lambda a: security.ama_question_list(actor=a),
         title_fields=("faq_title", "body"), body_fields=("answer",),
         row_fields=("body", "faq_title", "in_faq", "session_id", "session__title"),
         narrow=_answered_questions, present=_question),
    Kind("bulletin", "Security bulletins", "megaphone", lambda a: security.bulletin_list(actor=a),
         title_fields=("title",), body_fields=("body",),
         row_fields=("title", "severity", "published_at"), present=_bulletin),
    Kind("initiative", "Initiatives", "rocket-takeoff", lambda a: initiatives.initiative_list(actor=a),
         title_fields=("title",), body_fields=("problem", "goal"), identifier_fields=("cost_tag",),
         row_fields=("title", "team__name", "status", "health"), present=_initiative),
    Kind("person", "People", "person", lambda a: org.person_visible(actor=a),
         title_fields=("full_name",), body_fields=("title", "team__name"), identifier_fields=("email",),
         row_fields=("full_name", "title", "team__name", "is_active"), present=_person),
    Kind("team", "Teams", "collection", lambda a: org.team_list(actor=a),
         title_fields=("name",), body_fields=("description",),
         row_fields=("name", "slug", "kind"), present=_team),
    Kind("resource", "Infrastructure resources", "hdd-network", lambda a: infra.resource_list(actor=a),
         title_fields=("name",), identifier_fields=("resource_id", "arn"),
         row_fields=("name", "resource_id", "kind", "region", "owner_team__name"), present=_resource),
)

KIND_BY_KEY: dict[str, Kind] = {k.key: k for k in KINDS}
KIND_CHOICES: list[tuple[str, str]] = [(k.key, k.label) for k in KINDS]

