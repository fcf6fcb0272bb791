"""Configuration: safe defaults, overridden by environment variables."""

from __future__ import annotations

import json
import os
import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

BASE_DIR = Path(__file__).resolve().parent.parent
INSTANCE_DIR = Path(os.environ.get("PORTAL_INSTANCE_DIR", BASE_DIR / "instance"))


def _env_bool(name: str, default: bool) -> bool:
    """Read a yes/no environment variable."""
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def database_url(raw: str | None) -> str:
    """Return an SQLAlchemy URL, sending PostgreSQL through psycopg 3."""
    if not raw:
        return f"sqlite:///{INSTANCE_DIR / 'portal.db'}"
    for prefix in ("postgres://", "postgresql://"):
        if raw.startswith(prefix):
            return "postgresql+psycopg://" + raw[len(prefix):]
    return raw


def instance_secrets() -> dict[str, str]:
    """Load the development secrets from instance/, generating them once."""
    path = INSTANCE_DIR / "secrets.json"
    if path.exists():
        return json.loads(path.read_text())
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    values = {
        "SECRET_KEY": secrets.token_urlsafe(48),
        "SECURITY_PASSWORD_SALT": secrets.token_urlsafe(32),
        "TOTP_SECRET": secrets.token_urlsafe(32),
        "PORTAL_AUDIT_KEY": secrets.token_urlsafe(32),
    }
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(values, handle)
    return values


class ConfigError(RuntimeError):
    """The environment lacks something production needs; the message lists what."""


SECRET_NAMES = ("SECRET_KEY", "SECURITY_PASSWORD_SALT", "TOTP_SECRET", "PORTAL_AUDIT_KEY")


def _secret(name: str, fixed: dict[str, str] | None, production: bool) -> str | None:
    """Return a secret from the environment, else (outside production) a fixed or instance/ value."""
    if os.environ.get(name):
        return os.environ[name]
    if production:
        return None
    values = fixed or instance_secrets()
    if name not in values:  # instance/secrets.json written before this secret existed
        values = _add_instance_secret(name)
    return values[name]


def _add_instance_secret(name: str) -> dict[str, str]:
    """Generate one missing development secret into instance/secrets.json."""
    path = INSTANCE_DIR / "secrets.json"
    values = json.loads(path.read_text())
    values[name] = secrets.token_urlsafe(32)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(values, handle)
    os.replace(tmp, path)
    return values


def _host_of(url: str) -> str:
    """The host name of a URL, without port."""
    return (urlsplit(url).hostname or "").lower()


