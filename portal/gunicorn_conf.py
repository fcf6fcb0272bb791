"""gunicorn settings: `gunicorn -c python:portal.gunicorn_conf --bind HOST:PORT`.

One worker process with threads by default, so the in-memory rate-limit counters are shared
by every request. More worker processes (or hosts) need a shared counter store:
`PORTAL_RATELIMIT_STORAGE_URI=redis://...`; starting several workers without one is refused,
because each would count alone and let through several times the stated number of guesses.
The access log never shows the one-time tokens of invitation and password-reset links.
"""

from __future__ import annotations

import os
import re
import sys

from gunicorn.glogging import Logger

wsgi_app = "wsgi:app"
workers = int(os.environ.get("WEB_CONCURRENCY", "1"))
threads = int(os.environ.get("PORTAL_THREADS", "4"))
logger_class = "portal.gunicorn_conf.RedactingLogger"

# One-time links: invitation, password reset, confirming a new email address.
_TOKEN_IN_PATH = re.compile(r"(/(?:activate|reset|account/confirm-email)/)[^\s/?#\"]+")


def redact(text: str) -> str:
    """`text` with the token of every one-time link (/activate/<token>, /reset/<token>...) replaced."""
    return _TOKEN_IN_PATH.sub(r"\1[token]", text)


class RedactingLogger(Logger):
    """gunicorn's logger, with link tokens taken out of every access-log field (path, Referer)."""

    def atoms(self, resp, req, environ, request_time):
        """The values the access-log format may use, tokens redacted."""
        values = super().atoms(resp, req, environ, request_time)
        return {key: redact(value) if isinstance(value, str) else value for key, value in values.items()}


def counts_per_process(storage_uri: str) -> bool:
    """True if rate-limit counters in this store are not shared between processes."""
    return storage_uri.strip().lower().startswith("memory://")


def on_starting(server) -> None:
    """Refuse several worker processes whose rate limits would each count alone."""
    storage = os.environ.get("PORTAL_RATELIMIT_STORAGE_URI", "memory://")
    if server.cfg.workers > 1 and counts_per_process(storage):
        server.log.error(
            "refusing to start %d worker processes with PORTAL_RATELIMIT_STORAGE_URI=%s: each would "
            "count log-in failures alone. Set PORTAL_RATELIMIT_STORAGE_URI=redis://HOST:6379, or run "
            "one worker (threads serve requests in parallel).", server.cfg.workers, storage)
        sys.exit(1)
