"""The language a visitor chose before logging in stays after it, and a log-out is confirmed.

The switch keeps its choice in the session (`lang`), but once someone is logged in the
account's saved language wins (portal.i18n.select_locale). So at log-in, a language the
visitor chose on this device is saved to the account (the emails follow it too).

A log-out leaves the page in the language just used, without that counting as a choice for
whoever logs in next on the same device: the language is kept with a note that it came from
the account, and the note goes as soon as someone presses the switch.
"""

from __future__ import annotations

from flask import Flask, current_app, flash, request, session
from flask_babel import gettext as _
from flask_login import user_logged_in, user_logged_out

from portal.extensions import db
from portal.services.accounts import set_language

CHOSEN = "lang"  # set by the language switch (portal.auth.routes.language)
FROM_ACCOUNT = "lang_from_account"  # `lang` was left by a log-out, not chosen by the visitor


def chosen_before_log_in() -> str | None:
    """The language chosen with the switch on this device, if one was."""
    code = session.get(CHOSEN)
    if code not in current_app.config["PORTAL_LANGUAGES"] or session.get(FROM_ACCOUNT) == code:
        return None
    return code


def _keep_choice(app, user, **extra) -> None:
    """Save the language chosen before the log-in to the account, if it differs (commits)."""
    code = chosen_before_log_in()
    session.pop(FROM_ACCOUNT, None)
    if code and user.locale != code:
        set_language(db.session, user, code)


def _confirm_log_out(app, user, **extra) -> None:
    """Keep the page in the language just used and say that the log-out worked."""
    code = getattr(user, "locale", None)
    if code in app.config["PORTAL_LANGUAGES"]:
        session[CHOSEN] = session[FROM_ACCOUNT] = code
    flash(_("You have logged out."), "success")


def _note_switch() -> None:
    """A press of the language switch is the visitor's own choice."""
    if request.endpoint == "auth.language" and request.method == "POST":
        session.pop(FROM_ACCOUNT, None)


def register(app: Flask) -> None:
    """Connect the log-in and log-out handlers and watch the language switch."""
    user_logged_in.connect(_keep_choice, app)
    user_logged_out.connect(_confirm_log_out, app)
    app.before_request(_note_switch)
