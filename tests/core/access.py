from tests.access import PEOPLE, Case, api, override, page, same


def cases(world):
    return [
        Case("healthz", same(200)),
        Case("login", override(same(200), **dict.fromkeys(PEOPLE, 302))),  # signed in: sent home
        Case("logout", same(405)),  # sign-out is POST only
        Case("api-schema", api()),
        Case("api-docs", api()),
        Case("api:api-root", api()),
        Case("core:audit", page(allowed=("cto",))),
        Case("core:syncrun-detail", page(ok=404), kwargs={"pk": 999999}),
        Case("dashboard:home", page()),
    ]
