"""The stated log-in limits hold across gunicorn workers, as `make run` serves the portal and as
production does (two workers sharing counters in a real Redis); tokens stay out of access logs."""

import subprocess
import time

from portal.demo import DEMO_PASSWORD
from tests.serving import ROOT as PROJECT_ROOT
from tests.serving import HttpClient, clean_env, free_port, gunicorn_command

WRONG = "Vaara-salasana-123"
NOBODY = "ei.ketaan@esimerkki.example"


def _failures(server, address: str, times: int, email: str = NOBODY, **headers) -> list[int]:
    statuses = []
    for _ in range(times):
        client = HttpClient(server, **headers)
        statuses.append(client.request("/login", {"email": email, "password": WRONG})[0])
    return statuses


def test_five_failures_a_minute_per_address_in_production_with_two_workers(production_server):
    address = {"X-Forwarded-For": "192.0.2.10"}
    assert _failures(production_server, "192.0.2.10", 8, email="a@esimerkki.example", **address) \
        == [200] * 5 + [429] * 3
    other = HttpClient(production_server, **{"X-Forwarded-For": "192.0.2.11"})
    assert other.request("/login", {"email": "b@esimerkki.example", "password": WRONG})[0] == 200


def test_ten_failures_per_account_across_addresses_in_production(production_server):
    statuses = [_failures(production_server, "", 1, **{"X-Forwarded-For": f"192.0.2.{100 + n}"})[0]
                for n in range(12)]
    assert statuses == [200] * 10 + [429] * 2


def test_five_failures_a_minute_per_address_as_make_run_serves_it(dev_server):
    client_statuses = _failures(dev_server, "", 7, email="c@esimerkki.example")
    assert client_statuses == [200] * 5 + [429] * 2


def test_several_workers_with_per_process_counters_are_refused(tmp_path):
    env = clean_env(PORTAL_ENV="development", PORTAL_HTTPS="0", PORTAL_INSTANCE_DIR=str(tmp_path),
                    DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}")
    result = subprocess.run(gunicorn_command(free_port(), "--workers", "2"), cwd=PROJECT_ROOT, env=env,
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode != 0
    assert "PORTAL_RATELIMIT_STORAGE_URI" in result.stderr


def test_link_tokens_never_reach_the_access_log(production_server):
    token = "IjEyMzQ1Njc4OTAi.ZZZ-secret-looking-token"
    client = HttpClient(production_server)
    for path in (f"/reset/{token}", f"/activate/{token}"):
        client.request(path)
        client.request(path, {"password": "x", "password_confirm": "x"})
    time.sleep(0.5)  # the access log line is written after the response
    log = production_server.log_text()
    assert "/reset/[token]" in log and "/activate/[token]" in log
    assert token not in log
    assert DEMO_PASSWORD not in log
