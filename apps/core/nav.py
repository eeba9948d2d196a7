from apps.core.navigation import NavItem
from apps.core.roles import Role

ITEMS = [
    NavItem("Audit", "core:audit", icon="shield-check", roles=frozenset({Role.CTO}), order=900),
]
