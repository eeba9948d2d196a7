"""Every write of the security app: keyword-only ``<entity>_<action>`` functions, each one
transaction, permission checked through the Actor first.

One module per topic: ``ama`` (AMA sessions, attendance, questions), ``bulletins``
(publishing, acknowledgements, reminders), ``trainings`` (due dates, sessions, attendance,
status refresh, reminders), ``controls`` (ISO 27001 controls and evidence), and ``_common``
(permission checks, audiences, automatic 6.3 evidence, the reminder ledger). This package
re-exports their names, so callers keep writing ``from apps.security import services`` and
``services.bulletin_publish(...)``.
"""
from apps.security.services._common import (  # noqa: F401
    AWARENESS_CONTROL,
    _awareness_evidence,
    audience_people,
    is_in_audience,
)
from apps.security.services.ama import (  # noqa: F401
    CHECK_IN_CLOSES,
    CHECK_IN_OPENS,
    QUESTION_MAX_LENGTH,
    AlreadyVoted,
    ama_attendance_check_in,
    ama_attendance_record,
    ama_question_answer,
    ama_question_moderate,
    ama_question_set_faq,
    ama_question_submit,
    ama_question_unvote,
    ama_question_vote,
    ama_session_create,
    ama_session_update,
)
from apps.security.services.bulletins import (  # noqa: F401
    _iso_week,
    bulletin_acknowledge,
    bulletin_publish,
    bulletin_reminders_send,
    bulletin_update,
)
from apps.security.services.controls import (  # noqa: F401
    EVIDENCE_EXPIRY_WARNING_DAYS,
    control_update,
    evidence_create,
    evidence_expiry_reminders_send,
)
from apps.security.services.trainings import (  # noqa: F401
    DUE_SOON_DAYS,
    DueResult,
    add_months,
    training_attendance_record,
    training_create,
    training_due,
    training_reminders_send,
    training_session_create,
    training_status_refresh,
    training_update,
)
