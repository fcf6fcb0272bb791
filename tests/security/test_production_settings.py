"""Production refuses to start without what it needs, and prints no mail (live links) by accident."""

import pytest

from portal.config import Config, ConfigError


def test_production_starts_with_every_setting(production_env):
    config = Config()
    assert config.MAIL_BACKEND == "smtp"
    assert config.PORTAL_HTTPS and config.SESSION_COOKIE_NAME.startswith("__Host-")


def test_production_refuses_to_print_mail_without_being_told(production_env):
    production_env.delenv("PORTAL_MAIL_SERVER")
    with pytest.raises(ConfigError, match="PORTAL_MAIL_SERVER"):
        Config()


def test_printing_mail_in_production_must_be_chosen_explicitly(production_env):
    production_env.delenv("PORTAL_MAIL_SERVER")
    production_env.setenv("PORTAL_MAIL_BACKEND", "console")
    assert Config().MAIL_BACKEND == "console"


@pytest.mark.parametrize("name", ["SECRET_KEY", "SECURITY_PASSWORD_SALT", "TOTP_SECRET", "PORTAL_AUDIT_KEY"])
def test_production_needs_every_secret_from_the_environment(production_env, name):
    production_env.delenv(name)
    with pytest.raises(ConfigError, match=name):
        Config()


def test_production_refuses_short_secrets(production_env):
    production_env.setenv("PORTAL_AUDIT_KEY", "short")
    with pytest.raises(ConfigError, match="PORTAL_AUDIT_KEY .at least 32"):
        Config()


def test_development_generates_secrets_and_prints_mail(production_env, tmp_path, monkeypatch):
    for name in ("SECRET_KEY", "SECURITY_PASSWORD_SALT", "TOTP_SECRET", "PORTAL_AUDIT_KEY",
                 "PORTAL_MAIL_SERVER", "PORTAL_BASE_URL"):
        production_env.delenv(name)
    production_env.setenv("PORTAL_ENV", "development")
    monkeypatch.setattr("portal.config.INSTANCE_DIR", tmp_path)
    config = Config()
    assert config.MAIL_BACKEND == "console"
    assert len(config.PORTAL_AUDIT_KEY) >= 32
    assert (tmp_path / "secrets.json").stat().st_mode & 0o077 == 0
