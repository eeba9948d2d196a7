from apps.core.navigation import NavItem

ITEMS = [
    NavItem("Reviews", "reviews:home", icon="clipboard-check", order=80),
]
