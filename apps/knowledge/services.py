"""Every write of knowledge sharing. Check (permission, validation), then do, in one transaction."""
from __future__ import annotations

import calendar as _calendar
import re
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.db.models import Max, Sum
from django.utils import timezone
from django.utils.formats import date_format

from apps.core.access import Actor
from apps.knowledge import policy
from apps.knowledge.models import (
    MAX_TALK_MINUTES,
    Attendance,
    CalendarFeed,
    Feedback,
    Proposal,
    ProposalVote,
    Session,
    SessionSeries,
    Talk,
    Track,
)
from apps.org.models import Person

CHECK_IN_OPENS_BEFORE = timedelta(hours=1)


# -- Validation helpers ----------------------------------------------------------------------------
def _clean_text(value, *, field_name: str, max_length: int, required: bool = True) -> str:
    text = (value or "").strip()
    if required and not text:
        raise ValidationError({field_name: "This field is required."})
    if len(text) > max_length:
        raise ValidationError({field_name: f"At most {max_length} characters."})
    return text


def _clean_minutes(value, *, field_name: str = "duration_minutes", low: int = 5, high: int = MAX_TALK_MINUTES) -> int:
    try:
        minutes = int(value)
    except (TypeError, ValueError):
        raise ValidationError({field_name: "Give a whole number of minutes."})
    if not low <= minutes <= high:
        raise ValidationError({field_name: f"Between {low} and {high} minutes."})
    return minutes


def _clean_track(value) -> str:
    if value not in Track.values:
        raise ValidationError({"track": f"Unknown track {value!r}; use one of {', '.join(Track.values)}."})
    return value


def _clean_url(value, *, field_name: str) -> str:
    url = (value or "").strip()
    if url:
        try:
            URLValidator(schemes=["http", "https"])(url)
        except ValidationError:
            raise ValidationError({field_name: "Enter a valid http(s) URL."})
    return url


def _locked_session(session: Session) -> Session:
    """Lock the session row so two schedulers cannot both fill the last free minutes."""
    return Session.objects.select_for_update().get(pk=session.pk)


def booked_minutes(session: Session, *, exclude: Talk | None = None) -> int:
    qs = Talk.objects.filter(session=session)
    if exclude is not None:
        qs = qs.exclude(pk=exclude.pk)
    return qs.aggregate(total=Sum("duration_minutes"))["total"] or 0


def _check_fits(session: Session, minutes: int, *, exclude: Talk | None = None, field_name: str = "session") -> None:
    """The agenda respects the session's length: refuse a talk that would overrun it."""
    if session.is_cancelled:
        raise ValidationError({field_name: f"“{session}” is cancelled."})
    booked = booked_minutes(session, exclude=exclude)
    if booked + minutes > session.duration_minutes:
        left = max(0, session.duration_minutes - booked)
        raise ValidationError({field_name: (
            f"A {minutes}-minute talk would overrun “{session}”: {booked} of its {session.duration_minutes} "
            f"minutes are already booked, {left} left."
        )})


def _next_position(session: Session) -> int:
    return (Talk.objects.filter(session=session).aggregate(m=Max("position"))["m"] or 0) + 1


# -- Series and generation ----------------------------------------------------------------------------
def _nth_weekday(year: int, month: int, weekday: int, nth: int) -> date | None:
    days = [d for d in _calendar.Calendar().itermonthdates(year, month) if d.month == month and d.weekday() == weekday]
    if nth == -1:
        return days[-1]
    return days[nth - 1] if 1 <= nth <= len(days) else None


