"""Settings, read from the environment with safe development defaults.

`Config` is the development default (SQLite under instance/); `ProductionConfig`
refuses to start without real secrets; tests subclass `Config` in tests/conftest.py.
"""

from __future__ import annotations

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("INSTANCE_PATH", BASE_DIR / "instance"))


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


#: Default complaint categories for a betting operator: code -> name per language.
DEFAULT_CATEGORIES: list[dict] = [
    {
        "code": "payments",
        "names": {
            "en": "Payments and withdrawals",
            "ru": "Платежи и вывод средств",
            "ro": "Plăți și retrageri",
            "uk": "Платежі та виведення коштів",
        },
    },
    {
        "code": "bet_settlement",
        "names": {
            "en": "Bet settlement and rules",
            "ru": "Расчёт ставок и правила",
            "ro": "Decontarea pariurilor și reguli",
            "uk": "Розрахунок ставок і правила",
        },
    },
    {
        "code": "technical",
        "names": {
            "en": "Technical problems with the site or app",
            "ru": "Технические проблемы с сайтом или приложением",
            "ro": "Probleme tehnice cu site-ul sau aplicația",
            "uk": "Технічні проблеми з сайтом або застосунком",
        },
    },
    {
        "code": "bonuses",
        "names": {
            "en": "Bonuses and promotions",
            "ru": "Бонусы и акции",
            "ro": "Bonusuri și promoții",
            "uk": "Бонуси та акції",
        },
    },
    {
        "code": "account",
        "names": {
            "en": "Account and verification",
            "ru": "Аккаунт и верификация",
            "ro": "Cont și verificare",
            "uk": "Обліковий запис і верифікація",
        },
    },
    {
        "code": "support_quality",
        "names": {
            "en": "Quality of support",
            "ru": "Качество поддержки",
            "ro": "Calitatea asistenței",
            "uk": "Якість підтримки",
        },
    },
    {
        "code": "other",
        "names": {"en": "Other", "ru": "Другое", "ro": "Altele", "uk": "Інше"},
    },
]


#: Escalation tiers, lowest first: names per language, and the days a complaint may stay
#: unresolved at the tier before it rises to the next (None: no deadline, the last tier).
DEFAULT_TIERS: list[dict] = [
    {
        "level": 1,
        "names": {"en": "Support desk", "ru": "Служба поддержки", "ro": "Serviciul de suport",
                  "uk": "Служба підтримки"},
        "resolution_days": 3,
    },
    {
        "level": 2,
        "names": {"en": "Specialist department", "ru": "Профильный отдел", "ro": "Departamentul de specialitate",
                  "uk": "Профільний відділ"},
        "resolution_days": 5,
    },
    {
        "level": 3,
        "names": {"en": "Management", "ru": "Руководство", "ro": "Conducerea", "uk": "Керівництво"},
        "resolution_days": 10,
    },
    {
        "level": 4,
        "names": {"en": "Board / external ombudsman", "ru": "Совет директоров / внешний омбудсмен",
                  "ro": "Consiliul / ombudsmanul extern", "uk": "Рада директорів / зовнішній омбудсмен"},
        "resolution_days": None,
    },
]


#: The development default of SECRET_KEY: published here, so refused in production.
DEVELOPMENT_SECRET_KEY = "dev-only-not-secret"  # noqa: S105


