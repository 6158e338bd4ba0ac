"""Durable delivery, the agent's side (docs/delivery.md): `relay http --buffer...` flags and
relay.yml keys, delivery streams at the app (headers, verification at received-at, re-sign),
the inspector's /api/deliveries and `relay queue`."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from inspector_client import WEB_RX, Api
from relay_harness import SOURCE_DIR, free_port, relay_bin, wait_until
# The scripted app, public requests and TikTok signing of the draining side's tests.
from test_delivery_drain import (TIKTOK_SECRET, DeliveryApp, apps, log_lines, post,  # noqa: F401
                                 queued_id, tiktok_body, tiktok_headers)

BUFFER = pytest.mark.needs_flag("http", "--buffer")
TIKTOK_TOLERANCE = 180  # the tiktok provider's default, in seconds


def run(*args: str, home: Path, timeout: float = 30) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.pop("RELAY_CONFIG", None)
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / "config"), XDG_STATE_HOME=str(home / "state"))
    return subprocess.run([relay_bin(), *args], capture_output=True, text=True, timeout=timeout, env=env)


# --------------------------------------------------------------------------------------------
# Flags and keys


@pytest.mark.needs_flag("http", "--buffer")
@pytest.mark.parametrize(
    "flags, message",
    [
        (["--buffer", "sometimes"], "--buffer: expected offline, always or off, got 'sometimes'"),
        (["--buffer", "--buffer-ttl", "9000h"], "--buffer-ttl: must be between 1s and 720h, got '9000h'"),
        (["--buffer", "--buffer-status", "302"], "--buffer-status: must be a 2xx status (200-299), got '302'"),
        (["--buffer", "--buffer-concurrency", "0"], "--buffer-concurrency: must be between 1 and 64"),
        (["--buffer", "--buffer-max", "many"], "--buffer-max: expected a whole number, got 'many'"),
        (["--buffer-ttl", "1h"], "--buffer-ttl: only means something with --buffer"),
        (["--buffer", "--buffer-resign"], "--buffer-resign: re-signing happens after verification"),
    ],
)
def test_a_bad_buffer_flag_is_a_usage_error_naming_the_flag(tmp_path, flags, message):
    r = run("http", "3000", *flags, "--inspect=false", home=tmp_path, timeout=15)
    assert r.returncode == 2, r
    assert message in r.stderr, r.stderr
    assert "Forwarding" not in r.stdout


@pytest.mark.needs_flag("http", "--buffer")
def test_http_help_describes_the_buffer_flags(tmp_path):
    r = run("http", "--help", home=tmp_path)
    for flag in ("--buffer [offline|always|off]", "--buffer-ttl DURATION=72h", "--buffer-max N=100000",
                 "--buffer-status STATUS=200", "--buffer-concurrency N=4", "--buffer-ordered",
                 "--buffer-resign", "--buffer-dedupe-window DURATION=24h"):
        assert flag in r.stdout, r.stdout


def test_config_check_reports_a_bad_buffer_key_at_its_line(tmp_path):
    cfg = tmp_path / "relay.yml"
    cfg.write_text("tunnels:\n  hooks:\n    addr: 3000\n    buffer: offline\n    buffer_status: 302\n"
                   "    buffer_ttl: forever\n")
    cfg.chmod(0o600)
    r = run("config", "check", "--config", str(cfg), home=tmp_path)
    assert r.returncode == 1, r
    out = r.stdout + r.stderr
    assert f"{cfg}:5:20: error: tunnels.hooks.buffer_status: must be a 2xx status (200-299), got '302'" in out, out
    assert f"{cfg}:6:17: error: tunnels.hooks.buffer_ttl: expected a duration" in out, out


def test_config_check_shows_a_buffered_tunnel(tmp_path):
    cfg = tmp_path / "relay.yml"
    cfg.write_text("tunnels:\n  hooks:\n    addr: 3000\n    buffer: always\n    buffer_ttl: 2h\n")
    cfg.chmod(0o600)
    r = run("config", "check", "--config", str(cfg), home=tmp_path)
    assert r.returncode == 0, r
    assert "hooks: http → 3000, buffer always" in r.stdout, r.stdout


def test_start_refuses_a_bad_buffer_key(tmp_path):
    cfg = tmp_path / "relay.yml"
    cfg.write_text("inspect_addr: false\ntunnels:\n  hooks:\n    addr: 3000\n    buffer: sometimes\n")
    cfg.chmod(0o600)
    r = run("start", "--all", "--config", str(cfg), home=tmp_path, timeout=15)
    assert r.returncode != 0, r
    assert f"{cfg}:5:13: error: tunnels.hooks.buffer: expected offline, always or off, got 'sometimes'" in (
        r.stdout + r.stderr), r


# --------------------------------------------------------------------------------------------
# Delivery streams at the agent: headers, verification at received-at, dead letters, re-sign


def buffered_agent(relay, edge, app: DeliveryApp, tmp_path: Path, *buffer: str, name: str = "hook",
                   inspect: bool = False, extra=()):
    """`relay http APP --buffer ... --verify-webhook tiktok` (optionally with its inspector)."""
    args = ["--buffer", *buffer, "--verify-webhook", "tiktok", "--verify-webhook-secret", TIKTOK_SECRET, *extra]
    if inspect:
        args += ["--inspect", "127.0.0.1:0", "--state-dir", str(tmp_path / f"state-{name}")]
    agent = relay.agent(app.upstream, edge, url=name, inspect=inspect, extra=args)
    api = Api(agent.wait_for_output(WEB_RX)[1]) if inspect else None
    return agent, api


def signed_at(body: bytes, ts: int, secret: str = TIKTOK_SECRET) -> dict[str, str]:
    mac = hmac.new(secret.encode(), f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
    return {"TikTok-Signature": f"t={ts},s={mac}"}


def tiktok_valid(signature: str, body: bytes) -> int:
    """The timestamp of a TikTok signature that is valid for `body`, else an AssertionError."""
    m = re.fullmatch(r"t=(\d+),s=([0-9a-f]+)", signature or "")
    assert m, signature
    expected = hmac.new(TIKTOK_SECRET.encode(), f"{m[1]}.".encode() + body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(expected, m[2]), "the signature does not match the body"
    return int(m[1])


def queue_cli(api: Api, *args: str, timeout: float = 30) -> subprocess.CompletedProcess:
    addr = api.base.removeprefix("http://")
    return subprocess.run([relay_bin(), "queue", *args, "--inspect-addr", addr], capture_output=True,
                          text=True, timeout=timeout)


def dead_deliveries(api: Api) -> list[dict]:
    status, body = api.get("/api/deliveries?state=dead")
    assert status == 200, body
    return body["deliveries"]


@BUFFER
def test_a_webhook_older_than_the_tolerance_still_verifies_at_its_received_at(relay, edge, apps, tmp_path):
    """Signed 177 s before it reached the edge (TikTok allows 180 s) and delivered ~6 s later: the
    agent judges it at relay-received-at, so it verifies; judged at delivery time it would be
    rejected as stale (403, dead-lettered)."""
    app = apps()
    agent, _ = buffered_agent(relay, edge, app, tmp_path)
    agent.kill()
    body = tiktok_body(7)
    headers = signed_at(body, int(time.time()) - (TIKTOK_TOLERANCE - 3))
    delivery_id = queued_id(post(edge, "hook", "/tiktok/old", body, headers))
    time.sleep(6)  # past the tolerance by now
    agent, _ = buffered_agent(relay, edge, app, tmp_path)
    got = app.wait_for("/tiktok/old", 1, timeout=30)[0]
    assert got.body == body
    assert got.header("TikTok-Signature") == headers["TikTok-Signature"]  # no buffer_resign: as sent
    assert got.header("Relay-Delivery-Id") == delivery_id
    assert got.header("Relay-Delivery-Attempt") == "1"
    assert got.header("Relay-Received-At"), got.headers
    assert not log_lines(agent, "webhook signature rejected"), agent.tail()
    wait_until(lambda: [r for r in log_lines(edge, "delivered") if r.get("delivery") == delivery_id], 10,
               "the edge's 'delivered' line")


@BUFFER
def test_buffer_resign_gives_the_app_a_fresh_signature(relay, edge, apps, tmp_path):
    app = apps()
    agent, _ = buffered_agent(relay, edge, app, tmp_path, extra=["--buffer-resign"])
    agent.kill()
    body = tiktok_body(11)
    sent_ts = int(time.time()) - (TIKTOK_TOLERANCE - 3)
    headers = signed_at(body, sent_ts)
    delivery_id = queued_id(post(edge, "hook", "/tiktok/resign", body, headers))
    time.sleep(5)
    before_delivery = int(time.time())
    buffered_agent(relay, edge, app, tmp_path, extra=["--buffer-resign"])
    got = app.wait_for("/tiktok/resign", 1, timeout=30)[0]
    assert got.header("Relay-Delivery-Id") == delivery_id
    assert got.body == body
    signatures = [v for k, v in got.headers if k.lower() == "tiktok-signature"]
    assert len(signatures) == 1, got.headers  # replaced, not added
    ts = tiktok_valid(signatures[0], body)
    assert ts >= before_delivery - 1, (ts, before_delivery)  # signed at delivery, not at receipt
    assert signatures[0] != headers["TikTok-Signature"]


@BUFFER
def test_a_badly_signed_webhook_is_dead_lettered_with_the_verdict_and_managed_from_the_cli(
        relay, edge, apps, tmp_path):
    app = apps()
    agent, api = buffered_agent(relay, edge, app, tmp_path, "always", inspect=True)
    body = tiktok_body(3)
    bad = queued_id(post(edge, "hook", "/tiktok/bad", body, signed_at(body, int(time.time()), "wrong-secret")))
    good_body = tiktok_body(4)
    good = queued_id(post(edge, "hook", "/tiktok/good", good_body, tiktok_headers(good_body)))

    dead = wait_until(lambda: dead_deliveries(api), 20, "a dead-lettered delivery in /api/deliveries?state=dead")
    assert [d["id"] for d in dead] == [bad]
    d = dead[0]
    assert d["tunnel"] == "hook" and d["state"] == "dead" and d["attempts"] == 1
    assert d["method"] == "POST" and d["path"] == "/tiktok/bad"
    assert d["last_status"] == 403, d
    assert "RELAY_WEBHOOK_SIGNATURE_INVALID" in d["last_error"], d
    assert "signature mismatch" in d["last_error"], d  # the verifier's reason travels with it
    assert d["received_at"].endswith("Z") and d["body_bytes"] == len(body)
    # Never reached the app; the good one did, with its delivery headers.
    app.wait_for("/tiktok/good", 1, timeout=20)
    assert not app.requests("/tiktok/bad")
    # Recorded once the app's answer is back through the agent, a moment after the app has it.
    listed = wait_until(lambda: api.get("/api/deliveries?state=delivered")[1]["deliveries"], 10,
                        "the delivered delivery in /api/deliveries?state=delivered")
    assert [x["id"] for x in listed] == [good], listed
    # The capture shows which delivery and attempt the agent rejected.
    capture = wait_until(lambda: [r for r in api.requests() if r["relay"].get("delivery_id") == bad], 10,
                         "the capture of the rejected delivery")[0]
    assert capture["relay"]["delivery_attempt"] == 1 and capture["response"]["status_code"] == 403

    table = queue_cli(api, "list", "--state", "dead")
    assert table.returncode == 0, table
    lines = table.stdout.splitlines()
    assert lines[0].split()[:4] == ["ID", "TUNNEL", "STATE", "ATTEMPTS"], table.stdout
    assert len(lines) == 2 and lines[1].startswith(bad) and " dead " in lines[1], table.stdout
    assert "RELAY_WEBHOOK_SIGNATURE_INVALID" in lines[1], table.stdout
    as_json = queue_cli(api, "list", "--json")
    assert as_json.returncode == 0, as_json
    assert {x["id"]: x["state"] for x in json.loads(as_json.stdout)} == {bad: "dead", good: "delivered"}

    # retry: delivered again (the edge resets its attempts), rejected again, dead again.
    retried = queue_cli(api, "retry", bad)
    assert retried.returncode == 0 and f"delivery {bad} is queued for delivery now" in retried.stdout, retried
    wait_until(lambda: len([r for r in api.requests() if r["relay"].get("delivery_id") == bad
                            and r["relay"]["complete"]]) == 2, 20, "a second capture of the retried delivery")
    wait_until(lambda: [x["id"] for x in dead_deliveries(api)] == [bad], 20, "the retried delivery dead again")
    assert not app.requests("/tiktok/bad")

    # drop: gone from the edge's queue; a second drop is a clear 404.
    dropped = queue_cli(api, "drop", bad)
    assert dropped.returncode == 0 and f"delivery {bad} dropped" in dropped.stdout, dropped
    assert dead_deliveries(api) == []
    again = queue_cli(api, "drop", bad)
    assert again.returncode == 1 and f"no delivery '{bad}'" in again.stderr, again
    status, body = api.call("DELETE", f"/api/deliveries/{bad}")
    assert status == 404 and body["error_code"] == "ERR_RELAY_DELIVERY_NOT_FOUND", body

    # purge: the delivered one goes too.
    purged = queue_cli(api, "purge", "--tunnel", "hook")
    assert purged.returncode == 0 and "purged 1 delivery of tunnel hook" in purged.stdout, purged
    assert queue_cli(api, "list").stdout.strip() == "no deliveries"


@BUFFER
def test_the_queue_api_keeps_the_inspectors_guards_and_validates_its_input(relay, edge, apps, tmp_path):
    app = apps()
    _, api = buffered_agent(relay, edge, app, tmp_path, inspect=True)
    status, body = api.call("DELETE", "/api/deliveries?tunnel=hook", headers={"Origin": "http://evil.example"})
    assert status == 403 and body["error_code"] == "ERR_RELAY_ORIGIN_NOT_ALLOWED", body
    status, body = api.call("POST", "/api/deliveries/x/retry", headers={"Origin": "http://evil.example"})
    assert status == 403, body
    status, body = api.call("GET", "/api/deliveries", headers={"Host": "rebind.example"})
    assert status == 403 and body["error_code"] == "ERR_RELAY_HOST_NOT_ALLOWED", body
    assert api.get("/api/deliveries?state=lost")[0] == 400
    assert api.get("/api/deliveries?limit=0")[0] == 400
    assert api.call("DELETE", "/api/deliveries")[0] == 400  # purge needs a tunnel
    status, body = api.call("POST", "/api/deliveries/nope/retry")
    assert status == 404 and "nope" in body["msg"], body
    status, body = api.get("/api/deliveries?tunnel=hook")
    assert status == 200 and body["deliveries"] == [], body


def test_the_queue_api_without_a_session_is_503_and_relay_queue_says_so(relay, tmp_path):
    closed = free_port()
    agent = relay.agent("127.0.0.1:9", None, wait=False, inspect=True, edge_addr=f"127.0.0.1:{closed}",
                        extra=["--inspect", "127.0.0.1:0", "--state-dir", str(tmp_path / "state")])
    api = Api(agent.wait_for_output(WEB_RX)[1])
    status, body = api.get("/api/deliveries")
    assert status == 503 and "no session with the edge" in body["msg"], body
    r = queue_cli(api, "list")
    assert r.returncode == 1 and "no session with the edge" in r.stderr, r


def test_relay_queue_without_an_agent_says_what_to_do(tmp_path):
    port = free_port()
    r = subprocess.run([relay_bin(), "queue", "list", "--inspect-addr", f"127.0.0.1:{port}"], capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 1, r
    assert f"no agent's inspector answered at 127.0.0.1:{port}" in r.stderr, r.stderr
    assert "is `relay http` or `relay start` running?" in r.stderr


# --------------------------------------------------------------------------------------------
# The inspector UI's Deliveries view in headless chromium


BROWSER_DIR = Path(__file__).parent / "browser"


@BUFFER
def test_ui_deliveries_view_shows_a_dead_lettered_webhook_and_drops_it(relay, edge, apps, tmp_path):
    if not os.access("/usr/bin/chromium", os.X_OK) or not shutil.which("node") or \
            not (BROWSER_DIR / "node_modules" / "playwright-core").is_dir():
        pytest.skip("needs /usr/bin/chromium, node and playwright-core (npm ci in tests/e2e/browser)")
    app = apps()
    _, api = buffered_agent(relay, edge, app, tmp_path, "always", inspect=True)
    body = tiktok_body(5)
    bad = queued_id(post(edge, "hook", "/tiktok/ui", body, signed_at(body, int(time.time()), "wrong-secret")))
    wait_until(lambda: dead_deliveries(api), 20, "the dead-lettered delivery")
    shots = SOURCE_DIR / "test-output" / "deliveries-browser"
    run = subprocess.run(["node", str(BROWSER_DIR / "deliveries_check.mjs"), "--inspector", api.base, "--out",
                          str(shots), "--delivery", bad, "--error-text", "RELAY_WEBHOOK_SIGNATURE_INVALID"],
                         capture_output=True, text=True, timeout=120)
    result = json.loads(run.stdout.strip().splitlines()[-1]) if run.stdout.strip() else {}
    assert run.returncode == 0 and result.get("ok"), f"{result or run.stdout}\n{run.stderr}\nscreenshots: {shots}"
    assert dead_deliveries(api) == []
