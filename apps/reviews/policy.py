"""How the reviews app applies the portal's access policy (``apps.core.access``).

Everything here is built on ``Actor.can_view_sensitive_person_data`` — self, manager chain,
HR, CTO; never a peer, never a service account — turned into a queryset filter so lists and
detail lookups use the same rule. Objects outside it answer 404.
"""
from __future__ import annotations

from django.db.models import Q

from apps.core.access import Actor
from apps.core.roles import Role

CURRENCIES = frozenset(
    "AED ARS AUD BGN BRL CAD CHF CLP CNY COP CZK DKK EGP EUR GBP HKD HUF IDR ILS INR ISK JPY KES KRW MXN MYR "
    "NGN NOK NZD PEN PHP PKR PLN RON RSD SAR SEK SGD THB TRY TWD UAH USD VND ZAR".split()
)

REGIONS = {
    **dict.fromkeys("AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK".split(), "EU"),
    **dict.fromkeys("GB CH NO IS UA RS".split(), "EU"),
    **dict.fromkeys("US CA".split(), "NA"),
    **dict.fromkeys("MX BR AR CL CO PE".split(), "LATAM"),
    **dict.fromkeys("IN SG JP KR CN AU NZ PH VN ID MY TH TW HK".split(), "APAC"),
    **dict.fromkeys("NG KE ZA EG".split(), "AF"),
}


def location_zone(location: str, country: str) -> str:
    """The pay zone people are compared within: each office country on its own, remote
    people by region."""
    country = (country or "").upper()
    if location == "local":
        return f"local-{country or 'XX'}"
    return f"remote-{REGIONS.get(country, 'OTHER')}"


def sees_all(actor: Actor) -> bool:
    return actor.is_authenticated and not actor.is_service and actor.role in (Role.CTO, Role.HR)


def visible_person_q(actor: Actor, field: str, *, include_self: bool = True) -> Q | None:
    """A Q on ``field`` (a Person FK) matching exactly the people whose sensitive data the
    actor may see. ``None`` means everyone (CTO, HR). An empty match is ``Q(pk__in=[])``."""
    if not actor.is_authenticated or actor.is_service:
        return Q(pk__in=[])
    if actor.role in (Role.CTO, Role.HR):
        return None
    ids = set(actor.report_ids)
    if include_self and actor.person_id:
        ids.add(actor.person_id)
    return Q(**{f"{field}__in": sorted(ids)})


def apply_scope(qs, actor: Actor, field: str, *, include_self: bool = True):
    q = visible_person_q(actor, field, include_self=include_self)
    return qs if q is None else qs.filter(q)
