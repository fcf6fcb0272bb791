"""No personal data in the logs: log-ins, failures, invitations and mail failures log no address."""

import logging

from tests.conftest import csrf_token
from tests.functional.helpers import MAIJA

ANNA = "anna.testinen@esimerkki.example"


def test_flows_log_no_email_addresses(mail_down_app, caplog):
    caplog.set_level(logging.DEBUG)
    client = mail_down_app.test_client()
    token = csrf_token(client, "/login")
    client.post("/login", data={"email": MAIJA, "password": "vaara-salasana-123", "csrf_token": token})
    client.post("/login", data={"email": "ei.ole@esimerkki.example", "password": "x" * 12,
                                "csrf_token": token})
    client.post("/get-access", data={"email": ANNA, "csrf_token": csrf_token(client, "/get-access")})
    assert any("outbox message" in r.getMessage() for r in caplog.records), "mail failure not logged"
    logged = "\n".join(r.getMessage() for r in caplog.records).lower()
    for address in (MAIJA, ANNA, "ei.ole@esimerkki.example"):
        assert address not in logged
