"""What `relay http` shows: plain lines when stdout is not a terminal (scripts read them), the
ngrok-like status block redrawn in place when it is one (run under `script`, a real pty), and
`relay replay ID` from the terminal against the running agent."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess

import pytest

from inspector_client import Api, start_agent
from relay_harness import Tunnel, relay_bin, wait_until

pytestmark = pytest.mark.needs_flag("http", "--inspect")


def test_not_a_terminal_prints_plain_lines(relay, edge, app, tmp_path):
    agent, api = start_agent(relay, app, edge, tmp_path / "state")
    agent.wait_ready()
    agent.tunnel.curl("/plain")
    api.wait_complete(lambda c: c["request"]["uri"] == "/plain")
    out = agent.stdout()
    assert re.search(r"^Web Interface  http://127\.0\.0\.1:\d+$", out, re.M), out
    assert re.search(r"^Forwarding  http://\S+ -> http://127\.0\.0\.1:\d+$", out, re.M), out
    assert "\x1b[" not in out and "Session Status" not in out
    # The log stays a log: one logfmt line per request (request lines may wait up to 50 ms in
    # the log buffer while traffic is steady, so poll).
    wait_until(lambda: any(r.get("msg") == "request" and r.get("path") == "/plain" for r in agent.log_records()),
               5, "the request's log line")


@pytest.mark.skipif(not shutil.which("script"), reason="needs script(1) from util-linux")
def test_terminal_shows_the_status_block(edge, app, tmp_path):
    out_path = tmp_path / "tty.out"
    command = [relay_bin(), "http", str(app.port), "--edge", edge.agent_addr, "--authtoken", edge.authtoken,
               "--edge-ca", str(edge.pki.ca), "--inspect", "127.0.0.1:0", "--state-dir", str(tmp_path / "state")]
    env = dict(os.environ, HOME=str(tmp_path), TERM="xterm", COLUMNS="120", LINES="40")
    with open(out_path, "wb") as out:
        proc = subprocess.Popen(["script", "-qfec", subprocess.list2cmdline(command), "/dev/null"],
                                stdin=subprocess.PIPE, stdout=out, stderr=subprocess.STDOUT, env=env,
                                start_new_session=True)
    screen = lambda: out_path.read_text(errors="replace")
    try:
        def forwarding():
            assert proc.poll() is None, screen()
            return re.search(r"Forwarding\s+(http://\S+) -> ", screen())
        url = wait_until(forwarding, 20, "the Forwarding line of the status block")[1]
        wait_until(lambda: re.search(r"Session Status\s+online", screen()), 10, "Session Status online")
        text = screen()
        assert re.search(r"Version\s+\d+\.\d+\.\d+", text), text
        assert re.search(r"Web Interface\s+http://127\.0\.0\.1:\d+", text), text
        assert re.search(r"Connections\s+ttl\s+opn", text), text
        assert "\x1b[H" in text  # redrawn in place, not scrolled

        Tunnel(url).curl("/from-the-terminal")
        wait_until(lambda: re.search(r"GET\s+/from-the-terminal\s+200 OK", screen()), 10, "the request in the block")
        assert "HTTP Requests" in screen()
        assert "lvl=" not in screen() and "msg=" not in screen()  # the block replaces the log
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def test_relay_replay_command(relay, edge, app, tmp_path):
    agent, api = start_agent(relay, app, edge, tmp_path / "state")
    agent.wait_ready()
    agent.tunnel.curl("/echo/cli", "-X", "POST", "--data-binary", "from curl")
    [c] = api.wait_complete(lambda c: c["request"]["uri"] == "/echo/cli")
    addr = api.base.removeprefix("http://")
    body = tmp_path / "body.json"
    body.write_bytes(b'{"replayed": true}')

    r = subprocess.run([relay_bin(), "replay", c["id"], "--inspect-addr", addr, "--set-header", "X-Replayed: yes",
                        "--body-file", str(body), "--tunnel", c["tunnel_name"]],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert re.search(rf"replayed {c['id']} as ins_\S+: 200", r.stdout), r.stdout
    got = app.requests_to("/echo/cli")
    assert [x.body for x in got] == [b"from curl", b'{"replayed": true}']
    assert got[1].header("X-Replayed") == "yes"
    [replay] = api.wait_complete(lambda x: x["relay"]["replay"])
    assert replay["relay"]["replay_of"] == c["id"]

    bad = subprocess.run([relay_bin(), "replay", "ins_nope", "--inspect-addr", addr],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1 and "no captured request has that id" in bad.stderr, bad.stderr
    assert agent.running()