def series_occurrences(series: SessionSeries, *, start: date, count: int) -> list[date]:
    """The next ``count`` dates of the series on or after ``start`` (and its ``starts_on``),
    stopping at ``ends_on``. Weekly/biweekly dates are anchored on ``starts_on``."""
    start = max(start, series.starts_on)
    found: list[date] = []
    if series.cadence == SessionSeries.Cadence.MONTHLY:
        year, month = start.year, start.month
        for _ in range(count * 2 + 24):
            day = _nth_weekday(year, month, series.weekday, series.week_of_month)
            if day and day >= start:
                found.append(day)
            if len(found) >= count:
                break
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    else:
        step = 7 if series.cadence == SessionSeries.Cadence.WEEKLY else 14
        first = series.starts_on + timedelta(days=(series.weekday - series.starts_on.weekday()) % 7)
        if start > first:
            first += timedelta(days=-(-(start - first).days // step) * step)
        found = [first + timedelta(days=step * i) for i in range(count)]
    if series.ends_on:
        found = [d for d in found if d <= series.ends_on]
    return found[:count]


def _occurrence_start(series: SessionSeries, day: date) -> datetime:
    return datetime.combine(day, series.start_time, tzinfo=zoneinfo.ZoneInfo(series.time_zone))


def session_title(series: SessionSeries, day: date) -> str:
    return f"{series.name} — {date_format(day, 'F Y') if series.cadence == SessionSeries.Cadence.MONTHLY else date_format(day, 'j F Y')}"


@transaction.atomic
def series_generate_sessions(*, series: SessionSeries, today: date | None = None,
                             start: date | None = None, count: int | None = None) -> list[Session]:
    """Make sure the series' next ``generate_ahead`` sessions exist. Idempotent: keyed by
    (series, occurrence_date), so running it twice (or concurrently: the unique constraint
    settles the race) creates nothing twice, and a session moved or edited by hand is kept."""
    if not series.is_active:
        return []
    today = today or timezone.localdate()
    created: list[Session] = []
    for day in series_occurrences(series, start=start or today, count=count or series.generate_ahead):
        if Session.objects.filter(series=series, occurrence_date=day).exists():
            continue
        try:
            with transaction.atomic():
                created.append(Session.objects.create(
                    series=series, occurrence_date=day, title=session_title(series, day),
                    starts_at=_occurrence_start(series, day), duration_minutes=series.duration_minutes,
                    location=series.location, call_url=series.call_url, host=series.host,
                ))
        except IntegrityError:  # another worker created it meanwhile
            continue
    return created


def series_generate_all(*, today: date | None = None) -> int:
    """What the beat task runs: every active series, one transaction each."""
    return sum(len(series_generate_sessions(series=s, today=today)) for s in SessionSeries.objects.filter(is_active=True))


SERIES_FIELDS = ("name", "description", "cadence", "weekday", "week_of_month", "start_time", "time_zone",
                 "duration_minutes", "starts_on", "ends_on", "generate_ahead", "location", "call_url", "host",
                 "is_active")


def _validate_series(series: SessionSeries) -> None:
    errors: dict[str, str] = {}
    series.name = (series.name or "").strip()
    if not series.name:
        errors["name"] = "This field is required."
    elif SessionSeries.objects.filter(name__iexact=series.name).exclude(pk=series.pk).exists():
        errors["name"] = "Another series has this name."
    if series.cadence not in SessionSeries.Cadence.values:
        errors["cadence"] = "Unknown cadence."
    if series.weekday not in range(7):
        errors["weekday"] = "Use 0 (Monday) to 6 (Sunday)."
    if series.week_of_month not in SessionSeries.WeekOfMonth.values:
        errors["week_of_month"] = "Use 1–4, or -1 for the last week."
    if series.time_zone not in zoneinfo.available_timezones():
        errors["time_zone"] = f"Unknown time zone {series.time_zone!r}."
    if not series.starts_on:
        errors["starts_on"] = "This field is required."
    elif series.ends_on and series.ends_on < series.starts_on:
        errors["ends_on"] = "The series cannot end before it starts."
    if not 5 <= (series.duration_minutes or 0) <= 600:
        errors["duration_minutes"] = "Between 5 and 600 minutes."
    if not 1 <= (series.generate_ahead or 0) <= 24:
        errors["generate_ahead"] = "Between 1 and 24 sessions."
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def series_create(*, actor: Actor, **fields) -> SessionSeries:
    policy.require(policy.can_manage_series(actor), "Only the CTO may create a series.")
    unknown = set(fields) - set(SERIES_FIELDS)
    if unknown:
        raise ValidationError({name: "Unknown field." for name in unknown})
    series = SessionSeries(**fields)
    _validate_series(series)
    series.save()
    return series


@transaction.atomic
def series_update(*, actor: Actor, series: SessionSeries, **fields) -> SessionSeries:
    """Changes apply to sessions generated from now on; existing sessions stay as they are."""
    policy.require(policy.can_manage_series(actor), "Only the CTO may change a series.")
    for name, value in fields.items():
        if name not in SERIES_FIELDS:
            raise ValidationError({name: "Unknown field."})
        setattr(series, name, value)
    _validate_series(series)
    series.save()
    return series


# -- Sessions -------------------------------------------------------------------------------------------
SESSION_FIELDS = ("title", "description", "starts_at", "duration_minutes", "location", "call_url", "host",
                  "recording_url", "is_cancelled")


def _validate_session(session: Session) -> None:
    errors: dict[str, str] = {}
    session.title = (session.title or "").strip()
    if not session.title:
        errors["title"] = "This field is required."
    elif len(session.title) > 200:
        errors["title"] = "At most 200 characters."
    if session.starts_at is None:
        errors["starts_at"] = "This field is required."
    if not 5 <= (session.duration_minutes or 0) <= 600:
        errors["duration_minutes"] = "Between 5 and 600 minutes."
    elif session.pk:
        booked = booked_minutes(session)
        if booked > session.duration_minutes:
            errors["duration_minutes"] = (
                f"The agenda already holds {booked} minutes of talks; move a talk before shortening the session."
            )
    for name in ("call_url", "recording_url"):
        try:
            setattr(session, name, _clean_url(getattr(session, name), field_name=name))
        except ValidationError as exc:
            errors.update({k: v[0] for k, v in exc.message_dict.items()})
    if session.host is not None and not session.host.is_active:
        errors["host"] = "The host has left the company."
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def session_create(*, actor: Actor, **fields) -> Session:
    """A one-off session (series sessions are generated). The CTO and hosts create them; a
    host who is not the CTO hosts what they create."""
    policy.require(policy.can_curate(actor), "Only the CTO and session hosts may create sessions.")
    unknown = set(fields) - set(SESSION_FIELDS)
    if unknown:
        raise ValidationError({name: "Unknown field." for name in unknown})
    session = Session(**fields)
    if session.host is None and actor.person is not None:
        session.host = actor.person
    if not actor.is_cto and session.host_id != actor.person_id:
        raise ValidationError({"host": "You may only create sessions you host yourself."})
    _validate_session(session)
    session.save()
    return session


@transaction.atomic
def session_update(*, actor: Actor, session: Session, **fields) -> Session:
    session = _locked_session(session)
    policy.require(policy.can_manage_session(actor, session), "Only the CTO and the session's host may edit it.")
    for name, value in fields.items():
        if name not in SESSION_FIELDS:
            raise ValidationError({name: "Unknown field."})
        setattr(session, name, value)
    _validate_session(session)
    session.save()
    return session


# -- Proposals ------------------------------------------------------------------------------------------
@transaction.atomic
def proposal_create(*, actor: Actor, title: str, abstract: str = "", track: str = Track.OTHER,
                    duration_minutes: int = 20, co_speakers: Iterable[Person] = ()) -> Proposal:
    policy.require_person(actor)
    proposal = Proposal(
        title=_clean_text(title, field_name="title", max_length=200),
        abstract=_clean_text(abstract, field_name="abstract", max_length=20000, required=False),
        track=_clean_track(track),
        duration_minutes=_clean_minutes(duration_minutes),
        proposer=actor.person,
    )
    co = [p for p in co_speakers if p.pk != actor.person_id]
    if any(not p.is_active for p in co):
        raise ValidationError({"co_speakers": "A co-speaker has left the company."})
    proposal.save()
    proposal.co_speakers.set(co)
    return proposal


@transaction.atomic
def proposal_update(*, actor: Actor, proposal: Proposal, **fields) -> Proposal:
    policy.require(actor.person_id == proposal.proposer_id or policy.can_curate(actor),
                   "Only the proposer, the CTO and hosts may edit a proposal.")
    if proposal.status != Proposal.Status.BACKLOG:
        raise ValidationError({"status": f"This proposal is {proposal.get_status_display().lower()}; "
                                         "only proposals in the backlog can be edited."})
    for name, value in fields.items():
        if name == "title":
            proposal.title = _clean_text(value, field_name="title", max_length=200)
        elif name == "abstract":
            proposal.abstract = _clean_text(value, field_name="abstract", max_length=20000, required=False)
        elif name == "track":
            proposal.track = _clean_track(value)
        elif name == "duration_minutes":
            proposal.duration_minutes = _clean_minutes(value)
        elif name == "co_speakers":
            continue
        else:
            raise ValidationError({name: "Unknown field."})
    proposal.save()
    if "co_speakers" in fields:
        proposal.co_speakers.set([p for p in fields["co_speakers"] if p.pk != proposal.proposer_id])
    return proposal


def proposal_vote(*, actor: Actor, proposal: Proposal) -> tuple[ProposalVote, bool]:
    """Upvote; idempotent: voting again returns the existing vote (created=False). The unique
    constraint is the real guard against two concurrent votes of the same person."""
    policy.require_person(actor)
    if proposal.status != Proposal.Status.BACKLOG:
        raise ValidationError({"proposal": "Only proposals in the backlog can be voted on."})
    try:
        with transaction.atomic():
            vote, created = ProposalVote.objects.get_or_create(proposal=proposal, person_id=actor.person_id)
    except IntegrityError:
        vote, created = ProposalVote.objects.get(proposal=proposal, person_id=actor.person_id), False
    return vote, created


@transaction.atomic
def proposal_unvote(*, actor: Actor, proposal: Proposal) -> bool:
    """Withdraw one's vote; idempotent (False when there was none)."""
    policy.require_person(actor)
    deleted, _ = ProposalVote.objects.filter(proposal=proposal, person_id=actor.person_id).delete()
    return bool(deleted)


@transaction.atomic
def proposal_schedule(*, actor: Actor, proposal: Proposal, session: Session, slides_url: str = "") -> Talk:
    """Turn a backlog proposal into a talk on ``session``'s agenda, if it fits in the session."""
    proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
    session = _locked_session(session)
    policy.require(policy.can_manage_session(actor, session),
                   "Only the CTO and this session's host may schedule talks into it.")
    if proposal.status != Proposal.Status.BACKLOG:
        raise ValidationError({"proposal": f"This proposal is already {proposal.get_status_display().lower()}."})
    if session.ends_at < timezone.now():
        raise ValidationError({"session": f"“{session}” is over; pick an upcoming session."})
    _check_fits(session, proposal.duration_minutes)
    talk = Talk.objects.create(
        session=session, title=proposal.title, abstract=proposal.abstract, track=proposal.track,
        duration_minutes=proposal.duration_minutes, position=_next_position(session), proposal=proposal,
        slides_url=_clean_url(slides_url, field_name="slides_url") or (
            proposal.repeat_of.slides_url if proposal.repeat_of_id else ""),
        given_again_from=proposal.repeat_of,
    )
    talk.speakers.set([proposal.proposer_id, *proposal.co_speakers.values_list("pk", flat=True)])
    proposal.status = Proposal.Status.SCHEDULED
    proposal.decided_by = actor.person
    proposal.decided_at = timezone.now()
    proposal.decision_note = ""
    proposal.save(update_fields=["status", "decided_by", "decided_at", "decision_note", "updated_at"])
    return talk


@transaction.atomic
def proposal_reject(*, actor: Actor, proposal: Proposal, note: str) -> Proposal:
    policy.require(policy.can_curate(actor), "Only the CTO and session hosts may reject proposals.")
    proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
    note = _clean_text(note, field_name="note", max_length=2000)
    if proposal.status != Proposal.Status.BACKLOG:
        raise ValidationError({"proposal": f"This proposal is already {proposal.get_status_display().lower()}."})
    proposal.status = Proposal.Status.REJECTED
    proposal.decision_note = note
    proposal.decided_by = actor.person
    proposal.decided_at = timezone.now()
    proposal.save(update_fields=["status", "decision_note", "decided_by", "decided_at", "updated_at"])
    return proposal


@transaction.atomic
def proposal_withdraw(*, actor: Actor, proposal: Proposal) -> Proposal:
    policy.require(actor.person_id == proposal.proposer_id, "Only the proposer may withdraw a proposal.")
    proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
    if proposal.status != Proposal.Status.BACKLOG:
        raise ValidationError({"proposal": f"This proposal is already {proposal.get_status_display().lower()}."})
    proposal.status = Proposal.Status.WITHDRAWN
    proposal.save(update_fields=["status", "updated_at"])
    return proposal


# -- Talks ------------------------------------------------------------------------------------------------
@transaction.atomic
def talk_create(*, actor: Actor, session: Session, title: str, speakers: Iterable[Person], abstract: str = "",
                track: str = Track.OTHER, duration_minutes: int = 20, slides_url: str = "",
                recording_url: str = "") -> Talk:
    """A talk put straight on an agenda by the CTO or the host (e.g. an invited speaker)."""
    session = _locked_session(session)
    policy.require(policy.can_manage_session(actor, session),
                   "Only the CTO and this session's host may add talks to it.")
    speakers = list(speakers)
    if not speakers:
        raise ValidationError({"speakers": "A talk needs at least one speaker."})
    minutes = _clean_minutes(duration_minutes)
    talk = Talk(
        session=session, title=_clean_text(title, field_name="title", max_length=200),
        abstract=_clean_text(abstract, field_name="abstract", max_length=20000, required=False),
        track=_clean_track(track), duration_minutes=minutes,
        slides_url=_clean_url(slides_url, field_name="slides_url"),
        recording_url=_clean_url(recording_url, field_name="recording_url"),
    )
    _check_fits(session, minutes)
    talk.position = _next_position(session)
    talk.save()
    talk.speakers.set(speakers)
    return talk


@transaction.atomic
def talk_update(*, actor: Actor, talk: Talk, **fields) -> Talk:
    """Speakers, the host and the CTO edit a talk; a longer talk must still fit its session."""
    policy.require(policy.can_edit_talk(actor, talk), "Only the speakers, the host and the CTO may edit this talk.")
    session = _locked_session(talk.session)
    for name, value in fields.items():
        if name == "title":
            talk.title = _clean_text(value, field_name="title", max_length=200)
        elif name == "abstract":
            talk.abstract = _clean_text(value, field_name="abstract", max_length=20000, required=False)
        elif name == "track":
            talk.track = _clean_track(value)
        elif name == "duration_minutes":
            talk.duration_minutes = _clean_minutes(value)
        elif name in ("slides_url", "recording_url"):
            setattr(talk, name, _clean_url(value, field_name=name))
        elif name == "speakers":
            if not list(value):
                raise ValidationError({"speakers": "A talk needs at least one speaker."})
        else:
            raise ValidationError({name: "Unknown field."})
    if "duration_minutes" in fields:
        _check_fits(session, talk.duration_minutes, exclude=talk, field_name="duration_minutes")
    talk.save()
    if "speakers" in fields:
        talk.speakers.set(list(fields["speakers"]))
    return talk


@transaction.atomic
def talk_move(*, actor: Actor, talk: Talk, session: Session) -> Talk:
    """Move a talk to another session (pretalx can't): the CTO, or a host of both sessions."""
    talk = Talk.objects.select_for_update().get(pk=talk.pk)
    target = _locked_session(session)
    policy.require(
        policy.can_manage_session(actor, talk.session) and policy.can_manage_session(actor, target),
        "Only the CTO, or a host of both sessions, may move a talk.",
    )
    if target.pk == talk.session_id:
        raise ValidationError({"session": "The talk is already in this session."})
    if target.ends_at < timezone.now():
        raise ValidationError({"session": f"“{target}” is over; pick an upcoming session."})
    if talk.feedback.exists():
        raise ValidationError({"session": "This talk has feedback, so it was given: give it again instead."})
    _check_fits(target, talk.duration_minutes)
    talk.session = target
    talk.position = _next_position(target)
    talk.save(update_fields=["session", "position", "updated_at"])
    return talk


@transaction.atomic
def talk_give_again(*, actor: Actor, talk: Talk, session: Session) -> Talk:
    """Give a talk again in another session: a new talk with the same content and speakers,
    linked to the first; feedback and the recording stay with each occurrence. Scheduling is
    curation (the CTO or the target's host); a speaker offers a repeat with talk_propose_again."""
    target = _locked_session(session)
    policy.require(
        policy.can_manage_session(actor, target),
        "Only the CTO and the target session's host may schedule a talk again.",
    )
    if target.pk == talk.session_id:
        raise ValidationError({"session": "The talk is already in this session."})
    if target.ends_at < timezone.now():
        raise ValidationError({"session": f"“{target}” is over; pick an upcoming session."})
    _check_fits(target, talk.duration_minutes)
    again = Talk.objects.create(
        session=target, title=talk.title, abstract=talk.abstract, track=talk.track,
        duration_minutes=talk.duration_minutes, slides_url=talk.slides_url, position=_next_position(target),
        given_again_from=talk.given_again_from or talk,
    )
    again.speakers.set(talk.speakers.all())
    return again


@transaction.atomic
def talk_propose_again(*, actor: Actor, talk: Talk) -> Proposal:
    """A speaker offers their talk again: a backlog proposal with the same content, which the
    CTO or a host schedules like any other (the new talk then links to the first)."""
    policy.require(policy.is_speaker(actor, talk), "Only the speakers may offer their talk again.")
    original = talk.given_again_from or talk
    if Proposal.objects.filter(repeat_of=original, status=Proposal.Status.BACKLOG).exists():
        raise ValidationError({"talk": "This talk is already in the backlog to be given again."})
    proposal = Proposal.objects.create(
        title=talk.title, abstract=talk.abstract, track=talk.track, duration_minutes=talk.duration_minutes,
        proposer=actor.person, repeat_of=original,
    )
    proposal.co_speakers.set([p for p in talk.speakers.all() if p.pk != actor.person_id])
    return proposal


@transaction.atomic
def talk_share_feedback(*, actor: Actor, talk: Talk, shared: bool) -> Talk:
    policy.require(policy.is_speaker(actor, talk), "Only the speakers may share their feedback.")
    Talk.objects.filter(pk=talk.pk).update(feedback_shared=bool(shared))
    talk.feedback_shared = bool(shared)
    return talk


# -- Attendance and feedback ---------------------------------------------------------------------------------
def attendance_check_in(*, actor: Actor, session: Session, now: datetime | None = None) -> tuple[Attendance, bool]:
    """Self check-in, from an hour before the start; idempotent (checking in twice keeps one row)."""
    policy.require_person(actor)
    now = now or timezone.now()
    if session.is_cancelled:
        raise ValidationError({"session": "This session is cancelled."})
    if session.starts_at - CHECK_IN_OPENS_BEFORE > now:
        raise ValidationError({"session": "Check-in opens an hour before the session starts."})
    try:
        with transaction.atomic():
            return Attendance.objects.get_or_create(
                session=session, person_id=actor.person_id, defaults={"source": Attendance.Source.SELF}
            )
    except IntegrityError:
        return Attendance.objects.get(session=session, person_id=actor.person_id), False


@dataclass
class AttendanceImport:
    added: int = 0
    already: int = 0
    unknown: list[str] = field(default_factory=list)


EMAIL_SPLIT = re.compile(r"[\s,;]+")


@transaction.atomic
def attendance_import(*, actor: Actor, session: Session, emails: str) -> AttendanceImport:
    """Import attendees by email (e.g. the call's participant list). All or nothing: an unknown
    email refuses the whole import, naming every unknown address."""
    policy.require(policy.can_manage_session(actor, session), "Only the CTO and the host may import attendance.")
    wanted = [e.lower() for e in EMAIL_SPLIT.split(emails or "") if e]
    if not wanted:
        raise ValidationError({"emails": "Paste at least one email address."})
    people = {p.email.lower(): p for p in Person.objects.filter(email__in=wanted, is_active=True)}
    unknown = sorted({e for e in wanted if e not in people})
    if unknown:
        raise ValidationError({"emails": f"Unknown or inactive people: {', '.join(unknown)}. Nothing was imported."})
    result = AttendanceImport()
    existing = set(Attendance.objects.filter(session=session).values_list("person_id", flat=True))
    for person in {p.pk: p for p in people.values()}.values():
        if person.pk in existing:
            result.already += 1
            continue
        Attendance.objects.create(session=session, person=person, source=Attendance.Source.IMPORT)
        result.added += 1
    return result


def feedback_give(*, actor: Actor, talk: Talk, rating, comment: str = "",
                  now: datetime | None = None) -> tuple[Feedback, bool]:
    """One rating per person and talk: giving it again updates it. Speakers cannot rate
    their own talk, and only talks that have started can be rated."""
    policy.require_person(actor)
    try:
        rating = int(rating)
    except (TypeError, ValueError):
        raise ValidationError({"rating": "Give a rating from 1 to 5."})
    if not 1 <= rating <= 5:
        raise ValidationError({"rating": "Give a rating from 1 to 5."})
    comment = _clean_text(comment, field_name="comment", max_length=5000, required=False)
    if policy.is_speaker(actor, talk):
        raise ValidationError({"talk": "You cannot rate your own talk."})
    if talk.session.is_cancelled:
        raise ValidationError({"talk": "This session was cancelled."})
    if talk.session.starts_at > (now or timezone.now()):
        raise ValidationError({"talk": "Feedback opens once the session has started."})
    with transaction.atomic():
        try:
            with transaction.atomic():
                feedback, created = Feedback.objects.get_or_create(
                    talk=talk, person_id=actor.person_id, defaults={"rating": rating, "comment": comment}
                )
        except IntegrityError:
            feedback, created = Feedback.objects.get(talk=talk, person_id=actor.person_id), False
        if not created:
            feedback.rating, feedback.comment = rating, comment
            feedback.save(update_fields=["rating", "comment", "updated_at"])
    return feedback, created


# -- Calendar feed ---------------------------------------------------------------------------------------------
@transaction.atomic
def calendar_feed_get_or_create(*, actor: Actor) -> CalendarFeed:
    policy.require_person(actor)
    feed, _ = CalendarFeed.objects.get_or_create(person_id=actor.person_id,
                                                 defaults={"token": CalendarFeed.new_token()})
    return feed


@transaction.atomic
def calendar_feed_reset(*, actor: Actor) -> CalendarFeed:
    """A new secret URL; the old one stops working at once."""
    policy.require_person(actor)
    feed, created = CalendarFeed.objects.get_or_create(person_id=actor.person_id,
                                                       defaults={"token": CalendarFeed.new_token()})
    if not created:
        feed.token = CalendarFeed.new_token()
        feed.created_at = timezone.now()
        feed.save(update_fields=["token", "created_at"])
    return feed

