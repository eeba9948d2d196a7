"""Org pages and endpoints with the demo organisation (~80 people)."""

URLS = [
    ("home", "/"),
    ("direct reports", "/org/direct-reports/"),
    ("org chart", "/org/chart/"),
    ("people list", "/org/people/"),
    ("teams", "/org/teams/"),
    ("API people (page of 50)", "/api/v1/people/"),
    ("API direct reports", "/api/v1/direct-reports/"),
]


def run(client, timed):
    return [(label, *timed(client, url)) for label, url in URLS]
