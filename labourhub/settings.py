"""LabourHub settings: one file, every value from the environment (see README)."""

from pathlib import Path

import dj_database_url
from celery.schedules import crontab

from labourhub.env import env_bool, env_int, env_list, env_str, env_url

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = BASE_DIR / ".data"

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY", "insecure-development-key-only-for-debug" if DEBUG else None)
if SECRET_KEY is None:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        "Environment variable SECRET_KEY is required when DEBUG is off "
        "(generate one with: python -c 'import secrets; print(secrets.token_urlsafe(50))')."
    )
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# Ours, in dependency order (DESIGN.md): later apps may import earlier ones.
LABOURHUB_APPS = ["labourhub", "voters", "members", "campaigns", "gotv", "access", "casework"]
INSTALLED_APPS = [
    "labourhub.admin_apps.LabourHubAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "django_htmx",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    *LABOURHUB_APPS,
    "labourhub.status",  # the public status page (issue 18, items 6-8): checks, heartbeats, incidents
]

MIDDLEWARE = [
    "labourhub.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "labourhub.middleware.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "labourhub.middleware.NoStoreMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "labourhub.middleware.MFARequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "labourhub.urls"
WSGI_APPLICATION = "labourhub.wsgi.application"
ASGI_APPLICATION = "labourhub.asgi.application"

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

# --- Database: DATABASE_URL, or the embedded server in .data/postgres -------
# The application connects as a role that owns nothing (DATABASE_URL); migrations connect as the
# owner of the tables (DATABASE_OWNER_URL, the same database). See labourhub/db_roles.py.
DATABASE_URL = env_url("DATABASE_URL", None, schemes=("postgres", "postgresql"))
DATABASE_OWNER_URL = env_url("DATABASE_OWNER_URL", None, schemes=("postgres", "postgresql"))
if DATABASE_URL is None:
    if DATABASE_OWNER_URL is not None:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(
            "Environment variable DATABASE_OWNER_URL is set but DATABASE_URL is not: set both "
            "(the application's role and the owner's), or neither for the embedded server."
        )
    from labourhub import embedded_postgres

    DATABASE_URL = embedded_postgres.start()
    DATABASE_OWNER_URL = embedded_postgres.owner_url()
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL, conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60, minimum=0)
    )
}
DATABASE_OWNER = None
if DATABASE_OWNER_URL is not None:
    _owner = dj_database_url.parse(DATABASE_OWNER_URL)
    if _owner["NAME"] != DATABASES["default"]["NAME"] or _owner["USER"] == DATABASES["default"]["USER"]:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(
            "Environment variable DATABASE_OWNER_URL must name the same database as DATABASE_URL "
            "with another role (the owner of the tables; DATABASE_URL's role owns nothing)."
        )
    DATABASE_OWNER = {key: _owner[key] for key in ("USER", "PASSWORD", "HOST", "PORT")}
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Server-side binding, and Postgres keeps the plan of a statement a connection runs again and again
# (psycopg prepares it after DATABASE_PREPARE_THRESHOLD runs; "off": neither). Measured on the
# polling-day benchmark: a telling's Postgres CPU 5.3 -> 2.8 ms. The knock-up pack's statement,
# whose generic plan was bad (23 -> 108 ms), opts out (gotv/knockup_sql.py). Turn it off behind a
# pooler in transaction mode that does not track prepared statements (PgBouncer before 1.21, or
# 1.21+ without max_prepared_statements): the next transaction may land on another server session.
if env_str("DATABASE_PREPARE_THRESHOLD", "5").lower() != "off":
    DATABASES["default"]["OPTIONS"] = {
        **DATABASES["default"].get("OPTIONS", {}),
        "server_side_binding": True,
        "prepare_threshold": env_int("DATABASE_PREPARE_THRESHOLD", 5, minimum=0),
    }
