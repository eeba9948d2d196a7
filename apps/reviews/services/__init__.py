"""Every write and workflow step of the reviews app. Check (actor, stage, input), then do,
in one transaction; errors are ``ValidationError`` with field names.

One module per topic: ``templates`` (review templates, the weighted rating), ``cycles``
(creating, rescheduling and advancing a cycle, who still owes work), ``reviews`` (self and
manager assessments, calibration, acknowledgement), ``compensation`` (pay bands, pay records,
raise proposals, salary key rotation), and ``_common`` (permission checks, money, currency and
score input). This package re-exports their names, so callers keep writing
``from apps.reviews import services`` and ``services.review_cycle_advance(...)``.
"""
from apps.reviews import selectors  # noqa: F401  (``services.selectors`` is used by callers)
from apps.reviews.services._common import (  # noqa: F401
    MAX_SALARY,
    Stage,
)
from apps.reviews.services.compensation import (  # noqa: F401
    RAISE_STAGES,
    compensation_record_create,
    pay_band_save,
    raise_decide,
    raise_propose,
    salary_key_rotate,
)
from apps.reviews.services.cycles import (  # noqa: F401
    DATE_FIELDS,
    cycle_participants,
    reminders_due,
    review_cycle_advance,
    review_cycle_create,
    review_cycle_reschedule,
)
from apps.reviews.services.reviews import (  # noqa: F401
    CALIBRATED,
    _is_reviewer,
    review_acknowledge,
    review_calibrate,
    review_manager_save,
    review_self_save,
)
from apps.reviews.services.templates import (  # noqa: F401
    CRITERION_NAME_MAX,
    MAX_WEIGHT,
    review_template_create,
    weighted_rating,
)
