"""The inspector wired into `relay http`: the Web Interface line and ngrok's lifecycle log lines,
every request captured (in flight, then complete), and the ngrok-compatible API over real HTTP
(tunnels, requests, replay, replay with modifications, bad input). Real processes: an edge, the
agent, curl, and the test app."""

from __future__ import annotations

import json
import socket
import time

import pytest

from inspector_client import WEB_RX, Api, body_of, port_of, start_agent, tiktok_signature, tokportal_headers
from relay_harness import curl, sha256, wait_until

pytestmark = pytest.mark.needs_flag("http", "--inspect")

SECRET = "e2e-inspector-secret"


def test_web_interface_line_and_ngrok_log_lines(relay, edge, app, tmp_path):
    agent, api = start_agent(relay, app, edge, tmp_path / "state")
    agent.wait_ready()
    port = port_of(api.base)
    assert api.base == f"http://127.0.0.1:{port}"
    records = agent.log_records()
    web = [r for r in records if r.get("msg") == "starting web service"]
    assert web and web[0]["obj"] == "web" and web[0]["addr"] == f"127.0.0.1:{port}", agent.log()
    assert any(r.get("msg") == "client session established" for r in records), agent.log()
    started = [r for r in records if r.get("msg") == "started tunnel"]
    assert started and started[0]["url"] == agent.public_url, agent.log()
    assert started[0]["addr"] == f"http://127.0.0.1:{app.port}" and started[0]["name"]
    # The API answers on that address.
    status, body = api.get("/api/status")
    assert status == 200 and body["web_addr"].endswith(str(port)), body
    assert body["session"]["status"] == "online", body


def test_default_port_moves_on_when_4040_is_taken(relay, edge, app, tmp_path):
    holder = socket.socket()
    try:
        holder.bind(("127.0.0.1", 4040))
        holder.listen(1)
    except OSError:
        pass  # something else holds it already: the agent must move on all the same
    try:
        agent = relay.agent(app, edge, inspect=True, extra=["--state-dir", str(tmp_path / "state")])
        url = agent.wait_for_output(WEB_RX)[1]
        assert 4040 < port_of(url) <= 4050, url
    finally:
        holder.close()


def test_inspect_false_serves_nothing(relay, edge, app, tmp_path):
    agent = relay.agent(app, edge, inspect=True, extra=["--inspect=false", "--state-dir", str(tmp_path / "s")])
    assert agent.tunnel.curl("/x").status == 200
    assert "Web Interface" not in agent.stdout()
    assert "starting web service" not in agent.log()
    assert not (tmp_path / "s" / "captures.db").exists()


def test_every_request_is_captured_with_its_response(relay, edge, app, tmp_path):
    agent, api = start_agent(relay, app, edge, tmp_path / "state")
    agent.wait_ready()
    t = agent.tunnel
    r = t.curl("/echo/one?x=1", "-X", "POST", "-H", "Content-Type: application/json", "-H", "X-Custom: yes",
               "--data-binary", '{"hello":"world"}')
    assert r.status == 200 and r.body == b'{"hello":"world"}'
    [c] = api.wait_complete(lambda c: c["request"]["uri"] == "/echo/one?x=1")
    assert c["tunnel_name"] and c["id"].startswith("ins_")
    assert c["request"]["method"] == "POST"
    assert c["request"]["headers"]["X-Custom"] == ["yes"]
    assert "Relay-Tunnel" not in c["request"]["headers"]  # the tunnel's own headers are not the provider's
    assert body_of(c["request"]) == b'{"hello":"world"}' and c["request"]["body_size"] == 17
    assert c["remote_addr"] == "127.0.0.1"
    assert c["response"]["status_code"] == 200 and body_of(c["response"]) == b'{"hello":"world"}'
    assert c["duration"] > 0 and c["relay"]["replay"] is False and c["relay"]["verdict"] is None
    assert c["relay"]["public_url"] == agent.public_url
    status, one = api.get(f"/api/requests/http/{c['id']}")
    assert status == 200 and one["id"] == c["id"]
    # limit and tunnel_name filters.
    t.curl("/two")
    api.wait_complete(lambda c: c["request"]["uri"] == "/two")
    assert len(api.requests(limit=1)) == 1 and api.requests(limit=1)[0]["request"]["uri"] == "/two"
    assert api.requests(tunnel_name="nope") == []
    assert len(api.requests(tunnel_name=c["tunnel_name"])) == 2


