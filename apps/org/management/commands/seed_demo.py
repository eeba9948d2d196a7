"""A realistic demo organisation across every app. Idempotent: running it again updates
the same rows (keyed by email / slug) and creates nothing twice.

Other apps add their demo data with a ``seed_demo(org)`` function in ``apps/<app>/demo.py``;
this command calls each after the org exists.
"""
from __future__ import annotations

import random
from datetime import date, timedelta
from importlib import import_module
from importlib.util import find_spec

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from apps.core.roles import Role
from apps.org.models import Person, Team

DEMO_PASSWORD = "demo-pass-2026"

TEAMS = [
    ("Web Frontend", "web-frontend", Team.Kind.ENGINEERING),
    ("Mobile", "mobile", Team.Kind.ENGINEERING),
    ("Payments Backend", "payments-backend", Team.Kind.ENGINEERING),
    ("Core API", "core-api", Team.Kind.ENGINEERING),
    ("Platform", "platform", Team.Kind.PLATFORM),
    ("Data", "data", Team.Kind.DATA),
    ("AI", "ai", Team.Kind.AI),
    ("Security", "security", Team.Kind.SECURITY),
    ("Product", "product", Team.Kind.PRODUCT),
]

# (key, name, role, title, team slug, manager key, location, country, tz, login)
LEADERS = [
    ("cto", "Alex Moreau", Role.CTO, "Chief Technology Officer", None, None, "local", "PT", "Europe/Lisbon", "cto"),
    ("em1", "Beatriz Santos", Role.EM, "Engineering Manager, Web & Mobile", "web-frontend", "cto", "local", "PT", "Europe/Lisbon", "em"),
    ("em2", "Daniel Okafor", Role.EM, "Engineering Manager, Payments", "payments-backend", "cto", "remote", "NG", "Africa/Lagos", "em2"),
    ("em3", "Elena Petrova", Role.EM, "Engineering Manager, Core API", "core-api", "cto", "remote", "BG", "Europe/Sofia", None),
    ("em4", "Farid Haddad", Role.EM, "Engineering Manager, Platform & Security", "platform", "cto", "local", "PT", "Europe/Lisbon", None),
    ("em5", "Grace Lin", Role.EM, "Engineering Manager, Data & AI", "data", "cto", "remote", "SG", "Asia/Singapore", None),
    ("tl1", "Hugo Almeida", Role.TL, "Tech Lead, Web", "web-frontend", "em1", "local", "PT", "Europe/Lisbon", "tl"),
    ("tl2", "Ines Carvalho", Role.TL, "Tech Lead, Mobile", "mobile", "em1", "remote", "ES", "Europe/Madrid", None),
    ("tl3", "Jonas Weber", Role.TL, "Tech Lead, Payments", "payments-backend", "em2", "remote", "DE", "Europe/Berlin", None),
    ("tl4", "Kenji Sato", Role.TL, "Tech Lead, Core API", "core-api", "em3", "remote", "JP", "Asia/Tokyo", None),
    ("tl5", "Laura Rossi", Role.TL, "Tech Lead, Platform", "platform", "em4", "local", "PT", "Europe/Lisbon", None),
    ("tl6", "Miguel Torres", Role.TL, "Tech Lead, Security", "security", "em4", "local", "PT", "Europe/Lisbon", None),
    ("tl7", "Nadia Rahman", Role.TL, "Tech Lead, Data", "data", "em5", "remote", "GB", "Europe/London", None),
    ("tl8", "Oscar Lindqvist", Role.TL, "Tech Lead, AI", "ai", "em5", "remote", "SE", "Europe/Stockholm", None),
    ("pm1", "Priya Nair", Role.PM, "Senior Product Manager, Payments", "product", "cto", "local", "PT", "Europe/Lisbon", "pm"),
    ("pm2", "Quentin Blanc", Role.PM, "Product Manager, Growth", "product", "cto", "remote", "FR", "Europe/Paris", None),
    ("pm3", "Rosa Jimenez", Role.PM, "Product Manager, Data Products", "product", "cto", "remote", "MX", "America/Mexico_City", None),
    ("fin", "Samuel Cohen", Role.FINANCE, "FinOps Analyst", None, "cto", "local", "PT", "Europe/Lisbon", "finance"),
    ("hr", "Tara Kelly", Role.HR, "People Partner, Engineering", None, "cto", "local", "PT", "Europe/Lisbon", "hr"),
]

# Which tech lead the engineers of each team report to.
TEAM_TL = {
    "web-frontend": "tl1", "mobile": "tl2", "payments-backend": "tl3", "core-api": "tl4",
    "platform": "tl5", "security": "tl6", "data": "tl7", "ai": "tl8",
}
ENGINEERS_PER_TEAM = {
    "web-frontend": 9, "mobile": 6, "payments-backend": 9, "core-api": 8,
    "platform": 7, "security": 4, "data": 9, "ai": 8,
}
TEAM_TITLES = {
    "web-frontend": "Frontend Engineer", "mobile": "Mobile Engineer", "payments-backend": "Backend Engineer",
    "core-api": "Backend Engineer", "platform": "Platform Engineer", "security": "Security Engineer",
    "data": "Data Engineer", "ai": "ML Engineer",
}
FIRST = ["Ana", "Bruno", "Carla", "Diogo", "Eva", "Filipe", "Gabriela", "Henrique", "Isabel", "João", "Katarina",
         "Luis", "Marta", "Nuno", "Olga", "Pedro", "Quinn", "Rita", "Sofia", "Tiago", "Uma", "Vasco", "Wen", "Xavier",
         "Yara", "Zé", "Amir", "Chloe", "Dmitri", "Fatima", "Ivan", "Leila", "Mateo", "Noor", "Omar", "Paula"]
