"""Fixtures for the functional tests: running commands as the `flask` executable does."""

import pytest
from flask.cli import FlaskGroup


@pytest.fixture
def flask_cli(app, runner, monkeypatch):
    """Run a command the way `flask --app wsgi ...` does (FlaskGroup pushes the app context)."""
    monkeypatch.setenv("FLASK_RUN_FROM_CLI", "false")  # FlaskGroup sets it; restored afterwards
    group = FlaskGroup(create_app=lambda: app, load_dotenv=False, add_version_option=False)

    def run(*args: str, **kwargs):
        return runner.invoke(group, list(args), **kwargs)

    return run


@pytest.fixture
def mail_down_app(app_config, request):
    """The app with the demo register, sending to an SMTP port where nothing listens."""
    from tests.functional.helpers import closed_port

    app_config.MAIL_BACKEND = "smtp"
    app_config.MAIL_SERVER = "127.0.0.1"
    app_config.MAIL_PORT = closed_port()
    app_config.MAIL_TIMEOUT = 2
    app = request.getfixturevalue("app")
    request.getfixturevalue("demo")
    return app
