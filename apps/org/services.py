"""Every write to the org. Check (permission, validation), then do, in one transaction."""
from __future__ import annotations

import csv
import io
import zoneinfo
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.text import slugify

from apps.core.access import Actor
from apps.core.roles import PERSON_ROLES
from apps.org.models import TIME_ZONE_CHOICES, Person, Team

PERSON_FIELDS = (
    "full_name", "email", "title", "role", "level", "team", "manager", "location", "country",
    "time_zone", "start_date",
)
VALID_ROLES = {value for value, _ in PERSON_ROLES}


def _check_can_manage(actor: Actor) -> None:
    if not actor.can_manage_people():
        raise PermissionDenied("Only the CTO and HR may change people and teams.")


def _would_cycle(person_id: int | None, manager: Person | None) -> bool:
    """True when making ``manager`` the manager of ``person_id`` closes a loop."""
    if manager is None or person_id is None:
        return False
    managers = dict(Person.objects.values_list("id", "manager_id"))
    seen: set[int] = set()
    current: int | None = manager.pk
    while current is not None and current not in seen:
        if current == person_id:
            return True
        seen.add(current)
        current = managers.get(current)
    return False


def _validate_person(person: Person) -> None:
    errors: dict[str, str] = {}
    person.email = (person.email or "").strip().lower()
    person.country = (person.country or "").strip().upper()
    if person.country and (len(person.country) != 2 or not person.country.isalpha()):
        errors["country"] = "Use a two-letter ISO 3166 code, e.g. PT or US."
    if person.time_zone not in zoneinfo.available_timezones():
        errors["time_zone"] = f"Unknown time zone {person.time_zone!r}."
    clash = Person.objects.filter(email__iexact=person.email).exclude(pk=person.pk)
    if person.email and clash.exists():
        errors["email"] = "Another person already has this email."
    if person.manager_id and person.pk and person.manager_id == person.pk:
        errors["manager"] = "A person cannot manage themself."
    elif _would_cycle(person.pk, person.manager):
        errors["manager"] = "That manager reports (directly or not) to this person: it would make a loop."
    if person.manager is not None and not person.manager.is_active:
        errors["manager"] = "The manager has left the company."
    if errors:
        raise ValidationError(errors)
    person.full_clean(exclude=["user"], validate_unique=False, validate_constraints=False)


@transaction.atomic
def person_create(*, actor: Actor, **fields) -> Person:
    _check_can_manage(actor)
    unknown = set(fields) - set(PERSON_FIELDS)
    if unknown:
        raise ValidationError({name: "Unknown field." for name in unknown})
    person = Person(**fields)
    _validate_person(person)
    person.save()
    return person


@transaction.atomic
def person_update(*, actor: Actor, person: Person, **fields) -> Person:
    _check_can_manage(actor)
    for name, value in fields.items():
        if name not in PERSON_FIELDS:
            raise ValidationError({name: "Unknown field."})
        setattr(person, name, value)
    _validate_person(person)
    person.save()
    return person


def _chunks(items: Iterable, size: int = 500) -> Iterator[list]:
    """Slices of ``items`` small enough for one ``IN (...)`` (SQLite caps the parameters)."""
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _leavers_hand_over(*, leavers: Sequence[Person]) -> int:
    """What leavers hand over, for one or many at once (``person_deactivate`` and the HR import
    share it): their active direct reports move to the leaver's nearest manager who stays (a
    manager leaving in the same batch is skipped), the teams they led lose their lead, and their
    logins are disabled. The caller has checked permissions and writes the leavers' own rows
    (``is_active``, ``end_date``). A few queries per 500 leavers, whatever the org's size.
    Returns how many reports moved."""
    manager_of = {p.pk: p.manager_id for p in leavers}
    if not manager_of:
        return 0

    def successor(manager_id: int | None) -> int | None:
        seen: set[int] = set()
        while manager_id in manager_of and manager_id not in seen:
            seen.add(manager_id)
            manager_id = manager_of[manager_id]
        return None if manager_id in manager_of else manager_id

    now = timezone.now()
    moved: list[Person] = []
    for ids in _chunks(manager_of):
        for report in Person.objects.filter(manager_id__in=ids, is_active=True).only("id", "manager_id"):
            if report.pk in manager_of:
                continue  # leaving too
            report.manager_id = successor(report.manager_id)
            report.updated_at = now
            moved.append(report)
        Team.objects.filter(lead_id__in=ids).update(lead=None, updated_at=now)
    Person.objects.bulk_update(moved, ["manager", "updated_at"], batch_size=500)
    _logins_set_active(user_ids=[p.user_id for p in leavers if p.user_id], active=False)
    return len(moved)


