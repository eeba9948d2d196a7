from apps.core.navigation import NavItem
from apps.core.roles import Role

ITEMS = [
    NavItem("Costs", "costs:overview", icon="currency-dollar", roles=frozenset({Role.CTO, Role.FINANCE, Role.EM}),
            order=60),
]
