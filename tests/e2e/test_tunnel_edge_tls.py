"""Issue 2: `relay edge` + `relay http --edge ... --authtoken ... --edge-ca ...` over TLS, names."""

import re

from relay_harness import DOMAIN


def test_edge_and_agent_over_tls_with_authtoken(relay, edge, app):
    agent = relay.agent(app, edge)
    assert re.fullmatch(rf"http://[a-z0-9-]+\.{re.escape(DOMAIN)}:{edge.port}", agent.public_url), agent.stdout()
    assert agent.upstream_shown.endswith(f":{app.port}"), agent.stdout()
    r = agent.tunnel.curl("/echo/tls", "--data-binary", "hello over tls")
    assert r.status == 200, r
    assert r.body == b"hello over tls"
    assert app.wait_for_request("/echo/tls").body == b"hello over tls"


def test_url_flag_requests_a_fixed_name(relay, edge, app):
    agent = relay.agent(app, edge, url="myhook")
    assert agent.public_url == edge.url_for("myhook"), agent.stdout()
    r = agent.tunnel.curl("/fixed")
    assert r.status == 200, r
    assert r.body == b"ok /fixed\n"


def test_url_flag_accepts_a_full_url(relay, edge, app):
    agent = relay.agent(app, edge, url=f"http://fullurl.{DOMAIN}")
    assert agent.tunnel.name == "fullurl", agent.stdout()
    assert agent.tunnel.curl("/x").status == 200


def test_without_url_the_name_is_random(relay, edge, make_app):
    a1 = relay.agent(make_app(), edge)
    a2 = relay.agent(make_app(), edge)
    for a in (a1, a2):
        assert re.fullmatch(r"[a-z0-9]{8}", a.tunnel.name), a.public_url
    assert a1.tunnel.name != a2.tunnel.name


def test_many_agents_on_one_edge_each_reach_their_own_app(relay, edge, make_app):
    apps = [make_app() for _ in range(4)]
    agents = [relay.agent(a, edge) for a in apps]
    for i, (a, ag) in enumerate(zip(apps, agents)):
        r = ag.tunnel.curl(f"/who/{i}")
        assert r.status == 200, r
        assert r.body == f"ok /who/{i}\n".encode()
        assert [q.path for q in a.requests] == [f"/who/{i}"]