# Engineers running several suites at once on one server give each its own test database.
DATABASES["default"]["TEST"] = {"NAME": f"test_{env_str('TEST_DB', 'labourhub')}"}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis, Celery, cache -----------------------------------------------------
REDIS_URL = env_url("REDIS_URL", None, schemes=("redis", "rediss"))
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 6 * 3600}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    # No Redis: a real worker process still runs, fed through files under .data/.
    CELERY_BROKER_DIR = env_str("CELERY_BROKER_DIR", str(DATA_DIR / "celery-broker"))
    CELERY_BROKER_URL = "filesystem://localhost//"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": CELERY_BROKER_DIR,
        "data_folder_out": CELERY_BROKER_DIR,
        "control_folder": CELERY_BROKER_DIR + "-control",
    }
    for folder in (CELERY_BROKER_DIR, CELERY_BROKER_DIR + "-control"):
        Path(folder).mkdir(parents=True, exist_ok=True)
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True  # progress and outcomes are written to rows the pages read
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "Europe/London"
CELERY_BEAT_SCHEDULE = {
    # Access: escalate overdue request steps, remind holders 14 days before expiry, record expiries.
    "access-sweep": {"task": "access.tasks.access_sweep_task", "schedule": 15 * 60},
    # Members: start scheduled emails, retry deferred batches, re-queue batches whose worker died.
    "members-email-sweep": {"task": "members.tasks.member_email_sweep", "schedule": 60},
    # Imports: fail those whose worker is gone (heartbeat older than IMPORT_STALE_AFTER_SECONDS),
    # drop staging tables no running import owns.
    "voters-import-sweep": {"task": "voters.tasks.register_import_sweep_task", "schedule": 60},
    "members-import-sweep": {"task": "members.tasks.member_import_sweep", "schedule": 60},
    # Casework: read new mail from each office's mailbox (casework/inbound.py).
    "casework-mailbox-poll": {
        "task": "casework.tasks.mailboxes_poll",
        "schedule": env_int("CASEWORK_MAIL_POLL_SECONDS", 120, minimum=10),
    },
    # Data protection: subject requests' deadline reminders (7 days, 2 days, overdue; once each).
    "dataprotection-remind": {
        "task": "labourhub.dataprotection.tasks.subject_requests_remind_task",
        "schedule": 60 * 60,
    },
    # Data protection: records past their retention period removed nightly (labourhub.retention).
    "retention-nightly": {
        "task": "labourhub.tasks.retention_nightly",
        "schedule": crontab(hour=2, minute=30),
    },
    # Casework: a chaser task on every case whose agency is past its due date (once per missed date,
    # so running it more often only finds lateness sooner).
    "casework-chasers": {"task": "casework.tasks.chasers_create_task", "schedule": 60 * 60},
    # Casework: anonymise closed cases past their office's retention period, nightly at 02:30.
    "casework-retention": {
        "task": "casework.tasks.case_retention_task",
        "schedule": crontab(hour=2, minute=30),
    },
    # Events: the reminder sequence (day before 11:00, morning 08:00, thank-yous, "did they come?").
    "campaigns-event-reminders": {"task": "campaigns.tasks.event_reminders_task", "schedule": 5 * 60},
    # Status page: a check round every 30 s; outside polling-day mode the task skips every other one.
    "status-check-round": {
        "task": "labourhub.status.tasks.status_check_round_task",
        "schedule": 30,
        "options": {"expires": 300},  # labourhub.status.tasks.ROUND_EXPIRES_SECONDS
    },
    # Webhooks: send deliveries whose retry time has come (labourhub/webhooks/services.py).
    "webhooks-due": {"task": "labourhub.webhooks.tasks.webhook_deliveries_due_task", "schedule": 60},
    # API: stored answers of idempotent POSTs older than IDEMPOTENCY_KEEP_HOURS are deleted, hourly.
    "api-idempotency-prune": {
        "task": "labourhub.api_v1.tasks.idempotent_requests_forget_task",
        "schedule": 60 * 60,
    },
}
# Webhooks may be sent to private, loopback and link-local addresses (and by plain http to
# localhost) only when this is on: a development machine or the tests. Off in production, so a
# subscription cannot make the worker call the party's own network (SSRF).
WEBHOOKS_ALLOW_PRIVATE = env_bool("WEBHOOKS_ALLOW_PRIVATE", DEBUG)
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")

