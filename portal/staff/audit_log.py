"""The audit log for administrators: search, keyset pages, the chain check and CSV (DESIGN §4.5).

Nothing here changes an entry: the search is read-only and the download only appends the
entry that audits it. A posted search comes back (303) as a bookmarkable address that holds
ids and codes only, so a customer's email address typed into the form never enters a URL.
"""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

from flask import Response, current_app, redirect, render_template, request, stream_with_context, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.extensions import db
from portal.models.types import utcnow
from portal.services import audit_search
from portal.staff import bp
from portal.staff.access import admin_required
from portal.staff.audit_forms import ACTION_LABELS, ACTOR_WORDS, CSV_HEADER, AuditSearchForm, action_label

FIELDS = ("customer", "reference", "staff", "action", "date_from", "date_to")


@bp.route("/audit", methods=["GET", "POST"])
@admin_required
def audit_log():
    """Search the audit log, newest first, 50 a page; `?verify=1` also checks the hash chain."""
    if request.method == "POST":
        form = AuditSearchForm(db.session)
        if form.validate_on_submit():
            return redirect(url_for("staff.audit_log", **form.criteria().as_args()), 303)
        return _render(form)
    form = _query_form()
    if not form.validate():
        return _render(form)
    criteria = form.criteria()
    page = audit_search.search(db.session, criteria, tz=_zone(), before=_before())
    return _render(form, criteria, page)


@bp.route("/audit.csv")
@admin_required
def audit_log_csv():
    """Every entry the search matches as a CSV file (UTF-8, BOM, `;`), streamed; audited."""
    form = _query_form()
    if not form.validate():
        return redirect(url_for("staff.audit_log", **_typed(form)))
    criteria, tz = form.criteria(), _zone()
    audit_search.record_export(db.session, current_user, criteria)
    body = audit_search.export_csv(db.session, criteria, tz=tz, header=[str(h) for h in CSV_HEADER],
                                   label=action_label)
    response = Response(stream_with_context(body), mimetype="text/csv")
    stem = _("audit-log")  # ASCII in every language, so every browser keeps the name
    name = f"{stem}-{utcnow().astimezone(tz).date().isoformat()}.csv"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _render(form: AuditSearchForm, criteria=None, page=None):
    """The page; without `page` (bad input) no results are shown."""
    verification = None
    if request.args.get("verify") == "1":
        verification = audit_search.verify_log(
            db.session, Path(current_app.config["PORTAL_AUDIT_ANCHOR_FILE"]))
    return render_template("staff/audit_log.html", form=form, page=page, verification=verification,
                           args=criteria.as_args() if criteria else {},
                           labels=ACTION_LABELS, actor_words=ACTOR_WORDS)


def _query_form() -> AuditSearchForm:
    """The search in the address (no CSRF: reading it changes nothing)."""
    return AuditSearchForm(db.session, formdata=request.args, meta={"csrf": False})


def _typed(form: AuditSearchForm) -> dict[str, str]:
    """The search as typed (to send bad input back to the form)."""
    return {name: form[name].data for name in FIELDS if form[name].data}


def _before() -> int | None:
    """The keyset page's `before` id, if it is a possible id."""
    before = request.args.get("before", type=int)
    return before if before is not None and 0 < before <= audit_search.MAX_ID else None


def _zone() -> ZoneInfo:
    """The portal's time zone (Helsinki): dates are searched and shown in it."""
    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
