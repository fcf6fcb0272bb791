"""Why a request cannot be filed or changed: each refusal has a `code` the views put into words."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from portal.models import PrivacyRequest


class RequestRefused(Exception):
    """The request cannot be filed or changed; `code` says why (the view words it)."""

    code = "refused"


class InvalidValue(RequestRefused, ValueError):
    """A typed value is not acceptable; `field` names it when there is one."""

    def __init__(self, code: str, field_name: str | None = None):
        super().__init__(code)
        self.code, self.field = code, field_name


class DuplicateRequest(RequestRefused):
    """An open request of the same kind about the same thing exists."""

    code = "duplicate"

    def __init__(self, existing: PrivacyRequest, fields: tuple[str, ...] = ()):
        super().__init__(existing.reference)
        self.reference, self.fields = existing.reference, fields


class NotCancellable(RequestRefused):
    """Only a request still waiting for handling can be cancelled."""

    code = "not_cancellable"


class RequestClosed(RequestRefused):
    """The request has been decided or cancelled: its thread is closed."""

    code = "closed"


class RequestChanged(RequestRefused):
    """Someone else changed the request at the same moment; nothing was saved."""

    code = "changed"
