"""Helpers for the inspector's end-to-end tests: start an agent with its inspector on a free
port and its own state dir, and call the inspector's API over real HTTP (urllib)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import urllib.error
import urllib.request
from pathlib import Path
from typing import Optional

from relay_harness import Agent, wait_until

WEB_RX = r"Web Interface\s+(http://\S+)"


class Api:
    """The inspector's JSON API at `base` ("http://127.0.0.1:PORT")."""

    def __init__(self, base: str):
        self.base = base.rstrip("/")

    def call(self, method: str, path: str, body=None, raw: Optional[bytes] = None,
             headers: Optional[dict] = None, timeout: float = 30) -> tuple[int, object]:
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=headers or {})
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=timeout) as res:
                status, text = res.status, res.read()
        except urllib.error.HTTPError as e:
            status, text = e.code, e.read()
        if not text:
            return status, None
        try:
            return status, json.loads(text)
        except ValueError:
            return status, text.decode(errors="replace")

    def get(self, path: str):
        return self.call("GET", path)

    def requests(self, **query) -> list[dict]:
        q = "&".join(f"{k}={v}" for k, v in query.items())
        status, body = self.get("/api/requests/http" + (f"?{q}" if q else ""))
        assert status == 200, body
        return body["requests"]

    def wait_complete(self, predicate=lambda r: True, count: int = 1, timeout: float = 10) -> list[dict]:
        """The newest `count` captures matching `predicate` once they all have their response."""
        def done():
            found = [r for r in self.requests() if predicate(r)]
            return found[:count] if len(found) >= count and all(r["relay"]["complete"] for r in found[:count]) else None
        return wait_until(done, timeout, f"{count} complete capture(s) in {self.base}")


def body_of(part: dict) -> bytes:
    return base64.b64decode(part["body"]) if part and part.get("body") else b""


def start_agent(relay, app, edge, state_dir: Path, extra=(), inspect: str = "127.0.0.1:0") -> tuple[Agent, Api]:
    """`relay http APP --inspect 127.0.0.1:0 --state-dir DIR ...`; waits for both lines."""
    agent = relay.agent(app, edge, inspect=True, extra=["--inspect", inspect, "--state-dir", str(state_dir), *extra])
    m = agent.wait_for_output(WEB_RX)
    return agent, Api(m[1])


def tiktok_signature(secret: str, body: bytes, timestamp: int) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},s={mac}"


def tokportal_headers(secret: str, body: bytes, event_id: str, timestamp: int) -> list[str]:
    """TokPortal's signature headers, made by `relay webhook sign` (the real signer)."""
    import subprocess
    import tempfile
    from relay_harness import relay_bin
    with tempfile.NamedTemporaryFile() as f:
        f.write(body)
        f.flush()
        r = subprocess.run([relay_bin(), "webhook", "sign", "tokportal", "--secret", secret, "--body-file", f.name,
                            "--now", str(timestamp), "--header", f"TokPortal-Event-Id: {event_id}"],
                           capture_output=True, text=True, timeout=20)
    assert r.returncode == 0, r.stderr
    return [line for line in r.stdout.splitlines() if ": " in line]


def port_of(url: str) -> int:
    return int(re.search(r":(\d+)$", url.rstrip("/"))[1])
