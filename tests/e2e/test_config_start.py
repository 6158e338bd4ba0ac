"""`relay start --all` from a config file against a real edge, and SIGHUP reloads."""

from __future__ import annotations

import hashlib
import hmac
import re
import signal
import time

import pytest

from relay_harness import RelayProcess, Tunnel, agent_config_yaml, has_flag, wait_until

pytestmark = pytest.mark.skipif(not has_flag("start", "--all"), reason="NOT BUILT YET: relay start --all")

SECRET = "e2e-tiktok-secret"
TUNNEL_RX = r"tunnel (?P<name>[a-z0-9-]+): (?P<url>\S+) → (?P<addr>\S+)"


def config_text(edge, app, extra_tunnel: str = "") -> str:
    return agent_config_yaml(edge, f"""  web:
    addr: 127.0.0.1:{app.port}
    url: cfg-web
  hooks:
    addr: 127.0.0.1:{app.port}
    url: cfg-hooks
    verify_webhook:
      provider: tiktok
      secret: env:E2E_TIKTOK_SECRET
{extra_tunnel}""")


def tunnels_of(process: RelayProcess) -> dict[str, str]:
    return {m["name"]: m["url"] for m in re.finditer(TUNNEL_RX, process.stdout())}


def wait_tunnels(process: RelayProcess, names: set[str], timeout: float = 20) -> dict[str, str]:
    def ready():
        if not process.running():
            raise AssertionError(f"{process} exited:\n{process.tail()}")
        found = tunnels_of(process)
        return found if names <= set(found) else None

    try:
        return wait_until(ready, timeout, f"tunnels {sorted(names)} on stdout of {process}")
    except TimeoutError as e:
        raise AssertionError(f"{e}\n{process.tail()}") from None


def tiktok_signature(body: bytes, timestamp: int) -> str:
    mac = hmac.new(SECRET.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},s={mac}"


def start(relay, config_path, *extra) -> RelayProcess:
    p = RelayProcess("start", ["start", "--all", "--config", str(config_path), *extra], relay.dir,
                     env={"E2E_TIKTOK_SECRET": SECRET})
    relay.processes.append(p)
    return p


def test_start_all_serves_both_tunnels_and_verifies_tiktok(relay, edge, app, tmp_path):
    cfg = tmp_path / "relay.yml"
    cfg.write_text(config_text(edge, app))
    cfg.chmod(0o600)
    agent = start(relay, cfg)
    urls = wait_tunnels(agent, {"web", "hooks"})
    assert urls["web"] == edge.url_for("cfg-web")
    assert urls["hooks"] == edge.url_for("cfg-hooks")

    r = Tunnel(urls["web"]).curl("/json/plain")
    assert r.status == 200, r

    body = b'{"event":"video.publish"}'
    hooks = Tunnel(urls["hooks"])
    signed = hooks.curl("/echo/tiktok", "-X", "POST", "--data-binary", body,
                        "-H", "Content-Type: application/json",
                        "-H", f"TikTok-Signature: {tiktok_signature(body, int(time.time()))}")
    assert signed.status == 200, signed
    assert signed.body == body
    forged = hooks.curl("/echo/forged", "-X", "POST", "--data-binary", body,
                        "-H", f"TikTok-Signature: t={int(time.time())},s={'0' * 64}")
    assert forged.status in (401, 403), forged
    assert not app.requests_to("/echo/forged")


def test_sighup_adds_a_tunnel_and_keeps_the_others(relay, edge, app, tmp_path):
    cfg = tmp_path / "relay.yml"
    cfg.write_text(config_text(edge, app))
    cfg.chmod(0o600)
    agent = start(relay, cfg)
    urls = wait_tunnels(agent, {"web", "hooks"})
    web = Tunnel(urls["web"])
    assert web.curl("/before").status == 200

    cfg.write_text(config_text(edge, app, "  third:\n    addr: 127.0.0.1:%d\n    url: cfg-third\n" % app.port))
    agent.send_signal(signal.SIGHUP)
    urls = wait_tunnels(agent, {"web", "hooks", "third"})
    assert urls["third"] == edge.url_for("cfg-third")
    assert Tunnel(urls["third"]).curl("/third").status == 200
    assert web.curl("/after").status == 200
    assert agent.running()

    # A broken config is logged and the running tunnels stay.
    cfg.write_text("tunnels:\n  web:\n    adr: 1\n")
    agent.send_signal(signal.SIGHUP)
    agent.wait_for_output(r"reload rejected")
    assert "unknown key 'adr'" in agent.log()
    assert web.curl("/still").status == 200
    assert Tunnel(urls["third"]).curl("/third-still").status == 200


