"""Cluster, the peer link (issue 12): a public request that lands on an edge without a session
for its tunnel is forwarded, over one authenticated HTTP/2 connection per peer edge, to an edge
that has one, and answered by the app. Before this, the second edge answered 404 "not online"
for a tunnel whose agent was connected to the first."""

from __future__ import annotations

import concurrent.futures
import json
import os
import socket
import ssl
import time

from relay_harness import Edge, Tunnel, free_port, listening_ports, pattern_bytes, sha256, wait_until

SECRET = "0123456789abcdef0123456789abcdef"
SANITIZED = bool(os.environ.get("RELAY_SANITIZED"))


def peer_edge(relay, redis_server, edge_id: str, secret: str = SECRET, extra=()) -> Edge:
    peer_port = free_port()
    args = ["--cluster", redis_server.url, "--edge-id", edge_id, "--cluster-secret",
            "env:RELAY_TEST_CLUSTER_SECRET", "--peer-listen", f"127.0.0.1:{peer_port}", *extra]
    e = Edge(relay.pki, relay.authtoken, relay.dir, extra=args, env={"RELAY_TEST_CLUSTER_SECRET": secret})
    e.peer_port = peer_port
    relay.processes.append(e)
    e.wait_ready()
    wait_until(lambda: peer_port in listening_ports(), 10, f"{edge_id}'s peer port")
    return e


def routes(redis_server, name: str) -> list[str]:
    prefix = f"relay:route:{name}:"
    return [k[len(prefix):] for k in redis_server.keys(prefix + "*")]


def via(edge: Edge, name: str) -> Tunnel:
    return Tunnel(edge.url_for(name))


def log_has(process, msg: str) -> bool:
    return any(r.get("msg") == msg for r in process.log_records())


def two_edges_agent_on_a(relay, redis_server, make_app, name="shop"):
    edge_a = peer_edge(relay, redis_server, "edge-a")
    edge_b = peer_edge(relay, redis_server, "edge-b")
    app = make_app()
    relay.agent(app, edge_a, url=name)
    wait_until(lambda: routes(redis_server, name) == ["edge-a"], 10, "edge A's route key")
    wait_until(lambda: redis_server.cli("HGET", "relay:edge:edge-a", "peer").strip() == f"127.0.0.1:{edge_a.peer_port}",
               10, "edge A's peer address in Redis")
    return edge_a, edge_b, app


def test_request_on_the_other_edge_is_forwarded_and_streamed(relay, redis_server, make_app):
    edge_a, edge_b, app = two_edges_agent_on_a(relay, redis_server, make_app)
    ttl = int(redis_server.cli("PTTL", "relay:edge:edge-a").strip() or "0")
    assert 0 < ttl <= 15000, ttl
    tunnel = via(edge_b, "shop")

    r = tunnel.curl("/json?x=1", "-H", "X-Custom: kept")
    assert r.status == 200, (r, edge_b.tail())
    seen = json.loads(r.body)
    headers = {k.lower(): v for k, v in seen["headers"]}
    assert headers["x-custom"] == "kept"
    assert headers["x-forwarded-for"] == "127.0.0.1"  # the public client, carried over the link
    assert "relay-peer-hop" not in headers
    assert log_has(edge_b, "peer link connected"), edge_b.log()
    assert log_has(edge_a, "peer link accepted"), edge_a.log()

    assert tunnel.curl("/status/418").status == 418

    upload = pattern_bytes(1 << 20, seed=7)
    r = tunnel.curl("/sha256", "--data-binary", "@-", "-H", "Content-Type: application/octet-stream", input=upload)
    assert r.status == 200, r
    assert r.json() == {"len": len(upload), "sha256": sha256(upload)}

    r = tunnel.curl("/bytes/1048576?chunked=1")
    assert r.status == 200 and r.body == pattern_bytes(1 << 20), (r.status, len(r.body))

    r = tunnel.curl("/slow-body?chunks=4&delay=0.2")
    assert r.status == 200 and r.body == b"tick 0\ntick 1\ntick 2\ntick 3\n", r

    # Many at once, all over the one link.
    count = 20 if SANITIZED else 50
    with concurrent.futures.ThreadPoolExecutor(max_workers=count) as pool:
        results = list(pool.map(lambda i: tunnel.curl(f"/echo/{i}", "--data-binary", f"body {i}", timeout=30),
                                range(count)))
    bad = [(i, r.status, r.stderr) for i, r in enumerate(results) if r.status != 200 or r.body != f"body {i}".encode()]
    assert not bad, bad
    accepted = sum(1 for r in edge_a.log_records() if r.get("msg") == "peer link accepted")
    assert accepted == 1, edge_a.log()  # one multiplexed connection, not one per request

    # A graceful stop takes the edge's peer address out of Redis at once.
    assert redis_server.cli("EXISTS", "relay:edge:edge-b").strip() == "1"
    edge_b.stop()
    assert redis_server.cli("EXISTS", "relay:edge:edge-b").strip() == "0"


