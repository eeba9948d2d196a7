from tests.access import Case, page, same


def cases(world):
    return [
        # No sign-in half-way: anonymous goes to the login page, a signed-in user home.
        Case("accounts:mfa-verify", same(302)),
        # Anyone signed in may set up an authenticator for themself.
        Case("accounts:mfa-enrol", page()),
        # Single sign-on is not configured in the matrix run: the pages do not exist.
        Case("accounts:sso-login", same(404)),
        Case("accounts:sso-callback", same(404)),
    ]
