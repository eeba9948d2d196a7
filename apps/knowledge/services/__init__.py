"""Every write of knowledge sharing. Check (permission, validation), then do, in one
transaction. Split by subject; import from here (``services.proposal_schedule``)."""
from apps.knowledge.services._common import booked_minutes
from apps.knowledge.services.participation import (
    CHECK_IN_OPENS_BEFORE,
    AttendanceImport,
    attendance_check_in,
    attendance_import,
    calendar_feed_get_or_create,
    calendar_feed_reset,
    feedback_give,
)
from apps.knowledge.services.proposals import (
    proposal_create,
    proposal_reject,
    proposal_schedule,
    proposal_unvote,
    proposal_update,
    proposal_vote,
    proposal_withdraw,
)
from apps.knowledge.services.sessions import (
    series_create,
    series_generate_all,
    series_generate_sessions,
    series_occurrences,
    series_update,
    session_create,
    session_title,
    session_update,
)
from apps.knowledge.services.talks import (
    talk_create,
    talk_give_again,
    talk_move,
    talk_propose_again,
    talk_share_feedback,
    talk_update,
)

__all__ = [
    "CHECK_IN_OPENS_BEFORE", "AttendanceImport", "attendance_check_in", "attendance_import", "booked_minutes",
    "calendar_feed_get_or_create", "calendar_feed_reset", "feedback_give", "proposal_create", "proposal_reject",
    "proposal_schedule", "proposal_unvote", "proposal_update", "proposal_vote", "proposal_withdraw",
    "series_create", "series_generate_all", "series_generate_sessions", "series_occurrences", "series_update",
    "session_create", "session_title", "session_update", "talk_create", "talk_give_again", "talk_move",
    "talk_propose_again", "talk_share_feedback", "talk_update",
]
