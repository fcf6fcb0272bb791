"""The README's screenshots, taken in Chromium from the demo portal.

    .venv/bin/python scripts/screenshots.py            # serves a throwaway demo portal itself
    .venv/bin/python scripts/screenshots.py --url http://127.0.0.1:8000 --secret ABCD-EFGH-...
                                                       # or uses one already running (`make run`;
                                                       # the secret is the administrator's, as
                                                       # `flask demo` printed it)

Writes docs/screenshots/my-data-fi-phone.png (Maija's My data in Finnish on a 390×844 phone,
the first screen) and docs/screenshots/queue-en-desktop.png (the request queue in English on
a 1280×800 desktop, from the top to the end of the second request).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from portal.demo import ADMIN_EMAIL  # noqa: E402
from tests import serving  # noqa: E402
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.browser.pages import MAIJA, PHONE, enter_code, log_in, switch_language  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
DESKTOP = {"viewport": {"width": 1280, "height": 800}}


def demo_portal(stack: ExitStack) -> tuple[str, str]:
    """Serve the demo as `make run` does, in a temporary folder; its URL and the admin's secret."""
    workdir = Path(stack.enter_context(tempfile.TemporaryDirectory()))
    served = stack.enter_context(serving.portal_server(
        workdir, production=False, database_url=f"sqlite:///{workdir / 'portal.db'}"))
    return served.url, served.secrets[ADMIN_EMAIL]


def take(url: str, secret: str, out: Path) -> list[Path]:
    """Log in as Maija and as the administrator and save the two screens."""
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        phone = browser.new_context(base_url=url, locale="fi-FI", **PHONE).new_page()
        log_in(phone, MAIJA, lang="fi")
        if phone.locator("html").get_attribute("lang") != "fi":
            switch_language(phone, "suomi")
        phone.screenshot(path=out / "my-data-fi-phone.png", animations="disabled")

        desktop = browser.new_context(base_url=url, locale="en-GB", **DESKTOP).new_page()
        log_in(desktop, ADMIN_EMAIL)
        enter_code(desktop, secret)
        desktop.goto("/staff/")
        if desktop.locator("html").get_attribute("lang") != "en":
            switch_language(desktop, "English")
        # The first screen shows only the filters: go on down to the end of the second request.
        second = desktop.locator("main table tbody tr").nth(1).bounding_box()
        bottom = second["y"] + second["height"] + 24
        desktop.screenshot(path=out / "queue-en-desktop.png", animations="disabled", full_page=True,
                           clip={"x": 0, "y": 0, "width": 1280, "height": bottom})
        browser.close()
    return [out / "my-data-fi-phone.png", out / "queue-en-desktop.png"]


def main() -> None:
    """Parse the options, serve the demo unless given a URL, and take the screenshots."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running portal with the demo register (default: serve one)")
    parser.add_argument("--secret", help="the demo administrator's authenticator secret (with --url)")
    parser.add_argument("--out", type=Path, default=OUT, help=f"folder for the PNG files (default {OUT})")
    options = parser.parse_args()
    if options.url and not options.secret:
        parser.error("--url needs --secret: the administrator logs in with an authenticator code")
    with ExitStack() as stack:
        url, secret = (options.url, options.secret) if options.url else demo_portal(stack)
        for path in take(url.rstrip("/"), secret, options.out):
            print(f"{path}: {path.stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()