def _logins_set_active(*, user_ids: Sequence[int], active: bool) -> None:
    for ids in _chunks(user_ids):
        get_user_model().objects.filter(pk__in=ids).update(is_active=active)


@transaction.atomic
def person_deactivate(*, actor: Actor, person: Person, end_date: date | None = None) -> Person:
    """A leaver is deactivated, never deleted: their history stays. Their direct reports move
    to their manager, and their login is disabled."""
    _check_can_manage(actor)
    if not person.is_active:
        return person
    if actor.person_id == person.pk:
        raise ValidationError("You cannot deactivate yourself.")
    person.is_active = False
    person.end_date = end_date or timezone.localdate()
    person.save(update_fields=["is_active", "end_date", "updated_at"])
    _leavers_hand_over(leavers=[person])
    return person


@transaction.atomic
def person_reactivate(*, actor: Actor, person: Person) -> Person:
    _check_can_manage(actor)
    person.is_active = True
    person.end_date = None
    person.save(update_fields=["is_active", "end_date", "updated_at"])
    _logins_set_active(user_ids=[person.user_id] if person.user_id else [], active=True)
    return person


def _validate_team(team: Team) -> None:
    if not team.slug:
        team.slug = slugify(team.name)[:100]
    if Team.objects.filter(name__iexact=team.name).exclude(pk=team.pk).exists():
        raise ValidationError({"name": "A team with this name exists already."})
    if Team.objects.filter(slug=team.slug).exclude(pk=team.pk).exists():
        raise ValidationError({"slug": "A team with this slug exists already."})
    team.full_clean(validate_unique=False)


@transaction.atomic
def team_create(*, actor: Actor, name: str, kind: str = Team.Kind.ENGINEERING, lead: Person | None = None,
                description: str = "", slug: str = "") -> Team:
    _check_can_manage(actor)
    team = Team(name=name, kind=kind, lead=lead, description=description, slug=slug)
    _validate_team(team)
    team.save()
    return team


@transaction.atomic
def team_update(*, actor: Actor, team: Team, **fields) -> Team:
    _check_can_manage(actor)
    for name, value in fields.items():
        if name not in {"name", "kind", "lead", "description", "slug", "is_active"}:
            raise ValidationError({name: "Unknown field."})
        setattr(team, name, value)
    _validate_team(team)
    team.save()
    return team


# -- CSV import of people (an HR export) -----------------------------------------------------
IMPORT_COLUMNS = (
    "email", "full_name", "title", "role", "level", "team", "manager_email", "location", "country",
    "time_zone", "start_date", "active",
)
REQUIRED_COLUMNS = ("email", "full_name", "role")
MAX_IMPORT_ROWS = 50_000
# The column whose text lands in each Person field: their lengths are checked against the model.
TEXT_COLUMNS = {"email": "email", "full_name": "full_name", "title": "title", "level": "level"}
IMPORT_TIME_ZONES = frozenset(value for value, _ in TIME_ZONE_CHOICES)
# Any fixed 64-bit number, the same in every process: the PostgreSQL advisory lock of the import.
PEOPLE_IMPORT_LOCK = 0x6F72675F70656F70  # "org_peop"


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return self.created + self.updated + self.unchanged


@dataclass
class _Row:
    number: int
    values: dict


def _parse_bool(raw: str) -> bool | None:
    value = raw.strip().lower()
    if value in {"", "1", "true", "yes", "y", "active"}:
        return True
    if value in {"0", "false", "no", "n", "inactive", "left"}:
        return False
    return None


