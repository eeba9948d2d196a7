from apps.core.navigation import NavItem
from apps.infra.policy import PAGE_ROLES

_ROLES = frozenset(PAGE_ROLES)
ITEMS = [
    NavItem("Inventory", "infra:resource-list", icon="hdd-network", roles=_ROLES, order=70, group="Infra"),
    NavItem("Findings", "infra:finding-list", icon="exclamation-diamond", roles=_ROLES, order=71, group="Infra"),
    NavItem("Requests", "infra:request-list", icon="inbox", roles=_ROLES, order=72, group="Infra"),
]
