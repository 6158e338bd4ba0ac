"""Issue 10 item 4, request smuggling: HTTP/1 framing that two parsers could read differently is
refused on both hops that parse HTTP/1 (RFC 9112 §6, §3.2). On the public side, raw sockets send
each case to the edge and the app must never see a request parsed out of another's body; on the
app's side, a raw-socket app answers with bad framing and the caller gets a 502 with a reason.
See docs/security.md."""

from __future__ import annotations

import re
import socket
import threading

import pytest

from relay_harness import LOCALHOST, parse_response, read_until_closed, wait_until

READ_LIMIT_S = 10


def send_raw(port: int, data: bytes) -> tuple[int, dict[str, str], bytes, bytes]:
    with socket.create_connection((LOCALHOST, port), timeout=10) as s:
        s.sendall(data)
        raw, _ = read_until_closed(s, READ_LIMIT_S)
    status, headers, body = parse_response(raw)
    return status, headers, body, raw


def settle(edge, app, hook: str, tag: str) -> None:
    """Sends a marker request after an attack and waits until the app has it: anything the attack
    smuggled through the same edge and agent would have reached the app first."""
    marker = f"/marker-{tag}"
    status, _, _, raw = send_raw(edge.port, f"GET {marker} HTTP/1.1\r\nHost: {hook}\r\nConnection: close\r\n\r\n".encode())
    assert status == 200, raw
    app.wait_for_request(marker)


@pytest.fixture
def hook(relay, edge, app):
    relay.agent(app, edge, url="hook")
    return f"hook.relay.test:{edge.port}"


def smuggled(host: str) -> bytes:
    return f"GET /smuggled HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()