def people_import_parse(content: str, *, actor: Actor | None = None,
                        existing: dict[str, Person] | None = None) -> tuple[list[_Row], list[str]]:
    """Parse and validate every row; returns (rows, errors). Nothing is written here. Every value
    is checked against what the database holds (lengths, choices, NUL characters), so a file that
    passes cannot fail half-way with a database error.

    ``existing`` is the portal's people by lower-case email (read here when not given); ``actor``,
    when given, may not mark themself as a leaver. Row numbers are those a spreadsheet shows: the
    header is row 1."""
    errors: list[str] = []
    if content.startswith("\ufeff"):
        content = content[1:]
    reader = csv.DictReader(io.StringIO(content))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    if not header:
        return [], ["The file is empty: expected a header row with " + ", ".join(IMPORT_COLUMNS) + "."]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    unknown = [c for c in header if c not in IMPORT_COLUMNS]
    if missing:
        errors.append(f"Row 1: missing required column(s): {', '.join(missing)}.")
    if unknown:
        errors.append(f"Row 1: unknown column(s): {', '.join(unknown)}; expected {', '.join(IMPORT_COLUMNS)}.")
    if errors:
        return [], errors
    reader.fieldnames = header

    all_teams = list(Team.objects.all())
    teams = {t.name.lower(): t for t in all_teams} | {t.slug: t for t in all_teams}
    max_length = {column: Person._meta.get_field(name).max_length for column, name in TEXT_COLUMNS.items()}
    rows: list[_Row] = []
    seen_emails: dict[str, int] = {}
    for number, raw in enumerate(reader, start=2):
        if number - 1 > MAX_IMPORT_ROWS:
            errors.append(f"The file has more than {MAX_IMPORT_ROWS} rows.")
            break
        if None in raw:
            errors.append(f"Row {number}: more values than columns.")
            continue
        values = {k: (v or "").strip() for k, v in raw.items()}
        if not any(values.values()):
            continue  # a blank line
        row_errors: list[str] = []

        def bad(column: str, message: str, number: int = number, row_errors: list[str] = row_errors) -> None:
            row_errors.append(f"Row {number}, column '{column}': {message}")

        for column, value in values.items():
            if "\x00" in value:  # PostgreSQL text cannot hold it
                bad(column, "contains a NUL character.")
                values[column] = value.replace("\x00", "")
        for column, limit in max_length.items():
            if len(values.get(column, "")) > limit:
                bad(column, f"is {len(values[column])} characters long; at most {limit} fit.")
        email = values.get("email", "").lower()
        if len(email) <= max_length["email"]:
            try:
                validate_email(email)
            except ValidationError:
                bad("email", f"{values.get('email')!r} is not a valid email address.")
        if email in seen_emails:
            bad("email", f"{email} appears already in row {seen_emails[email]}.")
        seen_emails.setdefault(email, number)
        if not values.get("full_name"):
            bad("full_name", "is required.")
        role = values.get("role", "").lower()
        if role not in VALID_ROLES:
            bad("role", f"{values.get('role')!r} is not one of {', '.join(sorted(VALID_ROLES))}.")
        team_name = values.get("team", "")
        team = None
        if team_name:
            team = teams.get(team_name.lower()) or teams.get(slugify(team_name))
            if team is None:
                bad("team", f"no team named {team_name!r}; create it first.")
        location = values.get("location", "").lower() or Person.Location.LOCAL
        if location not in Person.Location.values:
            bad("location", f"{values.get('location')!r} is not 'local' or 'remote'.")
        country = values.get("country", "").upper()
        if country and (len(country) != 2 or not country.isalpha()):
            bad("country", f"{values.get('country')!r} is not a two-letter ISO code.")
        tz = values.get("time_zone", "") or "UTC"
        if tz not in IMPORT_TIME_ZONES:
            bad("time_zone", f"{tz!r} is not a known time zone (e.g. Europe/Lisbon).")
        start = None
        if values.get("start_date"):
            try:
                start = parse_date(values["start_date"])
            except ValueError:
                start = None
            if start is None:
                bad("start_date", f"{values['start_date']!r} is not a date (YYYY-MM-DD).")
        active = _parse_bool(values.get("active", ""))
        if active is None:
            bad("active", f"{values.get('active')!r} is not yes/no.")
        errors.extend(row_errors)
        rows.append(_Row(number, {
            "email": email, "full_name": values.get("full_name", ""), "title": values.get("title", ""),
            "role": role, "level": values.get("level", ""), "team": team,
            "manager_email": values.get("manager_email", "").lower(), "location": location,
            "country": country, "time_zone": tz, "start_date": start, "is_active": active,
        }))
    if not rows and not errors:
        errors.append("The file has a header but no rows.")
    if errors:
        return rows, errors

    # Managers: in the file or already in the portal, still with the company, and no loops in the
    # resulting tree. (Ids, not ``p.manager``: one query for the whole org, not one per person.)
    if existing is None:
        existing = {p.email.lower(): p for p in Person.objects.all()}
    email_of = {p.pk: e for e, p in existing.items()}
    final_manager: dict[str, str | None] = {e: email_of.get(p.manager_id) for e, p in existing.items()
                                           if p.manager_id}
    final_active = {e: p.is_active for e, p in existing.items()}
    by_row = {r.values["email"]: r for r in rows}
    for row in rows:
        final_active[row.values["email"]] = row.values["is_active"]
    me = email_of.get(actor.person_id) if actor is not None and actor.person_id else None
    for row in rows:
        m = row.values["manager_email"]
        if m and m not in by_row and m not in existing:
            errors.append(f"Row {row.number}, column 'manager_email': no person with email {m} in the file or the portal.")
        elif m == row.values["email"]:
            errors.append(f"Row {row.number}, column 'manager_email': a person cannot manage themself.")
        elif m and row.values["is_active"] and not final_active[m]:
            where = f"marked as a leaver in row {by_row[m].number}" if m in by_row else "has left the company"
            errors.append(f"Row {row.number}, column 'manager_email': {m} {where}; give this person a current manager.")
        if row.values["email"] == me and existing[me].is_active and not row.values["is_active"]:
            errors.append(f"Row {row.number}, column 'active': you cannot mark yourself as a leaver.")
        final_manager[row.values["email"]] = m or None
    if not errors:
        for row in rows:
            seen = {row.values["email"]}
            current = final_manager.get(row.values["email"])
            while current:
                if current in seen:
                    errors.append(f"Row {row.number}, column 'manager_email': the reporting line loops back to {row.values['email']}.")
                    break
                seen.add(current)
                current = final_manager.get(current)
    return rows, errors


