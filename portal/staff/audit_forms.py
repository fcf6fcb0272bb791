"""The audit log's search form, and the words for audit action codes and actors."""

from __future__ import annotations

import re
from datetime import date

from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from wtforms import SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.widgets import DateInput

from portal.i18n import lazy_gettext as _l
from portal.services import audit_search
from portal.services.audit_search import MAX_ID, Criteria

# Every action recorded anywhere in portal/ (tests/staff/test_audit_log.py checks the list).
ACTION_LABELS = {
    "access_denied": _l("Access refused"),
    "accent_colour_changed": _l("Accent colour changed"),
    "brand_logo_changed": _l("Logo uploaded"),
    "brand_logo_removed": _l("Logo removed"),
    "access_requested_active": _l("Invitation asked for an account already in use"),
    "access_requested_unknown": _l("Invitation asked for an unknown address"),
    "api_customer_upserted": _l("Customer added or updated by a company system (API)"),
    "api_handoff_acknowledged": _l("Handoff acknowledged by a company system (API)"),
    "api_key_created": _l("API key created"),
    "api_key_revoked": _l("API key revoked"),
    "account_activated": _l("Account activated"),
    "audit_log_exported": _l("Audit log downloaded"),
    "confidentiality_accepted": _l("Confidentiality commitment accepted"),
    "correction_applied": _l("Correction applied"),
    "customer_erased": _l("Customer's data erased"),
    "customers_imported": _l("Customers imported from a file"),
    "customer_viewed": _l("Customer's data viewed"),
    "data_exported": _l("Own data downloaded"),
    "decision_letter_viewed": _l("Decision letter viewed"),
    "invitation_sent": _l("Invitation sent"),
    "login": _l("Logged in"),
    "login_failed": _l("Log-in failed"),
    "logout": _l("Logged out"),
    "marketing_changed": _l("Marketing prohibitions changed"),
    "other_sessions_ended": _l("Logged out on other devices"),
    "password_changed": _l("Password changed"),
    "password_reset": _l("Password set with a reset link"),
    "password_reset_requested": _l("Password reset link asked for"),
    "recipient_notified": _l("Recipient notified"),
    "request_assigned": _l("Request assigned to a reviewer"),
    "request_cancelled": _l("Request cancelled"),
    "request_claimed": _l("Request taken for handling"),
    "request_decided": _l("Request decided"),
    "request_email_confirmed": _l("New email address confirmed"),
    "request_extended": _l("Deadline extended"),
    "request_message_added": _l("Message added to a request"),
    "request_note_added": _l("Internal note added to a request"),
    "request_recorded": _l("Request recorded by staff"),
    "request_submitted": _l("Request sent"),
    "report_exported": _l("Report downloaded"),
    "retention_erased": _l("Retention: customer's data erased"),
    "retention_purged": _l("Retention: kept data purged"),
    "staff_created": _l("Staff account created"),
    "staff_deactivated": _l("Staff account closed"),
    "staff_invited": _l("Staff member invited"),
    "staff_reactivated": _l("Staff account opened again"),
    "staff_role_changed": _l("Staff member's role changed"),
    "two_step_changed": _l("Two-step verification changed"),
}
ACTOR_WORDS = {
    "customer": _l("customer"),
    "system": _l("system"),
    "anonymous": _l("anonymous"),
}
CSV_HEADER = (_l("ID"), _l("Time"), _l("Action code"), _l("Action"), _l("Actor kind"),
              _l("Staff member's email"), _l("Customer number"), _l("Purpose"), _l("Details"),
              _l("Hash"))
_REFERENCE = re.compile(r"PR-[0-9]{4}-[0-9]{6,12}")
_FIRST_DAY, _LAST_DAY = date(1970, 1, 1), date(9998, 12, 31)


def action_label(code: str) -> str:
    """The words for an action code; an unknown code as it is."""
    return str(ACTION_LABELS.get(code, code))


def _iso_date(text: str) -> date | None:
    """The date in ISO text (2026-11-21), or None."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


class AuditSearchForm(FlaskForm):
    """Search the audit log. Every field is optional; what is given must be valid."""

    customer = StringField(_l("Customer"),
                           description=_l("Customer number, or the customer's exact email address"))
    reference = StringField(_l("Request reference"), description=_l("For example PR-2026-000042"))
    staff = SelectField(_l("Staff member"), validate_choice=False)
    action = SelectField(_l("Action"), validate_choice=False)
    date_from = StringField(_l("From (date)"), widget=DateInput())
    date_to = StringField(_l("To (date)"), widget=DateInput())
    submit = SubmitField(_l("Search"))

    def __init__(self, session: Session, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.session = session
        self.staff.choices = [SelectChoice("", _l("Anyone")), *(
            SelectChoice(str(i), email) for i, email in audit_search.staff_accounts(session))]
        actions = sorted(audit_search.actions_present(session), key=lambda c: action_label(c).casefold())
        self.action.choices = [SelectChoice("", _l("Any action")),
                               *(SelectChoice(code, action_label(code)) for code in actions)]
        self.customer_id: int | None = None
        self.day_from: date | None = None
        self.day_to: date | None = None

    def validate_customer(self, field) -> None:
        """A customer number, or an email address found in the register."""
        value = (field.data or "").strip()
        if not value:
            return
        if value.isascii() and value.isdigit():
            self.customer_id = int(value)
            if not 0 < self.customer_id <= MAX_ID:
                field.errors.append(_l("No customer has that number."))
        elif "@" in value:
            self.customer_id = audit_search.customer_id_for_email(self.session, value)
            if self.customer_id is None:
                field.errors.append(_l("No customer with that address."))
        else:
            field.errors.append(_l("Enter a customer number or an email address."))

    def validate_reference(self, field) -> None:
        """A request reference in the form PR-2026-000042."""
        field.data = (field.data or "").strip().upper()
        if field.data and not _REFERENCE.fullmatch(field.data):
            field.errors.append(_l("Enter a request reference like PR-2026-000042."))

    def validate_staff(self, field) -> None:
        """One of the staff accounts offered."""
        if field.data and field.data not in {choice.value for choice in field.choices}:
            field.errors.append(_l("Choose a staff member from the list."))

    def validate_action(self, field) -> None:
        """One of the actions offered."""
        if field.data and field.data not in {choice.value for choice in field.choices}:
            field.errors.append(_l("Choose an action from the list."))

    def validate_date_from(self, field) -> None:
        """An ISO date (the date picker's format)."""
        self.day_from = self._day(field)

    def validate_date_to(self, field) -> None:
        """An ISO date, not before the start date."""
        self.day_to = self._day(field)
        if self.day_from and self.day_to and self.day_to < self.day_from:
            field.errors.append(_l("The end date is before the start date."))

    def _day(self, field) -> date | None:
        """The field's date, or None; a message next to the field when it is not one."""
        text = (field.data or "").strip()
        day = _iso_date(text) if text else None
        if day is not None and not _FIRST_DAY <= day <= _LAST_DAY:
            day = None
        if text and day is None:
            field.errors.append(_l("Enter a date like 2026-11-21."))
        return day

    def criteria(self) -> Criteria:
        """The validated search for the service."""
        return Criteria(customer_id=self.customer_id, reference=self.reference.data or None,
                        staff_id=int(self.staff.data) if self.staff.data else None,
                        action=self.action.data or None, date_from=self.day_from, date_to=self.day_to)
