"""The inspector's web UI in headless Debian chromium, through a real tunnel: a request appears in
the list without a reload, its detail shows the body, Replay delivers it again, and Replay with
modifications delivers the edited body (tests/e2e/browser/inspector_check.mjs). Screenshots of
the list and the detail are saved under test-output/inspector-browser/ (gitignored)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from relay_harness import SOURCE_DIR, wait_until

BROWSER_DIR = Path(__file__).parent / "browser"


def _browser_ready() -> str | None:
    if not os.access("/usr/bin/chromium", os.X_OK):
        return "needs /usr/bin/chromium (apt-get install chromium)"
    if not (BROWSER_DIR / "node_modules" / "playwright-core").is_dir():
        return f"needs playwright-core: run `npm ci` in {BROWSER_DIR}"
    if not shutil.which("node"):
        return "needs node"
    return None


@pytest.mark.needs_flag("http", "--inspect")
def test_ui_shows_requests_live_and_replays_them(relay, edge, app, tmp_path):
    missing = _browser_ready()
    if missing:
        pytest.skip(missing)
    agent = relay.agent(app, edge, inspect=True,
                        extra=["--inspect", "127.0.0.1:0", "--state-dir", str(tmp_path / "state")])
    inspector = agent.wait_for_output(r"Web Interface\s+(http://\S+)")[1]
    wait_until(lambda: "tunnels" in json.loads(
        subprocess.run(["curl", "-s", f"{inspector}/api/tunnels"], capture_output=True, text=True).stdout or "{}"),
        10, "the inspector's API")

    tunnel = agent.tunnel
    shots = SOURCE_DIR / "test-output" / "inspector-browser"
    for old in shots.glob("*.png"):
        old.unlink()
    run = subprocess.run(
        ["node", str(BROWSER_DIR / "inspector_check.mjs"), "--inspector", inspector, "--out", str(shots),
         "--send-url", tunnel.url("/webhook/tiktok"), "--connect", f"127.0.0.1:{tunnel.port}"],
        capture_output=True, text=True, timeout=120)
    result = json.loads(run.stdout.strip().splitlines()[-1]) if run.stdout.strip() else {}
    assert run.returncode == 0 and result.get("ok"), f"{result or run.stdout}\n{run.stderr}\nscreenshots: {shots}"
    assert (shots / "inspector-list.png").is_file()
    assert (shots / "inspector-detail.png").is_file()

    # The app itself saw the original, the replay and the edited replay.
    delivered = wait_until(lambda: len(app.requests_to("/webhook/tiktok")) >= 3 and app.requests_to("/webhook/tiktok"),
                           10, "three deliveries at the app")
    bodies = [json.loads(r.body) for r in delivered]
    assert bodies[0] == bodies[1]
    assert bodies[2]["edited"] is True and bodies[2]["marker"] == bodies[0]["marker"]
