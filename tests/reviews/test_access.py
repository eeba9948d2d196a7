"""Who sees what: peers never, managers their chain, HR/CTO everyone, the subject their own
review only once shared, service tokens nothing; every read of pay (and every read of a review
by someone other than its subject) is in the access log."""
from __future__ import annotations

from decimal import Decimal

from django.urls import reverse

from apps.core import services as core_services
from apps.core.models import AccessLog
from apps.core.roles import Role
from apps.reviews import services
from apps.reviews.models import CompensationRecord, Review, ReviewCycle
from tests.reviews.scenario import ENG_TEXT, cto_actor, finish_manager_reviews


def _ids(client, name, key="id", query=""):
    response = client.get(reverse(name) + query)
    assert response.status_code == 200
    return sorted(r[key] for r in response.json()["results"])


def test_engineer_cannot_see_a_peers_review_or_pay(world, sc):
    client = world.client("engineer")
    assert client.get(reverse("reviews:review-detail", args=[sc.review2.pk])).status_code == 404
    assert client.get(reverse("api:review-detail", args=[sc.review2.pk])).status_code == 404
    assert client.get(reverse("reviews:compensation-person", args=[world.engineer2.pk])).status_code == 404
    assert client.get(reverse("api:compensation-record-detail", args=[sc.record2.pk])).status_code == 404
    assert client.get(reverse("api:raise-proposal-detail", args=[sc.proposal2.pk])).status_code == 404
    # Lists: only their own pay; no review (not shared yet), no raise proposal.
    assert _ids(client, "api:compensation-record-list", "person") == [world.engineer.pk]
    assert _ids(client, "api:review-list") == []
    assert _ids(client, "api:raise-proposal-list") == []


def test_a_manager_sees_only_their_chain(world, sc):
    client = world.client("em")  # chain: tl, engineer
    reviews = Review.objects.filter(cycle=sc.cycle)
    expected = sorted(reviews.filter(subject__in=[world.tl, world.engineer]).values_list("pk", flat=True))
    assert _ids(client, "api:review-list") == expected
    assert _ids(client, "api:compensation-record-list", "person") == sorted(
        [world.em.pk, world.tl.pk, world.engineer.pk])
    assert _ids(client, "api:raise-proposal-list") == [sc.proposal.pk]
    assert client.get(reverse("api:review-detail", args=[sc.review.pk])).json()["manager_assessment"] == ENG_TEXT
    assert client.get(reverse("api:review-detail", args=[sc.review2.pk])).status_code == 404
    # The EM of the other branch sees none of it.
    other = world.client("em2")
    assert client.get(reverse("reviews:compensation-person", args=[world.engineer.pk])).status_code == 200
    assert other.get(reverse("reviews:compensation-person", args=[world.engineer.pk])).status_code == 404
    assert world.engineer.pk not in _ids(other, "api:review-list", "subject")


def test_a_tech_lead_sees_their_reports_only(world, sc):
    client = world.client("tl")
    assert _ids(client, "api:review-list", "subject") == [world.engineer.pk]
    assert _ids(client, "api:compensation-record-list", "person") == sorted([world.tl.pk, world.engineer.pk])


def test_hr_and_cto_see_everyone(world, sc):
    every_review = sorted(Review.objects.filter(cycle=sc.cycle).values_list("pk", flat=True))
    every_record = sorted(CompensationRecord.objects.values_list("pk", flat=True))
    for role in ("hr", "cto"):
        client = world.client(role)
        assert _ids(client, "api:review-list") == every_review
        assert _ids(client, "api:compensation-record-list") == every_record
        assert _ids(client, "api:raise-proposal-list") == sorted([sc.proposal.pk, sc.proposal2.pk])


def test_pm_and_finance_see_no_one_elses_data(world, sc):
    for role in ("pm", "finance"):
        client = world.client(role)
        assert _ids(client, "api:review-list") == []
        assert _ids(client, "api:compensation-record-list", "person") == [world.people[role].pk]
        assert _ids(client, "api:raise-proposal-list") == []


