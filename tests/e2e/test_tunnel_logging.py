"""Issue 2: one log line per request (method, path, status, duration, tunnel); authtokens never
appear in logs."""

import re

from relay_harness import Tunnel, wait_until


def _request_records(process, path):
    return [r for r in process.log_records() if r.get("msg") == "request" and r.get("path") == path]


def test_one_log_line_per_request_in_edge_and_agent(relay, edge, agent, app, tunnel):
    paths = [f"/logged/{i}" for i in range(3)]
    for p in paths:
        assert tunnel.curl(p).status == 200
    tunnel.curl("/status/503")
    for process in (edge, agent):
        for p, status in [(p, "200") for p in paths] + [("/status/503", "503")]:
            recs = wait_until(lambda: _request_records(process, p), 5, f"a request line for {p} in the {process.role} log")
            assert len(recs) == 1, (process.role, [r["_line"] for r in recs])
            rec = recs[0]
            assert rec.get("method") == "GET", rec["_line"]
            assert rec.get("status") == status, rec["_line"]
            assert rec.get("tunnel") and rec["tunnel"] != "-", rec["_line"]
            assert any(re.fullmatch(r"[\d.]+(ms|s)?", v) for k, v in rec.items() if k.startswith("dur")), rec["_line"]


def test_unknown_tunnel_request_is_logged_by_the_edge(edge):
    Tunnel(edge.url_for("ghost")).curl("/ghost-path")
    recs = wait_until(lambda: _request_records(edge, "/ghost-path"), 5, "the 404 in the edge log")
    assert len(recs) == 1 and recs[0].get("status") == "404", recs


def test_authtoken_never_appears_in_logs(relay, pki, app, authtoken):
    edge = relay.edge(log_level="trace")
    agent = relay.agent(app, edge, log_level="trace")
    assert agent.tunnel.curl("/some-request").status == 200
    bad = relay.agent(app, edge, authtoken=authtoken + "x", log_level="trace", wait=False)
    bad.wait(timeout=15)
    agent.stop()
    edge.stop()
    for p in (edge, agent, bad):
        out = p.stdout() + p.log()
        assert authtoken not in out, f"{p.role} logged the authtoken"
        assert authtoken[7:] not in out, f"{p.role} logged the secret part of the authtoken"
