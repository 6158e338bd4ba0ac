"""Cluster: the operator commands read the cluster's state (issue 12's last minor item,
docs/cluster.md "Operator commands"). `relay edge queue stats|list` and `relay edge names
list|release` with `--cluster URL` (or the config file's cluster.redis) read and change what every
edge shares in Redis. Before this they always opened the local SQLite file, which a cluster edge
does not use: they said "no delivery is stored" while Redis held a backlog."""

from __future__ import annotations

import hashlib
import subprocess

from relay_harness import relay_bin
from test_cluster_queue import hook_away_from_two_edges
from test_delivery_drain import apps, post, queued_id  # noqa: F401


def edge_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([relay_bin(), "edge", *args], capture_output=True, text=True, timeout=30,
                          env={"PATH": "/usr/bin:/bin"})


def test_queue_and_names_of_the_cluster_come_from_redis(relay, redis_server, apps, tmp_path):
    edge_a, edge_b, _ = hook_away_from_two_edges(relay, redis_server, apps)
    ids = [queued_id(post(edge_b, "hook", f"/q/{i}", b'{"n":%d}' % i)) for i in range(3)]
    ids.append(queued_id(post(edge_a, "hook", "/q/3", b'{"n":3}')))

    # Both edges' deliveries, from one Redis.
    stats = edge_cli("queue", "stats", "--cluster", redis_server.url)
    assert stats.returncode == 0, stats.stderr
    row = next(line.split() for line in stats.stdout.splitlines() if line.startswith("hook"))
    assert row[1] == "4", stats.stdout  # queued
    listed = edge_cli("queue", "list", "--cluster", redis_server.url, "--tunnel", "hook", "--state", "queued")
    assert listed.returncode == 0, listed.stderr
    for delivery_id in ids:
        assert delivery_id in listed.stdout, listed.stdout
    assert "/q/3" in listed.stdout
    one = edge_cli("queue", "list", "--cluster", redis_server.url, "--limit", "1")
    assert sum(delivery_id in one.stdout for delivery_id in ids) == 1, one.stdout

    # The config file's cluster.redis picks Redis too; an explicit --state-dir stays local.
    config = tmp_path / "edge.yml"
    config.write_text(f"cluster:\n  redis: {redis_server.url}\n")
    by_config = edge_cli("queue", "stats", "--config", str(config))
    assert by_config.returncode == 0 and "hook" in by_config.stdout, by_config
    local = tmp_path / "state"
    local.mkdir()
    own_files = edge_cli("queue", "stats", "--config", str(config), "--state-dir", str(local))
    assert own_files.returncode == 1 and "does not exist" in own_files.stderr, own_files

    # The name the agent's token claimed, shared by the edges.
    owner = hashlib.sha256(relay.authtoken.encode()).hexdigest()
    names = edge_cli("names", "list", "--cluster", redis_server.url)
    assert names.returncode == 0, names.stderr
    assert any(line.split()[:2] == ["hook", owner[:16]] for line in names.stdout.splitlines()), names.stdout
    released = edge_cli("names", "release", "--cluster", redis_server.url, "hook")
    assert released.returncode == 0, released.stderr
    assert f"it was owned by the token {owner[:16]}" in released.stdout
    assert redis_server.cli("EXISTS", "relay:name:hook").strip() == "0"
    again = edge_cli("names", "release", "--cluster", redis_server.url, "hook")
    assert again.returncode == 1 and "no authtoken owns 'hook'" in again.stderr, again
    assert "hook" not in edge_cli("names", "list", "--cluster", redis_server.url).stdout
    # The queue is untouched by all of this.
    assert "hook" in edge_cli("queue", "stats", "--cluster", redis_server.url).stdout


def test_cluster_commands_with_redis_down_or_a_bad_url(redis_server):
    url = redis_server.url
    redis_server.kill()
    for args in (["queue", "stats"], ["queue", "list"], ["names", "list"], ["names", "release", "hook"]):
        down = edge_cli(*args, "--cluster", url)
        assert down.returncode == 1, (args, down)
        assert "cannot reach the cluster's Redis at" in down.stderr, (args, down.stderr)
        assert "check --cluster (or cluster.redis in edge.yml)" in down.stderr
    bad = edge_cli("queue", "stats", "--cluster", "http://127.0.0.1:1/0")
    assert bad.returncode == 2 and "relay edge queue stats: --cluster:" in bad.stderr, bad
