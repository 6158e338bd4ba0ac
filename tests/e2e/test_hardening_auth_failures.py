"""Issue 10 item 8: authtokens could be guessed at full speed (1,500 wrong tokens in 3.9 s from
one client, no slowdown, a warn line for each). The edge now counts failed authtokens per client
address: beyond the limit the address gets `429` with `Retry-After` (its tokens are not even
checked), log lines are bounded, other addresses are not affected, and an agent that meets a 429
waits as told and retries instead of exiting."""

import json
import os
import socket
import ssl
import time

from relay_harness import LOCALHOST

SANITIZED = bool(os.environ.get("RELAY_SANITIZED"))
ATTEMPTS = 100 if SANITIZED else 200
LIMIT = 10  # the default of --auth-failures-per-minute


def connect_attempt(edge, pki, token: str, source: str = LOCALHOST) -> tuple[int, dict[str, str], dict]:
    """One connect request on the agent port from `source`: status, headers (lower case), JSON body."""
    ctx = ssl.create_default_context(cafile=str(pki.ca))
    ctx.set_alpn_protocols(["relay/1"])
    raw = socket.create_connection((LOCALHOST, edge.agent_port), timeout=10, source_address=(source, 0))
    with ctx.wrap_socket(raw, server_hostname="localhost") as s:
        body = json.dumps({"version": 1, "agent_version": "e2e", "tunnels": [{"name": "", "proto": "http"}]}).encode()
        s.sendall((f"POST /_relay/v1/connect HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {token}\r\n"
                   f"Connection: Upgrade\r\nUpgrade: relay-h2\r\nContent-Type: application/json\r\n"
                   f"Content-Length: {len(body)}\r\n\r\n").encode() + body)
        data = b""
        s.settimeout(10)
        while b"\r\n\r\n" not in data:
            piece = s.recv(65536)
            if not piece:
                break
            data += piece
        head, _, rest = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
        if status == 101:
            return status, headers, {}
        length = int(headers.get("content-length", "0"))
        while len(rest) < length:
            piece = s.recv(65536)
            if not piece:
                break
            rest += piece
        return status, headers, json.loads(rest) if rest.strip() else {}


def warn_lines(edge) -> list[dict]:
    return [r for r in edge.log_records() if r.get("lvl") in ("warn", "eror")]


def test_wrong_tokens_are_limited_per_address(relay, pki, authtoken):
    edge = relay.edge()  # the default limit: 10 a minute
    statuses = []
    retry_after = []
    started = time.monotonic()
    for i in range(ATTEMPTS):
        status, headers, body = connect_attempt(edge, pki, f"wrong-{i}")
        statuses.append(status)
        if status == 429:
            assert body["error"]["code"] == "too_many_auth_failures", body
            assert "retry in" in body["error"]["message"], body
            retry_after.append(int(headers["retry-after"]))
    assert time.monotonic() - started < 120
    assert statuses[:LIMIT] == [401] * LIMIT, statuses[:LIMIT + 2]
    assert statuses[LIMIT:] == [429] * (ATTEMPTS - LIMIT), statuses
    assert retry_after and all(0 < s <= 60 for s in retry_after), retry_after

    # The log stays bounded: a guesser cannot fill the disk.
    warns = warn_lines(edge)
    assert len(warns) < 30, f"{len(warns)} warn lines for {ATTEMPTS} attempts:\n{edge.tail(60)}"
    assert any(r.get("msg", "").startswith("agent address blocked") for r in warns), edge.tail(60)

    # The blocked address is refused even with the right token; another address is not affected.
    assert connect_attempt(edge, pki, authtoken)[0] == 429
    assert connect_attempt(edge, pki, authtoken, source="127.0.0.2")[0] == 101
    assert connect_attempt(edge, pki, "wrong-again", source="127.0.0.3")[0] == 401


def test_agent_waits_out_a_429_and_connects(relay, pki, app):
    """An agent whose address is blocked (here by someone else's wrong tokens) does not exit as for
    a 401: it says why, waits for Retry-After, and connects once the block ends."""
    block_s = 2
    edge = relay.edge(extra=["--auth-failures-per-minute", "3", "--auth-failure-block", str(block_s)])
    for i in range(3):
        assert connect_attempt(edge, pki, f"wrong-{i}")[0] == 401
    assert connect_attempt(edge, pki, "wrong-3")[0] == 429
    started = time.monotonic()
    agent = relay.agent(app, edge, wait=False, url="patient")
    agent.wait_for_output(r"refuses connections from this address.*retrying in", timeout=15)
    agent.wait_ready(timeout=30)
    assert agent.running()
    assert time.monotonic() - started >= block_s - 1.0
    r = agent.tunnel.curl("/after-429")
    assert r.status == 200, r


def test_limit_from_edge_yml_and_flag_override(relay, pki, tmp_path):
    config = tmp_path / "edge.yml"
    config.write_text("limits:\n  auth_failures_per_minute: 3\n  auth_failure_block: 30s\n")
    edge = relay.edge(extra=["--config", str(config)])
    assert [connect_attempt(edge, pki, f"w{i}")[0] for i in range(4)] == [401, 401, 401, 429]
    _, headers, _ = connect_attempt(edge, pki, "w4")
    assert 0 < int(headers["retry-after"]) <= 30
    # A flag given beside the file wins over its key.
    edge2 = relay.edge(extra=["--config", str(config), "--auth-failures-per-minute", "5"])
    assert [connect_attempt(edge2, pki, f"w{i}")[0] for i in range(6)] == [401] * 5 + [429]