def test_unshared_review_is_hidden_from_its_subject_until_shared(world, sc):
    client = world.client("engineer")
    url = reverse("reviews:review-detail", args=[sc.review.pk])
    api_url = reverse("api:review-detail", args=[sc.review.pk])
    assert client.get(url).status_code == 404
    assert client.get(api_url).status_code == 404
    # The self page shows their own words, never the manager's.
    self_page = client.get(reverse("reviews:review-self", args=[sc.review.pk]))
    assert self_page.status_code == 200
    assert ENG_TEXT not in self_page.content.decode()
    # Share the cycle.
    cto = cto_actor(world)
    services.raise_decide(actor=cto, proposal=sc.proposal, approve=True)
    services.raise_decide(actor=cto, proposal=sc.proposal2, approve=False)
    finish_manager_reviews(world, sc.cycle)
    cycle = services.review_cycle_advance(actor=cto, cycle=sc.cycle)  # calibration
    assert client.get(api_url).status_code == 404
    cycle = services.review_cycle_advance(actor=cto, cycle=cycle)  # shared
    assert cycle.stage == ReviewCycle.Stage.SHARED
    response = client.get(url)
    assert response.status_code == 200
    assert ENG_TEXT in response.content.decode()
    assert client.get(api_url).json()["manager_assessment"] == ENG_TEXT
    # ...and their own approved raise becomes visible, never the rejected one of a peer.
    assert _ids(client, "api:raise-proposal-list") == [sc.proposal.pk]
    # Acknowledge.
    ack = client.post(reverse("reviews:review-acknowledge", args=[sc.review.pk]), {"comment": "Thanks"})
    assert ack.status_code == 302
    sc.review.refresh_from_db()
    assert sc.review.acknowledged_at is not None
    assert sc.review.acknowledgement_comment == "Thanks"
    again = client.post(reverse("api:review-acknowledge", args=[sc.review.pk]), {}, content_type="application/json")
    assert again.status_code == 400


def test_service_token_sees_nothing_here(world, sc):
    client = world.client("service")
    for name in ("api:review-cycle-list", "api:review-list", "api:compensation-record-list",
                 "api:raise-proposal-list", "api:pay-band-list"):
        response = client.get(reverse(name))
        assert response.status_code == 403, name
        assert "results" not in response.json()


def test_a_service_account_with_the_hr_role_still_sees_nothing(world, sc):
    account = core_services.service_account_create(name="hr-tool", role=Role.HR)
    _, key = core_services.api_token_issue(service_account=account)
    from django.test import Client

    client = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert client.get(reverse("api:compensation-record-list")).status_code == 403
    assert client.get(reverse("api:review-detail", args=[sc.review.pk])).status_code == 403
    assert AccessLog.objects.filter(user=account.user).count() == 0


def test_every_pay_read_is_access_logged(world, sc):
    AccessLog.objects.all().delete()
    tl = world.client("tl")
    url = reverse("reviews:compensation-person", args=[world.engineer.pk])
    assert tl.get(url, REMOTE_ADDR="10.1.2.3").status_code == 200
    row = AccessLog.objects.get()
    assert (row.user_id, row.subject_person_id, row.object_type, row.object_id, row.path, row.ip) == (
        world.users["tl"].pk, world.engineer.pk, "reviews.compensation", str(sc.record.pk), url, "10.1.2.3")
    # API detail and list.
    AccessLog.objects.all().delete()
    hr = world.client("hr")
    hr.get(reverse("api:compensation-record-detail", args=[sc.record2.pk]))
    assert list(AccessLog.objects.values_list("user_id", "subject_person_id")) == [
        (world.users["hr"].pk, world.engineer2.pk)]
    AccessLog.objects.all().delete()
    hr.get(reverse("api:compensation-record-list"))
    assert AccessLog.objects.filter(object_type="reviews.compensation").count() == CompensationRecord.objects.count()
    # The overview page logs one row per person whose pay it shows.
    AccessLog.objects.all().delete()
    world.client("em").get(reverse("reviews:compensation-list"))
    assert sorted(AccessLog.objects.values_list("subject_person_id", flat=True)) == sorted(
        [world.em.pk, world.tl.pk, world.engineer.pk])
    # Raise proposals carry pay too.
    AccessLog.objects.all().delete()
    world.client("tl").get(reverse("api:raise-proposal-detail", args=[sc.proposal.pk]))
    assert list(AccessLog.objects.values_list("object_type", "subject_person_id")) == [
        ("reviews.raiseproposal", world.engineer.pk)]


def test_reading_ones_own_pay_is_logged_too(world, sc):
    AccessLog.objects.all().delete()
    world.client("engineer").get(reverse("reviews:compensation-person", args=[world.engineer.pk]))
    assert list(AccessLog.objects.values_list("user_id", "subject_person_id")) == [
        (world.users["engineer"].pk, world.engineer.pk)]


def test_a_review_read_by_someone_else_is_logged_but_not_by_its_subject(world, sc):
    AccessLog.objects.all().delete()
    world.client("em").get(reverse("reviews:review-detail", args=[sc.review.pk]))
    assert list(AccessLog.objects.values_list("user_id", "object_type", "subject_person_id")) == [
        (world.users["em"].pk, "reviews.review", world.engineer.pk)]


