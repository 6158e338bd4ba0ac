"""Hardening, items 6 and 7: relay's state on disk.

6. The capture database holds callers' Authorization and Cookie headers and bodies; the edge's
   holds which token owns which name. State and config directories are 0700, databases and their
   -wal/-shm 0600, whatever the umask (before: 0755 and 0644 under umask 022).
7. Two agents on one state directory keep every capture (before: the second agent's batches
   failed on `UNIQUE constraint failed: capture_batches.batch`, and its history was lost).
"""

from __future__ import annotations

import os
import stat
import subprocess
from contextlib import contextmanager
from pathlib import Path


from inspector_client import WEB_RX, Api
from relay_harness import relay_bin, wait_until


@contextmanager
def umask(mask: int):
    """relay inherits the test's umask, as from a login shell."""
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def start_inspected_agent(relay, app, edge, *extra: str):
    agent = relay.agent(app, edge, inspect=True, extra=["--inspect", "127.0.0.1:0", *extra])
    return agent, Api(agent.wait_for_output(WEB_RX)[1])


def capture_one(agent, api: Api, db: Path) -> None:
    """One request with credentials, until its capture is in the database's WAL."""
    r = agent.tunnel.curl("/secret", "-H", "Authorization: Bearer caller-secret", "-H", "Cookie: s=1")
    assert r.status == 200, r
    api.wait_complete(lambda c: c["request"]["uri"] == "/secret")
    wal = Path(str(db) + "-wal")
    wait_until(lambda: wal.exists() and wal.stat().st_size > 0, 10, f"{wal} to be written")


def default_state_dir(relay) -> Path:
    return relay.dir / "home" / "state" / "relay"  # $XDG_STATE_HOME/relay (the harness's HOME)


def test_capture_database_is_private_under_umask_022(relay, edge, app):
    with umask(0o022):
        agent, api = start_inspected_agent(relay, app, edge)
    state = default_state_dir(relay)
    db = state / "captures.db"
    capture_one(agent, api, db)
    assert mode(state) == 0o700, oct(mode(state))
    for f in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
        assert mode(f) == 0o600, f"{f}: {oct(mode(f))}"


def test_state_left_open_by_an_older_relay_is_made_private(relay, edge, app):
    state = default_state_dir(relay)
    state.mkdir(parents=True)
    state.chmod(0o755)
    db = state / "captures.db"
    db.touch()
    db.chmod(0o644)
    with umask(0o022):
        agent, api = start_inspected_agent(relay, app, edge)
    capture_one(agent, api, db)
    assert mode(state) == 0o700 and mode(db) == 0o600, (oct(mode(state)), oct(mode(db)))
    assert "state directory made private" in agent.log(), agent.log()


def test_a_state_dir_the_user_named_is_warned_about_not_changed(relay, edge, app, tmp_path):
    state = tmp_path / "shared-state"
    state.mkdir()
    state.chmod(0o755)
    with umask(0o022):
        agent, api = start_inspected_agent(relay, app, edge, "--state-dir", str(state))
    capture_one(agent, api, state / "captures.db")
    assert mode(state) == 0o755
    assert mode(state / "captures.db") == 0o600
    warned = [r for r in agent.log_records() if "open to other local users" in r.get("msg", "")]
    assert warned and warned[0].get("fix") == f"chmod 700 {state}", agent.log()


def test_edge_state_is_private_under_umask_022(relay, app):
    with umask(0o022):
        edge = relay.edge()
    relay.agent(app, edge, url="hook")  # a first claim: edge.db is written
    assert mode(edge.state_dir) == 0o700, oct(mode(edge.state_dir))
    for name in ("edge.db", "edge.db-wal", "edge.db-shm"):
        assert mode(edge.state_dir / name) == 0o600, f"{name}: {oct(mode(edge.state_dir / name))}"


def test_config_directory_is_private_under_umask_022(relay):
    home = relay.dir / "home"
    home.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, HOME=str(home), XDG_CONFIG_HOME=str(home / "config"))
    with umask(0o022):
        r = subprocess.run([relay_bin(), "config", "add-authtoken", "e2etok_" + "0" * 32], env=env,
                           capture_output=True, text=True, timeout=20)
    assert r.returncode == 0, r.stderr
    assert mode(home / "config" / "relay") == 0o700
    assert mode(home / "config" / "relay" / "relay.yml") == 0o600


def test_two_agents_on_one_state_dir_keep_every_capture(relay, edge, make_app, tmp_path):
    state = tmp_path / "one-state-dir"
    count = 30
    app_a, app_b = make_app(), make_app()
    a, api_a = start_inspected_agent(relay, app_a, edge, "--state-dir", str(state))
    b, api_b = start_inspected_agent(relay, app_b, edge, "--state-dir", str(state))
    for i in range(count):
        assert a.tunnel.curl(f"/a/{i}").status == 200
        assert b.tunnel.curl(f"/b/{i}").status == 200
    api_a.wait_complete(lambda c: c["request"]["uri"].startswith("/a/"), count=count)
    api_b.wait_complete(lambda c: c["request"]["uri"].startswith("/b/"), count=count)
    a.stop()
    b.stop()

    # Either agent restarted on that directory shows the history of both.
    again, api = start_inspected_agent(relay, app_a, edge, "--state-dir", str(state))
    uris = [c["request"]["uri"] for c in api.requests(limit=500)]
    kept_a = sum(u.startswith("/a/") for u in uris)
    kept_b = sum(u.startswith("/b/") for u in uris)
    print(f"history after restart: {kept_a}/{count} of the first agent, {kept_b}/{count} of the second")
    assert (kept_a, kept_b) == (count, count), uris
    for agent in (a, b):
        assert "UNIQUE constraint" not in agent.log(), agent.log()
        assert "cannot write captures" not in agent.log(), agent.log()
    # In arrival order, newest first, across both agents.
    assert uris.index(f"/b/{count - 1}") < uris.index("/a/0")
