"""Issue 2, "bad input gets a clear error, and nothing is lost": hostile or broken peers on the
edge's agent port and public port (not TLS, not HTTP, a bad connect request, garbage instead of
HTTP/2 after the upgrade, silent and slow connections). Each gets a clear refusal or is closed;
the edge stays up and a healthy tunnel on it keeps serving."""

import json
import socket
import ssl
import time

import pytest

from relay_harness import LOCALHOST, Tunnel, read_until_closed

HEADER_TIMEOUT_S = 2


@pytest.fixture
def edge(relay, tmp_path):
    """An edge whose header timeout is short, so the slow-peer cases finish quickly."""
    config = tmp_path / "edge.yml"
    config.write_text(f"limits:\n  header_timeout: {HEADER_TIMEOUT_S}s\n")
    return relay.edge(extra=["--config", str(config)])


@pytest.fixture
def good(relay, edge, make_app):
    app = make_app()
    return relay.agent(app, edge, url="healthy").tunnel


def assert_unharmed(edge, good):
    assert edge.running(), f"the edge exited:\n{edge.tail()}"
    r = good.curl("/still-ok")
    assert r.status == 200 and r.body == b"ok /still-ok\n", r


def tls_to_agent_port(edge, pki):
    ctx = ssl.create_default_context(cafile=str(pki.ca))
    ctx.set_alpn_protocols(["relay/1"])
    raw = socket.create_connection((LOCALHOST, edge.agent_port), timeout=10)
    return ctx.wrap_socket(raw, server_hostname="localhost")


def connect_request(body: bytes, token: str | None) -> bytes:
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    return (f"POST /_relay/v1/connect HTTP/1.1\r\nHost: localhost\r\n{auth}Connection: Upgrade\r\n"
            f"Upgrade: relay-h2\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
            ).encode() + body


def status_and_json(data: bytes) -> tuple[int, dict]:
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, json.loads(body) if body.strip() else {}


def test_plain_tcp_garbage_on_the_agent_port(edge, good):
    with socket.create_connection((LOCALHOST, edge.agent_port), timeout=10) as s:
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n" + bytes(range(256)) * 8)
        _, took = read_until_closed(s, 10)
    assert took < 10, "the edge kept a non-TLS connection open"
    assert_unharmed(edge, good)


def test_garbage_inside_tls_gets_400_json(edge, good, pki):
    with tls_to_agent_port(edge, pki) as s:
        s.sendall(b"THIS IS NOT HTTP\r\n\r\n")
        data, _ = read_until_closed(s, 10)
    status, body = status_and_json(data)
    assert status == 400, data
    assert body["error"]["code"] and body["error"]["message"], body
    assert_unharmed(edge, good)


@pytest.mark.parametrize("body, code", [
    (b"{not json", "bad_request"),
    (b'{"version": 99}', "unsupported_version"),
    (b'{"version": 1, "tunnels": [{"name": "UPPER_and_bad!", "proto": "http"}]}', "invalid_name"),
    (b'{"version": 1, "tunnels": [{"name": "x", "proto": "gopher"}]}', "unsupported_proto"),
], ids=["malformed-json", "unknown-version", "invalid-name", "unknown-proto"])
def test_bad_connect_requests_are_refused_with_a_reason(edge, good, pki, authtoken, body, code):
    with tls_to_agent_port(edge, pki) as s:
        s.sendall(connect_request(body, authtoken))
        data, _ = read_until_closed(s, 10)
    status, answer = status_and_json(data)
    assert status == 400, data
    assert answer["error"]["code"] == code, answer
    assert len(answer["error"]["message"]) > 10, answer
    assert_unharmed(edge, good)


def test_connect_without_authtoken_is_401_and_the_token_is_never_logged(edge, good, pki, authtoken):
    with tls_to_agent_port(edge, pki) as s:
        s.sendall(connect_request(b'{"version": 1}', "wrong-" + authtoken))
        data, _ = read_until_closed(s, 10)
    status, answer = status_and_json(data)
    assert status == 401 and answer["error"]["code"] == "unauthorized", data
    assert authtoken not in edge.output()
    assert_unharmed(edge, good)


def test_garbage_instead_of_http2_after_the_upgrade(edge, good, pki, authtoken):
    """A peer that passes the connect request and then speaks no HTTP/2: the edge ends that
    session and frees its name, and nothing else notices."""
    body = b'{"version": 1, "tunnels": [{"name": "rogue", "proto": "http"}]}'
    with tls_to_agent_port(edge, pki) as s:
        s.sendall(connect_request(body, authtoken))
        head = b""
        while b"\r\n\r\n" not in head:
            piece = s.recv(4096)
            assert piece, head
            head += piece
        assert head.startswith(b"HTTP/1.1 101"), head
        s.sendall(b"\x00\x00\x05\x07\x00\x00\x00\x00\x01" + b"\xff" * 64)  # junk, not a SETTINGS frame
        _, took = read_until_closed(s, 15)
    assert took < 15, "the edge kept a session whose peer sent garbage"
    assert_unharmed(edge, good)
    # The rogue's name is not served by a dead session: 404 or 502, never a hang.
    r = Tunnel(edge.url_for("rogue")).curl("/", "--max-time", "10")
    assert r.status in (404, 502), r


def test_silent_agent_port_connection_is_closed_after_the_header_timeout(edge, good):
    with socket.create_connection((LOCALHOST, edge.agent_port), timeout=10) as s:
        _, took = read_until_closed(s, HEADER_TIMEOUT_S + 8)
    assert took < HEADER_TIMEOUT_S + 5, f"a silent connection stayed open {took:.1f} s"
    assert_unharmed(edge, good)


def test_slow_loris_on_the_public_port_is_cut_off(edge, good):
    """Headers trickling in one byte a second never complete a request: the edge stops waiting
    after its header timeout, while the healthy tunnel keeps answering at full speed."""
    head = f"GET / HTTP/1.1\r\nHost: {good.host}\r\nX-Slow: ".encode()
    with socket.create_connection((LOCALHOST, edge.port), timeout=10) as s:
        s.sendall(head)
        started = time.monotonic()
        closed = False
        answer = b""
        while time.monotonic() - started < HEADER_TIMEOUT_S + 8:
            try:
                s.sendall(b"a")
            except OSError:
                closed = True
                break
            s.settimeout(1)
            try:
                piece = s.recv(4096)
                if not piece:
                    closed = True
                    break
                answer += piece
            except socket.timeout:
                pass
            except OSError:  # reset: the edge closed while bytes were still arriving
                closed = True
                break
        took = time.monotonic() - started
    assert closed or answer, "the edge kept waiting for a head that never ends"
    assert took < HEADER_TIMEOUT_S + 5, f"cut off only after {took:.1f} s"
    if answer:
        assert answer.startswith(b"HTTP/1.1 408"), answer
    assert_unharmed(edge, good)