class Config:
    """Development defaults: everything works on a fresh machine with nothing installed."""

    SECRET_KEY = os.environ.get("SECRET_KEY", DEVELOPMENT_SECRET_KEY)
    INSTANCE_PATH = str(INSTANCE_DIR)
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'registry.sqlite3'}"
    )
    #: Seconds a request waits for a busy database before it retries the whole unit of work.
    DATABASE_BUSY_TIMEOUT = _env_int("DATABASE_BUSY_TIMEOUT", 30)
    #: How many times a unit of work is retried when the database reports a transient conflict.
    DATABASE_RETRIES = _env_int("DATABASE_RETRIES", 8)
    #: How a pooled connection is checked before a request uses it, so that the app recovers by
    #: itself after the database server restarts (a connection that fails mid-request is
    #: replaced too): "socket" (no round trip) or "ping" (a round trip each time, for a server
    #: behind a connection pooler such as PgBouncer). Not on SQLite, which has no server to
    #: restart (app.database.configure_pool).
    DATABASE_POOL_CHECK = os.environ.get("DATABASE_POOL_CHECK", "socket")
    #: Seconds clients are asked to wait (Retry-After) when the database cannot be reached.
    DATABASE_UNAVAILABLE_RETRY_AFTER = _env_int("DATABASE_UNAVAILABLE_RETRY_AFTER", 5)

    # Serving -----------------------------------------------------------------------
    #: Logs on stderr: "text" lines, or "json" (one object per line; the production default).
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "text")
    #: Reverse proxies in front of the app whose X-Forwarded-For/-Proto/-Host are trusted
    #: (1 behind one nginx); 0 trusts none, so clients cannot fake their address.
    PROXY_COUNT = _env_int("PROXY_COUNT", 0)

    # The registry ----------------------------------------------------------------
    REGISTRY_KEY_PATH = os.environ.get(
        "REGISTRY_KEY_PATH", str(INSTANCE_DIR / "registry_ed25519.pem")
    )
    #: Create the signing key on first run when it does not exist (never in production).
    REGISTRY_KEY_AUTOCREATE = True
    #: The key and X.509 certificate that sign receipts and letters as PDFs (PAdES): an ECDSA
    #: (or RSA) key in PEM, and the certificate in PEM, optionally followed by its issuers.
    #: Not the Ed25519 registry key: PDF readers (poppler's pdfsig, NSS) cannot check Ed25519.
    DOCUMENT_SIGNING_KEY_PATH = os.environ.get(
        "DOCUMENT_SIGNING_KEY_PATH", str(INSTANCE_DIR / "document_signing_key.pem")
    )
    DOCUMENT_CERTIFICATE_PATH = os.environ.get(
        "DOCUMENT_CERTIFICATE_PATH", str(INSTANCE_DIR / "document_signing_certificate.pem")
    )
    #: Create that key and a self-signed certificate on first run (never in production).
    DOCUMENT_SIGNING_AUTOCREATE = True
    #: Display format of incoming numbers; fields: year, seq.
    NUMBER_FORMAT = os.environ.get("NUMBER_FORMAT", "{year}/{seq:06d}")
    #: Hours from receipt to the first-response deadline.
    FIRST_RESPONSE_HOURS = _env_int("FIRST_RESPONSE_HOURS", 24)
    #: The regulator's clocks a complaint runs: a preset of app/clocks/presets.py (docs/clock-policies.md);
    #: administrators choose and adjust it on /admin/clocks.
    CLOCK_POLICY = os.environ.get("CLOCK_POLICY", "current")
    #: The working calendar the clocks count on: public holidays of a country (ISO code, and
    #: subdivision where they differ, e.g. GB and ENG); empty: weekends only. Administrators add
    #: their own holidays and working days, and opening hours, on /admin/clocks.
    CALENDAR_COUNTRY = os.environ.get("CALENDAR_COUNTRY", "MD")
    CALENDAR_SUBDIVISION = os.environ.get("CALENDAR_SUBDIVISION") or None
    #: The ADR entity or ombudsman final responses name: {"name", "address", "website",
    #: "time_limit_months"}; None until set (here or on /admin/clocks). A policy whose final
    #: response must name one refuses a decision without it.
    REFERRAL_BODY: dict | None = None
    #: Share of a deadline's time after which staff are warned that it is due soon.
    DUE_SOON_FRACTION = float(os.environ.get("DUE_SOON_FRACTION", "0.75"))
    ESCALATION_TIERS = DEFAULT_TIERS
    #: The tier a complaint goes to when it has been transferred MAX_TRANSFERS times.
    MANAGEMENT_TIER = _env_int("MANAGEMENT_TIER", 3)
    MAX_TRANSFERS = _env_int("MAX_TRANSFERS", 2)
    #: Days after closing during which the complainant may rate the handling (the default of
    #: the administrators' setting, /admin/ratings); the one reminder goes at half of it.
    RATING_WINDOW_DAYS = _env_int("RATING_WINDOW_DAYS", 30)
    #: Display format of outgoing letter numbers; fields: year, seq.
    OUTGOING_NUMBER_FORMAT = os.environ.get("OUTGOING_NUMBER_FORMAT", "OUT-{year}/{seq:06d}")
    #: How many complaints one enforcement transaction handles.
    ENFORCEMENT_BATCH_SIZE = _env_int("ENFORCEMENT_BATCH_SIZE", 2000)
    #: The organisation's time zone: numbers are per year in it, and dates print in it.
    REGISTRY_TIMEZONE = os.environ.get("REGISTRY_TIMEZONE", "Europe/Chisinau")
    #: Where signed checkpoints of the chain heads are written, one JSON file each: outside the
    #: database, and best copied elsewhere too (docs/operations.md, "Checkpoints").
    REGISTRY_CHECKPOINT_DIR = os.environ.get("REGISTRY_CHECKPOINT_DIR", str(INSTANCE_DIR / "checkpoints"))
    #: Seconds between the checkpoints `flask deadlines watch` writes (only when a head moved);
    #: 0: the watcher writes none (cron runs `flask registry checkpoint` instead).
    REGISTRY_CHECKPOINT_INTERVAL = _env_int("REGISTRY_CHECKPOINT_INTERVAL", 3600)
    #: Addresses each new checkpoint is e-mailed to (comma-separated in the environment); none: no e-mail.
    REGISTRY_CHECKPOINT_AUDITORS: list[str] = [
        a.strip() for a in os.environ.get("REGISTRY_CHECKPOINT_AUDITORS", "").split(",") if a.strip()
    ]
    #: The address the public reaches the registry at: the base of every link printed on a
    #: document (receipt QR code, verify address) or sent in an e-mail, so that a receipt and a
    #: mail carry the same links whichever process made them. `make run` sets it from its host
    #: and port; production requires it. Empty (development only): a page uses the request's
    #: host, and a process with no request (the deadline watcher) uses flask run's own default.
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "")
    #: Where every document issued (receipt, reprint, letter) is kept, write-once, as it was first
    #: delivered: outside the web root, backed up with the database (app/registry/issued.py).
    DOCUMENTS_DIR = os.environ.get("DOCUMENTS_DIR", str(INSTANCE_DIR / "documents"))

    # Intake ------------------------------------------------------------------------
    CATEGORIES = DEFAULT_CATEGORIES
    #: Region used to read phone numbers written without a country code.
    PHONE_DEFAULT_REGION = os.environ.get("PHONE_DEFAULT_REGION", "MD")
    PDF_TEMPLATES_DIR = str(BASE_DIR / "pdf_templates")
    ATTACHMENTS_DIR = os.environ.get("ATTACHMENTS_DIR", str(INSTANCE_DIR / "attachments"))
    ATTACHMENT_MAX_BYTES = _env_int("ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)
    ATTACHMENT_MAX_FILES = _env_int("ATTACHMENT_MAX_FILES", 5)
    #: All evidence files together (each distinct file once): above it, uploads are refused at the field.
    EVIDENCE_STORAGE_MAX_BYTES = _env_int("EVIDENCE_STORAGE_MAX_BYTES", 20 * 1024**3)
    #: A request larger than this is refused outright (attachments plus form fields).
    MAX_CONTENT_LENGTH = 64 * 1024 * 1024

    # E-mail notifications ----------------------------------------------------------
    #: "outbox" writes each message as an .eml file into MAIL_OUTBOX_DIR (development: no mail
    #: server needed); "smtp" sends through MAIL_SERVER.
    MAIL_TRANSPORT = os.environ.get("MAIL_TRANSPORT", "outbox")
    MAIL_OUTBOX_DIR = os.environ.get("MAIL_OUTBOX_DIR", str(INSTANCE_DIR / "outbox"))
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "localhost")
    MAIL_PORT = _env_int("MAIL_PORT", 25)
    MAIL_USE_STARTTLS = os.environ.get("MAIL_USE_STARTTLS", "") == "1"
    MAIL_USE_SSL = os.environ.get("MAIL_USE_SSL", "") == "1"
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME", "")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD", "")
    MAIL_TIMEOUT = _env_int("MAIL_TIMEOUT", 20)
    MAIL_FROM = os.environ.get("MAIL_FROM", "Complaints registry <complaints@localhost>")
    #: The most bytes of files enclosed with a letter that its e-mail carries; above it the e-mail
    #: names them and says they are on the tracking page.
    MAIL_ENCLOSURES_MAX_BYTES = _env_int("MAIL_ENCLOSURES_MAX_BYTES", 10 * 1024 * 1024)
    #: Attempts before a message is given up as failed; the waits between them double.
    MAIL_MAX_ATTEMPTS = _env_int("MAIL_MAX_ATTEMPTS", 8)
    MAIL_RETRY_SECONDS = _env_int("MAIL_RETRY_SECONDS", 60)
    #: Deliver queued messages from a background thread of the web process right after the
    #: commit that queued them. Off by default: `flask deadlines watch` (which `make run`
    #: starts) delivers within seconds, and keeps rendering PDFs for e-mails off the web
    #: workers (with it on, intake throughput dropped from ≈ 360 to ≈ 110 complaints/s).
    MAIL_SEND_AFTER_COMMIT = os.environ.get("MAIL_SEND_AFTER_COMMIT", "0") == "1"
    #: Webhooks (app/webhooks): attempts before a delivery is given up as failed, the first wait
    #: (doubling after each failure: 30 s, 1 min, 2 min, ... about 4¼ hours over 10 attempts),
    #: and how long the registry waits for a receiver's answer.
    WEBHOOK_MAX_ATTEMPTS = _env_int("WEBHOOK_MAX_ATTEMPTS", 10)
    WEBHOOK_RETRY_SECONDS = _env_int("WEBHOOK_RETRY_SECONDS", 30)
    WEBHOOK_TIMEOUT_SECONDS = _env_int("WEBHOOK_TIMEOUT_SECONDS", 5)
    #: Shared mailbox per tier (level -> address); without one, a tier's staff are written to.
    TIER_ADDRESSES: dict[int, str] = {}

    # Mail intake (app/mailin, docs/mail.md) ----------------------------------------------
    #: The mailbox `flask mail fetch` reads over IMAP; empty: no mailbox (`flask mail receive`
    #: may still be given messages by the mail server).
    MAIL_IMAP_HOST = os.environ.get("MAIL_IMAP_HOST", "")
    #: "ssl" (IMAPS, port 993), "starttls" (port 143), or "none" (plain, loopback only).
    MAIL_IMAP_SECURITY = os.environ.get("MAIL_IMAP_SECURITY", "ssl")
    #: 0: the security's usual port (993 or 143).
    MAIL_IMAP_PORT = _env_int("MAIL_IMAP_PORT", 0)
    MAIL_IMAP_USERNAME = os.environ.get("MAIL_IMAP_USERNAME", "")
    MAIL_IMAP_PASSWORD = os.environ.get("MAIL_IMAP_PASSWORD", "")
    MAIL_IMAP_FOLDER = os.environ.get("MAIL_IMAP_FOLDER", "INBOX")
    #: A CA certificate (PEM) to trust for a mailbox with a private certificate authority.
    MAIL_IMAP_CA_FILE = os.environ.get("MAIL_IMAP_CA_FILE", "")
    #: Move stored messages into this folder instead of flagging them ($Registry and \Seen).
    MAIL_IMAP_PROCESSED_FOLDER = os.environ.get("MAIL_IMAP_PROCESSED_FOLDER", "")
    #: `flask mail fetch --watch`: seconds between looks when the server has no IDLE, and the
    #: longest IDLE before it is renewed.
    MAIL_IMAP_POLL_SECONDS = _env_int("MAIL_IMAP_POLL_SECONDS", 60)
    MAIL_IMAP_IDLE_SECONDS = _env_int("MAIL_IMAP_IDLE_SECONDS", 300)
    MAIL_IMAP_TIMEOUT = _env_int("MAIL_IMAP_TIMEOUT", 60)
    #: The staff desk and /health warn when the mailbox has not answered for this long.
    MAIL_IMAP_ALERT_MINUTES = _env_int("MAIL_IMAP_ALERT_MINUTES", 30)
    #: Reply-To of the e-mails to complainants (empty: the IMAP user name when it is an address).
    MAIL_REPLY_TO = os.environ.get("MAIL_REPLY_TO", "")
    #: A message larger than this is stored raw as unreadable, not read; one larger than
    #: MAIL_HARD_MAX_BYTES is refused by `flask mail receive` (exit 69: the mail server returns it
    #: to the sender) and left in the mailbox by `flask mail fetch`, with a warning.
    MAIL_MAX_MESSAGE_BYTES = _env_int("MAIL_MAX_MESSAGE_BYTES", 64 * 1024 * 1024)
    MAIL_HARD_MAX_BYTES = _env_int("MAIL_HARD_MAX_BYTES", 200 * 1024 * 1024)
    #: Register every new message as a complaint at once (the default of the administrators'
    #: setting; off: new messages wait in the tray for a clerk, so spam takes no number).
    MAIL_AUTO_REGISTER = os.environ.get("MAIL_AUTO_REGISTER", "0") == "1"
    #: The category of a complaint registered from an e-mail (a clerk corrects it when it is wrong).
    MAIL_CATEGORY = os.environ.get("MAIL_CATEGORY", "other")
    #: The language of a message whose letters do not tell (Cyrillic, Romanian diacritics).
    MAIL_DEFAULT_LANGUAGE = os.environ.get("MAIL_DEFAULT_LANGUAGE", "en")

    # Administrators' settings (app/settings) --------------------------------------------
    #: How often a process looks for settings changed by another one; a change takes effect
    #: this long after it is saved, so every process has seen it by then.
    SETTINGS_CHECK_SECONDS = float(os.environ.get("SETTINGS_CHECK_SECONDS", "2"))

    # Languages -----------------------------------------------------------------------
    # The supported languages are listed once, in app/languages.py.
    BABEL_DEFAULT_LOCALE = "en"

    # Staff sign-in ---------------------------------------------------------------------
    #: How staff passwords are hashed (Werkzeug's method string): "scrypt" is its default,
    #: scrypt:32768:8:1. The tests lower the cost, as they create hundreds of accounts.
    PASSWORD_HASH_METHOD = "scrypt"  # noqa: S105 - a method name, not a password
    #: Failed sign-ins for one account from one address after which that address must wait
    #: LOGIN_DELAY_MINUTES before trying that account again, twice as long after each further
    #: failure, at most LOGIN_MAX_DELAY_MINUTES; failures older than LOGIN_FAILURE_WINDOW_MINUTES
    #: are forgotten (app/auth/lockout.py). Other addresses, the real user's, are not slowed.
    LOGIN_MAX_FAILURES = _env_int("LOGIN_MAX_FAILURES", 5)
    LOGIN_DELAY_MINUTES = _env_int("LOGIN_DELAY_MINUTES", 1)
    LOGIN_MAX_DELAY_MINUTES = _env_int("LOGIN_MAX_DELAY_MINUTES", 60)
    LOGIN_FAILURE_WINDOW_MINUTES = _env_int("LOGIN_FAILURE_WINDOW_MINUTES", 24 * 60)
    #: A clear attack locks the account for everyone for LOGIN_LOCK_MINUTES (an administrator
    #: can unlock it earlier): LOGIN_LOCK_FAILURES failures from at least LOGIN_LOCK_ADDRESSES
    #: addresses within LOGIN_LOCK_WINDOW_MINUTES.
    LOGIN_LOCK_FAILURES = _env_int("LOGIN_LOCK_FAILURES", 25)
    LOGIN_LOCK_ADDRESSES = _env_int("LOGIN_LOCK_ADDRESSES", 5)
    LOGIN_LOCK_WINDOW_MINUTES = _env_int("LOGIN_LOCK_WINDOW_MINUTES", 60)
    LOGIN_LOCK_MINUTES = _env_int("LOGIN_LOCK_MINUTES", 60)
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "20 per minute")
    #: Password changes (POST /staff/password) per signed-in account: each one tries a password.
    PASSWORD_CHANGE_RATE_LIMIT = os.environ.get("PASSWORD_CHANGE_RATE_LIMIT", "5 per 15 minutes")
    #: How often one address may reply to complaints from tracking pages.
    REPLY_RATE_LIMIT = os.environ.get("REPLY_RATE_LIMIT", "30 per hour")
    #: Complaints one address may register (web form and API together).
    COMPLAINT_RATE_LIMIT = os.environ.get("COMPLAINT_RATE_LIMIT", "20 per hour")
    #: Look-ups by number and access code (tracking pages, receipt, API GET) per address.
    TRACKING_RATE_LIMIT = os.environ.get("TRACKING_RATE_LIMIT", "60 per minute")
    #: Receipt checks on /verify per address.
    VERIFY_RATE_LIMIT = os.environ.get("VERIFY_RATE_LIMIT", "30 per minute")
    #: Where the counts live: memory:// (one process) or redis://host:6379 (several processes).
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    #: A staff session ends on the server this long after sign-in (app/auth/sessions.py).
    PERMANENT_SESSION_LIFETIME = 8 * 3600  # a working day
    #: `flask users demo` may create the demo accounts (never in production).
    DEMO_ACCOUNTS_ALLOWED = True
    #: `flask registry seed-demo` may load demo complaints into an empty registry, and staff pages
    #: of an empty registry say how (never in production: the record keeps what it is given).
    DEMO_DATA_ALLOWED = True

    WTF_CSRF_TIME_LIMIT = None  # a complainant may take an hour to write; the session still binds the token

    @classmethod
    def validate(cls) -> None:
        """Refuse settings that are unsafe for this environment (overridden in production)."""


