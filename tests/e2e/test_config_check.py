"""`relay config check | add-authtoken | path` and `relay edge token` on real files."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

from relay_harness import has_flag, relay_bin

SOURCE = Path(os.environ.get("RELAY_SOURCE_DIR", Path(__file__).resolve().parents[2]))


def run(*args: str, env: dict | None = None, home: Path | None = None) -> subprocess.CompletedProcess:
    run_env = dict(os.environ)
    run_env.pop("RELAY_CONFIG", None)
    if home is not None:
        run_env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / "config"))
    run_env.update(env or {})
    return subprocess.run([relay_bin(), *args], capture_output=True, text=True, timeout=30, env=run_env)


def write(path: Path, text: str, mode: int = 0o600) -> Path:
    path.write_text(text)
    path.chmod(mode)
    return path


GOOD = """version: "2"
authtoken: "tok"
edge: 127.0.0.1:4443
tunnels:
  web:
    addr: 3000
  hooks:
    addr: localhost:8080
    verify_webhook:
      provider: tiktok
      secret: env:E2E_TIKTOK_SECRET
"""


def test_check_accepts_a_good_file_and_prints_a_summary(tmp_path):
    cfg = write(tmp_path / "relay.yml", GOOD)
    r = run("config", "check", "--config", str(cfg), env={"E2E_TIKTOK_SECRET": "s"})
    assert r.returncode == 0, r
    assert f"{cfg}: OK" in r.stdout
    assert "web: http → 3000" in r.stdout
    assert "hooks: http → localhost:8080, verify tiktok" in r.stdout
    assert r.stderr == ""


def test_check_reports_every_problem_with_location_and_exits_1(tmp_path):
    cfg = write(tmp_path / "bad.yml", """tunnels:
  web:
    adr: 3000
  api:
    addr: 70000
    verify_webhook:
      provider: nosuchprovider
      secret: x