def test_start_needs_a_selection(relay, tmp_path):
    cfg = tmp_path / "relay.yml"
    cfg.write_text("tunnels: {}\n")
    p = RelayProcess("start", ["start", "--config", str(cfg)], relay.dir)
    relay.processes.append(p)
    assert p.wait(20) == 2
    assert "name the tunnels to start" in p.log()


def test_start_with_a_bad_config_exits_1_with_locations(relay, tmp_path):
    cfg = tmp_path / "relay.yml"
    cfg.write_text("tunnels:\n  web:\n    addr: nope:0\n")
    p = RelayProcess("start", ["start", "--all", "--config", str(cfg)], relay.dir)
    relay.processes.append(p)
    assert p.wait(20) == 1
    assert f"{cfg}:3:11: error: tunnels.web.addr:" in p.log()


def test_sd_notify_ready_and_stopping(relay, edge, app, tmp_path):
    """Type=notify: READY=1 once the session is online, STOPPING=1 on SIGTERM, over $NOTIFY_SOCKET."""
    import socket

    cfg = tmp_path / "relay.yml"
    cfg.write_text(config_text(edge, app))
    cfg.chmod(0o600)
    sock_path = tmp_path / "notify.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(sock_path))
    sock.settimeout(20)
    try:
        p = RelayProcess("start", ["start", "--all", "--config", str(cfg)], relay.dir,
                         env={"E2E_TIKTOK_SECRET": SECRET, "NOTIFY_SOCKET": str(sock_path),
                              "WATCHDOG_USEC": "2000000"})
        relay.processes.append(p)
        messages = []
        while not any(m.startswith("READY=1") for m in messages):
            messages.append(sock.recv(4096).decode())
        assert wait_tunnels(p, {"web", "hooks"})
        while "WATCHDOG=1" not in messages:  # every WATCHDOG_USEC/2
            messages.append(sock.recv(4096).decode())
        p.send_signal(signal.SIGTERM)
        while "STOPPING=1" not in messages:
            messages.append(sock.recv(4096).decode())
        assert p.wait(15) == 0
    finally:
        sock.close()


def test_edge_config_file_with_a_token_from_edge_token_add(relay, pki, app, tmp_path):
    """`relay edge --config edge.yml` with a token made by `relay edge token add`, then an agent
    using that token through `relay config add-authtoken` + `relay start`."""
    import subprocess

    from relay_harness import free_port, is_listening, relay_bin

    port, agent_port = free_port(), free_port()
    edge_cfg = tmp_path / "edge.yml"
    edge_cfg.write_text(f"""# e2e edge
version: "1"
domain: relay.test
listen: 127.0.0.1:{port}
agent_listen: 127.0.0.1:{agent_port}
tls_cert: {pki.edge_cert}
tls_key: {pki.edge_key}
authtokens: []
limits:
  header_timeout: 5s
""")
    added = subprocess.run([relay_bin(), "edge", "token", "add", "--config", str(edge_cfg), "--label", "e2e",
                            "--reserve", "cfg-reserved"], capture_output=True, text=True, timeout=30)
    assert added.returncode == 0, added
    token = next(w for w in added.stdout.split() if w.startswith("relay_"))
    edge = RelayProcess("edge", ["edge", "--config", str(edge_cfg)], relay.dir)
    relay.processes.append(edge)
    wait_until(lambda: is_listening(port) and is_listening(agent_port), 15, "the edge from edge.yml to listen")

    home = tmp_path / "home"
    env = dict(HOME=str(home), XDG_CONFIG_HOME=str(home / "config"))
    import os
    r = subprocess.run([relay_bin(), "config", "add-authtoken", token], capture_output=True, text=True,
                       timeout=30, env={**os.environ, **env})
    assert r.returncode == 0, r
    agent_cfg = home / "config" / "relay" / "relay.yml"
    agent_cfg.write_text(agent_cfg.read_text().replace("tunnels: {}\n", "") +
                         f"edge: 127.0.0.1:{agent_port}\nedge_ca: {pki.ca}\ninspect_addr: false\n"
                         f"tunnels:\n  mine:\n    addr: 127.0.0.1:{app.port}\n    url: cfg-reserved\n")
    agent = RelayProcess("start", ["start", "mine"], relay.dir, env=env)
    relay.processes.append(agent)
    urls = wait_tunnels(agent, {"mine"})
    assert urls["mine"] == f"http://cfg-reserved.relay.test:{port}"
    assert Tunnel(urls["mine"]).curl("/from-config").status == 200
    assert token not in edge.log() and token not in agent.log()


