from apps.core.navigation import NavItem

ITEMS = [
    NavItem("Direct reports", "org:direct-reports", icon="people", order=20, group="Org"),
    NavItem("Org chart", "org:chart", icon="diagram-3", order=21, group="Org"),
    NavItem("People", "org:person-list", icon="person-lines-fill", order=22, group="Org"),
    NavItem("Teams", "org:team-list", icon="collection", order=23, group="Org"),
]
