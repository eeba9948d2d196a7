import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from apps.core.access import get_actor
from apps.org import selectors, services
from apps.org.models import Person

pytestmark = pytest.mark.django_db


def test_manager_loops_are_refused(world):
    actor = get_actor(world.users["cto"])
    with pytest.raises(ValidationError) as exc:
        services.person_update(actor=actor, person=world.em, manager=world.engineer)
    assert exc.value.message_dict["manager"] == [
        "That manager reports (directly or not) to this person: it would make a loop."
    ]
    world.em.refresh_from_db()
    assert world.em.manager == world.cto


def test_email_is_unique_case_insensitively(world):
    with pytest.raises(ValidationError) as exc:
        services.person_create(actor=get_actor(world.users["hr"]), full_name="Dup", email="ENGINEER@example.com",
                               role="engineer")
    assert exc.value.message_dict == {"email": ["Another person already has this email."]}


def test_deactivating_a_leader_moves_reports_up_and_disables_login(world):
    actor = get_actor(world.users["hr"])
    services.person_deactivate(actor=actor, person=world.tl)
    world.tl.refresh_from_db()
    world.engineer.refresh_from_db()
    world.users["tl"].refresh_from_db()
    assert world.tl.is_active is False
    assert world.tl.end_date is not None
    assert world.engineer.manager == world.em
    assert world.users["tl"].is_active is False
    assert Person.objects.filter(pk=world.tl.pk).exists()  # never deleted
    # Gone from the directory for an engineer; still visible to HR and to the former manager.
    assert not selectors.person_list(actor=get_actor(world.users["engineer2"])).filter(pk=world.tl.pk).exists()
    assert selectors.person_get(actor=get_actor(world.users["hr"]), pk=world.tl.pk) == world.tl
    assert selectors.person_get(actor=get_actor(world.users["em"]), pk=world.tl.pk) == world.tl


def test_only_cto_and_hr_change_people(world):
    for role in ("engineer", "tl", "em", "pm", "finance"):
        with pytest.raises(PermissionDenied):
            services.person_update(actor=get_actor(world.users[role]), person=world.engineer, title="Hacked")
    world.engineer.refresh_from_db()
    assert world.engineer.title == "Engineer"


def test_reporting_chain(world):
    em = get_actor(world.users["em"])
    assert em.report_ids == {world.tl.pk, world.engineer.pk}
    assert em.manages(world.engineer.pk)
    assert not em.manages(world.engineer2.pk)
    assert em.manager_chain_of(world.engineer.pk) == [world.tl.pk, world.em.pk, world.cto.pk]
    assert em.can_view_sensitive_person_data(world.engineer.pk)
    assert not em.can_view_sensitive_person_data(world.engineer2.pk)
    peer = get_actor(world.users["engineer2"])
    assert not peer.can_view_sensitive_person_data(world.engineer.pk)
    assert peer.can_view_sensitive_person_data(world.engineer2.pk)
    assert get_actor(world.users["hr"]).can_view_sensitive_person_data(world.engineer.pk)


def test_direct_reports_and_org_chart(world):
    cto = get_actor(world.users["cto"])
    nodes = selectors.direct_reports(actor=cto)
    assert [(n.person.full_name, n.headcount) for n in nodes] == [
        ("Em Person", 2), ("Em2 Person", 2), ("Pm Person", 0), ("Hr Person", 0), ("Finance Person", 0),
    ]
    roots = selectors.org_chart(actor=cto)
    assert [r.person for r in roots] == [world.cto]
    assert roots[0].headcount == 9
