"""Django settings for the django-helpdesk peer of the intake benchmark (benchmarks/intake_peers.py).

Run only inside the virtual environment that benchmarks/peers.py builds (never the app's): the
package's documented minimal set of apps, its public ticket form with a fixed public queue, CSRF on,
e-mail rendered but not sent (the dummy backend: the registry queues its e-mail in an outbox row
and sends it after the commit), no debug. The database comes from HELPDESK_DATABASE_URL with the
app's durability: SQLite in WAL with synchronous FULL and BEGIN IMMEDIATE; PostgreSQL as the
server has it (synchronous_commit on). Django's own transaction default is kept (autocommit, no
ATOMIC_REQUESTS), as django-helpdesk ships it.
"""

import os
from urllib.parse import urlsplit

SECRET_KEY = "benchmark-only-not-a-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "helpdesk_site.urls"
WSGI_APPLICATION = "helpdesk_site.wsgi.application"
SITE_ID = 1
USE_TZ = True
TIME_ZONE = "UTC"
LANGUAGE_CODE = "en"
STATIC_URL = "/static/"
MEDIA_ROOT = os.environ["HELPDESK_MEDIA_ROOT"]  # set by benchmarks/peers.py: a temporary directory
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
DEFAULT_FROM_EMAIL = "helpdesk@example.org"
LOGIN_URL = "/login/"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django.contrib.humanize",
    "rest_framework",
    "helpdesk",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

HELPDESK_TEAMS_MODE_ENABLED = False  # pinax-teams is optional and not installed
HELPDESK_PUBLIC_TICKET_QUEUE = "complaints"
HELPDESK_PUBLIC_TICKET_PRIORITY = 3
HELPDESK_REDIRECT_TO_LOGIN_BY_DEFAULT = False
HELPDESK_SUBMIT_A_TICKET_PUBLIC = True

_url = urlsplit(os.environ["HELPDESK_DATABASE_URL"])
if _url.scheme.startswith("sqlite"):
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": _url.path[1:] if _url.path.startswith("//") else _url.path,
            "OPTIONS": {
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 30,
            },
        }
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": _url.path.lstrip("/"),
            "USER": _url.username or "postgres",
            "PASSWORD": _url.password or "",
            "HOST": _url.hostname or "127.0.0.1",
            "PORT": str(_url.port or 5432),
        }
    }
