"""Webhook verification through a real tunnel: edge + agent (`relay http --verify-webhook ...`),
the recording app behind it, real curl in front. Signatures are computed here with Python's hmac,
independently of relay, following each provider's documented scheme (docs/providers.md)."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import subprocess
import time

import pytest

from relay_harness import RelayProcess, Tunnel, agent_config_yaml, relay_bin, wait_until, write_pattern_file

TIKTOK_SECRET = "e2e-tiktok-client-secret"
ZOOM_SECRET = "e2e-zoom-secret-token"
TOKPORTAL_SECRET = "whsec_e2eTokPortalSigningSecret"  # used verbatim, prefix included
TWITTER_SECRET = "e2e-twitter-consumer-secret"

# Bytes a careless proxy would mangle: UTF-8, CRLF, a NUL, trailing whitespace, no final newline.
BODY = '{"event":"video.publish.completed","caption":"w\u00f6rld \U0001F600",\r\n"n":1}\x00  '.encode()


def mac(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def tiktok_headers(body: bytes, ts: int, secret: str = TIKTOK_SECRET) -> dict[str, str]:
    return {"TikTok-Signature": f"t={ts},s={mac(secret, f'{ts}.'.encode() + body)}"}


def zoom_headers(body: bytes, ts: int, secret: str = ZOOM_SECRET) -> dict[str, str]:
    return {"x-zm-request-timestamp": str(ts), "x-zm-signature": "v0=" + mac(secret, f"v0:{ts}:".encode() + body)}


def tokportal_headers(body: bytes, ts: int, secret: str = TOKPORTAL_SECRET,
                      event_id: str = "evt_e2e_0001") -> dict[str, str]:
    return {"TokPortal-Signature": f"t={ts},v1={mac(secret, f'{ts}.'.encode() + body)}",
            "TokPortal-Event-Id": event_id}


PROVIDERS = {
    # name: (secret, signer, signature header, tolerance in s, a header value that is not the format)
    "tiktok": (TIKTOK_SECRET, tiktok_headers, "TikTok-Signature", 180, "s=only-a-signature"),
    "zoom": (ZOOM_SECRET, zoom_headers, "x-zm-signature", 180, "v1=not-the-v0-scheme"),
    "tokportal": (TOKPORTAL_SECRET, tokportal_headers, "TokPortal-Signature", 300, "garbage-without-pairs"),
}


def post(tunnel: Tunnel, path: str, body: bytes, headers: dict[str, str], tmp_path, *extra: str):
    body_file = tmp_path / f"body-{time.monotonic_ns()}"
    body_file.write_bytes(body)
    args = ["-X", "POST", "--data-binary", f"@{body_file}", "-H", "Content-Type: application/json"]
    for k, v in headers.items():
        args += ["-H", f"{k}: {v}"]
    return tunnel.curl(path, *args, *extra)


def verified_agent(relay, edge, app, provider: str, secret: str | None = None, extra=(), **kw):
    secret = PROVIDERS[provider][0] if secret is None else secret
    return relay.agent(app, edge, extra=["--verify-webhook", provider, "--verify-webhook-secret", secret, *extra],
                       **kw)


def assert_rejected(r, provider: str, reason_rx: str) -> str:
    assert r.status == 403, r
    assert r.header("Relay-Error-Code") == "RELAY_WEBHOOK_SIGNATURE_INVALID", r
    assert (r.header("Content-Type") or "").startswith("application/json"), r
    error = r.json()["error"]
    assert error["code"] == "RELAY_WEBHOOK_SIGNATURE_INVALID"
    assert error["provider"] == provider
    assert re.search(reason_rx, error["reason"]), error["reason"]
    return error["reason"]


# --------------------------------------------------------------------------------------------
# 1. valid requests arrive byte for byte; every kind of bad one gets a distinct 403


@pytest.mark.parametrize("provider", sorted(PROVIDERS))
def test_valid_signature_reaches_the_app_byte_for_byte(relay, edge, app, provider, tmp_path):
    agent = verified_agent(relay, edge, app, provider)
    signer = PROVIDERS[provider][1]
    headers = signer(BODY, int(time.time()))
    r = post(agent.tunnel, f"/echo/{provider}", BODY, headers, tmp_path)
    assert r.status == 200, r
    assert r.body == BODY
    seen = app.wait_for_request(f"/echo/{provider}")
    assert seen.body == BODY
    for name, value in headers.items():
        assert seen.header(name) == value, (name, seen.headers)


@pytest.mark.parametrize("provider", sorted(PROVIDERS))
def test_bad_requests_get_403_with_distinct_reasons_and_never_reach_the_app(relay, edge, app, provider,
                                                                           tmp_path):
    secret, signer, header, tolerance, malformed = PROVIDERS[provider]
    agent = verified_agent(relay, edge, app, provider)
    now = int(time.time())
    good = signer(BODY, now)
    cases = {
        "tampered": (BODY.replace(b"completed", b"c0mpleted"), good, r"^signature mismatch"),
        "wrong-secret": (BODY, signer(BODY, now, secret + "x"), r"^signature mismatch"),
        "missing": (BODY, {k: v for k, v in good.items() if k.lower() != header.lower()},
                    rf"^missing signature header {re.escape(header)}$"),
        "malformed": (BODY, {**good, header: malformed}, r"^malformed "),
        "stale": (BODY, signer(BODY, now - 1712),
                  rf"^stale timestamp: 171[2-5] s old, tolerance {tolerance} s$"),
        "future": (BODY, signer(BODY, now + 1000),
                   rf"^future timestamp: (99[7-9]|1000) s ahead, tolerance {tolerance} s"),
    }
    reasons = {}
    for case, (body, headers, reason_rx) in cases.items():
        r = post(agent.tunnel, f"/echo/{case}", body, headers, tmp_path)
        reasons[case] = assert_rejected(r, provider, reason_rx)
    # Each kind of failure says what it is (a wrong secret and a tampered body look the same).
    assert len({reasons[c] for c in ("tampered", "missing", "malformed", "stale", "future")}) == 5, reasons
    assert not app.requests_to("/echo/")
    # Logged too, with the verdict code and the reason.
    def rejections():
        found = [rec for rec in agent.log_records() if rec.get("msg") == "webhook signature rejected"]
        return found if len(found) >= len(cases) else None

    records = wait_until(rejections, 10, "one log line per rejection")
    assert {rec.get("reason") for rec in records} == set(reasons.values())
    assert {rec.get("verdict") for rec in records} == {"signature_mismatch", "missing_header", "malformed_header",
                                                        "stale_timestamp", "future_timestamp"}, records
    assert all(rec.get("provider") == provider for rec in records)
    assert secret not in agent.log()


def test_tokportal_legacy_body_only_signature_is_accepted_alone(relay, edge, app, tmp_path):
    agent = verified_agent(relay, edge, app, "tokportal")
    legacy = {"X-TokPortal-Signature": mac(TOKPORTAL_SECRET, BODY)}
    r = post(agent.tunnel, "/echo/legacy", BODY, legacy, tmp_path)
    assert r.status == 200, r
    assert app.wait_for_request("/echo/legacy").body == BODY
    bad = post(agent.tunnel, "/echo/legacy-bad", BODY, {"X-TokPortal-Signature": mac("other", BODY)}, tmp_path)
    assert_rejected(bad, "tokportal", r"^signature mismatch")
    assert not app.requests_to("/echo/legacy-bad")


# --------------------------------------------------------------------------------------------
# 2. handshakes relay answers itself


def test_zoom_url_validation_is_answered_by_relay(relay, edge, app, tmp_path):
    agent = verified_agent(relay, edge, app, "zoom")
    plain = "qgg8vlvZRS6UYooatFL8Aw"
    body = json.dumps({"payload": {"plainToken": plain}, "event_ts": 1654503849680,
                       "event": "endpoint.url_validation"}).encode()
    r = post(agent.tunnel, "/zoom/hook", body, zoom_headers(body, int(time.time())), tmp_path)
    assert r.status == 200, r
    assert r.json() == {"plainToken": plain, "encryptedToken": mac(ZOOM_SECRET, plain.encode())}
    # An unsigned challenge is not answered (that would be an HMAC oracle): 403, like any event.
    forged = post(agent.tunnel, "/zoom/forged", body, {}, tmp_path)
    assert_rejected(forged, "zoom", r"^missing ")
    assert not app.requests_to("/zoom")


def test_tokportal_challenge_is_echoed_by_relay(relay, edge, app):
    agent = verified_agent(relay, edge, app, "tokportal")
    r = agent.tunnel.curl("/tokportal/hook?challenge=tp-challenge-8f3a91")
    assert r.status == 200, r
    assert r.body.strip() == b"tp-challenge-8f3a91"
    assert not app.requests_to("/tokportal")


def test_twitter_crc_is_answered_by_relay(relay, edge, app):
    import base64

    agent = verified_agent(relay, edge, app, "twitter", secret=TWITTER_SECRET)
    token = "crc-e2e-token-42"
    r = agent.tunnel.curl(f"/twitter/hook?crc_token={token}")
    assert r.status == 200, r
    digest = hmac.new(TWITTER_SECRET.encode(), token.encode(), hashlib.sha256).digest()
    assert r.json() == {"response_token": "sha256=" + base64.b64encode(digest).decode()}
    assert not app.requests_to("/twitter")


def test_handshakes_reach_the_app_on_a_tunnel_without_verification(relay, edge, app):
    """Without --verify-webhook relay answers nothing itself: the challenge is the app's business."""
    agent = relay.agent(app, edge)
    r = agent.tunnel.curl("/tokportal/plain?challenge=abc")
    assert r.status == 200 and r.body == b"ok /tokportal/plain\n", r
    assert app.wait_for_request("/tokportal/plain?challenge=abc")


