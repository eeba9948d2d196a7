"""Meeting notes, saved against the version the writer opened."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from apps.core.access import Actor
from apps.syncs.models import MAX_NOTES_CHARS, Meeting
from apps.syncs.services.checks import _check_visible


@dataclass
class NotesConflict(Exception):
    """A save based on a stale version: someone else saved first. Carries both texts."""

    current_body: str
    current_version: int
    current_author: str
    your_body: str
    your_version: int

    def __str__(self) -> str:
        return (f"The notes were changed by {self.current_author or 'someone else'} "
                f"(version {self.current_version}) since you opened version {self.your_version}.")


def meeting_notes_save(*, actor: Actor, meeting: Meeting, body: str, version: Any) -> Meeting:
    """Save the notes if nobody saved since ``version``; otherwise raise :class:`NotesConflict`.

    The check and the write are one conditional UPDATE (``WHERE version = %s``), so of two
    concurrent writers exactly one wins, on any database, without holding a lock."""
    _check_visible(actor, meeting.series)
    if body is None:
        body = ""
    if not isinstance(body, str):
        raise ValidationError({"body": "The notes must be text."})
    if len(body) > MAX_NOTES_CHARS:
        raise ValidationError({"body": f"The notes are {len(body):,} characters long; the limit is {MAX_NOTES_CHARS:,}."})
    try:
        version = int(version)
    except (TypeError, ValueError):
        raise ValidationError({"version": "The version you edited is required (a whole number)."})
    if version < 0:
        raise ValidationError({"version": "The version is a whole number from 0."})
    now = timezone.now()
    with transaction.atomic():
        updated = Meeting.objects.filter(pk=meeting.pk, version=version).update(
            notes=body, version=F("version") + 1, notes_updated_at=now, notes_updated_by=actor.person,
            updated_at=now,
        )
    meeting.refresh_from_db()
    if not updated:
        author = meeting.notes_updated_by.full_name if meeting.notes_updated_by else ""
        raise NotesConflict(current_body=meeting.notes, current_version=meeting.version, current_author=author,
                            your_body=body, your_version=version)
    return meeting
