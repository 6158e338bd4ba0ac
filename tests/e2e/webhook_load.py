"""A bounded load of signed webhooks, and the tally of what the sender was told against what the
app received (cluster tests: docs/cluster.md). Plain Python, no pytest, no new dependency.

`WebhookLoad` sends `count` GitHub webhooks (X-Hub-Signature-256 = HMAC-SHA256 of the body with
GITHUB_SECRET, a unique X-GitHub-Delivery event id each) at `rate` per second, each on its own
connection (as providers do), from a few threads paced on one clock, and records per webhook the
status it got (0: no answer) and the `Relay-Delivery-Id` of a "queued" answer. `tally()` matches
that against the app's recorded requests (app_server.App): every webhook answered 2xx must have
reached the app; the rest are counted, not judged.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable, Optional

from relay_harness import LOCALHOST

GITHUB_SECRET = "e2e-github-webhook-secret"


def github_webhook(n: int, event_id: str) -> tuple[bytes, dict[str, str]]:
    """A push event as GitHub signs it: HMAC-SHA256(secret, body), hex, `sha256=` prefix."""
    body = json.dumps({"ref": "refs/heads/main", "n": n, "after": hashlib.sha1(event_id.encode()).hexdigest(),
                       "repository": {"full_name": "relay-e2e/load"}}).encode()
    signature = hmac.new(GITHUB_SECRET.encode(), body, hashlib.sha256).hexdigest()
    return body, {"Content-Type": "application/json", "User-Agent": "GitHub-Hookshot/e2e",
                  "X-GitHub-Event": "push", "X-GitHub-Delivery": event_id,
                  "X-Hub-Signature-256": f"sha256={signature}"}


@dataclass
class Sent:
    n: int
    event_id: str
    at: float = 0.0  # seconds since the load started
    status: int = 0  # 0: no HTTP answer (refused, reset, timed out)
    delivery_id: Optional[str] = None
    retry_after: Optional[str] = None
    error: str = ""

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


class WebhookLoad:
    """`count` signed webhooks at `rate`/s to http://HOST:PORT`path` with `Host: host_header`."""

    def __init__(self, port: int, host_header: str, count: int, rate: float, path: str = "/webhooks/github",
                 workers: int = 24, timeout: float = 10, host: str = LOCALHOST):
        self.port, self.host_header, self.host = port, host_header, host
        self.count, self.rate, self.path = count, rate, path
        self.workers, self.timeout = workers, timeout
        self.results = [Sent(n, f"{uuid.uuid4()}") for n in range(count)]
        self.started = 0.0
        self._threads: list[threading.Thread] = []

    def start(self) -> "WebhookLoad":
        self.started = time.monotonic()
        self._threads = [threading.Thread(target=self._work, args=(k,), daemon=True) for k in range(self.workers)]
        for t in self._threads:
            t.start()
        return self

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def join(self, timeout: float) -> list[Sent]:
        deadline = time.monotonic() + timeout
        for t in self._threads:
            t.join(max(0.0, deadline - time.monotonic()))
        if any(t.is_alive() for t in self._threads):
            raise TimeoutError(f"the webhook load did not finish within {timeout:.0f} s")
        return self.results

    def _work(self, k: int) -> None:
        # Worker k sends webhooks k, k+workers, ...; each at its slot on the common clock, or at
        # once when the worker is behind (a slow answer), so the rate holds on average.
        for n in range(k, self.count, self.workers):
            delay = self.started + n / self.rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            self._send(self.results[n])

    def _send(self, sent: Sent) -> None:
        body, headers = github_webhook(sent.n, sent.event_id)
        sent.at = self.elapsed()
        conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            conn.request("POST", self.path, body=body, headers={"Host": self.host_header, "Connection": "close",
                                                                **headers})
            r = conn.getresponse()
            data = r.read()
            sent.status = r.status
            sent.delivery_id = r.getheader("Relay-Delivery-Id")
            sent.retry_after = r.getheader("Retry-After")
            if not sent.ok:
                sent.error = f"{r.getheader('Relay-Error-Code') or ''} {data[:120]!r}".strip()
        except (OSError, http.client.HTTPException) as e:
            sent.error = f"{type(e).__name__}: {e}"
        finally:
            conn.close()


@dataclass
class Delivery:
    delivery_id: Optional[str]
    event_id: Optional[str]
    attempt: int


def deliveries_at(app, path: str = "/webhooks/github") -> list[Delivery]:
    """What the app received on `path`, in order, with relay's delivery headers."""
    return [Delivery(r.header("Relay-Delivery-Id"), r.header("X-GitHub-Delivery"),
                     int(r.header("Relay-Delivery-Attempt") or "1"))
            for r in app.requests_to(path)]


@dataclass
class Tally:
    sent: int = 0
    answered_2xx: int = 0
    failed: int = 0  # answered non-2xx, or no answer
    failures: Counter = field(default_factory=Counter)  # status (0 = no answer) -> count
    delivered_unique: int = 0  # distinct webhooks of ours that reached the app
    delivery_id_duplicates: int = 0  # extra arrivals of a delivery id (at-least-once redeliveries)
    redelivered_ids: list[str] = field(default_factory=list)
    event_id_duplicates: int = 0  # events that arrived under more than one delivery id
    lost: list[Sent] = field(default_factory=list)  # answered 2xx, never delivered: must stay empty
    failed_but_delivered: int = 0  # the edge stored it but its answer never reached the sender
    unknown: int = 0  # arrivals that match no webhook we sent

    def lines(self) -> str:
        failures = ", ".join(f"{'no answer' if s == 0 else s}: {c}" for s, c in sorted(self.failures.items()))
        return (f"sent {self.sent}, answered 2xx {self.answered_2xx}, answered non-2xx/failed {self.failed}"
                f"{f' ({failures})' if failures else ''}\n"
                f"delivered (unique) {self.delivered_unique}, delivery-id duplicates {self.delivery_id_duplicates}, "
                f"event-id duplicates {self.event_id_duplicates}, non-2xx but delivered {self.failed_but_delivered}\n"
                f"2xx but never delivered {len(self.lost)}, unknown arrivals {self.unknown}")


def tally(results: Iterable[Sent], deliveries: Iterable[Delivery]) -> Tally:
    results = list(results)
    deliveries = list(deliveries)
    t = Tally(sent=len(results))
    by_delivery: dict[str, list[Delivery]] = {}
    ids_by_event: dict[str, set] = {}
    events_seen: set[str] = set()
    ours = {s.event_id for s in results}
    for d in deliveries:
        if d.event_id not in ours:
            t.unknown += 1
            continue
        events_seen.add(d.event_id)
        key = d.delivery_id or f"live:{d.event_id}"
        by_delivery.setdefault(key, []).append(d)
        ids_by_event.setdefault(d.event_id, set()).add(key)
    t.delivered_unique = len(events_seen)
    for key, arrivals in by_delivery.items():
        if len(arrivals) > 1:
            t.delivery_id_duplicates += len(arrivals) - 1
            t.redelivered_ids.append(key)
    t.event_id_duplicates = sum(1 for keys in ids_by_event.values() if len(keys) > 1)
    for s in results:
        if s.ok:
            t.answered_2xx += 1
            reached = s.delivery_id in by_delivery if s.delivery_id else s.event_id in events_seen
            if not reached:
                t.lost.append(s)
        else:
            t.failed += 1
            t.failures[s.status] += 1
            if s.event_id in events_seen:
                t.failed_but_delivered += 1
    return t
