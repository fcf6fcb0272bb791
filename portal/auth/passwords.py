"""Password rules beyond Flask-Security's length check."""

from __future__ import annotations

from flask_security import PasswordUtil


class PortalPasswordUtil(PasswordUtil):
    """Flask-Security's password checks, used at set, reset and change."""
