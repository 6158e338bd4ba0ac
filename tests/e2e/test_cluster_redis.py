"""Cluster, first layer (issue 12): edges sharing one Redis agree on who owns a tunnel name and
publish which edge holds a live session for it; without Redis they keep serving what they hold.
Before this, each edge kept names in its own SQLite: token B could take `shop` on edge 2 while
token A held it on edge 1."""

from __future__ import annotations

import hashlib
import subprocess
import time

import pytest

from relay_harness import Edge, new_authtoken, relay_bin, wait_until


SECRET_ENV = {"RELAY_TEST_CLUSTER_SECRET": "0123456789abcdef0123456789abcdef"}


def cluster_edge(relay, redis_server, edge_id: str, *tokens: str, extra=()) -> Edge:
    args = ["--cluster", redis_server.url, "--edge-id", edge_id, "--cluster-secret", "env:RELAY_TEST_CLUSTER_SECRET"]
    for t in tokens[1:]:
        args += ["--authtoken", t]
    e = Edge(relay.pki, tokens[0], relay.dir, extra=[*args, *extra], env=SECRET_ENV)
    relay.processes.append(e)
    return e.wait_ready()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def routes(redis_server, name: str) -> list[str]:
    prefix = f"relay:route:{name}:"
    return [k[len(prefix):] for k in redis_server.keys(prefix + "*")]


def log_count(process, msg: str) -> int:
    return sum(1 for r in process.log_records() if r.get("msg") == msg)


def test_two_edges_share_name_owners_and_routes(relay, redis_server, make_app):
    token_a, token_b = relay.authtoken, new_authtoken()
    edge1 = cluster_edge(relay, redis_server, "edge-1", token_a, token_b)
    edge2 = cluster_edge(relay, redis_server, "edge-2", token_a, token_b)
    app_a1, app_a2, app_b = make_app(), make_app(), make_app()

    a1 = relay.agent(app_a1, edge1, url="shop", authtoken=token_a)
    assert a1.tunnel.curl("/one").status == 200
    app_a1.wait_for_request("/one")
    assert redis_server.cli("HGET", "relay:name:shop", "owner").strip() == token_hash(token_a)

    # Token B on the other edge: that edge never saw `shop`, Redis says whose it is.
    b = relay.agent(app_b, edge2, url="shop", authtoken=token_b, wait=False)
    try:
        b.wait(timeout=20)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"token B got 'shop' on edge 2:\n{b.tail()}") from None
    assert b.exit_code != 0, b.tail()
    assert "belongs to another authtoken" in b.output(), b.output()
    refused = [r for r in edge2.log_records() if r.get("msg") == "agent refused"]
    assert refused and refused[-1].get("code") == "name_owned", edge2.log()

    # Token A's second agent on edge 2 gets it: both edges now hold a session for `shop`.
    a2 = relay.agent(app_a2, edge2, url="shop", authtoken=token_a)
    assert a2.tunnel.curl("/two").status == 200
    app_a2.wait_for_request("/two")
    wait_until(lambda: routes(redis_server, "shop") == ["edge-1", "edge-2"], 10, "both edges' route keys for shop")
    ttl = int(redis_server.cli("PTTL", "relay:route:shop:edge-1").strip() or "0")
    assert 0 < ttl <= 15_000, ttl
    assert not app_b.requests_to("/"), "a request reached token B's app"

    # kill -9 edge 1: nothing withdraws its key, its TTL does (15 s, renewed every 5 s).
    edge1.kill()
    killed_at = time.monotonic()
    wait_until(lambda: routes(redis_server, "shop") == ["edge-2"], 20, "edge 1's route key to expire")
    gone_after = time.monotonic() - killed_at
    print(f"edge-1's route for shop gone {gone_after:.1f} s after kill -9")
    assert gone_after <= 16, gone_after

    # A graceful stop withdraws at once.
    edge2.stop()
    assert routes(redis_server, "shop") == []
    # Ownership is not a session: it stays.
    assert redis_server.cli("HGET", "relay:name:shop", "owner").strip() == token_hash(token_a)


