"""Account preferences."""

from __future__ import annotations

from sqlalchemy.orm import Session

from portal.models import User


def set_language(session: Session, user: User, code: str) -> None:
    """Save the interface language as the user's (and the register entry's) preference."""
    user.locale = code
    if user.customer is not None:
        user.customer.language = code
    session.commit()
