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

