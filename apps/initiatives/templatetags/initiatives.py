"""For other apps' pages: ``{% load initiatives %}{% linked_initiatives decision %}`` lists the
initiatives an object (a sync decision, an action item, an infra request) is linked to."""
from __future__ import annotations

from django import template

from apps.core.access import get_actor
from apps.initiatives import selectors

register = template.Library()


@register.inclusion_tag("initiatives/_linked_initiatives.html", takes_context=True)
def linked_initiatives(context, target):
    request = context.get("request")
    actor = getattr(request, "actor", None) or get_actor(getattr(request, "user", None))
    return {"initiatives": list(selectors.initiatives_linked_to(actor=actor, target=target))}
