"""Issue 12 (agents): an agent holds sessions to two edges at once (`--edge A --edge B`,
`edges:` + `ha_connections:` in relay.yml), serves requests from both, keeps serving through one
when the other is killed, and reconnects to it when it returns."""

from __future__ import annotations

import http.client
import os
import re
import subprocess
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from relay_harness import (DOMAIN, Edge, RelayProcess, Tunnel, agent_config_yaml, has_flag, relay_bin,
                           wait_until)

pytestmark = pytest.mark.skipif(not has_flag("http", "--ha-connections"),
                                reason="NOT BUILT YET: relay http --ha-connections")

SANITIZED = bool(os.environ.get("RELAY_SANITIZED"))
# The bounded loop through the surviving edge: count and spacing (~4 s either way).
LOOP_COUNT = 100 if SANITIZED else 200
LOOP_GAP = 0.04 if SANITIZED else 0.02


def get(edge: Edge, name: str, path: str, timeout: float = 5) -> int:
    """GET through `edge`'s public port for tunnel `name`; the status, or 0 on a transport error."""
    conn = http.client.HTTPConnection("127.0.0.1", edge.port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Host": f"{name}.{edge.domain}:{edge.port}"})
        resp = conn.getresponse()
        resp.read()
        return resp.status
    except OSError:
        return 0
    finally:
        conn.close()


def wait_served(edge: Edge, name: str, timeout: float = 20) -> None:
    wait_until(lambda: get(edge, name, "/json/ready") == 200, timeout,
               f"tunnel {name} served through the edge on port {edge.port}")


def ha_agent(relay, app, a: Edge, b: Edge, *extra: str, url: str | None = None, **kw):
    return relay.agent(app, a, url=url, extra=["--edge", b.agent_addr, *extra], **kw)


def link_online_count(agent, edge: Edge) -> int:
    return sum(1 for r in agent.log_records()
               if r.get("msg") == "edge link online" and r.get("edge") == edge.agent_addr)


def test_requests_through_both_edges_reach_the_app(relay, app):
    a, b = relay.edge(), relay.edge()
    agent = ha_agent(relay, app, a, b)  # a random name: the second edge is asked for the first's
    name = agent.tunnel.name
    wait_served(a, name)
    wait_served(b, name)
    assert get(a, name, "/json/via-a") == 200
    assert get(b, name, "/json/via-b") == 200
    assert app.requests_to("/json/via-a") and app.requests_to("/json/via-b")
    # One "started tunnel" line for the URL (client libraries wait for it), not one per edge.
    started = [r for r in agent.log_records() if r.get("msg") == "started tunnel"]
    assert len(started) == 1, agent.log()
    assert not any("different name" in r.get("msg", "") for r in agent.log_records()), agent.log()


def test_killing_one_edge_loses_no_request_through_the_other(relay, app):
    a, b = relay.edge(), relay.edge()
    agent = ha_agent(relay, app, a, b, url="ha-kill")
    wait_served(a, "ha-kill")
    wait_served(b, "ha-kill")

    results: list[int] = []

    def loop():
        for i in range(LOOP_COUNT):
            results.append(get(b, "ha-kill", f"/json/loop-{i}"))
            time.sleep(LOOP_GAP)

    t = threading.Thread(target=loop)
    t.start()
    time.sleep(1.0)
    a.kill()  # SIGKILL: no GOAWAY, the agent finds out from the dead connection
    t.join(timeout=60)
    assert not t.is_alive()
    failures = [s for s in results if s != 200]
    print(f"through the surviving edge: {len(results)} requests, {len(failures)} failed")
    assert len(results) == LOOP_COUNT
    assert not failures, f"{len(failures)} of {len(results)} failed through edge B: {failures[:10]}"

    # The agent says which edge went away.
    agent.wait_for_output(rf"session with the edge ended.*edge={re.escape(a.agent_addr)}", timeout=15)
    assert link_online_count(agent, a) == 1

    # Edge A back on the same ports and state: the agent's link to it reconnects by itself.
    a2 = Edge(a.pki, a.authtoken, relay.dir, port=a.port, agent_port=a.agent_port, state_dir=a.state_dir)
    relay.processes.append(a2)
    a2.wait_ready()
    wait_until(lambda: link_online_count(agent, a) >= 2, 30, "the agent's link to edge A to come back")
    wait_served(a2, "ha-kill")
    assert get(a2, "ha-kill", "/json/after-restart") == 200
    assert get(b, "ha-kill", "/json/b-still") == 200
    assert agent.running()


def test_status_api_lists_each_link(relay, app, tmp_path):
    from inspector_client import start_agent
    a, b = relay.edge(), relay.edge()
    agent, api = start_agent(relay, app, a, tmp_path / "state", extra=["--url", "ha-status", "--edge", b.agent_addr])
    wait_served(a, "ha-status")
    wait_served(b, "ha-status")

    def status_when(predicate):
        def check():
            code, s = api.get("/api/status")
            return s if code == 200 and predicate(s["session"]["links"]) else None
        return check

    s = wait_until(status_when(lambda links: all(l["state"] == "online" for l in links)), 10,
                   "both links online in /api/status")
    assert s["status"] == "online"
    assert sorted(l["edge"] for l in s["session"]["links"]) == sorted([a.agent_addr, b.agent_addr])
    a.kill()
    s = wait_until(status_when(lambda links: any(l["state"] != "online" for l in links)), 15,
                   "edge A's link not online in /api/status")
    assert s["status"] == "online"  # edge B still holds the tunnel
    states = {l["edge"]: l["state"] for l in s["session"]["links"]}
    assert states[b.agent_addr] == "online" and states[a.agent_addr] in ("connecting", "reconnecting")
    assert agent.running()


def write_config(tmp_path, a: Edge, b: Edge, app, head: str) -> str:
    text = agent_config_yaml(a, f"""  hook:
    addr: 127.0.0.1:{app.port}
    url: ha-cfg
""")
    text = text.replace(f"edge: {a.agent_addr}\n", head)
    path = tmp_path / "relay.yml"
    path.write_text(text)
    return str(path)


def test_config_edges_and_ha_connections_via_start(relay, app, tmp_path):
    a, b = relay.edge(), relay.edge()
    config = write_config(tmp_path, a, b, app, f"edges: [{a.agent_addr}, {b.agent_addr}]\nha_connections: 2\n")
    p = RelayProcess("start", ["start", "--all", "--config", config], relay.dir)
    relay.processes.append(p)
    wait_served(a, "ha-cfg")
    wait_served(b, "ha-cfg")
    assert get(a, "ha-cfg", "/json/cfg-a") == 200
    assert get(b, "ha-cfg", "/json/cfg-b") == 200


def run_relay(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([relay_bin(), *args], capture_output=True, text=True, timeout=30, cwd=cwd)


def stub_edge(pki, authtoken: str, port: int):
    """What write_config needs of an edge, for configs that are only checked."""
    return SimpleNamespace(authtoken=authtoken, pki=pki, agent_addr=f"127.0.0.1:{port}")


def test_edge_and_edges_together_is_a_config_error(pki, authtoken, app, tmp_path):
    a, b = stub_edge(pki, authtoken, 4443), stub_edge(pki, authtoken, 4444)
    config = write_config(tmp_path, a, b, app, f"edge: {a.agent_addr}\nedges: [{b.agent_addr}]\n")
    r = run_relay("config", "check", "--config", config)
    assert r.returncode == 1, r
    out = r.stdout + r.stderr
    assert re.search(r"relay\.yml:\d+", out), out  # file:line
    assert "edges" in out and "not both" in out, out
    r = run_relay("start", "--all", "--config", config)
    assert r.returncode == 1, r
    assert "not both" in r.stdout + r.stderr


@pytest.mark.parametrize("value", ["0", "9", "two"])
def test_ha_connections_out_of_range_is_a_usage_error(value):
    # The same exit code as any other bad flag value.
    other = run_relay("http", "3000", "--edge", "127.0.0.1:1", "--verify-webhook-enforce", "maybe")
    r = run_relay("http", "3000", "--edge", "127.0.0.1:1", "--ha-connections", value)
    assert r.returncode == other.returncode != 0, (r, other)
    assert "--ha-connections" in r.stderr and "1 to 8" in r.stderr, r.stderr


def test_bad_ha_connections_in_config_names_the_key(pki, authtoken, app, tmp_path):
    a, b = stub_edge(pki, authtoken, 4443), stub_edge(pki, authtoken, 4444)
    config = write_config(tmp_path, a, b, app, f"edges: [{a.agent_addr}, {b.agent_addr}]\nha_connections: 9\n")
    r = run_relay("config", "check", "--config", config)
    assert r.returncode == 1, r
    out = r.stdout + r.stderr
    assert "ha_connections" in out and "1 to 8" in out, out


def test_one_edge_refusing_the_token_leaves_the_other_serving(relay, app):
    a = relay.edge()
    b = relay.edge(authtoken="e2etok_" + "0" * 32)  # does not know the agent's token
    agent = ha_agent(relay, app, a, b, url="ha-half")
    wait_served(a, "ha-half")
    agent.wait_for_output(rf"edge refused the session.*edge={re.escape(b.agent_addr)}", timeout=15)
    assert get(a, "ha-half", "/json/half") == 200
    time.sleep(0.5)
    assert agent.running(), agent.tail()


def test_every_edge_refusing_the_token_stops_the_agent(relay, app):
    other = "e2etok_" + "0" * 32
    a, b = relay.edge(authtoken=other), relay.edge(authtoken=other)
    agent = ha_agent(relay, app, a, b, wait=False, authtoken=relay.authtoken)
    code = agent.wait(timeout=30)
    assert code != 0
    assert re.search(r"auth", agent.output(), re.I), agent.tail()


def test_runtime_tunnels_bind_and_unbind_on_every_edge(relay, app, make_app, tmp_path):
    from inspector_client import start_agent
    a, b = relay.edge(), relay.edge()
    agent, api = start_agent(relay, app, a, tmp_path / "state", extra=["--url", "ha-first", "--edge", b.agent_addr])
    agent.wait_ready()
    wait_served(b, "ha-first")
    other = make_app()
    status, t = api.call("POST", "/api/tunnels", {"name": "second", "addr": other.port, "proto": "http",
                                                  "url": "ha-second"})
    assert status == 201, t
    wait_served(a, "ha-second", timeout=5)
    wait_served(b, "ha-second", timeout=5)
    assert get(b, "ha-second", "/json/second-b") == 200 and other.requests_to("/json/second-b")
    assert api.call("DELETE", "/api/tunnels/second")[0] == 204
    wait_until(lambda: get(a, "ha-second", "/json/gone") == 404 and get(b, "ha-second", "/json/gone") == 404, 10,
               "the removed tunnel to answer 404 through both edges")
    assert get(b, "ha-first", "/json/first-still") == 200


# Resolves names from a hosts file of the test's own, for one process (cwrap's nss_wrapper,
# LD_PRELOADed): this machine's /etc/hosts is not touched.
NSS_WRAPPER = Path("/usr/lib/x86_64-linux-gnu/libnss_wrapper.so")


@pytest.mark.skipif(not NSS_WRAPPER.exists(),
                    reason="libnss-wrapper is not installed (scripts/install-deps.sh installs it)")
def test_one_edge_name_with_two_addresses_gets_a_session_on_each(relay, app, tmp_path):
    """`--edge NAME:PORT --ha-connections 2` where NAME has two addresses: link i starts at the
    i-th address, so the two sessions go to the two edges behind the name (docs/cluster.md, "Agents
    on several edges"), as with two A records in DNS."""
    a = relay.edge()
    b = Edge(relay.pki, relay.authtoken, relay.dir, agent_port=a.agent_port, agent_host="127.0.0.2")
    relay.processes.append(b)
    b.wait_ready()
    name = f"edges.{DOMAIN}"  # the edges' certificate has *.relay.test
    hosts = tmp_path / "hosts"
    hosts.write_text(f"127.0.0.1 {name}\n127.0.0.2 {name}\n")
    env = {"LD_PRELOAD": str(NSS_WRAPPER), "NSS_WRAPPER_HOSTS": str(hosts),
           # A sanitized build wants its runtime first among the loaded libraries.
           "ASAN_OPTIONS": ":".join(filter(None, [os.environ.get("ASAN_OPTIONS"), "verify_asan_link_order=0"]))}
    agent = relay.agent(app, a, url="twice", edge_addr=f"{name}:{a.agent_port}",
                        extra=["--ha-connections", "2"], env=env)
    wait_served(a, "twice")
    wait_served(b, "twice")  # only the second address leads to edge B
    online = [r for r in agent.log_records() if r.get("msg") == "edge link online"]
    assert {r.get("edge") for r in online} == {f"{name}:{a.agent_port}"}, online
    assert sorted(r.get("address") for r in online) == [f"127.0.0.1:{a.agent_port}",
                                                        f"127.0.0.2:{a.agent_port}"], online
    for edge in (a, b):
        assert any(r.get("msg", "").startswith("agent connected") for r in edge.log_records()), edge.tail()
