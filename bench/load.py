"""Serving and loading for bench/pages.py: gunicorn processes, a cookie-keeping client, wrk, RSS.

Requests go over plain HTTP to 127.0.0.1 with `X-Forwarded-Proto: https`, as the TLS proxy in
front of a production portal sends them (PORTAL_PROXY_COUNT=1), so the secure `__Host-` cookies,
HTTPS redirects and the same-origin check of forms all work as in production.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import pyotp

ROOT = Path(__file__).resolve().parents[1]
LUA = Path(__file__).with_name("wrk_report.lua")
PROXY_HEADERS = {"X-Forwarded-Proto": "https"}
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def require_wrk() -> str:
    """The wrk binary, or exit telling how to install it."""
    found = shutil.which("wrk")
    if not found:
        sys.exit("wrk is missing: install it with `apt-get install wrk` (Debian/Ubuntu) and run again")
    return found


@contextmanager
def gunicorn(command: list[str], env: dict[str, str], log_path: Path, port: int, timeout: float = 60):
    """Run `command` (a gunicorn on 127.0.0.1:`port`) until the block ends; yield its process."""
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + timeout
        while not _answers(port):
            if process.poll() is not None or time.monotonic() > deadline:
                tail = "\n".join(log_path.read_text(errors="replace").splitlines()[-30:])
                sys.exit(f"gunicorn did not start ({' '.join(command)}):\n{tail}")
            time.sleep(0.2)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _answers(port: int) -> bool:
    """True once something on the port answers /_bench/ping with 200."""
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        connection.request("GET", "/_bench/ping", headers=PROXY_HEADERS)
        return connection.getresponse().status == 200
    except OSError:
        return False


@dataclass
class Browser:
    """A client that keeps its cookies (secure ones too) and posts forms with their CSRF token."""

    port: int
    cookies: dict[str, str] = field(default_factory=dict)

    def cookie_header(self) -> str:
        """The Cookie header this client sends."""
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())

    def request(self, path: str, form: dict[str, str] | None = None) -> tuple[int, str, str]:
        """GET `path`, or POST `form` to it; (status, Location, body). Redirects are not followed."""
        headers = {**PROXY_HEADERS, "Cookie": self.cookie_header()}
        data = None
        if form is not None:
            data = urlencode(form)
            headers.update({"Content-Type": "application/x-www-form-urlencoded", "Referer": self.url(path)})
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        connection.request("POST" if form is not None else "GET", path, body=data, headers=headers)
        response = connection.getresponse()
        for value in response.headers.get_all("Set-Cookie") or []:
            pair, _, attributes = value.partition(";")
            name, _, cookie = pair.strip().partition("=")
            if cookie and "max-age=0" not in attributes.lower():
                self.cookies[name] = cookie
            else:
                self.cookies.pop(name, None)
        return response.status, response.headers.get("Location", ""), response.read().decode()

    def url(self, path: str) -> str:
        """The public address of `path` (what a browser's Referer holds)."""
        return f"https://127.0.0.1:{self.port}{path}"

    def csrf(self, path: str) -> str:
        """The CSRF token of the first form on `path`."""
        status, _, body = self.request(path)
        match = CSRF_RE.search(body)
        if status != 200 or match is None:
            sys.exit(f"no form with a CSRF token on {path} ({status})")
        return match.group(1)

    def log_in(self, email: str, password: str, code=None) -> None:
        """Log in through the real forms; `code()` gives the authenticator code if one is asked."""
        form = {"email": email, "password": password, "csrf_token": self.csrf("/login")}
        status, location, _ = self.request("/login", form)
        if status == 302 and "/login/code" in location and code is not None:
            form = {"code": code(), "csrf_token": self.csrf("/privacy")}
            status, location, _ = self.request("/login/code", form)
        if status != 302 or "/login" in location:
            sys.exit(f"log-in of {email} failed: {status} -> {location}")


_USED_WINDOWS: dict[str, int] = {}


def totp_code(secret: str) -> str:
    """An authenticator code for `secret` from a 30-second window not used yet (codes work once)."""
    key = secret.replace("-", "")
    while (window := int(time.time()) // 30) <= _USED_WINDOWS.get(key, -1):
        time.sleep((window + 1) * 30 - time.time() + 0.2)
    _USED_WINDOWS[key] = window
    return pyotp.TOTP(key).at(window * 30)


def process_tree(pid: int) -> list[int]:
    """`pid` and all its descendants (from /proc/<pid>/task/*/children)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                todo += [int(child) for child in (task / "children").read_text().split()]
            except OSError:
                pass
    return found


def rss_mb(pid: int) -> float:
    """The summed resident memory (VmRSS) of `pid` and its descendants, in MB."""
    total = 0
    for member in process_tree(pid):
        try:
            for line in Path(f"/proc/{member}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


@contextmanager
def peak_rss(pid: int, every: float = 0.2):
    """Sample the tree's RSS while the block runs; yields a dict whose "mb" is the peak."""
    peak = {"mb": rss_mb(pid)}
    stop = threading.Event()

    def sample() -> None:
        """Keep the highest sum seen until told to stop."""
        while not stop.wait(every):
            peak["mb"] = max(peak["mb"], rss_mb(pid))

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield peak
    finally:
        stop.set()
        thread.join()


def wrk(url: str, *, seconds: int, connections: int, threads: int, cookie: str = "",
        body: str = "", referer: str = "") -> dict:
    """Run wrk against `url` for `seconds`; the figures its Lua script printed."""
    headers = [f"{name}: {value}" for name, value in PROXY_HEADERS.items()]
    headers += [f"Cookie: {cookie}"] * bool(cookie) + [f"Referer: {referer}"] * bool(referer)
    command = [require_wrk(), "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s",
               "--timeout", "10s", "-s", str(LUA), *[arg for h in headers for arg in ("-H", h)], url]
    result = subprocess.run(command, capture_output=True, text=True, check=False,
                            env={**os.environ, "BENCH_BODY": body})
    line = next((x for x in result.stdout.splitlines() if x.startswith("BENCH_JSON ")), None)
    if result.returncode or line is None:
        sys.exit(f"wrk failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    figures = json.loads(line.removeprefix("BENCH_JSON "))
    figures["rps"] = figures["requests"] / figures["seconds"] if figures["seconds"] else 0.0
    return figures
