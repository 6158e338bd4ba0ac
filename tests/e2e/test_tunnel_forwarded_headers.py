"""Issue 2: X-Forwarded-* headers and --host-header."""


def test_forwarded_headers_arrive_at_the_app(relay, edge, app, tunnel):
    r = tunnel.curl("/json/fwd", "-H", "X-Custom: kept")
    assert r.status == 200, r
    seen = app.wait_for_request("/json/fwd")
    assert seen.header("X-Forwarded-For") == "127.0.0.1", seen.headers
    assert seen.header("X-Forwarded-Proto") == "http", seen.headers
    assert seen.header("X-Forwarded-Host") == f"{tunnel.host}:{tunnel.port}", seen.headers
    assert seen.header("X-Custom") == "kept"
    # Without --host-header the app sees the public host.
    assert seen.header("Host") == f"{tunnel.host}:{tunnel.port}", seen.headers


def test_host_header_rewrite_uses_the_upstream_host(relay, edge, app):
    agent = relay.agent(f"127.0.0.1:{app.port}", edge, extra=["--host-header", "rewrite"])
    r = agent.tunnel.curl("/json/rewrite")
    assert r.status == 200, r
    seen = app.wait_for_request("/json/rewrite")
    assert seen.header("Host") == f"127.0.0.1:{app.port}", seen.headers
    assert seen.header("X-Forwarded-Host") == f"{agent.tunnel.host}:{agent.tunnel.port}", seen.headers


def test_host_header_literal_value(relay, edge, app):
    agent = relay.agent(app, edge, extra=["--host-header", "example.internal"])
    r = agent.tunnel.curl("/json/literal")
    assert r.status == 200, r
    seen = app.wait_for_request("/json/literal")
    assert seen.header("Host") == "example.internal", seen.headers
    assert len(seen.header_all("Host")) == 1
