"""Test settings: the project's settings with its own var/ (test database file, embedded Redis socket)."""

import os
from pathlib import Path

# Kept apart from var/ so `make test` never touches a running `make run` (its database, Redis or workers).
os.environ.setdefault("PERCH_VAR_DIR", str(Path(__file__).resolve().parent.parent / "var" / "test"))

from workspace.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only; real hashers in production
AXES_ENABLED = True
X_SANDBOX_ENABLED = True
