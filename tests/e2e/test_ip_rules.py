"""Issue 14 item 2: IP rules at the edge. `--cidr-allow` / `--cidr-deny` (relay.yml `ip_allow` /
`ip_deny`) travel with the bind and the edge enforces them, so a refused caller's request never
crosses the tunnel: 403 with `Relay-Error-Code: RELAY_IP_DENIED`. Real processes: an edge, agents,
the test app, and curl bound to different loopback source addresses."""

from __future__ import annotations

import json
import re
import socket
import ssl
import subprocess

import pytest

from relay_harness import LOCALHOST, RelayProcess, Tunnel, agent_config_yaml, relay_bin

pytestmark = pytest.mark.needs_flag("http", "--cidr-allow")


def call(tunnel: Tunnel, source: str, *args: str):
    return tunnel.curl("/echo/ip", "--interface", source, *args)


def test_allow_list_admits_only_its_addresses(relay, edge, app):
    agent = relay.agent(app, edge, extra=["--cidr-allow", "127.0.0.2/32, 127.0.0.4", "--cidr-allow", "::1"])
    tunnel = agent.tunnel
    refused = call(tunnel, "127.0.0.1")
    assert refused.status == 403, refused
    assert refused.header("Relay-Error-Code") == "RELAY_IP_DENIED"
    assert "does not accept requests from your address" in refused.text
    # An X-Forwarded-For from an untrusted peer changes nothing.
    assert call(tunnel, "127.0.0.1", "-H", "X-Forwarded-For: 127.0.0.2").status == 403
    assert call(tunnel, "127.0.0.2").status == 200
    assert call(tunnel, "127.0.0.4").status == 200
    # Refused requests never reached the app.
    assert len(app.requests_to("/echo/ip")) == 2


def test_deny_wins_and_others_pass(relay, edge, app):
    agent = relay.agent(app, edge, extra=["--cidr-deny", "127.0.0.3", "--cidr-allow", "127.0.0.0/8"])
    tunnel = agent.tunnel
    assert call(tunnel, "127.0.0.3").status == 403
    assert call(tunnel, "127.0.0.1").status == 200
    assert len(app.requests_to("/echo/ip")) == 1


def test_rules_from_relay_yml_and_their_errors(relay, edge, app, tmp_path):
    config = tmp_path / "relay.yml"
    config.write_text(agent_config_yaml(edge, f"""  web:
    addr: 127.0.0.1:{app.port}
    url: ip-rules-yml
    ip_deny: [127.0.0.5/32]
"""))
    p = RelayProcess("start", ["start", "--all", "--config", str(config)], relay.dir)
    relay.processes.append(p)
    url = p.wait_for_output(r"tunnel web: (\S+)", timeout=20)[1]
    tunnel = Tunnel(url)
    assert call(tunnel, "127.0.0.5").status == 403
    assert call(tunnel, "127.0.0.1").status == 200

    bad = tmp_path / "bad.yml"
    bad.write_text(agent_config_yaml(edge, f"""  web:
    addr: 127.0.0.1:{app.port}
    ip_allow:
      - 10.0.0.300/8
"""))
    check = subprocess.run([relay_bin(), "config", "check", "--config", str(bad)], capture_output=True, text=True,
                           timeout=30)
    out = check.stdout + check.stderr
    assert check.returncode != 0 and re.search(rf"{re.escape(str(bad))}:\d+:\d+: error: tunnels.web.ip_allow", out), out
    assert "10.0.0.300/8" in out


def test_bad_flag_names_the_entry():
    r = subprocess.run([relay_bin(), "http", "3000", "--cidr-deny", "10.0.0.0/8,nonsense"], capture_output=True,
                       text=True, timeout=30)
    assert r.returncode != 0
    assert "--cidr-deny" in r.stderr and "'nonsense'" in r.stderr, r.stderr


def test_edge_refuses_a_bind_with_a_bad_rule(relay, edge, pki):
    """An agent that skips the CLI's checks still cannot hand the edge a rule it cannot parse."""
    ctx = ssl.create_default_context(cafile=str(pki.ca))
    ctx.set_alpn_protocols(["relay/1"])
    raw = socket.create_connection((LOCALHOST, edge.agent_port), timeout=10)
    with ctx.wrap_socket(raw, server_hostname="localhost") as s:
        body = json.dumps({"version": 1, "tunnels": [{"name": "", "proto": "http", "ip_allow": ["bogus"]}]}).encode()
        s.sendall((f"POST /_relay/v1/connect HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {edge.authtoken}\r\n"
                   f"Connection: Upgrade\r\nUpgrade: relay-h2\r\nContent-Type: application/json\r\n"
                   f"Content-Length: {len(body)}\r\n\r\n").encode() + body)
        data = b""
        while True:
            piece = s.recv(65536)
            if not piece:
                break
            data += piece
    head, _, rest = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400"), data
    error = json.loads(rest)["error"]
    assert error["code"] == "bad_ip_rule" and "'bogus'" in error["message"], error