# --------------------------------------------------------------------------------------------
# 3. duplicates, 4. log-only mode


def test_tokportal_duplicate_delivery_is_delivered_and_flagged(relay, edge, app, tmp_path):
    agent = verified_agent(relay, edge, app, "tokportal")
    now = int(time.time())
    first = post(agent.tunnel, "/echo/dup-1", BODY, tokportal_headers(BODY, now, event_id="evt_dup_7"), tmp_path)
    other = post(agent.tunnel, "/echo/dup-other", BODY, tokportal_headers(BODY, now, event_id="evt_other"), tmp_path)
    again = post(agent.tunnel, "/echo/dup-2", BODY, tokportal_headers(BODY, now + 1, event_id="evt_dup_7"), tmp_path)
    assert (first.status, other.status, again.status) == (200, 200, 200), (first, other, again)
    assert app.wait_for_request("/echo/dup-1") and app.wait_for_request("/echo/dup-2")

    def duplicates():
        return [rec for rec in agent.log_records() if rec.get("duplicate") == "true"]

    dups = wait_until(duplicates, 10, "a log line flagging the duplicate delivery")
    assert len(dups) == 1, dups
    assert dups[0].get("event_id") == "evt_dup_7"
    assert dups[0].get("provider") == "tokportal"


def test_enforce_false_delivers_a_forged_request_and_logs_the_verdict(relay, edge, app, tmp_path):
    agent = verified_agent(relay, edge, app, "tiktok", extra=["--verify-webhook-enforce=false"])
    forged = {"TikTok-Signature": f"t={int(time.time())},s={'0' * 64}"}
    r = post(agent.tunnel, "/echo/forged", BODY, forged, tmp_path)
    assert r.status == 200, r
    assert r.header("Relay-Error-Code") is None
    assert app.wait_for_request("/echo/forged").body == BODY
    m = agent.wait_for_output(r'webhook signature invalid \(delivered: enforce=false\)"?[^\n]*')
    line = m.group(0)
    assert "verdict=signature_mismatch" in line and "provider=tiktok" in line, line


