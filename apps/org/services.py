"""Every write to the org. Check (permission, validation), then do, in one transaction."""
from __future__ import annotations

import csv
import io
import zoneinfo
from dataclasses import dataclass, field
from datetime import date

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.text import slugify

from apps.core.access import Actor
from apps.core.roles import PERSON_ROLES
from apps.org.models import Person, Team

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


@transaction.atomic
def person_deactivate(*, actor: Actor, person: Person, end_date: date | None = None) -> Person:
    """A leaver is deactivated, never deleted: their history stays. Their direct reports move
    to their manager, and their login is disabled."""
    _check_can_manage(actor)
    if not person.is_active:
        return person
    if actor.person_id == person.pk:
        raise ValidationError("You cannot deactivate yourself.")
    person.reports.filter(is_active=True).update(manager=person.manager)
    Team.objects.filter(lead=person).update(lead=None)
    person.is_active = False
    person.end_date = end_date or timezone.localdate()
    person.save(update_fields=["is_active", "end_date", "updated_at"])
    if person.user_id:
        get_user_model().objects.filter(pk=person.user_id).update(is_active=False)
    return person


@transaction.atomic
def person_reactivate(*, actor: Actor, person: Person) -> Person:
    _check_can_manage(actor)
    person.is_active = True
    person.end_date = None
    person.save(update_fields=["is_active", "end_date", "updated_at"])
    if person.user_id:
        get_user_model().objects.filter(pk=person.user_id).update(is_active=True)
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


def people_import_parse(content: str) -> tuple[list[_Row], list[str]]:
    """Parse and validate every row; returns (rows, errors). Nothing is written here.

    Row numbers are those a spreadsheet shows: the header is row 1."""
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

    teams = {t.name.lower(): t for t in Team.objects.all()} | {t.slug: t for t in Team.objects.all()}
    zones = zoneinfo.available_timezones()
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

        email = values.get("email", "").lower()
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
        if tz not in zones:
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
        if len(values.get("full_name", "")) > 150:
            bad("full_name", "is longer than 150 characters.")
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

    # Managers: in the file or already in the portal; and no loops in the resulting tree.
    existing = {p.email.lower(): p for p in Person.objects.all()}
    final_manager: dict[str, str | None] = {e: (p.manager.email.lower() if p.manager else None)
                                           for e, p in existing.items() if p.manager_id}
    in_file = {r.values["email"] for r in rows}
    for row in rows:
        m = row.values["manager_email"]
        if m and m not in in_file and m not in existing:
            errors.append(f"Row {row.number}, column 'manager_email': no person with email {m} in the file or the portal.")
        if m == row.values["email"]:
            errors.append(f"Row {row.number}, column 'manager_email': a person cannot manage themself.")
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


def people_import(*, actor: Actor, content: str, progress=None) -> ImportResult:
    """Import an HR export: all rows or nothing. Upserts by email (idempotent: importing the
    same file twice changes nothing the second time). ``progress(done, total)`` is called as
    rows are written. Raises ``ValidationError`` listing every bad row and column."""
    _check_can_manage(actor)
    rows, errors = people_import_parse(content)
    if errors:
        raise ValidationError(errors)
    result = ImportResult()
    fields = ("full_name", "title", "role", "level", "team", "location", "country", "time_zone", "start_date")
    total = len(rows)
    with transaction.atomic():
        # Lock every person row: two imports at once serialise instead of interleaving.
        by_email = {p.email.lower(): p for p in Person.objects.select_for_update()}
        to_create: list[Person] = []
        to_update: list[Person] = []
        for row in rows:
            v = row.values
            person = by_email.get(v["email"])
            if person is None:
                person = Person(email=v["email"], is_active=v["is_active"], **{f: v[f] for f in fields})
                to_create.append(person)
                by_email[v["email"]] = person
                continue
            changed = [f for f in fields if getattr(person, f) != v[f]]
            if person.is_active != v["is_active"]:
                changed.append("is_active")
            for f in changed:
                setattr(person, f, v["is_active"] if f == "is_active" else v[f])
            if changed:
                to_update.append(person)
            else:
                result.unchanged += 1
        # Bulk writes (one statement per batch): an HR export of thousands of rows takes seconds.
        Person.objects.bulk_create(to_create, batch_size=500)
        if progress:
            progress(len(to_create), total)
        update_fields = [*fields, "is_active", "updated_at"]
        now = timezone.now()
        for person in to_update:
            person.updated_at = now
        Person.objects.bulk_update(to_update, update_fields, batch_size=500)
        result.created, result.updated = len(to_create), len(to_update)
        # Managers, once everyone in the file has a primary key.
        if any(p.pk is None for p in to_create):  # backends without RETURNING ids
            ids = dict(Person.objects.filter(email__in=[p.email for p in to_create]).values_list("email", "id"))
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
        if progress:
            progress(total, total)
    return result
