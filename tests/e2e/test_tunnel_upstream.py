"""Issue 2: the upstream forms of `relay http`, upstream TLS, localhost on IPv4 or IPv6, and an
app that closes kept-alive connections."""

import socket
import threading
import time

import pytest


@pytest.mark.parametrize("form", ["{port}", "localhost:{port}", "127.0.0.1:{port}", "http://127.0.0.1:{port}",
                                  "http://localhost:{port}"])
def test_upstream_forms_reach_the_app(relay, edge, app, form):
    agent = relay.agent(form.format(port=app.port), edge)
    r = agent.tunnel.curl("/echo/form", "--data-binary", form)
    assert r.status == 200, r
    assert r.body == form.encode()
    assert app.wait_for_request("/echo/form").body == form.encode()


def test_bare_port_is_shown_as_http_localhost(relay, edge, app):
    agent = relay.agent(str(app.port), edge)
    assert agent.upstream_shown == f"http://localhost:{app.port}", agent.stdout()


def test_https_upstream_with_a_self_signed_app(relay, edge, make_app, pki):
    app = make_app(tls=(pki.app_cert, pki.app_key))
    agent = relay.agent(f"https://127.0.0.1:{app.port}", edge)
    r = agent.tunnel.curl("/echo/tls-upstream", "--data-binary", "secret payload")
    assert r.status == 200, r
    assert r.body == b"secret payload"


def test_https_upstream_via_localhost(relay, edge, make_app, pki):
    app = make_app(tls=(pki.app_cert, pki.app_key))
    agent = relay.agent(f"https://localhost:{app.port}", edge)
    r = agent.tunnel.curl("/json")
    assert r.status == 200, r


@pytest.mark.parametrize("host", ["::1", "127.0.0.1"])
def test_localhost_upstream_works_whichever_address_the_app_listens_on(relay, edge, make_app, host):
    app = make_app(host=host)  # listens on this one address only
    agent = relay.agent(f"localhost:{app.port}", edge)
    for i in range(3):  # every request, not just the first, finds the right address
        r = agent.tunnel.curl(f"/family/{i}")
        assert r.status == 200, r
        assert r.body == f"ok /family/{i}\n".encode()
    assert len(app.requests_to("/family/")) == 3


def _closing_app(seen: list[bytes], stop: threading.Event) -> tuple[socket.socket, threading.Thread]:
    """An app that answers one request per connection without `Connection: close` (so the agent
    keeps the connection) and then closes it 50 ms later, as servers with a short keep-alive
    timeout do."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    server.settimeout(0.2)

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except socket.timeout:
                continue
            with conn:
                conn.settimeout(5)
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                if not data:
                    continue
                head, _, body = data.partition(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                while len(body) < length:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    body += chunk
                seen.append(head.split(b"\r\n")[0] + b" " + body)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                time.sleep(0.05)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return server, thread


def test_app_closing_kept_alive_connections_loses_no_request(relay, edge):
    # The agent takes a connection used moments ago without a liveness check when it can send
    # the request again: each request must still arrive exactly once and be answered.
    seen: list[bytes] = []
    stop = threading.Event()
    server, thread = _closing_app(seen, stop)
    try:
        agent = relay.agent(f"127.0.0.1:{server.getsockname()[1]}", edge)
        for i in range(4):
            args = ("--data-binary", f"body-{i}") if i % 2 else ()
            r = agent.tunnel.curl(f"/closing/{i}", *args)
            assert r.status == 200 and r.body == b"ok", r
            time.sleep(0.15)  # the app has closed the connection the agent kept
        assert [s.split(b" ")[1] for s in seen] == [f"/closing/{i}".encode() for i in range(4)], seen
        assert seen[1].endswith(b" body-1") and seen[3].endswith(b" body-3"), seen
    finally:
        stop.set()
        thread.join(timeout=5)
        server.close()
