"""Every write of syncs. Check (permission, validation), then do, in one transaction.

Callers fetch objects through ``apps.syncs.selectors`` first, so an object a service receives
is already one the actor may see; the services check what the actor may *change*.

One module per concern: ``checks`` (who may change a series, the status a page saw), ``series``,
``schedule`` (cadence dates, planning upcoming meetings, following a changed schedule),
``meetings`` (ad hoc, status and attendance, carrying the agenda forward), ``agenda``, ``notes``,
``decisions``, ``actions`` (action items and their reminders) and ``calendar_feed``. This package
re-exports their public names, so callers write ``from apps.syncs import services`` and
``services.series_create(...)``.
"""
from django.core.exceptions import ValidationError  # noqa: F401  (callers catch services.ValidationError)

from apps.syncs.services.actions import (  # noqa: F401
    action_item_create,
    action_item_update,
    action_items_send_overdue_reminders,
)
from apps.syncs.services.agenda import (  # noqa: F401
    agenda_item_add,
    agenda_item_move,
    agenda_item_update,
)
from apps.syncs.services.calendar_feed import (  # noqa: F401
    calendar_feed_get,
    calendar_feed_rotate,
)
from apps.syncs.services.checks import (  # noqa: F401
    STATUS_LABELS,
    can_manage_series,
)
from apps.syncs.services.decisions import decision_record  # noqa: F401
from apps.syncs.services.meetings import (  # noqa: F401
    agenda_carry_forward,
    meeting_create_adhoc,
    meeting_update,
)
from apps.syncs.services.notes import NotesConflict, meeting_notes_save  # noqa: F401
from apps.syncs.services.schedule import (  # noqa: F401
    GENERATE_HORIZON_DAYS,
    _local_start,  # apps.syncs.demo places its history on the series' own start times
    meeting_generate_upcoming,
    occurrence_dates,
)
from apps.syncs.services.series import (  # noqa: F401
    SCHEDULE_FIELDS,
    SERIES_CREATE_ROLES,
    SERIES_FIELDS,
    series_create,
    series_update,
)
