"""Test settings: the project's settings with its own var/ (test database file, embedded Redis socket)."""

import os
from pathlib import Path

# Kept apart from var/ so `make test` never touches a running `make run` (its database, Redis or workers).
os.environ.setdefault("PERCH_VAR_DIR", str(Path(__file__).resolve().parent.parent / "var" / "test"))

from workspace.settings import *  # noqa: E402,F403
from workspace.settings import env  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only; real hashers in production
AXES_ENABLED = True
X_SANDBOX_ENABLED = True

# Tasks run inline in the process that enqueues them (the test, or the live server) unless a test starts a real
# worker: the same code paths, without a worker to manage in every test. Worker-level behaviour (acks_late,
# a worker killed mid-task, /healthz) is tested with real `celery worker` processes.
CELERY_TASK_ALWAYS_EAGER = env.bool("PERCH_CELERY_EAGER", default=True)
CELERY_TASK_EAGER_PROPAGATES = True

# Connections opened in helper threads (database_sync_to_async, the websocket tests) must not outlive their call,
# or the test database cannot be dropped at the end of the run.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
