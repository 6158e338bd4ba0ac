"""Hardening, item 3: a tunnel name belongs to the authtoken that first bound it, across edge
restarts (the edge keeps ownership in <state-dir>/edge.db). Before, names lived in memory only:
right after an edge restart another token could claim `hook` and receive its owner's webhooks."""

from __future__ import annotations

import hashlib
import signal
import subprocess


from relay_harness import Edge, new_authtoken, relay_bin, wait_until



def names(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([relay_bin(), "edge", "names", *args], capture_output=True, text=True, timeout=30)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def refused_agent(relay, app, edge: Edge, name: str, token: str):
    """An agent of `token` asking for `name`: it must exit with the edge's refusal, not serve."""
    agent = relay.agent(app, edge, url=name, authtoken=token, wait=False)
    try:
        agent.wait(timeout=20)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"another authtoken took '{name}':\n{agent.tail()}") from None
    assert agent.exit_code != 0, agent.tail()
    said = agent.output()
    assert "belongs to another authtoken" in said, said
    assert f"relay edge names release {name}" in said, said
    return agent


def restart(relay, edge: Edge, *extra: str) -> Edge:
    """The same edge again: same ports, tokens and state directory."""
    e = Edge(relay.pki, edge.authtoken, relay.dir, port=edge.port, agent_port=edge.agent_port,
             state_dir=edge.state_dir, extra=list(extra))
    relay.processes.append(e)
    return e.wait_ready()


def test_name_survives_kill_9_of_the_edge(relay, make_app):
    owner_app, thief_app = make_app(), make_app()
    thief_token = new_authtoken()
    edge = relay.edge(extra=["--authtoken", thief_token])
    owner = relay.agent(owner_app, edge, url="hook")
    assert owner.tunnel.curl("/before").status == 200
    owner_app.wait_for_request("/before")

    # The owner's agent is frozen (a laptop asleep) so that the other token is surely first
    # after the restart, as an attacker racing the reconnect would try to be.
    owner.send_signal(signal.SIGSTOP)
    try:
        edge.kill()
        edge = restart(relay, edge, "--authtoken", thief_token)
        refused_agent(relay, thief_app, edge, "hook", thief_token)
        refused = [r for r in edge.log_records() if r.get("msg") == "agent refused"]
        assert refused and refused[-1].get("code") == "name_owned" and refused[-1].get("status") == "409", \
            edge.log()
    finally:
        owner.send_signal(signal.SIGCONT)

    # The owner reconnects on its own and gets its name back; nothing reached the other app.
    def served():
        return owner.tunnel.curl("/after", timeout=5).status == 200
    wait_until(served, 30, "the owner's agent to serve hook again")
    owner_app.wait_for_request("/after")
    assert not thief_app.requests_to("/"), "a request reached the other token's app"


def test_operator_lists_and_releases_a_name_while_the_edge_runs(relay, make_app):
    first_app, second_app = make_app(), make_app()
    second_token = new_authtoken()
    # No resume grace: once the first agent stops, only ownership stands in the way.
    edge = relay.edge(extra=["--authtoken", second_token, "--resume-grace", "0"])
    first = relay.agent(first_app, edge, url="hook")

    listed = names("list", "--state-dir", str(edge.state_dir))
    assert listed.returncode == 0, listed.stderr
    row = next(line for line in listed.stdout.splitlines() if line.split()[:1] == ["hook"])
    assert token_hash(relay.authtoken)[:16] in row, listed.stdout
    assert relay.authtoken not in listed.stdout + listed.stderr  # the hash, never the token

    first.stop()
    refused_agent(relay, second_app, edge, "hook", second_token)

    released = names("release", "hook", "--state-dir", str(edge.state_dir))
    assert released.returncode == 0, released.stderr
    assert "Released 'hook'" in released.stdout
    again = names("release", "hook", "--state-dir", str(edge.state_dir))
    assert again.returncode != 0 and "no authtoken owns 'hook'" in again.stderr

    second = relay.agent(second_app, edge, url="hook", authtoken=second_token)
    assert second.tunnel.curl("/mine").status == 200
    second_app.wait_for_request("/mine")
    listed = names("list", "--state-dir", str(edge.state_dir))
    assert token_hash(second_token)[:16] in listed.stdout, listed.stdout


def test_random_names_are_owned_too(relay, make_app):
    app = make_app()
    other_token = new_authtoken()
    edge = relay.edge(extra=["--authtoken", other_token])
    agent = relay.agent(app, edge)
    name = agent.public_url.split("//", 1)[1].split(".", 1)[0]
    agent.stop()
    edge.stop()
    edge = restart(relay, edge, "--authtoken", other_token)
    refused_agent(relay, make_app(), edge, name, other_token)


def test_corrupt_state_database_stops_the_edge_with_what_to_do(relay):
    edge = relay.edge()
    edge.stop()
    db = edge.state_dir / "edge.db"
    db.write_bytes(b"not a database " * 1000)
    for suffix in ("-wal", "-shm"):
        (edge.state_dir / f"edge.db{suffix}").unlink(missing_ok=True)
    broken = Edge(relay.pki, relay.authtoken, relay.dir, state_dir=edge.state_dir)
    relay.processes.append(broken)
    assert broken.wait(timeout=20) != 0
    said = broken.output()
    assert str(db) in said and "move it" in said, said
