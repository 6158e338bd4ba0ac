"""Durable delivery (issue 11), the store: `relay edge queue stats|list` read the queue in the
edge's state database (edge.db) while the edge runs, like `relay edge names`; `relay edge
--store-max-size` caps the database. Before, neither command nor flag existed, and edge.db had no
queue (schema 1)."""

from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path

from relay_harness import relay_bin


def queue(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([relay_bin(), "edge", "queue", *args], capture_output=True, text=True,
                          timeout=30)


def test_stats_and_list_of_a_running_edges_empty_queue(relay):
    edge = relay.edge(extra=["--store-max-size", "64MiB"])
    state = str(edge.state_dir)

    stats = queue("stats", "--state-dir", state)
    assert stats.returncode == 0, stats.stderr
    assert "no delivery is stored" in stats.stdout, stats.stdout
    assert str(Path(state) / "edge.db") in stats.stdout, stats.stdout

    listed = queue("list", "--state-dir", state, "--tunnel", "hook", "--state", "dead",
                   "--limit", "5")
    assert listed.returncode == 0, listed.stderr
    assert "no delivery matches" in listed.stdout, listed.stdout

    # The edge made the queue's tables (schema 2) and is still serving after our reads.
    db = sqlite3.connect(f"file:{Path(state) / 'edge.db'}?mode=ro", uri=True)
    try:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        version = db.execute("SELECT max(version) FROM schema_version").fetchone()[0]
    finally:
        db.close()
    assert {"deliveries", "delivery_events", "tunnel_policies", "tunnel_names"} <= tables, tables
    assert version == 2
    assert edge.running(), edge.tail()


def test_bad_arguments_say_what_is_expected(relay, tmp_path):
    edge = relay.edge()
    bad_state = queue("list", "--state-dir", str(edge.state_dir), "--state", "lost")
    assert bad_state.returncode != 0
    assert "one of queued, delivering, delivered, dead" in bad_state.stderr, bad_state.stderr

    bad_limit = queue("list", "--state-dir", str(edge.state_dir), "--limit", "0")
    assert bad_limit.returncode != 0
    assert "--limit must be from 1 to 10000" in bad_limit.stderr, bad_limit.stderr

    bad_size = subprocess.run([relay_bin(), "edge", "--state-dir", str(tmp_path / "x"),
                               "--tls-cert", str(relay.pki.edge_cert), "--tls-key",
                               str(relay.pki.edge_key), "--allow-anonymous",
                               "--store-max-size", "lots"],
                              capture_output=True, text=True, timeout=30)
    assert bad_size.returncode != 0
    assert "--store-max-size" in bad_size.stderr and "2GiB" in bad_size.stderr, bad_size.stderr


def test_stats_without_a_database_names_the_flag_to_pass(tmp_path):
    missing = tmp_path / "never-ran"
    stats = queue("stats", "--state-dir", str(missing))
    assert stats.returncode != 0
    assert "does not exist" in stats.stderr and "--state-dir" in stats.stderr, stats.stderr
    assert not (missing / "edge.db").exists(), "an operator command created a database"