class ProductionConfig(Config):
    """Production: secrets must be given; nothing is generated silently."""

    SECRET_KEY = os.environ.get("SECRET_KEY", "")
    REGISTRY_KEY_AUTOCREATE = False
    DOCUMENT_SIGNING_AUTOCREATE = False
    SESSION_COOKIE_SECURE = True
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "json")
    DEMO_ACCOUNTS_ALLOWED = False
    DEMO_DATA_ALLOWED = False

    @classmethod
    def validate(cls) -> None:
        missing = [name for name in ("SECRET_KEY", "PUBLIC_BASE_URL") if not getattr(cls, name)]
        if "DATABASE_URL" not in os.environ:
            missing.append("DATABASE_URL")
        if not Path(cls.REGISTRY_KEY_PATH).is_file():
            missing.append(f"REGISTRY_KEY_PATH (no key file at {cls.REGISTRY_KEY_PATH})")
        if not Path(cls.DOCUMENT_SIGNING_KEY_PATH).is_file():
            missing.append(f"DOCUMENT_SIGNING_KEY_PATH (no key file at {cls.DOCUMENT_SIGNING_KEY_PATH})")
        if not Path(cls.DOCUMENT_CERTIFICATE_PATH).is_file():
            missing.append(f"DOCUMENT_CERTIFICATE_PATH (no certificate at {cls.DOCUMENT_CERTIFICATE_PATH})")
        if missing:
            raise RuntimeError("Production settings missing: " + ", ".join(missing))
        weak = weak_secret_key(cls.SECRET_KEY)
        if weak:
            raise RuntimeError(
                f"SECRET_KEY is too weak for production: {weak}. Anyone who guesses it can forge a "
                "staff session, an administrator's included. Set SECRET_KEY to a long random value, "
                "made with: python -c 'import secrets; print(secrets.token_urlsafe(48))'"
            )


#: Fewer bytes than this in SECRET_KEY are refused in production.
MIN_SECRET_KEY_BYTES = 32
#: Keys published somewhere (this file's development default, documentation examples).
KNOWN_SECRET_KEYS = frozenset({DEVELOPMENT_SECRET_KEY, "dev", "development", "secret", "changeme", "change-me"})


def weak_secret_key(key: str) -> str | None:
    """Why `key` is unfit to sign production sessions, or None when it is fine."""
    if key in KNOWN_SECRET_KEYS:
        return "it is a published default"
    if len(key.encode("utf-8")) < MIN_SECRET_KEY_BYTES:
        return f"it has fewer than {MIN_SECRET_KEY_BYTES} bytes"
    if len(set(key)) < 8:
        return "it repeats a handful of characters"
    return None


def config_from_env() -> type[Config]:
    """Pick the settings class named by APP_ENV (development by default)."""
    return ProductionConfig if os.environ.get("APP_ENV") == "production" else Config