def _lock_people_import() -> None:
    """Serialise HR imports; call inside the import's transaction, before reading anyone.

    Row locks cannot cover people who do not exist yet, so two imports of the same new hire
    would both insert them (and the second would hit the unique email). On PostgreSQL a
    transaction-level advisory lock makes the second import wait until the first commits; it
    then reads the first one's people and finds them unchanged. SQLite (``make run``) lets one
    transaction write at a time."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [PEOPLE_IMPORT_LOCK])


def people_import(*, actor: Actor, content: str, progress=None) -> ImportResult:
    """Import an HR export: all rows or nothing. Upserts by email (idempotent: importing the
    same file twice changes nothing the second time). ``progress(done, total)`` is called as
    rows are written. Raises ``ValidationError`` listing every bad row and column.

    A person the file marks ``active=no`` goes through the leaver flow (as ``person_deactivate``):
    an end date, their reports outside the file move to their manager, their login stops. One
    marked active again gets their login back (as ``person_reactivate``). Two imports at once run
    one after the other (see ``_lock_people_import``)."""
    _check_can_manage(actor)
    fields = ("full_name", "title", "role", "level", "team", "location", "country", "time_zone", "start_date")
    result = ImportResult()
    with transaction.atomic():
        _lock_people_import()
        # Read (and lock) everyone only now: a concurrent import has committed by the time we get here.
        by_email = {p.email.lower(): p for p in Person.objects.select_for_update()}
        rows, errors = people_import_parse(content, actor=actor, existing=by_email)
        if errors:
            raise ValidationError(errors)
        total = len(rows)
        today, now = timezone.localdate(), timezone.now()
        to_create: list[Person] = []
        to_update: list[Person] = []
        leavers: list[Person] = []
        rejoiners: list[Person] = []
        for row in rows:
            v = row.values
            person = by_email.get(v["email"])
            if person is None:
                person = Person(email=v["email"], is_active=v["is_active"], **{f: v[f] for f in fields})
                to_create.append(person)
                by_email[v["email"]] = person
                continue
            changed = [f for f in fields if getattr(person, f) != v[f]]
            for f in changed:
                setattr(person, f, v[f])
            if person.is_active != v["is_active"]:
                changed.append("is_active")
                (leavers if person.is_active else rejoiners).append(person)
                person.is_active = v["is_active"]
                person.end_date = None if person.is_active else today
            if changed:
                person.updated_at = now
                to_update.append(person)
            else:
                result.unchanged += 1
        # Bulk writes (one statement per batch): an HR export of thousands of rows takes seconds.
        Person.objects.bulk_create(to_create, batch_size=500)
        if progress:
            progress(len(to_create), total)
        Person.objects.bulk_update(to_update, [*fields, "is_active", "end_date", "updated_at"], batch_size=500)
        result.created, result.updated = len(to_create), len(to_update)
        # Managers, once everyone in the file has a primary key.
        if any(p.pk is None for p in to_create):  # backends without RETURNING ids
            ids: dict[str, int] = {}
            for emails in _chunks([p.email for p in to_create]):
                ids |= dict(Person.objects.filter(email__in=emails).values_list("email", "id"))
            for p in to_create:
                p.pk = p.id = ids[p.email]
        created_ids = {p.pk for p in to_create}
        updated_ids = {p.pk for p in to_update}
        manager_changes: list[Person] = []
        for row in rows:
            person = by_email[row.values["email"]]
            manager = by_email.get(row.values["manager_email"]) if row.values["manager_email"] else None
            if person.manager_id != (manager.pk if manager else None):
                person.manager = manager
                person.updated_at = now
                manager_changes.append(person)
                if person.pk not in created_ids and person.pk not in updated_ids:
                    result.unchanged -= 1
                    result.updated += 1
                    updated_ids.add(person.pk)
        Person.objects.bulk_update(manager_changes, ["manager", "updated_at"], batch_size=500)
        # Leavers last, with the file's managers in place: their reports (the file's are checked
        # to have a current manager) move to the leaver's new manager.
        _leavers_hand_over(leavers=leavers)
        _logins_set_active(user_ids=[p.user_id for p in rejoiners if p.user_id], active=True)
        if progress:
            progress(total, total)
    return result