def test_upstream_refused_is_captured_with_relays_error_code(relay, edge, tmp_path):
    dead = socket.socket()
    dead.bind(("127.0.0.1", 0))
    port = dead.getsockname()[1]
    dead.close()
    agent = relay.agent(f"127.0.0.1:{port}", edge, inspect=True,
                        extra=["--inspect", "127.0.0.1:0", "--state-dir", str(tmp_path / "s")])
    api = Api(agent.wait_for_output(WEB_RX)[1])
    assert agent.tunnel.curl("/nobody").status == 502
    [c] = api.wait_complete(lambda c: c["request"]["uri"] == "/nobody")
    assert c["relay"]["error_code"] == "RELAY_UPSTREAM_REFUSED", c
    assert "refused" in c["relay"]["error"]


def test_large_body_is_delivered_whole_and_captured_truncated(relay, edge, app, tmp_path):
    agent, api = start_agent(relay, app, edge, tmp_path / "state")
    agent.wait_ready()
    data = bytes(range(256)) * 1024  # 256 KiB, over the 64 KiB capture limit
    src = tmp_path / "big"
    src.write_bytes(data)
    r = agent.tunnel.curl("/sha256", "-X", "POST", "--data-binary", f"@{src}")
    assert r.status == 200 and r.json() == {"len": len(data), "sha256": sha256(data)}
    [c] = api.wait_complete(lambda c: c["request"]["uri"] == "/sha256")
    assert c["request"]["truncated"] is True and c["request"]["body_size"] == len(data)
    assert body_of(c["request"]) == data[:64 * 1024]
    # Replaying it would send a different body: refused, saying why.
    status, err = api.call("POST", "/api/requests/http", {"id": c["id"]})
    assert status == 409 and "truncated" in err["msg"], err


def test_tunnels_api_lists_ngrok_fields(relay, edge, app, tmp_path):
    agent, api = start_agent(relay, app, edge, tmp_path / "state")
    agent.wait_ready()
    agent.tunnel.curl("/count-me")
    status, body = api.get("/api/tunnels")
    assert status == 200 and body["uri"] == "/api/tunnels"
    [t] = body["tunnels"]
    assert t["public_url"] == agent.public_url and t["proto"] == "http"
    assert t["config"]["addr"] == f"http://127.0.0.1:{app.port}"
    wait_until(lambda: api.get(f"/api/tunnels/{t['name']}")[1]["metrics"]["http"]["count"] >= 1, 5, "the counter")
    status, one = api.get(f"/api/tunnels/{t['name']}")
    assert status == 200 and one["name"] == t["name"] and one["metrics"]["conns"]["count"] >= 1
    status, err = api.get("/api/tunnels/nope")
    assert status == 404 and err["status_code"] == 404 and err["msg"]


def test_replay_delivers_again_and_is_marked(relay, edge, app, tmp_path):
    agent, api = start_agent(relay, app, edge, tmp_path / "state")
    agent.wait_ready()
    agent.tunnel.curl("/echo/replay-me", "-X", "POST", "--data-binary", "original")
    [c] = api.wait_complete(lambda c: c["request"]["uri"] == "/echo/replay-me")
    status, _ = api.call("POST", "/api/requests/http", {"id": c["id"], "tunnel_name": c["tunnel_name"]})
    assert status == 204
    got = wait_until(lambda: len(app.requests_to("/echo/replay-me")) >= 2 and app.requests_to("/echo/replay-me"), 10,
                     "the replay at the app")
    assert [r.body for r in got] == [b"original", b"original"]
    [replay] = api.wait_complete(lambda r: r["relay"]["replay"])
    assert replay["relay"]["replay_of"] == c["id"] and replay["response"]["status_code"] == 200
    assert body_of(replay["response"]) == b"original"


