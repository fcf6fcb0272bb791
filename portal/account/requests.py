"""Customer pages: requests (being built)."""

from portal.account import bp  # noqa: F401