# --- Sign-in: django-allauth with MFA -----------------------------------------
AUTH_USER_MODEL = "labourhub.User"
# Django's and allauth's backends, each loading the signed-in user in one constant statement;
# sessions in the database, loaded the same way (labourhub/session_auth.py).
AUTHENTICATION_BACKENDS = [
    "labourhub.session_auth.ModelBackend",
    "labourhub.session_auth.AuthenticationBackend",
]
SESSION_ENGINE = "labourhub.session_auth"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
ACCOUNT_ADAPTER = "labourhub.account_adapter.AccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_RATE_LIMITS = {
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "confirm_email": "1/3m/key",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "LabourHub"
LOGIN_REDIRECT_URL = "home"
LOGIN_URL = "account_login"

# --- Email --------------------------------------------------------------------
EMAIL_HOST = env_str("EMAIL_HOST", "")
EMAIL_PORT = env_int("EMAIL_PORT", 587, minimum=1, maximum=65535)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", EMAIL_PORT == 587)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", EMAIL_PORT == 465)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30, minimum=1)
# With no SMTP host configured (development), messages are printed to the console.
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "LabourHub <no-reply@labourhub.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Text messages (labourhub/sms.py) ----------------------------------------------
# The provider's API base (Twilio's Messages API shape: https://api.twilio.com); unset, SMS is off
# and every SMS choice is hidden. SMS_FROM is the sending number (+44...) or a Messaging Service
# SID (MG...).
SMS_PROVIDER_URL = env_url("SMS_PROVIDER_URL", "", schemes=["https", "http"]).rstrip("/")
SMS_ACCOUNT_SID = env_str("SMS_ACCOUNT_SID", "")
SMS_AUTH_TOKEN = env_str("SMS_AUTH_TOKEN", "")
SMS_FROM = env_str("SMS_FROM", "")
SMS_TIMEOUT = env_int("SMS_TIMEOUT", 10, minimum=1, maximum=120)
if SMS_PROVIDER_URL and not (SMS_ACCOUNT_SID and SMS_AUTH_TOKEN and SMS_FROM):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        "SMS_PROVIDER_URL is set, so SMS_ACCOUNT_SID, SMS_AUTH_TOKEN and SMS_FROM must be set too."
    )

# --- Member email ---------------------------------------------------------------
# Messages a second that one worker sends; 0 means as fast as the SMTP server takes them.
MEMBER_EMAIL_RATE_PER_SECOND = env_int("MEMBER_EMAIL_RATE_PER_SECOND", 20, minimum=0)
# Recipients per task: each batch is sent over one SMTP connection.
MEMBER_EMAIL_BATCH_SIZE = env_int("MEMBER_EMAIL_BATCH_SIZE", 200, minimum=1, maximum=10000)
# A batch with no sign of a worker for this long is queued again by the sweeper.
MEMBER_EMAIL_STALE_AFTER_SECONDS = env_int("MEMBER_EMAIL_STALE_AFTER_SECONDS", 600, minimum=1)
# A running import (register or members) with no heartbeat for this long, and no session holding it,
# is ended as failed by the sweeper (a long apply step saves no heartbeat, but holds the import's lock).
IMPORT_STALE_AFTER_SECONDS = env_int("IMPORT_STALE_AFTER_SECONDS", 300, minimum=1)
# An import still queued (no worker started it) this long after it was queued is queued again by the
# sweeper: its message was lost (a cleared broker folder, a Redis restarted without its data).
IMPORT_QUEUED_STALE_AFTER_SECONDS = env_int("IMPORT_QUEUED_STALE_AFTER_SECONDS", 900, minimum=1)

