"""Access matrix rows of the security app.

Decision (encoded here and in apps/security/access.py): everyone with a person record asks,
votes, acknowledges, reads published questions, the FAQ, the bulletins and trainings meant
for them; only the CTO and the security team's TL (none in ``world``; covered in
test_access.py) run sessions, moderate, publish bulletins, manage trainings, controls and
evidence and export the evidence pack. A bulletin addressed to another team is 404.
Service tokens read the public lists; they have no person, so they cannot ask or vote.
"""
from datetime import timedelta

from django.utils import timezone

from apps.security import services
from apps.security.models import Control
from tests.access import PEOPLE, Case, api, override, page
from tests.security import helpers

MANAGERS = ("cto",)
POST_ONLY = page(ok=405, denied=405)


def cases(world):
    cto = helpers.actor(world)
    session = helpers.ama_session(world)
    question = helpers.published_question(world, session)
    for_all = helpers.bulletin(world)
    for_beta = helpers.bulletin(world, title="Beta only", teams=[world.teams["beta"]])
    training = helpers.training(world)
    tsession = services.training_session_create(actor=cto, training=training, held_on=timezone.localdate())
    evidence = services.evidence_create(actor=cto, title="Access review Q3", controls=[Control.objects.get(code="5.18")],
                                        collected_on=timezone.localdate())
    today = timezone.localdate()
    period = f"start={today - timedelta(days=30)}&end={today}"
    manager_api_write = override(api(allowed=MANAGERS, ok=400), service=403)
    participants_only = override(api(), service=403)
    return [
        Case("security:home", page()),
        Case("security:ama-list", page()),
        Case("security:ama-create", page(allowed=MANAGERS)),
        Case("security:ama-detail", page(), kwargs={"pk": session.pk}),
        Case("security:ama-edit", page(allowed=MANAGERS), kwargs={"pk": session.pk}),
        Case("security:ama-attendance", page(allowed=MANAGERS), kwargs={"pk": session.pk}),
        Case("security:ama-check-in", POST_ONLY, kwargs={"pk": session.pk}),
        Case("security:question-ask", POST_ONLY, kwargs={"pk": session.pk}),
        Case("security:question-vote", POST_ONLY, kwargs={"pk": question.pk}),
        Case("security:question-moderate", POST_ONLY, kwargs={"pk": question.pk}),
        Case("security:faq", page()),
        Case("security:bulletin-list", page()),
        Case("security:bulletin-create", page(allowed=MANAGERS)),
        Case("security:bulletin-detail", page(), kwargs={"pk": for_all.pk}),
        Case("security:bulletin-edit", page(allowed=MANAGERS), kwargs={"pk": for_all.pk}),
        Case("security:bulletin-edit", page(allowed=MANAGERS, ok=404), kwargs={"pk": 999999}),
        Case("security:bulletin-detail", page(allowed=MANAGERS, denied=404), kwargs={"pk": for_beta.pk}),
        Case("security:bulletin-ack", POST_ONLY, kwargs={"pk": for_all.pk}),
        Case("security:training-list", page()),
        Case("security:training-create", page(allowed=MANAGERS)),
        Case("security:training-heatmap", page(allowed=MANAGERS)),
        Case("security:training-detail", page(), kwargs={"pk": training.pk}),
        Case("security:training-edit", page(allowed=MANAGERS), kwargs={"pk": training.pk}),
        Case("security:training-session-create", page(allowed=MANAGERS), kwargs={"pk": training.pk}),
        Case("security:training-attendance", page(allowed=MANAGERS), kwargs={"pk": tsession.pk}),
        Case("security:control-list", page(allowed=MANAGERS)),
        Case("security:control-detail", page(allowed=MANAGERS), kwargs={"code": "6.3"}),
        Case("security:control-edit", page(allowed=MANAGERS), kwargs={"code": "6.3"}),
        Case("security:evidence-list", page(allowed=MANAGERS)),
        Case("security:evidence-create", page(allowed=MANAGERS)),
        Case("security:evidence-detail", page(allowed=MANAGERS), kwargs={"pk": evidence.pk}),
        Case("security:evidence-pack", page(allowed=MANAGERS)),
        Case("security:evidence-pack", page(allowed=MANAGERS), query=period),
        # API
        Case("api:ama-session-list", api()),
        Case("api:ama-session-detail", api(), kwargs={"pk": session.pk}),
        Case("api:ama-session-list", manager_api_write, method="post", data={}),
        Case("api:ama-session-attendance", manager_api_write, kwargs={"pk": session.pk}, method="post", data={}),
        # The session starts tomorrow: check-in is not open yet (400) for participants.
        Case("api:ama-session-check-in", override(api(ok=400), service=403), kwargs={"pk": session.pk}, method="post"),
        Case("api:ama-question-list", api()),
        Case("api:ama-question-detail", api(), kwargs={"pk": question.pk}),
        Case("api:ama-question-list", override(api(ok=400), service=403), method="post", data={}),
        Case("api:ama-question-vote", override(api(ok=201), service=403), kwargs={"pk": question.pk}, method="post"),
        Case("api:ama-question-moderate", manager_api_write, kwargs={"pk": question.pk}, method="post", data={}),
        Case("api:ama-question-answer", manager_api_write, kwargs={"pk": question.pk}, method="post", data={}),
        Case("api:ama-question-faq", manager_api_write, kwargs={"pk": question.pk}, method="post", data={}),
        Case("api:security-bulletin-list", api()),
        Case("api:security-bulletin-detail", api(), kwargs={"pk": for_all.pk}),
        Case("api:security-bulletin-detail", override(api(allowed=(*MANAGERS, "service"), denied=404)),
             kwargs={"pk": for_beta.pk}),
        Case("api:security-bulletin-list", manager_api_write, method="post", data={}),
        Case("api:security-bulletin-acknowledge", participants_only, kwargs={"pk": for_all.pk}, method="post"),
        Case("api:security-bulletin-completion", api(allowed=MANAGERS), kwargs={"pk": for_all.pk}),
        Case("api:security-training-list", api()),
        Case("api:security-training-detail", api(), kwargs={"pk": training.pk}),
        Case("api:security-training-list", manager_api_write, method="post", data={}),
        Case("api:security-training-session-list", api(allowed=MANAGERS)),
        Case("api:security-training-session-detail", api(allowed=MANAGERS), kwargs={"pk": tsession.pk}),
        Case("api:security-training-session-attendance", manager_api_write, kwargs={"pk": tsession.pk},
             method="post", data={}),
        Case("api:security-my-trainings", api()),
        Case("api:security-control-list", api(allowed=MANAGERS)),
        Case("api:security-control-detail", api(allowed=MANAGERS), kwargs={"code": "6.3"}),
        Case("api:security-evidence-list", api(allowed=MANAGERS)),
        Case("api:security-evidence-detail", api(allowed=MANAGERS), kwargs={"pk": evidence.pk}),
        Case("api:security-evidence-list", manager_api_write, method="post", data={}),
        Case("api:security-evidence-pack", api(allowed=MANAGERS), query=period),
        Case("api:security-evidence-pack", api(allowed=MANAGERS, ok=400), query="start=bad"),
    ]


__all__ = ["cases", "PEOPLE"]