class Config:
    """Production-ready defaults; every setting can come from the environment."""

    _FIXED_SECRETS: dict[str, str] | None = None

    _MODE: str | None = None

    def __init__(self) -> None:
        fixed = self._FIXED_SECRETS
        # production (the default) requires every secret, the public address and a mail
        # server; development (make run) generates secrets into instance/ and prints mail.
        self.PORTAL_ENV = self._MODE or os.environ.get("PORTAL_ENV", "production").strip().lower()
        production = self.PORTAL_ENV == "production"
        missing: list[str] = []
        found = {name: _secret(name, fixed, production) for name in SECRET_NAMES}
        missing += [name for name, value in found.items() if not value]
        missing += [f"{name} (at least 32 characters)" for name, value in found.items()
                    if production and value and len(value) < 32]
        self.SECRET_KEY = found["SECRET_KEY"]
        self.SECURITY_PASSWORD_SALT = found["SECURITY_PASSWORD_SALT"]
        self.SECURITY_TOTP_SECRETS = {"1": found["TOTP_SECRET"]}
        # Keys the audit chain's HMAC; kept outside the database (DESIGN §7).
        self.PORTAL_AUDIT_KEY = found["PORTAL_AUDIT_KEY"]
        # `flask audit verify` compares the chain with the heads anchored in this file;
        # keep it (or copies of the lines it prints) somewhere the database's admins can't write.
        self.PORTAL_AUDIT_ANCHOR_FILE = os.environ.get(
            "PORTAL_AUDIT_ANCHOR_FILE", str(INSTANCE_DIR / "audit-anchors.jsonl"))
        self.SQLALCHEMY_DATABASE_URI = database_url(os.environ.get("DATABASE_URL"))
        https = _env_bool("PORTAL_HTTPS", True)
        self.PORTAL_HTTPS = https
        self.SESSION_COOKIE_SECURE = https
        # The __Host- prefix makes browsers refuse the cookie unless it is Secure and host-only.
        self.SESSION_COOKIE_NAME = "__Host-portal_session" if https else "portal_session"
        self.REMEMBER_COOKIE_SECURE = https
        self.PREFERRED_URL_SCHEME = "https" if https else "http"
        # Every absolute link (in email above all) starts with this, never with the request's Host.
        base_url = os.environ.get("PORTAL_BASE_URL", "" if production else "http://127.0.0.1:8000")
        if not base_url:
            missing.append("PORTAL_BASE_URL")
        self.PORTAL_BASE_URL = base_url.rstrip("/")
        # Requests naming any other Host are refused (400). Extra names: PORTAL_TRUSTED_HOSTS.
        extra = [h.strip().lower() for h in os.environ.get("PORTAL_TRUSTED_HOSTS", "").split(",")]
        hosts = [_host_of(self.PORTAL_BASE_URL), *filter(None, extra)]
        if not production:
            hosts += ["127.0.0.1", "localhost"]
        self.TRUSTED_HOSTS = sorted(set(filter(None, hosts)))
        self.PORTAL_PROXY_COUNT = int(os.environ.get("PORTAL_PROXY_COUNT", "0"))
        self.RATELIMIT_STORAGE_URI = os.environ.get("PORTAL_RATELIMIT_STORAGE_URI", "memory://")
        self.MAIL_DEFAULT_SENDER = os.environ.get("PORTAL_MAIL_SENDER", "tietosuoja@esimerkki.example")
        self.SECURITY_EMAIL_SENDER = self.MAIL_DEFAULT_SENDER
        mail_server = os.environ.get("PORTAL_MAIL_SERVER")
        if mail_server:
            self.MAIL_BACKEND = "smtp"
            self.MAIL_SERVER = mail_server
            self.MAIL_PORT = int(os.environ.get("PORTAL_MAIL_PORT", "25"))
            self.MAIL_USERNAME = os.environ.get("PORTAL_MAIL_USERNAME")
            self.MAIL_PASSWORD = os.environ.get("PORTAL_MAIL_PASSWORD")
            self.MAIL_USE_TLS = _env_bool("PORTAL_MAIL_STARTTLS", False)
            self.MAIL_USE_SSL = _env_bool("PORTAL_MAIL_SSL", False)
            self.MAIL_TIMEOUT = 10
        elif os.environ.get("PORTAL_MAIL_FILE_PATH"):
            self.MAIL_BACKEND = "file"
            self.MAIL_FILE_PATH = os.environ["PORTAL_MAIL_FILE_PATH"]
        else:
            self.MAIL_BACKEND = "console"
        # Console and file mail show live links: production must name them explicitly.
        chosen = os.environ.get("PORTAL_MAIL_BACKEND", "").strip().lower()
        if production and not mail_server and chosen != self.MAIL_BACKEND:
            missing.append("PORTAL_MAIL_SERVER (or PORTAL_MAIL_BACKEND=console|file to print or "
                           "file mail on purpose)")
        if missing:
            raise ConfigError("production settings missing (set PORTAL_ENV=development for a "
                              "local trial): " + ", ".join(missing))

    # Sessions: the cookie only carries a reference to a server-side record.
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = timedelta(hours=8)
    PORTAL_IDLE_TIMEOUT = timedelta(minutes=int(os.environ.get("PORTAL_IDLE_MINUTES", "30")))
    # Staff see many people's data: their sessions end sooner (ASVS 3.3).
    PORTAL_STAFF_IDLE_TIMEOUT = timedelta(minutes=int(os.environ.get("PORTAL_STAFF_IDLE_MINUTES", "15")))
    PORTAL_STAFF_SESSION_LIFETIME = timedelta(hours=4)
    PORTAL_SESSION_TOUCH_INTERVAL = timedelta(seconds=60)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"

    # hide_parameters keeps personal data out of logged database errors.
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "hide_parameters": True}
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024

    # Languages
    PORTAL_LANGUAGES = ("fi", "en")
    BABEL_DEFAULT_LOCALE = "fi"
    BABEL_DEFAULT_TIMEZONE = "Europe/Helsinki"
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "translations")
    WTF_I18N_ENABLED = True

    # Invitations and outgoing mail
    PORTAL_INVITATION_VALID_DAYS = 7
    PORTAL_EMAIL_CONFIRM_VALID_DAYS = 7  # link confirming a correction's new email address
    PORTAL_OUTBOX_SEND_IMMEDIATELY = _env_bool("PORTAL_OUTBOX_SEND_IMMEDIATELY", True)
    PORTAL_OUTBOX_MAX_ATTEMPTS = 8
    PORTAL_RETENTION_YEARS = 10

    # Rate limits (Flask-Limiter); failures only are counted on the log-in form
    RATELIMIT_ENABLED = True
    RATELIMIT_HEADERS_ENABLED = True
    PORTAL_LOGIN_LIMIT = "5 per minute;20 per hour"
    PORTAL_ACCOUNT_LOGIN_LIMIT = "10 per 15 minutes"
    PORTAL_DEVICE_LOGIN_LIMIT = "10 per 15 minutes"  # the owner's known browser, over the account limit
    PORTAL_CODE_LIMIT = "5 per 15 minutes"  # second-step codes, per account
    PORTAL_PASSWORD_CHECK_LIMIT = "5 per 15 minutes"  # noqa: S105 - current password checks, per user
    PORTAL_GET_ACCESS_LIMIT = "5 per minute;30 per hour"
    # Sync API (/api/v1): calls per API key; failed authentications per client address; body size
    PORTAL_API_LIMIT = os.environ.get("PORTAL_API_LIMIT", "600 per minute")
    PORTAL_API_FAILURE_LIMIT = os.environ.get("PORTAL_API_FAILURE_LIMIT", "30 per minute")
    PORTAL_API_MAX_BYTES = int(os.environ.get("PORTAL_API_MAX_BYTES", str(1024 * 1024)))

    # Flask-Security
    SECURITY_PASSWORD_HASH = "argon2"  # noqa: S105 - a scheme name
    # Argon2id with RFC 9106's second recommended setting (64 MiB, 3 passes, 4 lanes), pinned so a
    # library upgrade cannot change it unseen: about 150 ms a hash on 2 cores (bench/password_hash.py).
    SECURITY_PASSWORD_HASH_PASSLIB_OPTIONS = {"argon2__memory_cost": 65536, "argon2__rounds": 3,
                                              "argon2__parallelism": 4}
    SECURITY_PASSWORD_LENGTH_MIN = 12
    SECURITY_PASSWORD_CHECK_BREACHED = False
    SECURITY_EMAIL_VALIDATOR_ARGS = {"check_deliverability": False}  # no DNS look-ups
    # The library's emails are replaced by ours (portal/auth/security_mail.py): don't render its own.
    SECURITY_EMAIL_PLAINTEXT = False
    SECURITY_EMAIL_HTML = False
    SECURITY_RETURN_GENERIC_RESPONSES = True
    SECURITY_REGISTERABLE = False
    SECURITY_CONFIRMABLE = False
    SECURITY_RECOVERABLE = True
    SECURITY_CHANGEABLE = True
    SECURITY_TRACKABLE = False
    SECURITY_USERNAME_ENABLE = False
    SECURITY_LOGIN_URL = "/login"
    SECURITY_LOGOUT_URL = "/logout"
    SECURITY_LOGOUT_METHODS = ["POST"]
    SECURITY_RESET_URL = "/reset"
    SECURITY_CHANGE_URL = "/account/password"
    SECURITY_POST_LOGIN_VIEW = "/account"  # staff are sent on from there to the queue
    SECURITY_POST_LOGOUT_VIEW = "/"
    SECURITY_POST_RESET_VIEW = "/login"
    SECURITY_POST_CHANGE_VIEW = "/account"
    SECURITY_RESET_PASSWORD_WITHIN = timedelta(hours=2)
    SECURITY_DEFAULT_REMEMBER_ME = False
    SECURITY_FRESHNESS = timedelta(minutes=15)
    SECURITY_FRESHNESS_GRACE_PERIOD = timedelta(minutes=2)
    SECURITY_TWO_FACTOR = True
    SECURITY_TWO_FACTOR_ENABLED_METHODS = ["authenticator"]
    SECURITY_TWO_FACTOR_REQUIRED = False
    SECURITY_TWO_FACTOR_ALWAYS_VALIDATE = True
    SECURITY_TWO_FACTOR_SETUP_URL = "/account/two-step"
    SECURITY_TWO_FACTOR_TOKEN_VALIDATION_URL = "/login/code"  # noqa: S105 - a URL
    SECURITY_TWO_FACTOR_RESCUE_URL = "/login/code/help"
    # No one-time code by email for a lost authenticator: it would make the mailbox a second factor.
    SECURITY_TWO_FACTOR_RESCUE_EMAIL = False
    SECURITY_TWO_FACTOR_SELECT_URL = "/login/method"
    SECURITY_TWO_FACTOR_POST_SETUP_VIEW = "/account"
    # One-time recovery codes for a lost authenticator (staff), shown once and stored encrypted.
    SECURITY_MULTI_FACTOR_RECOVERY_CODES = True
    SECURITY_MULTI_FACTOR_RECOVERY_CODES_N = 8
    SECURITY_MULTI_FACTOR_RECOVERY_CODES_URL = "/account/recovery-codes"
    SECURITY_MULTI_FACTOR_RECOVERY_URL = "/login/recovery"
    # The name authenticator apps show beside the account: the company's name from the controller
    # settings unless PORTAL_TOTP_ISSUER names another (auth.security.PortalTotp).
    PORTAL_TOTP_ISSUER = os.environ.get("PORTAL_TOTP_ISSUER")
    SECURITY_TOTP_ISSUER = PORTAL_TOTP_ISSUER or "Privacy portal"
    SECURITY_I18N_DOMAIN = "flask_security"
    SECURITY_CSRF_IGNORE_UNAUTH_ENDPOINTS = False
    SECURITY_REDIRECT_VALIDATE_MODE = "regex"
    SECURITY_FLASH_MESSAGES = True
    # Flask-Security's default renders as "private=True, no-store=True"; we set no-store ourselves.
    SECURITY_CACHE_CONTROL: dict = {}


class TestConfig(Config):
    """Settings for the test suite: fast hashing, no HTTPS, mail kept in memory."""

    TESTING = True
    _MODE = "test"
    _FIXED_SECRETS = {
        "SECRET_KEY": "test-secret-key-not-for-production-0123456789",
        "SECURITY_PASSWORD_SALT": "test-password-salt-0123456789",
        "TOTP_SECRET": "test-totp-secret-0123456789abcdef",
        "PORTAL_AUDIT_KEY": "test-audit-key-0123456789abcdef",
    }
    SECURITY_PASSWORD_HASH_PASSLIB_OPTIONS = {"argon2__rounds": 1, "argon2__memory_cost": 256}

    def __init__(self) -> None:
        super().__init__()
        self.PORTAL_HTTPS = False
        self.SESSION_COOKIE_SECURE = False
        self.SESSION_COOKIE_NAME = "portal_session"
        self.REMEMBER_COOKIE_SECURE = False
        self.PREFERRED_URL_SCHEME = "http"
        self.PORTAL_BASE_URL = "http://localhost"
        self.TRUSTED_HOSTS = ["localhost"]
        if not os.environ.get("PORTAL_MAIL_SERVER"):
            self.MAIL_BACKEND = "locmem"
