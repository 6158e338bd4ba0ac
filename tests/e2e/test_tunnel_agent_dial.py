"""Issue 2: the agent's dial: bad authtoken, edge unreachable (backoff), name held, wrong cert."""

import re
import time

from relay_harness import free_port, wait_until


def test_bad_authtoken_exits_non_zero_without_retrying(relay, edge, app):
    agent = relay.agent(app, edge, authtoken="e2etok_wrong_wrong_wrong", wait=False)
    try:
        code = agent.wait(timeout=15)
    except Exception:
        raise AssertionError(f"the agent kept running with a bad authtoken:\n{agent.tail()}")
    assert code != 0
    out = agent.output()
    assert re.search(r"authentication failed: \S", out), out
    assert "Forwarding" not in agent.stdout()
    # A permanent error: one attempt, no retry loop.
    assert len(re.findall(r"retr(y|ying)", out, re.I)) == 0, out
    assert edge.running()


def test_missing_authtoken_exits_non_zero(relay, edge, app):
    agent = relay.agent(app, edge, authtoken="", wait=False)
    code = agent.wait(timeout=15)
    assert code != 0
    assert re.search(r"authentication failed|authtoken", agent.output(), re.I), agent.output()


def _retry_lines(agent):
    return [line for line in agent.log().splitlines() if re.search(r"retr(y|ying)|reconnect", line, re.I)]


def test_edge_unreachable_retries_with_backoff_and_says_so(relay, pki, authtoken, app):
    port = free_port()  # nothing listens there (yet)
    agent = relay.agent(app, None, edge_addr=f"127.0.0.1:{port}", authtoken=authtoken, edge_ca=pki.ca, wait=False)
    # 0.25 s → 0.5 → 1 → 2 ... with full jitter: at least 3 attempts announced within ~8 s.
    try:
        wait_until(lambda: len(_retry_lines(agent)) >= 3, 10, "3 retry announcements")
    except TimeoutError:
        raise AssertionError(f"expected >= 3 retry lines in the agent log:\n{agent.tail()}")
    assert agent.running(), "an unreachable edge is not a permanent error: the agent must keep trying"
    lines = _retry_lines(agent)
    # Each announcement says when the next try is (a delay), so the user knows it is backing off.
    assert all(re.search(r"\d+(\.\d+)?\s*(ms|s)\b|=\d", line) for line in lines), lines


def test_agent_connects_once_the_edge_appears(relay, pki, authtoken, app):
    port = free_port()
    agent = relay.agent(app, None, edge_addr=f"127.0.0.1:{port}", authtoken=authtoken, edge_ca=pki.ca,
                        url="late", wait=False)
    wait_until(lambda: len(_retry_lines(agent)) >= 2, 10, "2 retry announcements")
    edge = relay.edge(agent_port=port)
    agent.wait_ready(timeout=40)  # backoff is capped; a couple of attempts at most
    assert agent.public_url == edge.url_for("late")
    assert agent.tunnel.curl("/late").status == 200


def test_name_already_held_gives_a_clear_error_naming_it(relay, edge, make_app):
    first = relay.agent(make_app(), edge, url="taken")
    second = relay.agent(make_app(), edge, url="taken", wait=False)
    m = second.wait_for_output(r"(?i)[^\n]*taken[^\n]*(already|in use|held|taken by)[^\n]*|"
                               r"[^\n]*(already|in use|held)[^\n]*taken[^\n]*", timeout=15)
    assert "Forwarding" not in second.stdout()
    # It says what to do, too: it names the flag or suggests another name.
    print("message:", m.group(0))
    r = first.tunnel.curl("/mine")
    assert r.status == 200 and r.body == b"ok /mine\n", r
    # A held name is a permanent error for this request: no endless retry loop.
    try:
        code = second.wait(timeout=10)
        assert code != 0
    except Exception:
        raise AssertionError(f"the second agent kept running after a 409 for its name:\n{second.tail()}")


def test_wrong_edge_certificate_is_refused_with_a_message(relay, edge, app, pki):
    agent = relay.agent(app, edge, edge_ca=pki.wrong_ca, wait=False)
    m = agent.wait_for_output(r"(?i)[^\n]*certificate[^\n]*", timeout=15)
    assert re.search(r"(?i)verif|untrusted|not trusted|unknown ca|self.signed|issuer", m.group(0)), m.group(0)
    time.sleep(0.5)
    assert "Forwarding" not in agent.stdout()
    assert not edge.url_for("x") in agent.stdout()
