from apps.core.access import get_actor
from apps.core.navigation import items_for


def portal(request) -> dict:
    actor = get_actor(getattr(request, "user", None))
    nav = items_for(actor.role)
    path = request.path
    for item in nav:
        for link in item.get("children", [item]):
            link["active"] = link["url"] != "/" and path.startswith(link["url"])
        if "children" in item:
            item["active"] = any(link["active"] for link in item["children"])
    return {"actor": actor, "nav_items": nav}
