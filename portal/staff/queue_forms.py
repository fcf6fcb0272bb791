"""Forms of the request queue: the filters and search (they change nothing), claiming and assigning.

Filter values arrive in the query string, so anything may arrive: a value that is not one of
the choices gets a message next to its field and is left out of the query, never a 500.
"""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import parse_qsl

from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import HiddenField, IntegerField, SearchField, SelectField, SelectMultipleField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, NumberRange, ValidationError
from wtforms.widgets import CheckboxInput, HiddenInput, ListWidget

from portal.i18n import lazy_gettext as _l
from portal.models.requests import OPEN_STATUSES, REQUEST_KINDS
from portal.services.queue import CLOSED_STATUSES, SEARCH_MAX, UNASSIGNED, StaffMember, search_condition
from portal.services.refusals import InvalidValue
from portal.words import KIND_NAMES

STATUSES = {"open": OPEN_STATUSES, "pending": ("pending",), "in_review": ("in_review",),
            "closed": CLOSED_STATUSES}
STATUS_CHOICES = {"open": _l("All open"), "pending": _l("Waiting for handling"),
                  "in_review": _l("In review"), "closed": _l("Decided or cancelled")}
ANYONE, ME = "", "me"
_CURSOR = re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2})_([0-9]{1,12})")
_DB_INT_MAX = 2**31 - 1
_BAD_CURSOR = _l("This page link is not valid. The list starts from the first page.")
_SEARCH_MESSAGES = {
    "too_long": _l("Type at most %(max)d characters.", max=SEARCH_MAX),
    "control_characters": _l("Remove the special characters from the search text."),
}


class CheckboxesField(SelectMultipleField):
    """A multiple choice shown as one checkbox per option."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _one_of_the_choices(form, field) -> None:
    """Only values offered by the field (WTForms' own message is not in our catalogue)."""
    offered = {str(choice.value) for choice in field.choices}
    values = field.data if isinstance(field.data, list) else [field.data]
    if any(str(value) not in offered for value in values):
        raise ValidationError(_l("Choose one of the options shown."))


def parse_cursor(raw: str | None) -> tuple[date, int] | None:
    """The page cursor "YYYY-MM-DD_id" as (deadline, id); None when empty; ValueError when malformed."""
    if not raw:
        return None
    match = _CURSOR.fullmatch(raw)
    if match is None or int(match.group(2)) > _DB_INT_MAX:
        raise ValueError("malformed cursor")
    return date.fromisoformat(match.group(1)), int(match.group(2))


def format_cursor(cursor: tuple[date, int]) -> str:
    """The cursor as it goes into a link."""
    return f"{cursor[0].isoformat()}_{cursor[1]}"


class QueueForm(FlaskForm):
    """What the queue shows: kinds, status, assignee, search and page. No CSRF: it changes nothing
    (the search form posts, and CSRFProtect checks that post)."""

    class Meta:
        csrf = False

    kind = CheckboxesField(_l("Kind of request"), validate_choice=False, validators=[_one_of_the_choices],
                           choices=[SelectChoice(k, KIND_NAMES[k]) for k in REQUEST_KINDS])
    status = SelectField(_l("Status"), choices=[SelectChoice(k, v) for k, v in STATUS_CHOICES.items()],
                         default="open", validate_choice=False, validators=[_one_of_the_choices])
    assignee = SelectField(_l("Handler"), default=ANYONE, validate_choice=False,
                           validators=[_one_of_the_choices])
    q = SearchField(_l("Reference, or the customer's email address or name"))
    after = HiddenField()

    def __init__(self, *args, staff: list[StaffMember] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.assignee.choices = [SelectChoice(ANYONE, _l("Anyone")), SelectChoice(ME, _l("Me")),
                                 SelectChoice(UNASSIGNED, _l("Nobody yet"))] + [
            SelectChoice(str(member.id), member.email) for member in staff]

    def validate_q(self, field) -> None:
        """The search text: not overlong, no control characters (the service's own check)."""
        try:
            search_condition(field.data or "")
        except InvalidValue as problem:
            raise ValidationError(_SEARCH_MESSAGES.get(problem.code, _SEARCH_MESSAGES["too_long"])) from None

    def validate_after(self, field) -> None:
        """The page cursor from a "Next page" link."""
        try:
            parse_cursor(field.data)
        except ValueError:
            raise ValidationError(_BAD_CURSOR) from None

    def _valid(self, name: str, fallback):
        field = self[name]
        return fallback if field.errors or field.data in (None, "") else field.data

    def query(self, me: int) -> dict:
        """The service's arguments: the valid filters, defaults for the others."""
        chosen = self._valid("assignee", ANYONE)
        named = {ANYONE: None, ME: me, UNASSIGNED: UNASSIGNED}
        assignee = named[chosen] if chosen in named else int(chosen)
        return {"kinds": tuple(self._valid("kind", ())), "statuses": STATUSES[self._valid("status", "open")],
                "assignee": assignee, "search": self._valid("q", ""),
                "after": parse_cursor(self._valid("after", None))}

    def filter_args(self) -> dict:
        """The valid filters (not the search, not the page) as query arguments."""
        args = {"kind": list(self._valid("kind", ())), "status": self._valid("status", "open"),
                "assignee": self._valid("assignee", ANYONE)}
        return {name: value for name, value in args.items() if value and value != "open"}

    def page_args(self, cursor: tuple[date, int] | None) -> dict | None:
        """The arguments of the page starting at `cursor`, search included; None without a cursor."""
        if cursor is None:
            return None
        search = self._valid("q", "")
        return {**self.filter_args(), **({"q": search} if search else {}), "after": format_cursor(cursor)}


def back_args(raw: str | None) -> dict:
    """The queue filters to return to after a claim, from the form's `back` field; bad values dropped."""
    form = QueueForm(formdata=MultiDict(parse_qsl(raw or "", keep_blank_values=False)[:20]))
    form.validate()
    return form.filter_args()


class ClaimForm(FlaskForm):
    """Take a request on. `version` is the request's version when the page was shown."""

    version = IntegerField(widget=HiddenInput(), validators=[InputRequired(), NumberRange(1, _DB_INT_MAX)])
    back = HiddenField()


class AssignForm(ClaimForm):
    """Give a request to a staff member (the service checks that they are one)."""

    assignee = IntegerField(validators=[InputRequired(), NumberRange(1, _DB_INT_MAX)])
