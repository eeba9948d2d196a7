"""The test provider's claims: e-mail, e-mail verified and amr per user, from the users file."""
from django.conf import settings
from oauth2_provider.oauth2_validators import OAuth2Validator


class ClaimsValidator(OAuth2Validator):
    oidc_claim_scope = {**OAuth2Validator.oidc_claim_scope, "amr": "openid"}

    def get_additional_claims(self, request):
        user = settings.PROVIDER_USERS[request.user.get_username()]
        claims = {"email": user["email"], "email_verified": user.get("email_verified", True),
                  "preferred_username": request.user.get_username()}
        if user.get("amr"):
            claims["amr"] = user["amr"]
        return claims
