"""Customer pages: marketing (being built)."""

from portal.account import bp  # noqa: F401
