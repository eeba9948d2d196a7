from apps.core.navigation import NavItem

ITEMS = [
    NavItem("Knowledge", "knowledge:session-list", icon="easel", order=40),
]
