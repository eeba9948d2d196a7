"""Role-aware navigation, assembled from each app's ``nav.py`` (``ITEMS = [NavItem(...)]``)."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import import_module
from importlib.util import find_spec

from django.conf import settings
from django.urls import NoReverseMatch, reverse


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    icon: str = "circle"
    roles: frozenset[str] | None = None  # None: every signed-in role
    order: int = 100
    group: str = ""  # items sharing a group render as one dropdown, named after the group


@lru_cache(maxsize=1)
def all_items() -> tuple[NavItem, ...]:
    items: list[NavItem] = []
    for app in settings.PORTAL_APPS:
        module_name = f"{app}.nav"
        if find_spec(module_name) is None:
            continue
        items.extend(getattr(import_module(module_name), "ITEMS", []))
    return tuple(sorted(items, key=lambda i: (i.order, i.label)))


def items_for(role: str | None) -> list[dict]:
    """Top-level entries for a role: plain links, or dropdowns ({"label", "children": [...]})."""
    if role is None:
        return []
    entries: list[dict] = []
    groups: dict[str, dict] = {}
    for item in all_items():
        if item.roles is not None and role not in item.roles:
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        link = {"label": item.label, "url": url, "icon": item.icon}
        if not item.group:
            entries.append(link)
            continue
        if item.group not in groups:
            groups[item.group] = {"label": item.group, "icon": item.icon, "children": []}
            entries.append(groups[item.group])
        groups[item.group]["children"].append(link)
    return entries
