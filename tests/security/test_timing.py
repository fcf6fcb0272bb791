"""Known and unknown addresses cost the same while the person waits (no timing oracle):
password reset, get access and log-in do the same SQL and the same password hashing for both.
The timing distributions themselves are measured by bench/timing_oracle.py."""

import re

import argon2.low_level
import pytest
from flask import request_finished
from sqlalchemy import event

from portal.extensions import db
from tests.conftest import csrf_token
from tests.functional.helpers import ANNA, MAIJA, sent_mail

UNKNOWN = "ei.ketaan@esimerkki.example"
WRONG = "Vaara-salasana-123"


@pytest.fixture
def work_during_request(app, demo, monkeypatch):
    """Run one POST and return the work done before its response was finished:
    SQL statements (text only) and argon2 operations (with their cost parameters)."""

    def measure(path: str, **form) -> list[tuple]:
        client = app.test_client()
        token = csrf_token(client, path)
        work: list[tuple] = []
        finished = {"done": False}

        def on_sql(conn, cursor, statement, parameters, context, executemany):
            if not finished["done"]:
                work.append(("sql", re.sub(r"\s+", " ", statement)))

        real_hash, real_verify = argon2.low_level.hash_secret, argon2.low_level.verify_secret

        def counted_hash(secret, salt, time_cost, memory_cost, parallelism, hash_len, type, **kw):
            work.append(("argon2", time_cost, memory_cost, parallelism))
            return real_hash(secret, salt, time_cost, memory_cost, parallelism, hash_len, type, **kw)

        def counted_verify(hash, secret, type):
            cost = re.search(rb"m=(\d+),t=(\d+),p=(\d+)", hash).groups()
            work.append(("argon2", int(cost[1]), int(cost[0]), int(cost[2])))
            return real_verify(hash, secret, type)

        def on_finished(sender, response, **extra):
            finished["done"] = True

        monkeypatch.setattr(argon2.low_level, "hash_secret", counted_hash)
        monkeypatch.setattr(argon2.low_level, "verify_secret", counted_verify)
        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", on_sql)
        request_finished.connect(on_finished, app)
        try:
            client.post(path, data={**form, "csrf_token": token})
        finally:
            request_finished.disconnect(on_finished, app)
            event.remove(engine, "before_cursor_execute", on_sql)
            monkeypatch.undo()
        return work

    return measure


def test_password_reset_does_the_same_work_for_known_and_unknown_addresses(app, work_during_request):
    known = work_during_request("/reset", email=MAIJA)
    unknown = work_during_request("/reset", email=UNKNOWN)
    assert known == unknown
    assert not [w for w in known if w[0] == "argon2"]
    assert [m.to for m in sent_mail(app)] == [[MAIJA]]  # the link still goes out, after the response


def test_get_access_does_the_same_work_for_known_and_unknown_addresses(app, work_during_request):
    known = work_during_request("/get-access", email=ANNA)
    unknown = work_during_request("/get-access", email=UNKNOWN)
    assert known == unknown
    assert [m.to for m in sent_mail(app)] == [[ANNA], [UNKNOWN]]  # "no data on this address"


def test_failed_login_does_the_same_work_for_known_and_unknown_addresses(work_during_request):
    known = work_during_request("/login", email=MAIJA, password=WRONG)
    unknown = work_during_request("/login", email=UNKNOWN, password=WRONG)
    assert [w for w in known if w[0] == "argon2"] == [w for w in unknown if w[0] == "argon2"]
    assert len([w for w in known if w[0] == "argon2"]) == 1
    assert [w for w in known if w[0] == "sql"] == [w for w in unknown if w[0] == "sql"]
