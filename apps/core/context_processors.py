from apps.core.access import get_actor
from apps.core.navigation import items_for


def portal(request) -> dict:
    actor = get_actor(getattr(request, "user", None))
    nav = items_for(actor.role)
    path = request.path
    for item in nav:
        item["active"] = item["url"] != "/" and path.startswith(item["url"])
    return {"actor": actor, "nav_items": nav}