# --------------------------------------------------------------------------------------------
# 5. bodies too large to verify; unverified tunnels still stream


def test_body_too_large_to_verify_gets_413_with_a_reason(relay, edge, app, tmp_path):
    agent = verified_agent(relay, edge, app, "tiktok")
    big = tmp_path / "big"
    write_pattern_file(big, 11 * 1024 * 1024)  # over the 10 MiB verification buffer
    r = agent.tunnel.curl("/echo/big", "-X", "POST", "--data-binary", f"@{big}",
                          "-H", "Accept: application/json", "-H", f"TikTok-Signature: t={int(time.time())},s=00",
                          timeout=60)
    assert r.status == 413, r
    assert r.header("Relay-Error-Code"), r
    assert "verify" in r.text and "10240 KiB" in r.text, r.text
    assert not app.requests_to("/echo/big")


def test_unverified_tunnel_streams_a_large_body(relay, edge, app, tmp_path):
    agent = relay.agent(app, edge)
    big = tmp_path / "big"
    digest = write_pattern_file(big, 24 * 1024 * 1024)
    r = agent.tunnel.curl("/sha256", "-X", "POST", "--data-binary", f"@{big}", timeout=90)
    assert r.status == 200, r
    assert r.json() == {"len": 24 * 1024 * 1024, "sha256": digest}


