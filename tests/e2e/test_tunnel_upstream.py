"""Issue 2: the upstream forms of `relay http`, upstream TLS, and localhost on IPv4 or IPv6."""

import pytest


@pytest.mark.parametrize("form", ["{port}", "localhost:{port}", "127.0.0.1:{port}", "http://127.0.0.1:{port}",
                                  "http://localhost:{port}"])
def test_upstream_forms_reach_the_app(relay, edge, app, form):
    agent = relay.agent(form.format(port=app.port), edge)
    r = agent.tunnel.curl("/echo/form", "--data-binary", form)
    assert r.status == 200, r
    assert r.body == form.encode()
    assert app.wait_for_request("/echo/form").body == form.encode()


def test_bare_port_is_shown_as_http_localhost(relay, edge, app):
    agent = relay.agent(str(app.port), edge)
    assert agent.upstream_shown == f"http://localhost:{app.port}", agent.stdout()


def test_https_upstream_with_a_self_signed_app(relay, edge, make_app, pki):
    app = make_app(tls=(pki.app_cert, pki.app_key))
    agent = relay.agent(f"https://127.0.0.1:{app.port}", edge)
    r = agent.tunnel.curl("/echo/tls-upstream", "--data-binary", "secret payload")
    assert r.status == 200, r
    assert r.body == b"secret payload"


def test_https_upstream_via_localhost(relay, edge, make_app, pki):
    app = make_app(tls=(pki.app_cert, pki.app_key))
    agent = relay.agent(f"https://localhost:{app.port}", edge)
    r = agent.tunnel.curl("/json")
    assert r.status == 200, r


@pytest.mark.parametrize("host", ["::1", "127.0.0.1"])
def test_localhost_upstream_works_whichever_address_the_app_listens_on(relay, edge, make_app, host):
    app = make_app(host=host)  # listens on this one address only
    agent = relay.agent(f"localhost:{app.port}", edge)
    for i in range(3):  # every request, not just the first, finds the right address
        r = agent.tunnel.curl(f"/family/{i}")
        assert r.status == 200, r
        assert r.body == f"ok /family/{i}\n".encode()
    assert len(app.requests_to("/family/")) == 3
