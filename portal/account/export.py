"""Customer pages: export (being built)."""

from portal.account import bp  # noqa: F401
