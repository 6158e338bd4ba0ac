"""Durable delivery, the edge's public side (docs/delivery.md): a tunnel bound with `--buffer`
keeps answering while its agent or app is away, with a durable "queued" answer, a 503 when it
cannot store, dedupe of a provider's retries, handshakes only live, and the size cap.

Real processes: `relay edge` + `relay http ... --buffer` with an authtoken (which owns the name,
so the edge keeps its policy), the recording app, signed TikTok webhooks (Python's hmac, as
test_verify_tunnel.py), sent over keep-alive connections to time the edge's answer."""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import os
import time

import pytest

from relay_harness import LOCALHOST, Tunnel, pattern_bytes, wait_until

SANITIZED = bool(os.environ.get("RELAY_SANITIZED"))
TIKTOK_SECRET = "e2e-tiktok-client-secret"
BUFFER_FLAG = pytest.mark.needs_flag("http", "--buffer")


def tiktok_webhook(n: int) -> tuple[bytes, dict[str, str]]:
    body = json.dumps({"event": "video.publish.completed", "n": n, "video_id": f"v{n:04d}"}).encode()
    ts = int(time.time())
    sig = hmac.new(TIKTOK_SECRET.encode(), f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
    return body, {"TikTok-Signature": f"t={ts},s={sig}", "Content-Type": "application/json"}


class Public:
    """One keep-alive connection to the edge's public port, addressed to a tunnel by Host."""

    def __init__(self, tunnel: Tunnel, timeout: float = 30):
        self.host = f"{tunnel.host}:{tunnel.port}"
        self.conn = http.client.HTTPConnection(LOCALHOST, tunnel.port, timeout=timeout)

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes, float]:
        h = {"Host": self.host, **(headers or {})}
        started = time.perf_counter()
        self.conn.request(method, path, body=body, headers=h)
        r = self.conn.getresponse()
        data = r.read()
        elapsed = time.perf_counter() - started
        return r.status, {k.lower(): v for k, v in r.getheaders()}, data, elapsed

    def close(self) -> None:
        self.conn.close()


def buffered_agent(relay, edge, app, name: str, *flags: str):
    return relay.agent(app, edge, url=name, extra=["--buffer", *flags])


def kill_agent(agent, edge) -> None:
    """SIGKILL (no goodbye): the edge sees the connection die and keeps the name for the resume
    grace, during which main answered 502 RELAY_AGENT_SESSION_LOST."""
    agent.kill()
    edge.wait_for_output(r"agent disconnected", timeout=15)


def assert_queued(status, headers, body, expected_status=200, duplicate=False):
    assert status == expected_status, (status, headers, body)
    assert headers.get("content-type") == "application/json", headers
    doc = json.loads(body)
    assert doc["queued"] is True, doc
    assert doc["delivery_id"] and headers.get("relay-delivery-id") == doc["delivery_id"], (headers, doc)
    assert doc.get("duplicate", False) is duplicate, doc
    assert "relay-error-code" not in headers, headers
    return doc["delivery_id"]