# --- Status page (issue 18, items 6-8; labourhub/status/, README "Status page") ----------------
# Where the checks send their HTTP round trips: this site as a visitor reaches it (default SITE_URL).
STATUS_CHECK_BASE_URL = env_str("STATUS_CHECK_BASE_URL", SITE_URL).rstrip("/")
STATUS_CHECK_TIMEOUT_SECONDS = env_int("STATUS_CHECK_TIMEOUT_SECONDS", 5, minimum=1, maximum=60)
# A probe slower than this makes its component "slow" (degraded), not down.
STATUS_SLOW_MS = env_int("STATUS_SLOW_MS", 2000, minimum=10)
# Member emails: the oldest unfinished batch waiting longer than this is slow; three times it, down.
STATUS_EMAIL_LAG_SECONDS = env_int("STATUS_EMAIL_LAG_SECONDS", 600, minimum=10)
# Imports: tasks waiting in the broker longer than this (the check round's own wait) is slow.
STATUS_QUEUE_AGE_SECONDS = env_int("STATUS_QUEUE_AGE_SECONDS", 120, minimum=1)
STATUS_QUEUE_DEPTH_SLOW = env_int("STATUS_QUEUE_DEPTH_SLOW", 1000, minimum=1)
# Raw check rows are kept this many days; the daily roll-ups (the 90-day bars) for 120 days.
STATUS_RAW_RETENTION_DAYS = env_int("STATUS_RAW_RETENTION_DAYS", 14, minimum=1, maximum=365)
# Polling-day mode: this many days either side of an election's poll date, checks run every 30 s
# and maintenance cannot be scheduled.
STATUS_POLLING_DAY_WINDOW_DAYS = env_int("STATUS_POLLING_DAY_WINDOW_DAYS", 1, minimum=0, maximum=14)
# After each check round the page is written here as index.html + summary.json (+ status.css), for
# another server to serve when this one is down. Empty: no snapshot.
STATUS_SNAPSHOT_DIR = env_str("STATUS_SNAPSHOT_DIR", str(DATA_DIR / "status-snapshot"))
# The account the sync and page probes sign in as: no grants, no password, sessions deleted each round.
STATUS_PROBE_EMAIL = env_str("STATUS_PROBE_EMAIL", "status-probe@labourhub.invalid")

# --- Retention (issue 16, item 4; labourhub/retention.py, README "Data protection: retention") ----
# Canvass answers and contacts: this many electoral cycles (2: the current and the previous one).
RETENTION_CANVASS_CYCLES = env_int("RETENTION_CANVASS_CYCLES", 2, minimum=1, maximum=5)
# The elections (gotv's kinds) whose polls start a cycle, and a cycle's length where none is recorded.
RETENTION_CYCLE_ELECTION_KINDS = env_list("RETENTION_CYCLE_ELECTION_KINDS", ["general"])
if not RETENTION_CYCLE_ELECTION_KINDS or set(RETENTION_CYCLE_ELECTION_KINDS) - {
    "general",
    "local",
    "by_election",
    "mayoral",
    "pcc",  # gotv.models.Election.Kind
}:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        "Environment variable RETENTION_CYCLE_ELECTION_KINDS must list election kinds from general, "
        f"local, by_election, mayoral, pcc (comma-separated), got {RETENTION_CYCLE_ELECTION_KINDS!r}."
    )
RETENTION_CYCLE_YEARS = env_int("RETENTION_CYCLE_YEARS", 5, minimum=1, maximum=10)
# Lapsed members: deleted this many years after they lapsed.
RETENTION_LAPSED_MEMBER_YEARS = env_int("RETENTION_LAPSED_MEMBER_YEARS", 2, minimum=1, maximum=20)
# Member email send logs (who was sent what, bounces): this many months after the send was planned.
RETENTION_EMAIL_LOG_MONTHS = env_int("RETENTION_EMAIL_LOG_MONTHS", 24, minimum=1, maximum=240)
# Event sign-ups and attendance (who booked, came, the reminders sent them): this many months after
# the shift ended; a sign-up contact with nothing left booked goes with them.
RETENTION_EVENT_ATTENDANCE_MONTHS = env_int("RETENTION_EVENT_ATTENDANCE_MONTHS", 24, minimum=1, maximum=240)
# The audit log: counted past this many years, but append-only (never removed; see README).
# Webhook deliveries and their log (what was sent to an integration, its answers): this many days.
RETENTION_WEBHOOK_LOG_DAYS = env_int("RETENTION_WEBHOOK_LOG_DAYS", 90, minimum=1, maximum=3650)
RETENTION_AUDIT_YEARS = env_int("RETENTION_AUDIT_YEARS", 6, minimum=1, maximum=50)
# Uploaded import files (register, members): deleted this many days after upload (the import's
# report and rows stay).
RETENTION_UPLOAD_DAYS = env_int("RETENTION_UPLOAD_DAYS", 30, minimum=1, maximum=3650)

