"""Access matrix for global search.

Decision: every person with a portal role may search (the page); every role, service tokens
included, may use the API. What each one finds is scoped per kind (tests/search/test_leaks.py).
An unknown kind is ignored by the page and refused by the API (400), as is a missing text."""
from tests.access import Case, api, override, page


def cases(world):
    return [
        Case("search:results", page()),
        Case("search:results", page(), query="q=alpha"),
        Case("search:results", page(), query="q=alpha&kind=meeting"),
        Case("search:results", page(), query="q=alpha&kind=nonsense"),
        Case("search:results", page(), query="q=" + "x" * 1000),
        Case("search:results", page(ok=405, denied=405), method="post", data={"q": "alpha"}),
        Case("api:search", api(), query="q=alpha"),
        Case("api:search", api(), query="q=alpha&kind=resource&limit=3"),
        Case("api:search", api(ok=400, denied=400), query="q=alpha&kind=salary"),
        Case("api:search", api(ok=400, denied=400), query="q=alpha&kind=review"),
        Case("api:search", api(ok=400, denied=400)),
        Case("api:search", api(ok=400, denied=400), query="q=" + "x" * 201),
        Case("api:search", override(api(ok=405, denied=405)), method="post", data={"q": "alpha"}),
    ]