def test_replay_with_modifications_delivers_the_edited_request(relay, edge, app, tmp_path):
    agent, api = start_agent(relay, app, edge, tmp_path / "state")
    agent.wait_ready()
    agent.tunnel.curl("/echo/mod", "-X", "POST", "-H", "X-Old: 1", "--data-binary", "before")
    [c] = api.wait_complete(lambda c: c["request"]["uri"] == "/echo/mod")
    status, new = api.call("POST", f"/api/requests/http/{c['id']}/replay",
                           {"body": "after edit", "set_headers": {"X-Debug": "on"}, "remove_headers": ["X-Old"],
                            "path": "/echo/mod?edited=1"})
    assert status == 200 and new["relay"]["replay"] is True, new
    assert new["response"]["status_code"] == 200 and body_of(new["response"]) == b"after edit"
    r = app.wait_for_request("/echo/mod?edited=1")
    assert r.body == b"after edit" and r.header("X-Debug") == "on" and r.header("X-Old") is None


def test_bad_input_gets_json_errors_and_the_agent_stays_up(relay, edge, app, tmp_path):
    agent, api = start_agent(relay, app, edge, tmp_path / "state")
    agent.wait_ready()
    for method, path, raw, want in [
        ("GET", "/api/requests/http/ins_unknown", None, 404),
        ("POST", "/api/requests/http", b"{not json", 400),
        ("POST", "/api/requests/http", json.dumps({"id": "ins_unknown"}).encode(), 404),
        ("POST", "/api/requests/http/ins_unknown/replay", b"{}", 404),
        ("POST", "/api/tunnels", b"[1,2", 400),
        ("POST", "/api/tunnels", json.dumps({"name": "x", "addr": "not a port!"}).encode(), 400),
        ("DELETE", "/api/tunnels/unknown", None, 404),
        ("GET", "/api/tunnels/unknown", None, 404),
    ]:
        status, err = api.call(method, path, raw=raw)
        assert status == want and isinstance(err, dict) and err.get("msg"), (method, path, status, err)
    # A capture of a real request, replayed to an unknown tunnel.
    agent.tunnel.curl("/real")
    [c] = api.wait_complete(lambda c: c["request"]["uri"] == "/real")
    status, err = api.call("POST", "/api/requests/http", {"id": c["id"], "tunnel_name": "nope"})
    assert status == 404 and err["msg"]
    assert agent.running()
    assert agent.tunnel.curl("/still-up").status == 200


def test_clear_and_status(relay, edge, app, tmp_path):
    agent, api = start_agent(relay, app, edge, tmp_path / "state")
    agent.wait_ready()
    agent.tunnel.curl("/a")
    api.wait_complete(lambda c: c["request"]["uri"] == "/a")
    status, s = api.get("/api/status")
    assert status == 200 and s["requests"]["count"] >= 1 and s["version"], s
    assert api.call("DELETE", "/api/requests/http")[0] == 204
    assert api.requests() == []


def test_tunnels_start_and_stop_at_runtime(relay, edge, app, make_app, tmp_path):
    agent, api = start_agent(relay, app, edge, tmp_path / "state")
    agent.wait_ready()
    other = make_app()
    status, t = api.call("POST", "/api/tunnels", {"name": "second", "addr": other.port, "proto": "http"})
    assert status == 201 and t["name"] == "second" and t["public_url"].startswith("http://"), t
    from relay_harness import Tunnel
    second = Tunnel(t["public_url"])
    r = second.curl("/via-second")
    assert r.status == 200 and other.requests_to("/via-second")
    assert api.call("POST", "/api/tunnels", {"name": "second", "addr": other.port})[0] == 409
    names = {x["name"] for x in api.get("/api/tunnels")[1]["tunnels"]}
    assert "second" in names and len(names) == 2
    assert any(r.get("msg") == "started tunnel" and r.get("name") == "second" for r in agent.log_records())

    assert api.call("DELETE", "/api/tunnels/second")[0] == 204
    assert wait_until(lambda: second.curl("/gone").status == 404, 10, "the removed tunnel to answer 404")
    assert agent.tunnel.curl("/first-still").status == 200
    assert {x["name"] for x in api.get("/api/tunnels")[1]["tunnels"]} == names - {"second"}