# (request head fields after Host, body, expected status): the body of each is a complete second
# request, which the old edge forwarded as one whenever it read the first as bodiless.
REFUSED = {
    "te-chunked-then-gzip": ("Transfer-Encoding: chunked, gzip\r\n", 400),
    "te-xchunked": ("Transfer-Encoding: xchunked\r\n", 400),
    "te-gzip-alone": ("Transfer-Encoding: gzip\r\n", 400),
    "te-split-over-two-fields": ("Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n", 400),
    "te-gzip-then-chunked": ("Transfer-Encoding: gzip, chunked\r\n", 501),
    "te-gzip-with-content-length": ("Transfer-Encoding: gzip\r\nContent-Length: 3\r\n", 400),
    "te-chunked-with-content-length": ("Content-Length: 3\r\nTransfer-Encoding: chunked\r\n", 400),
    "te-in-http10": ("Transfer-Encoding: chunked\r\n", 400),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_ambiguous_transfer_encoding_is_refused_and_nothing_is_smuggled(edge, app, hook, case):
    fields, expected = REFUSED[case]
    version = "1.0" if case == "te-in-http10" else "1.1"
    body = b"0\r\n\r\n" + smuggled(hook) if "chunked" in fields and case != "te-chunked-then-gzip" else smuggled(hook)
    request = f"POST /first HTTP/{version}\r\nHost: {hook}\r\n{fields}\r\n".encode() + body
    status, headers, _, raw = send_raw(edge.port, request)
    assert status == expected, raw
    assert headers.get("relay-error-code") == "RELAY_BAD_REQUEST", raw
    assert len(re.findall(rb"(?:^|\n)HTTP/1\.[01] \d{3} ", raw)) == 1, f"a second response came: {raw!r}"
    # The edge answered itself and closed: the app saw neither the request nor the smuggled one.
    settle(edge, app, hook, case)
    assert not app.requests_to("/smuggled") and not app.requests_to("/first"), app.requests


def test_two_host_headers_are_refused(edge, app, hook):
    request = f"GET /two-hosts HTTP/1.1\r\nHost: {hook}\r\nHost: other.relay.test:{edge.port}\r\n\r\n"
    status, headers, body, raw = send_raw(edge.port, request.encode())
    assert status == 400 and headers.get("relay-error-code") == "RELAY_BAD_REQUEST", raw
    assert b"Host" in body
    assert not app.requests_to("/two-hosts")


@pytest.mark.parametrize("chunks", [b"zz\r\nhello\r\n0\r\n\r\n",  # a chunk size that is not hex
                                    b"3\r\nhello\r\n0\r\n\r\n"],  # more data than the size says
                         ids=["bad-size", "size-mismatch"])
def test_malformed_chunked_body_gets_400_with_a_code(edge, app, hook, chunks):
    request = (f"POST /chunky HTTP/1.1\r\nHost: {hook}\r\nTransfer-Encoding: chunked\r\n\r\n".encode()
               + chunks + smuggled(hook))
    status, headers, body, raw = send_raw(edge.port, request)
    assert status == 400, raw
    assert headers.get("relay-error-code") == "RELAY_BAD_REQUEST", raw
    assert b"chunked" in body
    settle(edge, app, hook, "chunks")
    assert not app.requests_to("/smuggled")
    records = wait_until(lambda: [r for r in edge.log_records() if r.get("path") == "/chunky"], 5,
                         "the edge's log line for /chunky")
    assert records[-1]["status"] == "400" and records[-1]["code"] == "RELAY_BAD_REQUEST", records


@pytest.mark.parametrize("fields", ["Content-Length: 5\r\nContent-Length: 5\r\n", "Content-Length: 5, 5\r\n"],
                         ids=["two-fields", "list"])
def test_repeated_identical_content_length_is_one(edge, app, hook, fields):
    request = f"POST /echo/cl HTTP/1.1\r\nHost: {hook}\r\nConnection: close\r\n{fields}\r\nhello"
    status, headers, body, raw = send_raw(edge.port, request.encode())
    assert status == 200 and body == b"hello", raw
    assert app.wait_for_request("/echo/cl").body == b"hello"


def test_differing_content_lengths_are_refused(edge, app, hook):
    request = f"POST /cl-differ HTTP/1.1\r\nHost: {hook}\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!"
    status, headers, _, raw = send_raw(edge.port, request.encode())
    assert status == 400 and headers.get("relay-error-code") == "RELAY_BAD_REQUEST", raw
    assert not app.requests_to("/cl-differ")


def test_absolute_form_authority_wins_over_host(edge, app, hook):
    request = (f"GET http://{hook}/absolute?x=1 HTTP/1.1\r\nHost: nosuch.relay.test:{edge.port}\r\n"
               "Connection: close\r\n\r\n")
    status, _, body, raw = send_raw(edge.port, request.encode())
    assert status == 200 and body == b"ok /absolute\n", raw
    assert app.wait_for_request("/absolute").header("X-Forwarded-Host") == hook
    # And the other way round: the Host names the tunnel, the target another name → not routed to it.
    request = (f"GET http://nosuch.relay.test:{edge.port}/elsewhere HTTP/1.1\r\nHost: {hook}\r\n"
               "Connection: close\r\n\r\n")
    status, headers, _, raw = send_raw(edge.port, request.encode())
    assert status == 404 and headers.get("relay-error-code") == "RELAY_TUNNEL_NOT_FOUND", raw
    settle(edge, app, hook, "absolute")
    assert not app.requests_to("/elsewhere")


# ---- the app's side: the agent parses the app's response -------------------------------------


class RawApp:
    """A listening socket that answers each request with fixed bytes chosen by its path, then closes
    the connection: framing no well-behaved HTTP library would produce."""

    def __init__(self, answers: dict[str, bytes]):
        self.answers = answers
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((LOCALHOST, 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.paths: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (socket.timeout, OSError):
                continue
            with conn:
                conn.settimeout(5)
                data = b""
                try:
                    while b"\r\n\r\n" not in data and len(data) < 65536:
                        piece = conn.recv(65536)
                        if not piece:
                            break
                        data += piece
                    if b"\r\n\r\n" not in data:
                        continue
                    path = data.split(b" ", 2)[1].decode()
                    self.paths.append(path)
                    conn.sendall(self.answers.get(path, b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"))
                    conn.shutdown(socket.SHUT_WR)
                    read_until_closed(conn, 2)
                except OSError:
                    continue

    def close(self):
        self._stop.set()
        self._thread.join(timeout=5)
        self.sock.close()


BAD_RESPONSES = {
    "/te-chunked-gzip": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    "/te-xchunked": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: xchunked\r\n\r\nhello",
    "/te-and-length": b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    "/length-differs": b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
    "/bad-chunk": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
}
GOOD_RESPONSES = {
    "/length-twice": b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello",
    "/length-list": b"HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\nhello",
}


@pytest.fixture
def raw_tunnel(relay, edge):
    app = RawApp({**BAD_RESPONSES, **GOOD_RESPONSES})
    agent = relay.agent(f"{LOCALHOST}:{app.port}", edge, url="rawapp")
    yield agent, app
    app.close()


@pytest.mark.parametrize("path", sorted(BAD_RESPONSES))
def test_bad_framing_from_the_app_is_a_502_with_a_reason(raw_tunnel, path):
    agent, app = raw_tunnel
    r = agent.tunnel.curl(path, "-H", "Accept: application/json")
    assert r.status == 502, r
    assert r.header("relay-error-code") == "RELAY_UPSTREAM_FAILED", r
    assert b"cannot forward safely" in r.body, r
    records = wait_until(
        lambda: [x for x in agent.log_records() if x.get("path") == path and "error" in x], 5,
        f"the agent's log line for {path}")
    assert "invalid HTTP/1.1 response" in records[-1]["error"], records[-1]


@pytest.mark.parametrize("path", sorted(GOOD_RESPONSES))
def test_repeated_identical_content_length_from_the_app_is_forwarded(raw_tunnel, path):
    agent, _ = raw_tunnel
    r = agent.tunnel.curl(path)
    assert r.status == 200 and r.body == b"hello", r
    assert r.header("content-length") == "5", r