@BUFFER_FLAG
def test_agent_killed_50_signed_webhooks_get_queued_answers_fast(relay, edge, app):
    agent = buffered_agent(relay, edge, app, "hooks")
    tunnel = agent.tunnel
    kill_agent(agent, edge)
    public = Public(tunnel)
    ids, latencies = [], []
    try:
        for n in range(50):
            body, headers = tiktok_webhook(n)
            status, h, data, elapsed = public.request("POST", "/webhooks/tiktok", body, headers)
            ids.append(assert_queued(status, h, data))
            latencies.append(elapsed)
    finally:
        public.close()
    assert len(set(ids)) == 50, ids
    latencies.sort()
    p50, p99 = latencies[len(latencies) // 2], latencies[int(len(latencies) * 0.99) - 1]
    print(f"queued answers: p50 {p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms, max {latencies[-1] * 1000:.1f} ms")
    assert p99 < (0.25 if SANITIZED else 0.05), f"p99 {p99 * 1000:.1f} ms"
    records = [r for r in edge.log_records() if r.get("msg") == "request queued"]
    assert len(records) == 50 and {r.get("reason") for r in records} == {"agent offline"}, records[:3]
    assert {r.get("delivery_id") for r in records} == set(ids)


@BUFFER_FLAG
def test_offline_app_refused_is_queued(relay, edge, make_app):
    app = make_app()
    port = app.port
    app.close()  # nothing listens there now: the agent answers 502 RELAY_UPSTREAM_REFUSED
    agent = relay.agent(f"{LOCALHOST}:{port}", edge, url="refused", extra=["--buffer"])
    public = Public(agent.tunnel)
    try:
        body, headers = tiktok_webhook(1)
        status, h, data, _ = public.request("POST", "/hook", body, headers)
    finally:
        public.close()
    assert_queued(status, h, data)
    records = [r for r in edge.log_records() if r.get("msg") == "request queued"]
    assert records and records[-1].get("reason") == "app unavailable", records


@BUFFER_FLAG
def test_offline_passes_the_apps_own_answers_and_queues_its_503(relay, edge, app):
    agent = buffered_agent(relay, edge, app, "passes")
    public = Public(agent.tunnel)
    try:
        status, h, data, _ = public.request("POST", "/status/404", b"{}", {"Content-Type": "application/json"})
        assert status == 404 and "relay-delivery-id" not in h, (status, h, data)
        status, h, data, _ = public.request("POST", "/json/ok", b'{"a":1}', {"Content-Type": "application/json"})
        assert status == 200 and json.loads(data)["path"] == "/json/ok", (status, data)
        assert "relay-delivery-id" not in h
        # The app's own 503 means it cannot take the request now: queued instead.
        status, h, data, _ = public.request("POST", "/status/503", b"{}", {"Content-Type": "application/json"})
    finally:
        public.close()
    assert_queued(status, h, data)


@BUFFER_FLAG
def test_always_answers_at_once_with_a_live_agent(relay, edge, app):
    agent = buffered_agent(relay, edge, app, "always", "always", "--buffer-status", "202")
    public = Public(agent.tunnel)
    try:
        body, headers = tiktok_webhook(7)
        status, h, data, elapsed = public.request("POST", "/delay/3", body, headers)
    finally:
        public.close()
    assert_queued(status, h, data, expected_status=202)
    assert elapsed < 2, f"answered after {elapsed:.2f} s: it waited for the app"
    records = [r for r in edge.log_records() if r.get("msg") == "request queued"]
    assert records and records[-1].get("reason") == "always", records


@BUFFER_FLAG
def test_a_providers_retry_of_a_queued_event_is_answered_duplicate(relay, edge, app):
    agent = buffered_agent(relay, edge, app, "dedupe")
    tunnel = agent.tunnel
    kill_agent(agent, edge)
    public = Public(tunnel)
    try:
        headers = {"Content-Type": "application/json", "TokPortal-Event-Id": "evt_e2e_dup_1"}
        first = public.request("POST", "/hook", b'{"id":1}', headers)
        again = public.request("POST", "/hook", b'{"id":1}', headers)
        other = public.request("POST", "/hook", b'{"id":2}', {**headers, "TokPortal-Event-Id": "evt_e2e_dup_2"})
    finally:
        public.close()
    first_id = assert_queued(*first[:3])
    assert assert_queued(*again[:3], duplicate=True) == first_id
    assert assert_queued(*other[:3]) != first_id
    queued = [r for r in edge.log_records() if r.get("msg") == "request queued"]
    assert len(queued) == 2, queued  # the duplicate is not stored


@BUFFER_FLAG
def test_a_handshake_while_the_agent_is_away_is_503_with_retry_after(relay, edge, app):
    agent = buffered_agent(relay, edge, app, "handshake")
    tunnel = agent.tunnel
    kill_agent(agent, edge)
    public = Public(tunnel)
    try:
        status, h, data, _ = public.request("GET", "/hook?challenge=abc123", None, {"Accept": "application/json"})
        zoom = json.dumps({"event": "endpoint.url_validation", "payload": {"plainToken": "t"}}).encode()
        zstatus, zh, _, _ = public.request("POST", "/hook", zoom, {"Content-Type": "application/json"})
    finally:
        public.close()
    assert status == 503, (status, h, data)
    assert h.get("relay-error-code") == "RELAY_HANDSHAKE_UNAVAILABLE", h
    assert h.get("retry-after") == "30", h
    assert "only the agent can answer" in json.loads(data)["error"]["message"]
    assert zstatus == 503 and zh.get("relay-error-code") == "RELAY_HANDSHAKE_UNAVAILABLE", zh
    assert not [r for r in edge.log_records() if r.get("msg") == "request queued"]


@BUFFER_FLAG
def test_a_handshake_with_the_agent_here_goes_live_even_in_always_mode(relay, edge, app):
    agent = buffered_agent(relay, edge, app, "livehs", "always")
    public = Public(agent.tunnel)
    try:
        status, h, data, _ = public.request("GET", "/echo?challenge=abc123")
    finally:
        public.close()
    assert status == 200 and "relay-delivery-id" not in h, (status, h, data)
    assert app.wait_for_request("/echo").header("Relay-Delivery-Id") is None


@BUFFER_FLAG
@pytest.mark.parametrize("buffered", [True, False])
def test_forged_delivery_headers_from_the_public_side_never_reach_the_app(relay, edge, app, buffered):
    agent = relay.agent(app, edge, url="forged", extra=["--buffer"] if buffered else [])
    public = Public(agent.tunnel)
    forged = {"Relay-Received-At": "2000-01-01T00:00:00.000Z", "Relay-Delivery-Id": "forged-1",
              "Relay-Delivery-Attempt": "9", "Content-Type": "application/json"}
    try:
        status, h, data, _ = public.request("POST", "/json/forged", b"{}", forged)
    finally:
        public.close()
    assert status == 200, (status, data)
    seen = app.wait_for_request("/json/forged")
    for name in ("Relay-Received-At", "Relay-Delivery-Id", "Relay-Delivery-Attempt"):
        assert seen.header(name) is None, seen.headers


@BUFFER_FLAG
def test_a_body_over_buffer_max_body_while_away_is_413(relay, app):
    edge = relay.edge(extra=["--buffer-max-body", "4096"])
    agent = buffered_agent(relay, edge, app, "big")
    tunnel = agent.tunnel
    kill_agent(agent, edge)
    public = Public(tunnel)
    try:
        fits = public.request("POST", "/hook", pattern_bytes(4096), {"Content-Type": "application/octet-stream"})
    finally:
        public.close()
    assert_queued(*fits[:3])
    public = Public(tunnel)
    try:
        status, h, data, _ = public.request("POST", "/hook", pattern_bytes(4097),
                                            {"Content-Type": "application/octet-stream"})
    finally:
        public.close()
    assert status == 413 and h.get("relay-error-code") == "RELAY_BODY_TOO_LARGE", (status, h, data)
    assert b"can queue" in data, data
    # Chunked (no announced length): stopped at the cap as well.
    r = tunnel.curl("/hook", "-X", "POST", "-H", "Transfer-Encoding: chunked", "--data-binary", "@-",
                    input=pattern_bytes(10000))
    assert r.status == 413 and r.header("relay-error-code") == "RELAY_BODY_TOO_LARGE", r


@BUFFER_FLAG
def test_a_full_queue_is_503_queue_full_never_a_queued_answer(relay, edge, app):
    agent = buffered_agent(relay, edge, app, "full", "--buffer-max", "3")
    tunnel = agent.tunnel
    kill_agent(agent, edge)
    public = Public(tunnel)
    try:
        answers = [public.request("POST", "/hook", f'{{"n":{n}}}'.encode(), {"Content-Type": "application/json"})
                   for n in range(5)]
    finally:
        public.close()
    for a in answers[:3]:
        assert_queued(*a[:3])
    for status, h, data, _ in answers[3:]:
        assert status == 503, (status, h, data)
        assert h.get("relay-error-code") == "RELAY_QUEUE_FULL", h
        assert h.get("retry-after") == "30", h
        assert "relay-delivery-id" not in h
    assert any(r.get("msg") == "request not queued" and r.get("code") == "RELAY_QUEUE_FULL"
               for r in edge.log_records())


@BUFFER_FLAG
def test_the_policy_outlives_the_agent_past_the_resume_grace(relay, app):
    edge = relay.edge(extra=["--resume-grace", "1"])
    agent = buffered_agent(relay, edge, app, "grace")
    tunnel = agent.tunnel
    kill_agent(agent, edge)
    time.sleep(1.5)  # past the grace: main answered 404 RELAY_TUNNEL_NOT_FOUND
    public = Public(tunnel)
    try:
        answer = public.request("POST", "/hook", b"{}", {"Content-Type": "application/json"})
    finally:
        public.close()
    assert_queued(*answer[:3])


@BUFFER_FLAG
def test_the_policy_survives_an_edge_restart(relay, app):
    first = relay.edge()
    agent = buffered_agent(relay, first, app, "restart")
    tunnel = agent.tunnel
    agent.kill()
    first.stop()
    edge = relay.edge(port=first.port, agent_port=first.agent_port, state_dir=first.state_dir)
    public = Public(tunnel)
    try:
        answer = public.request("POST", "/hook", b"{}", {"Content-Type": "application/json"})
    finally:
        public.close()
    assert_queued(*answer[:3])
    wait_until(lambda: any(r.get("msg") == "request queued" for r in edge.log_records()), 5, "the queued log line")


@BUFFER_FLAG
def test_unbuffered_tunnels_are_unchanged(relay, edge, app):
    agent = relay.agent(app, edge, url="plain")
    tunnel = agent.tunnel
    kill_agent(agent, edge)
    r = tunnel.curl("/hook", "-X", "POST", "--data-binary", "{}")
    assert r.status == 502 and r.header("relay-error-code") == "RELAY_AGENT_SESSION_LOST", r


@pytest.mark.needs_flag("edge", "--store-max-size")
@BUFFER_FLAG
def test_a_store_at_its_size_limit_answers_503_never_queued(relay, app):
    """The disk-full case, made deterministic: a store capped at 1 MiB fills up with 64 KiB
    webhooks; from then on every request is 503 RELAY_QUEUE_FULL with Retry-After (the provider
    retries later), and each "queued" answer given before is a delivery the app gets."""
    edge = relay.edge(extra=["--store-max-size", "1MiB"])
    agent = buffered_agent(relay, edge, app, "disk")
    tunnel = agent.tunnel
    kill_agent(agent, edge)
    queued, refused = [], []
    public = Public(tunnel)
    try:
        for n in range(40):  # 40 x 64 KiB = 2.5 MiB: well over the cap
            status, h, data, _ = public.request("POST", f"/disk/{n}", pattern_bytes(64 * 1024, seed=n),
                                                {"Content-Type": "application/octet-stream"})
            if status == 503:
                assert h.get("relay-error-code") == "RELAY_QUEUE_FULL" and h.get("retry-after") == "30", (h, data)
                assert "relay-delivery-id" not in h
                refused.append(n)
            else:
                queued.append(assert_queued(status, h, data))
    finally:
        public.close()
    assert queued and refused, (len(queued), refused)
    assert len(queued) < 16, "the cap held: at most 1 MiB of bodies"
    # Everything that was answered "queued" reaches the app once the agent is back.
    relay.agent(app, edge, url="disk", extra=["--buffer"])
    wait_until(lambda: len(app.requests_to("/disk/")) >= len(queued), 60, f"{len(queued)} deliveries")
    got = {r.header("Relay-Delivery-Id") for r in app.requests_to("/disk/")}
    assert got == set(queued)
