"""Durable delivery, the agent's side (docs/delivery.md): `relay http --buffer...` flags and
relay.yml keys, delivery streams at the app (headers, verification at received-at, re-sign),
the inspector's /api/deliveries and `relay queue`."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from relay_harness import relay_bin


def run(*args: str, home: Path, timeout: float = 30) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.pop("RELAY_CONFIG", None)
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / "config"), XDG_STATE_HOME=str(home / "state"))
    return subprocess.run([relay_bin(), *args], capture_output=True, text=True, timeout=timeout, env=env)


# --------------------------------------------------------------------------------------------
# Flags and keys


@pytest.mark.needs_flag("http", "--buffer")
@pytest.mark.parametrize(
    "flags, message",
    [
        (["--buffer", "sometimes"], "--buffer: expected offline, always or off, got 'sometimes'"),
        (["--buffer", "--buffer-ttl", "9000h"], "--buffer-ttl: must be between 1s and 720h, got '9000h'"),
        (["--buffer", "--buffer-status", "302"], "--buffer-status: must be a 2xx status (200-299), got '302'"),
        (["--buffer", "--buffer-concurrency", "0"], "--buffer-concurrency: must be between 1 and 64"),
        (["--buffer", "--buffer-max", "many"], "--buffer-max: expected a whole number, got 'many'"),
        (["--buffer-ttl", "1h"], "--buffer-ttl: only means something with --buffer"),
        (["--buffer", "--buffer-resign"], "--buffer-resign: re-signing happens after verification"),
    ],
)
def test_a_bad_buffer_flag_is_a_usage_error_naming_the_flag(tmp_path, flags, message):
    r = run("http", "3000", *flags, "--inspect=false", home=tmp_path, timeout=15)
    assert r.returncode == 2, r
    assert message in r.stderr, r.stderr
    assert "Forwarding" not in r.stdout


@pytest.mark.needs_flag("http", "--buffer")
def test_http_help_describes_the_buffer_flags(tmp_path):
    r = run("http", "--help", home=tmp_path)
    for flag in ("--buffer [offline|always|off]", "--buffer-ttl DURATION=72h", "--buffer-max N=100000",
                 "--buffer-status STATUS=200", "--buffer-concurrency N=4", "--buffer-ordered",
                 "--buffer-resign", "--buffer-dedupe-window DURATION=24h"):
        assert flag in r.stdout, r.stdout


def test_config_check_reports_a_bad_buffer_key_at_its_line(tmp_path):
    cfg = tmp_path / "relay.yml"
    cfg.write_text("tunnels:\n  hooks:\n    addr: 3000\n    buffer: offline\n    buffer_status: 302\n"
                   "    buffer_ttl: forever\n")
    cfg.chmod(0o600)
    r = run("config", "check", "--config", str(cfg), home=tmp_path)
    assert r.returncode == 1, r
    out = r.stdout + r.stderr
    assert f"{cfg}:5:20: error: tunnels.hooks.buffer_status: must be a 2xx status (200-299), got '302'" in out, out
    assert f"{cfg}:6:17: error: tunnels.hooks.buffer_ttl: expected a duration" in out, out


def test_config_check_shows_a_buffered_tunnel(tmp_path):
    cfg = tmp_path / "relay.yml"
    cfg.write_text("tunnels:\n  hooks:\n    addr: 3000\n    buffer: always\n    buffer_ttl: 2h\n")
    cfg.chmod(0o600)
    r = run("config", "check", "--config", str(cfg), home=tmp_path)
    assert r.returncode == 0, r
    assert "hooks: http → 3000, buffer always" in r.stdout, r.stdout


def test_start_refuses_a_bad_buffer_key(tmp_path):
    cfg = tmp_path / "relay.yml"
    cfg.write_text("inspect_addr: false\ntunnels:\n  hooks:\n    addr: 3000\n    buffer: sometimes\n")
    cfg.chmod(0o600)
    r = run("start", "--all", "--config", str(cfg), home=tmp_path, timeout=15)
    assert r.returncode != 0, r
    assert f"{cfg}:5:13: error: tunnels.hooks.buffer: expected offline, always or off, got 'sometimes'" in (
        r.stdout + r.stderr), r
