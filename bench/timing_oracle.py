"""Do known and unknown addresses take the same time? Response-time distributions side by side.

Usage: .venv/bin/python bench/timing_oracle.py [--rounds 40]

Builds the portal with its production password hashing on a throwaway SQLite database with the
demo register, then posts the password-reset, get-access and log-in forms alternately for a
known and an unknown address, timing each request until its response is complete (work queued
for after the response, such as sending the email, is not what the person waits for).
Rate limits are off so every request does its full work. Prints min / median / p90 / max in
milliseconds and the difference of the medians; a difference within the run-to-run noise
(a few per cent) means the response time does not tell whether an address has an account.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flask_migrate import upgrade  # noqa: E402

from portal import create_app  # noqa: E402
from portal.config import TestConfig  # noqa: E402
from portal.demo import DEMO_PASSWORD, load_demo  # noqa: E402
from portal.extensions import db  # noqa: E402

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
KNOWN = "maija.meikalainen@esimerkki.example"
KNOWN_WITHOUT_ACCOUNT = "anna.testinen@esimerkki.example"
UNKNOWN = "ei.ketaan@esimerkki.example"
CASES = [
    ("password reset", "/reset", lambda email: {"email": email}, KNOWN),
    ("get access", "/get-access", lambda email: {"email": email}, KNOWN_WITHOUT_ACCOUNT),
    ("failed log-in", "/login", lambda email: {"email": email, "password": "Vaara-salasana-123"}, KNOWN),
]


class BenchConfig(TestConfig):
    """The test settings with production password hashing and no rate limits."""

    SECURITY_PASSWORD_HASH_PASSLIB_OPTIONS: dict = {}
    RATELIMIT_ENABLED = False


def _timed_post(client, path: str, form: dict[str, str]) -> float:
    page = client.get(path).get_data(as_text=True)
    data = {**form, "csrf_token": CSRF_RE.search(page).group(1)}
    start = time.perf_counter()
    response = client.post(path, data=data, buffered=False)
    response.get_data()
    elapsed = time.perf_counter() - start
    response.close()  # now the queued work runs, as a server runs it after sending the response
    return elapsed * 1000


def _row(name: str, samples: list[float]) -> str:
    ordered = sorted(samples)
    p90 = ordered[int(len(ordered) * 0.9) - 1]
    return (f"  {name:<9} {ordered[0]:8.1f} {statistics.median(ordered):8.1f} {p90:8.1f} "
            f"{ordered[-1]:8.1f}")


def main() -> None:
    """Run the measurement and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=40, help="requests per address and form")
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="portal-timing-")
    config = BenchConfig()
    config.SQLALCHEMY_DATABASE_URI = f"sqlite:///{os.path.join(workdir, 'bench.db')}"
    app = create_app(config)
    with app.app_context():
        upgrade(directory=str(Path(__file__).resolve().parents[1] / "migrations"))
        load_demo(db.session)
        db.session.remove()
    assert DEMO_PASSWORD
    print(f"{'':11} {'min':>8} {'median':>8} {'p90':>8} {'max':>8}   (ms, {args.rounds} requests each)")
    for title, path, form, known in CASES:
        client = app.test_client()
        timings: dict[str, list[float]] = {"known": [], "unknown": []}
        for _ in range(args.rounds):
            timings["known"].append(_timed_post(client, path, form(known)))
            timings["unknown"].append(_timed_post(client, path, form(UNKNOWN)))
        print(f"{title} ({path})")
        for name, samples in timings.items():
            print(_row(name, samples))
        known_median = statistics.median(timings["known"])
        unknown_median = statistics.median(timings["unknown"])
        print(f"  median difference: {known_median - unknown_median:+.1f} ms "
              f"({(known_median - unknown_median) / unknown_median:+.1%})")


if __name__ == "__main__":
    main()
