"""Access matrix of the reviews app: every page and endpoint, every role.

Objects: ``engineer``'s review/pay/raise (chain: tl -> em -> cto; the running cycle is not
shared, so the engineer does not see their own review yet) and ``engineer2``'s (another
branch: only HR and the CTO among the matrix roles may see it). Hidden records answer 404;
role-restricted pages 403; the service token gets 403 on every API endpoint of this app.
"""
from tests.access import PEOPLE, Case, api, override, page
from tests.reviews.scenario import build

ADMIN = ("cto", "hr")
CALIBRATORS = ("cto", "hr", "em")
RAISERS = ("cto", "hr", "em", "tl")
NOT_FOUND = dict.fromkeys(PEOPLE, 404)


def only(*roles, ok=200, hidden=404, api_=False):
    """Visible to ``roles`` (ok), hidden (404) for every other person."""
    base = api() if api_ else page()
    changes = {r: (ok if r in roles else hidden) for r in PEOPLE}
    if api_:
        changes["service"] = 403
    return override(base, **changes)


def cases(world):
    sc = build(world)
    cycle = sc.cycle
    r1, r2 = sc.review.pk, sc.review2.pk
    return [
        # -- pages -------------------------------------------------------------------------------
        Case("reviews:home", page()),
        Case("reviews:cycle-create", page(allowed=ADMIN)),
        Case("reviews:template-list", page(allowed=CALIBRATORS)),
        Case("reviews:template-create", page(allowed=ADMIN)),
        Case("reviews:cycle-detail", page(), kwargs={"pk": cycle.pk}),
        Case("reviews:cycle-detail", page(ok=404, denied=404), kwargs={"pk": 999999}),
        Case("reviews:cycle-advance", page(ok=405, denied=405), kwargs={"pk": cycle.pk}),
        Case("reviews:cycle-dates", page(allowed=ADMIN), kwargs={"pk": cycle.pk}),
        Case("reviews:cycle-dates", page(allowed=ADMIN, ok=404), kwargs={"pk": 999999}),
        Case("reviews:calibration", page(allowed=CALIBRATORS), kwargs={"pk": cycle.pk}),
        Case("reviews:raise-list", page(allowed=RAISERS), kwargs={"pk": cycle.pk}),
        Case("reviews:raise-create", page(allowed=RAISERS), kwargs={"pk": cycle.pk}),
        # Export: HR and CTO only, and only a closed cycle (this one is running: 409).
        Case("reviews:cycle-export", page(allowed=ADMIN, ok=409), kwargs={"pk": cycle.pk}),
        Case("reviews:review-detail", only("tl", "em", "cto", "hr"), kwargs={"pk": r1}),
        Case("reviews:review-detail", only("cto", "hr"), kwargs={"pk": r2}),
        Case("reviews:review-self", only("engineer"), kwargs={"pk": r1}),
        Case("reviews:review-self", only(), kwargs={"pk": r2}),
        # The reviewer (tl) and the CTO write; em and HR may read but not write it (403).
        Case("reviews:review-manager", override(only("tl", "cto"), em=403, hr=403), kwargs={"pk": r1}),
        Case("reviews:review-manager", override(only("cto"), hr=403), kwargs={"pk": r2}),
        Case("reviews:review-calibrate", page(ok=405, denied=405), kwargs={"pk": r1}),
        Case("reviews:review-acknowledge", page(ok=405, denied=405), kwargs={"pk": r1}),
        Case("reviews:raise-detail", only("tl", "em", "cto", "hr"), kwargs={"pk": sc.proposal.pk}),
        Case("reviews:raise-detail", only("cto", "hr"), kwargs={"pk": sc.proposal2.pk}),
        Case("reviews:raise-decide", page(ok=405, denied=405), kwargs={"pk": sc.proposal.pk}),
        Case("reviews:compensation-list", page()),
        Case("reviews:compensation-person", only("engineer", "tl", "em", "cto", "hr"),
             kwargs={"pk": world.engineer.pk}),
        Case("reviews:compensation-person", only("cto", "hr"), kwargs={"pk": world.engineer2.pk}),
        Case("reviews:compensation-create", page(allowed=ADMIN), kwargs={"pk": world.engineer.pk}),
        Case("reviews:band-list", page(allowed=CALIBRATORS)),
        Case("reviews:band-create", page(allowed=ADMIN)),
        # -- API -----------------------------------------------------------------------------------
        Case("api:review-template-list", api(allowed=PEOPLE)),
        Case("api:review-template-detail", api(allowed=PEOPLE), kwargs={"pk": sc.template.pk}),
        Case("api:review-template-list", api(allowed=ADMIN, ok=400), method="post", data={}),
        Case("api:review-cycle-list", api(allowed=PEOPLE)),
        Case("api:review-cycle-detail", api(allowed=PEOPLE), kwargs={"pk": cycle.pk}),
        Case("api:review-cycle-list", api(allowed=ADMIN, ok=400), method="post", data={}),
        # A refused stage jump: 400 for CTO/HR (nothing changes), 403 for everyone else.
        Case("api:review-cycle-advance", api(allowed=ADMIN, ok=400), kwargs={"pk": cycle.pk}, method="post",
             data={"to_stage": "closed"}),
        Case("api:review-cycle-calibration", api(allowed=CALIBRATORS), kwargs={"pk": cycle.pk}),
        Case("api:review-cycle-budget", api(allowed=ADMIN), kwargs={"pk": cycle.pk}),
        Case("api:review-list", api(allowed=PEOPLE)),
        Case("api:review-detail", only("tl", "em", "cto", "hr", api_=True), kwargs={"pk": r1}),
        Case("api:review-detail", only("cto", "hr", api_=True), kwargs={"pk": r2}),
        # The self part of engineer's review: the subject reads it (with its ETag), their chain 403
        # (they read the whole review instead), everyone else 404.
        Case("api:review-self-assessment", override(only("engineer", "tl", "em", "cto", "hr", ok=403, api_=True),
                                                    engineer=200), kwargs={"pk": r1}),
        # Self assessment of engineer's review: the subject gets 400 (stage over), their chain
        # 403 (only the subject writes it), everyone else 404.
        Case("api:review-self-assessment", override(only("engineer", "tl", "em", "cto", "hr", ok=403, api_=True),
                                                    engineer=400),
             kwargs={"pk": r1}, method="post", data={}),
        # Manager assessment of engineer2's review with a bad override: CTO 400, HR 403, others 404.
        Case("api:review-manager-assessment", override(only("cto", "hr", api_=True), cto=400, hr=403),
             kwargs={"pk": r2}, method="post", data={"override_rating": 9}),
        Case("api:review-calibrate", only("cto", "hr", ok=400, api_=True), kwargs={"pk": r2}, method="post",
             data={"reason": "matrix"}),
        # Acknowledge engineer's unshared review: the subject 404 (not shared), chain 403.
        Case("api:review-acknowledge", only("tl", "em", "cto", "hr", ok=403, api_=True), kwargs={"pk": r1},
             method="post", data={}),
        Case("api:compensation-record-list", api(allowed=PEOPLE)),
        Case("api:compensation-record-list", api(allowed=ADMIN, ok=400), method="post", data={}),
        Case("api:compensation-record-detail", only("engineer", "tl", "em", "cto", "hr", api_=True),
             kwargs={"pk": sc.record.pk}),
        Case("api:compensation-record-detail", only("cto", "hr", api_=True), kwargs={"pk": sc.record2.pk}),
        Case("api:raise-proposal-list", api(allowed=PEOPLE)),
        Case("api:raise-proposal-list", api(allowed=RAISERS, ok=400), method="post", data={}),
        Case("api:raise-proposal-detail", only("tl", "em", "cto", "hr", api_=True), kwargs={"pk": sc.proposal.pk}),
        Case("api:raise-proposal-detail", only("cto", "hr", api_=True), kwargs={"pk": sc.proposal2.pk}),
        Case("api:raise-proposal-approve", api(allowed=("cto",)), kwargs={"pk": sc.proposal2.pk}, method="post",
             data={}),
        Case("api:raise-proposal-reject", api(allowed=("cto",)), kwargs={"pk": sc.proposal2.pk}, method="post",
             data={}),
        Case("api:pay-band-list", api(allowed=CALIBRATORS)),
        Case("api:pay-band-list", api(allowed=ADMIN, ok=400), method="post", data={}),
    ]
