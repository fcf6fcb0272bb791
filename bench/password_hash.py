"""What one log-in costs in password hashing: argon2 with the portal's production parameters.

Usage: .venv/bin/python bench/password_hash.py [--runs N]

Hashes and verifies a password --runs times through Flask-Security's own password functions
with the production settings (portal.config.Config), and prints the parameters from the hash and
the median milliseconds. The target is 50-250 ms per hash on the machine that serves the portal:
slow enough to make guessing stolen hashes expensive, fast enough for a log-in.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flask_security.utils import hash_password, verify_password  # noqa: E402

from portal import create_app  # noqa: E402
from portal.config import Config, TestConfig  # noqa: E402

PASSWORD = "Esimerkki-demo-2026"  # noqa: S105 - the demo's, hashed here only


def _median_ms(call, runs: int) -> float:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def main() -> None:
    """Time hashing and verifying with the production parameters."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    config = TestConfig()  # a throwaway app; only the hashing settings come from production
    config.SECURITY_PASSWORD_HASH_PASSLIB_OPTIONS = Config.SECURITY_PASSWORD_HASH_PASSLIB_OPTIONS
    app = create_app(config)
    with app.app_context():
        stored = hash_password(PASSWORD)
        hashing = _median_ms(lambda: hash_password(PASSWORD), args.runs)
        verifying = _median_ms(lambda: verify_password(PASSWORD, stored), args.runs)
    print(f"parameters: {stored.split('$')[3]} ({stored.split('$')[1]})")
    print(f"hash:   {hashing:6.1f} ms (median of {args.runs})")
    print(f"verify: {verifying:6.1f} ms (median of {args.runs})")
    print(f"one worker checks at most {1000 / verifying:.1f} passwords a second")


if __name__ == "__main__":
    main()
