"""Access matrix for the initiatives app.

Decision: everyone signed in reads the portfolio (pages and API, service tokens too). The
CTO, EMs, TLs and PMs open initiatives. The owner, the team's EM/TL and the CTO edit one,
its milestones and links, and post its status updates; tools post status updates with a
service token whose role is ``service`` (or ``cto``). The initiative below belongs to team
Alpha (lead: tl, whose EM is em) and is owned by tl; em2/tl2 (team Beta) may not edit it.
"""
from apps.initiatives.models import Initiative, InitiativeLink, Milestone, StatusUpdate
from tests.access import Case, api, override, page

EDITORS = ("cto", "em", "tl")
CREATORS = ("cto", "em", "tl", "pm")


def cases(world):
    initiative = Initiative.objects.create(
        team=world.teams["alpha"], title="Matrix initiative", owner=world.tl, status=Initiative.Status.IN_PROGRESS,
    )
    milestone = Milestone.objects.create(initiative=initiative, title="M1", due_date="2026-06-30")
    update = StatusUpdate.objects.create(initiative=initiative, author=world.tl, health="green", text="Started.")
    from django.contrib.contenttypes.models import ContentType

    link = InitiativeLink.objects.create(
        initiative=initiative, content_type=ContentType.objects.get_for_model(type(world.teams["alpha"])),
        object_id=world.teams["alpha"].pk, label="Alpha",
    )
    pk = {"pk": initiative.pk}
    return [
        Case("initiatives:board", page()),
        Case("initiatives:board", page(), query="team=alpha&kind=automation&group=health&stale=1"),
        Case("initiatives:quarterly", page(), query="quarter=2026Q2"),
        Case("initiatives:create", page(allowed=CREATORS)),
        Case("initiatives:detail", page(), kwargs=pk),
        Case("initiatives:detail", page(ok=404, denied=404), kwargs={"pk": initiative.pk + 1000}),
        Case("initiatives:edit", page(allowed=EDITORS), kwargs=pk),
        Case("initiatives:update-create", page(allowed=EDITORS), kwargs=pk),
        Case("initiatives:milestone-create", page(allowed=EDITORS), kwargs=pk),
        Case("initiatives:milestone-edit", page(allowed=EDITORS), kwargs={"pk": milestone.pk}),
        # POST-only; a GET is refused (405) once signed in.
        Case("initiatives:link-create", page(ok=405, denied=405), kwargs=pk),
        Case("initiatives:link-delete", page(ok=405, denied=405), kwargs={"pk": link.pk}),
        Case("api:initiative-list", api()),
        Case("api:initiative-detail", api(), kwargs=pk),
        Case("api:initiative-milestone-list", api()),
        Case("api:initiative-milestone-detail", api(), kwargs={"pk": milestone.pk}),
        Case("api:initiative-update-list", api()),
        Case("api:initiative-update-detail", api(), kwargs={"pk": update.pk}),
        # Opening: creators get past the role check and fail validation on an empty body.
        Case("api:initiative-list", api(allowed=CREATORS, ok=400), method="post", data={}),
        # Posting a status update: editors and the service token.
        Case("api:initiative-update-list", api(allowed=(*EDITORS, "service"), ok=201), method="post",
             data={"initiative": initiative.pk, "health": "amber", "text": "Slipping a week."}),
        Case("api:initiative-detail", override(api(allowed=EDITORS), service=403), method="patch", kwargs=pk,
             data={"title": "Renamed"}),
        Case("api:initiative-milestone-list", api(allowed=EDITORS, ok=201), method="post",
             data={"initiative": initiative.pk, "title": "M2", "due_date": "2026-09-30"}),
    ]
