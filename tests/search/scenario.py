"""The leak-hunt data for global search, on top of the ``world`` fixture.

Every object carries the shared word :data:`SHARED` and a marker word of its own; ``Planted``
records which roles of the world may see it, according to each app's own rules:

- syncs: participants see a series and everything in it; the CTO and service accounts also see
  non-private series; the owner of an action item sees it even outside the series; 1:1s and other
  private series only their participants (the CTO included only as a participant).
- knowledge talks, initiatives, teams, active people: everyone signed in.
- security: published *answered* AMA questions for everyone (pending, hidden and unanswered ones
  are not searched); bulletins for their audience, the CTO (security manager) and the service token.
- org: people who left only for the CTO, HR and their former managers.
- infra: resources of the actor's teams; the CTO, finance and service see all; HR none.

Marker words are letters only and end in "qq", so none is a prefix of another (the full-text
backend also matches prefixes)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from apps.costs.models import AwsAccount
from apps.infra.models import Resource
from apps.initiatives.models import Initiative
from apps.knowledge.models import Session, Talk
from apps.org.models import Person, Team
from apps.security.models import AmaQuestion, AmaSession, Bulletin
from apps.syncs.models import ActionItem, Decision, Meeting, SyncSeries

SHARED = "zzsharedqq"
EVERYONE = frozenset({"engineer", "tl", "em", "pm", "finance", "hr", "cto", "service"})
NOBODY: frozenset[str] = frozenset()


def marker(name: str) -> str:
    return f"zz{name}qq"


@dataclass
class Planted:
    kind: str
    obj: object
    word: str
    seen_by: frozenset[str]


@dataclass
class Scenario:
    planted: list[Planted] = field(default_factory=list)
    objects: dict[str, object] = field(default_factory=dict)

    def add(self, kind: str, name: str, obj, seen_by) -> None:
        self.planted.append(Planted(kind, obj, marker(name), frozenset(seen_by)))
        self.objects[name] = obj

    def visible_to(self, role: str) -> set[tuple[str, int]]:
        return {(p.kind, p.obj.pk) for p in self.planted if role in p.seen_by}


def _series(title: str, owner: Person, others: list[Person], *, private: bool = False,
            kind: str = SyncSeries.Kind.OTHER) -> SyncSeries:
    series = SyncSeries.objects.create(title=title, owner=owner, kind=kind, is_private=private,
                                       start_time=time(10, 0))
    series.participants.set([owner, *others])
    return series


_day = iter(range(1, 10_000))


def _syncs(sc: Scenario, name: str, series: SyncSeries, owner: Person, seen_by) -> None:
    """A meeting with notes, a decision and an action item in ``series``, all seen by ``seen_by``."""
    when = datetime(2026, 3, 2, 10, tzinfo=UTC) + timedelta(days=next(_day))
    meeting = Meeting.objects.create(series=series, scheduled_at=when,
                                     notes=f"Notes of {series.title}: {marker(name + 'notes')} and {SHARED}.")
    sc.add("meeting", name + "notes", meeting, seen_by)
    decision = Decision.objects.create(series=series, meeting=meeting, owner=owner, text=f"We pick {marker(name + 'decision')}",
                                       rationale=f"Because {SHARED} said so.")
    sc.add("decision", name + "decision", decision, seen_by)
    action = ActionItem.objects.create(series=series, meeting=meeting, owner=owner,
                                       title=f"Follow up {marker(name + 'action')} {SHARED}",
                                       due_date=date(2026, 4, 1))
    sc.add("action_item", name + "action", action, seen_by)


def build(world) -> Scenario:
    sc = Scenario()
    alpha, beta, data = world.teams["alpha"], world.teams["beta"], world.teams["data"]

    # -- syncs
    alpha_sync = _series("Alpha Sync", world.em, [world.tl, world.engineer])
    _syncs(sc, "alpha", alpha_sync, world.em, {"em", "tl", "engineer", "cto", "service"})
    beta_sync = _series("Beta Sync", world.em2, [world.tl2])
    _syncs(sc, "beta", beta_sync, world.em2, {"cto", "service"})
    # engineer owns an item of a series they do not attend: theirs to see, the series is not.
    owned = ActionItem.objects.create(series=beta_sync, owner=world.engineer,
                                      title=f"Engineer helps {marker('ownedaction')} {SHARED}")
    sc.add("action_item", "ownedaction", owned, {"engineer", "cto", "service"})
    one_on_one = _series("Em2 / Engineer2", world.em2, [world.engineer2], private=True,
                         kind=SyncSeries.Kind.ONE_ON_ONE)
    _syncs(sc, "otheronetoone", one_on_one, world.em2, NOBODY)
    em_tl = _series("Em / Tl", world.em, [world.tl], private=True, kind=SyncSeries.Kind.ONE_ON_ONE)
    _syncs(sc, "emtlonetoone", em_tl, world.em, {"em", "tl"})  # not the CTO: a 1:1 of others
    cto_em = _series("Cto / Em", world.cto, [world.em], private=True, kind=SyncSeries.Kind.ONE_ON_ONE)
    _syncs(sc, "ctoemonetoone", cto_em, world.cto, {"cto", "em"})  # not the service token
    private_beta = _series("Beta leads (private)", world.em2, [world.tl2], private=True)
    _syncs(sc, "privatebeta", private_beta, world.em2, NOBODY)

    # -- knowledge
    session = Session.objects.create(title="Tech Monthly", starts_at=datetime(2026, 1, 29, 16, tzinfo=UTC))
    talk = Talk.objects.create(session=session, title=f"Talk {marker('talk')}", abstract=f"About {SHARED}.")
    talk.speakers.set([world.tl])
    sc.add("talk", "talk", talk, EVERYONE)

    # -- security
    ama = AmaSession.objects.create(title="Security AMA", starts_at=datetime(2026, 2, 10, 15, tzinfo=UTC))
    now = datetime(2026, 2, 10, 16, tzinfo=UTC)

    def question(name, seen_by, **fields):
        q = AmaQuestion.objects.create(session=ama, body=f"Question {marker(name)}?", answer=f"Answer: {SHARED}.",
                                       **fields)
        sc.add("question", name, q, seen_by)
        return q

    question("faq", EVERYONE, status="published", is_anonymous=True, in_faq=True, faq_title=f"Rotating keys ({marker('faq')})",
             answered_by=world.cto, answered_at=now)
    question("answered", EVERYONE, status="published", asker=world.engineer2, answered_by=world.cto, answered_at=now)
    question("anonanswered", EVERYONE, status="published", is_anonymous=True, answered_by=world.cto, answered_at=now)
    question("pending", NOBODY, status="pending", is_anonymous=True)
    question("hidden", NOBODY, status="hidden", asker=world.engineer)
    unanswered = AmaQuestion.objects.create(session=ama, body=f"Open {marker('unanswered')} {SHARED}?",
                                            status="published", asker=world.tl)
    sc.add("question", "unanswered", unanswered, NOBODY)

    def bulletin(name, seen_by, teams=(), roles=()):
        b = Bulletin.objects.create(title=f"Bulletin {marker(name)}", body=f"Patch {SHARED} now.", requires_ack=False,
                                    published_at=datetime(2026, 2, 1, 9, tzinfo=UTC), audience_roles=list(roles))
        b.audience_teams.set(teams)
        sc.add("bulletin", name, b, seen_by)

    bulletin("bulletinall", EVERYONE)
    bulletin("bulletinbeta", {"cto", "service"}, teams=[beta])
    bulletin("bulletinalpha", {"engineer", "tl", "em", "cto", "service"}, teams=[alpha])
    bulletin("bulletinfinance", {"finance", "cto", "service"}, roles=["finance"])

    # -- initiatives
    initiative = Initiative.objects.create(team=data, title=f"Initiative {marker('initiative')}", owner=world.pm,
                                           goal=f"Automate {SHARED}.")
    sc.add("initiative", "initiative", initiative, EVERYONE)

    # -- org
    active = Person.objects.create(full_name=f"Ada {marker('activeperson')}", email="ada@example.com",
                                   title=f"Staff {SHARED}", team=alpha, manager=world.tl)
    sc.add("person", "activeperson", active, EVERYONE)
    leaver = Person.objects.create(full_name=f"Lee {marker('leaver')}", email="lee@example.com",
                                   title=f"Former {SHARED}", team=beta, manager=world.tl2, is_active=False,
                                   end_date=date(2025, 12, 31))
    sc.add("person", "leaver", leaver, {"cto", "hr"})  # and em2/tl2, who are not roles of the world
    team = Team.objects.create(name=f"Team {marker('team')}", slug="search-team", description=f"Runs {SHARED}.")
    sc.add("team", "team", team, EVERYONE)
    gone_team = Team.objects.create(name=f"Team {marker('inactiveteam')}", slug="search-gone",
                                    description=f"Ran {SHARED}.", is_active=False)
    sc.add("team", "inactiveteam", gone_team, NOBODY)

    # -- infra
    account = AwsAccount.objects.create(account_id="111122223333", name="prod")

    def resource(name, owner_team, seen_by):
        r = Resource.objects.create(arn=f"arn:aws:s3:::{name}", resource_id=name, kind=Resource.Kind.S3_BUCKET,
                                    name=f"{marker(name)} {SHARED}", account=account, region="eu-west-1",
                                    owner_team=owner_team)
        sc.add("resource", name, r, seen_by)

    sees_all = {"cto", "finance", "service"}
    resource("resalpha", alpha, {"engineer", "tl", "em", *sees_all})
    resource("resbeta", beta, sees_all)
    resource("resdata", data, {"pm", *sees_all})
    resource("resnoowner", None, sees_all)
    return sc
