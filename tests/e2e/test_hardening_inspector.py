"""Issue 10 item 9: the inspector's replay refuses a method, path or header that would inject lines
into the request the app receives (400 with a JSON error saying what was wrong), and its CSRF guard
accepts state-changing requests from browsers only from the inspector's own origin (its port, not
any localhost port). Real processes: an edge, the agent with its inspector, the test app."""

from __future__ import annotations

import pytest

from inspector_client import port_of, start_agent

pytestmark = pytest.mark.needs_flag("http", "--inspect")

INJECTION = "/a HTTP/1.1\r\nX-Inj: 1\r\n\r\nGET /smuggled"


@pytest.fixture
def captured(relay, edge, app, tmp_path):
    agent, api = start_agent(relay, app, edge, tmp_path / "state")
    agent.wait_ready()
    agent.tunnel.curl("/echo/orig", "-X", "POST", "--data-binary", "x")
    [c] = api.wait_complete(lambda c: c["request"]["uri"] == "/echo/orig")
    return agent, api, c


@pytest.mark.parametrize("mods, field", [
    ({"path": INJECTION}, "path"),
    ({"path": "/a b"}, "path"),
    ({"path": "/a\x00b"}, "path"),
    ({"method": "GET /smuggled HTTP/1.1\r\nX-Inj: 1\r\n\r\nPOST"}, "method"),
    ({"method": "PO ST"}, "method"),
    ({"set_headers": {"X-Ok": "v\r\nX-Inj: 1"}}, "set_headers"),
    ({"set_headers": {"X-Bad\r\nX-Inj": "1"}}, "set_headers"),
    ({"headers": {"X-Ok": "v\nX-Inj: 1"}}, "headers"),
    ({"headers": {"X-Nul": "a\x00b"}}, "headers"),
], ids=["path-crlf", "path-space", "path-nul", "method-crlf", "method-space", "set-header-value",
        "set-header-name", "headers-lf", "headers-nul"])
def test_replay_refuses_injection(captured, app, mods, field):
    agent, api, c = captured
    status, err = api.call("POST", f"/api/requests/http/{c['id']}/replay", mods)
    assert status == 400, (status, err)
    assert isinstance(err, dict) and field in err.get("msg", ""), err
    # A marker through the same tunnel: anything the replay injected would have reached the app first.
    assert agent.tunnel.curl("/marker").status == 200
    app.wait_for_request("/marker")
    assert not app.requests_to("/smuggled") and not app.requests_to("/a"), app.requests
    assert all(r.header("X-Inj") is None for r in app.requests)
    assert len(app.requests_to("/echo/orig")) == 1  # nothing was replayed
    assert agent.running()


def test_replay_with_valid_modifications_still_works(captured, app):
    _, api, c = captured
    status, new = api.call("POST", f"/api/requests/http/{c['id']}/replay",
                           {"method": "PUT", "path": "/echo/ok%20path?q=1", "set_headers": {"X-Tab": "a\tb"}})
    assert status == 200, new
    r = app.wait_for_request("/echo/ok%20path?q=1")
    assert r.method == "PUT" and r.header("X-Tab") == "a\tb"


def test_state_changing_requests_need_the_inspectors_own_origin(captured):
    _, api, _ = captured
    port = port_of(api.base)
    other = port + 1 if port < 65535 else port - 1
    for origin in [f"http://localhost:{other}", f"http://127.0.0.1:{other}", "http://localhost",
                   f"http://[::1]:{other}", "null", f"https://127.0.0.1:{port}", "http://evil.example"]:
        status, err = api.call("DELETE", "/api/requests/http", headers={"Origin": origin})
        assert status == 403, (origin, status, err)
        assert err["error_code"] == "ERR_RELAY_ORIGIN_NOT_ALLOWED", (origin, err)
    assert api.requests(), "a refused DELETE cleared the captures"
    # Reads stay open to any origin (they carry no CORS header, so a foreign page cannot read them).
    assert api.call("GET", "/api/requests/http", headers={"Origin": f"http://localhost:{other}"})[0] == 200
    # The inspector's own origin, in each spelling of loopback, and no Origin at all (curl, scripts).
    for origin in [f"http://localhost:{port}", f"http://127.0.0.1:{port}"]:
        assert api.call("DELETE", "/api/requests/http", headers={"Origin": origin})[0] == 204, origin
    assert api.call("DELETE", "/api/requests/http")[0] == 204
