"""Issue 2, quick start: `relay http PORT` with no edge configured runs an embedded edge."""

import json
import re

from relay_harness import curl, sha256


def test_embedded_default_forwards_and_answers_byte_for_byte(relay, app, tmp_path):
    agent = relay.agent(str(app.port), edge=None)  # no --edge: the embedded edge on loopback

    assert re.fullmatch(r"http://[a-z0-9-]+\.localhost:\d+", agent.public_url), agent.stdout()
    assert agent.upstream_shown == f"http://localhost:{app.port}", agent.stdout()

    event = json.dumps({"type": "order.created", "data": {"id": 42, "note": "caf\u00e9 \u2713"}},
                       ensure_ascii=False).encode() + b"\n\x00\xff binary tail"
    (tmp_path / "event.json").write_bytes(event)
    # Exactly the README's command: curl resolves *.localhost to loopback by itself.
    r = curl(agent.public_url + "/echo/hook", "--data-binary", f"@{tmp_path / 'event.json'}",
             "-H", "Content-Type: application/json")
    assert r.status == 200, r
    assert r.body == event
    assert sha256(r.body) == sha256(event)
    seen = app.wait_for_request("/echo/hook")
    assert seen.method == "POST"
    assert seen.body == event
    assert seen.header("Content-Type") == "application/json"
