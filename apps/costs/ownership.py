"""Which team owns a cost line or a resource: the one rule costs and infra share.

1. A tag whose key is one of ``OWNER_TAG_KEYS`` (case-insensitive), whose value names a team
   by slug or name (case-insensitive);
2. otherwise the account's default team;
3. otherwise nobody (shown as "unallocated").
"""
from __future__ import annotations

from django.utils.text import slugify

from apps.org.models import Team

OWNER_TAG_KEYS = ("team", "owner-team", "owner_team", "cost-center", "costcenter")


class TeamResolver:
    """Resolves owner teams for many rows with one query (build once per import/sync)."""

    def __init__(self) -> None:
        self._by_key: dict[str, Team] = {}
        for team in Team.objects.all():
            self._by_key[team.slug.lower()] = team
            self._by_key[team.name.lower()] = team
            self._by_key[slugify(team.name)] = team

    def team_for_tags(self, tags: dict | None) -> Team | None:
        if not tags:
            return None
        lowered = {str(k).lower(): v for k, v in tags.items()}
        for key in OWNER_TAG_KEYS:
            value = lowered.get(key) or lowered.get(f"user:{key}")
            if value:
                team = self._by_key.get(str(value).strip().lower()) or self._by_key.get(slugify(str(value)))
                if team is not None:
                    return team
        return None

    def resolve(self, tags: dict | None, account=None) -> Team | None:
        team = self.team_for_tags(tags)
        if team is None and account is not None and account.default_team_id:
            team = self._by_key.get(account.default_team.slug) if account.default_team else None
        return team
