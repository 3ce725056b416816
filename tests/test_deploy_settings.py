"""Production settings: `check --deploy` is clean, and missing secrets stop start-up with a clear error."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def manage(*args, **env_overrides) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE")}
    env.update(DJANGO_SETTINGS_MODULE="workspace.settings", **env_overrides)
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True)


def production_env(tmp_path) -> dict:
    return {
        "DEBUG": "False",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "FIELD_ENCRYPTION_KEY": secrets.token_urlsafe(32),
        "ALLOWED_HOSTS": "perch.example.com",
        "PERCH_VAR_DIR": str(tmp_path),
    }


def test_check_deploy_prints_no_warning_with_production_settings(tmp_path):
    result = manage("check", "--deploy", "--fail-level", "WARNING", **production_env(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    env = production_env(tmp_path)
    env["SECRET_KEY"] = ""
    result = manage("check", **env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off." in result.stderr


def test_check_deploy_warns_while_the_sandbox_is_on_with_debug_off(tmp_path):
    env = {**production_env(tmp_path), "X_SANDBOX_ENABLED": "True", "X_SANDBOX_TOKEN": secrets.token_urlsafe(32)}
    result = manage("check", "--deploy", "--fail-level", "WARNING", **env)
    assert result.returncode != 0, result.stdout + result.stderr
    assert "(perch.W001) The X sandbox is enabled with DEBUG off" in result.stderr, result.stderr


def test_check_without_deploy_says_nothing_of_the_sandbox(tmp_path):
    env = {**production_env(tmp_path), "X_SANDBOX_ENABLED": "True"}
    result = manage("check", "--fail-level", "WARNING", **env)
    assert result.returncode == 0 and "perch.W001" not in result.stdout + result.stderr
