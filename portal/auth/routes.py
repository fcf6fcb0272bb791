"""Views: get access, activate an invitation, switch language."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_security import hash_password
from flask_security.proxies import _security
from flask_security.utils import get_message

from portal.auth import bp, deferred
from portal.auth.forms import ActivateForm, GetAccessForm, LanguageForm
from portal.errors import abort_with
from portal.extensions import db, limiter
from portal.services import invitations
from portal.services.accounts import set_language
from portal.services.invitations import TokenProblem

_TOKEN_MESSAGES = {
    TokenProblem.EXPIRED: lambda: _("This link has expired. Ask for a new one below."),
    TokenProblem.USED: lambda: _("This link has already been used. Log in with your password, "
                                 "or ask for a new link below if you have forgotten it."),
    TokenProblem.INVALID: lambda: _("This link is not valid. Check that you copied the whole "
                                    "link, or ask for a new one below."),
}


def signer() -> invitations.Signer:
    """The invitation signer built from the app's secret and validity period."""
    return invitations.Signer.from_config(current_app.config)


def safe_next(target: str | None) -> str:
    """A same-site path to go back to, never another host."""
    if not target:
        return url_for("main.index")
    parts = urlsplit(target)
    if (parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//")
            or any(ord(c) < 32 or c in "\\\x7f" for c in target)):
        return url_for("main.index")
    return target


@bp.route("/get-access", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["PORTAL_GET_ACCESS_LIMIT"], methods=["POST"])
def get_access():
    """Ask for an invitation; the answer is the same whether or not the address is known."""
    if current_user.is_authenticated:
        return redirect(url_for("account.my_data" if current_user.customer else "main.index"))
    form = GetAccessForm()
    if form.validate_on_submit():
        deferred.ask_for_access(db.session, form.email.data)
        return render_template("auth/get_access_sent.html")
    return render_template("auth/get_access.html", form=form)


@bp.route("/activate/<token>", methods=["GET", "POST"])
def activate(token: str):
    """Set the first password from an invitation link."""
    user = invitations.load_token(db.session, signer(), token)
    if isinstance(user, TokenProblem):
        flash(_TOKEN_MESSAGES[user](), "error")
        return redirect(url_for("auth.get_access"))
    form = ActivateForm()
    if form.validate_on_submit():
        problems, normalized = current_app.extensions["security"].password_util.validate(
            form.password.data, False, user=user)
        if problems:
            form.password.errors = list(problems)
        else:
            invitations.activate_account(db.session, user, hash_password(normalized))
            flash(_("Your password is set. Log in to see your data.") if user.customer_id else
                  _("Your password is set. Log in and set up two-step verification."), "success")
            return redirect(url_for("security.login"))
    return render_template("auth/activate.html", form=form, token=token)


@bp.route("/language/<code>", methods=["POST"])
def language(code: str):
    """Switch the interface language and remember it."""
    form = LanguageForm()
    if code not in current_app.config["PORTAL_LANGUAGES"]:
        abort_with(400, _("That language is not available. Choose suomi or English."))
    if not form.validate_on_submit():
        abort(400)
    session["lang"] = code
    if current_user.is_authenticated:
        set_language(db.session, current_user, code)
    return redirect(safe_next(form.next.data or request.referrer and urlsplit(request.referrer).path))


def forgot_password():
    """Ask for a reset link; the answer and the work done are the same for any address.

    Replaces Flask-Security's view, which looks the account up and renders the email while
    the person waits, so a known address took measurably longer.
    """
    form = GetAccessForm()
    if form.validate_on_submit():
        deferred.ask_for_password_reset(db.session, form.email.data)
        flash(get_message("GENERIC_RECOVERY")[0], "info")
    return _security.render_template(current_app.config["SECURITY_FORGOT_PASSWORD_TEMPLATE"],
                                     forgot_password_form=form)
