"""`relay start` with the inspector: `--none` starts the agent and its API with no tunnel, as
ngrok client libraries run it (`start --none --log=stdout`, reading logfmt lifecycle lines), and
tunnels started through the API then serve; a captured TikTok event that went stale fails
verification on replay (correct) and re-sign makes it verify."""

from __future__ import annotations

import os
import subprocess
import time

from inspector_client import Api, WEB_RX, tiktok_signature
from relay_harness import RelayProcess, Tunnel, parse_logfmt, relay_bin, wait_until


SECRET = "e2e-start-tiktok-secret"


def write_config(path, edge, tunnels: str = "") -> None:
    path.write_text(f"""version: "2"
authtoken: "{edge.authtoken}"
edge: {edge.agent_addr}
edge_ca: {edge.pki.ca}
{tunnels}""")
    path.chmod(0o600)


def start(relay, tmp_path, *args, env=None) -> RelayProcess:
    # Port 0: any free port, so tests run in parallel (the config file only takes real ports).
    p = RelayProcess("start", ["start", *args, "--inspect-addr", "127.0.0.1:0", "--state-dir",
                               str(tmp_path / "state")], relay.dir, env=env)
    relay.processes.append(p)
    return p


def test_start_none_logs_lifecycle_to_stdout_and_adds_tunnels_through_the_api(relay, edge, app, tmp_path):
    cfg = tmp_path / "relay.yml"
    write_config(cfg, edge)
    # ngrok libraries' command line, exactly: the log on stdout, logfmt because stdout is not a
    # terminal (the harness's RelayProcess would add its own --log).
    out_path = tmp_path / "start.stdout"
    env = dict(os.environ, HOME=str(tmp_path / "home"), XDG_CONFIG_HOME=str(tmp_path / "home" / "config"))
    with open(out_path, "wb") as out:
        proc = subprocess.Popen([relay_bin(), "start", "--none", "--log=stdout", f"--config={cfg}",
                                 "--inspect-addr", "127.0.0.1:0", "--state-dir", str(tmp_path / "state")],
                                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, env=env)
    try:
        run_library_flow(proc, out_path, app)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def run_library_flow(proc, out_path, app) -> None:
    def records():
        return [parse_logfmt(line) for line in out_path.read_text(errors="replace").splitlines() if "msg=" in line]

    def record(msg):
        assert proc.poll() is None, f"relay start exited {proc.returncode}:\n{out_path.read_text()}"
        return next((r for r in records() if r.get("msg") == msg), None)

    web = wait_until(lambda: record("starting web service"), 15, "starting web service on stdout")
    assert web["obj"] == "web" and web["addr"].startswith("127.0.0.1:") and web["lvl"] == "info"
    wait_until(lambda: record("client session established"), 15, "client session established on stdout")
    api = Api(f"http://{web['addr']}")
    status, body = api.get("/api/tunnels")
    assert status == 200 and body["tunnels"] == []

    status, t = api.call("POST", "/api/tunnels", {"name": "lib", "addr": str(app.port), "proto": "http"})
    assert status == 201 and t["public_url"], t
    started = wait_until(lambda: record("started tunnel"), 10, "started tunnel on stdout")
    assert started["name"] == "lib" and started["url"] == t["public_url"]
    assert started["addr"] == f"http://127.0.0.1:{app.port}" or started["addr"].endswith(f":{app.port}")
    assert Tunnel(t["public_url"]).curl("/from-lib").status == 200
    assert app.requests_to("/from-lib")


def test_stale_tiktok_event_fails_on_replay_and_resign_fixes_it(relay, edge, app, tmp_path):
    cfg = tmp_path / "relay.yml"
    write_config(cfg, edge, f"""tunnels:
  hooks:
    addr: 127.0.0.1:{app.port}
    verify_webhook:
      provider: tiktok
      secret: {SECRET}
      tolerance: 2s
""")
    p = start(relay, tmp_path, "--all", "--config", str(cfg))
    api = Api(p.wait_for_output(WEB_RX)[1])
    url = p.wait_for_output(r"tunnel hooks: (\S+)")[1]
    body = b'{"event":"video.publish","stale":"soon"}'
    sig = tiktok_signature(SECRET, body, int(time.time()))
    r = Tunnel(url).curl("/tt", "-X", "POST", "-H", f"TikTok-Signature: {sig}", "--data-binary", body.decode())
    assert r.status == 200, r
    [c] = api.wait_complete(lambda c: c["request"]["uri"] == "/tt")
    time.sleep(3.5)  # past the 2 s tolerance: the captured signature is now stale

    status, replay = api.call("POST", f"/api/requests/http/{c['id']}/replay", {})
    assert status == 200 and replay["response"]["status_code"] == 403, replay
    assert replay["relay"]["verdict"]["code"] == "stale_timestamp", replay["relay"]
    assert "stale" in replay["relay"]["verdict"]["reason"]
    # ngrok's replay endpoint reports the same outcome through the capture it made.
    assert api.call("POST", "/api/requests/http", {"id": c["id"]})[0] == 204
    assert len(app.requests_to("/tt")) == 1  # neither reached the app

    status, fixed = api.call("POST", f"/api/requests/http/{c['id']}/replay", {"resign": True})
    assert status == 200 and fixed["response"]["status_code"] == 200, fixed
    assert [x.body for x in app.requests_to("/tt")] == [body, body]
    status, t = api.get("/api/tunnels/hooks")
    assert t["relay"]["verify_provider"] == "tiktok" and t["relay"]["can_resign"] is True
