"""Every read in infra, already scoped to the asking actor (see apps.infra.policy)."""
from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from apps.core.access import Actor, get_visible_or_404
from apps.core.models import SyncRun
from apps.costs.models import AwsAccount
from apps.infra import policy
from apps.infra.models import REQUEST_TAG_KEY, Finding, InfraRequest, Resource
from apps.org.models import Team


def _team_scope(qs: QuerySet, actor: Actor, field: str) -> QuerySet:
    if not policy.can_read(actor):
        return qs.none()
    if policy.sees_all(actor):
        return qs
    return qs.filter(**{f"{field}__in": policy.team_ids(actor)})


# -- Resources ----------------------------------------------------------------------------------
def resource_visible(*, actor: Actor) -> QuerySet[Resource]:
    """Every resource the actor may open, gone ones included."""
    qs = Resource.objects.select_related("account", "owner_team", "request")
    return _team_scope(qs, actor, "owner_team_id")


def resource_list(
    *, actor: Actor, account: str | None = None, region: str | None = None, kind: str | None = None,
    team: str | None = None, state: str | None = None, tag: str | None = None, q: str | None = None,
    include_gone: bool = False,
) -> QuerySet[Resource]:
    """The inventory with its filters. ``tag`` is ``key`` (has the tag) or ``key=value``;
    ``team`` is a team slug or ``none`` (no owner)."""
    qs = resource_visible(actor=actor)
    if not include_gone:
        qs = qs.filter(gone_at__isnull=True)
    if account:
        qs = qs.filter(account__account_id=account)
    if region:
        qs = qs.filter(region=region)
    if kind:
        qs = qs.filter(kind=kind)
    if team == "none":
        qs = qs.filter(owner_team__isnull=True)
    elif team:
        qs = qs.filter(owner_team__slug=team)
    if state:
        qs = qs.filter(state=state)
    if tag:
        key, sep, value = tag.partition("=")
        key = key.strip()
        if key:
            if sep and "__" not in key:
                qs = qs.filter(**{f"tags__{key}": value.strip()})
            elif sep:
                qs = qs.none()  # a key with "__" cannot be expressed as a JSON key lookup
            else:
                qs = qs.filter(tags__has_key=key)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(resource_id__icontains=q) | Q(arn__icontains=q))
    return qs.order_by("name", "id")


def resource_get(*, actor: Actor, pk: int) -> Resource:
    return get_visible_or_404(resource_visible(actor=actor), pk=pk)


def inventory_filter_options(*, actor: Actor) -> dict:
    """Choices for the inventory filters (a few small queries, independent of the row count)."""
    visible = resource_visible(actor=actor).filter(gone_at__isnull=True)
    return {
        "accounts": list(AwsAccount.objects.order_by("name").values_list("account_id", "name")),
        "regions": sorted(set(visible.order_by().values_list("region", flat=True).distinct())),
        "states": sorted(set(visible.order_by().values_list("state", flat=True).distinct()) - {""}),
        "kinds": Resource.Kind.choices,
        "teams": list(_team_scope(Team.objects.filter(is_active=True), actor, "id").order_by("name")
                      .values_list("slug", "name")),
    }


def inventory_summary(*, actor: Actor) -> list[dict]:
    """Live resources per kind, for the page header."""
    rows = (resource_visible(actor=actor).filter(gone_at__isnull=True).order_by().values("kind")
            .annotate(n=Count("id")))
    labels = dict(Resource.Kind.choices)
    return sorted(({"kind": r["kind"], "label": labels.get(r["kind"], r["kind"]), "count": r["n"]} for r in rows),
                  key=lambda r: r["label"])


# -- Findings -------------------------------------------------------------------------------------
def finding_list(*, actor: Actor, team: str | None = None, kind: str | None = None,
                 include_resolved: bool = False) -> QuerySet[Finding]:
    """Findings (untagged and idle resources) with their owner team, scoped to the actor.
    This is the read the costs app uses for its savings opportunities."""
    qs = Finding.objects.select_related("resource", "resource__account", "team")
    qs = _team_scope(qs, actor, "team_id")
    if not include_resolved:
        qs = qs.filter(resolved_at__isnull=True)
    if team == "none":
        qs = qs.filter(team__isnull=True)
    elif team:
        qs = qs.filter(team__slug=team)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("team__name", "kind", "resource__name", "id")


def finding_get(*, actor: Actor, pk: int) -> Finding:
    return get_visible_or_404(finding_list(actor=actor, include_resolved=True), pk=pk)


