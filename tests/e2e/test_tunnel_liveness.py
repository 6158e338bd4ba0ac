"""Issue 2: HTTP/2 PING keeps an idle session alive and detects a dead peer within ~30 s."""

import signal
import time

CODE = "relay-error-code"


def test_idle_session_stays_alive(relay, edge, app):
    agent = relay.agent(app, edge)
    assert agent.tunnel.curl("/before-idle").status == 200
    time.sleep(25)  # the idle period is the point of the test: nothing to poll for
    r = agent.tunnel.curl("/after-idle", timeout=5)
    assert r.status == 200, r
    assert "reconnect" not in agent.log().lower(), agent.tail()


def test_frozen_agent_is_detected_as_dead(relay, edge, app):
    agent = relay.agent(app, edge)
    assert agent.tunnel.curl("/alive").status == 200
    agent.send_signal(signal.SIGSTOP)  # the TCP connection stays open; only PING can tell
    frozen_at = time.monotonic()
    try:
        deadline = frozen_at + 50
        r = None
        while time.monotonic() < deadline:
            r = agent.tunnel.curl("/probe", "-H", "Accept: application/json", timeout=3)
            if r.status in (502, 404):
                break
        took = time.monotonic() - frozen_at
        assert r is not None and r.status in (502, 404), f"a frozen agent still looks alive after {took:.0f}s: {r}"
        assert r.header(CODE) in ("RELAY_AGENT_SESSION_LOST", "RELAY_TUNNEL_NOT_FOUND"), r
        assert took < 40, f"dead peer detected only after {took:.0f}s (issue: ~30 s)"
        assert edge.running()
    finally:
        agent.send_signal(signal.SIGCONT)
