"""Cluster: hashed authtokens in Redis (issue 12, docs/cluster.md "Authtokens in Redis").
Before this, every edge read only its own edge.yml: a token had to be copied to every edge's file
and each edge restarted; a token in Redis was refused everywhere. Now an edge with --cluster
accepts a token whose SHA-256 is in Redis's `relay:tokens` (cached, refreshed every 2 s, one
HGET on a miss), and refuses it within ~2 s of its removal. Redis never holds the token."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import time

from relay_harness import relay_bin, wait_until
from test_cluster_redis import SECRET_ENV, cluster_edge
from test_hardening_auth_failures import connect_attempt


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def cli_token(redis_server, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([relay_bin(), "edge", "token", *args, "--cluster", redis_server.url], capture_output=True,
                          text=True, timeout=30, env={"PATH": "/usr/bin:/bin", **SECRET_ENV})


def refused_for_auth(agent) -> bool:
    try:
        agent.wait(timeout=15)
    except subprocess.TimeoutExpired:
        return False
    return agent.exit_code != 0 and re.search(r"authentication failed: \S", agent.output()) is not None


def redis_dump(redis_server) -> str:
    """Every key and value in Redis (strings, hashes), as text."""
    out = []
    for key in redis_server.keys("*"):
        kind = redis_server.cli("TYPE", key).strip()
        out.append(key)
        if kind == "hash":
            out.append(redis_server.cli("HGETALL", key))
        elif kind == "string":
            out.append(redis_server.cli("GET", key))
    return "\n".join(out)


def assert_token_nowhere(token: str, redis_server, *processes) -> None:
    assert token not in redis_dump(redis_server), "the clear token is in Redis"
    for p in processes:
        assert token not in p.log(), f"the clear token is in {p}'s log"


def test_token_written_to_redis_works_on_both_edges_and_revocation_is_seen(relay, redis_server, make_app):
    a = cluster_edge(relay, redis_server, "edge-a", relay.authtoken)
    b = cluster_edge(relay, redis_server, "edge-b", relay.authtoken)
    fresh = "relay_" + hashlib.sha256(b"redis-cli").hexdigest()[:43]
    app_a, app_b, late_app = make_app(), make_app(), make_app()

    # Not in edge.yml, not (yet) in Redis: refused, as before.
    assert refused_for_auth(relay.agent(app_b, b, authtoken=fresh, wait=False))

    # Written by hand (redis-cli): the edges neither restart nor wait for their refresh.
    record = json.dumps({"label": "by-hand", "reserved": []})
    redis_server.cli("HSET", "relay:tokens", token_hash(fresh), record)
    on_b = relay.agent(app_b, b, authtoken=fresh)
    assert on_b.tunnel.curl("/b").status == 200
    on_a = relay.agent(app_a, a, authtoken=fresh)
    assert on_a.tunnel.curl("/a").status == 200
    assert any(r.get("token") == "by-hand" for r in b.log_records() if r.get("msg") == "agent connected"), b.log()

    # Revoked in Redis: a new session with it is refused within ~2 s on both edges.
    redis_server.cli("HDEL", "relay:tokens", token_hash(fresh))
    revoked_at = time.monotonic()
    time.sleep(2.5)  # the refresh period (2 s) and a margin
    assert refused_for_auth(relay.agent(late_app, b, authtoken=fresh, wait=False))
    assert refused_for_auth(relay.agent(late_app, a, authtoken=fresh, wait=False))
    print(f"refused on both edges {time.monotonic() - revoked_at:.1f} s after HDEL")
    assert_token_nowhere(fresh, redis_server, a, b)


def test_relay_edge_token_add_list_revoke_with_cluster(relay, redis_server, make_app):
    a = cluster_edge(relay, redis_server, "edge-a", relay.authtoken)
    b = cluster_edge(relay, redis_server, "edge-b", relay.authtoken)
    added = cli_token(redis_server, "add", "--label", "ci-bot")
    assert added.returncode == 0, added.stderr
    token = re.search(r"^\s+(relay_\S+)$", added.stdout, re.M).group(1)
    assert redis_server.cli("HEXISTS", "relay:tokens", token_hash(token)).strip() == "1"

    listed = cli_token(redis_server, "list")
    assert listed.returncode == 0 and "ci-bot" in listed.stdout and token_hash(token)[:16] in listed.stdout, listed
    assert token not in listed.stdout

    app_a, app_b, late_app = make_app(), make_app(), make_app()
    on_b = relay.agent(app_b, b, authtoken=token)
    assert on_b.tunnel.curl("/b").status == 200
    on_a = relay.agent(app_a, a, authtoken=token)
    assert on_a.tunnel.curl("/a").status == 200

    revoked = cli_token(redis_server, "revoke", "ci-bot")
    assert revoked.returncode == 0, revoked.stderr
    assert redis_server.cli("HEXISTS", "relay:tokens", token_hash(token)).strip() == "0"
    revoked_at = time.monotonic()
    time.sleep(2.5)
    assert refused_for_auth(relay.agent(late_app, b, authtoken=token, wait=False))
    print(f"refused {time.monotonic() - revoked_at:.1f} s after `relay edge token revoke --cluster`")
    assert_token_nowhere(token, redis_server, a, b)


def test_token_commands_use_edge_yml_cluster_redis_and_reserve_names_in_the_cluster(relay, redis_server, tmp_path):
    config = tmp_path / "edge.yml"
    config.write_text(f"cluster:\n  redis: {redis_server.url}\n")
    r = subprocess.run([relay_bin(), "edge", "token", "add", "--config", str(config), "--label", "shop-owner",
                        "--reserve", "shop"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    token = re.search(r"^\s+(relay_\S+)$", r.stdout, re.M).group(1)
    assert "shop-owner" not in config.read_text(), "edge.yml was edited"
    assert redis_server.cli("HGET", "relay:name:shop", "owner").strip() == token_hash(token)
    # Another token cannot reserve a name the first one owns; nothing is written for it.
    clash = cli_token(redis_server, "add", "--label", "thief", "--reserve", "shop")
    assert clash.returncode == 1 and "owned by another token" in clash.stderr, clash
    assert "thief" not in redis_server.cli("HGETALL", "relay:tokens")
    assert token not in redis_dump(redis_server)


def test_cli_with_redis_down_or_a_bad_url(relay, redis_server):
    redis_server.kill()
    down = cli_token(redis_server, "add", "--label", "x")
    assert down.returncode == 1, down
    assert "redis" in down.stderr.lower(), down.stderr
    bad = subprocess.run([relay_bin(), "edge", "token", "list", "--cluster", "http://nope"], capture_output=True,
                         text=True, timeout=30)
    assert bad.returncode == 2, bad
    assert "--cluster" in bad.stderr, bad.stderr


def test_wrong_tokens_cost_no_more_redis_lookups_than_the_limiter_allows(relay, redis_server, pki):
    edge = cluster_edge(relay, redis_server, "edge-a", relay.authtoken, extra=["--auth-failures-per-minute", "3"])

    def hget_calls() -> int:
        m = re.search(r"cmdstat_hget:calls=(\d+)", redis_server.cli("INFO", "commandstats"))
        return int(m.group(1)) if m else 0

    before = hget_calls()
    statuses = [connect_attempt(edge, pki, f"relay_guess{i:04d}")[0] for i in range(12)]
    assert statuses[:3] == [401] * 3 and set(statuses[3:]) == {429}, statuses
    assert hget_calls() - before == 3, hget_calls() - before
