from apps.core.navigation import NavItem
from apps.infra.policy import PAGE_ROLES

ITEMS = [
    NavItem("Infrastructure", "infra:resource-list", icon="hdd-network", roles=frozenset(PAGE_ROLES), order=70),
]
