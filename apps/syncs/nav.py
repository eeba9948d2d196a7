from apps.core.navigation import NavItem

ITEMS = [
    NavItem("Syncs", "syncs:series-list", icon="calendar-week", order=30),
    NavItem("Decisions", "syncs:decision-log", icon="signpost-split", order=31),
    NavItem("My actions", "syncs:my-actions", icon="check2-square", order=32),
]
