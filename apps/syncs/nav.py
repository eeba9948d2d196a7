from apps.core.navigation import NavItem

ITEMS = [
    NavItem("Series", "syncs:series-list", icon="calendar-week", order=30, group="Syncs"),
    NavItem("Decisions", "syncs:decision-log", icon="signpost-split", order=31, group="Syncs"),
    NavItem("My actions", "syncs:my-actions", icon="check2-square", order=32, group="Syncs"),
]