def test_peer_with_a_wrong_secret_is_refused(relay, redis_server, make_app):
    edge_a, edge_b, app = two_edges_agent_on_a(relay, redis_server, make_app)
    intruder = peer_edge(relay, redis_server, "edge-x", secret="not-the-cluster-secret-at-all-00")

    r = via(intruder, "shop").curl("/json", timeout=10)
    assert r.status == 502, (r, intruder.tail())
    assert r.header("relay-error-code") == "RELAY_AGENT_SESSION_LOST"
    assert r.elapsed < 5, r.elapsed
    wait_until(lambda: log_has(edge_a, "peer link refused"), 5, "edge A's refusal line")
    assert log_has(intruder, "peer link authentication failed"), intruder.log()
    refusal = next(r for r in edge_a.log_records() if r.get("msg") == "peer link refused")
    assert refusal.get("claimed_edge_id") == "edge-x", refusal
    assert not app.requests_to("/json"), "a request through the refused peer reached the app"

    # The good path is unaffected.
    assert via(edge_b, "shop").curl("/after").status == 200
    app.wait_for_request("/after")


def test_owning_edge_killed_answers_promptly_then_not_found(relay, redis_server, make_app):
    edge_a, edge_b, app = two_edges_agent_on_a(relay, redis_server, make_app)
    tunnel = via(edge_b, "shop")
    assert tunnel.curl("/warm").status == 200
    # A request in flight over the link when edge A dies: a clean 502 naming the peer, not a hang.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        in_flight = pool.submit(tunnel.curl, "/delay/3", timeout=15)
        app.wait_for_request("/delay/3")
        edge_a.kill()
        r = in_flight.result()
    assert r.status == 502, r
    assert r.header("relay-error-code") == "RELAY_AGENT_SESSION_LOST"
    assert b"over the cluster's peer link" in r.body, r.body
    assert r.elapsed < 5, r.elapsed
    # Within the route keys' TTL: a prompt, clean answer (the link is gone), never a hang.
    r = tunnel.curl("/during", timeout=10)
    assert r.status in (404, 502), r
    assert r.elapsed < 5, r.elapsed
    # Once edge A's route key expires: the normal "not online" page.
    def not_found():
        r = tunnel.curl("/after", timeout=10)
        assert r.elapsed < 5, r.elapsed
        return r.status == 404 and r.header("relay-error-code") == "RELAY_TUNNEL_NOT_FOUND"
    wait_until(not_found, 25, "the normal not-found page once edge A's route key expired", interval=0.5)


def test_public_client_cannot_pose_as_a_peer(relay, redis_server, make_app):
    edge_a, edge_b, app = two_edges_agent_on_a(relay, redis_server, make_app)
    # The hop marker and a forged client address from a public client: stripped, and the request
    # is still forwarded (the marker is not what makes an edge serve locally).
    r = via(edge_b, "shop").curl("/json", "-H", "relay-peer-hop: edge-b", "-H", "relay-remote-addr: 6.6.6.6:1",
                                 "-H", "X-Forwarded-For: 6.6.6.6")
    assert r.status == 200, r
    headers = {k.lower(): v for k, v in json.loads(r.body)["headers"]}
    assert "relay-peer-hop" not in headers
    assert headers["x-forwarded-for"] == "127.0.0.1", headers
    # Straight to the owning edge's public port, too.
    r = via(edge_a, "shop").curl("/json", "-H", "relay-peer-hop: edge-b")
    assert r.status == 200
    assert "relay-peer-hop" not in {k.lower() for k, _ in json.loads(r.body)["headers"]}

    # The peer port itself: a TLS client with a made-up proof is refused and closed.
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with socket.create_connection(("127.0.0.1", edge_a.peer_port), timeout=5) as raw:
        with ctx.wrap_socket(raw) as tls:
            tls.sendall(b"RELAY-PEER/1 edge-b " + b"00" * 32 + b"\n")
            answer = tls.recv(256)
            assert answer.startswith(b"DENIED"), answer
            assert tls.recv(256) == b""
    wait_until(lambda: log_has(edge_a, "peer link refused"), 5, "edge A's refusal line")
    assert not app.requests_to("/forged")


def test_peer_flags_are_checked(relay):
    lone = Edge(relay.pki, relay.authtoken, relay.dir, extra=["--peer-listen", f"127.0.0.1:{free_port()}"])
    relay.processes.append(lone)
    assert lone.wait(timeout=20) == 2, lone.tail()
    assert "--peer-listen links the edges of a cluster; it needs --cluster" in lone.output(), lone.output()

    anywhere = Edge(relay.pki, relay.authtoken, relay.dir,
                    extra=["--cluster", "redis://127.0.0.1:6379/0", "--cluster-secret", "env:RELAY_TEST_CLUSTER_SECRET",
                           "--peer-listen", f"0.0.0.0:{free_port()}"],
                    env={"RELAY_TEST_CLUSTER_SECRET": SECRET})
    relay.processes.append(anywhere)
    assert anywhere.wait(timeout=20) == 2, anywhere.tail()
    assert "add --peer-advertise HOST:PORT" in anywhere.output(), anywhere.output()
