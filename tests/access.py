"""Building blocks for the access matrix (tests/test_access_matrix.py).

Each app's test package has an ``access.py`` with ``def cases(world) -> list[Case]``: one
Case per URL name (with the kwargs to reverse it) and the expected status per role. The
matrix test fails for any URL of the project that no Case covers."""
from __future__ import annotations

from dataclasses import dataclass, field

ROLES = ("anonymous", "engineer", "tl", "em", "pm", "finance", "hr", "cto", "service")
PEOPLE = ("engineer", "tl", "em", "pm", "finance", "hr", "cto")


@dataclass
class Case:
    name: str
    expect: dict[str, int]
    kwargs: dict = field(default_factory=dict)
    method: str = "get"
    query: str = ""
    data: dict | None = None

    def __post_init__(self):
        missing = set(ROLES) - set(self.expect)
        if missing:
            raise ValueError(f"{self.name}: no expected status for {sorted(missing)}")


def page(allowed=PEOPLE, *, ok: int = 200, denied: int = 403) -> dict[str, int]:
    """An HTML page: anonymous and the service token (no session) are sent to the login page."""
    expect = {"anonymous": 302, "service": 302}
    for role in PEOPLE:
        expect[role] = ok if role in allowed else denied
    return expect


def api(allowed=(*PEOPLE, "service"), *, ok: int = 200, denied: int = 403) -> dict[str, int]:
    """An API endpoint: anonymous gets 401 (with WWW-Authenticate)."""
    expect = {"anonymous": 401}
    for role in (*PEOPLE, "service"):
        expect[role] = ok if role in allowed else denied
    return expect


def same(status: int) -> dict[str, int]:
    return dict.fromkeys(ROLES, status)


def override(base: dict[str, int], **changes: int) -> dict[str, int]:
    return {**base, **changes}
