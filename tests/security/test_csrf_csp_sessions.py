"""CSRF on every POST (plain and htmx), the Content-Security-Policy, production cookie flags, sign-in throttling
and password rules. The webhook probes (signature missing, wrong, body changed after signing → 403; the CRC
signing oracle; the secret URL) are tests/social/test_webhook_security.py; the websocket origin check is
tests/security/test_websocket_matrix.py; "agent B never receives agent A's pushes" tests/workspace/test_consumers.py."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client

from tests.factories import PASSWORD, AgentFactory
from tests.security.test_authorization_matrix import MATRIX, url_of
from tests.test_deploy_settings import manage, production_env

pytestmark = pytest.mark.django_db

# Not protected by CSRF on purpose: X signs its webhook deliveries (HMAC of the body), and the sandbox plays X's
# API, which has no cookies (it is off in production).
CSRF_EXEMPT = ("webhooks/", "x-sandbox/")
POST_ROUTES = [r for r, row in MATRIX.items() if row[0] == "POST" and not r.startswith(CSRF_EXEMPT)]


@pytest.mark.parametrize("htmx", [False, True], ids=["form", "htmx"])
@pytest.mark.parametrize("route", POST_ROUTES)
def test_every_post_without_the_csrf_token_is_refused(route, htmx, world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world["users"]["agent_a"], backend="django.contrib.auth.backends.ModelBackend")
    headers = {"HX-Request": "true"} if htmx else {}
    response = client.post(url_of(route, world), {"text": "hi", "sentiment": "negative"}, headers=headers)
    assert response.status_code == 403, route


def test_the_htmx_header_from_the_page_passes_csrf():
    agent = AgentFactory()
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent, backend="django.contrib.auth.backends.ModelBackend")
    page = client.get("/workspace/").content.decode()
    token = re.search(r'hx-headers=\'\{"X-CSRFToken": "([^"]+)"\}\'', page).group(1)
    response = client.post("/workspace/presence/", {"channel": "chat", "ready": "1"},
                           headers={"HX-Request": "true", "X-CSRFToken": token})  # fmt: skip
    assert response.status_code == 200


def test_pages_carry_a_csp_without_inline_scripts(admin_client):
    agent = AgentFactory()
    client = Client()
    client.force_login(agent, backend="django.contrib.auth.backends.ModelBackend")
    for response in (client.get("/workspace/"), Client().get("/accounts/login/"), admin_client.get("/admin/"),
                     Client().get("/x-sandbox/simulator/")):  # fmt: skip
        policy = response.headers["Content-Security-Policy"]
        script_src = next(p for p in policy.split(";") if p.strip().startswith("script-src"))
        assert script_src.split() == ["script-src", "'self'"], policy
        assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy


def test_templates_have_no_inline_script_or_event_handler():
    """Under the CSP they would not run: keep JavaScript in static files."""
    offenders = []
    for template in Path(settings.BASE_DIR, "templates").rglob("*.html"):
        text = template.read_text()
        inline = [m for m in re.findall(r"<script\b[^>]*>", text) if "src=" not in m and "application/json" not in m]
        handlers = (
            re.findall(r"\son[a-z]+\s*=", text) + re.findall(r"hx-on[:-]", text) + re.findall(r"javascript:", text)
        )
        if inline or handlers:
            offenders.append(f"{template.name}: {inline + handlers}")
    assert not offenders


def test_production_cookies_are_secure_http_only_and_same_site(tmp_path):
    script = ("from django.conf import settings as s; print(s.SESSION_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, "
              "s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_SAMESITE, s.CSRF_COOKIE_SAMESITE, s.SECURE_SSL_REDIRECT, "
              "bool(s.SECURE_HSTS_SECONDS))")  # fmt: skip
    result = manage("shell", "--verbosity", "0", "-c", script, **production_env(tmp_path))
    assert result.stdout.split()[-7:] == ["True", "True", "True", "Lax", "Lax", "True", "True"], result.stderr


def test_sign_in_locks_after_the_failure_limit_with_a_clear_message(settings):
    agent = AgentFactory()
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = client.post("/accounts/login/", {"username": agent.username, "password": "wrong"})
        assert response.status_code == 200  # the form again, with its error
    assert client.post("/accounts/login/", {"username": agent.username, "password": "wrong"}).status_code == 429
    locked = client.post("/accounts/login/", {"username": agent.username, "password": PASSWORD})
    assert locked.status_code in (403, 429)
    assert "too many" in locked.content.decode().lower()
    assert "_auth_user_id" not in client.session  # even the right password does not get in while locked


def test_password_rules_refuse_weak_passwords():
    for weak in ("password", "12345678", "short"):
        with pytest.raises(ValidationError):
            validate_password(weak)
    validate_password("correct-horse-battery-staple")
