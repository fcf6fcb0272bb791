"""Reports for staff (DESIGN §4.6): requests per kind and month, time to decision, overdue,
extensions and denials, with a server-drawn SVG chart and a CSV for the annual review.

Every reviewer and administrator may see them: they hold counts only, no personal data. The
CSV download is audited like the audit log's.
"""

from __future__ import annotations

from datetime import date

from flask import Response, redirect, render_template, request, url_for
from flask_babel import format_date, format_decimal
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectField, SubmitField
from wtforms.validators import ValidationError

from portal.extensions import db
from portal.i18n import lazy_gettext as _l
from portal.models.requests import REQUEST_KINDS
from portal.models.types import utcnow
from portal.services import reports as service
from portal.services.requests import helsinki_date
from portal.staff import bp
from portal.staff.report_chart import stacked_bars
from portal.words import KIND_NAMES

CSV_HEADER = (_l("Period"), _l("Month"), _l("Kind code"), _l("Kind of request"), _l("Received"),
              _l("Decided"), _l("Median days to decision"), _l("Extended"), _l("Denied"), _l("Overdue now"))


def _offered(form, field) -> None:
    """Only a year the list offers (WTForms' own message is not in our catalogue)."""
    if field.data not in {value for value, _label in field.choices}:
        raise ValidationError(_l("Choose one of the options shown."))


class ReportForm(FlaskForm):
    """The year to report on. No CSRF: it changes nothing, and the year travels in the address."""

    class Meta:
        csrf = False

    year = SelectField(_l("Year"), validate_choice=False, validators=[_offered])
    submit = SubmitField(_l("Show"))

    def __init__(self, years: list[int], **kwargs):
        super().__init__(**kwargs)
        self.year.choices = [(str(year), str(year)) for year in years]
        if not self.year.raw_data:
            self.year.data = str(years[0])


def _form(today: date) -> ReportForm:
    """The year form filled from the address; this year when none is given."""
    return ReportForm(service.years_with_requests(db.session, today), formdata=request.args or None)


def month_name(year: int, month: int, width: str = "LLLL") -> str:
    """The month's name standing alone in the page's language ("LLL" abbreviates it)."""
    return format_date(date(year, month, 1), width)


def days(value: float | None) -> str:
    """A median number of days as the locale writes it (one decimal at most); empty for none."""
    return "" if value is None else format_decimal(value, format="#,##0.#")


@bp.route("/reports")
def reports():
    """The year's figures as tables and a stacked bar chart; a bad year gets a message."""
    today = helsinki_date(utcnow())
    form = _form(today)
    report = chart = None
    if form.validate():
        report = service.annual_report(db.session, int(form.year.data), today)
        chart = stacked_bars(report)
    return render_template("staff/reports.html", form=form, report=report, chart=chart,
                           kinds=REQUEST_KINDS, kind_names=KIND_NAMES, month_name=month_name, days=days)


@bp.route("/reports.csv")
def reports_csv():
    """The year's figures as CSV (UTF-8, BOM, `;`) for the annual review; audited."""
    today = helsinki_date(utcnow())
    form = _form(today)
    if not form.validate():
        return redirect(url_for("staff.reports", year=form.year.data))
    year = int(form.year.data)
    report = service.annual_report(db.session, year, today)
    service.record_export(db.session, current_user, year)
    body = b"".join(service.export_csv(
        report, header=[str(h) for h in CSV_HEADER], month_name=lambda m: month_name(year, m),
        kind_name=lambda kind: str(KIND_NAMES.get(kind, _("All kinds"))), number=days,
        whole_year=_("Whole year")))
    response = Response(body, mimetype="text/csv")
    stem = _("requests-report")  # ASCII in every language, so every browser keeps the name
    response.headers["Content-Disposition"] = f'attachment; filename="{stem}-{year}.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response
