from tests.access import Case, api, override, page

MANAGERS = ("cto", "hr")


def cases(world):
    engineer = world.engineer
    team = world.teams["alpha"]
    return [
        Case("org:direct-reports", page()),
        Case("org:chart", page()),
        Case("org:person-list", page()),
        Case("org:person-create", page(allowed=MANAGERS)),
        Case("org:people-import", page(allowed=MANAGERS)),
        Case("org:person-detail", page(), kwargs={"pk": engineer.pk}),
        Case("org:person-edit", page(allowed=MANAGERS), kwargs={"pk": engineer.pk}),
        # POST-only; a GET is refused (405) once signed in.
        Case("org:person-deactivate", page(ok=405, denied=405), kwargs={"pk": engineer.pk}),
        Case("org:team-list", page()),
        Case("org:team-create", page(allowed=MANAGERS)),
        Case("org:team-detail", page(), kwargs={"slug": team.slug}),
        Case("org:team-edit", page(allowed=MANAGERS), kwargs={"slug": team.slug}),
        Case("api:team-list", api()),
        Case("api:team-detail", api(), kwargs={"slug": team.slug}),
        Case("api:person-list", api()),
        Case("api:person-detail", api(), kwargs={"pk": engineer.pk}),
        Case("api:direct-reports", api()),
        Case("api:me", api()),
        # Writes: only CTO and HR; a refused write changes nothing (asserted in tests/org).
        Case("api:person-list", override(api(allowed=MANAGERS, ok=400), service=403), method="post", data={}),
    ]
