"""Every syncs URL x every role. The EM Sync (CTO, EM, EM2) is hidden (404) from the TL, PM,
engineer, finance and HR; the EM's 1:1 with the TL is hidden from everyone else, the CTO and
the service token included."""
from datetime import timedelta

from apps.syncs import services
from apps.syncs.models import CalendarFeed
from tests.access import Case, api, override, page, same
from tests.syncs.builders import actor, build, meeting_at

CREATORS = ("cto", "em", "tl", "pm")
POST_ONLY = page(ok=405, denied=405)  # signed in: the GET is refused before any lookup


def cases(world):
    d = build(world)
    em = actor(world, "em")
    item = services.agenda_item_add(actor=em, series=d.em_sync, meeting=d.em_meeting, title="Hiring plan")
    decision = services.decision_record(actor=em, series=d.em_sync, meeting=d.em_meeting, text="Freeze deploys on Fridays")
    action = services.action_item_create(actor=em, series=d.em_sync, meeting=d.em_meeting, title="Draft the plan")
    private_action = services.action_item_create(actor=em, series=d.one_on_one, meeting=d.one_on_one_meeting,
                                                 title="Career plan", owner=world.tl)
    feed = CalendarFeed.objects.create(person=world.em)
    # A second 1:1 meeting for the API write, so the page write above does not make it stale.
    later = meeting_at(d.one_on_one, d.one_on_one_meeting.scheduled_at + timedelta(days=14))

    em_sync_page = page(allowed=("cto", "em"), denied=404)
    one_on_one_page = page(allowed=("em", "tl"), denied=404)
    em_sync_api = api(allowed=("cto", "em", "service"), denied=404)
    one_on_one_api = api(allowed=("em", "tl"), denied=404)
    m, p = {"pk": d.em_meeting.pk}, {"pk": d.one_on_one_meeting.pk}
    return [
        Case("syncs:series-list", page()),
        Case("syncs:series-create", page(allowed=CREATORS)),
        Case("syncs:series-detail", em_sync_page, kwargs={"pk": d.em_sync.pk}),
        Case("syncs:series-detail", one_on_one_page, kwargs={"pk": d.one_on_one.pk}),
        # Seen but not owned (the EM): 403; not seen: 404.
        Case("syncs:series-edit", override(em_sync_page, em=403), kwargs={"pk": d.em_sync.pk}),
        Case("syncs:series-edit", override(one_on_one_page, tl=403), kwargs={"pk": d.one_on_one.pk}),
        Case("syncs:meeting-next", page(allowed=("cto", "em"), ok=302, denied=404), kwargs={"pk": d.em_sync.pk}),
        Case("syncs:meeting-next", page(allowed=("em", "tl"), ok=302, denied=404), kwargs={"pk": d.one_on_one.pk}),
        Case("syncs:meeting-create", POST_ONLY, kwargs={"pk": d.em_sync.pk}),
        Case("syncs:backlog-add", POST_ONLY, kwargs={"pk": d.em_sync.pk}),
        Case("syncs:meeting-detail", em_sync_page, kwargs=m),
        Case("syncs:meeting-detail", one_on_one_page, kwargs=p),
        Case("syncs:meeting-export", em_sync_page, kwargs=m),
        Case("syncs:meeting-export", one_on_one_page, kwargs=p),
        Case("syncs:meeting-status", POST_ONLY, kwargs=m),
        Case("syncs:agenda-add", POST_ONLY, kwargs=m),
        Case("syncs:notes-save", POST_ONLY, kwargs=m),
        Case("syncs:decision-add", POST_ONLY, kwargs=m),
        Case("syncs:action-add", POST_ONLY, kwargs=m),
        Case("syncs:agenda-item-status", POST_ONLY, kwargs={"pk": item.pk}),
        Case("syncs:agenda-item-move", POST_ONLY, kwargs={"pk": item.pk}),
        Case("syncs:action-status", POST_ONLY, kwargs={"pk": action.pk}),
        Case("syncs:notes-preview", POST_ONLY),
        # Writes through the pages: only the two participants of a 1:1 may save its notes.
        Case("syncs:notes-save", page(allowed=("em", "tl"), ok=302, denied=404), kwargs=p, method="post",
             data={"body": "private", "version": 0}),
        Case("syncs:agenda-add", page(allowed=("em", "tl"), ok=302, denied=404), kwargs=p, method="post",
             data={"title": "Growth"}),
        Case("syncs:action-status", page(allowed=("em", "tl"), ok=302, denied=404), kwargs={"pk": private_action.pk},
             method="post", data={"status": "done", "seen_status": "open"}),
        Case("syncs:notes-preview", page(), method="post", data={"body": "**hi**"}),
        Case("syncs:decision-log", page()),
        Case("syncs:decision-export", page()),
        Case("syncs:my-actions", page()),
        Case("syncs:actions-by-owner", page()),
        Case("syncs:calendar", page()),
        Case("syncs:ical-feed", same(200), kwargs={"token": feed.token}),
        Case("syncs:ical-feed", same(404), kwargs={"token": "not-a-real-token"}),
        # API
        Case("api:sync-series-list", api()),
        Case("api:sync-series-detail", em_sync_api, kwargs={"pk": d.em_sync.pk}),
        Case("api:sync-series-detail", one_on_one_api, kwargs={"pk": d.one_on_one.pk}),
        Case("api:sync-series-list", api(allowed=(*CREATORS, "service"), ok=400), method="post", data={}),
        Case("api:sync-meeting-list", api()),
        Case("api:sync-meeting-detail", em_sync_api, kwargs=m),
        Case("api:sync-meeting-detail", one_on_one_api, kwargs=p),
        Case("api:sync-meeting-notes", em_sync_api, kwargs=m),
        Case("api:sync-meeting-notes", one_on_one_api, kwargs=p),
        Case("api:sync-meeting-notes", one_on_one_api, kwargs={"pk": later.pk}, method="put",
             data={"body": "x", "version": 0}),
        Case("api:sync-agenda-item-list", api()),
        Case("api:sync-agenda-item-detail", em_sync_api, kwargs={"pk": item.pk}),
        Case("api:sync-decision-list", api()),
        Case("api:sync-decision-detail", em_sync_api, kwargs={"pk": decision.pk}),
        Case("api:sync-action-item-list", api()),
        Case("api:sync-action-item-detail", em_sync_api, kwargs={"pk": action.pk}),
        Case("api:sync-action-item-detail", one_on_one_api, kwargs={"pk": private_action.pk}),
    ]


