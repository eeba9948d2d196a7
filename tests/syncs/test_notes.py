"""Notes: Markdown rendered safely, live preview, and the two-writer conflict (page and API)."""
from __future__ import annotations

import pytest
from django.urls import reverse

from apps.syncs import services
from apps.syncs.models import MAX_NOTES_CHARS
from tests.syncs.builders import actor, build

XSS = [
    '<script>alert("x")</script>',
    '<img src=x onerror="alert(1)">',
    '[click me](javascript:alert(1))',
    '<a href="javascript:alert(2)">link</a>',
    '<div onmouseover="alert(3)">hover</div>',
    '<iframe src="https://evil.example"></iframe>',
]


@pytest.fixture
def data(world):
    return build(world)


def test_second_writer_gets_a_conflict_with_both_texts(world, data):
    meeting = data.em_meeting
    services.meeting_notes_save(actor=actor(world, "em"), meeting=meeting, body="EM's notes", version=0)
    with pytest.raises(services.NotesConflict) as exc:
        services.meeting_notes_save(actor=actor(world, "cto"), meeting=meeting, body="CTO's notes", version=0)
    conflict = exc.value
    assert (conflict.current_body, conflict.current_version, conflict.your_body, conflict.your_version) == (
        "EM's notes", 1, "CTO's notes", 0)
    assert conflict.current_author == "Em Person"
    meeting.refresh_from_db()
    assert (meeting.notes, meeting.version, meeting.notes_updated_by_id) == ("EM's notes", 1, world.em.pk)


def test_conflict_page_shows_both_texts_and_overwrites_nothing(world, data):
    meeting = data.em_meeting
    url = reverse("syncs:notes-save", args=[meeting.pk])
    em, cto = world.client("em"), world.client("cto")
    # Both open the page at version 0.
    for client in (em, cto):
        page = client.get(reverse("syncs:meeting-detail", args=[meeting.pk])).content.decode()
        assert 'name="version" value="0"' in page
    assert em.post(url, {"body": "Decided: ship Friday", "version": 0}).status_code == 302
    response = cto.post(url, {"body": "Decided: ship Monday", "version": 0})
    assert response.status_code == 409
    html = response.content.decode()
    assert "Decided: ship Friday" in html and "Decided: ship Monday" in html
    assert 'data-testid="notes-conflict"' in html
    assert 'name="version" value="1"' in html  # the merge form is based on the current version
    meeting.refresh_from_db()
    assert (meeting.notes, meeting.version) == ("Decided: ship Friday", 1)
    # Saving the merge on top of version 1 works.
    assert cto.post(url, {"body": "Decided: ship Friday (CTO agrees)", "version": 1}).status_code == 302
    meeting.refresh_from_db()
    assert (meeting.notes, meeting.version) == ("Decided: ship Friday (CTO agrees)", 2)


def test_api_conflict_is_409_with_both_texts(world, data):
    meeting = data.em_meeting
    url = reverse("api:sync-meeting-notes", args=[meeting.pk])
    first = world.client("em").put(url, {"body": "One", "version": 0}, content_type="application/json")
    assert first.status_code == 200
    assert (first.json()["body"], first.json()["version"]) == ("One", 1)
    second = world.client("service").put(url, {"body": "Two", "version": 0}, content_type="application/json")
    assert second.status_code == 409
    body = second.json()
    assert body["current"]["body"] == "One"
    assert body["current"]["version"] == 1
    assert body["yours"] == {"body": "Two", "version": 0}
    assert "changed by Em Person" in body["detail"]
    meeting.refresh_from_db()
    assert (meeting.notes, meeting.version) == ("One", 1)


def test_api_notes_without_version_is_400(world, data):
    url = reverse("api:sync-meeting-notes", args=[data.em_meeting.pk])
    response = world.client("em").put(url, {"body": "No version"}, content_type="application/json")
    assert response.status_code == 400
    assert "version" in response.json()
    response = world.client("em").put(url, {"body": "Bad", "version": "abc"}, content_type="application/json")
    assert response.status_code == 400
    data.em_meeting.refresh_from_db()
    assert data.em_meeting.notes == ""


def test_a_one_megabyte_note_is_refused_with_a_clear_error(world, data):
    meeting = data.em_meeting
    huge = "x" * (1024 * 1024)
    response = world.client("em").post(reverse("syncs:notes-save", args=[meeting.pk]), {"body": huge, "version": 0})
    assert response.status_code == 400
    assert f"at most {MAX_NOTES_CHARS} characters (it has 1048576)" in response.content.decode()
    response = world.client("em").put(reverse("api:sync-meeting-notes", args=[meeting.pk]),
                                      {"body": huge, "version": 0}, content_type="application/json")
    assert response.status_code == 400
    assert f"no more than {MAX_NOTES_CHARS}" in response.json()["body"][0]
    with pytest.raises(services.ValidationError) as exc:
        services.meeting_notes_save(actor=actor(world, "em"), meeting=meeting, body=huge, version=0)
    assert "limit is 100,000" in exc.value.message_dict["body"][0]
    meeting.refresh_from_db()
    assert (meeting.notes, meeting.version) == ("", 0)


@pytest.mark.parametrize("payload", XSS)
def test_xss_in_notes_is_neutralised_everywhere(world, data, payload):
    meeting = data.em_meeting
    body = f"# Notes\n\n{payload}\n\n**kept**"
    services.meeting_notes_save(actor=actor(world, "em"), meeting=meeting, body=body, version=0)
    client = world.client("em")
    page = client.get(reverse("syncs:meeting-detail", args=[meeting.pk])).content.decode()
    rendered = page.split('id="notes-view"', 1)[1].split("</section>", 1)[0]
    preview = client.post(reverse("syncs:notes-preview"), {"body": body}).content.decode()
    api_html = client.get(reverse("api:sync-meeting-notes", args=[meeting.pk])).json()["html"]
    for html in (rendered, preview, api_html):
        lowered = html.lower()
        assert "<script" not in lowered
        assert "onerror" not in lowered and "onmouseover" not in lowered
        assert "javascript:" not in lowered
        assert "<iframe" not in lowered
        assert "<strong>kept</strong>" in html


def test_preview_renders_markdown(world):
    response = world.client("tl").post(reverse("syncs:notes-preview"), {"body": "- [Docs](https://example.com)\n- *two*"})
    assert response.status_code == 200
    html = response.content.decode()
    assert '<a href="https://example.com" rel="noopener noreferrer nofollow">Docs</a>' in html
    assert "<em>two</em>" in html


def test_meeting_export_is_markdown(world, data):
    meeting = data.em_meeting
    services.meeting_notes_save(actor=actor(world, "em"), meeting=meeting, body="We talked.", version=0)
    services.decision_record(actor=actor(world, "em"), series=data.em_sync, meeting=meeting, text="Hire two SREs")
    response = world.client("cto").get(reverse("syncs:meeting-export", args=[meeting.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/markdown; charset=utf-8"
    text = response.content.decode()
    assert text.startswith("# EM Sync — ")
    assert "## Notes\n\nWe talked.\n" in text
    assert "- Hire two SREs — Em Person" in text
