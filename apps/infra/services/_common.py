"""What the infra service modules share: the batch size and the workflow conflict error."""
from __future__ import annotations

from django.core.exceptions import ValidationError

BATCH = 500


class WorkflowConflict(ValidationError):
    """The object is not in a state that allows this step (the API answers 409)."""