""")
    r = run("config", "check", "--config", str(cfg))
    assert r.returncode == 1, r
    lines = r.stderr.splitlines()
    assert f"{cfg}:3:5: error: tunnels.web.adr: unknown key 'adr'; did you mean 'addr'?" in lines
    assert f"{cfg}:3:5: error: tunnels.web: missing 'addr': where to forward, e.g. addr: 3000" in lines
    assert any(line.startswith(f"{cfg}:5:11: error: tunnels.api.addr: port 70000 in upstream '70000' is out "
                               "of range: use a port from 1 to 65535") for line in lines), r.stderr
    assert any(line.startswith(f"{cfg}:7:17: error: tunnels.api.verify_webhook.provider: unknown provider "
                               "'nosuchprovider'; expected one of: ") for line in lines), r.stderr
    assert lines[-1] == f"4 problems in {cfg}; fix them and run `relay config check` again"
    assert r.stdout == ""


def test_check_reports_an_unset_secret_variable(tmp_path):
    cfg = write(tmp_path / "relay.yml", GOOD)
    env = {k: v for k, v in os.environ.items() if k != "E2E_TIKTOK_SECRET"}
    r = subprocess.run([relay_bin(), "config", "check", "--config", str(cfg)], capture_output=True,
                       text=True, timeout=30, env=env)
    assert r.returncode == 1, r
    assert (f"{cfg}:11:15: error: tunnels.hooks.verify_webhook.secret: secret 'env:E2E_TIKTOK_SECRET': "
            "environment variable E2E_TIKTOK_SECRET is not set") in r.stderr


def test_inline_secret_in_a_world_readable_file_is_a_warning(tmp_path):
    cfg = write(tmp_path / "relay.yml", "authtoken: plain\ntunnels: {}\n", mode=0o644)
    r = run("config", "check", "--config", str(cfg))
    assert r.returncode == 0, r
    assert (f"{cfg}:1:12: warning: authtoken: the authtoken is written inline in a file every user can "
            f"read; run `chmod 600 {cfg}` or use env:NAME / file:PATH") in r.stderr


def test_later_config_files_override_earlier_ones(tmp_path):
    base = write(tmp_path / "base.yml", GOOD)
    local = write(tmp_path / "local.yml", "tunnels:\n  web:\n    addr: 4000\n")
    r = run("config", "check", "--config", str(base), "--config", str(local), env={"E2E_TIKTOK_SECRET": "s"})
    assert r.returncode == 0, r
    assert "web: http → 4000" in r.stdout and "hooks: http" in r.stdout


def test_missing_default_file_says_how_to_create_it(tmp_path):
    r = run("config", "check", home=tmp_path)
    assert r.returncode == 1
    assert f"{tmp_path}/config/relay/relay.yml: error: cannot read the file: No such file or directory" in r.stderr


def test_path_follows_flag_env_and_xdg(tmp_path):
    assert run("config", "path", home=tmp_path).stdout.strip() == f"{tmp_path}/config/relay/relay.yml"
    assert run("config", "path", home=tmp_path, env={"RELAY_CONFIG": "/x/a.yml"}).stdout.strip() == "/x/a.yml"
    assert run("config", "path", "--config", "/y/b.yml", home=tmp_path).stdout.strip() == "/y/b.yml"


def test_add_authtoken_creates_a_0600_file_then_keeps_comments(tmp_path):
    r = run("config", "add-authtoken", "first-token", home=tmp_path)
    assert r.returncode == 0, r
    path = tmp_path / "config" / "relay" / "relay.yml"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert 'authtoken: "first-token"' in path.read_text()

    path.write_text('# my tunnels\nversion: "2"\nauthtoken: old  # from the admin\ntunnels:\n'
                    '  web:\n    addr: 3000  # the app\n')
    r = run("config", "add-authtoken", "second", home=tmp_path)
    assert r.returncode == 0, r
    assert path.read_text() == ('# my tunnels\nversion: "2"\nauthtoken: "second"  # from the admin\n'
                                'tunnels:\n  web:\n    addr: 3000  # the app\n')
    assert run("config", "check", home=tmp_path).returncode == 0


def test_example_configs_are_valid():
    r = run("config", "check", "--config", str(SOURCE / "config" / "relay.yml"), env={"TIKTOK_CLIENT_SECRET": "s"})
    assert r.returncode == 0, r
    r = run("config", "check", "--edge", str(SOURCE / "config" / "edge.yml"))
    assert r.returncode == 0, r
    assert "domain:    relay.example.com" in r.stdout


@pytest.mark.skipif(not has_flag("edge", "--config"), reason="NOT BUILT YET: relay edge --config")
def test_edge_token_add_list_revoke(tmp_path):
    cfg = write(tmp_path / "edge.yml", "# my edge\ndomain: relay.test\nauthtokens: []\n")
    r = run("edge", "token", "add", "--config", str(cfg), "--label", "laptop", "--reserve", "myapp")
    assert r.returncode == 0, r
    token = next(line.strip() for line in r.stdout.splitlines() if line.strip().startswith("relay_"))
    text = cfg.read_text()
    assert token not in text
    import hashlib
    assert hashlib.sha256(token.encode()).hexdigest() in text
    assert text.startswith("# my edge\n")

    r = run("edge", "token", "add", "--config", str(cfg), "--label", "laptop")
    assert r.returncode == 1 and "exists already" in r.stderr

    r = run("edge", "token", "list", "--config", str(cfg))
    assert r.returncode == 0 and "laptop" in r.stdout and "myapp" in r.stdout, r

    r = run("edge", "token", "revoke", "--config", str(cfg), "laptop")
    assert r.returncode == 0, r
    assert "laptop" not in cfg.read_text()
    r = run("edge", "token", "revoke", "--config", str(cfg), "laptop")
    assert r.returncode == 1 and "no token labelled 'laptop'" in r.stderr


def test_edit_creates_a_0600_file_runs_the_editor_then_checks(tmp_path):
    """`relay config edit`: creates the default file (mode 0600), runs $EDITOR on it through the
    shell, then checks what the editor left: exit 0 when good, 1 with the problem's location."""
    editor = tmp_path / "fake-editor"
    editor.write_text("#!/bin/sh\nprintf '  web:\\n    addr: 3000\\n' >> \"$1\"\n"
                      "sed -i 's/^tunnels: {}$/tunnels:/' \"$1\"\n")
    editor.chmod(0o755)
    r = run("config", "edit", home=tmp_path, env={"VISUAL": "", "EDITOR": str(editor)})
    assert r.returncode == 0, r
    cfg = tmp_path / "config" / "relay" / "relay.yml"
    assert stat.S_IMODE(cfg.stat().st_mode) == 0o600
    assert "web: http → 3000" in r.stdout

    bad_editor = tmp_path / "bad-editor"
    bad_editor.write_text("#!/bin/sh\nprintf '    adr: 1\\n' >> \"$1\"\n")
    bad_editor.chmod(0o755)
    r = run("config", "edit", home=tmp_path, env={"VISUAL": str(bad_editor)})
    assert r.returncode == 1, r
    assert f"{cfg}:7:5: error: tunnels.web.adr: unknown key 'adr'" in r.stdout + r.stderr

    r = run("config", "edit", home=tmp_path, env={"VISUAL": "false"})
    assert r.returncode == 1 and "the editor 'false' failed" in r.stderr, r