def test_redis_outage_keeps_held_tunnels_and_logs_once_each_way(relay, redis_server, make_app):
    token = relay.authtoken
    edge = cluster_edge(relay, redis_server, "edge-1", token)
    app, late_app = make_app(), make_app()
    agent = relay.agent(app, edge, url="shop", authtoken=token)
    assert agent.tunnel.curl("/before").status == 200
    wait_until(lambda: routes(redis_server, "shop") == ["edge-1"], 10, "the route key for shop")

    redis_server.kill()
    edge.wait_for_output(r'msg="?redis unavailable', timeout=10)
    # Held tunnels keep answering through their edge while Redis is away.
    statuses = []
    for i in range(10):
        statuses.append(agent.tunnel.curl(f"/during-{i}", timeout=10).status)
        time.sleep(0.3)
    assert statuses == [200] * 10, statuses
    # A name this edge never saw cannot be checked: refused (503, the agent retries), not granted.
    late = relay.agent(late_app, edge, url="fresh", authtoken=token, wait=False)
    wait_until(lambda: any(r.get("code") == "cluster_unavailable" for r in edge.log_records()), 20,
               "the edge to refuse 'fresh' while Redis is down")
    assert late.running(), late.tail()  # retryable: the agent keeps trying

    redis_server.start()
    edge.wait_for_output(r'msg="?redis available again', timeout=15)
    late.wait_ready(timeout=30)  # its retry now succeeds
    assert late.tunnel.curl("/late").status == 200
    assert agent.tunnel.curl("/after").status == 200
    # The routes come back without waiting for the heartbeat, with the new name's.
    wait_until(lambda: routes(redis_server, "shop") == ["edge-1"] and routes(redis_server, "fresh") == ["edge-1"],
               10, "route keys republished after Redis returned")
    # One line each way, however many reconnect attempts failed in between.
    assert log_count(edge, "redis unavailable") == 1, edge.log()
    assert log_count(edge, "redis available again") == 1, edge.log()


@pytest.mark.parametrize("args, message", [
    (["--cluster", "http://127.0.0.1:6379/0", "--cluster-secret", "env:RELAY_TEST_CLUSTER_SECRET"],
     "is not a redis:// URL"),
    (["--cluster", "redis://127.0.0.1:99999/0", "--cluster-secret", "env:RELAY_TEST_CLUSTER_SECRET"],
     "is not a port"),
    # idle-sessions: rediss:// is TLS now; its one parameter is ?cacert=, read at start.
    (["--cluster", "rediss://127.0.0.1:6379/0?ca=/x.pem", "--cluster-secret", "env:RELAY_TEST_CLUSTER_SECRET"],
     "the only URL parameter is ?cacert=PATH"),
    (["--cluster", "rediss://127.0.0.1:6379/0?cacert=/nonexistent/redis-ca.pem", "--cluster-secret",
      "env:RELAY_TEST_CLUSTER_SECRET"], "cannot use '/nonexistent/redis-ca.pem' as the Redis CA"),
    (["--cluster", "redis://127.0.0.1:6379/0"], "--cluster needs --cluster-secret"),
    (["--cluster", "redis://127.0.0.1:6379/0", "--cluster-secret", "env:RELAY_TEST_UNSET_SECRET"], "is not set"),
    (["--cluster", "redis://127.0.0.1:6379/0", "--cluster-secret", "env:RELAY_TEST_CLUSTER_SECRET",
      "--edge-id", "bad id"], "is not an edge id"),
])
def test_bad_cluster_flags_are_clear_errors(relay, args, message):
    e = Edge(relay.pki, relay.authtoken, relay.dir, extra=args, env=SECRET_ENV)
    relay.processes.append(e)
    code = e.wait(timeout=20)
    assert code != 0, e.tail()
    assert message in e.output(), e.output()


def test_edge_yml_cluster_keys(relay, redis_server, make_app, tmp_path):
    config = tmp_path / "edge.yml"
    config.write_text(f"cluster:\n  redis: {redis_server.url}\n  edge_id: yml-edge\n"
                      "  secret: env:RELAY_TEST_CLUSTER_SECRET\n")
    edge = Edge(relay.pki, relay.authtoken, relay.dir, extra=["--config", str(config)], env=SECRET_ENV)
    relay.processes.append(edge)
    edge.wait_ready()
    edge.wait_for_output(r'msg="?redis connected', timeout=10)
    agent = relay.agent(make_app(), edge, url="from-yml")
    assert agent.tunnel.curl("/").status == 200
    wait_until(lambda: routes(redis_server, "from-yml") == ["yml-edge"], 10, "the route key of the edge.yml edge")

    # Without the secret, the file is refused as the flag would be.
    config.write_text(f"cluster:\n  redis: {redis_server.url}\n")
    bad = Edge(relay.pki, relay.authtoken, relay.dir, extra=["--config", str(config)])
    relay.processes.append(bad)
    assert bad.wait(timeout=20) != 0, bad.tail()
    assert "--cluster needs --cluster-secret" in bad.output(), bad.output()
