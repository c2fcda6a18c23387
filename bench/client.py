"""A portal (or staff) user talking to Odoo over HTTP, as a browser would."""

import itertools
import json
import re
import threading
import time

import requests

CSRF = re.compile(r'name="csrf_token"\s+value="([^"]+)"|csrf_token\s*:\s*"([^"]+)"')
_markers = itertools.count(1)
_marker_lock = threading.Lock()


def next_marker(prefix="b"):
    with _marker_lock:
        return f"{prefix}{next(_markers)}"


class HttpError(Exception):
    pass


class Client:
    def __init__(self, base_url, login, password, timeout=300):
        self.base = base_url
        self.login_name = login
        self.password = password
        self.timeout = timeout
        self.session = requests.Session()
        self.csrf = None

    # ------------------------------------------------------------------
    def _url(self, path, marker=None):
        if marker:
            path += ("&" if "?" in path else "?") + f"_bench={marker}"
        return self.base + path

    def _remember_csrf(self, text):
        match = CSRF.search(text or "")
        if match:
            self.csrf = match.group(1) or match.group(2)

    def get(self, path, marker=None, allow_redirects=True):
        t0 = time.perf_counter()
        resp = self.session.get(
            self._url(path, marker), timeout=self.timeout, allow_redirects=allow_redirects
        )
        resp.elapsed_s = time.perf_counter() - t0
        if "text/html" in resp.headers.get("Content-Type", ""):
            self._remember_csrf(resp.text)
        return resp

    def post(self, path, data=None, files=None, marker=None, allow_redirects=False):
        data = dict(data or {})
        data.setdefault("csrf_token", self.csrf)
        t0 = time.perf_counter()
        resp = self.session.post(
            self._url(path, marker),
            data=data,
            files=files,
            timeout=self.timeout,
            allow_redirects=allow_redirects,
        )
        resp.elapsed_s = time.perf_counter() - t0
        if "text/html" in resp.headers.get("Content-Type", ""):
            self._remember_csrf(resp.text)
        return resp

    def jsonrpc(self, path, params, marker=None):
        body = {"jsonrpc": "2.0", "method": "call", "id": 1, "params": params}
        t0 = time.perf_counter()
        resp = self.session.post(
            self._url(path, marker),
            data=json.dumps(body),
            headers={"Content-Type": "application/json"},
            timeout=self.timeout,
        )
        resp.elapsed_s = time.perf_counter() - t0
        if resp.status_code != 200:
            raise HttpError(f"{path}: HTTP {resp.status_code}")
        payload = resp.json()
        if payload.get("error"):
            err = payload["error"]
            message = (err.get("data") or {}).get("message") or err.get("message")
            raise HttpError(f"{path}: {message}")
        resp.result = payload.get("result")
        return resp

    def call_kw(self, model, method, args, kwargs=None, marker=None):
        return self.jsonrpc(
            f"/web/dataset/call_kw/{model}/{method}",
            {"model": model, "method": method, "args": args, "kwargs": kwargs or {}},
            marker=marker,
        ).result

    # ------------------------------------------------------------------
    def login(self):
        page = self.get("/web/login")
        if not self.csrf:
            raise HttpError("no CSRF token on /web/login")
        resp = self.post(
            "/web/login",
            {"login": self.login_name, "password": self.password, "redirect": "/my"},
        )
        location = resp.headers.get("Location", "")
        if resp.status_code not in (302, 303) or "/web/login" in location:
            raise HttpError(
                f"login of {self.login_name} failed (HTTP {resp.status_code}, {location!r}, "
                f"login page {page.status_code})"
            )
        # A page of the portal, for a CSRF token bound to the new session.
        self.get("/my")
        return self