# --- Offline pages ------------------------------------------------------------
# Answers made offline reach the server at most this long after the person's grant ended
# (and only from data downloaded before it ended: campaigns.offline.late_entry_allowed).
OFFLINE_LATE_ENTRY_HOURS = env_int("OFFLINE_LATE_ENTRY_HOURS", 72, minimum=0, maximum=24 * 30)
# The key of the erasure and objection tombstones' HMAC (labourhub/privacy.py). Unset: derived from
# SECRET_KEY with its own salt, so rotating SECRET_KEY would orphan the tombstones: set it in production
# and never change it.
SUPPRESSION_SECRET = env_str("SUPPRESSION_SECRET", "")
# The envelope and From address of member emails (the display name is the CLP's).
MEMBER_EMAIL_FROM = env_str("MEMBER_EMAIL_FROM", "members@labourhub.localhost")

# --- Member imports -------------------------------------------------------------
# The largest membership export (CSV, or what an XLSX unpacks to) an upload or an import accepts.
MEMBER_IMPORT_MAX_BYTES = env_int("MEMBER_IMPORT_MAX_MB", 100, minimum=1, maximum=10240) * 1024 * 1024

# --- Security -----------------------------------------------------------------
BEHIND_TLS_PROXY = env_bool("BEHIND_TLS_PROXY", False)
if BEHIND_TLS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# How many proxies of ours stand in front (each appends to X-Forwarded-For): the client's address
# is that many entries from the right. 0: the header is ignored and REMOTE_ADDR is the client.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0, minimum=0, maximum=5)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
# Map tiles, e.g. https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png; with none, maps show
# the doors as numbered points. The tile server is the only outside origin a page may load from.
MAP_TILE_URL = env_url("MAP_TILE_URL", "", schemes=("https",))
_TILE_ORIGIN = "/".join(MAP_TILE_URL.replace("{s}.", "*.").split("/")[:3]) if MAP_TILE_URL else ""
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        " ".join(["img-src 'self' data:", _TILE_ORIGIN, *env_list("CSP_IMG_SOURCES", [])]).strip(),
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

# --- Static files -------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": env_str("MEDIA_ROOT", str(DATA_DIR / "media"))},
    },
    "staticfiles": {
        # The manifest needs `collectstatic` first (the Docker image runs it).
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if env_bool("STATIC_MANIFEST", not DEBUG)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG
# Casework's files (attachments, raw inbound messages): outside MEDIA and the static files, served
# only through casework's scoped, audited views. Size limits in bytes.
CASEWORK_FILES_DIR = Path(env_str("CASEWORK_FILES_DIR", str(DATA_DIR / "casework-files")))
CASEWORK_MAX_MESSAGE_BYTES = env_int("CASEWORK_MAX_MESSAGE_BYTES", 25 * 1024 * 1024, minimum=1024)
CASEWORK_MAX_ATTACHMENT_BYTES = env_int("CASEWORK_MAX_ATTACHMENT_BYTES", 10 * 1024 * 1024, minimum=1024)

# --- API ----------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 100,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
# /api/v1/ (issue 18): its schema (drf-spectacular; only /api/v1/ is described), rate limits per
# client address and per token, calls a second (kept in Redis when REDIS_URL is set, per process
# otherwise), and how long an Idempotency-Key's answer is kept.
SPECTACULAR_SETTINGS = {
    "TITLE": "LabourHub API",
    "DESCRIPTION": "The public API of LabourHub: send `Authorization: Bearer <token>` (a token made "
    "under your account's API tokens page). Every call sees only what the token's owner may see now.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "PREPROCESSING_HOOKS": ["labourhub.api_v1.schema.only_v1"],
    "COMPONENT_SPLIT_REQUEST": True,
}
API_RATE_LIMIT_READS = env_int("API_RATE_LIMIT_READS", 15, minimum=1)
API_RATE_LIMIT_WRITES = env_int("API_RATE_LIMIT_WRITES", 5, minimum=1)
IDEMPOTENCY_KEEP_HOURS = env_int("IDEMPOTENCY_KEEP_HOURS", 24, minimum=1)

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}
