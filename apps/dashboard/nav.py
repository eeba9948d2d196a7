from apps.core.navigation import NavItem

ITEMS = [NavItem("Home", "dashboard:home", icon="house", order=0)]
