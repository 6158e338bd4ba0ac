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


# Issue 10, item 10: the edge decides who the caller is. A caller's own X-Forwarded-For,
# X-Real-IP and Forwarded used to reach the app (the first appended to, the others unchanged),
# so any caller could claim any address.

def test_callers_client_address_fields_are_replaced(relay, edge, app, tunnel):
    r = tunnel.curl("/json/spoof", "-H", "X-Forwarded-For: 6.6.6.6", "-H", "X-Real-IP: 6.6.6.6",
                    "-H", "Forwarded: for=6.6.6.6;proto=https")
    assert r.status == 200, r
    seen = app.wait_for_request("/json/spoof")
    assert seen.header_all("X-Forwarded-For") == ["127.0.0.1"], seen.headers
    assert seen.header_all("X-Real-IP") == ["127.0.0.1"], seen.headers
    assert seen.header_all("Forwarded") == [f'for=127.0.0.1;host="{tunnel.host}:{tunnel.port}";proto=http'], \
        seen.headers
    assert "6.6.6.6" not in str(seen.headers)


def test_trusted_proxy_chain_gives_the_client_address(relay, app):
    # The edge behind a load balancer on 127.0.0.1: its X-Forwarded-For is believed, the
    # right-most entry that is not itself a trusted proxy is the client.
    edge = relay.edge(extra=["--trusted-proxies", "127.0.0.1/32,10.0.0.0/8"])
    tunnel = relay.agent(app, edge).tunnel
    r = tunnel.curl("/json/via-lb", "-H", "X-Forwarded-For: 6.6.6.6, 203.0.113.9, 10.1.2.3")
    assert r.status == 200, r
    seen = app.wait_for_request("/json/via-lb")
    assert seen.header_all("X-Forwarded-For") == ["203.0.113.9"], seen.headers
    assert seen.header_all("X-Real-IP") == ["203.0.113.9"], seen.headers
    assert seen.header("Forwarded").startswith("for=203.0.113.9;"), seen.headers
    # A peer outside the list is the client itself, whatever it claims.
    r = tunnel.curl("/json/direct", "--interface", "127.0.0.2", "-H", "X-Forwarded-For: 203.0.113.9")
    assert r.status == 200, r
    seen = app.wait_for_request("/json/direct")
    assert seen.header_all("X-Forwarded-For") == ["127.0.0.2"], seen.headers


def test_per_address_limits_use_the_address_a_trusted_proxy_gives(relay, app):
    import socket
    import time

    edge = relay.edge(extra=["--trusted-proxies", "127.0.0.1", "--max-requests-per-ip", "1"])
    tunnel = relay.agent(app, edge).tunnel
    host = f"{tunnel.host}:{tunnel.port}"
    # One request in flight for 203.0.113.9 (a body that never completes)...
    held = socket.create_connection(("127.0.0.1", edge.port), timeout=5)
    try:
        held.sendall(f"POST /sha256 HTTP/1.1\r\nHost: {host}\r\nX-Forwarded-For: 203.0.113.9\r\n"
                     f"Content-Length: 100\r\n\r\nx".encode())
        time.sleep(0.5)
        # ...so a second one for that client is refused, while another client behind the same
        # load balancer is served.
        busy = tunnel.curl("/json/second", "-H", "X-Forwarded-For: 203.0.113.9")
        assert busy.status == 429 and busy.header("relay-error-code") == "RELAY_TOO_MANY_REQUESTS", busy
        other = tunnel.curl("/json/other", "-H", "X-Forwarded-For: 198.51.100.1")
        assert other.status == 200, other
    finally:
        held.close()
