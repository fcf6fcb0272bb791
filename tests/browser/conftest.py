"""Browser fixtures: Debian's Chromium against the portal served as in production (HTTPS,
two gunicorn workers, Redis, SMTP) or as `make run` serves it (plain HTTP)."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from tests.serving import ROOT

ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
ACTIVATE_RE = re.compile(r"https?://\S+/activate/[\w.\-]+")
# Fixtures that serve the portal as production does (every such server shares its rate-limit
# counters in Redis); production runs on PostgreSQL.
PRODUCTION_FIXTURES = {"live_server", "new_context", "page", "production_server", "redis_server"}


def pytest_collection_modifyitems(config, items):
    """Run the production-mode browser tests in the PostgreSQL pass, on the database production
    uses; the SQLite pass keeps the browser tests of the portal as `make run` serves it.

    PORTAL_TEST_BROWSERS=all runs every browser test on SQLite too.
    """
    if os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql") or \
            os.environ.get("PORTAL_TEST_BROWSERS") == "all":
        return
    here = Path(__file__).parent
    chosen, production = [], []
    for item in items:
        in_browser_suite = here in Path(str(item.fspath)).parents
        uses_production = PRODUCTION_FIXTURES & set(getattr(item, "fixturenames", ()))
        if in_browser_suite and uses_production:
            production.append(item)
        else:
            chosen.append(item)
    if production:
        config.hook.pytest_deselected(items=production)
        items[:] = chosen


def activation_link(server, address: str, timeout: float = 10.0) -> str:
    """The /activate/ link from the newest invitation `server` mailed to `address`.

    The mail server is shared by the session's portals: a link from another one is not this one's.
    """
    deadline = time.monotonic() + timeout
    while True:
        for recipients, message in reversed(server.smtp.messages()):
            if address in recipients:
                match = ACTIVATE_RE.search(message.get_body(("plain",)).get_content())
                if match and match.group(0).startswith(f"{server.url}/"):
                    return match.group(0)
        if time.monotonic() > deadline:
            raise AssertionError(f"no invitation mail to {address}")
        time.sleep(0.1)


@pytest.fixture(scope="session")
def live_server(production_server):
    """The portal with the demo register, served as in production over HTTPS."""
    return production_server


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, headless; missing Chromium is a failure, not a skip."""
    assert Path(CHROMIUM).is_file(), f"{CHROMIUM} is missing: apt-get install chromium"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                              args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _context_factory(browser: Browser, server):
    contexts: list[BrowserContext] = []

    def _open(**options) -> BrowserContext:
        options.setdefault("locale", "en-GB")
        # The throwaway certificate is self-signed; everything else is as in production.
        context = browser.new_context(base_url=server.url, ignore_https_errors=True, **options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context

    return _open, contexts


@pytest.fixture
def new_context(browser: Browser, live_server):
    """Open browser contexts on the production-like server (English by default)."""
    opener, contexts = _context_factory(browser, live_server)
    yield opener
    for context in contexts:
        context.close()


@pytest.fixture
def dev_context(browser: Browser, dev_server):
    """Open browser contexts on the server as `make run` runs it."""
    opener, contexts = _context_factory(browser, dev_server)
    yield opener
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_context) -> Page:
    """A page in a fresh English-speaking desktop context."""
    return new_context().new_page()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """The folder for screenshots a human can look at (gitignored)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