def test_history_survives_a_restart(relay, edge, app, tmp_path):
    state = tmp_path / "state"
    agent, api = start_agent(relay, app, edge, state)
    agent.wait_ready()
    agent.tunnel.curl("/echo/keep", "-X", "POST", "--data-binary", "remember me")
    [c] = api.wait_complete(lambda c: c["request"]["uri"] == "/echo/keep")
    agent.stop()
    assert (state / "captures.db").exists()
    again, api2 = start_agent(relay, app, edge, state)
    listed = api2.requests()
    assert [x["id"] for x in listed] == [c["id"]]
    assert body_of(listed[0]["request"]) == b"remember me" and listed[0]["response"]["status_code"] == 200


def test_tokportal_duplicate_delivery_is_flagged(relay, edge, app, tmp_path):
    agent, api = start_agent(relay, app, edge, tmp_path / "state",
                             extra=["--verify-webhook", "tokportal", "--verify-webhook-secret", SECRET])
    agent.wait_ready()
    body = b'{"event":"video.published","id":"v1"}'
    headers = tokportal_headers(SECRET, body, "evt_123", int(time.time()))
    args = [a for h in headers for a in ("-H", h)] + ["-H", "TokPortal-Event-Id: evt_123"]
    for _ in range(2):
        r = agent.tunnel.curl("/hook", "-X", "POST", *args, "--data-binary", body.decode())
        assert r.status == 200, r
    first, second = reversed(api.wait_complete(lambda c: c["request"]["uri"] == "/hook", count=2))
    assert first["relay"]["verdict"]["ok"] is True and first["relay"]["verdict"]["event_id"] == "evt_123"
    assert first["relay"]["duplicate"] is False and second["relay"]["duplicate"] is True


def test_tiktok_replay_edit_needs_resign(relay, edge, app, tmp_path):
    agent, api = start_agent(relay, app, edge, tmp_path / "state",
                             extra=["--verify-webhook", "tiktok", "--verify-webhook-secret", SECRET])
    agent.wait_ready()
    body = b'{"event":"video.publish","n":1}'
    sig = tiktok_signature(SECRET, body, int(time.time()))
    r = agent.tunnel.curl("/tt", "-X", "POST", "-H", f"TikTok-Signature: {sig}", "--data-binary", body.decode())
    assert r.status == 200, r
    [c] = api.wait_complete(lambda c: c["request"]["uri"] == "/tt")
    assert c["relay"]["verdict"]["ok"] is True
    # An edited body no longer matches the signature: relay refuses it, as it would from the edge.
    status, bad = api.call("POST", f"/api/requests/http/{c['id']}/replay", {"body": '{"event":"edited"}'})
    assert status == 200 and bad["response"]["status_code"] == 403, bad
    assert bad["relay"]["verdict"]["ok"] is False and bad["relay"]["error_code"] == "RELAY_WEBHOOK_SIGNATURE_INVALID"
    # Re-signed for the tunnel's provider, it verifies and reaches the app.
    status, good = api.call("POST", f"/api/requests/http/{c['id']}/replay",
                            {"body": '{"event":"edited"}', "resign": True})
    assert status == 200 and good["response"]["status_code"] == 200, good
    assert good["relay"]["verdict"]["ok"] is True
    assert [x.body for x in app.requests_to("/tt")] == [body, b'{"event":"edited"}']
