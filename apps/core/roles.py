"""The portal's roles. A person's role lives on ``org.Person``; an API client's on its
``core.ServiceAccount``. The access policy (``apps.org.access``) reads them."""
from django.db import models


class Role(models.TextChoices):
    CTO = "cto", "CTO"
    EM = "em", "Engineering manager"
    TL = "tl", "Tech lead"
    PM = "pm", "Product manager"
    ENGINEER = "engineer", "Engineer"
    FINANCE = "finance", "Finance"
    HR = "hr", "HR"
    SERVICE = "service", "Service (API client)"


PERSON_ROLES = [c for c in Role.choices if c[0] != Role.SERVICE]
LEADERSHIP = frozenset({Role.CTO, Role.EM, Role.TL, Role.PM})
