from apps.core.navigation import NavItem

ITEMS = [NavItem("Security", "security:home", icon="shield-lock", order=50)]
