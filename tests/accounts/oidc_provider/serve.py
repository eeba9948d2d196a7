"""A real OpenID Connect provider for the SSO tests: django-oauth-toolkit with OIDC on, in its
own process, its own SQLite file and a fresh RSA key, on a free port of 127.0.0.1.

    python -m tests.accounts.oidc_provider.serve CONFIG.json

CONFIG: {"db": path, "client_id", "client_secret", "redirect_uri",
         "users": [{"username", "password", "email", "email_verified", "amr"}]}
Prints ``READY <port>`` once it serves; stops on SIGTERM."""
from __future__ import annotations

import json
import sys
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


def _configure(config: dict, port: int) -> None:
    import django
    from django.conf import settings

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    settings.configure(
        DEBUG=False,
        SECRET_KEY="oidc-test-provider-only-" + "x" * 40,
        ALLOWED_HOSTS=["127.0.0.1", "localhost"],
        ROOT_URLCONF="tests.accounts.oidc_provider.urls",
        INSTALLED_APPS=["django.contrib.auth", "django.contrib.contenttypes", "django.contrib.sessions",
                        "oauth2_provider"],
        MIDDLEWARE=["django.contrib.sessions.middleware.SessionMiddleware",
                    "django.middleware.csrf.CsrfViewMiddleware",
                    "django.contrib.auth.middleware.AuthenticationMiddleware"],
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": config["db"]}},
        TEMPLATES=[{"BACKEND": "django.template.backends.django.DjangoTemplates", "OPTIONS": {
            "loaders": [("django.template.loaders.locmem.Loader", {"login.html": (
                "<!doctype html><title>Test IdP</title><form method='post'>{% csrf_token %}{{ form.as_p }}"
                "<input type='hidden' name='next' value='{{ next }}'><button type='submit'>Sign in</button></form>"
            )})],
            "context_processors": ["django.template.context_processors.request"]}}],
        LOGIN_URL="/login/",
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
        # Tables straight from the models (no migration history): a start in about a second.
        MIGRATION_MODULES={app: None for app in ("auth", "contenttypes", "sessions", "oauth2_provider")},
        USE_TZ=True,
        PROVIDER_USERS={u["username"]: u for u in config["users"]},
        OAUTH2_PROVIDER={
            "OIDC_ENABLED": True,
            "OIDC_RSA_PRIVATE_KEY": pem,
            "OIDC_ISS_ENDPOINT": f"http://127.0.0.1:{port}/o",
            "PKCE_REQUIRED": True,
            "ALLOWED_REDIRECT_URI_SCHEMES": ["http", "https"],
            "OAUTH2_VALIDATOR_CLASS": "tests.accounts.oidc_provider.validators.ClaimsValidator",
            "SCOPES": {"openid": "OpenID Connect", "email": "E-mail", "profile": "Profile"},
        },
    )
    django.setup()


def _seed(config: dict) -> None:
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from oauth2_provider.models import Application

    call_command("migrate", verbosity=0, run_syncdb=True)
    for u in config["users"]:
        User.objects.create_user(username=u["username"], password=u["password"], email=u["email"])
    Application.objects.create(
        name="CTO Portal", client_id=config["client_id"], client_secret=config["client_secret"],
        client_type=Application.CLIENT_CONFIDENTIAL, authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=config["redirect_uri"], algorithm=Application.RS256_ALGORITHM, skip_authorization=True)


def main() -> None:
    config = json.loads(open(sys.argv[1]).read())
    app = {}
    # Bind first (port 0: the system picks a free one), so the issuer URL can name the port.
    server = make_server("127.0.0.1", 0, lambda environ, start: app["wsgi"](environ, start),
                         server_class=_ThreadingServer, handler_class=_QuietHandler)
    port = server.server_port
    _configure(config, port)
    _seed(config)
    from django.core.wsgi import get_wsgi_application

    app["wsgi"] = get_wsgi_application()
    print(f"READY {port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