def test_basic_auth_tunnel_key_is_enforced(relay, edge, app, tmp_path):
    """`basic_auth: ["user:password"]`: no or wrong credentials → 401 with a challenge, and the
    app sees nothing; the right ones reach the app."""
    cfg = tmp_path / "relay.yml"
    cfg.write_text(agent_config_yaml(edge, f"""  private:
    addr: 127.0.0.1:{app.port}
    url: cfg-private
    basic_auth: ["admin:s3cret:with-colon"]
"""))
    cfg.chmod(0o600)
    agent = start(relay, cfg)
    tunnel = Tunnel(wait_tunnels(agent, {"private"})["private"])
    for case, args in {"none": [], "wrong": ["-u", "admin:nope"], "user": ["-u", "root:s3cret:with-colon"],
                       "garbage": ["-H", "Authorization: Basic !!!"]}.items():
        r = tunnel.curl(f"/json/{case}", *args, "-H", "Accept: application/json")
        assert r.status == 401, (case, r)
        assert r.header("WWW-Authenticate").startswith("Basic "), r
        assert r.header("Relay-Error-Code") == "RELAY_BASIC_AUTH_REQUIRED", r
        assert "basic_auth" in r.json()["error"]["message"]
    assert not app.requests_to("/json/")
    ok = tunnel.curl("/json/ok", "-u", "admin:s3cret:with-colon")
    assert ok.status == 200, ok
    assert app.wait_for_request("/json/ok").header("Authorization").startswith("Basic ")


def test_upstream_timeout_key_gives_the_app_that_long_and_the_flag_wins(relay, edge, app, tmp_path):
    """`upstream_timeout: 1s` in the config: an app that starts its answer after 5 s gets the
    caller a 504 RELAY_UPSTREAM_TIMEOUT after about 1 s; `--upstream-timeout` overrides the key."""
    cfg = tmp_path / "relay.yml"
    cfg.write_text(agent_config_yaml(edge, f"""  slow:
    addr: 127.0.0.1:{app.port}
    url: cfg-slow
""").replace("inspect_addr: false\n", "inspect_addr: false\nupstream_timeout: 1s\n"))
    cfg.chmod(0o600)
    agent = start(relay, cfg)
    tunnel = Tunnel(wait_tunnels(agent, {"slow"})["slow"])
    r = tunnel.curl("/delay/5", "-H", "Accept: application/json", timeout=35)
    assert r.status == 504, r
    assert r.header("Relay-Error-Code") == "RELAY_UPSTREAM_TIMEOUT", r
    assert r.elapsed < 4, r
    assert tunnel.curl("/json/after").status == 200
    agent.stop()

    overridden = start(relay, cfg, "--upstream-timeout", "30s")
    tunnel = Tunnel(wait_tunnels(overridden, {"slow"})["slow"])
    r = tunnel.curl("/delay/2", timeout=35)
    assert r.status == 200, r
    assert r.elapsed >= 1.5, r


def test_a_bad_upstream_timeout_key_exits_1_naming_it(relay, edge, app, tmp_path):
    cfg = tmp_path / "relay.yml"
    cfg.write_text(agent_config_yaml(edge, f"""  web:
    addr: 127.0.0.1:{app.port}
""").replace("inspect_addr: false\n", "inspect_addr: false\nupstream_timeout: 2h\n"))
    cfg.chmod(0o600)
    p = start(relay, cfg)
    assert p.wait(20) == 1, p.tail()
    assert f"{cfg}:6:19: error: upstream_timeout: expected whole seconds from 1s to 1h" in p.log(), \
        p.log()
