from tests.access import Case, api

VIEWS = ("cto", "em", "tl", "pm", "engineer", "finance", "hr")


def cases(world):
    # Each role view: that role and the CTO; the plain service token has no dashboard (403).
    return [Case(f"api:dashboard-{view}", api(allowed=("cto", view))) for view in VIEWS]
