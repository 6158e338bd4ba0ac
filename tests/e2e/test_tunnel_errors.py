"""Issue 2: errors the public caller sees carry a stable code (Relay-Error-Code header) and a page
(HTML for browsers, JSON for Accept: application/json); none disturbs other tunnels or the edge."""

import os
import socket
import subprocess

import pytest

from relay_harness import DOMAIN, Tunnel, free_port, has_flag, relay_bin

CODE = "relay-error-code"


@pytest.fixture
def good(relay, edge, make_app):
    """A healthy tunnel on the same edge: it must keep working after every error."""
    app = make_app()
    return relay.agent(app, edge, url="healthy").tunnel


def assert_unharmed(edge, good):
    assert edge.running(), "the edge exited"
    r = good.curl("/still-ok")
    assert r.status == 200 and r.body == b"ok /still-ok\n", r


def assert_json_error(r, status, code):
    assert r.status == status, r
    assert r.header(CODE) == code, r
    assert r.header("Content-Type").startswith("application/json"), r
    err = r.json()["error"]
    assert err["code"] == code, r
    assert err["status"] == status, r
    assert err["message"], r


def test_unknown_tunnel_404_json(edge, good):
    t = Tunnel(edge.url_for("nosuchtunnel"))
    r = t.curl("/x", "-H", "Accept: application/json")
    assert_json_error(r, 404, "RELAY_TUNNEL_NOT_FOUND")
    assert "nosuchtunnel" in r.json()["error"]["message"], r
    assert_unharmed(edge, good)


def test_unknown_tunnel_404_html_for_browsers(edge, good):
    t = Tunnel(edge.url_for("nosuchtunnel"))
    r = t.curl("/x", "-H", "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
    assert r.status == 404, r
    assert r.header(CODE) == "RELAY_TUNNEL_NOT_FOUND", r
    assert r.header("Content-Type").startswith("text/html"), r
    assert b"<html" in r.body.lower() and b"RELAY_TUNNEL_NOT_FOUND" in r.body, r
    assert_unharmed(edge, good)


def test_host_outside_the_domain_404(edge, good):
    r = Tunnel(f"http://example.com:{edge.port}").curl("/", "-H", "Accept: application/json")
    assert r.status == 404, r
    assert r.header(CODE), r
    assert_unharmed(edge, good)


def test_upstream_refused_502(relay, edge, good):
    dead_port = free_port()  # nothing listens here
    t = relay.agent(f"127.0.0.1:{dead_port}", edge).tunnel
    r = t.curl("/refused", "-H", "Accept: application/json")
    assert_json_error(r, 502, "RELAY_UPSTREAM_REFUSED")
    assert str(dead_port) in r.json()["error"]["message"], r
    r = t.curl("/refused-html", "-H", "Accept: text/html")
    assert r.status == 502 and r.header("Content-Type").startswith("text/html"), r
    assert_unharmed(edge, good)


def test_upstream_timeout_504(relay, edge, make_app, good):
    # The app starts its answer after 5 s; --upstream-timeout 1 gives it 1 s.
    app = make_app()
    t = relay.agent(app, edge, extra=["--upstream-timeout", "1"]).tunnel
    r = t.curl("/delay/5", "-H", "Accept: application/json", timeout=35)
    assert_json_error(r, 504, "RELAY_UPSTREAM_TIMEOUT")
    assert r.elapsed < 4, r
    assert_unharmed(edge, good)
    assert t.curl("/after-timeout").status == 200


@pytest.mark.parametrize("command", [["http", "3000"], ["start", "--none"]])
@pytest.mark.parametrize("value", ["0", "500ms", "2h", "soon", "-5"])
def test_a_bad_upstream_timeout_is_a_usage_error_naming_the_flag(tmp_path, command, value):
    env = dict(os.environ, HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / "config"),
               XDG_STATE_HOME=str(tmp_path / "state"))
    env.pop("RELAY_CONFIG", None)
    r = subprocess.run([relay_bin(), *command, f"--upstream-timeout={value}", "--inspect=false"],
                       capture_output=True, text=True, timeout=15, env=env)
    assert r.returncode == 2, r
    assert "--upstream-timeout" in r.stderr and "whole seconds from 1s to 1h" in r.stderr, r.stderr


@pytest.mark.parametrize("raw", [
    b"THIS IS NOT HTTP\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: x." + DOMAIN.encode() + b"\r\nBroken header line without colon\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\nhello",
], ids=["garbage", "header-without-colon", "conflicting-content-length"])
def test_malformed_http_400(edge, good, raw):
    with socket.create_connection(("127.0.0.1", edge.port), timeout=5) as s:
        s.sendall(raw)
        data = b""
        try:
            while b"\r\n\r\n" not in data:
                piece = s.recv(65536)
                if not piece:
                    break
                data += piece
        except socket.timeout:
            pass
    head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1")
    assert head.startswith("HTTP/1.1 400"), repr(data)
    assert "relay-error-code: relay_bad_request" in head.lower(), repr(data)
    assert_unharmed(edge, good)


def test_upstream_cannot_set_relay_error_code(relay, edge, app, good):
    t = relay.agent(app, edge).tunnel
    r = t.curl("/set-headers?Relay-Error-Code=RELAY_TUNNEL_NOT_FOUND&X-Other=kept")
    assert r.status == 200, r
    assert r.header("X-Other") == "kept", r
    assert r.header(CODE) is None, f"an upstream response passed Relay-Error-Code through: {r.headers}"
    r = t.curl("/set-headers?relay-error-code=FAKE")
    assert r.status == 200 and r.header(CODE) is None, r
    assert_unharmed(edge, good)


def _body_limit_flag():
    for flag in ("--max-body-bytes", "--max-body-size", "--max-body", "--body-limit"):
        if has_flag("edge", flag):
            return flag
    return None


def test_body_over_the_limit_413(relay, make_app, pki):
    flag = _body_limit_flag()
    if not flag:
        pytest.skip("NOT BUILT YET: `relay edge` has no body limit flag (--max-body-bytes); the default is unlimited")
    e = relay.edge(extra=[flag, "1024"])
    app = make_app()
    t = relay.agent(app, e).tunnel
    r = t.curl("/echo/big", "--data-binary", "x" * 4096, "-H", "Accept: application/json")
    assert_json_error(r, 413, "RELAY_BODY_TOO_LARGE")
    assert not app.requests_to("/echo/big")
    assert t.curl("/echo/small", "--data-binary", "x" * 100).status == 200
