"""Issue 2: edge restart (agent reconnects, same URL), agent death (prompt 502/404), graceful
SIGTERM of agent and edge (in-flight requests finish, exit 0)."""

import signal
import threading
import time

from relay_harness import wait_until

CODE = "relay-error-code"


def test_edge_restart_agent_reconnects_and_the_same_url_works(relay, edge, app):
    agent = relay.agent(app, edge)  # random name: the agent must ask for it again
    url = agent.public_url
    assert agent.tunnel.curl("/before").status == 200
    edge.kill()
    edge2 = relay.edge(port=edge.port, agent_port=edge.agent_port)

    def works():
        r = agent.tunnel.curl("/after", timeout=3)
        return r.status == 200 and r.body == b"ok /after\n"

    try:
        wait_until(works, 40, f"{url} to work again after the edge restarted", interval=0.25)
    except TimeoutError as e:
        raise AssertionError(f"{e}\nagent:\n{agent.tail()}\nedge:\n{edge2.tail()}")
    assert agent.running()
    assert agent.tunnel.public_url == url


def test_killed_agent_tunnel_answers_at_once(relay, edge, app):
    agent = relay.agent(app, edge)
    t = agent.tunnel
    assert t.curl("/alive").status == 200
    agent.kill()  # SIGKILL: no goodbye, the kernel closes the socket
    killed_at = time.monotonic()
    r = t.curl("/gone", "-H", "Accept: application/json", timeout=5)
    took = time.monotonic() - killed_at
    assert r.status in (502, 404), r
    assert r.header(CODE) in ("RELAY_AGENT_SESSION_LOST", "RELAY_TUNNEL_NOT_FOUND"), r
    assert took < 2.0, f"answered after {took:.2f}s"
    assert edge.running()


def test_agent_sigterm_is_graceful(relay, edge, app):
    agent = relay.agent(app, edge)
    t = agent.tunnel
    result = {}
    slow = threading.Thread(target=lambda: result.setdefault("r", t.curl("/delay/2", timeout=15)))
    slow.start()
    app.wait_for_request("/delay/2", timeout=5)  # in flight at the app
    agent.send_signal(signal.SIGTERM)
    code = agent.wait(timeout=15)
    slow.join(timeout=15)
    r = result["r"]
    assert r.status == 200 and r.body == b"slept\n", r
    assert code == 0, f"agent exit code {code} after SIGTERM:\n{agent.tail()}"


def test_agent_sigint_exits_zero(relay, edge, app):
    agent = relay.agent(app, edge)
    agent.send_signal(signal.SIGINT)
    assert agent.wait(timeout=10) == 0, agent.tail()


def test_edge_sigterm_is_graceful(relay, edge, app):
    agent = relay.agent(app, edge)
    t = agent.tunnel
    result = {}
    slow = threading.Thread(target=lambda: result.setdefault("r", t.curl("/delay/2", timeout=15)))
    slow.start()
    app.wait_for_request("/delay/2", timeout=5)
    edge.send_signal(signal.SIGTERM)
    code = edge.wait(timeout=15)
    slow.join(timeout=15)
    r = result["r"]
    assert r.status == 200 and r.body == b"slept\n", r
    assert code == 0, f"edge exit code {code} after SIGTERM:\n{edge.tail()}"


def test_embedded_sigterm_exits_zero(relay, app):
    agent = relay.agent(str(app.port), edge=None)
    assert agent.tunnel.curl("/e").status == 200
    agent.send_signal(signal.SIGTERM)
    assert agent.wait(timeout=10) == 0, agent.tail()