# --------------------------------------------------------------------------------------------
# 6. usage errors and secrets from env:/file:


def run_http(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """`relay http` that is expected to stop at start-up (usage errors): bounded."""
    return subprocess.run([relay_bin(), "http", "127.0.0.1:9", "--edge", "127.0.0.1:9", "--inspect=false", *args],
                          capture_output=True, text=True, timeout=30, env={**os.environ, **(env or {})})


def test_unknown_provider_is_a_usage_error_listing_the_known_ones():
    r = run_http("--verify-webhook", "tiktokk", "--verify-webhook-secret", "s")
    assert r.returncode == 2, r
    assert "unknown webhook provider 'tiktokk'" in r.stderr
    for known in ("tiktok", "zoom", "tokportal", "github", "stripe", "hmac"):
        assert re.search(rf"\b{known}\b", r.stderr), r.stderr


def test_provider_without_secret_is_a_usage_error():
    r = run_http("--verify-webhook", "tiktok")
    assert r.returncode == 2, r
    assert "--verify-webhook-secret" in r.stderr


def test_unset_env_secret_is_a_clear_error():
    env = {k: v for k, v in os.environ.items() if k != "E2E_UNSET_SECRET"}
    r = subprocess.run([relay_bin(), "http", "127.0.0.1:9", "--edge", "127.0.0.1:9", "--inspect=false",
                        "--verify-webhook", "tiktok", "--verify-webhook-secret", "env:E2E_UNSET_SECRET"],
                       capture_output=True, text=True, timeout=30, env=env)
    assert r.returncode == 2, r
    assert "E2E_UNSET_SECRET" in r.stderr and "not set" in r.stderr, r.stderr


@pytest.mark.parametrize("form", ["env", "file"])
def test_secret_from_env_or_file(relay, edge, app, form, tmp_path):
    if form == "env":
        spec, env = "env:E2E_TT_SECRET", {"E2E_TT_SECRET": TIKTOK_SECRET}
    else:
        path = tmp_path / "tiktok.secret"
        path.write_text(TIKTOK_SECRET + "\n")
        path.chmod(0o600)
        spec, env = f"file:{path}", {}
    agent = verified_agent(relay, edge, app, "tiktok", secret=spec, env=env)
    ok = post(agent.tunnel, "/echo/ok", BODY, tiktok_headers(BODY, int(time.time())), tmp_path)
    assert ok.status == 200, ok
    # The literal spec is not the key: a request signed with "env:..." itself is rejected.
    literal = post(agent.tunnel, "/echo/literal", BODY, tiktok_headers(BODY, int(time.time()), spec), tmp_path)
    assert_rejected(literal, "tiktok", r"^signature mismatch")
    assert not app.requests_to("/echo/literal")


# --------------------------------------------------------------------------------------------
# 7. per-tunnel tolerance and 8. the same through `relay start` with a config file


def start_config(relay, edge, app, tunnels: str, tmp_path, env=None) -> tuple[RelayProcess, dict[str, Tunnel]]:
    cfg = tmp_path / "relay.yml"
    cfg.write_text(agent_config_yaml(edge, tunnels))
    cfg.chmod(0o600)
    p = RelayProcess("start", ["start", "--all", "--config", str(cfg)], relay.dir, env=env)
    relay.processes.append(p)
    rx = r"tunnel (?P<name>[a-z0-9-]+): (?P<url>\S+) → "
    names = set(re.findall(r"^  ([a-z0-9-]+):$", tunnels, re.M))

    def ready():
        if not p.running():
            raise AssertionError(f"{p} exited:\n{p.tail()}")
        found = {m["name"]: Tunnel(m["url"]) for m in re.finditer(rx, p.stdout())}
        return found if names <= set(found) else None

    return p, wait_until(ready, 20, f"tunnels {sorted(names)} of {p}")


def test_per_tunnel_tolerance_and_zoom_through_relay_start(relay, edge, app, tmp_path):
    """Two zoom tunnels from one config file: the default tolerance (180 s) and `tolerance: 30s`."""
    tunnels = f"""  zoom-default:
    addr: 127.0.0.1:{app.port}
    verify_webhook:
      provider: zoom
      secret: env:E2E_ZOOM_SECRET
  zoom-strict:
    addr: 127.0.0.1:{app.port}
    verify_webhook:
      provider: zoom
      secret: env:E2E_ZOOM_SECRET
      tolerance: 30s
"""
    _, t = start_config(relay, edge, app, tunnels, tmp_path, env={"E2E_ZOOM_SECRET": ZOOM_SECRET})
    headers = zoom_headers(BODY, int(time.time()) - 120)  # 2 minutes old
    ok = post(t["zoom-default"], "/echo/two-minutes", BODY, headers, tmp_path)
    assert ok.status == 200 and ok.body == BODY, ok
    assert app.wait_for_request("/echo/two-minutes").header("x-zm-signature") == headers["x-zm-signature"]
    strict = post(t["zoom-strict"], "/echo/too-old", BODY, headers, tmp_path)
    assert_rejected(strict, "zoom", r"^stale timestamp: 12[0-3] s old, tolerance 30 s$")
    assert not app.requests_to("/echo/too-old")
    # The handshake works from a config file as well.
    plain = "cfg-plain-token"
    body = json.dumps({"payload": {"plainToken": plain}, "event": "endpoint.url_validation"}).encode()
    hs = post(t["zoom-strict"], "/zoom/validate", body, zoom_headers(body, int(time.time())), tmp_path)
    assert hs.status == 200 and hs.json()["encryptedToken"] == mac(ZOOM_SECRET, plain.encode()), hs
    assert not app.requests_to("/zoom/validate")


def test_generic_hmac_and_meta_hub_challenge_with_params_through_relay_start(relay, edge, app, tmp_path):
    """`verify_webhook.params`: the generic `hmac` verifier's header/algorithm/encoding/prefix, and
    Meta's verify_token for the hub.challenge handshake."""
    tunnels = f"""  generic:
    addr: 127.0.0.1:{app.port}
    verify_webhook:
      provider: hmac
      secret: env:E2E_HMAC_SECRET
      params:
        header: X-Acme-Signature
        algorithm: sha512
        encoding: base64
        prefix: "sha512="
  meta:
    addr: 127.0.0.1:{app.port}
    verify_webhook:
      provider: facebook_graph_api
      secret: env:E2E_HMAC_SECRET
      params:
        verify_token: e2e-meta-verify-token
"""
    secret = "e2e-generic-secret"
    _, t = start_config(relay, edge, app, tunnels, tmp_path, env={"E2E_HMAC_SECRET": secret})
    import base64

    sig = "sha512=" + base64.b64encode(hmac.new(secret.encode(), BODY, hashlib.sha512).digest()).decode()
    ok = post(t["generic"], "/echo/acme", BODY, {"X-Acme-Signature": sig}, tmp_path)
    assert ok.status == 200 and ok.body == BODY, ok
    assert app.wait_for_request("/echo/acme").header("X-Acme-Signature") == sig
    bad = post(t["generic"], "/echo/acme-bad", BODY + b"!", {"X-Acme-Signature": sig}, tmp_path)
    assert_rejected(bad, "hmac", r"^signature mismatch")

    hub = t["meta"].curl("/meta?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=e2e-meta-verify-token")
    assert hub.status == 200 and hub.body.strip() == b"1158201444", hub
    wrong = t["meta"].curl("/meta?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=guess")
    assert wrong.status == 403, wrong
    meta_sig = "sha256=" + mac(secret, BODY)
    delivered = post(t["meta"], "/echo/meta-event", BODY, {"X-Hub-Signature-256": meta_sig}, tmp_path)
    assert delivered.status == 200, delivered
    assert not app.requests_to("/echo/acme-bad") and not app.requests_to("/meta")


def test_bad_verifier_params_are_reported_by_config_check(tmp_path):
    cfg = tmp_path / "relay.yml"
    cfg.write_text("""version: "2"
tunnels:
  generic:
    addr: 3000
    verify_webhook:
      provider: hmac
      secret: literal-but-private
      params:
        heder: X-Sig
""")
    cfg.chmod(0o600)
    r = subprocess.run([relay_bin(), "config", "check", "--config", str(cfg)], capture_output=True, text=True,
                       timeout=30)
    assert r.returncode == 1, r
    assert f"{cfg}:9:9: error: tunnels.generic.verify_webhook: hmac: unknown option 'heder'" in r.stdout + r.stderr