def test_denied_reads_leave_no_trace_of_the_data_and_no_log_for_the_subject(world, sc):
    AccessLog.objects.all().delete()
    assert world.client("engineer2").get(
        reverse("reviews:compensation-person", args=[world.engineer.pk])).status_code == 404
    assert AccessLog.objects.filter(subject_person_id=world.engineer.pk).count() == 0


def test_the_cto_sees_who_looked_at_what(world, sc):
    world.client("tl").get(reverse("reviews:compensation-person", args=[world.engineer.pk]))
    page = world.client("cto").get(reverse("core:audit") + "?tab=reads")
    assert page.status_code == 200
    assert "Engineer Person" in page.content.decode()


def test_a_manager_cannot_record_pay_and_nothing_changes(world, sc):
    before = CompensationRecord.objects.count()
    response = world.client("em").post(reverse("api:compensation-record-list"), {
        "person": world.engineer.pk, "effective_date": "2026-01-01", "base_salary": "99999.00", "currency": "EUR",
    }, content_type="application/json")
    assert response.status_code == 403
    assert CompensationRecord.objects.count() == before


def test_an_engineer_cannot_approve_a_raise_and_nothing_changes(world, sc):
    response = world.client("em").post(reverse("api:raise-proposal-approve", args=[sc.proposal.pk]))
    assert response.status_code == 403
    sc.proposal.refresh_from_db()
    assert sc.proposal.status == "proposed"
    assert Decimal(sc.proposal.proposed_salary) == Decimal("63500.00")


def test_the_subject_never_sees_their_potential_or_their_own_calibration(world, sc):
    cto = cto_actor(world)
    services.raise_decide(actor=cto, proposal=sc.proposal, approve=True)
    services.raise_decide(actor=cto, proposal=sc.proposal2, approve=False)
    finish_manager_reviews(world, sc.cycle)
    cycle = services.review_cycle_advance(actor=cto, cycle=sc.cycle)
    cycle = services.review_cycle_advance(actor=cto, cycle=cycle)
    body = world.client("engineer").get(reverse("api:review-detail", args=[sc.review.pk])).json()
    assert "potential" not in body and body["manager_assessment"] == ENG_TEXT
    assert world.client("tl").get(reverse("api:review-detail", args=[sc.review.pk])).json()["potential"] == "high"
    page = world.client("engineer").get(reverse("reviews:review-detail", args=[sc.review.pk])).content.decode()
    assert "Potential:" not in page and 'data-testid="letter-link"' in page
    # The EM's own (shared) review is not part of their calibration view.
    em_review = Review.objects.get(cycle=cycle, subject=world.em)
    calib = world.client("em").get(reverse("api:review-cycle-calibration", args=[cycle.pk])).json()
    boxed = [pk for cells in calib["nine_box"].values() for pks in cells.values() for pk in pks]
    assert em_review.pk not in boxed and sc.review.pk in boxed


def test_budget_reads_are_logged(world, sc):
    AccessLog.objects.all().delete()
    world.client("hr").get(reverse("api:review-cycle-budget", args=[sc.cycle.pk]))
    world.client("cto").get(reverse("reviews:cycle-detail", args=[sc.cycle.pk]))
    world.client("em").get(reverse("reviews:cycle-detail", args=[sc.cycle.pk]))  # no budget shown, no row
    assert sorted(AccessLog.objects.filter(object_type="reviews.budget").values_list("user__username", flat=True)) == [
        "cto", "hr"]


def test_the_subject_never_reads_what_was_said_in_calibration(world, sc):
    cto = cto_actor(world)
    services.raise_decide(actor=cto, proposal=sc.proposal, approve=False)
    services.raise_decide(actor=cto, proposal=sc.proposal2, approve=False)
    finish_manager_reviews(world, sc.cycle)
    cycle = services.review_cycle_advance(actor=cto, cycle=sc.cycle)
    services.review_calibrate(actor=cto, review=sc.review, rating=3, reason="TL-ROOM-REMARK: too generous")
    services.review_cycle_advance(actor=cto, cycle=cycle)
    client = world.client("engineer")
    page = client.get(reverse("reviews:review-detail", args=[sc.review.pk])).content.decode()
    body = client.get(reverse("api:review-detail", args=[sc.review.pk])).content.decode()
    assert "TL-ROOM-REMARK" not in page and "TL-ROOM-REMARK" not in body
    assert "Adjusted in calibration." in page
    assert client.get(reverse("reviews:calibration", args=[cycle.pk])).status_code == 403