LAST = ["Silva", "Costa", "Ferreira", "Pereira", "Oliveira", "Rodrigues", "Martins", "Sousa", "Gomes", "Lopes",
        "Marques", "Kowalski", "Novak", "Schmidt", "Dubois", "Rossi", "Müller", "Nguyen", "Khan", "Ibrahim", "Chen"]
REMOTE_PLACES = [("ES", "Europe/Madrid"), ("PL", "Europe/Warsaw"), ("BR", "America/Sao_Paulo"), ("IN", "Asia/Kolkata"),
                 ("GB", "Europe/London"), ("RO", "Europe/Bucharest"), ("UA", "Europe/Kyiv"), ("NL", "Europe/Amsterdam")]
LEVELS = ["L2", "L3", "L3", "L4", "L4", "L5", "L6"]


class Command(BaseCommand):
    help = "Create or refresh the demo organisation (and every app's demo data). Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("--quiet", action="store_true", help="do not print the demo logins")

    @transaction.atomic
    def handle(self, *args, quiet: bool = False, **options):
        rng = random.Random(2026)  # deterministic: the same demo every time
        today = date.today()
        User = get_user_model()
        teams = {}
        for name, slug, kind in TEAMS:
            team, _ = Team.objects.update_or_create(slug=slug, defaults={"name": name, "kind": kind, "is_active": True})
            teams[slug] = team

        people: dict[str, Person] = {}
        logins: list[tuple[str, str, str]] = []
        for key, name, role, title, team_slug, mgr, loc, country, tz, login in LEADERS:
            email = f"{name.split()[0].lower()}.{name.split()[-1].lower()}@example.com"
            person, _ = Person.objects.update_or_create(email=email, defaults={
                "full_name": name, "role": role, "title": title, "team": teams.get(team_slug) if team_slug else None,
                "manager": people.get(mgr) if mgr else None, "location": loc, "country": country, "time_zone": tz,
                "level": "Director" if role == Role.CTO else ("Manager" if role == Role.EM else "Staff"),
                "start_date": today - timedelta(days=rng.randint(200, 2600)), "is_active": True,
            })
            people[key] = person
            if login:
                user, created = User.objects.get_or_create(username=login, defaults={"email": email})
                if created or not user.check_password(DEMO_PASSWORD):
                    user.set_password(DEMO_PASSWORD)
                user.is_active = True
                user.is_staff = user.is_superuser = role == Role.CTO
                user.first_name, user.last_name = name.split()[0], name.split()[-1]
                user.save()
                Person.objects.filter(user=user).exclude(pk=person.pk).update(user=None)
                person.user = user
                person.save(update_fields=["user"])
                logins.append((login, role, name))

        for slug, tl_key in TEAM_TL.items():
            Team.objects.filter(slug=slug).update(lead=people[tl_key])
        Team.objects.filter(slug="product").update(lead=people["pm1"])

        n = 0
        for slug, count in ENGINEERS_PER_TEAM.items():
            for i in range(count):
                n += 1
                first, last = FIRST[(n * 7) % len(FIRST)], LAST[(n * 5) % len(LAST)]
                email = f"eng{n:03d}@example.com"
                remote = rng.random() < 0.45
                country, tz = rng.choice(REMOTE_PLACES) if remote else ("PT", "Europe/Lisbon")
                person, _ = Person.objects.update_or_create(email=email, defaults={
                    "full_name": f"{first} {last}", "role": Role.ENGINEER,
                    "title": ("Senior " if i % 3 == 0 else "") + TEAM_TITLES[slug], "team": teams[slug],
                    "manager": people[TEAM_TL[slug]], "location": "remote" if remote else "local",
                    "country": country, "time_zone": tz, "level": rng.choice(LEVELS),
                    "start_date": today - timedelta(days=rng.randint(20, 2400)), "is_active": True,
                })
                people[f"eng{n}"] = person
        # One engineer login, and one leaver to show deactivation.
        eng = people["eng1"]
        user, created = User.objects.get_or_create(username="engineer", defaults={"email": eng.email})
        if created or not user.check_password(DEMO_PASSWORD):
            user.set_password(DEMO_PASSWORD)
            user.save()
        Person.objects.filter(user=user).exclude(pk=eng.pk).update(user=None)
        eng.user = user
        eng.save(update_fields=["user"])
        logins.append(("engineer", Role.ENGINEER, eng.full_name))
        Person.objects.update_or_create(email="former.engineer@example.com", defaults={
            "full_name": "Victor Hale", "role": Role.ENGINEER, "title": "Backend Engineer",
            "team": teams["core-api"], "manager": people["tl4"], "is_active": False,
            "start_date": today - timedelta(days=900), "end_date": today - timedelta(days=60),
        })

        # Every other app's demo data, in PORTAL_APPS order.
        for app in settings.PORTAL_APPS:
            if app == "apps.org" or find_spec(f"{app}.demo") is None:
                continue
            module = import_module(f"{app}.demo")
            if hasattr(module, "seed_demo"):
                module.seed_demo(people=people, teams=teams, stdout=self.stdout)

        active = Person.objects.filter(is_active=True).count()
        self.stdout.write(self.style.SUCCESS(f"Demo organisation ready: {active} active people in {len(teams)} teams."))
        if not quiet:
            self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
            for login, role, name in logins:
                self.stdout.write(f"  {login:<10} {role:<9} {name}")
