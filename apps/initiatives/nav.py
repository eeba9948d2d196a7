from apps.core.navigation import NavItem

ITEMS = [
    NavItem("Initiatives", "initiatives:board", icon="rocket-takeoff", order=90),
]
