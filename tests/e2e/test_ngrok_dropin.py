"""What users and client libraries written for ngrok expect of the binary (issue 14, items 4, 5, 7).

- `relay start --none` with no config file at the default path runs with an empty config, as
  ngrok does (npm's `ngrok` package starts the agent that way); a missing file named by
  --config stays an error.
- `relay authtoken TOKEN`, ngrok v2's form of `relay config add-authtoken`.
- `--inspect ADDR` names the inspector address in every command (`--inspect-addr` too).
- `localhost` and `*.localhost` resolve to loopback in relay's own clients, as in curl.
- Svix's unbranded headers (webhook-id/-timestamp/-signature) verify as `svix` and `clerk`.
"""
from __future__ import annotations

import re
import stat
import subprocess

from inspector_client import Api
from relay_harness import RelayProcess, free_port, relay_bin, wait_until

SVIX_SECRET = "whsec_cmVsYXktb3duLXN2aXgtc2lnbmluZy1rZXktMDEyMzQ="


def run(*args, env=None):
    return subprocess.run([relay_bin(), *args], capture_output=True, timeout=30, env=env)


def start_none(relay, *extra):
    port = free_port()
    p = RelayProcess("start", ["start", "--none", "--inspect", f"127.0.0.1:{port}", *extra], relay.dir,
                     env={"RELAY_CONFIG": ""})
    relay.processes.append(p)
    return p, Api(f"http://127.0.0.1:{port}")


def test_start_none_without_a_config_file_serves_the_api(relay):
    p, api = start_none(relay)

    def tunnels():
        try:
            return api.get("/api/tunnels")
        except OSError:
            return None

    status, body = wait_until(tunnels, 20, "the inspector API of `relay start --none`")
    assert status == 200 and body["tunnels"] == [], body
    assert p.running(), p.tail()


def test_a_missing_file_named_by_config_is_still_an_error(relay, tmp_path):
    missing = tmp_path / "nope.yml"
    result = run("start", "--none", "--config", str(missing))
    assert result.returncode == 1
    assert f"{missing}" in result.stderr.decode() and "cannot read the file" in result.stderr.decode()


def test_authtoken_command_saves_the_token_0600(tmp_path):
    cfg = tmp_path / "relay.yml"
    result = run("authtoken", "tok_0123456789abcdef", "--config", str(cfg))
    assert result.returncode == 0, result.stderr
    assert "authtoken: tok_0123456789abcdef" in cfg.read_text().replace('"', "")
    assert stat.S_IMODE(cfg.stat().st_mode) == 0o600
    check = run("config", "check", "--config", str(cfg))
    assert check.returncode == 0, check.stderr


def test_replay_takes_inspect_like_every_other_command(relay):
    p, api = start_none(relay)
    wait_until(lambda: _answers(api), 20, "the inspector API")
    addr = api.base.removeprefix("http://")
    for flag in ("--inspect", "--inspect-addr"):
        result = run("replay", "no-such-request", flag, addr)
        # The inspector answered (the id is unknown): the flag was accepted and used.
        assert result.returncode == 1, result
        assert "no inspector answered" not in result.stderr.decode(), result.stderr


def _answers(api):
    try:
        return api.get("/api/tunnels")[0] == 200
    except OSError:
        return False


def test_webhook_send_resolves_localhost_subdomains(app):
    url = f"http://gvl0pkda.localhost:{app.port}/webhook"
    result = run("webhook", "send", "zoom", url, "--secret", "zoom-secret", "--event", "meeting.started")
    assert result.returncode == 0, result.stderr
    [got] = wait_until(lambda: app.requests_to("/webhook"), 10, "the webhook at the app")
    assert got.header("x-zm-signature"), got.headers
    assert got.header("host") == f"gvl0pkda.localhost:{app.port}"


def test_svix_and_clerk_verify_the_unbranded_headers(tmp_path):
    body = tmp_path / "body"
    body.write_bytes(b'{"type":"user.created"}')
    signed = run("webhook", "sign", "standardwebhooks", "--secret", SVIX_SECRET, "--body-file", str(body))
    assert signed.returncode == 0, signed.stderr
    headers = [line for line in signed.stdout.decode().splitlines() if re.match(r"^webhook-\w+: ", line)]
    assert len(headers) == 3, signed.stdout
    for provider in ("svix", "clerk"):
        args = ["webhook", "verify", provider, "--secret", SVIX_SECRET, "--body-file", str(body)]
        for h in headers:
            args += ["--header", h]
        verified = run(*args)
        assert (verified.returncode, verified.stdout) == (0, b"valid\n"), (provider, verified)
    # Neither family present: the message names both header names.
    missing = run("webhook", "verify", "svix", "--secret", SVIX_SECRET, "--body-file", str(body))
    assert missing.returncode == 1
    assert b"svix-signature" in missing.stdout and b"webhook-signature" in missing.stdout, missing.stdout
