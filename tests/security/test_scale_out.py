"""Two hosts, one database: two gunicorn instances on different ports over one PostgreSQL and one
Redis, as production scales out behind a load balancer. A log-in made on one is valid on the
other, a log-out on one ends it on both, failed log-ins count across both, two outbox senders
running at once send each mail exactly once, and neither host writes anything to its disk."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path

import pytest

from portal.demo import DEMO_PASSWORD
from tests.functional.helpers import MAIJA
from tests.serving import (
    PRODUCTION_SECRETS,
    ROOT,
    HttpClient,
    clean_env,
    free_port,
    run_flask,
    self_signed_certificate,
    serve,
    served_database_url,
)

pytestmark = pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"),
    reason="scale-out shares one PostgreSQL; the PostgreSQL pass runs it")
LOAD_BALANCED = "https://127.0.0.1"  # both hosts serve one public address
MAILS = 30


@pytest.fixture(scope="module")
def two_hosts(tmp_path_factory, redis_server, served_smtp):
    """Host A and host B: same database, same Redis, same secrets, own ports and own disks."""
    workdir = tmp_path_factory.mktemp("scale-out")
    database = served_database_url("portal_scale_out", workdir)
    tls = self_signed_certificate(workdir)
    ports = free_port(), free_port()
    shared = dict(PRODUCTION_SECRETS, DATABASE_URL=database, PORTAL_ENV="production", PORTAL_HTTPS="1",
                  PORTAL_BASE_URL=f"https://127.0.0.1:{ports[0]}",
                  PORTAL_RATELIMIT_STORAGE_URI=redis_server.url + "/3",
                  PORTAL_MAIL_SERVER="127.0.0.1", PORTAL_MAIL_PORT=str(served_smtp.port),
                  PORTAL_PROXY_COUNT="1", PORTAL_OUTBOX_SEND_IMMEDIATELY="0")
    envs = []
    for name in ("a", "b"):
        disk = workdir / f"host-{name}"
        disk.mkdir()
        envs.append(clean_env(**shared, PORTAL_INSTANCE_DIR=str(disk / "instance"),
                              PORTAL_AUDIT_ANCHOR_FILE=str(disk / "anchors.jsonl")))
    run_flask(envs[0], "db", "upgrade")
    run_flask(envs[0], "demo")
    with ExitStack() as stack:
        hosts = [stack.enter_context(serve(env, workdir / f"gunicorn-{n}.log", "--workers", "2",
                                           tls=tls, port=port))
                 for n, (env, port) in enumerate(zip(envs, ports, strict=True))]
        for host, env in zip(hosts, envs, strict=True):
            host.env = env
            host.disk = Path(env["PORTAL_INSTANCE_DIR"]).parent
        yield hosts


def _session_cookie(client: HttpClient) -> str:
    """The session cookie the browser holds now."""
    jar = [h for h in client._opener.handlers if hasattr(h, "cookiejar")][0].cookiejar
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def test_a_log_in_on_one_host_works_on_the_other_and_a_log_out_ends_it_on_both(two_hosts):
    host_a, host_b = two_hosts
    browser = HttpClient(host_a)
    status, _ = browser.request("/login", {"email": MAIJA, "password": DEMO_PASSWORD})
    assert status == 302
    browser.served = host_b  # the load balancer sends the next request to the other host
    status, shown = browser.request("/account")
    assert status == 200 and "Meikäläinen" in shown
    stolen = _session_cookie(browser)
    status, _ = browser.request("/logout", {})
    assert status == 302
    for host in (host_a, host_b):  # the old cookie, replayed on either host, is dead
        status, headers, _ = host.open("/account", headers={"Cookie": stolen})
        assert status == 302 and "/login" in headers["Location"]


def test_failed_log_ins_count_across_both_hosts(two_hosts):
    address = {"X-Forwarded-For": "192.0.2.77"}
    statuses = []
    for attempt in range(7):
        host = two_hosts[attempt % 2]
        client = HttpClient(host, **address)
        statuses.append(client.request("/login", {"email": "kuka@esimerkki.example",
                                                  "password": "Vaara-salasana-123"})[0])
    assert statuses == [200] * 5 + [429] * 2


def _queue_mail(env: dict[str, str]) -> None:
    """Queue MAILS messages straight into the shared outbox, as requests on any host would."""
    script = (
        "from portal import create_app\n"
        "from portal.extensions import db\n"
        "from portal.services.outbox import queue_raw\n"
        "app = create_app()\n"
        "with app.app_context():\n"
        f"    for n in range({MAILS}):\n"
        "        queue_raw(db.session, recipient=f'vastaanottaja{n}@esimerkki.example',\n"
        "                  subject=f'scale-out {n}', body_text='x', body_html=None, kind='test')\n"
        "    db.session.commit()\n")
    subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, check=True, timeout=60)


def test_two_outbox_senders_at_once_send_each_mail_exactly_once(two_hosts, served_smtp):
    _queue_mail(two_hosts[0].env)
    flask = [sys.executable, "-m", "flask", "--app", "wsgi", "outbox", "send"]
    senders = [subprocess.Popen(flask, cwd=ROOT, env=host.env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True) for host in two_hosts]
    outputs = [sender.communicate(timeout=120)[0] for sender in senders]
    assert all(sender.returncode == 0 for sender in senders), outputs
    deadline = time.monotonic() + 10
    while True:
        subjects = [m["Subject"] for _, m in served_smtp.messages() if m["Subject"].startswith("scale-out ")]
        if len(subjects) >= MAILS or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert sorted(subjects) == sorted(f"scale-out {n}" for n in range(MAILS))
    sent_by = [int(out.split("Sent ")[1].split(" ")[0]) for out in outputs]
    assert sum(sent_by) == MAILS


def test_neither_host_writes_to_its_own_disk(two_hosts):
    for host in two_hosts:
        written = [p for p in host.disk.rglob("*") if p.is_file()]
        assert written == [], written