def findings_by_team(*, actor: Actor) -> list[dict]:
    """Open findings counted per team and kind: [{team, counts: {kind: n}, total}]."""
    rows = (finding_list(actor=actor).order_by().values("team__slug", "team__name", "kind")
            .annotate(n=Count("id")))
    teams: dict[str | None, dict] = {}
    for row in rows:
        entry = teams.setdefault(row["team__slug"], {"slug": row["team__slug"] or "none",
                                                     "name": row["team__name"] or "Unallocated",
                                                     "counts": {}, "total": 0})
        entry["counts"][row["kind"]] = row["n"]
        entry["total"] += row["n"]
    return sorted(teams.values(), key=lambda t: (-t["total"], t["name"]))


# -- Requests -------------------------------------------------------------------------------------
def infra_request_visible(*, actor: Actor) -> QuerySet[InfraRequest]:
    qs = InfraRequest.objects.select_related("requester", "team", "decided_by", "provisioned_by")
    if not policy.can_read(actor):
        return qs.none()
    if policy.sees_all(actor):
        return qs
    mine = Q(requester_id=actor.person_id) if actor.person_id else Q(pk__in=[])
    if actor.role in policy.TEAM_LEADERS:
        return qs.filter(mine | Q(team_id__in=policy.team_ids(actor)))
    return qs.filter(mine)


def resource_request_visible(*, actor: Actor, resource: Resource) -> bool:
    """May the actor open the request a resource was provisioned for? (Engineers see only their
    own requests: a resource page names the request only to who may open it.)"""
    return bool(resource.request_id) and infra_request_visible(actor=actor).filter(pk=resource.request_id).exists()


def infra_request_list(*, actor: Actor, status: str | None = None, team: str | None = None,
                       kind: str | None = None, overdue: bool = False) -> QuerySet[InfraRequest]:
    qs = infra_request_visible(actor=actor).annotate(resource_count=Count("resources"))
    if status:
        qs = qs.filter(status=status)
    if team:
        qs = qs.filter(team__slug=team)
    if kind:
        qs = qs.filter(kind=kind)
    if overdue:
        qs = qs.filter(status=InfraRequest.Status.SUBMITTED, due_at__lt=timezone.now())
    return qs.order_by("-created_at", "-id")


def infra_request_get(*, actor: Actor, pk: int) -> InfraRequest:
    return get_visible_or_404(infra_request_visible(actor=actor), pk=pk)


@dataclass
class FulfilmentReport:
    approved_without_resources: list[InfraRequest]
    tagged_without_request: list[Resource]


def request_fulfilment_report(*, actor: Actor, limit: int = 200) -> FulfilmentReport:
    """Approved or provisioned requests no resource is linked to, and live resources whose
    request tag names no request."""
    unfulfilled = list(
        infra_request_visible(actor=actor)
        .filter(status__in=[InfraRequest.Status.APPROVED, InfraRequest.Status.PROVISIONED], resources__isnull=True)
        .order_by("decided_at", "id")[:limit]
    )
    orphans = list(
        resource_visible(actor=actor).filter(gone_at__isnull=True, request__isnull=True, tags__has_key=REQUEST_TAG_KEY)
        .order_by("name", "id")[:limit]
    )
    return FulfilmentReport(approved_without_resources=unfulfilled, tagged_without_request=orphans)


def linkable_resources(*, actor: Actor, request: InfraRequest) -> QuerySet[Resource]:
    """Live, unlinked resources of the request's team (candidates to link by hand)."""
    return resource_visible(actor=actor).filter(gone_at__isnull=True, request__isnull=True,
                                                owner_team_id=request.team_id).order_by("name", "id")


# -- Sync runs ------------------------------------------------------------------------------------
def inventory_runs(*, actor: Actor) -> QuerySet[SyncRun]:
    from apps.infra.services import INVENTORY_KIND

    if not policy.can_sync(actor) and not (actor.is_authenticated and actor.is_cto):
        return SyncRun.objects.none()
    return SyncRun.objects.filter(kind=INVENTORY_KIND).select_related("started_by").order_by("-created_at", "-id")


def visible_for_model(*, actor: Actor, model) -> QuerySet | None:
    """The objects of one of this app's models the actor may see, for other apps that point at
    them (initiative links); None for a model nobody outside the app may reference."""
    scopes = {Resource: resource_visible, InfraRequest: infra_request_visible}
    scope = scopes.get(model)
    return scope(actor=actor) if scope else None
