"""Issue 10 item 12: secrets on the command line are visible to every local user in
/proc/PID/cmdline. Every secret-taking flag accepts env:NAME and file:PATH, its --help says so
first, and a token given that way never appears in the process's command line."""

from __future__ import annotations

import re
import subprocess

from relay_harness import relay_bin


def help_of(*args: str) -> str:
    r = subprocess.run([relay_bin(), *args, "--help"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r
    return r.stdout


def flag_help(text: str, flag: str) -> str:
    """The help line(s) of one flag: from the flag to the next option."""
    m = re.search(rf"^\s+(?:-\w,)?{re.escape(flag)}\b.*?(?=^\s+-)", text + "\n  -", re.S | re.M)
    assert m, f"{flag} not in:\n{text}"
    return " ".join(m[0].split())


def test_help_shows_env_and_file_forms_for_every_secret_flag():
    for command, flag in [(("http",), "--authtoken"), (("http",), "--verify-webhook-secret"),
                          (("edge",), "--authtoken"), (("webhook", "verify"), "--secret"),
                          (("webhook", "sign"), "--secret"), (("webhook", "send"), "--secret")]:
        line = flag_help(help_of(*command), flag)
        assert "env:NAME" in line and "file:PATH" in line, (command, flag, line)
        assert line.index("env:NAME") < line.index("literal"), (command, flag, line)


def cmdline(pid: int) -> str:
    with open(f"/proc/{pid}/cmdline", "rb") as f:
        return f.read().replace(b"\0", b" ").decode()


def test_authtoken_from_env_on_the_edge_and_from_a_file_on_the_agent(relay, app, authtoken, tmp_path):
    edge = relay.edge(authtoken=None, extra=["--authtoken", "env:E2E_EDGE_TOKEN"],
                      env={"E2E_EDGE_TOKEN": authtoken})
    token_file = tmp_path / "token"
    token_file.write_text(authtoken + "\n")
    token_file.chmod(0o600)
    agent = relay.agent(app, edge, authtoken=f"file:{token_file}", url="secret-forms")
    r = agent.tunnel.curl("/via-forms")
    assert r.status == 200 and r.body == b"ok /via-forms\n", r
    for p in (edge, agent):
        assert authtoken not in cmdline(p.proc.pid), cmdline(p.proc.pid)
        assert authtoken not in p.log()


def test_agent_authtoken_from_env(relay, edge, app):
    agent = relay.agent(app, edge, authtoken="env:E2E_AGENT_TOKEN", env={"E2E_AGENT_TOKEN": edge.authtoken})
    assert agent.tunnel.curl("/env-token").status == 200


def test_unset_authtoken_env_is_a_usage_error():
    r = subprocess.run([relay_bin(), "http", "127.0.0.1:9", "--edge", "127.0.0.1:9", "--inspect=false",
                        "--authtoken", "env:E2E_SURELY_UNSET_TOKEN"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 2, r
    assert "E2E_SURELY_UNSET_TOKEN" in r.stderr and "not set" in r.stderr, r.stderr
